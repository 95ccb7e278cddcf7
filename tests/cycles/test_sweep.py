"""The sweep: reminders with fresh links, the escalation ladder, weak answers, expiring evidence; each once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.access import extend_tokens, lookup_token
from bot.cycles.planner import plan_cycles
from bot.cycles.sweep import sweep
from bot.models import Finding, LadderStep, OutboxMessage, Uitvraag
from tests.cycles.support import mails_by_recipient, steps
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier, supplier_submits
from tests.support.mail import sent_text

OCT_1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # deadline: 31 October, end of day


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _only_uitvraag(session: Session) -> Uitvraag:
    [uitvraag] = session.exec(select(Uitvraag)).all()
    return uitvraag


def _mails(session: Session, kind: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _link_token(mail: OutboxMessage) -> str:
    return sent_text(mail).split("http://localhost/q/")[1].split()[0]


def test_reminders_go_out_14_and_3_days_before_the_deadline_each_with_a_fresh_link(session: Session, app: Any) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    uitvraag = _only_uitvraag(session)
    invitation_token = _link_token(_mails(session, "invitation")[0])

    for moment in (at(10, 16), at(10, 16, 23)):  # 15 days before: nothing yet
        assert sweep(session=session, config=app.config, now=moment).reminders == 0
    assert sweep(session=session, config=app.config, now=at(10, 17)).reminders == 1
    for moment in (at(10, 17, 12), at(10, 20), at(10, 27, 23)):
        assert sweep(session=session, config=app.config, now=moment).reminders == 0
    assert sweep(session=session, config=app.config, now=at(10, 28)).reminders == 1
    assert sweep(session=session, config=app.config, now=at(10, 31, 22)).reminders == 0

    first, second = _mails(session, "reminder")
    assert "14" in first.subject and "3" in second.subject
    assert steps(session, uitvraag.id) == [
        ("reminder-14:2026-10-31", "security@leverancier.test"),
        ("reminder-3:2026-10-31", "security@leverancier.test"),
    ]
    # Each reminder's link works, and replaces the one before it.
    assert lookup_token(session, invitation_token, now=at(10, 28)).state == "superseded"
    assert lookup_token(session, _link_token(first), now=at(10, 28)).state == "superseded"
    assert lookup_token(session, _link_token(second), now=at(10, 28)).ok


def test_after_downtime_only_the_most_urgent_reminder_goes_out(session: Session, app: Any) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    assert sweep(session=session, config=app.config, now=at(10, 29)).reminders == 1
    assert sweep(session=session, config=app.config, now=at(10, 30)).reminders == 0
    assert [m.subject.endswith("nog 2 dagen") for m in _mails(session, "reminder")] == [True]


def test_a_submitted_uitvraag_gets_no_reminder_and_no_escalation(session: Session, app: Any) -> None:
    make_contract(session)
    make_staff(session, organisation=make_organisation(session), email="ciso@gemeente.test")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    supplier_submits(session, _only_uitvraag(session), now=at(10, 5))
    for moment in (at(10, 17), at(10, 28), at(11, 2), at(11, 20)):
        report = sweep(session=session, config=app.config, now=moment)
        assert report.reminders == report.owner_overdue == report.ciso_overdue == report.findings == 0
    assert session.exec(select(LadderStep)).all() == []


def test_overdue_goes_to_the_owner_then_the_ciso_each_once(session: Session, app: Any) -> None:
    org = make_organisation(session)
    make_contract(session, organisation=org, reference="ZK-1", owner_email="olga@gemeente.test")
    make_staff(session, organisation=org, email="ciso@gemeente.test", name="Carla CISO")
    make_staff(session, organisation=org, email="admin@gemeente.test", role="admin")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    uitvraag = _only_uitvraag(session)

    assert sweep(session=session, config=app.config, now=at(10, 31, 23)).owner_overdue == 0  # not yet past
    report = sweep(session=session, config=app.config, now=at(11, 1, 0))
    assert (report.owner_overdue, report.ciso_overdue, report.digests) == (1, 0, 1)
    assert sweep(session=session, config=app.config, now=at(11, 14, 23)).ciso_overdue == 0
    report = sweep(session=session, config=app.config, now=at(11, 15))
    assert (report.owner_overdue, report.ciso_overdue, report.digests) == (0, 1, 1)
    for moment in (at(11, 15), at(11, 30), at(12, 20)):
        assert sweep(session=session, config=app.config, now=moment).digests == 0

    assert steps(session, uitvraag.id) == [
        ("reminder-3:2026-10-31", "security@leverancier.test"),  # the sweep at 23:00 on the last day
        ("owner-overdue:2026-10-31", "olga@gemeente.test"),
        ("ciso-overdue:2026-10-31", "ciso@gemeente.test"),
    ]
    assert mails_by_recipient(session, "escalation-digest") == {"olga@gemeente.test": 1, "ciso@gemeente.test": 1}
    # The mail says what is missing, why it matters (BIO2) and where to act.
    ciso_mail = _mails(session, "escalation-digest")[1]
    assert "Carla CISO" in ciso_mail.body_text and "ZK-1" in ciso_mail.body_text
    assert "5.20.03" in ciso_mail.body_text and "5.22.01" in ciso_mail.body_text
    assert f"http://localhost/staff/uitvragen/{uitvraag.id}" in ciso_mail.body_text


def test_an_organisation_without_a_ciso_escalates_to_its_administrators(session: Session, app: Any) -> None:
    org = make_organisation(session)
    make_contract(session, organisation=org)
    make_staff(session, organisation=org, email="beheer@gemeente.test", role="admin")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    sweep(session=session, config=app.config, now=at(11, 20))
    assert mails_by_recipient(session, "escalation-digest") == {"olga@gemeente.test": 1, "beheer@gemeente.test": 1}


def test_one_digest_per_person_listing_all_their_items(session: Session, app: Any) -> None:
    org = make_organisation(session)
    for n in range(4):
        supplier = make_supplier(session, name=f"Leverancier {n}")
        make_contract(session, organisation=org, supplier=supplier, reference=f"C-{n}", personal_data=n == 0)
    make_contract(session, organisation=org, reference="PIET-1", owner_email="piet@gemeente.test")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    report = sweep(session=session, config=app.config, now=at(11, 2))
    assert report.owner_overdue == 6 and report.digests == 2
    assert mails_by_recipient(session, "escalation-digest") == {"olga@gemeente.test": 1, "piet@gemeente.test": 1}
    olga = next(m for m in _mails(session, "escalation-digest") if m.to_addr == "olga@gemeente.test")
    for n in range(4):
        assert f"Leverancier {n}" in olga.body_text and f"C-{n}" in olga.body_text
    assert olga.body_text.count("/staff/uitvragen/") == 5  # four suppliers, one of them with two questionnaires


def test_an_extended_deadline_gets_its_own_reminders_and_escalation(session: Session, app: Any) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    uitvraag = _only_uitvraag(session)
    for moment in (at(10, 17), at(10, 28), at(11, 2)):
        sweep(session=session, config=app.config, now=moment)
    # The owner extends the deadline by a month (as the staff area does).
    uitvraag.deadline = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
    extend_tokens(session, uitvraag=uitvraag, grace_days=app.config["TOKEN_GRACE_DAYS"])
    session.add(uitvraag)
    session.commit()
    for moment in (at(11, 3), at(11, 16), at(11, 27), at(12, 1), at(12, 2)):
        sweep(session=session, config=app.config, now=moment)
    assert [step for step, _ in steps(session, uitvraag.id)] == [
        "reminder-14:2026-10-31",
        "reminder-3:2026-10-31",
        "owner-overdue:2026-10-31",
        "reminder-14:2026-11-30",
        "reminder-3:2026-11-30",
        "owner-overdue:2026-11-30",
    ]


def test_an_ended_contract_is_not_escalated(session: Session, app: Any) -> None:
    contract = make_contract(session, end_date=date(2026, 12, 31))
    plan_cycles(session=session, config=app.config, now=OCT_1)
    contract.end_date = date(2026, 10, 15)
    session.add(contract)
    session.commit()
    report = sweep(session=session, config=app.config, now=at(11, 20))
    assert report.reminders == report.owner_overdue == 0


def test_a_critical_finding_escalates_to_every_owner_with_the_findings(session: Session, app: Any) -> None:
    org = make_organisation(session)
    supplier = make_supplier(session)
    make_contract(session, organisation=org, supplier=supplier, reference="ZK-1", owner_email="olga@gemeente.test")
    make_contract(session, organisation=org, supplier=supplier, reference="ZK-2", owner_email="piet@gemeente.test")
    make_staff(session, organisation=org, email="piet@gemeente.test", role="contract-manager")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    uitvraag = _only_uitvraag(session)
    supplier_submits(session, uitvraag, now=at(10, 10), answers={"mfa-admin": "no"})

    report = sweep(session=session, config=app.config, now=at(10, 10, 10))
    assert report.findings == 2 and report.digests == 2
    assert sweep(session=session, config=app.config, now=at(10, 20)).findings == 0
    piet = next(m for m in _mails(session, "escalation-digest") if m.to_addr == "piet@gemeente.test")
    assert "5.17.01" in piet.body_text  # the admin MFA question's BIO2 measure (8.02.01 was a wrong citation)
    assert "MFA" in piet.body_text and "ZK-1" in piet.body_text and "ZK-2" in piet.body_text


def test_an_accepted_finding_waits_until_its_acceptance_ends(session: Session, app: Any) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    uitvraag = _only_uitvraag(session)
    supplier_submits(session, uitvraag, now=at(10, 10), answers={"mfa-admin": "no"})
    # The owner accepts the risk until the end of November before the sweep runs.
    for finding in session.exec(select(Finding).where(Finding.uitvraag_id == uitvraag.id)):
        finding.status, finding.accepted_until, finding.accepted_reason = "accepted", date(2026, 11, 30), "MFA komt"
        session.add(finding)
    session.commit()
    for moment in (at(10, 11), at(11, 30, 23)):
        assert sweep(session=session, config=app.config, now=moment).findings == 0
    assert sweep(session=session, config=app.config, now=at(12, 1)).findings == 1
    assert sweep(session=session, config=app.config, now=at(12, 15)).findings == 0
    assert steps(session, uitvraag.id) == [("owner-findings:lapsed-2026-11-30", "olga@gemeente.test")]
    assert "MFA" in _mails(session, "escalation-digest")[0].body_text


def test_an_expiring_certificate_is_requested_again_and_escalated_once_lapsed(session: Session, app: Any) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    app.config["FULL_QUESTIONNAIRE_MONTH"] = 0  # the light questionnaire in Q4 too, carrying the certificate
    make_contract(session, risk_tier="low")
    plan_cycles(session=session, config=app.config, now=datetime(2026, 7, 1, tzinfo=UTC))
    q3 = _only_uitvraag(session)
    supplier_submits(
        session, q3, now=datetime(2026, 7, 5, tzinfo=UTC), expires_on=date(2026, 12, 31), upload_dir=upload_dir
    )
    plan_cycles(session=session, config=app.config, now=OCT_1)  # Q4 carries the same certificate over
    q4 = session.exec(select(Uitvraag).where(Uitvraag.id != q3.id)).one()
    supplier_submits(session, q4, now=at(10, 5), expires_on=date(2026, 12, 31), upload_dir=upload_dir)

    assert sweep(session=session, config=app.config, now=at(10, 31)).evidence_requests == 0  # 61 days left
    report = sweep(session=session, config=app.config, now=at(11, 1))
    assert report.evidence_requests == 1
    assert sweep(session=session, config=app.config, now=at(11, 2)).evidence_requests == 0
    request = session.exec(select(Uitvraag).where(Uitvraag.kind == "evidence")).one()
    assert (
        request.parent_id == q4.id and request.follow_up_number == 1 and request.question_ids == ["assurance-document"]
    )
    assert request.deadline == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    [mail] = _mails(session, "evidence-renewal")
    assert mail.uitvraag_id == request.id and mail.to_addr == "security@leverancier.test"
    assert lookup_token(session, _link_token(mail), now=at(11, 1)).token.uitvraag_id == request.id

    # Nobody renews it: the request is overdue, and the certificate lapses on 1 January.
    for moment in (at(12, 2), at(12, 31)):
        sweep(session=session, config=app.config, now=moment)
    report = sweep(session=session, config=app.config, now=datetime(2027, 1, 1, 9, tzinfo=UTC))
    assert report.evidence_lapsed == 1 and report.evidence_requests == 0
    assert sweep(session=session, config=app.config, now=datetime(2027, 1, 5, tzinfo=UTC)).evidence_lapsed == 0
    lapsed = session.exec(select(LadderStep).where(LadderStep.step.like("evidence-lapsed:%"))).one()
    assert lapsed.recipient_email == "olga@gemeente.test" and lapsed.uitvraag_id == q3.id  # the document's first
    digest = session.exec(select(OutboxMessage).where(OutboxMessage.id == lapsed.outbox_id)).one()
    assert "assurance-document.pdf" in digest.body_text and "5.20.03" in digest.body_text


def test_a_renewed_certificate_ends_the_requests(session: Session, app: Any) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    make_contract(session, risk_tier="low")
    plan_cycles(session=session, config=app.config, now=OCT_1)
    q4 = _only_uitvraag(session)
    supplier_submits(session, q4, now=at(10, 5), expires_on=date(2026, 12, 31), upload_dir=upload_dir)
    sweep(session=session, config=app.config, now=at(11, 2))
    request = session.exec(select(Uitvraag).where(Uitvraag.kind == "evidence")).one()
    supplier_submits(session, request, now=at(11, 10), expires_on=date(2027, 12, 31), upload_dir=upload_dir)
    for moment in (at(11, 11), at(12, 15), datetime(2027, 1, 2, tzinfo=UTC)):
        report = sweep(session=session, config=app.config, now=moment)
        assert report.evidence_requests == report.evidence_lapsed == report.owner_overdue == 0


def test_bot_sweep_takes_now(runner: Any, session: Session, app: Any) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    result = runner.invoke(args=["sweep", "--now", "2026-10-17T09:00"])
    assert result.exit_code == 0, result.output
    assert "1 reminders" in result.output
    result = runner.invoke(args=["sweep", "--now", (OCT_1 + timedelta(days=16)).isoformat()])
    assert "0 reminders" in result.output
