"""Findings follow the supplier's answers across follow-ups and cycles.

A finding is settled only by a later submission of the same supplier, municipality and questionnaire that asks its
question again (the next cycle's regular uitvraag asks every question; an improvement request or an evidence renewal
asks its chosen ones): resolved when the new answer (or renewed document) is no longer weak, carried over when it
still is, and then the finding lives on as the later uitvraag's own. Until then it stays open (or accepted) where it
was raised, whatever cycle has started since. An acceptance that has not ended moves with a carried-over finding of the
same rule. Every step is recorded in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot import audit
from bot.models import Finding, FindingStatus, ReviewCycle, Uitvraag, UitvraagKind, UitvraagStatus

# A settled finding needs no action on its own uitvraag any more: fixed, or carried over to a later uitvraag.
SETTLED = (FindingStatus.RESOLVED.value, FindingStatus.CARRIED.value)
_LIVE = (FindingStatus.OPEN.value, FindingStatus.ACCEPTED.value)
_ANSWERED = (UitvraagStatus.SUBMITTED.value, UitvraagStatus.REVIEWED.value)


def settle_earlier_findings(
    session: Session,
    *,
    uitvraag: Uitvraag,
    asked: Iterable[str],
    new_findings: Iterable[Finding],
    now: datetime,
    actor: str,
) -> list[Finding]:
    """Resolve or carry over the live findings of earlier submissions on the questions `uitvraag` asked.

    `new_findings` are the findings `uitvraag`'s own submission raised (added to the session, not yet committed).
    Returns the earlier findings that changed.
    """
    asked_ids = set(asked)
    by_question: dict[str, list[Finding]] = defaultdict(list)
    for finding in new_findings:
        by_question[finding.question_id].append(finding)
    earlier = (
        select(Finding)
        .join(Uitvraag, col(Uitvraag.id) == Finding.uitvraag_id)
        .where(
            Uitvraag.organisation_id == uitvraag.organisation_id,
            Uitvraag.supplier_id == uitvraag.supplier_id,
            Uitvraag.questionnaire_id == uitvraag.questionnaire_id,
            col(Uitvraag.id) != uitvraag.id,
            col(Uitvraag.status).in_(_ANSWERED),
            col(Finding.status).in_(_LIVE),
        )
        .order_by(col(Finding.id))
    )
    changed = []
    today = now.date()
    for finding in session.exec(earlier):
        if finding.question_id not in asked_ids:
            continue
        successors = by_question.get(finding.question_id, [])
        carried = bool(successors)
        if carried and finding.status == FindingStatus.ACCEPTED and (finding.accepted_until or today) > today:
            for successor in successors:
                if successor.rule == finding.rule and successor.status == FindingStatus.OPEN:
                    successor.status = FindingStatus.ACCEPTED
                    successor.accepted_until = finding.accepted_until
                    successor.accepted_reason = finding.accepted_reason
                    successor.accepted_by_id = finding.accepted_by_id
                    session.add(successor)
        finding.status = FindingStatus.CARRIED if carried else FindingStatus.RESOLVED
        finding.resolved_at = now
        session.add(finding)
        changed.append(finding)
        audit.record(
            session,
            now=now,
            actor=actor,
            action="finding.carried-over" if carried else "finding.resolved",
            organisation_id=uitvraag.organisation_id,
            subject_type="uitvraag",
            subject_id=finding.uitvraag_id,
            detail={
                "finding_id": finding.id,
                "question_id": finding.question_id,
                "severity": finding.severity,
                "follow_up_id": uitvraag.id,
                "acceptance_kept": carried and any(s.status == FindingStatus.ACCEPTED for s in successors),
            },
        )
    return changed


def settled_by(finding: Finding, candidates: Iterable[Uitvraag]) -> Uitvraag | None:
    """The later uitvraag whose submission resolved or carried over `finding`: the one submitted at that moment
    that asked its question."""
    if finding.resolved_at is None:
        return None
    for uitvraag in candidates:
        asks = uitvraag.kind == UitvraagKind.REGULAR or finding.question_id in (uitvraag.question_ids or [])
        if asks and uitvraag.submitted_at == finding.resolved_at and uitvraag.id != finding.uitvraag_id:
            return uitvraag
    return None


def later_uitvragen(session: Session, uitvraag: Uitvraag) -> list[Uitvraag]:
    """Every other submitted uitvraag of the same supplier, municipality and questionnaire (candidates for
    `settled_by`), oldest submission first."""
    return list(
        session.exec(
            select(Uitvraag)
            .where(
                Uitvraag.organisation_id == uitvraag.organisation_id,
                Uitvraag.supplier_id == uitvraag.supplier_id,
                Uitvraag.questionnaire_id == uitvraag.questionnaire_id,
                col(Uitvraag.id) != uitvraag.id,
                col(Uitvraag.submitted_at).is_not(None),
            )
            .order_by(col(Uitvraag.submitted_at), col(Uitvraag.id))
        ).all()
    )


def earlier_live_findings(session: Session, uitvragen: Iterable[Uitvraag]) -> dict[int, list[Finding]]:
    """Per regular uitvraag: the live (open or accepted) findings of the same supplier, municipality and
    questionnaire raised in earlier cycles, which nothing has settled yet. They still count for the contract."""
    regular = [u for u in uitvragen if u.kind == UitvraagKind.REGULAR and u.id is not None]
    result: dict[int, list[Finding]] = {}
    if not regular:
        return result
    starts = {c.id: c.starts_on for c in session.exec(select(ReviewCycle)).all()}
    keys = {(u.organisation_id, u.supplier_id, u.questionnaire_id) for u in regular}
    statement = (
        select(Finding, Uitvraag)
        .join(Uitvraag, col(Uitvraag.id) == Finding.uitvraag_id)
        .where(
            col(Uitvraag.supplier_id).in_({k[1] for k in keys}),
            col(Uitvraag.organisation_id).in_({k[0] for k in keys}),
            col(Finding.status).in_(_LIVE),
        )
        .order_by(col(Finding.id))
    )
    live: dict[tuple[int, int, str], list[tuple[date, Finding]]] = defaultdict(list)
    for finding, source in session.exec(statement):
        live[(source.organisation_id, source.supplier_id, source.questionnaire_id)].append(
            (starts.get(source.cycle_id, date.min), finding)
        )
    for u in regular:
        own_start = starts.get(u.cycle_id, date.min)
        same = live.get((u.organisation_id, u.supplier_id, u.questionnaire_id), [])
        result[u.id] = [f for started, f in same if started < own_start]  # type: ignore[index]
    return result
