"""Prometheus metrics: the web's requests (by route and status, latency) and the state of the work in the database.

Request metrics are counted in each web process (with several gunicorn workers set PROMETHEUS_MULTIPROC_DIR, see
the README). The worker's figures (tick age and duration, outbox, uitvragen, escalations) are read from the database
at every scrape, so any web instance can serve them and they survive a worker restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import heartbeat
from bot.cycles import steps
from bot.models import LadderStep, OutboxMessage, OutboxStatus, Uitvraag, UitvraagStatus
from bot.timeutil import as_utc, utcnow

REQUESTS = Counter(
    "bot_http_requests", "Web requests handled, by route (endpoint), method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "bot_http_request_duration_seconds",
    "Time to answer a web request, by route (endpoint)",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ESCALATION_LEVELS = tuple(level.value for level in steps.ESCALATION_LEVELS)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route).observe(seconds)


@dataclass
class ServiceState:
    """The figures an operator watches, read from the database at one moment."""

    outbox: dict[str, int] = field(default_factory=dict)  # by status
    oldest_pending_age_seconds: float | None = None
    uitvragen: dict[str, int] = field(default_factory=dict)  # by status
    escalations_sent: dict[str, int] = field(default_factory=dict)  # by level (owner, ciso): their mail was sent
    tick: heartbeat.WorkerStatus | None = None
    tick_age_seconds: float | None = None


def service_state(session: Session, *, now: datetime) -> ServiceState:
    """Outbox depth by status and its oldest pending mail, uitvragen by status, escalations sent, the worker's tick."""
    o = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    u = Uitvraag.__table__.c  # type: ignore[attr-defined]
    e = LadderStep.__table__.c  # type: ignore[attr-defined]
    state = ServiceState()
    state.outbox = {status.value: 0 for status in OutboxStatus}
    for status, count in session.execute(sa.select(o.status, sa.func.count()).group_by(o.status).order_by(o.status)):
        state.outbox[status] = count
    oldest = session.execute(sa.select(sa.func.min(o.created_at)).where(o.status == OutboxStatus.PENDING.value))
    oldest_at = oldest.scalar()
    if oldest_at is not None:
        state.oldest_pending_age_seconds = max(0.0, (now - as_utc(oldest_at)).total_seconds())
    state.uitvragen = {status.value: 0 for status in UitvraagStatus}
    for status, count in session.execute(sa.select(u.status, sa.func.count()).group_by(u.status).order_by(u.status)):
        state.uitvragen[status] = count
    state.escalations_sent = dict.fromkeys(ESCALATION_LEVELS, 0)
    sent = (
        sa.select(e.level, sa.func.count())
        .join(OutboxMessage.__table__, o.id == e.outbox_id)
        .where(e.level.in_(ESCALATION_LEVELS), o.status == OutboxStatus.SENT.value)
        .group_by(e.level)
        .order_by(e.level)
    )
    for level, count in session.execute(sent):
        state.escalations_sent[level] = count
    state.tick = heartbeat.last_run(session)
    state.tick_age_seconds = heartbeat.age_seconds(state.tick, now)
    return state


class StateCollector(Collector):
    """Reads `service_state` at every scrape; `bot_database_up` 0 (and nothing else) when the database is down."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                state = service_state(session, now=utcnow())
        except Exception:  # noqa: BLE001 - a scrape must answer; the gauge says what is wrong
            yield GaugeMetricFamily("bot_database_up", "1 when the database answered this scrape", value=0)
            return
        yield GaugeMetricFamily("bot_database_up", "1 when the database answered this scrape", value=1)
        yield from _by_label("bot_outbox_messages", "Mails in the outbox, by status", "status", state.outbox)
        yield GaugeMetricFamily(
            "bot_outbox_failed_messages", "Mails given up on (they need a person)", value=state.outbox.get("failed", 0)
        )
        yield _optional(
            "bot_outbox_oldest_pending_age_seconds",
            "Age of the oldest mail still waiting to be sent (absent: none waiting)",
            state.oldest_pending_age_seconds,
        )
        yield from _by_label("bot_uitvragen", "Uitvragen (requests to suppliers), by status", "status", state.uitvragen)
        sent = CounterMetricFamily(
            "bot_escalations_sent", "Escalation steps whose mail was delivered, by level", labels=["level"]
        )
        for level, count in state.escalations_sent.items():
            sent.add_metric([level], count)
        yield sent
        tick = state.tick
        yield _optional(
            "bot_worker_last_tick_age_seconds", "Seconds since the worker's last tick finished", state.tick_age_seconds
        )
        yield _optional(
            "bot_worker_last_tick_duration_seconds",
            "How long the worker's last tick took",
            None if tick is None else tick.last_seconds,
        )
        yield _optional(
            "bot_worker_last_tick_errors",
            "Parts of the worker's last tick that failed (planning, sweep, delivery)",
            None if tick is None else tick.last_errors,
        )
        ticks = CounterMetricFamily("bot_worker_ticks", "Ticks the worker has run")
        ticks.add_metric([], 0 if tick is None else tick.runs)
        yield ticks


def _by_label(name: str, documentation: str, label: str, values: dict[str, int]) -> Iterator[Metric]:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    yield family


def _optional(name: str, documentation: str, value: Any) -> Metric:
    family = GaugeMetricFamily(name, documentation)
    if value is not None:
        family.add_metric([], float(value))
    return family
