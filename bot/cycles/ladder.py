"""The escalation ladder: overdue uitvragen and weak submissions to the owner and then the CISO.

Each step adds LadderStep rows whose `detail` is the complete digest item (what is missing or weak, the BIO2
measures, the staff link), so the digest mail can be written from the rows alone, also after a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot import audit
from bot.cycles import bulk, steps
from bot.cycles.context import OVERDUE_MEASURES, SUBMITTED, SweepContext, has_contract_in_force, in_batches
from bot.cycles.facts import UitvraagFacts
from bot.links import staff_uitvraag_link
from bot.models import (
    Finding,
    FindingStatus,
    LadderLevel,
    LadderStep,
    Severity,
    Uitvraag,
    UitvraagKind,
    UitvraagStatus,
)
from bot.timeutil import as_utc
from bot.uitvragen import overdue_sql


def item_detail(
    context: SweepContext,
    fact: UitvraagFacts,
    *,
    reason: str,
    recipient_name: str,
    language: str,
    measures: Iterable[str],
    findings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One digest item: what needs the recipient, and why (stored in LadderStep.detail)."""
    return {
        "reason": reason,
        "organisation_id": fact.organisation_id,
        "organisation_name": fact.organisation_name,
        "recipient_name": recipient_name,
        "language": language,
        "supplier_name": fact.supplier_name,
        "contracts": fact.contract_list(),
        "cycle": fact.cycle,
        "kind": fact.kind,
        "questionnaire_title": questionnaire_title(context, fact),
        "deadline": fact.deadline.date().isoformat(),
        "score": fact.score,
        "findings": findings or [],
        "measures": sorted(set(measures)),
        "staff_link": staff_uitvraag_link(context.config["BASE_URL"], fact.id),
    }


def questionnaire_title(context: SweepContext, fact: UitvraagFacts) -> dict[str, str]:
    """The uitvraag's questionnaire title in both languages, so each digest line can name it."""
    title = context.reader.questionnaire(fact.snapshot_id).title
    return {"nl": title.get("nl"), "en": title.get("en")}


def renewal_documents(context: SweepContext, fact: UitvraagFacts) -> list[dict[str, str]]:
    """The documents an evidence renewal asks for, as question texts in both languages."""
    return [context.reader.question_text(fact.snapshot_id, qid) for qid in fact.question_ids or []]


def escalation_row(
    context: SweepContext, fact: UitvraagFacts, *, step: str, level: str, email: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "uitvraag_id": fact.id,
        "step": step,
        "level": level,
        "recipient_email": email,
        "detail": detail,
        "deadline": fact.deadline,
        "created_at": context.now,
        "outbox_id": None,
    }


def owner_rows(context: SweepContext, fact: UitvraagFacts, *, step: str, reason: str, **item: Any) -> list[dict]:
    """An escalation row per owner of the uitvraag's contracts in force."""
    rows = []
    for email, name in fact.owners(context.today).items():
        person = context.reader.person(fact.organisation_id, email)
        language = person.language if person is not None else "nl"
        detail = item_detail(context, fact, reason=reason, recipient_name=name, language=language, **item)
        rows.append(escalation_row(context, fact, step=step, level=LadderLevel.OWNER, email=email, detail=detail))
    return rows


def ciso_rows(context: SweepContext, fact: UitvraagFacts, *, step: str, reason: str, **item: Any) -> list[dict]:
    """An escalation row per CISO of the uitvraag's organisation (administrators where it has no CISO).

    An organisation with neither is counted in the report (`without_ciso`) and gets no rows.
    """
    people = context.reader.cisos(fact.organisation_id)
    if not people:
        context.report.without_ciso += 1
    rows = []
    for person in people:
        name = person.name or person.email
        detail = item_detail(context, fact, reason=reason, recipient_name=name, language=person.language, **item)
        rows.append(escalation_row(context, fact, step=step, level=LadderLevel.CISO, email=person.email, detail=detail))
    return rows


def insert_escalations(
    context: SweepContext, escalations: list[dict[str, Any]], facts: dict[int, UitvraagFacts]
) -> None:
    """Write escalation rows, each with its audit row (the caller commits). `facts` holds their uitvragen.

    Written in a fixed order (uitvraag, step, recipient), whatever order the database returned the candidates in,
    so that the same sweep always numbers its rows the same way.
    """
    escalations = sorted(escalations, key=lambda row: (row["uitvraag_id"], row["step"], row["recipient_email"]))
    bulk.insert_rows(context.session, LadderStep, escalations)
    audits = [
        audit.new_row(
            now=context.now,
            actor=bulk.ACTOR,
            action="uitvraag.escalated",
            organisation_id=facts[row["uitvraag_id"]].organisation_id,
            subject_type="uitvraag",
            subject_id=row["uitvraag_id"],
            detail={"step": row["step"], "level": row["level"], "to": row["recipient_email"]},
        )
        for row in escalations
    ]
    bulk.insert_audit(context.session, audits)


