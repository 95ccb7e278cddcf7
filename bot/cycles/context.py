"""What every sweep step works with: the sweep's context and report, the batch loop, and the status groups.

The steps (reminders, ladder, renewal, digest) import this module; bot/cycles/sweep.py runs them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.contracts import in_force_sql
from bot.cycles.facts import FactsReader
from bot.cycles.rendering import MailRenderer
from bot.models import OPEN_STATUSES, Contract, UitvraagContract, UitvraagStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
OPEN = tuple(s.value for s in OPEN_STATUSES)
SUBMITTED = (UitvraagStatus.SUBMITTED.value, UitvraagStatus.REVIEWED.value)
# Why an overdue uitvraag matters: the supplier proves it meets the requirements, and the owner reviews it.
OVERDUE_MEASURES = ["5.20.03", "5.22.01"]


@dataclass
class SweepReport:
    """What one sweep did."""

    reminders: int = 0
    owner_overdue: int = 0
    ciso_overdue: int = 0
    findings: int = 0
    ciso_findings: int = 0
    evidence_requests: int = 0
    evidence_lapsed: int = 0
    digests: int = 0
    without_ciso: int = 0  # overdue uitvragen of organisations with no CISO or administrator to tell
    retries: int = 0

    def did_something(self) -> bool:
        return any(
            (self.reminders, self.owner_overdue, self.ciso_overdue, self.findings, self.ciso_findings,
             self.evidence_requests,
             self.evidence_lapsed, self.digests)
        )  # fmt: skip

    def summary(self) -> str:
        return (
            f"{self.reminders} reminders, {self.evidence_requests} evidence requests; escalations: "
            f"{self.owner_overdue} overdue to owners, {self.ciso_overdue} overdue to CISOs, {self.findings} "
            f"findings to owners, {self.ciso_findings} findings to CISOs, {self.evidence_lapsed} lapsed evidence; "
            f"{self.digests} digest mails"
            + (f"; {self.without_ciso} overdue uitvragen have no CISO to tell" if self.without_ciso else "")
            + (f"; {self.retries} batches read again after another sweep was first" if self.retries else "")
        )


@dataclass
class SweepContext:
    session: Session
    config: Mapping[str, Any]
    now: datetime
    report: SweepReport
    reader: FactsReader
    batch_size: int
    renderer: MailRenderer = field(default_factory=MailRenderer)

    @property
    def today(self) -> Any:
        return self.now.date()


def in_batches(
    context: SweepContext,
    candidates: Callable[[Sequence[int] | None], list[Any]],
    write: Callable[[list[Any]], None],
) -> None:
    """Write what `candidates` finds due, one transaction per batch.

    `candidates(ids)` reads what is still due (among `ids`, or all when None). When another sweep wrote some of
    the same steps first, the unique keys roll the batch back, and what is still due in it is read again.
    """
    session = context.session
    due = candidates(None)
    session.commit()
    for start in range(0, len(due), context.batch_size):
        rows = due[start : start + context.batch_size]
        for _attempt in range(MAX_ATTEMPTS):
            try:
                if rows:
                    write(rows)
                session.commit()
                break
            except IntegrityError:
                session.rollback()
                context.report.retries += 1
                log.info("sweep: another sweep took some of the same steps first; reading again")
                rows = candidates(sorted({row.id for row in rows}))
        else:
            raise RuntimeError("the sweep kept colliding with another sweep; try again")


def has_contract_in_force(uitvraag_id: Any, today: Any) -> Any:
    """SQL: the uitvraag covers at least one contract that is still in force."""
    uc = UitvraagContract.__table__.c
    c = Contract.__table__.c
    return (
        sa.select(uc.uitvraag_id)
        .join(Contract.__table__, c.id == uc.contract_id)
        .where(uc.uitvraag_id == uitvraag_id, in_force_sql(c, today))
        .exists()
    )
