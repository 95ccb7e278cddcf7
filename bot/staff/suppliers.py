"""Suppliers as one organisation's administrator sees them: the list, one supplier's page, and its contacts changed.

A supplier is shared by every organisation (one KvK number), but an organisation sees only the suppliers it has a
contract with, and only its own contracts, contacts and uitvragen of them. A contact is the address a contract
names for the supplier (`Contract.supplier_email`): the planner mails the uitvraag there. Plain functions taking
the session and `now`; the administration pages call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext
from sqlmodel import Session, col, select

from bot import emails
from bot.audit import record
from bot.models import (
    OPEN_STATUSES,
    Contract,
    Finding,
    FindingStatus,
    ReviewCycle,
    Service,
    Supplier,
    Uitvraag,
)
from bot.staff.actions import ActionError
from bot.staff.paging import Page, one_page


@dataclass
class SupplierRow:
    supplier: Supplier
    contracts: int


@dataclass
class Contact:
    email: str
    contracts: list[Contract]


@dataclass
class HistoryLine:
    uitvraag: Uitvraag
    cycle: ReviewCycle
    open_findings: int


@dataclass
class SupplierOverview:
    supplier: Supplier
    contacts: list[Contact]
    services: list[Service]
    contracts: list[Contract]
    history: list[HistoryLine] = field(default_factory=list)


def _of_organisation(organisation_id: int) -> sa.ColumnElement[bool]:
    """The supplier has at least one contract with the organisation."""
    return sa.exists().where(Contract.supplier_id == Supplier.id, Contract.organisation_id == organisation_id)  # type: ignore[arg-type]


def find_suppliers(session: Session, *, organisation_id: int, q: str = "", page: int = 1) -> Page[SupplierRow]:
    """One page of the suppliers the organisation has contracts with, by name; `q` searches name and KvK number."""
    query = select(Supplier).where(_of_organisation(organisation_id))
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(Supplier.name).like(pattern), col(Supplier.kvk).like(pattern)))
    found = one_page(session, query, order_by=(Supplier.name, Supplier.id), page=page)
    suppliers = found.rows
    counts = dict(
        session.exec(
            select(Contract.supplier_id, sa.func.count())
            .where(
                Contract.organisation_id == organisation_id,
                col(Contract.supplier_id).in_([s.id for s in suppliers]),
            )
            .group_by(Contract.supplier_id)
        ).all()
    )
    rows = [SupplierRow(supplier=s, contracts=counts.get(s.id, 0)) for s in suppliers]
    return Page(rows=rows, total=found.total, page=found.page, pages=found.pages)


def supplier_of(session: Session, *, organisation_id: int, supplier_id: int) -> Supplier | None:
    """The supplier, if the organisation has a contract with it; None otherwise (the page answers 404)."""
    return session.exec(select(Supplier).where(Supplier.id == supplier_id, _of_organisation(organisation_id))).first()


def overview(session: Session, *, organisation_id: int, supplier: Supplier) -> SupplierOverview:
    """The supplier's contacts, services, contracts and uitvragen across all cycles, as far as they are this
    organisation's."""
    contracts = list(
        session.exec(
            select(Contract)
            .where(Contract.organisation_id == organisation_id, Contract.supplier_id == supplier.id)
            .order_by(Contract.reference, Contract.id)
        ).all()
    )
    by_email: dict[str, list[Contract]] = {}
    for contract in contracts:
        by_email.setdefault(emails.normalise(contract.supplier_email), []).append(contract)
    contacts = [Contact(email=e, contracts=cs) for e, cs in sorted(by_email.items())]
    service_ids = sorted({c.service_id for c in contracts if c.service_id is not None})
    services = list(
        session.exec(select(Service).where(col(Service.id).in_(service_ids)).order_by(Service.name, Service.id))
    )
    open_findings = (
        select(sa.func.count())
        .where(Finding.uitvraag_id == Uitvraag.id, Finding.status == FindingStatus.OPEN)  # type: ignore[arg-type]
        .correlate(Uitvraag)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Uitvraag, ReviewCycle, open_findings)
        .join(ReviewCycle, ReviewCycle.id == Uitvraag.cycle_id)  # type: ignore[arg-type]
        .where(Uitvraag.organisation_id == organisation_id, Uitvraag.supplier_id == supplier.id)
        .order_by(col(ReviewCycle.starts_on).desc(), col(Uitvraag.follow_up_number).desc(), col(Uitvraag.id).desc())
    ).all()
    history = [HistoryLine(uitvraag=u, cycle=c, open_findings=n) for u, c, n in rows]
    return SupplierOverview(
        supplier=supplier, contacts=contacts, services=services, contracts=contracts, history=history
    )


@dataclass
class ContactChange:
    contracts: list[str]  # references
    uitvragen: list[int]  # open uitvragen now addressed to the new contact


def change_contact(
    session: Session,
    *,
    organisation_id: int,
    supplier: Supplier,
    old_email: str,
    new_email: str,
    now: datetime,
    actor: str,
) -> ContactChange:
    """Replace one contact address of the supplier on every contract of the organisation that names it, and on the
    open uitvragen sent to it (so reminders and a resent link reach the new contact). Audited; the caller commits.

    Raises ActionError naming the field when the old address is not a contact or the new one is no address.
    """
    old = emails.normalise(old_email)
    new = emails.normalise(new_email)
    contracts = [
        c
        for c in session.exec(
            select(Contract)
            .where(Contract.organisation_id == organisation_id, Contract.supplier_id == supplier.id)
            .order_by(Contract.reference, Contract.id)
        )
        if emails.normalise(c.supplier_email) == old
    ]
    if not old or not contracts:
        raise ActionError(
            "old_email",
            lazy_gettext("'%(address)s' is not a contact of %(supplier)s.", address=old_email, supplier=supplier.name),
        )
    if not emails.is_valid(new):
        raise ActionError("new_email", lazy_gettext("'%(address)s' is not an e-mail address.", address=new_email))
    if new == old:
        return ContactChange(contracts=[], uitvragen=[])
    for contract in contracts:
        contract.supplier_email = new
        contract.updated_at = now
        session.add(contract)
    uitvragen = [
        u
        for u in session.exec(
            select(Uitvraag)
            .where(
                Uitvraag.organisation_id == organisation_id,
                Uitvraag.supplier_id == supplier.id,
                col(Uitvraag.status).in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(Uitvraag.id)
        )
        if emails.normalise(u.recipient_email) == old
    ]
    for uitvraag in uitvragen:
        uitvraag.recipient_email = new
        session.add(uitvraag)
    change = ContactChange(contracts=[c.reference for c in contracts], uitvragen=[u.id for u in uitvragen])  # type: ignore[misc]
    record(
        session,
        now=now,
        actor=actor,
        action="supplier.contact-changed",
        organisation_id=organisation_id,
        subject_type="supplier",
        subject_id=supplier.id,
        detail={
            "supplier": supplier.name,
            "from": old,
            "to": new,
            "contracts": change.contracts,
            "uitvragen": change.uitvragen,
        },  # fmt: skip
    )
    return change
