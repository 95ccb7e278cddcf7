"""Shared declarations (samen organiseren): a supplier answers once for every municipality it serves.

A supplier that serves many municipalities on one instance would otherwise answer the same BIO2 questionnaire once
per municipality each cycle. Instead, the regular uitvragen of one cycle that ask one supplier the same
supplier-wide questionnaire (BIO2 full, light or update, not the AVG processor module, which is about one municipality's
contract) for contracts of one service form one declaration:

- the first such uitvraag planned is the lead: its invitation and link go to the supplier as today, and the form
  lists the municipalities the declaration goes to; the others are members, planned without an invitation (the
  supplier gets one link, not one per municipality) and without supplier reminders;
- the form asks what any member's contracts need (facts are combined as for one uitvraag's several contracts);
- on submission the answers and documents go to every member that is still open, in the same transaction, and
  each member is submitted and judged with its own facts and settings: its own findings, escalations to its own
  contract owners and CISO, its own risk decisions. The lead's receipt is the declaration's;
- the supplier may exclude a municipality before submitting: that member leaves the declaration and gets its own
  invitation with its own link, as without sharing.

Confidentiality: a municipality's staff only ever see their own uitvraag (the organisation scoping of the staff
area); nothing there names the other members. Only the supplier, who has the contracts, sees the list.

Timing: a declaration is valid for its cycle's period. An uitvraag planned while a current answered declaration
exists for its supplier, service and questionnaire receives that one at once (its date and the lead's receipt are
in its record) instead of a new request. Current means: of the uitvraag's own cycle (a contract that started after
the supplier answered), or of a cycle whose period the uitvraag's cycle starts in (a longer or shorter cadence)
and answered no longer ago than the uitvraag's own cycle is long (three months for a quarterly one). Otherwise it
starts or joins a declaration of its own cycle; the next cycle of the same cadence always asks again.

Improvement: a municipality that asks the supplier to improve answers of a declaration it received gets one
follow-up, on its own link; the improved answers reach every other municipality that received the declaration,
each as a follow-up of its own uitvraag, judged again on its own facts (`follow_up_receivers`).

An uitvraag whose contracts are for several services, an evidence renewal, or an uitvraag planned after the lead
was withdrawn is not shared: it is answered on its own link, as before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import audit
from bot.access import issue_token
from bot.cycles.bulk import chunks, insert_rows
from bot.cycles.carry import link_file
from bot.models import (
    Answer,
    Contract,
    Declaration,
    DeclarationMember,
    EvidenceFile,
    Organisation,
    ReviewCycle,
    Service,
    Uitvraag,
    UitvraagKind,
    UitvraagStatus,
)
from bot.questionnaires.selection import BY_RISK_TIER, UPDATE
from bot.staff.actions import MailSettings, contracts_of, queue_link_mail
from bot.staff.queries import contracts_by_uitvraag
from bot.timeutil import as_utc

# The supplier-wide questionnaires (the yearly full or light one, and the update between two of them); the AVG
# processor module is about one municipality's processing agreement.
SHARED_QUESTIONNAIRES = frozenset({*BY_RISK_TIER.values(), UPDATE})
OPEN = (UitvraagStatus.PENDING.value, UitvraagStatus.OPENED.value, UitvraagStatus.DRAFT.value)
ANSWERED = (UitvraagStatus.SUBMITTED.value, UitvraagStatus.REVIEWED.value)


@dataclass(frozen=True)
class Planned:
    """A regular uitvraag the planner has just written, as sharing needs to see it."""

    uitvraag_id: int
    supplier_id: int
    service_ids: frozenset[int | None]
    questionnaire_id: str
    cycle_id: int
    follow_up_number: int


@dataclass(frozen=True)
class Joined:
    """What `join` decided for newly planned uitvragen that get no invitation of their own."""

    waiting: frozenset[int]  # members of a declaration whose lead is still open: answered with it later
    answered: dict[int, int]  # uitvraag id -> id of the current answered declaration it receives now

    @property
    def uninvited(self) -> set[int]:
        return set(self.waiting) | set(self.answered)


def join(session: Session, planned: list[Planned], *, now: datetime) -> Joined:
    """Put newly planned uitvragen in their declarations.

    The first uitvraag of a (supplier, service, questionnaire, cycle) leads a new declaration (it is invited as
    usual); later ones join it while its lead is still open. An uitvraag for which a current answered declaration
    exists (see the module's Timing) joins that one, to receive it at once (`Joined.answered`; the caller submits
    it with `bot.supplier.submission.receive_declaration`). Reads and writes in a few statements per batch. Two
    planners creating the same declaration at once: the unique key lets one win, the other's batch rolls back and
    is planned again (see bot.cycles.planner).
    """
    keyed: dict[tuple[int, int, str, int], list[Planned]] = {}
    for item in planned:
        (service_id,) = item.service_ids if len(item.service_ids) == 1 else (None,)
        shareable = item.follow_up_number == 0 and item.questionnaire_id in SHARED_QUESTIONNAIRES
        if shareable and service_id is not None:
            keyed.setdefault((item.supplier_id, service_id, item.questionnaire_id, item.cycle_id), []).append(item)
    if not keyed:
        return Joined(frozenset(), {})
    d = Declaration.__table__.c  # type: ignore[attr-defined]
    u = Uitvraag.__table__.c  # type: ignore[attr-defined]
    existing: dict[tuple[int, int, str, int], tuple[int, str]] = {}  # key -> (declaration id, lead's status)
    # (supplier, service, questionnaire) -> answered declarations of the last year: (answered at, id, cycle id)
    answered_before: dict[tuple[int, int, str], list[tuple[datetime, int, int]]] = {}
    supplier_ids = sorted({key[0] for key in keyed})
    cycle_ids = sorted({key[3] for key in keyed})
    recent = sa.and_(u.status.in_(ANSWERED), u.submitted_at >= now - MAX_CADENCE)
    for part in chunks(supplier_ids):
        for row in session.execute(
            sa.select(d.id, d.supplier_id, d.service_id, d.questionnaire_id, d.cycle_id, u.status, u.submitted_at)
            .join(Uitvraag.__table__, u.id == d.lead_uitvraag_id)
            .where(d.supplier_id.in_(part), sa.or_(d.cycle_id.in_(cycle_ids), recent))
            .order_by(d.id)
        ):
            if row.cycle_id in cycle_ids:
                existing[(row.supplier_id, row.service_id, row.questionnaire_id, row.cycle_id)] = (row.id, row.status)
            if row.status in ANSWERED and row.submitted_at is not None:
                answered_before.setdefault((row.supplier_id, row.service_id, row.questionnaire_id), []).append(
                    (as_utc(row.submitted_at), row.id, row.cycle_id)
                )
    periods = _periods(session, cycle_ids + [cycle for found in answered_before.values() for _at, _id, cycle in found])
    members: list[dict[str, Any]] = []
    waiting: set[int] = set()
    answered: dict[int, int] = {}
    for key, items in sorted(keyed.items()):
        found = existing.get(key)
        if found is not None:
            receive_id = found[0] if found[1] in ANSWERED else None
        else:
            receive_id = _current(answered_before.get(key[:3], []), periods, cycle_id=key[3], now=now)
        if receive_id is not None:
            for item in items:
                members.append({"uitvraag_id": item.uitvraag_id, "declaration_id": receive_id, "joined_at": now})
                answered[item.uitvraag_id] = receive_id
            continue
        if found is None:
            lead, *others = sorted(items, key=lambda i: i.uitvraag_id)
            declaration = Declaration(
                supplier_id=key[0],
                service_id=key[1],
                questionnaire_id=key[2],
                cycle_id=key[3],
                lead_uitvraag_id=lead.uitvraag_id,
                created_at=now,
            )
            session.add(declaration)
            session.flush()
            assert declaration.id is not None
            members.append({"uitvraag_id": lead.uitvraag_id, "declaration_id": declaration.id, "joined_at": now})
            found = (declaration.id, UitvraagStatus.PENDING.value)
        else:
            others = items
        declaration_id, lead_status = found
        if lead_status not in OPEN:
            continue  # withdrawn: these municipalities are asked on their own
        for item in others:
            members.append({"uitvraag_id": item.uitvraag_id, "declaration_id": declaration_id, "joined_at": now})
            waiting.add(item.uitvraag_id)
    insert_rows(session, DeclarationMember, members)
    return Joined(frozenset(waiting), answered)


MAX_CADENCE = timedelta(days=366)  # the longest cycle: no older declaration can be current


def _periods(session: Session, cycle_ids: list[int]) -> dict[int, tuple[date, date]]:
    return {
        cycle.id: (cycle.starts_on, cycle.ends_on)
        for cycle in session.exec(select(ReviewCycle).where(col(ReviewCycle.id).in_(sorted(set(cycle_ids)))))
        if cycle.id is not None
    }


def _current(
    answered: list[tuple[datetime, int, int]], periods: dict[int, tuple[date, date]], *, cycle_id: int, now: datetime
) -> int | None:
    """The most recent answered declaration of another cycle that is current for an uitvraag of `cycle_id`: the
    uitvraag's cycle starts within that declaration's cycle period, and it is no older than the uitvraag's cycle
    is long (see the module's Timing)."""
    starts_on, ends_on = periods[cycle_id]
    length = ends_on - starts_on + timedelta(days=1)
    current = [
        (at, declaration_id)
        for at, declaration_id, other in answered
        if other != cycle_id and periods[other][0] <= starts_on <= periods[other][1] and at >= now - length
    ]
    return max(current)[1] if current else None


def declaration_led_by(session: Session, uitvraag_id: int) -> Declaration | None:
    return session.exec(select(Declaration).where(Declaration.lead_uitvraag_id == uitvraag_id)).first()


def reached_through_lead(uitvraag_id: Any) -> Any:
    """SQL: the uitvraag with id `uitvraag_id` (a column) is a member that the supplier answers on the lead's
    link; the sweep reminds the supplier through the lead only."""
    m = DeclarationMember.__table__.c  # type: ignore[attr-defined]
    d = Declaration.__table__.c  # type: ignore[attr-defined]
    return (
        sa.select(m.uitvraag_id)
        .join(Declaration.__table__, d.id == m.declaration_id)
        .where(m.uitvraag_id == uitvraag_id, m.excluded_at.is_(None), d.lead_uitvraag_id != uitvraag_id)
        .exists()
    )


@dataclass(frozen=True)
class Recipient:
    """A municipality a declaration goes to, as the supplier sees it on the form."""

    uitvraag_id: int
    organisation_name: str
    contracts: list[str]  # "reference name" of its contracts in this declaration
    lead: bool


def recipients(session: Session, declaration: Declaration) -> list[Recipient]:
    """The municipalities (members not excluded) the declaration goes to, the lead first, then by name."""
    rows = session.exec(
        select(Uitvraag)
        .join(DeclarationMember, col(DeclarationMember.uitvraag_id) == Uitvraag.id)
        .where(DeclarationMember.declaration_id == declaration.id, col(DeclarationMember.excluded_at).is_(None))
        .order_by(col(Uitvraag.id))
    ).all()
    return _as_recipients(session, list(rows), lead_id=declaration.lead_uitvraag_id)


def follow_up_recipients(session: Session, follow_up: Uitvraag) -> list[Recipient]:
    """The municipalities an improvement on a shared declaration goes to: the one that asked (first), then the
    others that received the declaration. Empty when the follow-up is not about a shared declaration."""
    receivers = follow_up_receivers(session, follow_up)
    if not receivers:
        return []
    return _as_recipients(session, [follow_up, *receivers], lead_id=follow_up.id)


def _as_recipients(session: Session, uitvragen: list[Uitvraag], *, lead_id: int | None) -> list[Recipient]:
    ids = [u.id for u in uitvragen if u.id is not None]
    contracts = contracts_by_uitvraag(session, ids)
    names = {
        org.id: org.name
        for org in session.exec(
            select(Organisation).where(col(Organisation.id).in_(sorted({u.organisation_id for u in uitvragen})))
        )
    }
    found = [
        Recipient(
            uitvraag_id=u.id or 0,
            organisation_name=names.get(u.organisation_id, ""),
            contracts=[f"{c.reference} {c.name}" for c in contracts.get(u.id or 0, [])],
            lead=u.id == lead_id,
        )
        for u in uitvragen
    ]
    return sorted(found, key=lambda r: (not r.lead, r.organisation_name, r.uitvraag_id))


def follow_up_receivers(session: Session, follow_up: Uitvraag) -> list[Uitvraag]:
    """The other municipalities' uitvragen that receive the answers of an improvement request on a declaration.

    An improvement request (kind follow-up) on an uitvraag that received a shared declaration is answered once:
    every other member that received that declaration too (answered, not excluded) gets the improved answers, as a
    follow-up of its own. In id order; empty for any other uitvraag.
    """
    if follow_up.kind != UitvraagKind.FOLLOW_UP or follow_up.parent_id is None:
        return []
    asked = session.get(DeclarationMember, follow_up.parent_id)
    if asked is None or asked.excluded_at is not None:
        return []
    return _members(session, asked.declaration_id, leaving_out=follow_up.parent_id, statuses=ANSWERED)


def member_contracts(session: Session, declaration: Declaration) -> list[Contract]:
    """Every contract of every member not excluded: the form asks what any of them needs."""
    ids = list(
        session.exec(
            select(DeclarationMember.uitvraag_id)
            .where(DeclarationMember.declaration_id == declaration.id, col(DeclarationMember.excluded_at).is_(None))
            .order_by(col(DeclarationMember.uitvraag_id))
        ).all()
    )
    found = contracts_by_uitvraag(session, ids)
    return [contract for uitvraag_id in ids for contract in found.get(uitvraag_id, [])]


class NotShared(ValueError):
    """The municipality cannot be excluded: it is not (or no longer) a member of this declaration."""


def exclude(session: Session, *, declaration: Declaration, uitvraag_id: int, now: datetime, actor: str) -> Uitvraag:
    """Take a member out of the declaration before it is submitted; the caller invites it on its own link.

    The lead cannot be excluded (its link is the declaration's). Returns the member's uitvraag.
    """
    member = session.get(DeclarationMember, uitvraag_id)
    if (
        member is None
        or member.declaration_id != declaration.id
        or member.excluded_at is not None
        or uitvraag_id == declaration.lead_uitvraag_id
    ):
        raise NotShared(uitvraag_id)
    uitvraag = session.get(Uitvraag, uitvraag_id)
    if uitvraag is None or uitvraag.status not in OPEN:
        raise NotShared(uitvraag_id)
    member.excluded_at = now
    session.add(member)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="declaration.excluded",
        organisation_id=uitvraag.organisation_id,
        subject_type="uitvraag",
        subject_id=uitvraag_id,
        detail={"declaration": declaration.id},
    )
    return uitvraag


