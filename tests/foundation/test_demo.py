"""The demo a newcomer sees: the register, staff, and last quarter's history, made by the real functions."""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, select

from bot.demo import seed_demo
from bot.models import (
    Contract,
    Declaration,
    DeclarationMember,
    Finding,
    LadderStep,
    Organisation,
    OutboxMessage,
    RiskAcceptance,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
)


def test_demo_shows_the_whole_journey_and_running_it_again_changes_nothing(app, session):
    seed_demo(app)

    assert len(session.exec(select(Contract)).all()) == 10
    roles = Counter(u.role for u in session.exec(select(StaffUser)))
    assert roles == {"contract-manager": 7, "ciso": 3, "admin": 1, "sector": 1}
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
    # Members of a shared declaration get no invitation of their own (their supplier answers on the lead's link).
    members = session.exec(
        select(DeclarationMember.uitvraag_id)
        .join(Declaration, col(Declaration.id) == DeclarationMember.declaration_id)
        .where(col(Declaration.lead_uitvraag_id) != DeclarationMember.uitvraag_id)
    ).all()
    assert kinds["invitation"] == len(uitvragen) - len(members)
    received = [s for s in submitted if s.uitvraag_id in set(members)]  # the supplier got the lead's receipt
    assert kinds["receipt"] == len(submitted) - len(received)
    assert kinds["escalation-digest"] >= 3

    mails = len(session.exec(select(OutboxMessage)).all())
    session.commit()
    seed_demo(app)
    assert len(session.exec(select(Uitvraag)).all()) == len(uitvragen)
    assert len(session.exec(select(OutboxMessage)).all()) == mails


def test_in_the_demo_two_suppliers_answer_once_for_three_municipalities_and_each_judges_on_its_own(app, session):
    seed_demo(app)
    town_of = {o.id: o.name for o in session.exec(select(Organisation))}
    shared = {}
    for declaration in session.exec(select(Declaration).order_by(col(Declaration.id))).all():
        supplier = session.get(Supplier, declaration.supplier_id)
        member_ids = session.exec(
            select(DeclarationMember.uitvraag_id).where(DeclarationMember.declaration_id == declaration.id)
        ).all()
        shared.setdefault(supplier.name, []).append([session.get(Uitvraag, i) for i in member_ids])
    # Last quarter's declarations of both shared suppliers reached all three municipalities, answered once.
    for name in ("Zaakwerk BV", "Hostinghuis Oost NV"):
        answered = [m for m in shared[name] if all(u.status == "submitted" for u in m)]
        assert answered, name
        assert sorted(town_of[u.organisation_id] for u in answered[0]) == [
            "Gemeente Heidedorp",
            "Gemeente Rivierdal",
            "Gemeente Voorbeeldstad",
        ]
    weak = next(m for m in shared["Hostinghuis Oost NV"] if all(u.status == "submitted" for u in m))
    for uitvraag in weak:
        findings = session.exec(select(Finding).where(Finding.uitvraag_id == uitvraag.id)).all()
        assert any(f.severity == "critical" for f in findings)
        cisos = {
            s.recipient_email
            for s in session.exec(select(LadderStep).where(LadderStep.uitvraag_id == uitvraag.id))
            if s.level == "ciso"
        }
        town = town_of[uitvraag.organisation_id].split()[-1].lower()
        assert cisos == {f"ciso@{town}.example"}  # its own CISO, nobody else's
