"""Weak answers climb the ladder by their findings, not by a score: owners first, critical ones to the CISO at once,
high ones nobody acted on to the CISO later; each step once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.cycles.ladder import escalation_due
from bot.cycles.planner import plan_cycles
from bot.cycles.sweep import sweep
from bot.models import Finding, OutboxMessage, StaffUser, Uitvraag
from bot.questionnaires.judge import judge_question
from bot.questionnaires.model import Question
from bot.staff.acceptance import AcceptanceLimits, decide_acceptance, propose_acceptance
from bot.supplier.state import load_state
from tests.cycles.support import steps
from tests.support.factories import make_contract, make_organisation, make_staff, supplier_submits

OCT_1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SUBMITTED_AT = datetime(2026, 10, 10, 9, 0, tzinfo=UTC)
OWNER = "olga@gemeente.test"
CISO = "ciso@gemeente.test"


def _uitvraag(session: Session) -> Uitvraag:
    [uitvraag] = session.exec(select(Uitvraag)).all()
    return uitvraag


def _candidates(question: Question, today: date) -> list[Any]:
    """Answers that could make a rule of `question` fire: its rules' options and just past its thresholds."""
    values: list[Any] = []
    for rule in question.rules:
        values.extend([o] if question.type == "multi-choice" else o for o in rule.options)
        if rule.above is not None:
            values.append(int(rule.above) + 1)
        if rule.below is not None:
            values.append(int(rule.below) - 1)
        if rule.older_than_days is not None:
            values.append((today - timedelta(days=rule.older_than_days + 1)).isoformat())
    return values


def _weak_answers(session: Session, uitvraag: Uitvraag, severity: str, count: int) -> dict[str, Any]:
    """`count` answers to the shipped file's unconditional questions that the real judge finds `severity` weak."""
    state = load_state(session, uitvraag_id=uitvraag.id)
    today = SUBMITTED_AT.date()
    answers: dict[str, Any] = {}
    for question in state.questionnaire.questions():
        if question.show_if or question.type == "evidence" or not state.in_scope(question):
            continue
        for value in _candidates(question, today):
            found, _ = judge_question(question, value, (), today)
            if [f.severity for f in found] == [severity]:
                answers[question.id] = value
                break
        if len(answers) == count:
            return answers
    raise AssertionError(f"{state.questionnaire.id} has fewer than {count} {severity} answers")


def _setup(session: Session, app: Any, *, risk_tier: str = "high") -> tuple[Uitvraag, Any]:
    org = make_organisation(session)
    make_contract(session, organisation=org, owner_email=OWNER, risk_tier=risk_tier)
    make_staff(session, organisation=org, email=CISO, role="ciso", name="Carla CISO")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    return _uitvraag(session), org


def _digests(session: Session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.kind == "escalation-digest").order_by(OutboxMessage.id)
    return list(session.exec(statement))


def _open(session: Session, uitvraag: Uitvraag, severity: str) -> list[Finding]:
    statement = select(Finding).where(Finding.uitvraag_id == uitvraag.id, Finding.severity == severity)
    return [f for f in session.exec(statement.order_by(Finding.question_id)) if f.status == "open"]


def test_fourteen_high_findings_reach_the_owner_in_one_digest_and_not_the_ciso(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 14))
    highs = _open(session, uitvraag, "high")
    assert len(highs) >= 14 and not _open(session, uitvraag, "critical")
    assert uitvraag.score is not None and uitvraag.score > 60  # the old score threshold would have stayed silent

    report = sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(minutes=5))
    assert report.findings == 1 and report.ciso_findings == 0 and report.digests == 1
    [digest] = _digests(session)
    assert digest.to_addr == OWNER
    assert "Risiconiveau: hoog (de ernstigste open bevinding)" in digest.body_text
    for finding in highs:
        assert finding.reason_nl.split(".")[0][:40] in digest.body_text
    # Nothing twice: the next sweeps, within CISO_ESCALATION_DAYS, stay silent.
    for days in (1, 7, 13):
        later = sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(days=days))
        assert later.findings == later.ciso_findings == later.digests == 0
    assert steps(session, uitvraag.id) == [("owner-findings", OWNER)]


def test_an_untouched_high_finding_climbs_to_the_ciso_after_ciso_escalation_days(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 3))
    told = SUBMITTED_AT + timedelta(minutes=5)
    assert sweep(session=session, config=app.config, now=told).findings == 1
    days = int(app.config["CISO_ESCALATION_DAYS"])
    assert sweep(session=session, config=app.config, now=told + timedelta(days=days, seconds=-1)).ciso_findings == 0
    assert sweep(session=session, config=app.config, now=told + timedelta(days=days)).ciso_findings == 1
    assert sweep(session=session, config=app.config, now=told + timedelta(days=days + 7)).ciso_findings == 0
    assert steps(session, uitvraag.id) == [("owner-findings", OWNER), ("ciso-findings", CISO)]
    owner_digest, ciso_digest = _digests(session)
    assert (owner_digest.to_addr, ciso_digest.to_addr) == (OWNER, CISO)
    assert _open(session, uitvraag, "high")[0].reason_nl.split(".")[0][:40] in ciso_digest.body_text


