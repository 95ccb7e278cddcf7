"""The contract register in the browser: find contracts, show one with its history, and change one (audited).

Plain functions taking the session and `now`; the functional administrator's pages call them. Every look-up is
scoped by organisation here, so another organisation's contract is never found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlmodel import Session, col, select

from bot import emails
from bot.audit import record
from bot.contracts import in_force_sql
from bot.i18n import format_day
from bot.models import (
    Contract,
    Finding,
    LadderStep,
    Organisation,
    ReviewCycle,
    RiskTier,
    Role,
    Service,
    Supplier,
    Uitvraag,
    UitvraagContract,
)
from bot.register import RegisterError, apply_register, row_from_form
from bot.staff.actions import ActionError
from bot.staff.paging import Page, one_page
from bot.staff.users import ensure_staff_user, find_staff_user

STATES = ("in-force", "ended")
EDITABLE = ("owner_name", "owner_email", "risk_tier", "personal_data", "end_date", "active")


@dataclass(frozen=True)
class ContractFilters:
    q: str = ""
    supplier_id: int | None = None
    owner: str = ""
    tier: str = ""
    state: str = ""  # "", "in-force" or "ended"
    page: int = 1


def find_contracts(
    session: Session, *, organisation_id: int, filters: ContractFilters, today: date
) -> Page[tuple[Contract, Supplier]]:
    """One page of the organisation's contracts matching the filters, by reference."""
    query = (
        select(Contract, Supplier)
        .join(Supplier, Supplier.id == Contract.supplier_id)  # type: ignore[arg-type]
        .where(Contract.organisation_id == organisation_id)
    )
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Contract.reference).like(pattern),
                sa.func.lower(Contract.name).like(pattern),
                sa.func.lower(Supplier.name).like(pattern),
                sa.func.lower(Contract.owner_name).like(pattern),
            )
        )
    if filters.supplier_id is not None:
        query = query.where(Contract.supplier_id == filters.supplier_id)
    if filters.owner:
        query = query.where(sa.func.lower(Contract.owner_email) == filters.owner.lower())
    if filters.tier in {t.value for t in RiskTier}:
        query = query.where(Contract.risk_tier == filters.tier)
    force = in_force_sql(Contract.__table__.c, today)  # type: ignore[attr-defined]
    if filters.state == "in-force":
        query = query.where(force)
    elif filters.state == "ended":
        query = query.where(sa.not_(force))
    return one_page(session, query, order_by=(Contract.reference, Contract.id), page=filters.page)


def filter_choices(session: Session, *, organisation_id: int) -> dict[str, Any]:
    """The suppliers and owners that the organisation's contracts have, for the filter menus."""
    suppliers = session.exec(
        select(Supplier)
        .join(Contract, Contract.supplier_id == Supplier.id)  # type: ignore[arg-type]
        .where(Contract.organisation_id == organisation_id)
        .distinct()
        .order_by(Supplier.name, Supplier.id)
    ).all()
    owners = session.exec(
        select(Contract.owner_email)
        .where(Contract.organisation_id == organisation_id)
        .distinct()
        .order_by(Contract.owner_email)
    ).all()
    return {"suppliers": list(suppliers), "owners": list(owners)}


@dataclass
class HistoryLine:
    uitvraag: Uitvraag
    cycle: ReviewCycle
    findings: list[Finding] = field(default_factory=list)
    steps: list[LadderStep] = field(default_factory=list)


def contract_history(session: Session, *, contract: Contract) -> list[HistoryLine]:
    """Every uitvraag that covered this contract, newest cycle first, with its findings and ladder steps."""
    rows = session.exec(
        select(Uitvraag, ReviewCycle)
        .join(UitvraagContract, UitvraagContract.uitvraag_id == Uitvraag.id)  # type: ignore[arg-type]
        .join(ReviewCycle, ReviewCycle.id == Uitvraag.cycle_id)  # type: ignore[arg-type]
        .where(UitvraagContract.contract_id == contract.id, Uitvraag.organisation_id == contract.organisation_id)
        .order_by(col(ReviewCycle.starts_on).desc(), col(Uitvraag.follow_up_number).desc(), col(Uitvraag.id).desc())
    ).all()
    lines = [HistoryLine(uitvraag=u, cycle=c) for u, c in rows]
    ids = [line.uitvraag.id for line in lines]
    if not ids:
        return lines
    by_id = {line.uitvraag.id: line for line in lines}
    for finding in session.exec(
        select(Finding).where(col(Finding.uitvraag_id).in_(ids)).order_by(Finding.question_id, Finding.id)
    ):
        by_id[finding.uitvraag_id].findings.append(finding)
    for step in session.exec(
        select(LadderStep).where(col(LadderStep.uitvraag_id).in_(ids)).order_by(LadderStep.created_at, LadderStep.id)
    ):
        by_id[step.uitvraag_id].steps.append(step)
    return lines


