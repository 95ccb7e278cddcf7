"""What a submitted follow-up does to the findings of the uitvraag it follows up.

A follow-up (an improvement request or an evidence renewal) asks chosen questions again. Each open finding of the
parent on an asked question is then settled by the follow-up's own judgement of that question: resolved when the new
answer (or renewed document) is no longer weak, carried over when it still is: the finding lives on as the
follow-up's open finding, and the parent's says where it went. Both are recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from bot import audit
from bot.models import Finding, FindingStatus, Uitvraag

# A settled finding needs no action on its own uitvraag any more: fixed, or carried over to the follow-up.
SETTLED = (FindingStatus.RESOLVED.value, FindingStatus.CARRIED.value)


def settle_followed_up_findings(
    session: Session,
    *,
    follow_up: Uitvraag,
    asked: Iterable[str],
    still_weak: Iterable[str],
    now: datetime,
    actor: str,
) -> list[Finding]:
    """Resolve or carry over the parent's open findings on the `asked` questions; returns the findings changed.

    `still_weak` holds the asked questions the follow-up's own answers still raise a finding on.
    """
    if follow_up.parent_id is None:
        return []
    asked_ids = set(asked)
    weak_ids = set(still_weak)
    changed = []
    statement = (
        select(Finding)
        .where(Finding.uitvraag_id == follow_up.parent_id, Finding.status == FindingStatus.OPEN)
        .order_by(Finding.id)  # type: ignore[arg-type]
    )
    for finding in session.exec(statement):
        if finding.question_id not in asked_ids:
            continue
        carried = finding.question_id in weak_ids
        finding.status = FindingStatus.CARRIED if carried else FindingStatus.RESOLVED
        finding.resolved_at = now
        session.add(finding)
        changed.append(finding)
        audit.record(
            session,
            now=now,
            actor=actor,
            action="finding.carried-over" if carried else "finding.resolved",
            organisation_id=follow_up.organisation_id,
            subject_type="uitvraag",
            subject_id=finding.uitvraag_id,
            detail={
                "finding_id": finding.id,
                "question_id": finding.question_id,
                "severity": finding.severity,
                "follow_up_id": follow_up.id,
            },
        )
    return changed


def carried_to(finding: Finding, follow_ups: Iterable[Uitvraag]) -> Uitvraag | None:
    """The follow-up a carried-over (or resolved) finding was settled by: the one submitted at that moment that
    asked its question."""
    for follow_up in follow_ups:
        if (
            follow_up.submitted_at is not None
            and finding.resolved_at is not None
            and follow_up.submitted_at == finding.resolved_at
            and finding.question_id in (follow_up.question_ids or [])
        ):
            return follow_up
    return None
