"""The whole data model, in one place while it is small enough to read at once.

Conventions: every table has an integer `id`; timestamps are timezone-aware UTC (`UTCDateTime`); idempotency and
"exactly once" live in unique constraints, never in flags held in memory. JSON columns hold small structured values
(answers, measure ids, audit details).

Domain names (see DESIGN.md): Organisation = gemeente, Supplier = leverancier, Uitvraag = one request of one
questionnaire to one supplier for one review cycle (for one or more contracts of one organisation).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.db import UTCDateTime

# Constraint names that Alembic can rely on, on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json(default: Any = None, *, nullable: bool = True) -> Any:
    if default is None:
        return Field(default=None, sa_type=sa.JSON, nullable=nullable)
    return Field(default_factory=default, sa_type=sa.JSON, nullable=nullable)


class Role(StrEnum):
    ADMIN = "admin"
    CISO = "ciso"
    CONTRACT_MANAGER = "contract-manager"
    # The sector (e.g. the IBD or the GGU): not of any municipality, sees only aggregates (bot/sector.py).
    SECTOR = "sector"


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class UitvraagStatus(StrEnum):
    PENDING = "pending"  # created, invitation queued or sent, never opened
    OPENED = "opened"  # the link was opened
    DRAFT = "draft"  # at least one answer saved
    SUBMITTED = "submitted"  # frozen, with a receipt digest
    REVIEWED = "reviewed"  # a staff member marked the review done
    CANCELLED = "cancelled"  # withdrawn (contract ended, link revoked for good)


# Still waiting for the supplier's answers; and finished (answered, or withdrawn).
OPEN_STATUSES = (UitvraagStatus.PENDING, UitvraagStatus.OPENED, UitvraagStatus.DRAFT)
DONE_STATUSES = (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED, UitvraagStatus.CANCELLED)


class UitvraagKind(StrEnum):
    REGULAR = "regular"  # the cycle's full questionnaire
    FOLLOW_UP = "follow-up"  # a contract owner asks about chosen questions again
    EVIDENCE = "evidence"  # a targeted request for a renewed certificate or report


class Severity(StrEnum):
    """Worst first: the one severity order (`rank`) for sorting and comparing findings everywhere."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical, 3 for low: sort by it for worst first."""
        return list(Severity).index(self)

    @classmethod
    def rank_of(cls, value: str | None) -> int:
        """The rank of a stored severity value; anything else sorts after low."""
        try:
            return cls(value).rank
        except ValueError:
            return len(cls)


class LadderLevel(StrEnum):
    """Who a ladder step is for (LadderStep.level)."""

    SUPPLIER = "supplier"  # a reminder or an evidence request
    OWNER = "owner"  # the contract owners
    CISO = "ciso"  # the organisation's CISO(s), or its administrators when it has none


class FindingStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # accepted as a risk until `accepted_until`
    RESOLVED = "resolved"  # a follow-up's answer (or renewed document) is no longer weak
    CARRIED = "carried-over"  # a follow-up asked again and the answer is still weak: open there, not here


class AcceptanceStatus(StrEnum):
    PROPOSED = "proposed"  # waits for a CISO's decision; the finding stays open meanwhile
    APPROVED = "approved"  # the finding is accepted as a risk until `until`
    REJECTED = "rejected"  # the CISO said no; the finding stays open


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Organisation(SQLModel, table=True):
    """A municipality (gemeente); one instance may serve many."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime | None = _ts(nullable=False)


class StaffUser(SQLModel, table=True):
    """A person of one organisation who signs in to the staff area; the same e-mail may serve several.

    A sector user (role `sector`) belongs to no organisation (`organisation_id` is NULL, and only for that role):
    it sees the sector's aggregates and nothing of any one municipality.
    """

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "email"),
        sa.CheckConstraint("(role = 'sector') = (organisation_id IS NULL)", name="sector_has_no_organisation"),
        # One sector account per address (the constraint above does not compare NULL organisations).
        sa.Index(
            "uq_staffuser_sector_email",
            "email",
            unique=True,
            sqlite_where=sa.text("organisation_id IS NULL"),
            postgresql_where=sa.text("organisation_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, index=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=32)  # a Role value
    language: str = Field(default="nl", max_length=2)
    active: bool = Field(default=True)
    created_at: datetime | None = _ts(nullable=False)
    last_signed_in_at: datetime | None = _ts()
    # Raised to end every session of this user (bot/staff/sessions.py): a cookie with an older one is refused.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OrganisationSignIn(SQLModel, table=True):
    """How the staff of one organisation sign in: single sign-on by OpenID Connect, and/or the mailed link.

    The client secret may live here or, better, in the environment (`OIDC_CLIENT_SECRET_<SLUG>`, which wins); it is
    never shown back. `group_roles` maps a value of the groups claim to a Role value.
    """

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    issuer: str = Field(default="", max_length=500)  # empty: no single sign-on
    client_id: str = Field(default="", max_length=200)
    client_secret: str | None = Field(default=None, max_length=500)
    email_claim: str = Field(default="email", max_length=100)
    groups_claim: str | None = Field(default=None, max_length=100)
    group_roles: dict[str, str] | None = _json()
    create_users: bool = Field(default=False)  # just-in-time creation of unknown, signed-in users
    mail_link: bool = Field(default=True)  # the mailed sign-in link stays available
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class SignInToken(SQLModel, table=True):
    """A one-time sign-in link for staff; only the SHA-256 of the token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staffuser.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=False)
    used_at: datetime | None = _ts()