def members_to_receive(session: Session, declaration: Declaration) -> list[Uitvraag]:
    """The members (not the lead) that are still open and not excluded, by id."""
    assert declaration.id is not None
    return _members(session, declaration.id, leaving_out=declaration.lead_uitvraag_id, statuses=OPEN)


def _members(
    session: Session, declaration_id: int, *, leaving_out: int | None, statuses: tuple[str, ...]
) -> list[Uitvraag]:
    """The uitvragen of a declaration's members that are not excluded, with one of `statuses`, but the one
    `leaving_out`, by id."""
    return list(
        session.exec(
            select(Uitvraag)
            .join(DeclarationMember, col(DeclarationMember.uitvraag_id) == Uitvraag.id)
            .where(
                DeclarationMember.declaration_id == declaration_id,
                col(DeclarationMember.excluded_at).is_(None),
                col(Uitvraag.id) != leaving_out,
                col(Uitvraag.status).in_(statuses),
            )
            .order_by(col(Uitvraag.id))
        ).all()
    )


def copy_answers(session: Session, *, source_id: int, target_id: int, upload_dir: str | None, now: datetime) -> None:
    """Make `target`'s answers and documents those of `source`: its drafts are replaced, files get their own copy."""
    for old in session.exec(select(Answer).where(Answer.uitvraag_id == target_id)).all():
        session.delete(old)
    for old_file in session.exec(select(EvidenceFile).where(EvidenceFile.uitvraag_id == target_id)).all():
        session.delete(old_file)
    session.flush()
    for answer in session.exec(select(Answer).where(Answer.uitvraag_id == source_id).order_by(col(Answer.id))):
        session.add(Answer(uitvraag_id=target_id, question_id=answer.question_id, value=answer.value, updated_at=now))
    files = session.exec(
        select(EvidenceFile).where(EvidenceFile.uitvraag_id == source_id).order_by(col(EvidenceFile.id))
    ).all()
    if files and not upload_dir:
        raise RuntimeError("the declaration has documents but no upload folder is configured to copy them to")
    for source in files:
        stored_name = secrets.token_hex(16)
        link_file(Path(upload_dir or "") / source.stored_name, Path(upload_dir or "") / stored_name)
        copied: dict[str, Any] = {
            name: getattr(source, name)
            for name in ("question_id", "original_name", "content_type", "size", "sha256", "expires_on", "uploaded_at")
        }
        session.add(EvidenceFile(uitvraag_id=target_id, stored_name=stored_name, carried_over=False, **copied))
    session.flush()


