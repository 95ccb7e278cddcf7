"""Walkthrough points 3/4: open findings and acceptances follow the contract into the next cycle.

Q3's findings nobody acted on are still open when Q4 starts: in the Q4 overview, on the Q4 uitvraag page and in the
register CSV. When the supplier then answers Q4, a fixed answer resolves its Q3 finding, a still-weak one carries it
into Q4 (nothing counts twice), and a Q3 acceptance that has not ended stays with the finding.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.models import Answer, Finding, FindingStatus, StaffUser, Uitvraag, UitvraagContract
from bot.staff.acceptance import AcceptanceLimits, decide_acceptance, propose_acceptance
from bot.supplier.submission import submit
from bot.timeutil import utcnow
from tests.staff.test_follow_up_findings_browser import ATTESTATION, _sign_in
from tests.supplier.helpers import fetch, rows
from tests.support.factories import make_cycle, make_organisation, make_staff, make_uitvraag

pytestmark = pytest.mark.browser

WEAK = {"has-iso": "no", "notice-hours": 48, "mfa": "no", "mfa-plan": "Later.", "controls": ["logging"]}


def _move_to_q3(session, uitvraag_id):
    q3 = make_cycle(session, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
    uitvraag = session.get(Uitvraag, uitvraag_id)
    uitvraag.cycle_id = q3.id
    session.add(uitvraag)
    for link in session.exec(select(UitvraagContract).where(UitvraagContract.uitvraag_id == uitvraag_id)):
        link.cycle_id = q3.id
        session.add(link)
    session.commit()


def _register(page, base):
    response = page.context.request.get(f"{base}/staff/export/register.csv")
    assert response.ok
    (row,) = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff")), delimiter=";"))
    return row


def test_open_findings_of_last_cycle_stay_open_in_the_next_until_an_answer_settles_them(live_server, session, page):
    base = live_server.url
    secret = live_server.app.config["SECRET_KEY"]
    q3 = make_uitvraag(session, carried_answers=WEAK)
    submit(
        session,
        uitvraag_id=q3.id,
        attestation=ATTESTATION,
        now=utcnow(),
        actor="supplier",
        base_url=base,
        secret_key=secret,
    )
    _move_to_q3(session, q3.id)
    ciso = make_staff(session, organisation=make_organisation(session), email="ciso@testdorp.nl")
    has_iso = next(
        f for f in rows(session, select(Finding).where(Finding.uitvraag_id == q3.id)) if f.question_id == "has-iso"
    )
    limits = AcceptanceLimits(critical_months=12, high_months=24)
    proposal = propose_acceptance(
        session,
        actor=session.get(StaffUser, ciso.id),
        finding=session.get(Finding, has_iso.id),
        reason="Certificering loopt, afgerond in het voorjaar.",
        mitigation="Jaarlijkse ISAE 3000-verklaring tot het certificaat er is.",
        until=date.today() + timedelta(days=120),
        limits=limits,
        now=utcnow(),
    )
    second = make_staff(session, organisation=make_organisation(session), email="ciso2@testdorp.nl", role="ciso")
    decide_acceptance(session, actor=second, acceptance=proposal, approve=True, note="", limits=limits, now=utcnow())
    session.commit()
    q4 = make_uitvraag(session, contracts=q3.contracts, carried_answers=WEAK)

    _sign_in(page, base, session, "ciso@testdorp.nl")
    page.goto(f"{base}/staff/?cycle=2026-Q4")
    row = page.locator("tbody tr", has_text="Leverancier BV").first
    assert "Kritiek 1" in row.inner_text() and "Hoog 1" in row.inner_text()
    page.goto(f"{base}/staff/uitvragen/{q4.id}")
    earlier = page.locator("#earlier-findings + p + ul")
    assert page.get_by_role("heading", name="Nog open uit eerdere ronden").is_visible()
    assert "Geen MFA op beheer op afstand." in earlier.inner_text() and "2026-Q3" in earlier.inner_text()
    assert "Risico geaccepteerd tot" in earlier.inner_text()  # the acceptance is shown with the finding
    assert page.locator(".staff-facts").get_by_text("Kritiek").is_visible()  # the risk level before Q4 is answered
    register = _register(page, base)
    # Open: MFA (critical), notice time (high), controls without back-ups (medium); the certificate is accepted.
    assert [register[k] for k in ("open_findings", "open_critical", "open_high", "open_medium")] == ["3", "1", "1", "1"]

    # The supplier answers Q4: MFA fixed, the incident notice time and the certificate still weak.
    mfa = session.exec(select(Answer).where(Answer.uitvraag_id == q4.id, Answer.question_id == "mfa")).one()
    mfa.value = "yes"
    session.add(mfa)
    session.commit()
    submit(
        session,
        uitvraag_id=q4.id,
        attestation=ATTESTATION,
        now=utcnow(),
        actor="supplier",
        base_url=base,
        secret_key=secret,
    )

    status = {f.question_id: f.status for f in rows(session, select(Finding).where(Finding.uitvraag_id == q3.id))}
    assert status == {
        "mfa": FindingStatus.RESOLVED,
        "notice-hours": FindingStatus.CARRIED,
        "has-iso": FindingStatus.CARRIED,
        "controls": FindingStatus.CARRIED,
    }
    q4_findings = {f.question_id: f for f in rows(session, select(Finding).where(Finding.uitvraag_id == q4.id))}
    assert set(q4_findings) == {"notice-hours", "has-iso", "controls"}
    assert q4_findings["has-iso"].status == FindingStatus.ACCEPTED  # the acceptance follows the finding
    assert q4_findings["has-iso"].accepted_reason.startswith("Certificering loopt, afgerond in het voorjaar.")

    page.goto(f"{base}/staff/uitvragen/{q4.id}")
    assert page.get_by_role("heading", name="Nog open uit eerdere ronden").count() == 0
    page.goto(f"{base}/staff/uitvragen/{q3.id}")
    mfa_card = page.locator(".staff-finding", has_text="Geen MFA op beheer op afstand.")
    assert "Opgelost" in mfa_card.inner_text() and "Regulier" in mfa_card.inner_text()
    register = _register(page, base)
    assert [register[k] for k in ("open_findings", "open_critical", "open_high", "open_medium")] == ["2", "0", "1", "1"]
    assert fetch(session, Uitvraag, q4.id).status == "submitted"
