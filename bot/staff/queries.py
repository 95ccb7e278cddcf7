"""What the staff pages show: the overview of one organisation's cycle, supplier trends, and open findings.

Read-only functions taking the session, the organisation and `now`; every query is scoped by organisation here so
the views cannot forget it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from bot import emails
from bot.cycles import steps
from bot.findings import earlier_live_findings
from bot.models import (
    Contract,
    Finding,
    FindingStatus,
    LadderStep,
    ReviewCycle,
    Severity,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagStatus,
)
from bot.risk import risk_level
from bot.services import service_names
from bot.uitvragen import is_overdue

OVERDUE, ESCALATED = "overdue", "escalated"  # filters the overview adds to the statuses
STATUS_FILTERS = (*(s.value for s in UitvraagStatus), OVERDUE, ESCALATED)
SORT_KEYS = ("supplier", "status", "deadline", "score", "findings")
HISTORY_CYCLES = 6


def finding_is_open(finding: Finding, today: date) -> bool:
    """Open, or accepted as a risk whose end date has passed (it counts again from the day after)."""
    if finding.status == FindingStatus.OPEN:
        return True
    return finding.status == FindingStatus.ACCEPTED and (
        finding.accepted_until is None or finding.accepted_until < today
    )


@dataclass
class OverviewRow:
    uitvraag: Uitvraag
    supplier: Supplier
    contracts: list[Contract]
    overdue: bool
    escalated: bool
    open_findings: Counter[str] = field(default_factory=Counter)
    service_names: dict[int, str] = field(default_factory=dict)  # of this page's contracts, by service id

    @property
    def owners(self) -> list[str]:
        return sorted({emails.normalise(c.owner_email) for c in self.contracts})

    @property
    def worst_severity(self) -> str | None:
        return next((s.value for s in Severity if self.open_findings.get(s)), None)

    @property
    def risk_level(self) -> str | None:
        """The worst open finding (with those still open from earlier cycles); None while nothing is judged."""
        if self.uitvraag.submitted_at is None and not self.open_count:
            return None
        return risk_level(s for s, n in self.open_findings.items() if n)

    @property
    def open_count(self) -> int:
        return sum(self.open_findings.values())


@dataclass
class SupplierSummary:
    supplier: Supplier
    history: list[tuple[str, int]]  # (cycle name, score), oldest first
    open_findings: Counter[str]


@dataclass
class Overview:
    cycle: ReviewCycle | None
    cycles: list[ReviewCycle]
    counts: dict[str, int]
    rows: list[OverviewRow]
    all_rows: list[OverviewRow]
    suppliers: list[SupplierSummary]


def cycles_of(session: Session, organisation_id: int) -> list[ReviewCycle]:
    """The cycles in which this organisation has uitvragen, newest first."""
    ids = select(Uitvraag.cycle_id).where(Uitvraag.organisation_id == organisation_id)
    return list(
        session.exec(
            select(ReviewCycle).where(col(ReviewCycle.id).in_(ids)).order_by(col(ReviewCycle.starts_on).desc())
        ).all()
    )


def contracts_by_uitvraag(session: Session, uitvraag_ids: list[int]) -> dict[int, list[Contract]]:
    result: dict[int, list[Contract]] = defaultdict(list)
    if not uitvraag_ids:
        return result
    for link, contract in session.exec(
        select(UitvraagContract, Contract)
        .join(Contract, col(Contract.id) == UitvraagContract.contract_id)
        .where(col(UitvraagContract.uitvraag_id).in_(uitvraag_ids))
        .order_by(Contract.reference)
    ):
        result[link.uitvraag_id].append(contract)
    return result


def open_findings_by_uitvraag(session: Session, uitvraag_ids: list[int], today: date) -> dict[int, Counter[str]]:
    result: dict[int, Counter[str]] = defaultdict(Counter)
    if not uitvraag_ids:
        return result
    for finding in session.exec(select(Finding).where(col(Finding.uitvraag_id).in_(uitvraag_ids))):
        if finding_is_open(finding, today):
            result[finding.uitvraag_id][finding.severity] += 1
    return result


def escalated_ids(session: Session, uitvraag_ids: list[int]) -> set[int]:
    if not uitvraag_ids:
        return set()
    return set(
        session.exec(
            select(LadderStep.uitvraag_id).where(
                col(LadderStep.uitvraag_id).in_(uitvraag_ids), col(LadderStep.level).in_(steps.ESCALATION_LEVELS)
            )
        ).all()
    )


def build_rows(session: Session, uitvragen: list[Uitvraag], now: datetime) -> list[OverviewRow]:
    ids = [u.id for u in uitvragen if u.id is not None]
    contracts = contracts_by_uitvraag(session, ids)
    findings = open_findings_by_uitvraag(session, ids, now.date())
    # Findings of earlier cycles that nothing has settled still count for the regular uitvraag of the cycle.
    for uitvraag_id, earlier in earlier_live_findings(session, uitvragen).items():
        for finding in earlier:
            if finding_is_open(finding, now.date()):
                findings[uitvraag_id][finding.severity] += 1
    escalated = escalated_ids(session, ids)
    services = service_names(session, (c for cs in contracts.values() for c in cs))
    suppliers = {
        s.id: s for s in session.exec(select(Supplier).where(col(Supplier.id).in_({u.supplier_id for u in uitvragen})))
    }
    return [
        OverviewRow(
            uitvraag=u,
            supplier=suppliers[u.supplier_id],
            contracts=contracts.get(u.id or 0, []),
            overdue=is_overdue(u, now),
            escalated=(u.id in escalated),
            open_findings=findings.get(u.id or 0, Counter()),
            service_names=services,
        )
        for u in uitvragen
    ]


def count_statuses(rows: list[OverviewRow]) -> dict[str, int]:
    counts = dict.fromkeys((*(s.value for s in UitvraagStatus if s != UitvraagStatus.CANCELLED), OVERDUE, ESCALATED), 0)
    for row in rows:
        if row.uitvraag.status in counts:
            counts[row.uitvraag.status] += 1
        counts["overdue"] += row.overdue
        counts["escalated"] += row.escalated
    return counts


def filter_rows(
    rows: list[OverviewRow], *, status: str = "", supplier_id: int | None = None, owner: str = "", severity: str = ""
) -> list[OverviewRow]:
    """Keep the rows matching every given filter; unknown filter values match nothing, empty ones everything."""
    owner = emails.normalise(owner)
    result = []
    for row in rows:
        if status == OVERDUE and not row.overdue:
            continue
        if status == ESCALATED and not row.escalated:
            continue
        if status and status not in (OVERDUE, ESCALATED) and row.uitvraag.status != status:
            continue
        if supplier_id is not None and row.supplier.id != supplier_id:
            continue
        if owner and owner not in row.owners:
            continue
        if severity and not row.open_findings.get(severity):
            continue
        result.append(row)
    return result


def sort_rows(rows: list[OverviewRow], sort: str) -> list[OverviewRow]:
    """Sort by one of SORT_KEYS; a leading '-' reverses. Ties fall back to supplier name."""
    descending = sort.startswith("-")
    key = sort.lstrip("-") or "supplier"
    status_rank = {s.value: i for i, s in enumerate(UitvraagStatus)}

    def sort_key(row: OverviewRow) -> tuple:  # type: ignore[type-arg]
        name = row.supplier.name.lower()
        if key == "status":
            return (status_rank.get(row.uitvraag.status, 9), name)
        if key == "deadline":
            return (row.uitvraag.deadline or datetime.max.replace(tzinfo=UTC), name)
        if key == "score":
            return (-1 if row.uitvraag.score is None else row.uitvraag.score, name)
        if key == "findings":
            worst = Severity.rank_of(row.worst_severity)
            return (-worst, row.open_count, name)
        return (name, row.uitvraag.follow_up_number)

    # Equal keys (one supplier, several questionnaires) fall back to the uitvraag id, never to the row order.
    return sorted(rows, key=lambda row: (*sort_key(row), row.uitvraag.id or 0), reverse=descending)


def score_history(
    session: Session, *, organisation_id: int, supplier_ids: set[int], up_to: ReviewCycle, limit: int = HISTORY_CYCLES
) -> dict[int, list[tuple[str, int]]]:
    """Per supplier, the score of its regular uitvragen in the last `limit` cycles up to `up_to`, oldest first."""
    result: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if not supplier_ids:
        return result
    rows = session.exec(
        select(Uitvraag, ReviewCycle)
        .join(ReviewCycle, col(ReviewCycle.id) == Uitvraag.cycle_id)
        .where(
            Uitvraag.organisation_id == organisation_id,
            col(Uitvraag.supplier_id).in_(supplier_ids),
            Uitvraag.follow_up_number == 0,
            col(Uitvraag.score).is_not(None),
            ReviewCycle.starts_on <= up_to.starts_on,
        )
        .order_by(col(ReviewCycle.starts_on).desc())
    ).all()
    per_cycle: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    order: dict[str, date] = {}
    for uitvraag, cycle in rows:
        per_cycle[uitvraag.supplier_id][cycle.name].append(uitvraag.score or 0)
        order[cycle.name] = cycle.starts_on
    for supplier_id, by_cycle in per_cycle.items():
        names = sorted(by_cycle, key=lambda n: order[n])[-limit:]
        # Several questionnaires in one cycle: the lowest score is the one to watch.
        result[supplier_id] = [(name, min(by_cycle[name])) for name in names]
    return result


def overview(
    session: Session,
    *,
    organisation_id: int,
    now: datetime,
    cycle_name: str = "",
    status: str = "",
    supplier_id: int | None = None,
    owner: str = "",
    severity: str = "",
    sort: str = "supplier",
) -> Overview:
    """The overview of one cycle (the newest one by default) of one organisation."""
    cycles = cycles_of(session, organisation_id)
    cycle = next((c for c in cycles if c.name == cycle_name), None) if cycle_name else (cycles[0] if cycles else None)
    if cycle is None:
        return Overview(None, cycles, count_statuses([]), [], [], [])
    uitvragen = list(
        session.exec(
            select(Uitvraag)
            .where(Uitvraag.organisation_id == organisation_id, Uitvraag.cycle_id == cycle.id)
            .order_by(col(Uitvraag.id))
        ).all()
    )
    all_rows = build_rows(session, uitvragen, now)
    rows = sort_rows(
        filter_rows(all_rows, status=status, supplier_id=supplier_id, owner=owner, severity=severity), sort
    )
    history = score_history(
        session,
        organisation_id=organisation_id,
        supplier_ids={r.supplier.id for r in all_rows if r.supplier.id},
        up_to=cycle,
    )
    findings: dict[int, Counter[str]] = defaultdict(Counter)
    suppliers: dict[int, Supplier] = {}
    for row in all_rows:
        assert row.supplier.id is not None
        suppliers[row.supplier.id] = row.supplier
        findings[row.supplier.id].update(row.open_findings)
    summaries = [
        SupplierSummary(supplier, history.get(sid, []), findings[sid])
        for sid, supplier in sorted(suppliers.items(), key=lambda item: item[1].name.lower())
    ]
    return Overview(cycle, cycles, count_statuses(all_rows), rows, all_rows, summaries)