def _not_taken(pattern: str) -> Any:
    """SQL: no step matching the LIKE `pattern` was taken for the uitvraag's current deadline."""
    u = Uitvraag.__table__.c
    e = LadderStep.__table__.c
    return ~sa.select(e.id).where(e.uitvraag_id == u.id, e.deadline == u.deadline, e.step.like(pattern)).exists()


def escalate_overdue(context: SweepContext) -> None:
    """Deadline passed without a submission: the owners; CISO_ESCALATION_DAYS later, the CISO(s)."""
    u = Uitvraag.__table__.c
    ciso_days = int(context.config["CISO_ESCALATION_DAYS"])
    for level, delay in ((LadderLevel.OWNER, 0), (LadderLevel.CISO, ciso_days)):

        def candidates(ids: Any, level: LadderLevel = level, delay: int = delay) -> list[Any]:
            statement = sa.select(u.id).where(
                overdue_sql(u, context.now - timedelta(days=delay)),
                _not_taken(steps.overdue_like(level)),
                has_contract_in_force(u.id, context.today),
            )
            if ids is not None:
                statement = statement.where(u.id.in_(ids))
            return context.session.execute(statement.order_by(u.id)).all()

        in_batches(context, candidates, lambda rows, level=level: _write_overdue(context, level, rows))


def _write_overdue(context: SweepContext, level: LadderLevel, rows: list[Any]) -> None:
    facts = context.reader.uitvragen(row.id for row in rows)
    escalations: list[dict[str, Any]] = []
    for fact in facts.values():
        step = steps.overdue(level, fact.deadline)
        item: dict[str, Any] = {"measures": OVERDUE_MEASURES}
        reason = "overdue"
        if fact.kind == UitvraagKind.EVIDENCE:
            # The questionnaire was answered; what is missing is the renewed document asked for afterwards.
            reason = "renewal-late"
            item["findings"] = [
                {
                    "question_id": qid,
                    "question_text": context.reader.question_text(fact.snapshot_id, qid),
                    "severity": "high",
                    "reason": {
                        "nl": "Er is geen vernieuwd document ontvangen binnen de termijn.",
                        "en": "No renewed document was received before the deadline.",
                    },
                    "measures": context.reader.question_measures(fact.snapshot_id, qid),
                }
                for qid in fact.question_ids or []
            ]
            item["measures"] = sorted({m for f in item["findings"] for m in f["measures"]}) or OVERDUE_MEASURES
        rows_for = owner_rows if level is LadderLevel.OWNER else ciso_rows
        escalations.extend(rows_for(context, fact, step=step, reason=reason, **item))
    insert_escalations(context, escalations, facts)
    if level is LadderLevel.OWNER:
        context.report.owner_overdue += len(escalations)
    else:
        context.report.ciso_overdue += len(escalations)


def escalation_due(
    *, critical: int, high: int, oldest_high: datetime | None, config: Mapping[str, Any], now: datetime
) -> bool:
    """The count rule: does a submission with these open findings escalate to its owners?

    At least ESCALATE_CRITICAL_COUNT critical findings, or ESCALATE_HIGH_COUNT high ones, or a high one still open
    HIGH_FINDING_DAYS after it was found (0: never on age alone). Medium and low findings never escalate.
    """
    if critical and critical >= int(config["ESCALATE_CRITICAL_COUNT"]):
        return True
    if high and high >= int(config["ESCALATE_HIGH_COUNT"]):
        return True
    days = int(config["HIGH_FINDING_DAYS"])
    return bool(high and days > 0 and oldest_high is not None and as_utc(oldest_high) <= now - timedelta(days=days))


def _open_counts() -> Any:
    """SQL: per uitvraag, its open critical and high findings and when the oldest open high one was found."""
    f = Finding.__table__.c
    is_open = f.status == FindingStatus.OPEN.value
    critical = sa.func.sum(sa.case((f.severity == Severity.CRITICAL.value, 1), else_=0))
    high = sa.func.sum(sa.case((f.severity == Severity.HIGH.value, 1), else_=0))
    oldest_high = sa.func.min(sa.case((f.severity == Severity.HIGH.value, f.created_at), else_=None))
    return (
        sa.select(
            f.uitvraag_id.label("id"),
            critical.label("critical"),
            high.label("high"),
            oldest_high.label("oldest_high"),
        )
        .where(is_open, f.severity.in_((Severity.CRITICAL.value, Severity.HIGH.value)))
        .group_by(f.uitvraag_id)
        .subquery()
    )


