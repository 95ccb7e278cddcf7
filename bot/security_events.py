"""Security events (F11): refused links and tokens, rate limits, role refusals, sign-in and sign-out.

Each event is one log line on the `bot.security` logger and one audit row with action `security.<kind>`, the
client address in its detail. Neither ever holds a token: a request is named by its route pattern
(`/s/<token>`), never by its path. Events of a known organisation show in that organisation's audit log; the
instance administrator sees all of them with `bot security-events`.

Views note events with `note(kind)`; they are written after the request's own session is closed, in a session of
their own, so a refused request (rolled back) still leaves its event. Every 403 and 429 answer that no view
explained is noted here as `forbidden` or `rate-limited`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
from flask import Flask, Response, g, request
from flask.cli import with_appcontext
from sqlmodel import Session, col, select

from bot import audit
from bot.cli_options import NowType
from bot.db import close_session, get_engine, get_session, session_scope
from bot.models import AuditLog
from bot.timeutil import utcnow

log = logging.getLogger("bot.security")
ACTION_PREFIX = "security."
# Answers that are refusals in themselves, whatever the view: noted unless the view named the event already.
REFUSALS = {403: "forbidden", 429: "rate-limited"}


@dataclass(frozen=True)
class Noted:
    kind: str
    client: str
    route: str | None
    organisation_id: int | None
    actor: str | None


def record_event(
    session: Session,
    *,
    now: datetime,
    kind: str,
    client: str,
    route: str | None = None,
    organisation_id: int | None = None,
    actor: str | None = None,
) -> AuditLog:
    """Log one security event and add its audit row to `session` (the caller commits). No token may be passed."""
    detail: dict[str, Any] = {"client": client}
    if route:
        detail["route"] = route
    log.warning("security event %s from %s%s", kind, client, f" on {route}" if route else "")
    return audit.record(
        session,
        now=now,
        actor=actor or f"client:{client}",
        action=ACTION_PREFIX + kind,
        organisation_id=organisation_id,
        detail=detail,
    )


def note(kind: str, *, organisation_id: int | None = None, actor: str | None = None) -> None:
    """Note a security event of the current request; it is recorded when the request ends."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    noted = Noted(kind, request.remote_addr or "unknown", rule, organisation_id, actor)
    g.setdefault("security_events", []).append(noted)


def _refusals(response: Response) -> Response:
    kind = REFUSALS.get(response.status_code)
    if kind is not None and not g.get("security_events"):
        user = g.get("staff_user")  # a signed-in staff member refused by role: whose, and in which organisation
        note(
            kind,
            organisation_id=user.organisation_id if user is not None else None,
            actor=f"staff:{user.email}" if user is not None else None,
        )
    return response


def _store(_exc: BaseException | None) -> None:
    events: list[Noted] = g.pop("security_events", [])
    if not events:
        return
    close_session()  # the request's own session first: on SQLite it may still hold the write lock
    now = utcnow()
    try:
        with session_scope(get_engine()) as session:
            for event in events:
                record_event(
                    session,
                    now=now,
                    kind=event.kind,
                    client=event.client,
                    route=event.route,
                    organisation_id=event.organisation_id,
                    actor=event.actor,
                )
    except Exception:  # noqa: BLE001 - the log lines are written; the answer was already given
        log.exception("could not store %d security event(s)", len(events))


def init_app(app: Flask) -> None:
    app.after_request(_refusals)
    app.teardown_appcontext(_store)


def recent_events(session: Session, *, since: datetime | None = None, limit: int = 100) -> list[AuditLog]:
    """The latest security events of every organisation (and of none), newest first."""
    query = select(AuditLog).where(col(AuditLog.action).startswith(ACTION_PREFIX))
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    return list(session.exec(query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)).all())


@click.command("security-events")
@click.option("--since", type=NowType(), default=None, help="Only events from this moment (ISO date or date-time).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True, help="At most this many.")
@with_appcontext
def security_events_command(since: datetime | None, limit: int) -> None:
    """List security events (refused links, rate limits, role refusals, sign-ins and sign-outs), newest first."""
    events = recent_events(get_session(), since=since, limit=limit)
    if not events:
        click.echo("No security events.")
    for entry in events:
        detail = entry.detail or {}
        organisation = f"organisation {entry.organisation_id}" if entry.organisation_id else "no organisation"
        click.echo(
            f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.action.removeprefix(ACTION_PREFIX)} "
            f"client {detail.get('client', '?')} {detail.get('route') or '-'} {organisation} {entry.actor}"
        )


__all__ = ["init_app", "note", "record_event", "recent_events", "security_events_command"]
