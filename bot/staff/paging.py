"""One page of a staff list: the count, the page number kept within range, and that page's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

PAGE_SIZE = 25

Row = TypeVar("Row")


@dataclass
class Page(Generic[Row]):
    rows: list[Row]
    total: int
    page: int  # 1-based, within 1..pages
    pages: int  # at least 1, also for an empty list


def one_page(session: Session, query: Any, *, order_by: tuple[Any, ...], page: int, size: int = PAGE_SIZE) -> Page[Any]:
    """Page `page` of `query` in the order `order_by` (which must end in a unique column, so pages never overlap).

    A page number past the end shows the last page; one below 1 the first.
    """
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.exec(query.order_by(*order_by).offset((page - 1) * size).limit(size)).all()
    return Page(rows=list(rows), total=total, page=page, pages=pages)
