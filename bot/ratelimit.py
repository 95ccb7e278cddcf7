"""Fixed-window rate limits kept in the database (`RateLimitHit`), so every web instance shares the same counts.

Used against guessing of supplier link tokens and staff sign-in links. A window is `window_seconds` long and
starts at a multiple of it (Unix time); the count of the current window decides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.models import RateLimitHit


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window that `now` falls in."""
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % window_seconds, tz=UTC)


def hit(session: Session, *, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
    """Count one attempt for `key`; True while the window's count (this one included) is within `limit`.

    The increment is atomic (UPDATE ... SET count = count + 1), so concurrent instances never lose a hit. The
    caller commits. Rows of windows long past are removed for this key on the way.
    """
    start = window_start(now, window_seconds)
    table = RateLimitHit.__table__  # type: ignore[attr-defined]
    bump = sa.update(table).where(table.c.key == key, table.c.window_start == start).values(count=table.c.count + 1)
    if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(RateLimitHit(key=key, window_start=start, count=1))
        except IntegrityError:
            # Another instance created this window's row first: count on it.
            session.execute(bump)
        session.execute(
            sa.delete(table).where(table.c.key == key, table.c.window_start < start - timedelta(seconds=window_seconds))
        )
    return count(session, key=key, window_seconds=window_seconds, now=now) <= limit


def count(session: Session, *, key: str, window_seconds: int, now: datetime) -> int:
    """How many attempts `key` made in the current window."""
    start = window_start(now, window_seconds)
    value = session.exec(
        select(RateLimitHit.count).where(RateLimitHit.key == key, RateLimitHit.window_start == start)
    ).first()
    return int(value or 0)


def exceeded(session: Session, *, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
    """True when `key` has used up its attempts in the current window (read only: counts nothing)."""
    return count(session, key=key, window_seconds=window_seconds, now=now) >= limit
