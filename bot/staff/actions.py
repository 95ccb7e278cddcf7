"""What staff do to an uitvraag: request improvement, extend the deadline, resend or revoke the link, mark the
review done (accepting a finding as a risk is in bot/staff/acceptance.py). Each is a plain function taking the
session, the acting staff user and `now`; each checks the actor may act, validates, changes the rows and writes the
audit log. The caller commits.

Contract managers act only on uitvragen covering a contract they own; the CISO and admins on all of their
organisation's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, select

from bot import emails
from bot.access import extend_tokens, issue_token, revoke_tokens, token_expiry
from bot.audit import record
from bot.i18n import format_day
from bot.links import supplier_link
from bot.mail.contexts import contract_list, follow_up_context, invitation_context
from bot.mail.message import mail_domain
from bot.mail.outbox import enqueue
from bot.models import (
    DONE_STATUSES,
    AccessToken,
    Answer,
    Contract,
    Organisation,
    ReviewCycle,
    Role,
    StaffUser,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagKind,
    UitvraagStatus,
)
from bot.staff.texts import question_text, questionnaire_for, title
from bot.timeutil import end_of_day
from bot.tokens import hash_token
from bot.uitvragen import create_follow_up

MAX_REMARK = 4000
MAX_REASON = 2000


class ActionError(ValueError):
    """An action cannot be done as asked; `field` names the form field, `message` says why: a gettext text, read
    in the reader's language when shown (`str(error)`)."""

    def __init__(self, field: str, message: LazyString) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(PermissionError):
    """The actor may see this uitvraag but not act on it (another contract manager's contract)."""


@dataclass(frozen=True)
class MailSettings:
    """What actions that send a link need from the configuration."""

    base_url: str
    grace_days: int
    secret_key: str  # seals the link in the stored mail (bot/mail/links.py)
    mail_from_domain: str = "localhost"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            base_url=config["BASE_URL"],
            grace_days=int(config["TOKEN_GRACE_DAYS"]),
            secret_key=config["SECRET_KEY"],
            mail_from_domain=mail_domain(config["MAIL_FROM"]),
        )


def actor_label(user: StaffUser) -> str:
    return f"staff:{user.email}"


def contracts_of(session: Session, uitvraag: Uitvraag) -> list[Contract]:
    return list(
        session.exec(
            select(Contract)
            .join(UitvraagContract, col(UitvraagContract.contract_id) == Contract.id)
            .where(UitvraagContract.uitvraag_id == uitvraag.id)
            .order_by(Contract.reference)
        ).all()
    )


def can_act(session: Session, *, user: StaffUser, uitvraag: Uitvraag) -> bool:
    """Whether `user` may act on `uitvraag` (same organisation; contract managers only for their own contracts)."""
    if not user.active or user.organisation_id != uitvraag.organisation_id:
        return False
    if user.role in (Role.CISO, Role.ADMIN):
        return True
    if user.role == Role.CONTRACT_MANAGER:
        email = emails.normalise(user.email)
        return any(emails.normalise(c.owner_email) == email for c in contracts_of(session, uitvraag))
    return False


def require_actor(session: Session, user: StaffUser, uitvraag: Uitvraag) -> None:
    """Raise NotAllowed unless `user` may act on `uitvraag` (see can_act)."""
    if not can_act(session, user=user, uitvraag=uitvraag):
        raise NotAllowed(f"{user.email} may not act on uitvraag {uitvraag.id}")


def audit_action(
    session: Session, user: StaffUser, uitvraag: Uitvraag, action: str, now: datetime, **detail: object
) -> None:
    """One audit row for a staff action on `uitvraag`, naming who (and in which role) did it."""
    record(
        session,
        now=now,
        actor=actor_label(user),
        action=action,
        organisation_id=uitvraag.organisation_id,
        subject_type="uitvraag",
        subject_id=uitvraag.id,
        detail={"by": user.name or user.email, "role": user.role, **detail},
    )


def required_text(value: str | None, field: str, limit: int, *, missing: LazyString, too_long: LazyString) -> str:
    """`value` stripped; ActionError on `field` saying `missing` when it is empty, `too_long` (which may name
    %(limit)s) when it is longer than `limit`."""
    text = (value or "").strip()
    if not text:
        raise ActionError(field, missing)
    if len(text) > limit:
        raise ActionError(field, LazyString(lambda: str(too_long) % {"limit": limit}))
    return text


