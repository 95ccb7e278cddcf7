"""A year of quarterly review cycles rehearsed with `bot worker --once --now T`: the full (or light) questionnaire
once, in the cycle of FULL_QUESTIONNAIRE_MONTH, and the short update questionnaire in the three other quarters,
each pre-filled from the supplier's last answers; "nothing changed" is one answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.models import Answer, Contract, EvidenceFile, Finding, ReviewCycle, Uitvraag, UitvraagContract
from bot.questionnaires.selection import FULL, LIGHT, PROCESSOR, UPDATE, yearly_or_update
from bot.supplier.drafts import save_answers
from bot.supplier.state import load_state
from bot.supplier.submission import submit as supplier_submit
from tests.support.factories import SUPPLIER_ACTOR as ACTOR
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier, supplier_submits
from tests.support.mail import TEST_SECRET_KEY

CONTACT = "Sam Leverancier, security@zaakwerk.test, 030 123 45 67"
NEW_CONTACT = "Noor Bakker, soc@zaakwerk.test, 030 765 43 21"  # given in the third quarter's update


def _register(session: Session) -> None:
    hofstad = make_organisation(session, "Gemeente Hofstad")
    make_staff(session, organisation=hofstad, email="ciso@hofstad.test", name="Carla de Vries")
    values = {"start_date": date(2026, 1, 1), "owner_email": "olga@hofstad.test", "owner_name": "Olga"}
    make_contract(
        session, organisation=hofstad, supplier=make_supplier(session, "Zaakwerk BV"), reference="A1",
        risk_tier="high", personal_data=True, supplier_email="security@zaakwerk.test", **values,
    )  # fmt: skip
    make_contract(
        session, organisation=hofstad, supplier=make_supplier(session, "Printerij NV"), reference="B1",
        risk_tier="low", supplier_email="info@printerij.test", **values,
    )  # fmt: skip


def _pending(session: Session, supplier_name: str, questionnaire_id: str) -> Uitvraag:
    from bot.models import Supplier

    found = session.exec(
        select(Uitvraag)
        .join(Supplier, Supplier.id == Uitvraag.supplier_id)
        .where(Supplier.name == supplier_name, Uitvraag.questionnaire_id == questionnaire_id)
        .where(Uitvraag.status == "pending")
        .order_by(Uitvraag.id.desc())
    ).first()
    assert found is not None, (supplier_name, questionnaire_id)
    return found


def _nothing_changed(session: Session, uitvraag: Uitvraag, now: datetime) -> None:
    """The supplier answers the update's first question with "nothing changed" and submits: one step."""
    uitvraag_id = uitvraag.id
    assert uitvraag_id is not None
    session.commit()
    state = load_state(session, uitvraag_id=uitvraag_id)
    assert not save_answers(session, state=state, values={"update-changed": "nothing"}, now=now, actor=ACTOR)
    session.commit()
    supplier_submit(
        session,
        uitvraag_id=uitvraag_id,
        attestation={"name": "Sam", "role": "Security officer", "email": uitvraag.recipient_email, "truthful": True},
        now=now,
        actor=ACTOR,
        base_url="http://localhost",
        secret_key=TEST_SECRET_KEY,
        upload_dir=None,
    )
    session.expire_all()


def test_the_update_is_asked_between_two_yearly_questionnaires() -> None:
    yearly = [FULL, PROCESSOR]
    assert yearly_or_update(yearly, full_cycle=True, answered_before=True, asked_this_cycle=False) == yearly
    assert yearly_or_update(yearly, full_cycle=False, answered_before=True, asked_this_cycle=False) == [UPDATE]
    # A new contract starts with the full questionnaire, also outside its month, and keeps it for that cycle.
    assert yearly_or_update(yearly, full_cycle=False, answered_before=False, asked_this_cycle=False) == yearly
    assert yearly_or_update(yearly, full_cycle=False, answered_before=True, asked_this_cycle=True) == yearly


