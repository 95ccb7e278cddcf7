"""Exports for one organisation: the contract register with each contract's latest state (CSV for Dutch Excel,
JSON), and the per-cycle report the CISO keeps as ENSIA evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.csvfile import excel_csv
from bot.findings import settled_by
from bot.models import (
    Contract,
    Finding,
    FindingStatus,
    Organisation,
    ReviewCycle,
    Severity,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagStatus,
)
from bot.risk import risk_level
from bot.services import service_names
from bot.staff.queries import OverviewRow, build_rows, count_statuses, finding_is_open
from bot.uitvragen import is_overdue

REGISTER_COLUMNS = [
    "contract_ref",
    "contract_name",
    "supplier_name",
    "supplier_kvk",
    "service",
    "owner_name",
    "owner_email",
    "risk_tier",
    "personal_data",
    "cloud_hosted",
    "active",
    "latest_cycle",
    "latest_status",
    "deadline",
    "submitted_at",
    "risk_level",
    "score",
    "open_findings",
    "open_critical",
    "open_high",
    "open_medium",
    "open_low",
]


def register_rows(session: Session, *, organisation_id: int, now: datetime) -> list[dict[str, Any]]:
    """One row per contract of the organisation, with the state of the latest uitvraag that covers it."""
    contracts = list(
        session.exec(
            select(Contract).where(Contract.organisation_id == organisation_id).order_by(Contract.reference)
        ).all()
    )
    suppliers = {
        s.id: s for s in session.exec(select(Supplier).where(col(Supplier.id).in_({c.supplier_id for c in contracts})))
    }
    services = service_names(session, contracts)
    latest: dict[int, tuple[Uitvraag, ReviewCycle]] = {}
    for link, uitvraag, cycle in session.exec(
        select(UitvraagContract, Uitvraag, ReviewCycle)
        .join(Uitvraag, col(Uitvraag.id) == UitvraagContract.uitvraag_id)
        .join(ReviewCycle, col(ReviewCycle.id) == Uitvraag.cycle_id)
        .where(Uitvraag.organisation_id == organisation_id, col(Uitvraag.status) != UitvraagStatus.CANCELLED)
        .order_by(col(ReviewCycle.starts_on), col(Uitvraag.follow_up_number), col(Uitvraag.id))
    ):
        latest[link.contract_id] = (uitvraag, cycle)  # ordered ascending: the last one wins
    today = now.date()
    # Open findings of a contract: those of every uitvraag that covered it, in any cycle. A finding stays open where
    # it was raised until a later answer settles it (bot/findings.py), so nothing counts twice and nothing vanishes
    # when a new cycle starts.
    contract_uitvragen: dict[int, list[int]] = {}
    for link, uitvraag in session.exec(
        select(UitvraagContract, Uitvraag)
        .join(Uitvraag, col(Uitvraag.id) == UitvraagContract.uitvraag_id)
        .where(Uitvraag.organisation_id == organisation_id)
        .order_by(col(Uitvraag.id))
    ):
        contract_uitvragen.setdefault(link.contract_id, []).append(uitvraag.id or 0)
    all_ids = {i for ids in contract_uitvragen.values() for i in ids}
    findings_by_uitvraag: dict[int, list[Finding]] = {}
    if all_ids:
        for finding in session.exec(
            select(Finding).where(col(Finding.uitvraag_id).in_(all_ids)).order_by(col(Finding.id))
        ):
            findings_by_uitvraag.setdefault(finding.uitvraag_id, []).append(finding)
    rows = []
    for contract in contracts:
        supplier = suppliers[contract.supplier_id]
        state = latest.get(contract.id or 0)
        open_counts: Counter[str] = Counter()
        row: dict[str, Any] = {
            "contract_ref": contract.reference,
            "contract_name": contract.name,
            "supplier_name": supplier.name,
            "supplier_kvk": supplier.kvk,
            "service": services.get(contract.service_id or 0, ""),
            "owner_name": contract.owner_name,
            "owner_email": contract.owner_email,
            "risk_tier": contract.risk_tier,
            "personal_data": contract.personal_data,
            "cloud_hosted": contract.cloud_hosted,
            "active": contract.active,
            "latest_cycle": None,
            "latest_status": None,
            "deadline": None,
            "submitted_at": None,
            "risk_level": None,
            "score": None,
        }
        if state is not None:
            uitvraag, cycle = state
            for uitvraag_id in contract_uitvragen.get(contract.id or 0, []):
                for finding in findings_by_uitvraag.get(uitvraag_id, []):
                    if finding_is_open(finding, today):
                        open_counts[finding.severity] += 1
            row.update(
                latest_cycle=cycle.name,
                latest_status="overdue" if is_overdue(uitvraag, now) else uitvraag.status,
                deadline=uitvraag.deadline.date().isoformat() if uitvraag.deadline else None,
                submitted_at=uitvraag.submitted_at.isoformat() if uitvraag.submitted_at else None,
                score=uitvraag.score,
            )
        if state is not None and (state[0].submitted_at is not None or open_counts):
            row["risk_level"] = risk_level(s for s, n in open_counts.items() if n)
        row["open_findings"] = sum(open_counts.values())
        for severity in Severity:
            row[f"open_{severity.value}"] = open_counts.get(severity, 0)
        rows.append(row)
    return rows


def register_csv(rows: list[dict[str, Any]]) -> bytes:
    """The register overview as CSV for Excel (bot/csvfile.py: formula cells defused)."""
    return excel_csv(REGISTER_COLUMNS, rows)


@dataclass
class ReportItem:
    row: OverviewRow
    submission: Submission | None
    findings: list[Finding]
    reviewed_by: str
    settled_by: dict[int, Uitvraag] = field(default_factory=dict)  # finding id -> the follow-up that settled it


@dataclass
class CycleReport:
    organisation: Organisation
    cycle: ReviewCycle
    generated_at: datetime
    counts: dict[str, int]
    items: list[ReportItem]
    open_by_severity: Counter[str]
    accepted: int


def cycle_report(session: Session, *, organisation_id: int, cycle: ReviewCycle, now: datetime) -> CycleReport | None:
    """Per uitvraag of the cycle: who answered what when (digest), score, findings and what was decided."""
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None
    uitvragen = list(
        session.exec(
            select(Uitvraag).where(Uitvraag.organisation_id == organisation_id, Uitvraag.cycle_id == cycle.id)
        ).all()
    )
    if not uitvragen:
        return None
    rows = sorted(
        build_rows(session, uitvragen, now), key=lambda r: (r.supplier.name.lower(), r.uitvraag.follow_up_number)
    )
    ids = [u.id for u in uitvragen]
    submissions = {
        s.uitvraag_id: s for s in session.exec(select(Submission).where(col(Submission.uitvraag_id).in_(ids)))
    }
    findings: dict[int, list[Finding]] = {}
    for finding in session.exec(
        select(Finding).where(col(Finding.uitvraag_id).in_(ids)).order_by(Finding.question_id, col(Finding.id))
    ):
        findings.setdefault(finding.uitvraag_id, []).append(finding)
    for listed in findings.values():  # most severe first, as the CISO reads it
        listed.sort(key=lambda f: Severity.rank_of(f.severity))
    reviewer_ids = {u.reviewed_by_id for u in uitvragen if u.reviewed_by_id}
    reviewers = {
        u.id: u.name or u.email for u in session.exec(select(StaffUser).where(col(StaffUser.id).in_(reviewer_ids)))
    }
    today = now.date()
    open_by_severity: Counter[str] = Counter()
    accepted = 0
    items = []
    for row in rows:
        uitvraag_findings = findings.get(row.uitvraag.id or 0, [])
        for finding in uitvraag_findings:
            if finding_is_open(finding, today):
                open_by_severity[finding.severity] += 1
            elif finding.status == FindingStatus.ACCEPTED:
                accepted += 1
        items.append(
            ReportItem(
                row=row,
                submission=submissions.get(row.uitvraag.id or 0),
                findings=uitvraag_findings,
                reviewed_by=reviewers.get(row.uitvraag.reviewed_by_id or 0, ""),
                settled_by={
                    f.id: by for f in uitvraag_findings if f.id is not None and (by := settled_by(f, uitvragen))
                },
            )
        )
    return CycleReport(organisation, cycle, now, count_statuses(rows), items, open_by_severity, accepted)
