"""Certificates and reports that expire: a targeted request to the supplier, and an escalation once lapsed.

The current document for a question is the one in the supplier's latest submission (for this organisation and
questionnaire) that holds files for that question. When it expires within EXPIRY_WARNING_DAYS, the supplier gets an
`evidence-renewal` mail with a link to a follow-up uitvraag (kind "evidence") limited to that question. Once it has
expired without a renewed document, the contract owners get an escalation.

A carried-over document (the same file in each quarter's submission) is one document: both steps are keyed by the
question and the file's SHA-256, and stored on the first uitvraag that held that file, so each happens once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bot.cycles import bulk, steps
from bot.cycles.context import SUBMITTED, SweepContext, in_batches
from bot.cycles.ladder import escalation_row, insert_escalations, owner_rows
from bot.links import supplier_link
from bot.models import EvidenceFile, LadderLevel, LadderStep, Severity, Uitvraag, UitvraagKind
from bot.timeutil import deadline_after
from bot.uitvragen import create_follow_up

LOOKBACK_DAYS = 90  # a document that lapsed longer ago than this was escalated already (or is history)
MIN_DAYS_TO_ANSWER = 7


def request_renewals(context: SweepContext) -> None:
    due = _due_documents(context)
    if not due:
        context.session.commit()
        return
    by_id = {}
    for document in due:
        by_id.setdefault(document["source_id"], []).append(document)

    def candidates(ids: Any) -> list[Any]:
        if ids is None:
            return [_Row(source_id) for source_id in sorted(by_id)]
        fresh = {d["source_id"]: d for d in _due_documents(context)}
        return [_Row(source_id) for source_id in ids if source_id in fresh]

    in_batches(context, candidates, lambda rows: _write(context, rows))


class _Row:
    __slots__ = ("id",)

    def __init__(self, id: int) -> None:  # noqa: A002 - matches the rows in_batches expects
        self.id = id


EXPIRING = steps.StepKind.EVIDENCE_EXPIRING
LAPSED = steps.StepKind.EVIDENCE_LAPSED


def _step(kind: steps.StepKind, document: dict[str, Any]) -> str:
    return steps.evidence(kind, document["question_id"], document["sha256"])


def _due_documents(context: SweepContext) -> list[dict[str, Any]]:
    """Each current document that expires soon or has lapsed, and the step still to take for it."""
    session = context.session
    today = context.today
    warning = int(context.config["EXPIRY_WARNING_DAYS"])
    e = EvidenceFile.__table__.c
    u = Uitvraag.__table__.c
    x = LadderStep.__table__.c
    soon = session.execute(
        sa.select(u.organisation_id, u.supplier_id, u.questionnaire_id, e.question_id)
        .join(Uitvraag.__table__, u.id == e.uitvraag_id)
        .where(
            u.status.in_(SUBMITTED),
            e.expires_on.is_not(None),
            e.expires_on <= today + timedelta(days=warning),
            e.expires_on >= today - timedelta(days=LOOKBACK_DAYS),
        )
        .distinct()
    ).all()
    if not soon:
        return []
    wanted = {tuple(row) for row in soon}
    files: dict[tuple, list[Any]] = defaultdict(list)
    suppliers = sorted({row.supplier_id for row in soon})
    for part in bulk.chunks(suppliers):
        statement = (
            sa.select(
                e.uitvraag_id, e.question_id, e.sha256, e.expires_on, e.original_name,
                u.organisation_id, u.supplier_id, u.questionnaire_id, u.submitted_at,
            )
            .join(Uitvraag.__table__, u.id == e.uitvraag_id)
            .where(u.supplier_id.in_(part), u.status.in_(SUBMITTED))
            .order_by(e.uitvraag_id, e.id)
        )  # fmt: skip
        for row in session.execute(statement):
            key = (row.organisation_id, row.supplier_id, row.questionnaire_id, row.question_id)
            if key in wanted:
                files[key].append(row)

    documents = []
    for key, rows in files.items():
        latest = max(rows, key=lambda r: (r.submitted_at, r.uitvraag_id))
        current = [r for r in rows if r.uitvraag_id == latest.uitvraag_id]
        if any(r.expires_on is None for r in current):
            continue  # a document without an end date does not expire
        # Several files may end on the same date (a carried-over certificate and a fresh copy of it): the one held
        # longest is the document, so each sweep picks the same one and its steps stay on its first uitvraag.
        first_held: dict[str, int] = {}
        for r in rows:
            first_held[r.sha256] = min(first_held.get(r.sha256, r.uitvraag_id), r.uitvraag_id)
        ends = max(r.expires_on for r in current)
        document = min((r for r in current if r.expires_on == ends), key=lambda r: (first_held[r.sha256], r.sha256))
        if document.expires_on > today + timedelta(days=warning) or document.expires_on < today - timedelta(
            days=LOOKBACK_DAYS
        ):
            continue
        anchor = first_held[document.sha256]
        documents.append(
            {
                "organisation_id": key[0],
                "supplier_id": key[1],
                "questionnaire_id": key[2],
                "question_id": key[3],
                "sha256": document.sha256,
                "expires_on": document.expires_on,
                "original_name": document.original_name,
                "source_id": latest.uitvraag_id,
                "anchor_id": anchor,
                "lapsed": document.expires_on < today,
            }
        )
    if not documents:
        return []
    taken = {
        (row.uitvraag_id, row.step)
        for part in bulk.chunks(sorted({d["anchor_id"] for d in documents}))
        for row in session.execute(
            sa.select(x.uitvraag_id, x.step).where(x.uitvraag_id.in_(part), x.step.like(steps.EVIDENCE_LIKE))
        )
    }
    due = []
    for document in documents:
        expiring = (document["anchor_id"], _step(EXPIRING, document)) not in taken
        lapsed = document["lapsed"] and (document["anchor_id"], _step(LAPSED, document)) not in taken
        # A lapsed document is past asking for; only the owner is told.
        if lapsed:
            due.append(dict(document, step=LAPSED))
        elif expiring and not document["lapsed"]:
            due.append(dict(document, step=EXPIRING))
    return due


def _write(context: SweepContext, rows: list[Any]) -> None:
    ids = {row.id for row in rows}
    documents = [d for d in _due_documents(context) if d["source_id"] in ids]
    facts = context.reader.uitvragen({d["source_id"] for d in documents} | {d["anchor_id"] for d in documents})
    escalations: list[dict[str, Any]] = []
    for document in documents:
        source = facts[document["source_id"]]
        anchor = facts[document["anchor_id"]]
        if not source.active_contracts(context.today):
            continue  # the contracts have ended: nothing to renew
        if document["step"] is LAPSED:
            text = context.reader.question_text(source.snapshot_id, document["question_id"])
            finding = {
                "question_id": document["question_id"],
                "question_text": text,
                "severity": Severity.HIGH.value,
                "reason": {
                    "nl": f"{document['original_name']} is verlopen op {document['expires_on'].isoformat()} en er is "
                    "geen vernieuwd document aangeleverd.",
                    "en": f"{document['original_name']} expired on {document['expires_on'].isoformat()} and no "
                    "renewed document has been provided.",
                },
                "measures": context.reader.question_measures(source.snapshot_id, document["question_id"]),
            }
            for row in owner_rows(
                context,
                source,
                step=_step(LAPSED, document),
                reason="evidence-lapsed",
                findings=[finding],
                measures=finding["measures"],
            ):
                row["uitvraag_id"] = anchor.id
                escalations.append(row)
            context.report.evidence_lapsed += 1
        else:
            escalations.append(_request(context, source, anchor, document))
    insert_escalations(context, escalations, facts)


def _request(context: SweepContext, source: Any, anchor: Any, document: dict[str, Any]) -> dict[str, Any]:
    """A follow-up uitvraag for the one question, its link and the `evidence-renewal` mail to the supplier."""
    session = context.session
    config = context.config
    now = context.now
    # Ask for the renewal before the document expires, but leave the supplier at least a week.
    expires_at = deadline_after(now, (document["expires_on"] - context.today).days - 1)
    deadline = max(
        min(deadline_after(now, int(config["DEADLINE_DAYS"])), expires_at),
        deadline_after(now, MIN_DAYS_TO_ANSWER),
    )
    contracts = source.active_contracts(context.today)
    request, token = create_follow_up(
        session,
        parent=session.get_one(Uitvraag, source.id),
        kind=UitvraagKind.EVIDENCE,
        question_ids=[document["question_id"]],
        contract_ids=[contract.id for contract in contracts],
        deadline=deadline,
        now=now,
        grace_days=int(config["TOKEN_GRACE_DAYS"]),
    )
    uitvraag_id = request.id
    owner = contracts[0]
    text = context.reader.question_text(source.snapshot_id, document["question_id"])
    [outbox_id] = bulk.insert_outbox(
        session,
        [
            bulk.outbox_row(
                key=f"evidence-renewal:{uitvraag_id}",
                kind="evidence-renewal",
                to=source.recipient_email,
                language=source.language,
                context={
                    "supplier_name": source.supplier_name,
                    "organisation_name": source.organisation_name,
                    "document": document["original_name"],
                    "question": text.get(source.language, text["nl"]),
                    "expires_on": document["expires_on"],
                    "deadline": deadline.date(),
                    "link": supplier_link(config["BASE_URL"], token),
                    "owner_name": owner.owner_name,
                    "owner_email": owner.owner_email,
                },
                now=now,
                domain=bulk.mail_domain(config),
                reply_to=owner.owner_email,
                organisation_id=source.organisation_id,
                uitvraag_id=uitvraag_id,
                renderer=context.renderer,
                secret_key=config["SECRET_KEY"],
            )
        ],
    )
    context.report.evidence_requests += 1
    row = escalation_row(
        context,
        anchor,
        step=_step(EXPIRING, document),
        level=LadderLevel.SUPPLIER,
        email=source.recipient_email,
        detail={
            "reason": "evidence-expiring",
            "request_id": uitvraag_id,
            "question_id": document["question_id"],
            "expires_on": document["expires_on"].isoformat(),
        },
    )
    row["outbox_id"] = outbox_id
    return row
