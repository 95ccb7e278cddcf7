"""Cycle periods: which review cycle (beoordelingsronde) a day falls in, for a cadence in months.

A cadence of 3 months gives quarters ("2026-Q4"), 6 gives halves ("2026-H2"), 12 gives years ("2026") and 1 gives
months ("2026-10"). Cycle rows are created on demand, once per name, safely when two planners race.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.config import ConfigError, setting
from bot.models import ReviewCycle, RiskTier

CADENCES = (1, 3, 6, 12)


@dataclass(frozen=True)
class Period:
    name: str
    starts_on: date
    ends_on: date  # the last day of the period (inclusive)


def period_for(day: date, months: int) -> Period:
    """The period of `months` months (1, 3, 6 or 12, aligned to the calendar year) that contains `day`."""
    if months not in CADENCES:
        raise ValueError(f"a cycle lasts 1, 3, 6 or 12 months, not {months}")
    index = (day.month - 1) // months  # 0-based period number within the year
    first_month = index * months + 1
    starts_on = date(day.year, first_month, 1)
    next_month = first_month + months
    next_start = date(day.year + 1, 1, 1) if next_month > 12 else date(day.year, next_month, 1)
    ends_on = next_start - timedelta(days=1)
    if months == 12:
        name = f"{day.year}"
    elif months == 6:
        name = f"{day.year}-H{index + 1}"
    elif months == 3:
        name = f"{day.year}-Q{index + 1}"
    else:
        name = f"{day.year}-{first_month:02d}"
    return Period(name, starts_on, ends_on)


def cadence_months(config: Mapping[str, Any], risk_tier: str) -> int:
    """Months between two uitvragen for contracts of `risk_tier`, from CADENCE_MONTHS_<TIER>."""
    if risk_tier not in {tier.value for tier in RiskTier}:
        raise ValueError(f"unknown risk tier {risk_tier!r}; expected low, medium or high")
    name = f"CADENCE_MONTHS_{risk_tier.upper()}"
    months = int(setting(config, name))
    if months not in CADENCES:
        raise ConfigError(f"{name} must be 1, 3, 6 or 12 (months per review cycle), got {months}")
    return months


def full_questionnaire_month(config: Mapping[str, Any]) -> int:
    """The month (1-12) whose cycle brings the yearly full questionnaire, from FULL_QUESTIONNAIRE_MONTH; 0 means
    the full questionnaire in every cycle (no update questionnaires)."""
    month = int(setting(config, "FULL_QUESTIONNAIRE_MONTH"))
    if not 0 <= month <= 12:
        raise ConfigError(f"FULL_QUESTIONNAIRE_MONTH must be a month from 1 to 12 (or 0: every cycle), got {month}")
    return month


def holds_full_questionnaire(period: Period, month: int) -> bool:
    """Whether the cycle `period` is the one of the yearly full questionnaire (`month` as full_questionnaire_month)."""
    return month == 0 or period.starts_on.month <= month <= period.ends_on.month


def ensure_cycle(session: Session, *, period: Period, now: datetime) -> ReviewCycle:
    """The ReviewCycle row for `period`, created (and flushed) if it does not exist yet.

    Two planners creating the same cycle at once: the unique name decides, and the loser reads the winner's row.
    """
    statement = select(ReviewCycle).where(ReviewCycle.name == period.name)
    existing = session.exec(statement).first()
    if existing is not None:
        return existing
    cycle = ReviewCycle(name=period.name, starts_on=period.starts_on, ends_on=period.ends_on, created_at=now)
    try:
        with session.begin_nested():
            session.add(cycle)
    except IntegrityError:
        existing = session.exec(statement).first()
        if existing is None:
            raise
        return existing
    return cycle