def service_name(session: Session, contract: Contract) -> str:
    service = session.get(Service, contract.service_id) if contract.service_id else None
    return service.name if service else ""


def parse_changes(form: dict[str, str]) -> dict[str, Any]:
    """The edit form's values, checked; raises ActionError naming the first field that is wrong."""
    owner_name = (form.get("owner_name") or "").strip()
    if not owner_name:
        raise ActionError("owner_name", lazy_gettext("Enter the contract owner's name."))
    owner_email = emails.normalise(form.get("owner_email"))
    if not emails.is_valid(owner_email):
        raise ActionError("owner_email", lazy_gettext("'%(address)s' is not an e-mail address.", address=owner_email))
    tier = form.get("risk_tier", "")
    if tier not in {t.value for t in RiskTier}:
        raise ActionError("risk_tier", lazy_gettext("Choose a risk tier."))
    raw_end = (form.get("end_date") or "").strip()
    end_date = None
    if raw_end:
        try:
            end_date = date.fromisoformat(raw_end)
        except ValueError:
            raise ActionError(
                "end_date", lazy_gettext("'%(value)s' is not a date; use yyyy-mm-dd.", value=raw_end)
            ) from None
    return {
        "owner_name": owner_name,
        "owner_email": owner_email,
        "risk_tier": tier,
        "personal_data": form.get("personal_data") == "yes",
        "end_date": end_date,
        "active": form.get("active") == "yes",
    }


def update_contract(
    session: Session, *, contract: Contract, changes: dict[str, Any], now: datetime, actor: str
) -> list[str]:
    """Apply checked changes to a contract, audited with old and new values; returns the changed field names.

    An end date before the start date is refused. A new owner without a staff account becomes a contract manager,
    as the register import does. The caller commits.
    """
    if changes.get("end_date") is not None and changes["end_date"] < contract.start_date:
        raise ActionError(
            "end_date",
            lazy_gettext("The end date is before the start date %(day)s.", day=format_day(contract.start_date)),
        )
    changed = {k: v for k, v in changes.items() if k in EDITABLE and getattr(contract, k) != v}
    if not changed:
        return []
    detail = {k: {"from": _plain(getattr(contract, k)), "to": _plain(v)} for k, v in changed.items()}
    for key, value in changed.items():
        setattr(contract, key, value)
    contract.updated_at = now
    session.add(contract)
    record(
        session,
        now=now,
        actor=actor,
        action="contract.updated",
        organisation_id=contract.organisation_id,
        subject_type="contract",
        subject_id=contract.id,
        detail={"reference": contract.reference, "changes": detail},
    )
    if "owner_email" in changed:
        organisation = session.get(Organisation, contract.organisation_id)
        assert organisation is not None
        if find_staff_user(session, organisation=organisation, email=contract.owner_email) is None:
            ensure_staff_user(
                session,
                organisation=organisation,
                email=contract.owner_email,
                name=contract.owner_name,
                role=Role.CONTRACT_MANAGER.value,
                now=now,
                actor=actor,
            )
    return sorted(changed)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def add_contract(
    session: Session, *, organisation: Organisation, form: Mapping[str, str], now: datetime, actor: str
) -> Contract:
    """A contract typed in by hand, checked by the register's rules and added as the register import adds one
    (a new supplier, service or contract manager with it); audited. The caller commits.

    Raises RegisterError naming each wrong field and its value, also for a reference the organisation already has.
    """
    row = row_from_form(form, organisation=organisation)
    taken = session.exec(
        select(Contract.id).where(
            Contract.organisation_id == organisation.id,
            sa.func.lower(Contract.reference) == row.contract_ref.lower(),
        )
    ).first()
    if taken is not None:
        raise RegisterError(
            [
                _(
                    "contract_ref: %(value)s is already the reference of a contract; change that one instead",
                    value=repr(row.contract_ref),
                )
            ],
            ["contract_ref"],
        )
    report = apply_register(session, rows=[row], now=now, actor=actor, organisation_id=organisation.id, audited=False)
    contract = session.exec(
        select(Contract).where(Contract.organisation_id == organisation.id, Contract.reference == row.contract_ref)
    ).one()
    record(
        session,
        now=now,
        actor=actor,
        action="contract.added",
        organisation_id=organisation.id,
        subject_type="contract",
        subject_id=contract.id,
        detail={
            "reference": contract.reference,
            "name": contract.name,
            "supplier_kvk": row.supplier_kvk,
            "owner_email": contract.owner_email,
            "risk_tier": contract.risk_tier,
            "changes": [change.split(": ", 1)[1] for change in report.changes],
        },
    )
    return contract
