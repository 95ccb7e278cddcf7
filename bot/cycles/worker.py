"""The worker: an APScheduler job, a frequent tick that plans cycles, sweeps and delivers mail; and a second one,
every SIGNIN_POLL_SECONDS, that mails the sign-in links staff asked for (the sign-in page only queues the request).

The scheduler's timing never makes the work correct: each tick reads from the database what is due, every step is
idempotent, and the first tick runs at start, so a worker that was down (even across a quarter boundary) catches
up at once. With PostgreSQL several replicas may run: the one holding the advisory lock works, the others wait
and take over when it goes away (the lock lives on a dedicated connection, released when the process dies).
The web processes never start a scheduler; only `bot worker` does. The two jobs may run at once (threads of one
scheduler); they never deliver mail at the same time (`DELIVERY`), so SQLite's one-sender rule holds.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot import heartbeat
from bot.config import setting
from bot.cycles.context import SweepReport
from bot.cycles.planner import PlanReport, plan_cycles
from bot.cycles.sweep import sweep
from bot.db import session_scope
from bot.mail.delivery import DeliveryReport, send_due
from bot.retention import apply_retention
from bot.staff.signin import resolve_signin_requests

log = logging.getLogger(__name__)
# APScheduler logs "Running job ... executed successfully" every tick; our own tick line says what happened.
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)

TICK_JOB_ID = "tick"
SIGNIN_JOB_ID = "signin"
# One sender at a time in this process: the tick and the sign-in job both deliver.
DELIVERY = threading.Lock()
# pg_advisory_lock key of the scheduler leader: "BIO2" in ASCII, the same for every replica of this service.
LEADER_LOCK_KEY = 0x42494F32


@dataclass
class TickReport:
    plan: PlanReport | None = None
    sweep: SweepReport | None = None
    delivery: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)


def tick(*, engine: Engine, config: Mapping[str, Any], now: datetime) -> TickReport:
    """One round of work at `now`: plan cycles, sweep, deliver due mail. A failing part does not stop the next."""
    report = TickReport()
    with Session(engine, expire_on_commit=False) as session:
        try:
            report.plan = plan_cycles(session=session, config=config, now=now)
        except Exception as error:  # noqa: BLE001 - logged; reminders and mail must still go out
            session.rollback()
            log.exception("planning failed")
            report.errors.append(f"planning: {error}")
        try:
            report.sweep = sweep(session=session, config=config, now=now)
        except Exception as error:  # noqa: BLE001
            session.rollback()
            log.exception("sweep failed")
            report.errors.append(f"sweep: {error}")
        try:
            resolve_signin_requests(session, config=config, now=now)
        except Exception as error:  # noqa: BLE001
            session.rollback()
            log.exception("sign-in requests failed")
            report.errors.append(f"sign-in requests: {error}")
    try:
        with DELIVERY:
            report.delivery = send_due(engine=engine, config=dict(config), now=now)
    except Exception as error:  # noqa: BLE001
        log.exception("mail delivery failed")
        report.errors.append(f"delivery: {error}")
    for part in (report.plan, report.sweep):
        if part is not None:
            # A tick every minute that finds nothing to do is not worth a line in the log.
            level = logging.INFO if part.did_something() else logging.DEBUG
            log.log(level, "tick %s: %s", now.isoformat(timespec="seconds"), part.summary())
    return report


class Clock:
    """The worker's idea of now: the real clock, or (for rehearsals) a start time that then runs at real speed."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta(0) if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class LeaderLock:
    """Who may run the scheduler: on PostgreSQL the holder of a session advisory lock, on SQLite always us."""

    def __init__(self, engine: Engine, key: int = LEADER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None

    @property
    def needed(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if not self.needed:
            return True
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = bool(self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
        except DBAPIError as error:
            # The database is down or restarting: a waiting replica keeps waiting instead of dying with it.
            log.warning("cannot reach the database to take the leader lock; trying again: %s", error.orig)
            got = False
        if not got:
            self.release()  # do not hold a connection while waiting
        return got

    def still_held(self) -> bool:
        """False when the lock's connection was lost (then another replica may have taken over)."""
        if not self.needed:
            return True
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the session, and its lock, are gone
            return False
        return True

    def release(self) -> None:
        """Give up the lock (if held) and the connection, which must not go back to the pool holding it."""
        if self.connection is not None:
            # A broken connection may fail here; its session, and the lock, are gone with it anyway.
            with contextlib.suppress(Exception):
                self.connection.execute(text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(Exception):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None


@dataclass
class Worker:
    engine: Engine
    config: Mapping[str, Any]
    clock: Clock
    lock: LeaderLock
    scheduler: Any = None
    exit_code: int = 0


def run_tick(worker: Worker) -> None:
    """The scheduler's job: one tick, if this process is still the leader."""
    if not worker.lock.still_held():
        log.error("lost the leader lock (database connection gone); stopping so that a replica can take over")
        worker.exit_code = 1
        if worker.scheduler is not None:
            worker.scheduler.shutdown(wait=False)
        return
    started = datetime.now(UTC)
    report = tick(engine=worker.engine, config=worker.config, now=worker.clock.now())
    # The heartbeat is about this process, so it is on the real clock even in a rehearsal (--now).
    try:
        with session_scope(worker.engine) as session:
            heartbeat.record_run(
                session, name=heartbeat.TICK, started=started, finished=datetime.now(UTC), errors=len(report.errors)
            )
    except Exception:  # noqa: BLE001 - a missed heartbeat shows as an old tick; the work itself is done
        log.exception("could not record the tick's heartbeat")
    run_retention_if_due(worker.engine, worker.config, worker.clock.now())


def signin_tick(*, engine: Engine, config: Mapping[str, Any], now: datetime) -> int:
    """Mail the links of queued sign-in requests at once (and whatever else is due); returns how many requests."""
    with Session(engine, expire_on_commit=False) as session:
        resolved = resolve_signin_requests(session, config=config, now=now)
    if resolved:
        with DELIVERY:
            send_due(engine=engine, config=dict(config), now=now)
    return resolved


def run_signin(worker: Worker) -> None:
    """The scheduler's sign-in job, if this process is still the leader (the tick notices when it is not)."""
    if not worker.lock.still_held():
        return
    try:
        signin_tick(engine=worker.engine, config=worker.config, now=worker.clock.now())
    except Exception:  # noqa: BLE001 - tried again in a few seconds; the tick does it too
        log.exception("sending sign-in links failed")


def run_retention_if_due(engine: Engine, config: Mapping[str, Any], now: datetime) -> bool:
    """Apply retention once per (UTC) day, on the first tick of the day; its run is recorded as job `retention`."""
    try:
        with session_scope(engine) as session:
            last = heartbeat.last_run(session, heartbeat.RETENTION)
            if last is not None and last.last_started_at is not None and last.last_started_at.date() >= now.date():
                return False
            plans = apply_retention(session, config=config, now=now)
            heartbeat.record_run(session, name=heartbeat.RETENTION, started=now, finished=now, errors=0)
    except Exception:  # noqa: BLE001 - retried on the next tick; the tick's own work is done
        log.exception("retention failed")
        return False
    removed = {plan.kind.name: len(plan.items) for plan in plans if plan.items}
    if removed:
        log.info("retention: removed %s", ", ".join(f"{count} {name}" for name, count in removed.items()))
    return True


def run_worker(*, engine: Engine, config: Mapping[str, Any], start: datetime | None = None, once: bool = False) -> int:
    """Wait to be the leader, then tick now and every WORKER_TICK_SECONDS until stopped. Returns an exit code."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    worker = Worker(engine, config, Clock(start), LeaderLock(engine))
    retry = max(1, int(setting(config, "WORKER_LEADER_RETRY_SECONDS")))
    seconds = max(1, int(setting(config, "WORKER_TICK_SECONDS")))
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if worker.scheduler is not None and worker.scheduler.running:
            worker.scheduler.shutdown(wait=False)

    if not once:
        signal.signal(signal.SIGTERM, stop)
    waited = False
    while not worker.lock.try_acquire():
        if stopping:
            return 0
        if not waited:
            log.info("another worker holds the leader lock; waiting to take over")
            waited = True
        time.sleep(retry)
    log.info("this worker is the leader%s; ticking now and then every %ss", " after waiting" if waited else "", seconds)
    try:
        if once:
            run_tick(worker)
            return worker.exit_code
        worker.scheduler = BlockingScheduler(timezone=UTC)
        worker.scheduler.add_job(
            run_tick,
            "interval",
            seconds=seconds,
            args=[worker],
            id=TICK_JOB_ID,
            name="plan, sweep, deliver mail",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # A tick that starts late is still worth running; the work is read from the database anyway.
            misfire_grace_time=max(300, seconds * 10),
            next_run_time=datetime.now(UTC),  # the first tick at once: catch up after downtime
        )
        worker.scheduler.add_job(
            run_signin,
            "interval",
            seconds=max(1, int(setting(config, "SIGNIN_POLL_SECONDS"))),
            args=[worker],
            id=SIGNIN_JOB_ID,
            name="mail requested sign-in links",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=60,
        )
        if not stopping:
            worker.scheduler.start()
        return worker.exit_code
    except KeyboardInterrupt:
        return 0
    finally:
        worker.lock.release()