def queue_link_mail(
    session: Session,
    *,
    uitvraag: Uitvraag,
    contracts: list[Contract],
    token: str,
    key: str,
    owner: tuple[str, str],
    now: datetime,
    mail: MailSettings,
) -> None:
    """Queue the mail that carries a link to `uitvraag`: a follow-up's names its questions and the remark, any
    other is an invitation. `owner` is the (name, e-mail) the supplier can ask and reply to."""
    supplier = session.get(Supplier, uitvraag.supplier_id)
    organisation = session.get(Organisation, uitvraag.organisation_id)
    cycle = session.get(ReviewCycle, uitvraag.cycle_id)
    assert supplier is not None and organisation is not None and cycle is not None and uitvraag.deadline is not None
    questionnaire = questionnaire_for(session, uitvraag)
    lang = uitvraag.language
    owner_name, owner_email = owner
    invitation: dict[str, Any] = {
        "supplier_name": supplier.name,
        "organisation_name": organisation.name,
        "contracts": contract_list(contracts),
        "questionnaire_title": title(questionnaire, uitvraag, lang),
        "cycle": cycle.name,
        "deadline": uitvraag.deadline.date(),
        "link": supplier_link(mail.base_url, token),
        "owner_name": owner_name,
        "owner_email": owner_email,
    }
    kind = "invitation"
    context = invitation_context(**invitation)
    if uitvraag.kind == UitvraagKind.FOLLOW_UP:
        kind = "follow-up"
        questions = [
            {"id": qid, "text": question_text(questionnaire, qid, lang)} for qid in uitvraag.question_ids or []
        ]
        context = follow_up_context(remark=uitvraag.remark or "", questions=questions, **invitation)
    enqueue(
        session,
        key=key,
        kind=kind,
        to=uitvraag.recipient_email,
        language=lang,
        context=context,
        now=now,
        secret_key=mail.secret_key,
        mail_from_domain=mail.mail_from_domain,
        reply_to=owner_email,
        organisation_id=uitvraag.organisation_id,
        uitvraag_id=uitvraag.id,
    )


def _parse_future_deadline(day: date | None, now: datetime, field: str = "deadline") -> datetime:
    if day is None:
        raise ActionError(field, lazy_gettext("Enter a date."))
    if day <= now.date():
        raise ActionError(field, lazy_gettext("The deadline must be after today."))
    if day > now.date() + timedelta(days=366):
        raise ActionError(field, lazy_gettext("The deadline may be at most a year ahead."))
    return end_of_day(day)


def request_improvement(
    session: Session,
    *,
    actor: StaffUser,
    uitvraag: Uitvraag,
    question_ids: list[str],
    remark: str,
    deadline: date | None,
    now: datetime,
    mail: MailSettings,
) -> Uitvraag:
    """Ask the supplier to improve chosen answers: a follow-up uitvraag with just those questions, a new link and
    a follow-up mail. The previous answers are carried over for the supplier to revise."""
    require_actor(session, actor, uitvraag)
    if uitvraag.status not in (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED):
        raise ActionError("question_ids", lazy_gettext("Improvement can be requested once the supplier has submitted."))
    questionnaire = questionnaire_for(session, uitvraag)
    known = (
        [q.id for q in questionnaire.questions()]
        if questionnaire
        else list(
            session.exec(
                select(Answer.question_id).where(Answer.uitvraag_id == uitvraag.id).order_by(Answer.question_id)
            ).all()
        )
    )
    chosen = [qid for qid in dict.fromkeys(question_ids) if qid]
    if not chosen:
        raise ActionError("question_ids", lazy_gettext("Choose at least one question."))
    unknown = [qid for qid in chosen if qid not in known]
    if unknown:
        raise ActionError(
            "question_ids", lazy_gettext("Unknown question in this questionnaire: %(ids)s.", ids=", ".join(unknown))
        )
    chosen.sort(key=known.index)
    remark = required_text(
        remark,
        "remark",
        MAX_REMARK,
        missing=lazy_gettext("Enter a remark for the supplier."),
        too_long=lazy_gettext("The remark for the supplier is too long (at most %(limit)s characters)."),
    )
    due = _parse_future_deadline(deadline, now)

    contracts = contracts_of(session, uitvraag)
    follow_up, token = create_follow_up(
        session,
        parent=uitvraag,
        kind=UitvraagKind.FOLLOW_UP,
        question_ids=chosen,
        remark=remark,
        contract_ids=[c.id for c in contracts if c.id is not None],
        deadline=due,
        now=now,
        grace_days=mail.grace_days,
    )
    for answer in session.exec(
        select(Answer)
        .where(Answer.uitvraag_id == uitvraag.id, col(Answer.question_id).in_(chosen))
        .order_by(col(Answer.id))
    ):
        session.add(
            Answer(
                uitvraag_id=follow_up.id,  # type: ignore[arg-type]
                question_id=answer.question_id,
                value=answer.value,
                carried_over=True,
                updated_at=now,
            )
        )
    queue_link_mail(
        session,
        uitvraag=follow_up,
        contracts=contracts,
        token=token,
        key=f"follow-up:{follow_up.id}",
        owner=(actor.name or actor.email, actor.email),
        now=now,
        mail=mail,
    )
    audit_action(
        session,
        actor,
        uitvraag,
        "uitvraag.improvement-requested",
        now,
        follow_up_id=follow_up.id,
        question_ids=chosen,
        deadline=due.date().isoformat(),
        remark=remark,
    )
    return follow_up


