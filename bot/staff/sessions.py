"""Staff sessions: what the signed cookie holds, when it is still good, and ending every session of a user.

The cookie (signed, `bot_session`) holds the user's id, when they signed in, when the session was last used and the
user's session epoch at sign-in. The epoch lives on the server (`StaffUser.session_epoch`): `end_sessions` raises
it, and every cookie carrying an older one stops working at once, a copied cookie or another device's included.
A session also ends STAFF_SESSION_HOURS after sign-in and after STAFF_IDLE_MINUTES without a request.

Every way of signing in (the mailed link, single sign-on) starts a session with `start_session`; sign-out,
deactivation and anything else that must throw a user out calls `end_sessions`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.audit import record
from bot.models import StaffUser
from bot.timeutil import as_utc

SESSION_USER = "staff_user_id"
SESSION_SINCE = "staff_signed_in_at"
SESSION_SEEN = "staff_seen_at"
SESSION_EPOCH = "staff_session_epoch"
_KEYS = (SESSION_USER, SESSION_SINCE, SESSION_SEEN, SESSION_EPOCH)
# How stale the "last used" time may get before a request writes it again (so not every request sets a cookie).
_SEEN_RESOLUTION = timedelta(seconds=60)


def start_session(store: MutableMapping[str, Any], user: StaffUser, *, now: datetime) -> None:
    """Put a new session for `user` in the cookie `store` (Flask's `session`), replacing whatever it held."""
    store.clear()
    store[SESSION_USER] = user.id
    store[SESSION_SINCE] = now.isoformat()
    store[SESSION_SEEN] = now.isoformat()
    store[SESSION_EPOCH] = user.session_epoch


def forget_session(store: MutableMapping[str, Any]) -> None:
    """Remove the staff session from the cookie `store` (its other keys, like where to go next, stay)."""
    for key in _KEYS:
        store.pop(key, None)


def _moment(value: Any) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None


def session_user(
    db: Session, store: MutableMapping[str, Any], *, now: datetime, hours: int, idle_minutes: int
) -> StaffUser | None:
    """The active user of the session in `store` if it is still good at `now`; None (and forgotten) if not.

    Good means: signed in less than `hours` ago, used less than `idle_minutes` ago, the user active, and the
    cookie's epoch the user's current one. A good session is marked as used now.
    """
    user_id, epoch = store.get(SESSION_USER), store.get(SESSION_EPOCH)
    since, seen = _moment(store.get(SESSION_SINCE)), _moment(store.get(SESSION_SEEN))
    user = None
    if (
        isinstance(user_id, int)
        and isinstance(epoch, int)
        and since is not None
        and seen is not None
        and now < since + timedelta(hours=hours)
        and now < seen + timedelta(minutes=idle_minutes)
    ):
        candidate = db.get(StaffUser, user_id)
        if candidate is not None and candidate.active and candidate.session_epoch == epoch:
            user = candidate
    if user is None:
        forget_session(store)
    elif now - seen >= _SEEN_RESOLUTION:
        store[SESSION_SEEN] = now.isoformat()
    return user


def end_sessions(db: Session, user: StaffUser, *, now: datetime, actor: str, reason: str) -> None:
    """End every session `user` has, on every device, audited with `reason`. The caller commits."""
    table = StaffUser.__table__  # type: ignore[attr-defined]
    db.execute(sa.update(table).where(table.c.id == user.id).values(session_epoch=table.c.session_epoch + 1))
    db.refresh(user)
    record(
        db,
        now=now,
        actor=actor,
        action=f"staff.{reason}",
        organisation_id=user.organisation_id,
        subject_type="staffuser",
        subject_id=user.id,
    )
