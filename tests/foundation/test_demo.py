"""The demo a newcomer sees: the register, staff, and last quarter's history, made by the real functions."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from bot.demo import seed_demo
from bot.models import (
    Contract,
    Finding,
    LadderStep,
    OutboxMessage,
    RiskAcceptance,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
)


def test_demo_shows_the_whole_journey_and_running_it_again_changes_nothing(app, session):
    seed_demo(app)

    assert len(session.exec(select(Contract)).all()) == 6
    roles = Counter(u.role for u in session.exec(select(StaffUser)))
    assert roles == {"contract-manager": 3, "ciso": 1, "admin": 1}
    uitvragen = session.exec(select(Uitvraag)).all()
    submitted = session.exec(select(Submission)).all()
    assert len(submitted) >= 5 and len(uitvragen) > len(submitted)  # one supplier never answered
    assert any(f.severity == "critical" for f in session.exec(select(Finding)))
    # Escalated by findings: the supplier with only high findings to its owner; the critical one to the CISO too;
    # the owner's proposal to accept a critical risk waits for the CISO.
    steps = {(s.step, s.level) for s in session.exec(select(LadderStep))}
    assert ("owner-findings", "owner") in steps and ("ciso-findings", "ciso") in steps
    salaris = session.exec(select(Supplier).where(Supplier.name == "Salarisrekenaar BV")).one()
    [high_only] = session.exec(
        select(Uitvraag).where(Uitvraag.supplier_id == salaris.id, Uitvraag.questionnaire_id == "bio2-leverancier")
    ).all()
    severities = {f.severity for f in session.exec(select(Finding).where(Finding.uitvraag_id == high_only.id))}
    assert "high" in severities and "critical" not in severities
    high_steps = {s.step for s in session.exec(select(LadderStep).where(LadderStep.uitvraag_id == high_only.id))}
    assert "owner-findings" in high_steps  # and, untouched, later the CISO
    [waiting] = session.exec(select(RiskAcceptance).where(RiskAcceptance.status == "proposed")).all()
    assert waiting.severity == "critical"
    levels = {e.level for e in session.exec(select(LadderStep))}
    assert {"supplier", "owner", "ciso"} <= levels
    kinds = Counter(m.kind for m in session.exec(select(OutboxMessage)))
    assert kinds["invitation"] == len(uitvragen) and kinds["receipt"] == len(submitted)
    assert kinds["escalation-digest"] >= 3

    mails = len(session.exec(select(OutboxMessage)).all())
    session.commit()
    seed_demo(app)
    assert len(session.exec(select(Uitvraag)).all()) == len(uitvragen)
    assert len(session.exec(select(OutboxMessage)).all()) == mails
