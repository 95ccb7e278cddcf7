"""Walkthrough point 9: the error summary of an incomplete submission names each unanswered question."""

from __future__ import annotations

import pytest

from tests.support.factories import make_uitvraag

pytestmark = pytest.mark.browser


def test_the_error_summary_names_every_unanswered_question(live_server, session, page):
    made = make_uitvraag(session, carried_answers={"has-iso": "yes"})
    page.goto(f"{live_server.url}/q/{made.token}")
    page.goto(f"{live_server.url}/q/uitvraag/{made.id}/submit")
    page.get_by_label("Uw naam").fill("Sam Leverancier")
    page.get_by_label("Uw functie").fill("Security officer")
    page.get_by_label("Uw e-mailadres").fill("sam@leverancier.test")
    page.get_by_label("naar waarheid", exact=False).check()
    page.get_by_role("button", name="Definitief indienen").click()

    links = page.locator("#error-summary a").all_inner_texts()
    assert "Nog niet beantwoord: Binnen hoeveel uur meldt u een incident?" in links
    assert "Nog niet beantwoord: Is MFA verplicht voor beheer op afstand?" in links
    assert "Document ontbreekt: Upload het certificaat." in links
    assert len(set(links)) == len(links), "two lines of the summary read the same"
    # Each names its question and leads to it, on its own section.
    page.get_by_role("link", name="Nog niet beantwoord: Is MFA verplicht voor beheer op afstand?").click()
    assert page.url.endswith("/s/toegang#q-mfa")
    assert page.locator("#wrap-mfa").is_visible()
