"""The sector view (for the IBD and the GGU): what the shared declarations say across municipalities, as aggregates.

A declaration counts for a service once at least `minimum` municipalities received it (their own uitvraag is
submitted from it; the supplier did not exclude them); below that nothing about it is shown, not even in the
sector-wide figures, so no municipality can be singled out. For each shown declaration, per BIO2 measure: how many
municipalities received it and how many of them have, as their worst finding on that measure, a critical, high,
medium or low one (or none); and the most common findings, by question. Across all shown declarations the same per
measure, weakest first. Never a municipality's name, a contact, an answer or any free text: only counts, the
supplier's and service's names, and the questionnaire's own texts.

Findings are each municipality's own (judged with its own contract facts); resolved ones (a follow-up's better
answer) no longer count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.config import SECTOR_MIN_LOWEST
from bot.csvfile import excel_csv
from bot.models import (
    Declaration,
    DeclarationMember,
    Finding,
    FindingStatus,
    ReviewCycle,
    Service,
    Severity,
    Supplier,
    Uitvraag,
    UitvraagStatus,
)
from bot.supplier.state import questionnaire_for

SEVERITIES = tuple(s.value for s in Severity)
RECEIVED = (UitvraagStatus.SUBMITTED.value, UitvraagStatus.REVIEWED.value)
COMMON_FINDINGS = 5


@dataclass(frozen=True)
class Counts:
    """Of `municipalities` that received a declaration: how many have each severity as their worst (and none)."""

    subject: str  # a measure id, or a question id for a common finding
    label: str  # the question's text for a common finding, else ""
    municipalities: int
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0

    @property
    def without_finding(self) -> int:
        return self.municipalities - self.critical - self.high - self.medium - self.low

    @property
    def weak(self) -> int:
        """Critical and high together: what 'weakest' sorts by."""
        return self.critical + self.high


@dataclass(frozen=True)
class ServiceFigures:
    supplier: str
    service: str
    questionnaire: str  # its title
    municipalities: int
    measures: list[Counts]
    common_findings: list[Counts]


@dataclass(frozen=True)
class SectorFigures:
    cycle: str | None  # the cycle shown (None: no shared declaration yet)
    cycles: list[str]  # every cycle with a shared declaration, newest first
    minimum: int
    services: list[ServiceFigures]  # only declarations at least `minimum` municipalities received
    withheld: int  # declarations with fewer: counted, never described
    measures: list[Counts]  # across the shown declarations, weakest first


def checked_minimum(value: int) -> int:
    """The configured minimum, refused below SECTOR_MIN_LOWEST."""
    if value < SECTOR_MIN_LOWEST:
        raise ValueError(f"SECTOR_MIN_MUNICIPALITIES must be at least {SECTOR_MIN_LOWEST}, got {value}")
    return value


def _counts(subject: str, label: str, received: int, worst: list[str]) -> Counts:
    tally = {severity: worst.count(severity) for severity in SEVERITIES}
    return Counts(subject=subject, label=label, municipalities=received, **tally)


def _worst(severities: list[str]) -> str:
    return min(severities, key=Severity.rank_of)


def sector_figures(session: Session, *, minimum: int, cycle_name: str | None, lang: str) -> SectorFigures | None:
    """The sector's aggregates for `cycle_name` (default: the newest cycle with a shared declaration).

    None when `cycle_name` names no cycle with a shared declaration.
    """
    minimum = checked_minimum(minimum)
    cycles = session.exec(
        select(ReviewCycle)
        .where(col(ReviewCycle.id).in_(select(Declaration.cycle_id)))
        .order_by(col(ReviewCycle.starts_on).desc(), col(ReviewCycle.name).desc())
    ).all()
    names = [c.name for c in cycles]
    if cycle_name is not None and cycle_name not in names:
        return None
    cycle = next((c for c in cycles if c.name == cycle_name), cycles[0] if cycles else None)
    if cycle is None:
        return SectorFigures(None, [], minimum, [], 0, [])

    declarations = session.exec(
        select(Declaration, Supplier, Service)
        .join(Supplier, col(Supplier.id) == Declaration.supplier_id)
        .join(Service, col(Service.id) == Declaration.service_id)
        .where(Declaration.cycle_id == cycle.id)
        .order_by(col(Supplier.name), col(Service.name), col(Declaration.questionnaire_id), col(Declaration.id))
    ).all()
    # Who received each declaration: municipalities whose own uitvraag was submitted from it.
    received: dict[int, dict[int, int]] = defaultdict(dict)  # declaration -> organisation -> uitvraag
    for member, uitvraag in session.exec(
        select(DeclarationMember, Uitvraag)
        .join(Uitvraag, col(Uitvraag.id) == DeclarationMember.uitvraag_id)
        .where(
            col(DeclarationMember.declaration_id).in_([d.id for d, _s, _v in declarations]),
            col(DeclarationMember.excluded_at).is_(None),
            col(Uitvraag.status).in_(RECEIVED),
        )
        .order_by(col(Uitvraag.id))
    ):
        assert uitvraag.id is not None
        received[member.declaration_id].setdefault(uitvraag.organisation_id, uitvraag.id)

    shown = [(d, s, v) for d, s, v in declarations if len(received[d.id or 0]) >= minimum]
    uitvraag_ids = sorted(u for d, _s, _v in shown for u in received[d.id or 0].values())
    findings: dict[int, list[Finding]] = defaultdict(list)
    if uitvraag_ids:
        for finding in session.exec(
            select(Finding)
            .where(col(Finding.uitvraag_id).in_(uitvraag_ids), Finding.status != FindingStatus.RESOLVED.value)
            .order_by(col(Finding.id))
        ):
            findings[finding.uitvraag_id].append(finding)

    services: list[ServiceFigures] = []
    overall: dict[str, list[str]] = defaultdict(list)  # measure -> worst severity per received declaration
    overall_received: dict[str, int] = defaultdict(int)
    for declaration, supplier, service in shown:
        lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
        assert lead is not None
        questionnaire = questionnaire_for(session, lead.snapshot_id)
        measures = sorted({m for q in questionnaire.questions() for m in q.measures})
        members = list(received[declaration.id or 0].values())
        per_measure: dict[str, list[str]] = defaultdict(list)
        per_question: dict[str, list[str]] = defaultdict(list)
        for uitvraag_id in members:
            by_measure: dict[str, list[str]] = defaultdict(list)
            by_question: dict[str, list[str]] = defaultdict(list)
            for finding in findings[uitvraag_id]:
                by_question[finding.question_id].append(finding.severity)
                for measure in finding.measure_ids:
                    by_measure[measure].append(finding.severity)
            for measure, severities in by_measure.items():
                per_measure[measure].append(_worst(severities))
            for question_id, severities in by_question.items():
                per_question[question_id].append(_worst(severities))
        measures = sorted(set(measures) | set(per_measure))
        measure_counts = [_counts(m, "", len(members), per_measure[m]) for m in measures]
        for counts in measure_counts:
            overall[counts.subject].extend(per_measure[counts.subject])
            overall_received[counts.subject] += len(members)
        common = sorted(per_question.items(), key=lambda item: (-len(item[1]), item[0]))[:COMMON_FINDINGS]
        services.append(
            ServiceFigures(
                supplier=supplier.name,
                service=service.name,
                questionnaire=questionnaire.title.get(lang),
                municipalities=len(members),
                measures=measure_counts,
                common_findings=[
                    _counts(q, _question_text(questionnaire, q, lang), len(members), worst) for q, worst in common
                ],
            )
        )
    sector = [_counts(m, "", overall_received[m], overall[m]) for m in sorted(overall_received)]
    sector.sort(key=lambda c: (-c.weak / c.municipalities, -c.weak, c.subject))
    return SectorFigures(
        cycle=cycle.name,
        cycles=names,
        minimum=minimum,
        services=services,
        withheld=len(declarations) - len(shown),
        measures=sector,
    )


def _question_text(questionnaire: Any, question_id: str, lang: str) -> str:
    try:
        return str(questionnaire.question(question_id).text.get(lang))
    except KeyError:
        return question_id


CSV_COLUMNS = (
    "cyclus",
    "soort",
    "leverancier",
    "dienst",
    "vragenlijst",
    "maatregel_of_vraag",
    "vraag",
    "gemeenten",
    "kritiek",
    "hoog",
    "middel",
    "laag",
    "zonder_bevinding",
)


def _row(figures: SectorFigures, kind: str, service: ServiceFigures | None, counts: Counts) -> dict[str, Any]:
    return {
        "cyclus": figures.cycle,
        "soort": kind,
        "leverancier": service.supplier if service else "",
        "dienst": service.service if service else "",
        "vragenlijst": service.questionnaire if service else "",
        "maatregel_of_vraag": counts.subject,
        "vraag": counts.label,
        "gemeenten": counts.municipalities,
        "kritiek": counts.critical,
        "hoog": counts.high,
        "middel": counts.medium,
        "laag": counts.low,
        "zonder_bevinding": counts.without_finding,
    }


def sector_csv(figures: SectorFigures) -> bytes:
    """The figures as one CSV: per service and measure (`maatregel`), its common findings (`bevinding`), and the
    sector per measure (`sector`)."""
    rows: list[dict[str, Any]] = []
    for service in figures.services:
        rows.extend(_row(figures, "maatregel", service, c) for c in service.measures)
        rows.extend(_row(figures, "bevinding", service, c) for c in service.common_findings)
    rows.extend(_row(figures, "sector", None, c) for c in figures.measures)
    return excel_csv(CSV_COLUMNS, rows)


def _counts_json(counts: Counts) -> dict[str, Any]:
    data = asdict(counts)
    data["without_finding"] = counts.without_finding
    if not counts.label:
        data.pop("label")
    return data


def sector_json(figures: SectorFigures, *, generated_at: datetime) -> str:
    """The figures as a JSON document."""
    return json.dumps(
        {
            "cycle": figures.cycle,
            "cycles": figures.cycles,
            "minimum_municipalities": figures.minimum,
            "generated_at": generated_at.isoformat(),
            "withheld_declarations": figures.withheld,
            "services": [
                {
                    "supplier": s.supplier,
                    "service": s.service,
                    "questionnaire": s.questionnaire,
                    "municipalities": s.municipalities,
                    "measures": [_counts_json(c) for c in s.measures],
                    "common_findings": [_counts_json(c) for c in s.common_findings],
                }
                for s in figures.services
            ],
            "measures": [_counts_json(c) for c in figures.measures],
        },
        ensure_ascii=False,
        indent=2,
    )