def invite_on_own_link(session: Session, *, uitvraag: Uitvraag, now: datetime, mail: MailSettings) -> str:
    """Give an uitvraag that left its declaration its own link and invitation, as if it had never been shared.

    Returns the outbox idempotency key of the invitation.
    """
    assert uitvraag.id is not None
    token = issue_token(session, uitvraag=uitvraag, now=now, grace_days=mail.grace_days)
    contracts = contracts_of(session, uitvraag)
    owner = (contracts[0].owner_name, contracts[0].owner_email) if contracts else ("", uitvraag.recipient_email)
    key = f"invitation:{uitvraag.id}:own"
    queue_link_mail(
        session, uitvraag=uitvraag, contracts=contracts, token=token, key=key, owner=owner, now=now, mail=mail
    )
    return key


@dataclass(frozen=True)
class SharedOrigin:
    """How a municipality's own uitvraag relates to the shared declaration it is in, as its staff may see it."""

    service_name: str
    answered_at: datetime | None  # when the supplier answered the declaration (None: not yet)


def shared_origin(session: Session, uitvraag_id: int) -> SharedOrigin | None:
    """The shared declaration this uitvraag receives (lead or member, not excluded), or None.

    Tells its own staff no more than the service and when the supplier answered: nothing of the other members.
    """
    row = session.exec(
        select(Declaration, Service.name)
        .join(DeclarationMember, col(DeclarationMember.declaration_id) == Declaration.id)
        .join(Service, col(Service.id) == Declaration.service_id)
        .where(DeclarationMember.uitvraag_id == uitvraag_id, col(DeclarationMember.excluded_at).is_(None))
    ).first()
    if row is None:
        return None
    declaration, service_name = row
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    return SharedOrigin(service_name=service_name, answered_at=lead.submitted_at if lead else None)