def test_a_year_gives_one_full_questionnaire_and_three_prefilled_updates(
    app: Any, session: Session, runner: Any, tmp_path: Path
) -> None:
    assert app.config["FULL_QUESTIONNAIRE_MONTH"] == 1  # the default: the yearly questionnaire in the first quarter
    uploads = app.config["UPLOAD_DIR"]
    _register(session)

    def answer_yearly(now: datetime) -> None:
        contact = {"security-contact": CONTACT}
        supplier_submits(session, _pending(session, "Zaakwerk BV", FULL), now=now, answers=contact, upload_dir=uploads)
        supplier_submits(session, _pending(session, "Zaakwerk BV", PROCESSOR), now=now, upload_dir=uploads)
        supplier_submits(session, _pending(session, "Printerij NV", LIGHT), now=now, upload_dir=uploads)

    def answer_updates(now: datetime) -> None:
        _nothing_changed(session, _pending(session, "Zaakwerk BV", UPDATE), now)
        _nothing_changed(session, _pending(session, "Printerij NV", UPDATE), now)

    def takeover_unannounced(now: datetime) -> None:
        changed = {
            "update-changed": "changed",
            "update-incidents": "no",
            "update-chain": "no",
            "update-control": "yes",
            "update-control-notified": "no",
            "update-certificates": "no",
            "security-contact": NEW_CONTACT,
        }
        supplier_submits(
            session, _pending(session, "Zaakwerk BV", UPDATE), now=now, answers=changed, upload_dir=uploads
        )
        _nothing_changed(session, _pending(session, "Printerij NV", UPDATE), now)

    actions = {
        date(2027, 1, 12): answer_yearly,
        date(2027, 4, 12): answer_updates,
        date(2027, 7, 12): takeover_unannounced,
        date(2027, 10, 12): answer_updates,
    }
    prefilled: dict[int, dict[str, Any]] = {}  # each new uitvraag's draft answers right after it was planned
    carried_files: dict[int, list[str]] = {}
    # The worker ticks on the first of each quarter (planning) and on the 12th (after the supplier answered).
    moments = [datetime(2027, month, day, 9, tzinfo=UTC) for month in (1, 4, 7, 10) for day in (1, 12)]
    for moment in moments:
        action = actions.get(moment.date())
        if action is not None:
            action(moment - timedelta(hours=1))
        session.rollback()  # the worker needs the database: end the test's reads
        result = runner.invoke(args=["worker", "--once", "--now", moment.isoformat()])
        assert result.exit_code == 0, result.output
        for uitvraag in session.exec(select(Uitvraag).order_by(Uitvraag.id)):
            if uitvraag.id not in prefilled:
                answers = session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag.id)).all()
                prefilled[uitvraag.id] = {a.question_id: a.value for a in answers if a.carried_over}
                files = session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == uitvraag.id)).all()
                carried_files[uitvraag.id] = sorted(f.question_id for f in files if f.carried_over)
        session.commit()

    ref = {c.id: c.reference for c in session.exec(select(Contract))}
    cycle = {c.id: c.name for c in session.exec(select(ReviewCycle))}
    asked: dict[str, list[tuple[str, str]]] = {"A1": [], "B1": []}
    updates: dict[str, list[int]] = {"A1": [], "B1": []}
    for link in session.exec(select(UitvraagContract).order_by(UitvraagContract.uitvraag_id)):
        asked[ref[link.contract_id]].append((cycle[link.cycle_id], link.questionnaire_id))
        if link.questionnaire_id == UPDATE:
            updates[ref[link.contract_id]].append(link.uitvraag_id)
    # What is asked when: the yearly questionnaires in the first quarter, the update in the three others.
    assert asked == {
        "A1": [
            ("2027-Q1", FULL),
            ("2027-Q1", PROCESSOR),
            ("2027-Q2", UPDATE),
            ("2027-Q3", UPDATE),
            ("2027-Q4", UPDATE),
        ],
        "B1": [("2027-Q1", LIGHT), ("2027-Q2", UPDATE), ("2027-Q3", UPDATE), ("2027-Q4", UPDATE)],
    }
    # Each update is pre-filled with what the municipality has on record: the contact from the full questionnaire
    # (and, for the full questionnaire's supplier, its ISO 27001 certificate and answer).
    assert [prefilled[i]["security-contact"] for i in updates["A1"]] == [CONTACT, CONTACT, NEW_CONTACT]
    for uitvraag_id in updates["A1"]:
        assert prefilled[uitvraag_id]["iso27001-certified"] == "yes"
        assert set(carried_files[uitvraag_id]) == {"iso27001-certificate"}  # Q3 uploaded a second copy
    for uitvraag_id in updates["B1"]:
        assert prefilled[uitvraag_id]["security-contact"] and "uses-subcontractors" in prefilled[uitvraag_id]
    # "Nothing changed" in one answer was enough to submit.
    statuses = {u.id: u.status for u in session.exec(select(Uitvraag))}
    assert [statuses[i] for i in updates["A1"] + updates["B1"]] == ["submitted"] * 6
    # The unannounced takeover of Q3 is a high finding that stays open in Q4 (not asked again: carried over).
    found = session.exec(
        select(Finding).where(Finding.question_id == "update-control-notified").order_by(Finding.id)
    ).all()
    assert [(f.uitvraag_id, f.status, f.severity) for f in found] == [
        (updates["A1"][1], "carried-over", "high"),
        (updates["A1"][2], "open", "high"),
    ]
    assert "De leverancier geeft aan" in found[0].reason_nl