def escalate_findings(context: SweepContext) -> None:
    """Weak submissions climb the ladder by their open findings, not by their score.

    - `owner-findings` (owners): the count rule of escalation_due() holds; once per uitvraag.
    - `ciso-findings` (CISOs): an open critical finding, in the same sweep as the owners; or open high findings
      that nobody acted on (not accepted, not resolved) CISO_ESCALATION_DAYS after the owners were told.
    Findings accepted as a risk do not escalate until their acceptance ends; then they do, once per end date, to
    the owners and, for a critical finding, to the CISO(s) (`ciso-findings:lapsed-<date>`).
    """
    u = Uitvraag.__table__.c
    f = Finding.__table__.c
    e = LadderStep.__table__.c
    today = context.today
    counts = _open_counts()
    ciso_days = int(context.config["CISO_ESCALATION_DAYS"])

    def taken(step: str) -> Any:
        return sa.select(e.id).where(e.uitvraag_id == u.id, e.step == step).exists()

    def owner_candidates(ids: Any) -> list[Any]:
        statement = (
            sa.select(u.id, counts.c.critical, counts.c.high, counts.c.oldest_high)
            .join(counts, counts.c.id == u.id)
            .where(
                u.status == UitvraagStatus.SUBMITTED.value,
                ~taken(steps.findings(LadderLevel.OWNER)),
                has_contract_in_force(u.id, today),
            )
        )
        if ids is not None:
            statement = statement.where(u.id.in_(ids))
        rows = context.session.execute(statement.order_by(u.id)).all()
        return [
            row
            for row in rows
            if escalation_due(
                critical=row.critical or 0,
                high=row.high or 0,
                oldest_high=row.oldest_high,
                config=context.config,
                now=context.now,
            )
        ]

    in_batches(context, owner_candidates, lambda rows: _write_findings(context, rows))

    def ciso_candidates(ids: Any) -> list[Any]:
        owner_told = (
            sa.select(e.id)
            .where(
                e.uitvraag_id == u.id,
                e.step == steps.findings(LadderLevel.OWNER),
                e.created_at <= context.now - timedelta(days=ciso_days),
            )
            .exists()
        )
        statement = (
            sa.select(u.id)
            .join(counts, counts.c.id == u.id)
            .where(
                u.status == UitvraagStatus.SUBMITTED.value,  # reviewed: someone acted
                taken(steps.findings(LadderLevel.OWNER)),
                ~taken(steps.findings(LadderLevel.CISO)),
                sa.or_(counts.c.critical > 0, owner_told),
                has_contract_in_force(u.id, today),
            )
        )
        if ids is not None:
            statement = statement.where(u.id.in_(ids))
        return context.session.execute(statement.order_by(u.id)).all()

    in_batches(context, ciso_candidates, lambda rows: _write_ciso_findings(context, rows))

    # Acceptances that ran out (in the last year): one step per uitvraag and end date.
    def lapsed_candidates(ids: Any) -> list[Any]:
        statement = (
            sa.select(u.id, f.accepted_until, u.organisation_id, u.supplier_id, u.questionnaire_id, u.submitted_at)
            .join(Finding.__table__, f.uitvraag_id == u.id)
            .where(
                u.status.in_(SUBMITTED),
                f.status == FindingStatus.ACCEPTED.value,
                f.accepted_until < today,
                f.accepted_until >= today - timedelta(days=366),
                f.severity.in_((Severity.CRITICAL.value, Severity.HIGH.value)),
                has_contract_in_force(u.id, today),
            )
            .distinct()
        )
        if ids is not None:
            statement = statement.where(u.id.in_(ids))
        rows = context.session.execute(statement.order_by(u.id, f.accepted_until)).all()
        if not rows:
            return []
        taken = {
            (row.uitvraag_id, row.step)
            for part in bulk.chunks(sorted({r.id for r in rows}))
            for row in context.session.execute(
                sa.select(e.uitvraag_id, e.step).where(e.uitvraag_id.in_(part), e.step.like(steps.FINDINGS_LAPSED_LIKE))
            )
        }
        due = [
            r
            for r in rows
            if (r.id, steps.findings_lapsed(r.accepted_until)) not in taken and not _superseded(context, r)
        ]
        return sorted(due, key=lambda r: (r.id, r.accepted_until))

    in_batches(context, lapsed_candidates, lambda rows: _write_lapsed(context, rows))


