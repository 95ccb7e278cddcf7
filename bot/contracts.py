"""When a contract is in force: the one rule the planner, the sweep and the uitvraag facts share.

A contract is in force on `today` when it is active in the register, has started and has not ended (an end date
is the last day it is in force).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa


def in_force(contract: Any, today: date) -> bool:
    """Is this contract (a Contract or a row with active, start_date and end_date) in force on `today`?"""
    return (
        bool(contract.active)
        and contract.start_date <= today
        and (contract.end_date is None or contract.end_date >= today)
    )


def in_force_sql(columns: Any, today: Any) -> Any:
    """SQL: the contract with these columns (`Contract.__table__.c`) is in force on `today` (a date or bindparam)."""
    return sa.and_(
        columns.active.is_(True),
        columns.start_date <= today,
        sa.or_(columns.end_date.is_(None), columns.end_date >= today),
    )
