"""The supplier in a real headless Chromium: from the invitation mail to the receipt, with and without JavaScript."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlmodel import select

from bot.mail.delivery import send_due
from bot.models import Answer, EvidenceFile, Submission
from bot.timeutil import utcnow
from tests.supplier.helpers import expiry_in, pdf_bytes, rows
from tests.support.factories import make_uitvraag

pytestmark = pytest.mark.browser

# The screenshots in the docs are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to the test's own folder,
# so a test run leaves the working tree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def screenshots(tmp_path):
    return DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path


LINK = re.compile(r"http://127\.0\.0\.1:\d+/q/[A-Za-z0-9_-]{43}")


def assert_accessible(page, what):
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{what}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])}x)" for v in bad)


def deliver(live_server):
    app = live_server.app
    send_due(engine=app.extensions["engine"], config=app.config, now=utcnow())


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config["MAIL_URL"] = smtp_server.url
    return app_config


def test_supplier_opens_the_mailed_link_fills_in_everything_and_gets_the_receipt(
    live_server, smtp_server, session, page, tmp_path, screenshots
):
    made = make_uitvraag(session, base_url=live_server.url)
    deliver(live_server)
    invitation = smtp_server.wait_for(1)[0]
    link = LINK.search(invitation.get_body(("plain",)).get_content()).group(0)

    page.goto(link)
    assert page.url == f"{live_server.url}/q/uitvraag/{made.id}"  # the token is gone from the address bar
    assert page.get_by_text("Leverancier BV").first.is_visible()
    assert_accessible(page, "overview")
    page.get_by_role("link", name="Beginnen").click()

    # A conditional question appears as soon as its answer is chosen (JavaScript), with an upload and expiry date.
    upload = page.locator("#wrap-iso-certificate")
    assert upload.is_hidden()
    page.get_by_label("Ja", exact=True).check()
    assert upload.is_visible()
    certificate = tmp_path / "ISO-27001-certificaat.pdf"
    certificate.write_bytes(pdf_bytes())
    page.locator("#q-iso-certificate").set_input_files(str(certificate))
    page.locator("#expires-new-iso-certificate").fill(expiry_in(400))
    page.get_by_label("Binnen hoeveel uur meldt u een incident?").fill("4")
    page.get_by_role("button", name="Concept opslaan").click()
    assert page.get_by_text("Het document is toegevoegd.").is_visible()

    # Reload: everything is still there.
    page.reload()
    assert page.get_by_label("Ja", exact=True).is_checked()
    assert page.get_by_label("Binnen hoeveel uur meldt u een incident?").input_value() == "4"
    assert page.get_by_role("link", name="ISO-27001-certificaat.pdf").is_visible()
    assert_accessible(page, "section with an upload")
    page.screenshot(path=str(screenshots / "supplier-form.png"), full_page=True)

    page.get_by_role("button", name="Opslaan en volgende onderdeel").click()
    page.get_by_label("Nee", exact=True).check()
    plan = page.get_by_label("Wanneer voert u MFA in, en hoe?")
    assert plan.is_visible()
    plan.fill("In het eerste kwartaal van 2027, met FIDO2-sleutels.")
    page.get_by_label("Back-ups").check()
    page.get_by_role("button", name="Opslaan en volgende onderdeel").click()
    page.get_by_role("button", name="Opslaan en naar indienen").click()

    # Submitting without the attestation shows the error summary, linked to the fields.
    page.get_by_role("button", name="Definitief indienen").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.evaluate("el => el === document.activeElement")
    assert page.get_by_role("link", name="Vul uw naam in.").get_attribute("href") == "#attest-name"
    assert_accessible(page, "submission with errors")
    page.screenshot(path=str(screenshots / "supplier-error.png"), full_page=True)

    page.get_by_label("Uw naam").fill("Sam Leverancier")
    page.get_by_label("Uw functie").fill("Security officer")
    page.get_by_label("Uw e-mailadres").fill("sam@leverancier.test")
    page.get_by_label(re.compile("naar waarheid")).check()
    page.get_by_role("button", name="Definitief indienen").click()

    assert page.get_by_role("heading", name="Ontvangstbewijs").is_visible()
    digest = rows(session, select(Submission).where(Submission.uitvraag_id == made.id))[0].digest
    assert page.locator("#digest").inner_text().strip() == digest
    assert_accessible(page, "receipt")
    page.screenshot(path=str(screenshots / "supplier-receipt.png"), full_page=True)
    stored = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert stored["mfa-plan"].startswith("In het eerste kwartaal") and stored["controls"] == ["backups"]
    assert rows(session, select(EvidenceFile))[0].original_name == "ISO-27001-certificaat.pdf"

    # The receipt mail carries the digest.
    deliver(live_server)
    receipt = smtp_server.wait_for(2)[1]
    assert receipt["To"] == "sam@leverancier.test" and digest in receipt.get_body(("plain",)).get_content()

    # The link now shows the answers read-only.
    page.goto(link)
    assert page.get_by_text("de antwoorden zijn niet meer te wijzigen").is_visible()
    assert page.locator("input[name=q-mfa]").count() == 0


def test_the_form_works_without_javascript(live_server, session, browser):
    made = make_uitvraag(session)
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{made.token}")
        page.goto(f"{live_server.url}/q/uitvraag/{made.id}/s/toegang")
        assert page.locator("#wrap-mfa-plan").is_hidden()
        page.get_by_label("Nee", exact=True).check()
        page.get_by_role("button", name="Opslaan en volgende onderdeel").click()
        # The server re-checked the condition: the follow-on question is shown, on the same section.
        assert page.get_by_text("Door uw antwoord zijn er vragen bijgekomen").is_visible()
        assert page.get_by_label("Wanneer voert u MFA in, en hoe?").is_visible()
        page.reload()
        assert page.get_by_label("Nee", exact=True).is_checked()
    finally:
        context.close()


def test_answers_are_saved_automatically_with_javascript(live_server, session, page):
    made = make_uitvraag(session)
    page.goto(f"{live_server.url}/q/{made.token}")
    page.goto(f"{live_server.url}/q/uitvraag/{made.id}/s/toegang")
    page.get_by_label("Ja", exact=True).check()
    page.get_by_text(re.compile("Concept automatisch opgeslagen")).wait_for()
    page.reload()
    assert page.get_by_label("Ja", exact=True).is_checked()
    assert rows(session, select(Answer).where(Answer.uitvraag_id == made.id))[0].value == "yes"


def test_the_link_problem_pages_are_accessible(live_server, session, page):
    from datetime import timedelta

    page.goto(f"{live_server.url}/q/{'A' * 43}")
    assert page.get_by_role("heading", name="Deze link is niet bekend").is_visible()
    assert_accessible(page, "unknown link")
    expired = make_uitvraag(session, now=utcnow() - timedelta(days=60), deadline=utcnow() - timedelta(days=20))
    page.goto(f"{live_server.url}/q/{expired.token}")
    assert page.get_by_role("heading", name="Deze link is verlopen").is_visible()
    assert_accessible(page, "expired link")
    page.goto(f"{live_server.url}/q/uitvraag/{expired.id}")
    assert page.get_by_role("heading", name="Open de link uit uw e-mail").is_visible()
    assert_accessible(page, "no session")


def test_on_a_phone_the_form_fits_the_screen_and_stays_accessible(live_server, session, browser):
    from bot.questionnaires.loader import parse_questionnaire
    from tests.support.factories import QUESTIONNAIRE_FILE

    # Dutch compounds as long as the real questionnaires' ("gegevensbeschermingseffectbeoordeling").
    text = QUESTIONNAIRE_FILE.read_text(encoding="utf-8")
    text = text.replace('title_nl = "Zekerheid"', 'title_nl = "Verwerkersovereenkomstenbeheer"')
    text = text.replace(
        "Heeft u een geldig ISO 27001-certificaat voor deze dienst?",
        "Levert u een gegevensbeschermingseffectbeoordelingsrapportage voor deze dienst?",
    )
    made = make_uitvraag(session, questionnaire=parse_questionnaire(text, name="long-words.toml"))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{made.token}")
        for path in ("", "/s/zekerheid", "/s/toegang", "/submit"):  # section ids stay as in the file
            page.goto(f"{live_server.url}/q/uitvraag/{made.id}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path or 'overview'} is {width}px wide: the phone has to scroll sideways"
        assert_accessible(page, "submission page on a phone")
    finally:
        context.close()
