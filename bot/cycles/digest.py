"""One `escalation-digest` mail per person per sweep, listing all their new items.

The digest takes every owner or CISO escalation that no mail has carried yet (also those of an earlier sweep that
stopped before this step), groups them by recipient, and claims them for the new mail in the same transaction:
a row another sweep claimed first makes this transaction roll back and start again, so no item is mailed twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot import emails
from bot.cycles import bulk
from bot.cycles.context import MAX_ATTEMPTS, SweepContext
from bot.cycles.steps import ESCALATION_LEVELS
from bot.links import staff_overview_link
from bot.mail.chat import notify
from bot.models import LadderLevel, LadderStep, UitvraagKind
from bot.risk import risk_label, risk_level

PEOPLE_PER_BATCH = 200
LEVELS = tuple(level.value for level in ESCALATION_LEVELS)


class _Claimed(Exception):
    """Another sweep mailed some of these escalations first."""


def send_digests(context: SweepContext) -> None:
    for _attempt in range(MAX_ATTEMPTS * 4):
        try:
            pending = _pending(context)
            people = sorted(pending)
            for start in range(0, len(people), PEOPLE_PER_BATCH):
                for person in people[start : start + PEOPLE_PER_BATCH]:
                    _send(context, person, pending[person])
                context.session.commit()
            context.session.commit()
            break
        except (IntegrityError, _Claimed):
            context.session.rollback()
            context.report.retries += 1
    else:
        raise RuntimeError("the escalation digests kept colliding with another sweep; try again")
    _notify_chat(context)


def _pending(context: SweepContext) -> dict[str, list[Any]]:
    e = LadderStep.__table__.c
    rows = context.session.execute(
        sa.select(e.id, e.recipient_email, e.level, e.detail)
        .where(e.level.in_(LEVELS), e.outbox_id.is_(None))
        .order_by(e.id)
    ).all()
    pending: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        pending[emails.normalise(row.recipient_email)].append(row)
    return pending


def _send(context: SweepContext, person: str, rows: list[Any]) -> None:
    ids = [row.id for row in rows]
    details = [row.detail or {} for row in rows]
    language = next((d["language"] for d in details if d.get("language") in ("nl", "en")), "nl")
    organisations = sorted({d.get("organisation_name", "") for d in details if d.get("organisation_name")})
    items = _distinct([_item(detail, language) for detail in details])
    items.sort(key=lambda item: (_REASON_ORDER.get(item["reason"], 9), item["supplier_name"], item["cycle"]))
    digest_of = hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()[:32]
    mail = bulk.outbox_row(
        key=f"escalation-digest:{person}:{digest_of}",
        kind="escalation-digest",
        to=rows[0].recipient_email.strip(),
        language=language,
        context={
            "recipient_name": next((d["recipient_name"] for d in details if d.get("recipient_name")), person),
            "level": LadderLevel.CISO.value
            if any(row.level == LadderLevel.CISO for row in rows)
            else LadderLevel.OWNER.value,
            "organisation_name": ", ".join(organisations),
            "items": items,
            "overview_link": staff_overview_link(context.config["BASE_URL"]),
        },
        now=context.now,
        domain=bulk.mail_domain(context.config),
        organisation_id=details[0].get("organisation_id") if len(organisations) == 1 else None,
    )
    [outbox_id] = bulk.insert_outbox(context.session, [mail])
    e = LadderStep.__table__.c
    claimed = 0
    for part in bulk.chunks(ids):
        result = context.session.execute(
            sa.update(LadderStep.__table__).where(e.id.in_(part), e.outbox_id.is_(None)).values(outbox_id=outbox_id)
        )
        claimed += result.rowcount
    if claimed != len(ids):
        raise _Claimed()
    context.report.digests += 1


_REASON_ORDER = {"findings": 0, "evidence-lapsed": 1, "overdue": 2, "renewal-late": 3, "evidence-expiring": 4}


def _item(detail: dict[str, Any], language: str) -> dict[str, Any]:
    """The digest item the template receives, in the recipient's language, from what the escalation stored."""
    findings = detail.get("findings", [])
    return {
        "reason": detail.get("reason", "overdue"),
        "organisation_name": detail.get("organisation_name", ""),
        "supplier_name": detail.get("supplier_name", ""),
        "contracts": detail.get("contracts", []),
        "cycle": detail.get("cycle", ""),
        "kind": detail.get("kind", UitvraagKind.REGULAR.value),
        "questionnaire_title": _text(detail.get("questionnaire_title"), language),
        "deadline": date.fromisoformat(detail["deadline"]) if detail.get("deadline") else None,
        "score": detail.get("score"),
        # Beside the score, which alone can look good with critical findings: the worst finding listed.
        "risk_label": risk_label(risk_level(f.get("severity", "") for f in findings), language) if findings else "",
        "findings": [
            {
                "question_id": finding.get("question_id", ""),
                "question_text": _text(finding.get("question_text"), language),
                "severity": finding.get("severity", ""),
                "reason": _text(finding.get("reason"), language),
                "measures": finding.get("measures", []),
            }
            for finding in findings
        ],
        "measures": detail.get("measures", []),
        "staff_link": detail.get("staff_link", ""),
    }


def _distinct(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items without repeats: two escalations of one uitvraag for one reason (the step of each contract
    owner's row, a retried sweep) are one line for the reader."""
    seen: set[str] = set()
    result = []
    for item in items:
        key = repr(sorted((k, repr(v)) for k, v in item.items()))
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _text(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return value.get(language) or value.get("nl") or ""
    return str(value or "")


def _notify_chat(context: SweepContext) -> None:
    """Tell the team chat how many escalations went out (`notify` never raises, so it never holds up the sweep)."""
    report = context.report
    count = report.owner_overdue + report.ciso_overdue + report.findings + report.ciso_findings + report.evidence_lapsed
    if not count:
        return
    text = (
        f"BIO-leveranciersuitvraag: {count} nieuwe escalaties ({report.owner_overdue} te laat bij eigenaren, "
        f"{report.ciso_overdue} te laat bij CISO's, {report.findings} bevindingen bij eigenaren, "
        f"{report.ciso_findings} bevindingen bij CISO's, {report.evidence_lapsed} "
        f"verlopen documenten) in {report.digests} overzichtsmails."
    )
    notify(dict(context.config), text=text, link=staff_overview_link(context.config["BASE_URL"]))
