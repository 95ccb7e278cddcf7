"""Small factories for test data: `make_contract(session, ...)` instead of fixtures that build the world."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from bot.cycles.periods import Period, ensure_cycle
from bot.models import Contract, Organisation, ReviewCycle, StaffUser, Supplier

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
_counter = iter(range(1, 10**9))


def make_organisation(session: Session, name: str = "Gemeente Testdorp", slug: str | None = None) -> Organisation:
    existing = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if existing:
        return existing
    org = Organisation(name=name, slug=slug or name.lower().replace("gemeente ", "").replace(" ", "-"), created_at=NOW)
    session.add(org)
    session.commit()
    return org


def make_supplier(session: Session, name: str = "Leverancier BV", kvk: str | None = None, **kw: Any) -> Supplier:
    kvk = kvk or f"{next(_counter) + 10000000:08d}"
    existing = session.exec(select(Supplier).where(Supplier.kvk == kvk)).first()
    if existing:
        return existing
    supplier = Supplier(kvk=kvk, name=name, created_at=NOW, updated_at=NOW, **kw)
    session.add(supplier)
    session.commit()
    return supplier


def make_cycle(
    session: Session,
    name: str = "2026-Q4",
    starts_on: date = date(2026, 10, 1),
    ends_on: date = date(2026, 12, 31),
    now: datetime = NOW,
) -> ReviewCycle:
    """The review cycle `name`, created as the planner creates it if it does not exist yet."""
    cycle = ensure_cycle(session, period=Period(name, starts_on, ends_on), now=now)
    session.commit()
    return cycle


def make_contract(
    session: Session,
    *,
    organisation: Organisation | None = None,
    supplier: Supplier | None = None,
    reference: str | None = None,
    **kw: Any,
) -> Contract:
    organisation = organisation or make_organisation(session)
    supplier = supplier or make_supplier(session)
    values: dict[str, Any] = {
        "name": "Zaaksysteem",
        "supplier_email": "security@leverancier.test",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.test",
        "risk_tier": "high",
        "personal_data": False,
        "cloud_hosted": True,
        "start_date": date(2025, 1, 1),
        "end_date": None,
        "active": True,
    }
    values.update(kw)
    contract = Contract(
        organisation_id=organisation.id,
        supplier_id=supplier.id,
        reference=reference or f"C-{next(_counter):05d}",
        created_at=NOW,
        updated_at=NOW,
        **values,
    )
    session.add(contract)
    session.commit()
    return contract


def make_staff(
    session: Session, *, organisation: Organisation, email: str, role: str = "ciso", name: str = ""
) -> StaffUser:
    user = StaffUser(organisation_id=organisation.id, email=email, role=role, name=name or email, created_at=NOW)
    session.add(user)
    session.commit()
    return user