def extend_deadline(
    session: Session, *, actor: StaffUser, uitvraag: Uitvraag, deadline: date | None, now: datetime, grace_days: int
) -> Uitvraag:
    """Move the deadline later; live links then expire at the new deadline plus the grace period."""
    require_actor(session, actor, uitvraag)
    if uitvraag.status in DONE_STATUSES:
        raise ActionError(
            "deadline", lazy_gettext("This uitvraag is finished; its deadline can no longer be extended.")
        )
    due = _parse_future_deadline(deadline, now)
    assert uitvraag.deadline is not None
    if due <= uitvraag.deadline:
        raise ActionError(
            "deadline",
            lazy_gettext("Choose a date after the current deadline (%(day)s).", day=format_day(uitvraag.deadline)),
        )
    previous = uitvraag.deadline
    uitvraag.deadline = due
    session.add(uitvraag)
    extend_tokens(session, uitvraag=uitvraag, grace_days=grace_days)
    audit_action(
        session,
        actor,
        uitvraag,
        "uitvraag.deadline-extended",
        now,
        previous=previous.date().isoformat(),
        deadline=due.date().isoformat(),
    )
    return uitvraag


def _owner(contracts: list[Contract], actor: StaffUser) -> tuple[str, str]:
    email = emails.normalise(actor.email)
    own = next((c for c in contracts if emails.normalise(c.owner_email) == email), None) or (
        contracts[0] if contracts else None
    )
    return (own.owner_name, own.owner_email) if own else (actor.name or actor.email, actor.email)


def resend_link(session: Session, *, actor: StaffUser, uitvraag: Uitvraag, now: datetime, mail: MailSettings) -> str:
    """Send the supplier a fresh link; the old one stops working at once. Returns the outbox idempotency key."""
    require_actor(session, actor, uitvraag)
    if uitvraag.status in DONE_STATUSES:
        raise ActionError("resend", lazy_gettext("This uitvraag is finished; no link is needed any more."))
    if token_expiry(uitvraag.deadline, mail.grace_days) <= now:
        raise ActionError(
            "resend", lazy_gettext("The deadline passed too long ago for a new link; extend the deadline first.")
        )
    token = issue_token(session, uitvraag=uitvraag, now=now, grace_days=mail.grace_days)
    session.flush()
    row = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(token))).one()
    key = f"resend:{uitvraag.id}:{row.id}"
    contracts = contracts_of(session, uitvraag)
    owner = _owner(contracts, actor)
    queue_link_mail(
        session, uitvraag=uitvraag, contracts=contracts, token=token, key=key, owner=owner, now=now, mail=mail
    )
    audit_action(session, actor, uitvraag, "uitvraag.link-resent", now, to=uitvraag.recipient_email)
    return key


def revoke_link(session: Session, *, actor: StaffUser, uitvraag: Uitvraag, now: datetime) -> int:
    """Make every live link of this uitvraag stop working; returns how many were revoked."""
    require_actor(session, actor, uitvraag)
    count = revoke_tokens(session, uitvraag=uitvraag, now=now)
    if count == 0:
        raise ActionError("revoke", lazy_gettext("There is no live link to revoke."))
    audit_action(session, actor, uitvraag, "uitvraag.link-revoked", now, revoked=count)
    return count


def mark_reviewed(session: Session, *, actor: StaffUser, uitvraag: Uitvraag, now: datetime) -> Uitvraag:
    """Record that the answers have been reviewed."""
    require_actor(session, actor, uitvraag)
    if uitvraag.status != UitvraagStatus.SUBMITTED:
        raise ActionError("review", lazy_gettext("Only a submitted uitvraag can be marked as reviewed."))
    uitvraag.status = UitvraagStatus.REVIEWED
    uitvraag.reviewed_at = now
    uitvraag.reviewed_by_id = actor.id
    session.add(uitvraag)
    audit_action(session, actor, uitvraag, "uitvraag.reviewed", now)
    return uitvraag