def _superseded(context: SweepContext, row: Any) -> bool:
    """A later submission of the same questionnaire by the same supplier answers for it now."""
    u = Uitvraag.__table__.c
    later = context.session.execute(
        sa.select(u.id)
        .where(
            u.organisation_id == row.organisation_id,
            u.supplier_id == row.supplier_id,
            u.questionnaire_id == row.questionnaire_id,
            u.kind == UitvraagKind.REGULAR.value,
            u.status.in_(SUBMITTED),
            u.submitted_at > row.submitted_at,
        )
        .limit(1)
    ).first()
    return later is not None


def _finding_items(context: SweepContext, fact: UitvraagFacts, findings: list[Any]) -> list[dict[str, Any]]:
    findings = sorted(findings, key=lambda x: (Severity.rank_of(x.severity), x.question_id))
    return [
        {
            "question_id": finding.question_id,
            "question_text": context.reader.question_text(fact.snapshot_id, finding.question_id),
            "severity": finding.severity,
            "reason": {"nl": finding.reason_nl, "en": finding.reason_en},
            "measures": list(finding.measure_ids or []),
            "accepted_until": finding.accepted_until.isoformat() if finding.accepted_until else None,
        }
        for finding in findings
    ]


def _load_findings(context: SweepContext, ids: list[int], status: str) -> dict[int, list[Any]]:
    f = Finding.__table__.c
    found: dict[int, list[Any]] = {i: [] for i in ids}
    for part in bulk.chunks(ids):
        for row in context.session.execute(
            sa.select(f).where(f.uitvraag_id.in_(part), f.status == status).order_by(f.uitvraag_id, f.id)
        ):
            found[row.uitvraag_id].append(row)
    return found


def _write_findings(context: SweepContext, rows: list[Any]) -> None:
    ids = [row.id for row in rows]
    facts = context.reader.uitvragen(ids)
    findings = _load_findings(context, ids, FindingStatus.OPEN.value)
    escalations: list[dict[str, Any]] = []
    for uitvraag_id in ids:
        fact = facts[uitvraag_id]
        items = _finding_items(context, fact, findings[uitvraag_id])
        measures = {m for item in items for m in item["measures"]}
        escalations.extend(
            owner_rows(
                context,
                fact,
                step=steps.findings(LadderLevel.OWNER),
                reason="findings",
                findings=items,
                measures=measures,
            )
        )
    insert_escalations(context, escalations, facts)
    context.report.findings += len(escalations)


def _write_ciso_findings(context: SweepContext, rows: list[Any]) -> None:
    """The CISO(s) hear of the open critical and high findings only: the owner's digest has the rest."""
    ids = [row.id for row in rows]
    facts = context.reader.uitvragen(ids)
    findings = _load_findings(context, ids, FindingStatus.OPEN.value)
    serious = (Severity.CRITICAL.value, Severity.HIGH.value)
    escalations: list[dict[str, Any]] = []
    for uitvraag_id in ids:
        fact = facts[uitvraag_id]
        items = _finding_items(context, fact, [x for x in findings[uitvraag_id] if x.severity in serious])
        measures = {m for item in items for m in item["measures"]}
        escalations.extend(
            ciso_rows(
                context,
                fact,
                step=steps.findings(LadderLevel.CISO),
                reason="findings",
                findings=items,
                measures=measures,
            )
        )
    insert_escalations(context, escalations, facts)
    context.report.ciso_findings += len(escalations)


def _write_lapsed(context: SweepContext, rows: list[Any]) -> None:
    """The owners hear of every high or critical finding whose acceptance ended; the CISO(s) too when one of them
    is critical (a critical risk was accepted with their approval, so its end is theirs to hear of)."""
    ids = sorted({row.id for row in rows})
    facts = context.reader.uitvragen(ids)
    findings = _load_findings(context, ids, FindingStatus.ACCEPTED.value)
    owner_escalations: list[dict[str, Any]] = []
    ciso_escalations: list[dict[str, Any]] = []
    for row in rows:
        fact = facts[row.id]
        lapsed = [x for x in findings[row.id] if x.accepted_until == row.accepted_until]
        items = _finding_items(context, fact, lapsed)
        measures = {m for item in items for m in item["measures"]}
        step = steps.findings_lapsed(row.accepted_until)
        owner_escalations.extend(
            owner_rows(context, fact, step=step, reason="findings", findings=items, measures=measures)
        )
        critical = [item for item in items if item["severity"] == Severity.CRITICAL.value]
        if critical:
            ciso_escalations.extend(
                ciso_rows(
                    context,
                    fact,
                    step=steps.findings_lapsed(row.accepted_until, LadderLevel.CISO),
                    reason="findings",
                    findings=critical,
                    measures={m for item in critical for m in item["measures"]},
                )
            )
    insert_escalations(context, owner_escalations + ciso_escalations, facts)
    context.report.findings += len(owner_escalations)
    context.report.ciso_findings += len(ciso_escalations)