class SignInRequest(SQLModel, table=True):
    """A request for sign-in links, queued by the sign-in page whatever the address, resolved (and removed) by the
    worker: the page does the same work for known and unknown addresses, so its timing tells nobody who has an
    account (F5)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    requested_at: datetime | None = _ts(nullable=False)


class Supplier(SQLModel, table=True):
    """A supplier (leverancier), the same for every organisation: identified by its KvK number."""

    id: int | None = Field(default=None, primary_key=True)
    kvk: str = Field(max_length=8, unique=True, index=True)
    name: str = Field(max_length=200)
    language: str = Field(default="nl", max_length=2)
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class Service(SQLModel, table=True):
    """A service (dienst) a supplier offers, e.g. "Zaaksysteem SaaS"; each contract is for one service.

    Named by the register's `service` column; a contract without one gets a service named after the contract.
    """

    __table_args__ = (sa.UniqueConstraint("supplier_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    name: str = Field(max_length=300)
    created_at: datetime | None = _ts(nullable=False)


class Contract(SQLModel, table=True):
    """One line of an organisation's contract register."""

    __table_args__ = (sa.UniqueConstraint("organisation_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    service_id: int | None = Field(default=None, foreign_key="service.id", index=True)
    reference: str = Field(max_length=100)
    name: str = Field(max_length=300)
    supplier_email: str = Field(max_length=254)  # the supplier's contact for this contract
    owner_name: str = Field(max_length=200)
    owner_email: str = Field(max_length=254, index=True)
    risk_tier: str = Field(max_length=16)  # a RiskTier value
    personal_data: bool = Field(default=False)
    cloud_hosted: bool = Field(default=False)
    start_date: date
    end_date: date | None = None
    active: bool = Field(default=True)
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class QuestionnaireSnapshot(SQLModel, table=True):
    """The exact content of one questionnaire version, as answered; never rewritten."""

    __table_args__ = (sa.UniqueConstraint("questionnaire_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    content_hash: str = Field(max_length=64)
    content: str  # the source file's text, byte-for-byte as loaded
    created_at: datetime | None = _ts(nullable=False)


class ReviewCycle(SQLModel, table=True):
    """A review cycle (beoordelingsronde) named by its period: 2026-Q4, 2026-H2 or 2026."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=16, unique=True)
    starts_on: date
    ends_on: date
    created_at: datetime | None = _ts(nullable=False)


class Uitvraag(SQLModel, table=True):
    """One request of one questionnaire to one supplier for one cycle, covering one or more contracts.

    `follow_up_number` is 0 for the cycle's regular request and counts up for follow-up and evidence requests, so the
    unique constraint makes planning idempotent while still allowing follow-ups.
    """

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "supplier_id", "questionnaire_id", "cycle_id", "follow_up_number"),
        sa.Index("ix_uitvraag_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    cycle_id: int = Field(foreign_key="reviewcycle.id", index=True)
    questionnaire_id: str = Field(max_length=100)
    snapshot_id: int = Field(foreign_key="questionnairesnapshot.id")
    follow_up_number: int = Field(default=0)
    kind: str = Field(default=UitvraagKind.REGULAR, max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="uitvraag.id")
    # Follow-up requests: the question ids asked again, and the contract owner's remark to the supplier.
    question_ids: list[str] | None = _json()
    remark: str | None = None
    status: str = Field(default=UitvraagStatus.PENDING, max_length=16)
    recipient_email: str = Field(max_length=254)
    language: str = Field(default="nl", max_length=2)
    deadline: datetime | None = _ts(nullable=False)
    created_at: datetime | None = _ts(nullable=False)
    sent_at: datetime | None = _ts()
    opened_at: datetime | None = _ts()
    first_saved_at: datetime | None = _ts()
    submitted_at: datetime | None = _ts()
    reviewed_at: datetime | None = _ts()
    reviewed_by_id: int | None = Field(default=None, foreign_key="staffuser.id")
    score: int | None = None  # overall 0-100 after judging
    section_scores: dict[str, int] | None = _json()


class UitvraagContract(SQLModel, table=True):
    """Which contracts an uitvraag covers. A contract is in at most one uitvraag per questionnaire/cycle/round."""

    __table_args__ = (sa.UniqueConstraint("contract_id", "questionnaire_id", "cycle_id", "follow_up_number"),)

    uitvraag_id: int = Field(foreign_key="uitvraag.id", primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", primary_key=True, index=True)
    questionnaire_id: str = Field(max_length=100)
    cycle_id: int = Field(foreign_key="reviewcycle.id")
    follow_up_number: int = Field(default=0)


class Declaration(SQLModel, table=True):
    """A shared declaration (gedeelde verklaring): one supplier answers one questionnaire for one service and cycle
    once, for every municipality on the instance whose contracts for that service get it (bot.sharing).

    The supplier answers on the lead uitvraag (its link is the declaration's link); on submission the answers go
    to every member uitvraag, each judged with its own municipality's facts and rules.
    """

    __table_args__ = (
        sa.UniqueConstraint("supplier_id", "service_id", "questionnaire_id", "cycle_id", name="uq_declaration_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    questionnaire_id: str = Field(max_length=100)
    cycle_id: int = Field(foreign_key="reviewcycle.id")
    lead_uitvraag_id: int = Field(foreign_key="uitvraag.id", unique=True)
    created_at: datetime | None = _ts(nullable=False)


class DeclarationMember(SQLModel, table=True):
    """A municipality's uitvraag that receives a shared declaration (the lead is a member too)."""

    uitvraag_id: int = Field(foreign_key="uitvraag.id", primary_key=True)
    declaration_id: int = Field(foreign_key="declaration.id", index=True)
    joined_at: datetime | None = _ts(nullable=False)
    # The supplier chose not to share with this municipality: its uitvraag is then answered on its own link.
    excluded_at: datetime | None = _ts()


class AccessToken(SQLModel, table=True):
    """A supplier link token for one uitvraag. Only its SHA-256 is stored; a resend supersedes the old one."""

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=False)
    first_used_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts()
    superseded_at: datetime | None = _ts()


class Answer(SQLModel, table=True):
    """The current answer to one question of one uitvraag; frozen once the uitvraag is submitted."""

    __table_args__ = (sa.UniqueConstraint("uitvraag_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", index=True)
    question_id: str = Field(max_length=100)
    value: Any = _json()
    carried_over: bool = Field(default=False)  # pre-filled from the last submission, not yet confirmed
    updated_at: datetime | None = _ts(nullable=False)


class EvidenceFile(SQLModel, table=True):
    """An uploaded document, stored outside the web root under a random name."""

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", index=True)
    question_id: str = Field(max_length=100)
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    expires_on: date | None = None
    uploaded_at: datetime | None = _ts(nullable=False)
    carried_over: bool = Field(default=False)


class Submission(SQLModel, table=True):
    """The one frozen submission of an uitvraag: what the supplier declared, and when, with its digest."""

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", unique=True)
    submitted_at: datetime | None = _ts(nullable=False)
    respondent_name: str = Field(max_length=200)
    respondent_role: str = Field(max_length=200)
    respondent_email: str = Field(max_length=254)
    canonical: str  # the canonical JSON the digest was computed over ("" once retention removed it)
    digest: str = Field(max_length=64, index=True)
    # Retention removed the canonical document and the respondent (bot/retention.py); the digest stays.
    purged_at: datetime | None = _ts()


class Finding(SQLModel, table=True):
    """A weak or missing answer (bevinding), with its severity and why, in both languages."""

    __table_args__ = (sa.UniqueConstraint("uitvraag_id", "question_id", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", index=True)
    question_id: str = Field(max_length=100)
    rule: str = Field(max_length=100)  # which rule fired, e.g. "missing", "option:none", "max:24"
    severity: str = Field(max_length=16)  # a Severity value
    measure_ids: list[str] = _json(list, nullable=False)
    reason_nl: str
    reason_en: str
    status: str = Field(default=FindingStatus.OPEN, max_length=16)
    accepted_until: date | None = None
    accepted_reason: str | None = None
    accepted_by_id: int | None = Field(default=None, foreign_key="staffuser.id")
    created_at: datetime | None = _ts(nullable=False)
    resolved_at: datetime | None = _ts()


class RiskAcceptance(SQLModel, table=True):
    """A proposal to accept a finding as a risk, and the decision on it: who proposed (reason, mitigation, end
    date) and who approved or rejected, and when. High and critical findings need a CISO's approval; lower ones are
    approved by their proposer at once. A finding has at most one proposal waiting at a time.
    """

    __table_args__ = (
        sa.Index(
            "uq_riskacceptance_waiting",
            "finding_id",
            unique=True,
            sqlite_where=sa.text("status = 'proposed'"),
            postgresql_where=sa.text("status = 'proposed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(default=AcceptanceStatus.PROPOSED, max_length=16)  # an AcceptanceStatus value
    severity: str = Field(max_length=16)  # the finding's severity when proposed
    reason: str
    mitigation: str
    until: date
    proposed_by_id: int = Field(foreign_key="staffuser.id")
    proposed_at: datetime | None = _ts(nullable=False)
    decided_by_id: int | None = Field(default=None, foreign_key="staffuser.id")
    decided_at: datetime | None = _ts()
    decision_note: str | None = None


class LadderStep(SQLModel, table=True):
    """One step of the reminder and escalation ladder for one uitvraag; each step happens once.

    `step` names the step (built and read only by bot/cycles/steps.py, which lists the kinds); the unique key is
    what makes a sweep idempotent. `outbox_id` is the mail that carried it (for owner and CISO: their digest).
    """

    __table_args__ = (sa.UniqueConstraint("uitvraag_id", "step", "recipient_email"),)

    id: int | None = Field(default=None, primary_key=True)
    uitvraag_id: int = Field(foreign_key="uitvraag.id", index=True)
    step: str = Field(max_length=100)
    level: str = Field(max_length=16)  # a LadderLevel value
    recipient_email: str = Field(max_length=254)
    detail: dict[str, Any] | None = _json()
    # The uitvraag's deadline this step was about: after a deadline extension the reminders and overdue steps
    # happen again for the new deadline (their step names carry the date).
    deadline: datetime | None = _ts()
    created_at: datetime | None = _ts(nullable=False)
    outbox_id: int | None = Field(default=None, foreign_key="outboxmessage.id")


class OutboxMessage(SQLModel, table=True):
    """A mail to deliver, written in the same transaction as the change that causes it."""

    __table_args__ = (sa.Index("ix_outboxmessage_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    message_id: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)  # the template: invitation, reminder, escalation-digest, ...
    language: str = Field(default="nl", max_length=2)
    to_addr: str = Field(max_length=254)
    reply_to: str | None = Field(default=None, max_length=254)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str | None = None
    # The MIME body (Content-Type headers and encoded text + HTML parts) built once when queued, so delivery only
    # adds the envelope headers; None for rows queued without it (then it is built at delivery).
    mime_body: str | None = None
    # The link of a link-bearing mail, sealed under SECRET_KEY (bot/mail/links.py); the bodies hold a placeholder.
    # Cleared when the mail is sent or fails for good, so no usable link is kept at rest.
    link_sealed: str | None = None
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    uitvraag_id: int | None = Field(default=None, foreign_key="uitvraag.id", index=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts(nullable=False)
    last_error: str | None = None
    created_at: datetime | None = _ts(nullable=False)
    sent_at: datetime | None = _ts()
    # Retention emptied the body (text, HTML, MIME) of this sent or failed mail; the row itself stays.
    body_purged_at: datetime | None = _ts()


class AuditLog(SQLModel, table=True):
    """Who did what, and when. Rows are only ever added, and removed only by retention (`retention.purged`)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts(nullable=False, index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    actor: str = Field(max_length=300)  # "system", "staff:<email>", "supplier:<uitvraag id>", "cli"
    action: str = Field(max_length=100, index=True)
    subject_type: str | None = Field(default=None, max_length=50)
    subject_id: int | None = None
    detail: dict[str, Any] | None = _json()


class RateLimitHit(SQLModel, table=True):
    """Counts attempts per key and time window, shared by every web instance (token guessing, sign-in)."""

    __table_args__ = (sa.UniqueConstraint("key", "window_start"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    window_start: datetime | None = _ts(nullable=False)
    count: int = Field(default=0)


class WorkerStatus(SQLModel, table=True):
    """The worker's heartbeat, one row per job (`tick`): written after every run, read by /readyz and /metrics.

    The web processes cannot see the worker; this row is how they know it is alive and how long its work takes.
    """

    name: str = Field(primary_key=True, max_length=40)
    last_started_at: datetime | None = _ts()
    last_finished_at: datetime | None = _ts()
    last_seconds: float | None = None  # how long the last run took
    last_errors: int = Field(default=0)  # parts of the last run that failed
    runs: int = Field(default=0)
    holder: str = Field(default="", max_length=200)  # host:pid of the worker that ran it
