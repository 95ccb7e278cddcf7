"""The audit log: who did what, and when. Callers add the row in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.models import AuditLog


def new_row(
    *,
    now: datetime,
    actor: str,
    action: str,
    organisation_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit row: for `record` and the bulk writers alike."""
    return {
        "at": now,
        "organisation_id": organisation_id,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": detail,
    }


def record(
    session: Session,
    *,
    now: datetime,
    actor: str,
    action: str,
    organisation_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to the session (the caller commits)."""
    entry = AuditLog(
        **new_row(
            now=now,
            actor=actor,
            action=action,
            organisation_id=organisation_id,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
        )
    )
    session.add(entry)
    return entry
