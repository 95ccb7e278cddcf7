"""Walkthrough point 2: after a follow-up, a finding reads "Opgelost" only when the new answer is no longer weak.

The supplier answers the follow-up in the browser, fixes the incident notice time and keeps "Nee" for MFA; the CISO
then reads the original uitvraag, the follow-up and the printable report.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from bot.models import OutboxMessage, UitvraagKind
from bot.supplier.submission import submit
from bot.timeutil import utcnow
from tests.supplier.helpers import fetch
from tests.support.factories import make_organisation, make_staff, make_uitvraag
from tests.support.mail import mail_signin_requests, sent_text

pytestmark = pytest.mark.browser

ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": True}


def _sign_in(page: Any, base: str, session: Any, email: str) -> None:
    page.goto(f"{base}/staff/signin")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_text("Als dit adres toegang heeft").wait_for()
    mail_signin_requests(session)
    (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all()
    session.commit()
    token = re.search(r"/staff/signin/([A-Za-z0-9_-]{43})", sent_text(row)).group(1)
    page.goto(f"{base}/staff/signin/{token}")
    page.get_by_role("button", name="Aanmelden").click()


def test_a_finding_still_weak_in_the_follow_up_is_carried_over_not_resolved(live_server, session, page):
    base = live_server.url
    parent = make_uitvraag(
        session,
        carried_answers={
            "has-iso": "no",
            "notice-hours": 48,
            "mfa": "no",
            "mfa-plan": "Later.",
            "controls": ["logging"],
        },
    )
    secret = live_server.app.config["SECRET_KEY"]
    submit(
        session,
        uitvraag_id=parent.id,
        attestation=ATTESTATION,
        now=utcnow(),
        actor="supplier",
        base_url=base,
        secret_key=secret,
    )
    follow_up = make_uitvraag(
        session,
        contracts=parent.contracts,
        kind=UitvraagKind.FOLLOW_UP,
        parent=fetch(session, type(parent.uitvraag), parent.id),
        question_ids=["notice-hours", "mfa"],
        remark="Graag MFA invoeren en de meldtermijn verkorten.",
    )
    make_staff(session, organisation=make_organisation(session), email="ciso@testdorp.nl")

    # The supplier answers the follow-up: notice time fixed, MFA still "Nee" (kept as pre-filled).
    page.goto(f"{base}/q/{follow_up.token}")
    page.goto(f"{base}/q/uitvraag/{follow_up.id}/s/zekerheid")
    page.get_by_label("Binnen hoeveel uur meldt u een incident?").fill("4")
    page.get_by_role("button", name="Opslaan en volgende onderdeel").click()
    assert page.get_by_label("Nee", exact=True).is_checked()
    page.get_by_role("button", name="Opslaan en naar indienen").click()
    page.get_by_label("Uw naam").fill("Sam Leverancier")
    page.get_by_label("Uw functie").fill("Security officer")
    page.get_by_label("Uw e-mailadres").fill("sam@leverancier.test")
    page.get_by_label(re.compile("naar waarheid")).check()
    page.get_by_role("button", name="Definitief indienen").click()
    assert page.get_by_role("heading", name="Ontvangstbewijs").is_visible()

    page.context.clear_cookies()
    _sign_in(page, base, session, "ciso@testdorp.nl")
    page.goto(f"{base}/staff/uitvragen/{parent.id}")
    mfa = page.locator(".staff-finding", has_text="Geen MFA op beheer op afstand.")
    assert "Nog steeds zwak in de vervolgvraag: doorgezet naar Vervolgvraag 1" in mfa.inner_text()
    assert "Opgelost" not in mfa.inner_text()
    notice = page.locator(".staff-finding", has_text="Later dan 24 uur.")
    assert re.search(r"Opgelost .* door Vervolgvraag 1", notice.inner_text())
    # The critical finding is open on the follow-up, where the owner can act on it.
    mfa.get_by_role("link", name="Vervolgvraag 1").click()
    still = page.locator(".staff-finding", has_text="Geen MFA op beheer op afstand.")
    assert still.get_by_text("Risicoacceptatie voorstellen").first.is_visible()  # critical: the CISO approves

    page.goto(f"{base}/staff/report/2026-Q4")
    report = page.locator("main").inner_text()
    assert "Nog open: doorgezet naar Vervolgvraag 1" in report
    rows = page.locator("tr", has_text="Geen MFA op beheer op afstand.")
    decisions = [rows.nth(i).locator("td").last.inner_text().strip() for i in range(rows.count())]
    assert sorted(decisions) == ["Nog open: doorgezet naar Vervolgvraag 1", "Open"]
