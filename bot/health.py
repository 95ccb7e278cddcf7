"""Readiness of the service for load balancers and monitors: database reachable, schema at head, worker ticking.

Plain functions on an engine and an explicit `now`; bot/web/health.py serves them as /readyz and /readyz/worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import heartbeat
from bot.config import setting
from bot.migrate import alembic_config


@dataclass
class Readiness:
    """What each check found; `ok` only when every check that counts passed."""

    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


@cache
def schema_heads() -> frozenset[str]:
    """The newest migration revisions this code knows (one, unless the migrations branched)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def stale_after_seconds(config: Mapping[str, Any]) -> int:
    """A worker whose last tick is older than this is stuck: WORKER_STALE_SECONDS, or three ticks plus a minute."""
    configured = int(setting(config, "WORKER_STALE_SECONDS"))
    return configured if configured > 0 else 3 * int(setting(config, "WORKER_TICK_SECONDS")) + 60


def readiness(engine: Engine, *, config: Mapping[str, Any], now: datetime, worker: bool = False) -> Readiness:
    """Check the database (reachable, migrations at head) and the worker's last tick.

    The worker's tick is always reported; it only makes the answer "not ready" with `worker=True`, so that a stopped
    worker does not take every web instance out of its load balancer.
    """
    result = Readiness()
    try:
        with Session(engine) as session:
            session.connection().execute(text("SELECT 1"))
            result.checks["database"] = {"ok": True}
            current = frozenset(
                row[0] for row in session.connection().execute(text("SELECT version_num FROM alembic_version"))
            )
            heads = schema_heads()
            result.checks["migrations"] = {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}
            row = heartbeat.last_run(session)
    except Exception as error:  # noqa: BLE001 - any failure here means: not ready, and say why
        result.checks.setdefault("database", {"ok": False, "error": type(error).__name__})
        if result.checks["database"]["ok"]:
            result.checks["migrations"] = {"ok": False, "error": type(error).__name__}
        return result
    age = heartbeat.age_seconds(row, now)
    limit = stale_after_seconds(config)
    fresh = age is not None and age <= limit
    result.checks["worker"] = {
        "ok": fresh or not worker,
        "fresh": fresh,
        "last_tick_age_seconds": None if age is None else round(age, 1),
        "last_tick_seconds": None if row is None else row.last_seconds,
        "last_tick_errors": None if row is None else row.last_errors,
        "stale_after_seconds": limit,
    }
    return result
