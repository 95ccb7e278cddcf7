"""Deliver due outbox rows: one connection per batch, retries with backoff, permanent failures reported.

How a row is claimed, and why nothing is lost or sent twice:
- PostgreSQL: a batch is claimed in one statement: due rows not claimed by another sender are taken with
  `FOR UPDATE SKIP LOCKED` (so two senders claiming at once never get the same row) and each gets a session-level
  advisory lock (`pg_try_advisory_lock(MAIL_CLAIM_KEY, id)`) on the sender's connection, which it keeps after the
  statement ends. Other senders skip rows whose advisory lock is held. Each row is marked sent (its own autocommit
  UPDATE, `status = 'pending'` in the condition) right after the server accepts it; the advisory locks are released
  when the batch ends. A sender killed mid-batch loses its connection, and the database drops its locks at once:
  the next run sends the rest (and the one mail in flight again, with the same Message-ID).
- SQLite (one sender at a time): due rows are read in one short transaction, and each is marked sent in its own
  short transaction right after the server accepts it; the database is never locked while talking to the server.
Either way a crash of the sender re-sends at most the one mail in flight, byte-for-byte the same.

On PostgreSQL the "sent" marks are committed without waiting for the write-ahead log to reach the disk
(`synchronous_commit = off` on the sender's connection while it sends a batch). Only a crash of the database
server itself (not a restart, which flushes the log) can forget the last fraction of a second of marks; those mails
are then sent again, with the same Message-ID. Nothing is ever lost.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

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


# pg_advisory_lock class of a claimed outbox row ("MAIL" in ASCII); the row's id is the lock's second key. The
# worker's leader lock uses the one-key form, so the two never meet.
MAIL_CLAIM_KEY = 0x4D41494C

# Due rows that no other sender has claimed (pg_locks lists every database's locks; advisory locks are per
# database), locked for the claim only (SKIP LOCKED: two claims never take one row), each then held by this
# connection's advisory lock until the batch ends. The advisory lock is taken in a CTE of its own over the
# candidates only: as a condition of the final join, the planner may evaluate it on every row of the table it scans
# (a hash join does), which would lock rows this sender never claimed.
_CLAIM = sa.text(
    """
    WITH candidate AS MATERIALIZED (
        SELECT o.id FROM outboxmessage AS o
        WHERE o.status = 'pending' AND o.next_attempt_at <= :now
          AND NOT EXISTS (
              SELECT 1 FROM pg_locks AS l
              WHERE l.locktype = 'advisory' AND l.classid = :key AND l.objid = o.id AND l.objsubid = 2
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          )
        ORDER BY o.next_attempt_at, o.id
        LIMIT :limit
        FOR UPDATE OF o SKIP LOCKED
    ), claimed AS MATERIALIZED (
        SELECT c.id FROM candidate AS c WHERE pg_try_advisory_lock(:key, c.id)
    )
    SELECT o.* FROM outboxmessage AS o JOIN claimed AS c ON c.id = o.id
    """
)


class _Marks:
    """Marks accepted rows sent on a connection of its own, in a thread, while the next mail's envelope (composing
    it, MAIL FROM, RCPT TO) is already on its way: the database's round trip overlaps the mail server's.

    The sender calls `settle()` (which waits until every mark is committed) before it hands over the next message
    (DATA) and before anything else writes, so at any moment at most the one mail in flight is accepted and not
    marked: a sender killed mid-batch re-sends at most that one. `close()` at the end of the batch.
    """

    WAITING = 1

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now
        self.queue: queue.Queue[tuple[int, int] | None] = queue.Queue(maxsize=self.WAITING)
        self.marked = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="mail-marks", daemon=True)
        self.thread.start()

    def add(self, row: Any) -> None:
        """Queue the mark of `row`; raises the error of an earlier mark (the batch must stop then)."""
        if self.error is not None:
            raise self.error
        self.queue.put((row.id, row.attempts + 1))

    def settle(self) -> None:
        self.queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        postgres = self.engine.dialect.name == "postgresql"
        with self.engine.connect() as connection:
            if postgres:
                connection.exec_driver_sql("SET synchronous_commit TO OFF")  # see the module's docstring
                connection.commit()
            try:
                while True:
                    items = [self.queue.get()]
                    # Marks that came in meanwhile go in the same transaction.
                    with contextlib.suppress(queue.Empty):
                        while items[-1] is not None:
                            items.append(self.queue.get_nowait())
                    marks = [item for item in items if item is not None]
                    try:
                        if marks and self.error is None:
                            params = [{"row_id": i, "sent_at": self.now, "attempts": a} for i, a in marks]
                            connection.execute(_MARK_SENT, params)
                            connection.commit()
                            self.marked += len(marks)
                    except Exception as error:  # noqa: BLE001 - handed to the sender, which stops the batch
                        self.error = error
                        with contextlib.suppress(Exception):
                            connection.rollback()
                    finally:
                        for _ in items:
                            self.queue.task_done()
                    if items[-1] is None:
                        return
            finally:
                if postgres:
                    with contextlib.suppress(DBAPIError):
                        connection.exec_driver_sql("RESET synchronous_commit")
                        connection.commit()


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

    def deliver(self, row: OutboxMessage, *, before_data: Callable[[], None] | None = None) -> DeliveryError | None:
        """Send one row over the batch's connection; None when the server accepted it. `before_data`: see
        `Transport.send`."""
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
                data,
                sender=self.composer.sender,
                recipient=check_address(row.to_addr),
                message_id=row.message_id,
                before_data=before_data,
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

    def batch_claimed(self, batch_size: int) -> int:
        """PostgreSQL: claim a batch in one statement, send each row and mark it sent at once (see the module's
        docstring). Returns how many rows were claimed."""
        with self.engine.connect() as connection:
            claimer = connection.execution_options(isolation_level="AUTOCOMMIT")
            try:
                rows = list(claimer.execute(_CLAIM, {"now": self.now, "limit": batch_size, "key": MAIL_CLAIM_KEY}))
                rows.sort(key=lambda row: (row.next_attempt_at, row.id))  # the claim's join does not keep the order
                self.send_rows(rows)
            finally:
                # Only now, every mark committed: the connection goes back to the pool without this batch's claims.
                with contextlib.suppress(DBAPIError):
                    claimer.exec_driver_sql("SELECT pg_advisory_unlock_all()")
        return len(rows)

    def batch_unlocked(self, batch_size: int) -> int:
        """SQLite: read a batch in one short transaction, then send each row and mark it in its own."""
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
        self.send_rows(rows)
        return len(rows)

    def send_rows(self, rows: list[Any]) -> None:
        """Send `rows` in order; accepted ones are marked by `_Marks`, failures (which may queue notices) in a
        session of their own once the marks before them are in. Each commit ends its transaction at once."""
        marks = _Marks(self.engine, self.now)
        try:
            for row in rows:
                # The previous mail's mark is committed before this one's DATA: never two accepted and unmarked.
                error = self.deliver(row, before_data=marks.settle)
                if error is None:
                    marks.add(row)
                    continue
                marks.settle()
                with Session(self.engine, expire_on_commit=False) as session:
                    self.record(session, row, error)
                    session.commit()
                if self.after(error):
                    break
        finally:
            try:
                marks.close()
            finally:
                self.report.sent += marks.marked


def send_due(*, engine: Engine, config: dict[str, Any], now: datetime, batch_size: int = 100) -> DeliveryReport:
    """Deliver every outbox row that is due at `now`, in batches of `batch_size` with one connection each.

    Stops early (see `report.stopped`) when the mail server cannot be reached; the next run tries again.
    """
    sender = _Sender(engine=engine, config=config, now=now)
    locked = engine.dialect.name == "postgresql"
    while sender.report.stopped is None:
        notices = sender.report.notices
        try:
            handled = sender.batch_claimed(batch_size) if locked else sender.batch_unlocked(batch_size)
        finally:
            sender.close()
        # Go on while batches come back full, or when this batch queued delivery-failure notices (due now).
        if handled < batch_size and sender.report.notices == notices:
            break
    return sender.report
