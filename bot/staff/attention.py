"""What needs a staff member's attention, across all cycles: the queries behind the home page of the staff area.

Read-only functions taking the session, the signed-in user and `now`. A contract manager sees what concerns the
contracts they own; a CISO and an admin see their whole organisation. Every query is scoped by organisation here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import (
    AcceptanceStatus,
    Contract,
    EvidenceFile,
    Finding,
    FindingStatus,
    OutboxMessage,
    OutboxStatus,
    RiskAcceptance,
    Role,
    Severity,
    StaffUser,
    Uitvraag,
    UitvraagContract,
    UitvraagStatus,
)
from bot.staff.queries import finding_is_open
from bot.uitvragen import is_overdue

ACCEPTANCE_ENDING_DAYS = 30
CERTIFICATE_EXPIRING_DAYS = 60
URGENT_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)


@dataclass
class Attention:
    """Each list is ordered most urgent first; an empty list means nothing to do there."""

    findings: list[tuple[Finding, Uitvraag]] = field(default_factory=list)
    overdue: list[Uitvraag] = field(default_factory=list)
    # (proposal, finding, uitvraag): for a CISO all of the organisation's, for others the ones they proposed.
    acceptances_awaiting_approval: list[tuple[RiskAcceptance, Finding, Uitvraag]] = field(default_factory=list)
    acceptances_ending: list[tuple[Finding, Uitvraag]] = field(default_factory=list)
    certificates_expiring: list[tuple[EvidenceFile, Uitvraag]] = field(default_factory=list)
    failed_mails: list[OutboxMessage] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.findings,
                self.overdue,
                self.acceptances_awaiting_approval,
                self.acceptances_ending,
                self.certificates_expiring,
                self.failed_mails,
            )
        )


def uitvragen_in_scope(session: Session, *, user: StaffUser) -> list[Uitvraag]:
    """The uitvragen of the user's organisation, of every cycle; for a contract manager only those covering a
    contract they own. Ordered by id."""
    query = select(Uitvraag).where(Uitvraag.organisation_id == user.organisation_id)
    if user.role == Role.CONTRACT_MANAGER.value:
        owned = (
            select(UitvraagContract.uitvraag_id)
            .join(Contract, Contract.id == UitvraagContract.contract_id)  # type: ignore[arg-type]
            .where(Contract.organisation_id == user.organisation_id)
            .where(col(Contract.owner_email).ilike(user.email.strip()))
        )
        query = query.where(col(Uitvraag.id).in_(owned))
    return list(session.exec(query.order_by(col(Uitvraag.id))).all())


def acceptances_awaiting_approval(
    session: Session, *, user: StaffUser, uitvraag_ids: list[int]
) -> list[tuple[RiskAcceptance, Finding, Uitvraag]]:
    """Proposals to accept a high or critical finding that wait for a CISO, oldest first. A CISO sees all of the
    organisation's (a CISO's own proposal waits for another CISO); anyone else sees those they proposed."""
    if not uitvraag_ids:
        return []
    query = (
        select(RiskAcceptance, Finding, Uitvraag)
        .join(Finding, col(Finding.id) == RiskAcceptance.finding_id)
        .join(Uitvraag, col(Uitvraag.id) == Finding.uitvraag_id)
        .where(
            RiskAcceptance.organisation_id == user.organisation_id,
            RiskAcceptance.status == AcceptanceStatus.PROPOSED,
            col(Uitvraag.id).in_(uitvraag_ids),
        )
    )
    if user.role != Role.CISO.value:
        query = query.where(RiskAcceptance.proposed_by_id == user.id)
    rows = session.exec(query.order_by(col(RiskAcceptance.proposed_at), col(RiskAcceptance.id))).all()
    return [(a, f, u) for a, f, u in rows]


def attention(session: Session, *, user: StaffUser, now: datetime) -> Attention:
    """Everything that needs this user's action now, across all cycles of their organisation."""
    today = now.date()  # the same day as finding_is_open's callers use
    uitvragen = uitvragen_in_scope(session, user=user)
    by_id = {u.id: u for u in uitvragen}
    ids = list(by_id)
    result = Attention()
    if not ids:
        return result
    result.overdue = sorted((u for u in uitvragen if is_overdue(u, now)), key=lambda u: (u.deadline, u.id))
    findings = session.exec(select(Finding).where(col(Finding.uitvraag_id).in_(ids)).order_by(col(Finding.id))).all()
    result.findings = sorted(
        (
            (f, by_id[f.uitvraag_id])
            for f in findings
            if f.severity in URGENT_SEVERITIES
            and finding_is_open(f, today)
            and by_id[f.uitvraag_id].status != UitvraagStatus.CANCELLED
        ),
        key=lambda pair: (Severity.rank_of(pair[0].severity), pair[0].id),
    )
    ending_by = today + timedelta(days=ACCEPTANCE_ENDING_DAYS)
    result.acceptances_ending = sorted(
        (
            (f, by_id[f.uitvraag_id])
            for f in findings
            if f.status == FindingStatus.ACCEPTED
            and f.accepted_until is not None
            and today <= f.accepted_until <= ending_by
        ),
        key=lambda pair: (pair[0].accepted_until, pair[0].id),
    )
    result.acceptances_awaiting_approval = acceptances_awaiting_approval(session, user=user, uitvraag_ids=ids)
    result.certificates_expiring = _certificates_expiring(session, by_id, today)
    result.failed_mails = _failed_mails(session, user=user, uitvraag_ids=ids)
    return result


def _certificates_expiring(
    session: Session, by_id: dict[int | None, Uitvraag], today: date
) -> list[tuple[EvidenceFile, Uitvraag]]:
    # The newest document per supplier and question counts: a certificate renewed in a later uitvraag ends it.
    files = session.exec(
        select(EvidenceFile)
        .where(col(EvidenceFile.uitvraag_id).in_(list(by_id)))
        .order_by(col(EvidenceFile.uploaded_at), col(EvidenceFile.id))
    ).all()
    newest: dict[tuple[int, str], EvidenceFile] = {}
    for file in files:
        uitvraag = by_id[file.uitvraag_id]
        if uitvraag.status in (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED):
            newest[(uitvraag.supplier_id, file.question_id)] = file
    horizon = today + timedelta(days=CERTIFICATE_EXPIRING_DAYS)
    return sorted(
        (
            (file, by_id[file.uitvraag_id])
            for file in newest.values()
            if file.expires_on is not None and file.expires_on <= horizon
        ),
        key=lambda pair: (pair[0].expires_on, pair[0].id),
    )


def _failed_mails(session: Session, *, user: StaffUser, uitvraag_ids: list[int]) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.organisation_id == user.organisation_id, OutboxMessage.status == OutboxStatus.FAILED
    )
    if user.role == Role.CONTRACT_MANAGER.value:
        query = query.where(col(OutboxMessage.uitvraag_id).in_(uitvraag_ids))
    return list(session.exec(query.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id))).all())