def test_high_findings_someone_accepted_do_not_climb_to_the_ciso(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 3))
    assert sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(minutes=5)).findings == 1
    for finding in _open(session, uitvraag, "high"):
        finding.status, finding.accepted_until, finding.accepted_reason = (
            "accepted",
            SUBMITTED_AT.date().replace(year=2027),
            "Exitplan in 2027",
        )
        session.add(finding)
    session.commit()
    assert sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(days=30)).ciso_findings == 0


def test_one_critical_finding_reaches_owner_and_ciso_in_the_same_sweep(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "critical", 1))
    assert len(_open(session, uitvraag, "critical")) == 1

    report = sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(minutes=5))
    assert report.findings == 1 and report.ciso_findings == 1 and report.digests == 2
    assert sorted(m.to_addr for m in _digests(session)) == [CISO, OWNER]
    assert all("Risiconiveau: kritiek" in m.body_text for m in _digests(session))
    again = sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(days=20))
    assert again.findings == again.ciso_findings == again.digests == 0


def test_two_high_findings_wait_until_one_stays_open_past_its_deadline(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 2))
    assert len(_open(session, uitvraag, "high")) == 2
    days = int(app.config["HIGH_FINDING_DAYS"])
    for moment in (SUBMITTED_AT + timedelta(minutes=5), SUBMITTED_AT + timedelta(days=days, seconds=-1)):
        assert sweep(session=session, config=app.config, now=moment).findings == 0
    assert sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(days=days)).findings == 1


def test_the_light_questionnaires_worst_non_critical_answers_escalate(session: Session, app: Any) -> None:
    uitvraag, _ = _setup(session, app, risk_tier="low")
    assert "licht" in uitvraag.questionnaire_id
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 3))
    assert not _open(session, uitvraag, "critical")
    report = sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(minutes=5))
    assert report.findings == 1 and [m.to_addr for m in _digests(session)] == [OWNER]


def test_the_count_rule_is_configurable() -> None:
    config = {"ESCALATE_CRITICAL_COUNT": 1, "ESCALATE_HIGH_COUNT": 3, "HIGH_FINDING_DAYS": 30}
    now = SUBMITTED_AT
    fresh, old = now - timedelta(days=1), now - timedelta(days=30)
    assert escalation_due(critical=1, high=0, oldest_high=None, config=config, now=now)
    assert escalation_due(critical=0, high=3, oldest_high=fresh, config=config, now=now)
    assert not escalation_due(critical=0, high=2, oldest_high=fresh, config=config, now=now)
    assert escalation_due(critical=0, high=1, oldest_high=old, config=config, now=now)
    strict = {**config, "ESCALATE_HIGH_COUNT": 1}
    assert escalation_due(critical=0, high=1, oldest_high=fresh, config=strict, now=now)
    never_by_age = {**config, "HIGH_FINDING_DAYS": 0}
    assert not escalation_due(critical=0, high=1, oldest_high=old, config=never_by_age, now=now)


def test_a_lapsed_critical_acceptance_comes_back_to_the_owner_and_the_ciso(session: Session, app: Any) -> None:
    uitvraag, org = _setup(session, app)
    manager = make_staff(session, organisation=org, email=OWNER, role="contract-manager", name="Olga")
    ciso = session.exec(select(StaffUser).where(StaffUser.email == CISO)).one()
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "critical", 1))
    told = SUBMITTED_AT + timedelta(minutes=5)
    assert sweep(session=session, config=app.config, now=told).ciso_findings == 1
    [critical] = _open(session, uitvraag, "critical")
    limits = AcceptanceLimits.from_config(app.config)
    until = date(2027, 1, 31)
    proposal = propose_acceptance(
        session,
        actor=manager,
        finding=critical,
        reason="Leverancier voert MFA in januari in",
        mitigation="Beheer alleen via de VPN van de gemeente",
        until=until,
        limits=limits,
        now=told,
    )
    decide_acceptance(session, actor=ciso, acceptance=proposal, approve=True, note="", limits=limits, now=told)
    session.commit()
    before = steps(session, uitvraag.id)
    on_the_day = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert sweep(session=session, config=app.config, now=on_the_day).digests == 0
    report = sweep(session=session, config=app.config, now=on_the_day + timedelta(days=1))
    assert (report.findings, report.ciso_findings) == (1, 1)
    new = [s for s in steps(session, uitvraag.id) if s not in before]
    assert sorted(new) == [("ciso-findings:lapsed-2027-01-31", CISO), ("owner-findings:lapsed-2027-01-31", OWNER)]
    assert sweep(session=session, config=app.config, now=on_the_day + timedelta(days=2)).digests == 0


def test_a_lapsed_high_acceptance_comes_back_to_the_owner_only(session: Session, app: Any) -> None:
    uitvraag, org = _setup(session, app)
    supplier_submits(session, uitvraag, now=SUBMITTED_AT, answers=_weak_answers(session, uitvraag, "high", 3))
    assert sweep(session=session, config=app.config, now=SUBMITTED_AT + timedelta(minutes=5)).findings == 1
    for finding in _open(session, uitvraag, "high"):
        finding.status, finding.accepted_until, finding.accepted_reason = ("accepted", date(2026, 11, 30), "tijdelijk")
        session.add(finding)
    session.commit()
    report = sweep(session=session, config=app.config, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert (report.findings, report.ciso_findings) == (1, 0)
    assert ("owner-findings:lapsed-2026-11-30", OWNER) in steps(session, uitvraag.id)
