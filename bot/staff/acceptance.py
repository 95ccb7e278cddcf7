"""Risk acceptance with governance: a contract manager proposes to accept a finding as a risk (reason, mitigation,
end date); for a high or critical finding a CISO, another person than the proposer, approves or rejects it.

Plain functions taking the session, the acting staff user and `now`; each checks the actor, validates, changes the
rows and writes the audit log (the caller commits). A finding stays open, and keeps escalating, until the
acceptance is approved; once its end date passes it is open again and the ladder tells the owners (and for a
critical finding the CISO) once more (bot/cycles/ladder.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, select

from bot.config import setting
from bot.i18n import format_day
from bot.models import (
    AcceptanceStatus,
    Finding,
    FindingStatus,
    RiskAcceptance,
    Role,
    Severity,
    StaffUser,
    Uitvraag,
)
from bot.staff.actions import ActionError, NotAllowed, audit_action, require_actor, required_text

MAX_REASON = 2000
MAX_MITIGATION = 2000
OTHER_MONTHS = 36  # medium and low findings: at most three years, accepted by one person
NEEDS_APPROVAL = (Severity.CRITICAL.value, Severity.HIGH.value)


@dataclass(frozen=True)
class AcceptanceLimits:
    """The longest acceptance per severity, in months (settings RISK_ACCEPT_CRITICAL_MONTHS / _HIGH_MONTHS)."""

    critical_months: int
    high_months: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AcceptanceLimits:
        return cls(
            critical_months=int(setting(config, "RISK_ACCEPT_CRITICAL_MONTHS")),
            high_months=int(setting(config, "RISK_ACCEPT_HIGH_MONTHS")),
        )

    def months(self, severity: str) -> int:
        if severity == Severity.CRITICAL:
            return self.critical_months
        if severity == Severity.HIGH:
            return self.high_months
        return OTHER_MONTHS


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of that month where it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# One whole sentence per severity (a translator cannot inflect a severity name put into a sentence).
TOO_LONG_ACCEPTED = {
    Severity.CRITICAL: lazy_gettext(
        "A critical finding is accepted for at most %(months)s months (until %(latest)s at the latest); choose an "
        "earlier end date."
    ),
    Severity.HIGH: lazy_gettext(
        "A high finding is accepted for at most %(months)s months (until %(latest)s at the latest); choose an "
        "earlier end date."
    ),
    Severity.MEDIUM: lazy_gettext(
        "A medium finding is accepted for at most %(months)s months (until %(latest)s at the latest); choose an "
        "earlier end date."
    ),
    Severity.LOW: lazy_gettext(
        "A low finding is accepted for at most %(months)s months (until %(latest)s at the latest); choose an "
        "earlier end date."
    ),
}


def _check_until(until: date | None, severity: str, limits: AcceptanceLimits, today: date) -> date:
    if until is None:
        raise ActionError("until", lazy_gettext("Enter an end date."))
    if until <= today:
        raise ActionError("until", lazy_gettext("The end date must be after today."))
    months = limits.months(severity)
    latest = add_months(today, months)
    if until > latest:
        sentence = TOO_LONG_ACCEPTED[Severity(severity)]
        raise ActionError("until", LazyString(lambda: str(sentence) % {"months": months, "latest": format_day(latest)}))
    return until


def _uitvraag(session: Session, finding: Finding) -> Uitvraag:
    uitvraag = session.get(Uitvraag, finding.uitvraag_id)
    assert uitvraag is not None
    return uitvraag


def waiting_proposal(session: Session, finding: Finding) -> RiskAcceptance | None:
    """The proposal to accept `finding` that waits for a decision, if any."""
    return session.exec(
        select(RiskAcceptance).where(
            RiskAcceptance.finding_id == finding.id, RiskAcceptance.status == AcceptanceStatus.PROPOSED
        )
    ).first()


def _apply(finding: Finding, acceptance: RiskAcceptance, approver: StaffUser) -> None:
    finding.status = FindingStatus.ACCEPTED
    finding.accepted_until = acceptance.until
    finding.accepted_reason = f"{acceptance.reason}\n{acceptance.mitigation}".strip()
    finding.accepted_by_id = approver.id


def propose_acceptance(
    session: Session,
    *,
    actor: StaffUser,
    finding: Finding,
    reason: str,
    mitigation: str,
    until: date | None,
    limits: AcceptanceLimits,
    now: datetime,
) -> RiskAcceptance:
    """Propose to accept `finding` as a risk until `until`. A high or critical finding then waits for a CISO's
    approval (it stays open meanwhile); a medium or low one is accepted at once."""
    uitvraag = _uitvraag(session, finding)
    require_actor(session, actor, uitvraag)
    if finding.status == FindingStatus.RESOLVED:
        raise ActionError("finding", lazy_gettext("This finding has been resolved already."))
    if finding.status == FindingStatus.CARRIED:
        raise ActionError(
            "finding", lazy_gettext("This finding was carried over to the follow-up; accept the risk there.")
        )
    if waiting_proposal(session, finding) is not None:
        raise ActionError(
            "finding", lazy_gettext("A proposal for this finding is already waiting for the CISO's decision.")
        )
    reason = required_text(
        reason,
        "reason",
        MAX_REASON,
        missing=lazy_gettext("Enter a reason."),
        too_long=lazy_gettext("The reason is too long (at most %(limit)s characters)."),
    )
    needs_approval = finding.severity in NEEDS_APPROVAL
    if needs_approval:
        mitigation = required_text(
            mitigation,
            "mitigation",
            MAX_MITIGATION,
            missing=lazy_gettext("Enter the mitigating measures."),
            too_long=lazy_gettext("The mitigating measures are too long (at most %(limit)s characters)."),
        )
    else:
        mitigation = (mitigation or "").strip()[:MAX_MITIGATION]
    until = _check_until(until, finding.severity, limits, now.date())
    acceptance = RiskAcceptance(
        finding_id=finding.id,  # type: ignore[arg-type]
        organisation_id=uitvraag.organisation_id,
        severity=finding.severity,
        reason=reason,
        mitigation=mitigation,
        until=until,
        proposed_by_id=actor.id,  # type: ignore[arg-type]
        proposed_at=now,
    )
    detail = {
        "finding_id": finding.id,
        "question_id": finding.question_id,
        "severity": finding.severity,
        "until": until.isoformat(),
        "reason": reason,
        "mitigation": mitigation,
    }
    if needs_approval:
        session.add(acceptance)
        session.flush()
        audit_action(
            session, actor, uitvraag, "finding.acceptance-proposed", now, acceptance_id=acceptance.id, **detail
        )
        return acceptance
    acceptance.status = AcceptanceStatus.APPROVED
    acceptance.decided_by_id = actor.id
    acceptance.decided_at = now
    _apply(finding, acceptance, actor)
    session.add(acceptance)
    session.add(finding)
    session.flush()
    audit_action(session, actor, uitvraag, "finding.risk-accepted", now, acceptance_id=acceptance.id, **detail)
    return acceptance


def may_decide(user: StaffUser, acceptance: RiskAcceptance) -> bool:
    """A CISO of the same organisation who did not propose it."""
    return (
        user.active
        and user.role == Role.CISO
        and user.organisation_id == acceptance.organisation_id
        and user.id != acceptance.proposed_by_id
    )


def decide_acceptance(
    session: Session,
    *,
    actor: StaffUser,
    acceptance: RiskAcceptance,
    approve: bool,
    note: str,
    limits: AcceptanceLimits,
    now: datetime,
) -> RiskAcceptance:
    """A CISO approves (the finding is accepted until the proposed end date) or rejects (it stays open) a proposal.
    A rejection needs a note saying why; the end date is checked against the limit again on approval."""
    finding = session.get(Finding, acceptance.finding_id)
    assert finding is not None
    uitvraag = _uitvraag(session, finding)
    if actor.organisation_id != acceptance.organisation_id:
        raise NotAllowed(f"{actor.email} may not decide on acceptance {acceptance.id}")
    if actor.role != Role.CISO:
        raise ActionError("decision", lazy_gettext("Only the CISO decides on accepting a high or critical risk."))
    if actor.id == acceptance.proposed_by_id:
        raise ActionError("decision", lazy_gettext("You made this proposal yourself; another CISO must decide on it."))
    if acceptance.status != AcceptanceStatus.PROPOSED:
        raise ActionError("decision", lazy_gettext("This proposal has been decided on already."))
    if finding.status in (FindingStatus.RESOLVED, FindingStatus.CARRIED):
        raise ActionError(
            "decision",
            lazy_gettext("This finding was resolved or carried over to a follow-up; there is nothing left to accept."),
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ActionError("note", lazy_gettext("Say why you reject the proposal."))
    if len(note) > MAX_REASON:
        raise ActionError(
            "note", lazy_gettext("The note is too long (at most %(limit)s characters).", limit=MAX_REASON)
        )
    if approve:
        _check_until(acceptance.until, acceptance.severity, limits, now.date())
    acceptance.status = AcceptanceStatus.APPROVED if approve else AcceptanceStatus.REJECTED
    acceptance.decided_by_id = actor.id
    acceptance.decided_at = now
    acceptance.decision_note = note or None
    session.add(acceptance)
    if approve:
        _apply(finding, acceptance, actor)
        session.add(finding)
    audit_action(
        session,
        actor,
        uitvraag,
        "finding.acceptance-approved" if approve else "finding.acceptance-rejected",
        now,
        acceptance_id=acceptance.id,
        finding_id=finding.id,
        question_id=finding.question_id,
        severity=finding.severity,
        until=acceptance.until.isoformat(),
        proposed_by=acceptance.proposed_by_id,
        note=note,
    )
    return acceptance


def acceptances_of(session: Session, finding_ids: list[int]) -> dict[int, list[RiskAcceptance]]:
    """Every proposal and decision per finding, oldest first (for the uitvraag page)."""
    found: dict[int, list[RiskAcceptance]] = {i: [] for i in finding_ids}
    if not finding_ids:
        return found
    for row in session.exec(
        select(RiskAcceptance)
        .where(col(RiskAcceptance.finding_id).in_(finding_ids))
        .order_by(col(RiskAcceptance.proposed_at), col(RiskAcceptance.id))
    ):
        found[row.finding_id].append(row)
    return found
