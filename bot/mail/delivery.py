"""Deliver due outbox rows: one connection per batch, retries with backoff, permanent failures reported.

How a row is claimed, and why nothing is lost or sent twice:
- PostgreSQL: each row is taken with `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1` and stays locked while it is
  sent; it is marked sent and committed right after the server accepts it, before the next row is taken. Other
  senders skip locked rows, so no two senders send one mail. A sender killed mid-mail loses its connection, the
  database rolls back and unlocks the row, and the next run sends it again (with the same Message-ID).
- SQLite (one sender at a time): due rows are read in one short transaction, and each is marked sent in its own
  short transaction right after the server accepts it; the database is never locked while talking to the server.
Either way a crash of the sender re-sends at most the one mail in flight, byte-for-byte the same.

On PostgreSQL the "sent" mark is committed without waiting for the write-ahead log to reach the disk
(`synchronous_commit = off` for that transaction only): it halves the time per mail. Only a crash of the database
server itself (not a restart, which flushes the log) can forget the last fraction of a second of marks; those mails
are then sent again, with the same Message-ID. Nothing is ever lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import setting
from bot.mail.failures import queue_failure_notices
from bot.mail.message import Composer, InvalidAddress, check_address
from bot.mail.transports import DeliveryError, Transport, transport_for
from bot.models import OutboxMessage, OutboxStatus
from bot.timeutil import as_utc

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one `send_due` run did."""

    sent: int = 0
    retrying: int = 0  # temporary failures, scheduled again
    failed: int = 0  # permanent failures and give-ups
    notices: int = 0  # delivery-failure mails queued for contract owners
    stopped: str | None = None  # why the run stopped before the queue was empty (the connection failed)

    def summary(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        if self.notices:
            text += f", {self.notices} delivery-failure notice(s) queued"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text


def retry_delay(attempts: int, *, first_seconds: int, max_seconds: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: first, doubling, at most max (and never under 1 s)."""
    seconds = first_seconds * 2 ** max(0, min(attempts - 1, 40))
    return timedelta(seconds=max(1, min(seconds, max_seconds)))


_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
_MARK_SENT = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("row_id"), _TABLE.c.status == OutboxStatus.PENDING)
    .values(
        status=OutboxStatus.SENT,
        sent_at=sa.bindparam("sent_at"),
        attempts=sa.bindparam("attempts"),
        last_error=None,
        link_sealed=None,  # a sent mail keeps no link, not even sealed
    )
)


def _due(now: datetime) -> Any:
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)  # type: ignore[operator]
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)  # type: ignore[arg-type]
    )


class _Sender:
    """One run of `send_due`: the transport, the settings, and the running report."""

    def __init__(self, *, engine: Engine, config: dict[str, Any], now: datetime) -> None:
        self.engine = engine
        self.config = config
        self.now = as_utc(now)
        self.composer = Composer(str(config["MAIL_FROM"]), secret_key=str(config.get("SECRET_KEY") or ""))
        self.transport: Transport = transport_for(str(config["MAIL_URL"]))
        self.open = False
        self.report = DeliveryReport()
        self.first = int(setting(config, "MAIL_RETRY_FIRST_SECONDS"))
        self.max = int(setting(config, "MAIL_RETRY_MAX_SECONDS"))
        self.give_up = timedelta(hours=int(setting(config, "MAIL_GIVE_UP_HOURS")))

    def close(self) -> None:
        if self.open:
            self.transport.close()
            self.open = False

    def deliver(self, row: OutboxMessage) -> DeliveryError | None:
        """Send one row over the batch's connection; None when the server accepted it."""
        try:
            data = self.composer.compose(row)
        except InvalidAddress as error:
            return DeliveryError(str(error), permanent=True)
        except (ValueError, UnicodeError) as error:
            return DeliveryError(f"cannot build the message: {error}", permanent=True)
        try:
            if not self.open:
                self.transport.open()
                self.open = True
            self.transport.send(
                data, sender=self.composer.sender, recipient=check_address(row.to_addr), message_id=row.message_id
            )
        except DeliveryError as error:
            if error.connection:
                self.close()
            return error
        return None

    def mark_sent(self, connection: Any, row: OutboxMessage) -> None:
        """Record that the server accepted `row` (on a Session or a Connection); the caller commits."""
        connection.execute(_MARK_SENT, {"row_id": row.id, "sent_at": self.now, "attempts": row.attempts + 1})
        self.report.sent += 1

    def record(self, session: Session, row: OutboxMessage, error: DeliveryError | None) -> None:
        """Write the outcome of one attempt; the caller commits."""
        if error is None:
            self.mark_sent(session, row)
            return
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        pending = sa.update(table).where(table.c.id == row.id, table.c.status == OutboxStatus.PENDING)
        attempts = row.attempts + 1
        created = as_utc(row.created_at) if row.created_at else self.now
        given_up = not error.permanent and self.now - created >= self.give_up
        if error.permanent or given_up:
            text = error.text if error.permanent else f"gave up after {attempts} attempts: {error.text}"
            session.execute(
                pending.values(status=OutboxStatus.FAILED, attempts=attempts, last_error=text[:2000], link_sealed=None)
            )
            self.report.failed += 1
            log.warning("mail %s (%s) failed for good: %s", row.id, row.kind, text)
            self.report.notices += queue_failure_notices(
                session, message=row, error=text, config=self.config, now=self.now
            )
            return
        wait = retry_delay(attempts, first_seconds=self.first, max_seconds=self.max)
        session.execute(
            pending.values(attempts=attempts, last_error=error.text[:2000], next_attempt_at=self.now + wait)
        )
        self.report.retrying += 1
        log.info("mail %s (%s) will be retried in %s: %s", row.id, row.kind, wait, error.text)

    def after(self, error: DeliveryError | None) -> bool:
        """True when the run must stop: the connection is unusable, so later mails would fail the same way."""
        if error is not None and error.connection:
            self.report.stopped = error.text
            return True
        return False

    def batch_locked(self, batch_size: int) -> int:
        """PostgreSQL: lock, send, mark and commit one row at a time. Returns how many rows were handled."""
        handled = 0
        while handled < batch_size:
            with Session(self.engine, expire_on_commit=False) as session:
                row = session.exec(_due(self.now).limit(1).with_for_update(skip_locked=True)).first()
                if row is None:
                    return handled
                handled += 1
                error = self.deliver(row)
                self.record(session, row, error)
                session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))  # see the module's docstring
                session.commit()
            if self.after(error):
                break
        return handled

    def batch_unlocked(self, batch_size: int) -> int:
        """SQLite: read a batch, then send each row and mark it in its own short transaction."""
        # Plain rows (not ORM objects): loading a batch stays cheap. They have the same attributes.
        with self.engine.connect() as connection:
            due = (
                sa.select(_TABLE)
                .where(_TABLE.c.status == OutboxStatus.PENDING, _TABLE.c.next_attempt_at <= self.now)
                .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
                .limit(batch_size)
            )
            rows: list[Any] = list(connection.execute(due).all())
            connection.commit()
        # One plain connection marks the accepted rows (the common case, kept cheap); failures, which may queue
        # notices, get a session of their own. Each commit ends its transaction, so SQLite is not held locked.
        with self.engine.connect() as connection:
            for row in rows:
                error = self.deliver(row)
                if error is None:
                    self.mark_sent(connection, row)
                    connection.commit()
                    continue
                with Session(self.engine, expire_on_commit=False) as session:
                    self.record(session, row, error)
                    session.commit()
                if self.after(error):
                    break
        return len(rows)


def send_due(*, engine: Engine, config: dict[str, Any], now: datetime, batch_size: int = 100) -> DeliveryReport:
    """Deliver every outbox row that is due at `now`, in batches of `batch_size` with one connection each.

    Stops early (see `report.stopped`) when the mail server cannot be reached; the next run tries again.
    """
    sender = _Sender(engine=engine, config=config, now=now)
    locked = engine.dialect.name == "postgresql"
    while sender.report.stopped is None:
        notices = sender.report.notices
        try:
            handled = sender.batch_locked(batch_size) if locked else sender.batch_unlocked(batch_size)
        finally:
            sender.close()
        # Go on while batches come back full, or when this batch queued delivery-failure notices (due now).
        if handled < batch_size and sender.report.notices == notices:
            break
    return sender.report
