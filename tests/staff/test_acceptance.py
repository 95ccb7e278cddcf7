"""Risk acceptance with governance: a contract manager proposes, the CISO decides; limits per severity; every step
in the audit log and on the uitvraag page; a lapsed acceptance comes back to the owner and, when critical, the CISO."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.models import AuditLog, Finding, RiskAcceptance, StaffUser
from bot.staff import acceptance
from bot.staff.acceptance import AcceptanceLimits, add_months, decide_acceptance, propose_acceptance
from bot.staff.actions import ActionError, NotAllowed
from bot.staff.attention import attention
from bot.staff.queries import finding_is_open
from tests.staff.world import sign_in
from tests.support.factories import make_staff

LIMITS = AcceptanceLimits(critical_months=12, high_months=24)


def audit(session, action):
    return session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def propose(session, world, now, finding=None, **kw):
    values = {
        "reason": "Beheer alleen via VPN met MFA ervoor",
        "mitigation": "Leverancier voert MFA in vóór 1 april; tot dan wekelijks logcontrole",
        "until": now.date() + timedelta(days=90),
    }
    values.update(kw)
    return propose_acceptance(
        session, actor=world.manager, finding=finding or world.finding, limits=LIMITS, now=now, **values
    )


def decide(session, person, proposal, approve, note, now):
    return decide_acceptance(
        session, actor=person, acceptance=proposal, approve=approve, note=note, limits=LIMITS, now=now
    )


def test_a_contract_manager_cannot_accept_a_critical_finding_alone(read, session, world, now):
    proposal = propose(session, world, now)
    session.commit()
    assert proposal.status == "proposed" and proposal.proposed_by_id == world.manager.id
    assert world.finding.status == "open" and finding_is_open(world.finding, now.date())
    (entry,) = audit(session, "finding.acceptance-proposed")
    assert entry.actor == "staff:olga@testdorp.nl" and entry.at == now
    assert entry.detail["mitigation"].startswith("Leverancier voert MFA in")
    assert not audit(session, "finding.risk-accepted")
    # The contract manager cannot approve it, nor can anyone who is not a CISO.
    for person in (world.manager, world.other_manager):
        with pytest.raises(ActionError) as error:
            decide_acceptance(session, actor=person, acceptance=proposal, approve=True, note="", limits=LIMITS, now=now)
        assert "CISO" in read(error.value)
    assert world.finding.status == "open"


def test_the_cisos_approval_accepts_the_risk_and_is_audited(app, session, world, now):
    proposal = propose(session, world, now)
    later = now + timedelta(hours=3)
    decide_acceptance(
        session, actor=world.ciso, acceptance=proposal, approve=True, note="Akkoord, mits Q1", limits=LIMITS, now=later
    )
    session.commit()
    assert (proposal.status, proposal.decided_by_id, proposal.decided_at) == ("approved", world.ciso.id, later)
    assert world.finding.status == "accepted" and world.finding.accepted_until == proposal.until
    assert world.finding.accepted_by_id == world.ciso.id
    assert not finding_is_open(world.finding, proposal.until)
    assert finding_is_open(world.finding, proposal.until + timedelta(days=1))
    (entry,) = audit(session, "finding.acceptance-approved")
    assert entry.actor == "staff:ciso@testdorp.nl" and entry.detail["proposed_by"] == world.manager.id
    assert entry.detail["note"] == "Akkoord, mits Q1"
    with app.app_context(), pytest.raises(ActionError, match="al besloten"):
        decide(session, world.ciso, proposal, False, "x", now)


def test_a_rejection_needs_a_reason_and_leaves_the_finding_open(session, world, now):
    proposal = propose(session, world, now)
    with pytest.raises(ActionError) as error:
        decide(session, world.ciso, proposal, False, " ", now)
    assert error.value.field == "note"
    decide_acceptance(
        session, actor=world.ciso, acceptance=proposal, approve=False, note="MFA eerst", limits=LIMITS, now=now
    )
    session.commit()
    assert proposal.status == "rejected" and world.finding.status == "open"
    assert [e.detail["note"] for e in audit(session, "finding.acceptance-rejected")] == ["MFA eerst"]
    # After a rejection a new proposal can be made.
    assert propose(session, world, now, until=now.date() + timedelta(days=30)).status == "proposed"


def test_one_proposal_waits_at_a_time(app, session, world, now):
    propose(session, world, now)
    with app.app_context(), pytest.raises(ActionError, match="wacht al een voorstel"):
        propose(session, world, now)


def test_a_ciso_does_not_approve_their_own_proposal(app, session, world, now):
    proposal = propose_acceptance(
        session,
        actor=world.ciso,
        finding=world.finding,
        reason="Leverancier voert MFA in vóór 1 april",
        mitigation="Contract wordt aangepast",
        until=now.date() + timedelta(days=30),
        limits=LIMITS,
        now=now,
    )
    with app.app_context(), pytest.raises(ActionError, match="andere CISO"):
        decide_acceptance(session, actor=world.ciso, acceptance=proposal, approve=True, note="", limits=LIMITS, now=now)
    second = make_staff(session, organisation=world.organisation, email="ciso2@testdorp.nl", role="ciso")
    decide_acceptance(session, actor=second, acceptance=proposal, approve=True, note="", limits=LIMITS, now=now)
    assert world.finding.status == "accepted"


def test_a_ciso_of_another_organisation_may_not_decide(session, world, other, now):
    proposal = propose(session, world, now)
    with pytest.raises(NotAllowed):
        decide_acceptance(session, actor=other.ciso, acceptance=proposal, approve=True, note="", limits=LIMITS, now=now)


def extra_finding(session, world, now, severity):
    finding = Finding(
        uitvraag_id=world.uitvraag.id,
        question_id="security-contact",
        rule="missing",
        severity=severity,
        measure_ids=["5.20.05"],
        reason_nl="Geen contactpersoon voor beveiliging.",
        reason_en="No security contact.",
        created_at=now,
    )
    session.add(finding)
    session.flush()
    return finding


@pytest.mark.parametrize("severity, months, limit", [("critical", 12, "12 maanden"), ("high", 24, "24 maanden")])
def test_an_end_date_beyond_the_limit_is_refused_naming_the_limit(read, session, world, now, severity, months, limit):
    finding = extra_finding(session, world, now, severity)
    latest = add_months(now.date(), months)
    with pytest.raises(ActionError) as error:
        propose(session, world, now, finding=finding, until=latest + timedelta(days=1))
    assert error.value.field == "until" and limit in read(error.value) and f"{months} months" in read(error.value, "en")
    assert propose(session, world, now, finding=finding, until=latest).until == latest
    assert not session.exec(select(RiskAcceptance).where(RiskAcceptance.until > latest)).all()


def test_the_limits_come_from_the_settings(app, session, world, now):
    limits = AcceptanceLimits.from_config({"RISK_ACCEPT_CRITICAL_MONTHS": 3, "RISK_ACCEPT_HIGH_MONTHS": ""})
    assert (limits.critical_months, limits.high_months) == (3, 24)
    with app.app_context(), pytest.raises(ActionError, match="3 maanden"):
        propose_acceptance(
            session,
            actor=world.manager,
            finding=world.finding,
            reason="r",
            mitigation="m",
            until=add_months(now.date(), 4),
            limits=limits,
            now=now,
        )


@pytest.mark.parametrize(
    "reason, mitigation, days, field",
    [("", "m", 30, "reason"), ("r", "", 30, "mitigation"), ("r", "m", 0, "until"), ("r", "m", None, "until")],
)
def test_a_proposal_needs_reason_mitigation_and_a_future_end_date(session, world, now, reason, mitigation, days, field):
    until = None if days is None else now.date() + timedelta(days=days)
    with pytest.raises(ActionError) as error:
        propose(session, world, now, reason=reason, mitigation=mitigation, until=until)
    assert error.value.field == field
    assert not session.exec(select(RiskAcceptance).where(RiskAcceptance.finding_id == world.finding.id)).all()


def test_a_medium_finding_is_accepted_by_its_owner_at_once(session, world, now):
    medium = extra_finding(session, world, now, "medium")
    row = propose(session, world, now, finding=medium, mitigation="", until=add_months(now.date(), 36))
    assert row.status == "approved" and medium.status == "accepted" and medium.accepted_by_id == world.manager.id
    assert [e.detail["severity"] for e in audit(session, "finding.risk-accepted")] == ["medium"]


def test_the_ciso_sees_what_waits_for_approval_and_the_proposer_sees_their_own(session, world, now):
    proposal = propose(session, world, now)
    session.commit()
    for person in (world.ciso, world.manager):  # oldest first
        waiting = attention(session, user=person, now=now).acceptances_awaiting_approval
        assert [(a.id, f.id) for a, f, _ in waiting] == [
            (world.acceptance.id, world.finding_high.id),
            (proposal.id, world.finding.id),
        ]
    assert attention(session, user=world.other_manager, now=now).acceptances_awaiting_approval == []
    decide(session, world.ciso, proposal, True, "", now)
    decide(session, world.ciso, world.acceptance, False, "Eerst het contract aanpassen", now)
    session.commit()
    assert attention(session, user=world.ciso, now=now).acceptances_awaiting_approval == []


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 3), 12) == date(2028, 12, 3)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_the_uitvraag_page_shows_the_proposal_and_the_cisos_decision(client, session, world, now):
    sign_in(client, world.manager, now)
    page_url = f"/staff/uitvragen/{world.uitvraag.id}"
    until = (now.date() + timedelta(days=60)).isoformat()
    response = client.post(
        f"/staff/findings/{world.finding.id}/accept",
        data={"reason": "VPN met MFA ervoor", "mitigation": "Wekelijkse logcontrole", "until": until},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "wacht op de goedkeuring van de CISO" in page
    assert "Wachten op de goedkeuring van de CISO" in page and "Wekelijkse logcontrole" in page
    assert "acceptance-" in page and "Goedkeuren" not in page  # the manager cannot decide
    session.expire_all()
    [proposal] = session.exec(select(RiskAcceptance).where(RiskAcceptance.finding_id == world.finding.id)).all()
    session.commit()  # end the read, so the web request may write
    assert client.post(f"/staff/acceptances/{proposal.id}/decide", data={"decision": "approve"}).status_code == 302
    session.expire_all()
    assert session.get(RiskAcceptance, proposal.id).status == "proposed"
    session.commit()

    sign_in(client, world.ciso, now)
    session.commit()
    page = client.get(page_url).get_data(as_text=True)
    assert f'action="/staff/acceptances/{proposal.id}/decide"' in page
    decision = {"decision": "approve", "note": "Akkoord"}
    response = client.post(f"/staff/acceptances/{proposal.id}/decide", data=decision, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Het risico is geaccepteerd." in page
    assert "Goedgekeurd door de CISO Chris Ciso" in page and "Risicoacceptatie goedgekeurd door de CISO" in page
    session.expire_all()
    assert session.get(Finding, world.finding.id).status == "accepted"


def test_a_limit_breach_through_the_form_names_the_limit(client, world, now):
    sign_in(client, world.manager, now)
    too_late = add_months(now.date(), 12) + timedelta(days=1)
    page = client.post(
        f"/staff/findings/{world.finding.id}/accept",
        data={"reason": "r", "mitigation": "m", "until": too_late.isoformat()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "hoogstens 12 maanden" in page


def test_only_a_ciso_is_offered_the_decision(session, world, now):
    proposal = propose(session, world, now)
    admin = make_staff(session, organisation=world.organisation, email="admin@testdorp.nl", role="admin")
    assert acceptance.may_decide(world.ciso, proposal)
    assert not acceptance.may_decide(world.manager, proposal)
    assert not acceptance.may_decide(admin, proposal)
    assert isinstance(admin, StaffUser)
