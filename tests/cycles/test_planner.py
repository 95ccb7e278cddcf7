"""Planning a cycle: who is invited, grouped how, with which link, draft and mail; and nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.access import lookup_token
from bot.config import ConfigError
from bot.cycles.periods import period_for
from bot.cycles.planner import plan_cycles
from bot.models import (
    AccessToken,
    Answer,
    AuditLog,
    EvidenceFile,
    OutboxMessage,
    ReviewCycle,
    Uitvraag,
    UitvraagContract,
)
from tests.support.factories import make_contract, make_organisation, make_supplier, supplier_submits
from tests.support.mail import sent_text

OCT_1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
NEXT_FULL = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # the cycle of FULL_QUESTIONNAIRE_MONTH (January)


@pytest.mark.parametrize(
    ("day", "months", "name", "starts", "ends"),
    [
        (date(2026, 11, 15), 3, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), 3, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 7, 1), 6, "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        (date(2026, 6, 30), 6, "2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        (date(2026, 2, 28), 12, "2026", date(2026, 1, 1), date(2026, 12, 31)),
        (date(2028, 2, 29), 1, "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_cycle_names_follow_the_calendar(day: date, months: int, name: str, starts: date, ends: date) -> None:
    period = period_for(day, months)
    assert (period.name, period.starts_on, period.ends_on) == (name, starts, ends)


def _uitvragen(session: Session) -> list[Uitvraag]:
    return list(session.exec(select(Uitvraag).order_by(Uitvraag.id)))


def _contract_refs(session: Session, uitvraag: Uitvraag) -> list[str]:
    from bot.models import Contract

    rows = session.exec(
        select(Contract.reference)
        .join(UitvraagContract)
        .where(UitvraagContract.uitvraag_id == uitvraag.id)
        .order_by(Contract.reference)
    )
    return list(rows)


def test_a_supplier_with_two_contracts_gets_one_uitvraag_per_questionnaire(session: Session, app: Any) -> None:
    org = make_organisation(session)
    supplier = make_supplier(session, name="Zaakwerk BV", language="en")
    make_contract(
        session, organisation=org, supplier=supplier, reference="ZK-1", personal_data=True, owner_email="olga@g.test"
    )
    make_contract(
        session, organisation=org, supplier=supplier, reference="ZK-2", supplier_email="security@leverancier.test"
    )
    other = make_supplier(session, name="Drukwerk BV")
    make_contract(session, organisation=org, supplier=other, reference="DR-1", risk_tier="low")

    report = plan_cycles(session=session, config=app.config, now=OCT_1)

    assert report.uitvragen_created == 3 and report.mails_queued == 3 and report.cycles == ["2026-Q4"]
    by_questionnaire = {u.questionnaire_id: u for u in _uitvragen(session)}
    assert sorted(by_questionnaire) == ["avg-verwerker", "bio2-leverancier", "bio2-leverancier-licht"]
    full = by_questionnaire["bio2-leverancier"]
    assert _contract_refs(session, full) == ["ZK-1", "ZK-2"]
    assert _contract_refs(session, by_questionnaire["avg-verwerker"]) == ["ZK-1"]  # only ZK-1 processes personal data
    assert _contract_refs(session, by_questionnaire["bio2-leverancier-licht"]) == ["DR-1"]
    assert full.follow_up_number == 0 and full.kind == "regular" and full.status == "pending" and full.language == "en"
    assert full.deadline == datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)  # 30 days, to the end of the day

    mail = session.exec(select(OutboxMessage).where(OutboxMessage.uitvraag_id == full.id)).one()
    assert mail.kind == "invitation" and mail.idempotency_key == f"invitation:{full.id}"
    assert mail.to_addr == "security@leverancier.test" and mail.reply_to == "olga@g.test"
    assert mail.language == "en" and "ZK-1" in mail.body_text and "ZK-2" in mail.body_text
    # The link in the mail opens this uitvraag; only the token's hash is stored.
    token = sent_text(mail).split("http://localhost/q/")[1].split()[0]
    found = lookup_token(session, token, now=OCT_1)
    assert found.ok and found.token is not None and found.token.uitvraag_id == full.id
    assert token not in {t.token_hash for t in session.exec(select(AccessToken))}
    audit = session.exec(select(AuditLog).where(AuditLog.action == "uitvraag.invited")).all()
    assert len(audit) == 3


def test_planning_again_creates_nothing(session: Session, app: Any) -> None:
    org = make_organisation(session)
    for n in range(3):
        make_contract(session, organisation=org, reference=f"C-{n}")
    first = plan_cycles(session=session, config=app.config, now=OCT_1)
    later = datetime(2026, 11, 20, tzinfo=UTC)
    again = plan_cycles(session=session, config=app.config, now=later)
    assert first.uitvragen_created == 3
    assert (again.uitvragen_created, again.contracts_added, again.mails_queued) == (0, 0, 0)
    assert len(session.exec(select(OutboxMessage)).all()) == 3


def test_ended_and_future_contracts_are_not_invited(session: Session, app: Any) -> None:
    org = make_organisation(session)
    make_contract(session, organisation=org, reference="ENDED", end_date=date(2026, 9, 30))
    make_contract(session, organisation=org, reference="LAST-DAY", end_date=date(2026, 10, 1))
    make_contract(session, organisation=org, reference="LATER", start_date=date(2026, 11, 1))
    make_contract(session, organisation=org, reference="INACTIVE", active=False)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    assert [_contract_refs(session, u) for u in _uitvragen(session)] == [["LAST-DAY"]]


def test_a_contract_added_mid_quarter_is_picked_up_at_the_next_run(session: Session, app: Any) -> None:
    org = make_organisation(session)
    supplier = make_supplier(session)
    make_contract(session, organisation=org, supplier=supplier, reference="A")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    [first] = _uitvragen(session)

    # Mid-quarter: another contract with the same supplier, and one with a new supplier.
    make_contract(session, organisation=org, supplier=supplier, reference="B", start_date=date(2026, 11, 1))
    make_contract(session, organisation=org, reference="NEW", start_date=date(2026, 11, 1))
    report = plan_cycles(session=session, config=app.config, now=datetime(2026, 11, 2, 9, tzinfo=UTC))

    assert report.contracts_added == 1 and report.uitvragen_created == 1
    session.expire_all()
    uitvragen = _uitvragen(session)
    assert len(uitvragen) == 2
    assert _contract_refs(session, first) == ["A", "B"]  # joins the supplier's uitvraag: no second mail
    assert _contract_refs(session, uitvragen[1]) == ["NEW"]
    assert uitvragen[1].deadline == datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC)
    assert len(session.exec(select(OutboxMessage)).all()) == 2


def test_each_risk_tier_follows_its_own_cadence(session: Session, app: Any) -> None:
    app.config.update(CADENCE_MONTHS_LOW=12, CADENCE_MONTHS_MEDIUM=6, CADENCE_MONTHS_HIGH=3)
    org = make_organisation(session)
    for tier in ("low", "medium", "high"):
        make_contract(session, organisation=org, reference=tier, risk_tier=tier, start_date=date(2026, 1, 1))
    invited: dict[str, list[str]] = {}
    for month in range(1, 13):
        plan_cycles(session=session, config=app.config, now=datetime(2026, month, 2, tzinfo=UTC))
    for uitvraag in _uitvragen(session):
        cycle = session.get(ReviewCycle, uitvraag.cycle_id)
        for ref in _contract_refs(session, uitvraag):
            invited.setdefault(ref, []).append(cycle.name)
    assert invited == {
        "low": ["2026"],
        "medium": ["2026-H1", "2026-H2"],
        "high": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"],
    }


def test_an_impossible_cadence_is_refused_naming_the_setting(session: Session, app: Any) -> None:
    app.config["CADENCE_MONTHS_LOW"] = 5
    make_contract(session, risk_tier="low")
    with pytest.raises(ConfigError, match="CADENCE_MONTHS_LOW must be 1, 3, 6 or 12"):
        plan_cycles(session=session, config=app.config, now=OCT_1)


def test_the_draft_is_prefilled_from_the_last_submission(session: Session, app: Any, tmp_path: Path) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    org = make_organisation(session)
    make_contract(session, organisation=org, risk_tier="low")
    plan_cycles(session=session, config=app.config, now=datetime(2026, 7, 1, tzinfo=UTC))
    [q3] = _uitvragen(session)
    supplier_submits(
        session,
        q3,
        now=datetime(2026, 7, 10, tzinfo=UTC),
        answers={"patch-days-high-risk": 5, "mfa-remote-admin": "no"},
        expires_on=date(2027, 6, 30),
        upload_dir=upload_dir,
    )

    plan_cycles(session=session, config=app.config, now=NEXT_FULL)  # January: the yearly questionnaire again
    q4 = _uitvragen(session)[-1]
    drafts = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == q4.id))}
    assert drafts["patch-days-high-risk"].value == 5 and drafts["mfa-remote-admin"].value == "no"
    assert all(a.carried_over for a in drafts.values())
    [old_file] = session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == q3.id)).all()
    [new_file] = session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == q4.id)).all()
    assert new_file.carried_over and new_file.sha256 == old_file.sha256 and new_file.expires_on == date(2027, 6, 30)
    assert new_file.stored_name != old_file.stored_name
    assert (upload_dir / new_file.stored_name).read_bytes() == (upload_dir / old_file.stored_name).read_bytes()


def test_an_expired_certificate_is_not_carried_over(session: Session, app: Any) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    make_contract(session, risk_tier="low")
    plan_cycles(session=session, config=app.config, now=datetime(2026, 7, 1, tzinfo=UTC))
    [q3] = _uitvragen(session)
    supplier_submits(
        session, q3, now=datetime(2026, 7, 10, tzinfo=UTC), expires_on=date(2026, 9, 30), upload_dir=upload_dir
    )
    plan_cycles(session=session, config=app.config, now=NEXT_FULL)  # January: the yearly questionnaire again
    q4 = _uitvragen(session)[-1]
    assert session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == q4.id)).all() == []
    assert session.exec(select(Answer).where(Answer.uitvraag_id == q4.id)).first() is not None


def test_bot_cycle_plan_takes_now(runner: Any, session: Session) -> None:
    make_contract(session)
    result = runner.invoke(args=["cycle", "plan", "--now", "2027-01-02T08:00"])
    assert result.exit_code == 0, result.output
    assert "cycles 2027-Q1: 1 uitvragen created for 1 contracts" in result.output
    result = runner.invoke(args=["cycle", "plan", "--now", "2027-01-02T08:00"])
    assert "0 uitvragen created" in result.output
