"""Time helpers: everything is timezone-aware UTC inside the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The people using the service read Dutch time (CET/CEST); everything is stored in UTC.
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_time(value: datetime) -> datetime:
    """A stored (UTC) moment as Dutch local time, for display."""
    return value.astimezone(LOCAL_TIME)


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_now(text: str | None) -> datetime:
    """Parse a `--now` option: an ISO date or date-time; naive values are UTC. None means the real clock."""
    if text is None or text == "":
        return utcnow()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(f"--now must be an ISO date or date-time such as 2026-10-01T09:00, got {text!r}") from None


def day_start(value: date) -> datetime:
    return datetime.combine(value, datetime.min.time(), tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """A deadline given as a date: the end of that day (23:59:59 UTC), so mails and pages can name it as the date."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def deadline_after(now: datetime, days: int) -> datetime:
    """The deadline `days` days after `now`: the end of that (UTC) day."""
    return end_of_day(now.astimezone(UTC).date() + timedelta(days=days))
