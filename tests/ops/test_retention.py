"""Retention: data of ended contracts, old audit entries, sent mail bodies, sign-in links and rate-limit counters go
after their period; what is kept stays; every purge is audited; receipts still verify."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.cycles.worker import run_worker
from bot.evidence import stored_path
from bot.models import (
    Answer,
    AuditLog,
    EvidenceFile,
    OutboxMessage,
    OutboxStatus,
    RateLimitHit,
    SignInToken,
    Submission,
    WorkerStatus,
)
from bot.retention import apply_retention, plan_retention, purge_sent_mail_bodies
from bot.supplier.submission import receipt_document, verify_receipt
from bot.timeutil import utcnow
from tests.support.factories import (
    make_contract,
    make_organisation,
    make_staff,
    make_supplier,
    make_uitvraag,
    supplier_submits,
)

# Eight years on: the contract that ended in 2027 is past its seven years, the running one is not.
LATER = timedelta(days=8 * 365 + 2)


def _world(app, session: Session):
    now = utcnow()
    upload_dir = app.config["UPLOAD_DIR"]
    organisation = make_organisation(session)
    supplier = make_supplier(session)
    ended = make_contract(session, organisation=organisation, supplier=supplier, end_date=date(2027, 1, 1))
    running = make_contract(session, organisation=organisation, supplier=make_supplier(session, "Wolk BV"))
    old = make_uitvraag(session, now=now, contracts=[ended])
    live = make_uitvraag(session, now=now, contracts=[running], supplier_name="Wolk BV")
    supplier_submits(session, old.uitvraag, now=now, upload_dir=upload_dir)
    supplier_submits(session, live.uitvraag, now=now, upload_dir=upload_dir)
    staff = make_staff(session, organisation=organisation, email="ciso@testdorp.nl")
    session.add(SignInToken(staff_user_id=staff.id, token_hash="a" * 64, created_at=now, expires_at=now))
    session.add(RateLimitHit(key="signin:ciso@testdorp.nl", window_start=now, count=3))
    sent = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    sent.status, sent.sent_at = OutboxStatus.SENT, now
    session.add(sent)
    session.commit()
    return old, live, now


def _count(session: Session, model) -> int:
    count = len(session.exec(select(model)).all())
    session.commit()  # SQLite: end the read, which holds the write lock
    return count


def test_dry_run_lists_what_would_go_and_changes_nothing(app, session, runner):
    old, live, now = _world(app, session)
    audit_rows = _count(session, AuditLog)
    result = runner.invoke(args=["retention", "--dry-run", "--now", (now + LATER).isoformat()])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "dry run: nothing is removed" in out
    assert "evidence file" in out and f"of uitvraag {old.id}:" in out
    assert f"of uitvraag {live.id}:" not in out
    assert "answers: 1 would be removed" in out and f"uitvraag {old.id}: " in out
    assert f"audit-log: {audit_rows} would be removed" in out
    assert "outbox-bodies: 1 would be removed" in out
    assert "signin-tokens: 1 would be removed" in out and "rate-limits: 1 would be removed" in out
    session.expire_all()
    assert _count(session, AuditLog) == audit_rows
    assert session.exec(select(Answer).where(Answer.uitvraag_id == old.id)).all()


def test_a_purge_removes_what_is_past_its_period_keeps_the_rest_and_receipts_still_verify(app, session):
    old, live, now = _world(app, session)
    receipt = receipt_document(session.exec(select(Submission).where(Submission.uitvraag_id == old.id)).one())
    old_files = session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == old.id)).all()
    live_files = session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == live.id)).all()
    assert old_files and live_files
    old_paths = [stored_path(app.config["UPLOAD_DIR"], f) for f in old_files]
    assert all(p.exists() for p in old_paths)
    later = now + LATER
    session.commit()

    apply_retention(session, config=app.config, now=later, actor="test")

    session.expire_all()
    assert not any(p.exists() for p in old_paths)
    assert all(stored_path(app.config["UPLOAD_DIR"], f).exists() for f in live_files)
    assert not session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == old.id)).all()
    assert not session.exec(select(Answer).where(Answer.uitvraag_id == old.id)).all()
    assert session.exec(select(Answer).where(Answer.uitvraag_id == live.id)).all()
    purged = session.exec(select(Submission).where(Submission.uitvraag_id == old.id)).one()
    assert purged.canonical == "" and purged.respondent_email == "" and purged.purged_at == later
    assert purged.digest == receipt["digest"]
    assert session.exec(select(Submission).where(Submission.uitvraag_id == live.id)).one().canonical
    assert _count(session, SignInToken) == 0 and _count(session, RateLimitHit) == 0
    mails = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert mails[0].body_text == "" and mails[0].mime_body is None and mails[0].body_purged_at == later
    assert mails[0].message_id  # what was sent, and once, stays provable
    assert all(m.body_text for m in mails[1:] if m.status == OutboxStatus.PENDING)

    # The receipt the supplier downloaded still verifies against the digest that was kept.
    verified = verify_receipt(session, receipt)
    assert verified.ok, verified.messages
    assert any("removed" in message for message in verified.messages)
    tampered = dict(receipt, canonical=dict(receipt["canonical"], respondent={"name": "Iemand anders"}))
    assert not verify_receipt(session, tampered).ok
    assert receipt_document(purged)["canonical"] is None

    # Every purge is audited (what, how many, which ids); only audit rows newer than the period are left.
    entries = session.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert {e.action for e in entries} == {"retention.purged"}
    by_kind = {e.detail["kind"]: e.detail for e in entries}
    assert set(by_kind) == {"evidence-files", "answers", "audit-log", "outbox-bodies", "signin-tokens", "rate-limits"}
    assert by_kind["answers"]["ids"] == [old.id] and by_kind["evidence-files"]["count"] == len(old_files)

    # A second run finds nothing more and writes nothing.
    again = apply_retention(session, config=app.config, now=later, actor="test")
    assert all(not plan.items for plan in again)
    assert _count(session, AuditLog) == len(entries)


def test_a_period_of_zero_keeps_that_kind_for_ever(app, session):
    _old, _live, now = _world(app, session)
    app.config["RETENTION_AUDIT_DAYS"] = 0
    plans = {p.kind.name: p for p in plan_retention(session, config=app.config, now=now + LATER)}
    assert plans["audit-log"].cutoff is None and not plans["audit-log"].items
    assert plans["rate-limits"].items


def test_sent_mail_bodies_can_be_emptied_at_once(app, session):
    _old, _live, now = _world(app, session)
    assert purge_sent_mail_bodies(session, now=now + timedelta(seconds=1), sent_before=now + timedelta(seconds=1)) == 1
    entry = session.exec(select(AuditLog).where(AuditLog.action == "retention.purged")).one()
    assert entry.detail["kind"] == "outbox-bodies" and entry.detail["count"] == 1


def test_the_worker_applies_retention_once_a_day(app, session):
    old, _live, now = _world(app, session)
    # Retention runs once per UTC day: the second tick, an hour on, must fall on the same day at any hour of the run.
    later = (now + LATER).replace(hour=9, minute=0)
    engine = app.extensions["engine"]
    session.commit()
    assert run_worker(engine=engine, config=app.config, start=later, once=True) == 0
    assert run_worker(engine=engine, config=app.config, start=later + timedelta(hours=1), once=True) == 0
    session.expire_all()
    assert not session.exec(select(Answer).where(Answer.uitvraag_id == old.id)).all()
    assert session.get(WorkerStatus, "retention").runs == 1
    session.commit()  # SQLite: end the read before the worker writes
    assert run_worker(engine=engine, config=app.config, start=later + timedelta(days=1), once=True) == 0
    session.expire_all()
    assert session.get(WorkerStatus, "retention").runs == 2
    assert Path(app.config["UPLOAD_DIR"]).exists()
