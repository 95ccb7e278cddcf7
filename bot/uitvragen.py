"""Creating uitvragen: the contracts an uitvraag covers, and follow-ups that ask chosen questions again.

A follow-up is asked under the next follow-up number of its parent's cycle: staff ask for improvement of answers (kind
"follow-up", bot.staff.actions) and the sweep asks for a renewed certificate or report (kind "evidence",
bot.cycles.renewal). Both are made here with their contracts and a fresh link; the caller queues the mail that
carries the link, and commits. The planner writes regular uitvragen in bulk (bot.cycles.planner) with the same
contract rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import audit
from bot.access import issue_token, revoke_tokens
from bot.models import OPEN_STATUSES, Uitvraag, UitvraagContract, UitvraagKind, UitvraagStatus


def is_overdue(uitvraag: Uitvraag, now: datetime) -> bool:
    """Still waiting for answers after its deadline (a submitted, reviewed or cancelled uitvraag never is)."""
    return uitvraag.status in OPEN_STATUSES and uitvraag.deadline is not None and uitvraag.deadline < now


def overdue_sql(columns: Any, now: Any) -> Any:
    """SQL: the uitvraag with these columns (`Uitvraag.__table__.c`) is overdue at `now`, as `is_overdue` says."""
    return sa.and_(columns.status.in_([s.value for s in OPEN_STATUSES]), columns.deadline < now)


def contract_rows(
    *, uitvraag_id: int, contract_ids: Iterable[int], questionnaire_id: str, cycle_id: int, follow_up_number: int
) -> list[dict[str, Any]]:
    """The UitvraagContract rows of an uitvraag. They repeat its questionnaire, cycle and follow-up number, so
    that the database keeps a contract in one uitvraag per questionnaire, cycle and follow-up number."""
    return [
        {
            "uitvraag_id": uitvraag_id,
            "contract_id": contract_id,
            "questionnaire_id": questionnaire_id,
            "cycle_id": cycle_id,
            "follow_up_number": follow_up_number,
        }
        for contract_id in contract_ids
    ]


def create_follow_up(
    session: Session,
    *,
    parent: Uitvraag,
    kind: UitvraagKind,
    question_ids: list[str],
    contract_ids: Iterable[int],
    deadline: datetime,
    now: datetime,
    grace_days: int,
    remark: str | None = None,
) -> tuple[Uitvraag, str]:
    """A follow-up of `parent` that asks `question_ids` again, covering `contract_ids`, with a fresh link.

    Returns the new uitvraag (flushed: it has its id) and its link token. Two racing callers get the same follow-up
    number; the unique key on it lets one commit win.
    """
    follow_up = new_follow_up(
        session,
        parent=parent,
        kind=kind,
        question_ids=question_ids,
        contract_ids=contract_ids,
        deadline=deadline,
        now=now,
        remark=remark,
    )
    return follow_up, issue_token(session, uitvraag=follow_up, now=now, grace_days=grace_days)


def new_follow_up(
    session: Session,
    *,
    parent: Uitvraag,
    kind: UitvraagKind,
    question_ids: list[str],
    contract_ids: Iterable[int],
    deadline: datetime,
    now: datetime,
    remark: str | None = None,
) -> Uitvraag:
    """A follow-up of `parent` without a link of its own: `create_follow_up` adds the link; a municipality that
    receives an improved shared declaration (bot.sharing) gets its follow-up answered without one."""
    highest = session.exec(
        select(sa.func.max(Uitvraag.follow_up_number)).where(
            Uitvraag.organisation_id == parent.organisation_id,
            Uitvraag.supplier_id == parent.supplier_id,
            Uitvraag.questionnaire_id == parent.questionnaire_id,
            Uitvraag.cycle_id == parent.cycle_id,
        )
    ).one()
    follow_up = Uitvraag(
        organisation_id=parent.organisation_id,
        supplier_id=parent.supplier_id,
        cycle_id=parent.cycle_id,
        questionnaire_id=parent.questionnaire_id,
        snapshot_id=parent.snapshot_id,
        follow_up_number=(highest or 0) + 1,
        kind=kind,
        parent_id=parent.id,
        question_ids=question_ids,
        remark=remark,
        status=UitvraagStatus.PENDING,
        recipient_email=parent.recipient_email,
        language=parent.language,
        deadline=deadline,
        created_at=now,
    )
    session.add(follow_up)
    session.flush()
    assert follow_up.id is not None
    rows = contract_rows(
        uitvraag_id=follow_up.id,
        contract_ids=contract_ids,
        questionnaire_id=follow_up.questionnaire_id,
        cycle_id=follow_up.cycle_id,
        follow_up_number=follow_up.follow_up_number,
    )
    session.add_all(UitvraagContract(**row) for row in rows)
    session.flush()
    return follow_up


def end_renewals_answered_by(
    session: Session, *, uitvraag: Uitvraag, renewed: Iterable[str], now: datetime, actor: str
) -> list[Uitvraag]:
    """End the open evidence renewals of the same supplier, municipality and questionnaire that ask only for
    documents `uitvraag` brought anew (question ids in `renewed`): no reminder or escalation follows for them.

    Their links stop working; each is recorded in the audit log. Returns the renewals ended (the caller commits).
    """
    renewed_ids = set(renewed)
    if not renewed_ids:
        return []
    ended = []
    for renewal in session.exec(
        select(Uitvraag)
        .where(
            Uitvraag.organisation_id == uitvraag.organisation_id,
            Uitvraag.supplier_id == uitvraag.supplier_id,
            Uitvraag.questionnaire_id == uitvraag.questionnaire_id,
            Uitvraag.kind == UitvraagKind.EVIDENCE,
            Uitvraag.id != uitvraag.id,
            sa.or_(*(Uitvraag.status == status for status in OPEN_STATUSES)),
        )
        .order_by(Uitvraag.id)  # type: ignore[arg-type]
    ):
        asked = set(renewal.question_ids or [])
        if not asked or not asked <= renewed_ids:
            continue
        renewal.status = UitvraagStatus.CANCELLED
        session.add(renewal)
        revoke_tokens(session, uitvraag=renewal, now=now)
        audit.record(
            session,
            now=now,
            actor=actor,
            action="uitvraag.renewal-ended",
            organisation_id=renewal.organisation_id,
            subject_type="uitvraag",
            subject_id=renewal.id,
            detail={"renewed_in": uitvraag.id, "question_ids": sorted(asked)},
        )
        ended.append(renewal)
    return ended
