"""Services (diensten): what a supplier offers and a contract is for.

A contract is for one service of its supplier (`Contract.service_id`), named in the register's `service` column or,
when the register names none, after the contract. The register import creates them (bot.register); pages show them
by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.models import Contract, Service


def service_names(session: Session, contracts: Iterable[Contract]) -> dict[int, str]:
    """The names of the services of `contracts`, by service id, read in one query."""
    ids = {c.service_id for c in contracts if c.service_id is not None}
    if not ids:
        return {}
    return {
        s.id: s.name
        for s in session.exec(select(Service).where(col(Service.id).in_(ids)).order_by(col(Service.id)))
        if s.id is not None
    }
