"""The worker's heartbeat: one `WorkerStatus` row per job, so the web (readiness, metrics) can see the worker."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.models import WorkerStatus

TICK = "tick"
RETENTION = "retention"  # the daily retention run, on the worker's clock (bot/cycles/worker.py)


def holder() -> str:
    """This process, as the heartbeat names it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def record_run(session: Session, *, name: str, started: datetime, finished: datetime, errors: int) -> WorkerStatus:
    """Write that job `name` ran from `started` to `finished` with `errors` failed parts; the caller commits."""
    for _attempt in range(2):
        row = session.get(WorkerStatus, name, with_for_update=True)
        if row is None:
            row = WorkerStatus(name=name)
        row.last_started_at = started
        row.last_finished_at = finished
        row.last_seconds = round((finished - started).total_seconds(), 3)
        row.last_errors = errors
        row.runs = (row.runs or 0) + 1
        row.holder = holder()
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:  # a replica that just took over wrote the first row at the same moment
            continue
    raise RuntimeError(f"could not record the run of worker job {name!r}")


def last_run(session: Session, name: str = TICK) -> WorkerStatus | None:
    """The heartbeat row of job `name`, or None if it never ran."""
    return session.get(WorkerStatus, name)


def age_seconds(row: WorkerStatus | None, now: datetime) -> float | None:
    """Seconds since job `row` last finished, or None if it never did."""
    if row is None or row.last_finished_at is None:
        return None
    return max(0.0, (now - row.last_finished_at).total_seconds())
