"""Pre-filling a new uitvraag from the supplier's last submission, so a quarterly update is "check and confirm".

The source is the supplier's latest submitted regular uitvraag of the same questionnaire at the same organisation,
overlaid with the answers of follow-up and evidence requests submitted after it. Answers are copied as drafts
(`carried_over=True`); evidence files that have not expired are carried over too, as a hard link (or copy) of the
stored file under a new random name, since every EvidenceFile row owns its stored name.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.cycles.bulk import chunks
from bot.models import Answer, EvidenceFile, Uitvraag, UitvraagKind, UitvraagStatus

log = logging.getLogger(__name__)

SUBMITTED = (UitvraagStatus.SUBMITTED.value, UitvraagStatus.REVIEWED.value)
Key = tuple[int, str]  # (supplier id, questionnaire id)


@dataclass
class Carried:
    """What a new uitvraag of one supplier and questionnaire starts with."""

    answers: dict[str, Any] = field(default_factory=dict)  # question id -> value
    files: list[dict[str, Any]] = field(default_factory=list)  # EvidenceFile columns of the source files


def previous_answers(
    session: Session,
    *,
    organisation_id: int,
    keys: Iterable[Key],
    today: date,
    prefill_from: Mapping[str, Iterable[str]] | None = None,
) -> dict[Key, Carried]:
    """For each (supplier, questionnaire) of `keys` that was answered before at this organisation: what to carry.

    `prefill_from` names, per questionnaire, other questionnaires whose answers pre-fill it too (the quarterly
    update from the full questionnaire and back): per question id the newest submitted answer wins. Within one
    questionnaire the source is its last regular submission and what was submitted after it, so an answer the
    supplier cleared there does not come back from an older submission.
    """
    keys = set(keys)
    if not keys:
        return {}
    feeds: dict[str, set[str]] = defaultdict(set)  # source questionnaire -> questionnaires it pre-fills
    for _supplier_id, questionnaire_id in keys:
        feeds[questionnaire_id].add(questionnaire_id)
        for source in (prefill_from or {}).get(questionnaire_id, ()):
            feeds[source].add(questionnaire_id)
    u = Uitvraag.__table__.c
    found: dict[tuple[int, str], list[tuple[datetime, int, str]]] = defaultdict(list)
    suppliers = sorted({supplier_id for supplier_id, _ in keys})
    for part in chunks(suppliers):
        rows = session.execute(
            sa.select(u.id, u.supplier_id, u.questionnaire_id, u.kind, u.submitted_at).where(
                u.organisation_id == organisation_id, u.supplier_id.in_(part), u.status.in_(SUBMITTED)
            )
        )
        for row in rows:
            if row.questionnaire_id in feeds and row.submitted_at is not None:
                found[(row.supplier_id, row.questionnaire_id)].append((row.submitted_at, row.id, row.kind))
    # Per source questionnaire: its last regular submission and the follow-ups after it.
    sources: dict[Key, list[tuple[datetime, int]]] = defaultdict(list)
    for (supplier_id, source), submitted in found.items():
        submitted.sort()
        base = max((i for i, item in enumerate(submitted) if item[2] == UitvraagKind.REGULAR.value), default=0)
        for target in feeds[source]:
            if (supplier_id, target) in keys:
                sources[(supplier_id, target)].extend((at, uitvraag_id) for at, uitvraag_id, _kind in submitted[base:])
    if not sources:
        return {}
    ranked: dict[Key, list[int]] = {key: [i for _at, i in sorted(items)] for key, items in sources.items()}

    # One uitvraag may pre-fill several keys (the full questionnaire feeds itself and the update).
    order: dict[int, list[tuple[Key, int]]] = defaultdict(list)
    for key, ids in ranked.items():
        for rank, uitvraag_id in enumerate(ids):
            order[uitvraag_id].append((key, rank))
    answers: dict[Key, dict[str, tuple[int, Any]]] = defaultdict(dict)
    files: dict[Key, dict[str, tuple[int, list[dict[str, Any]]]]] = defaultdict(dict)
    a = Answer.__table__.c
    e = EvidenceFile.__table__.c
    for part in chunks(sorted(order)):
        for row in session.execute(sa.select(a.uitvraag_id, a.question_id, a.value).where(a.uitvraag_id.in_(part))):
            for key, rank in order[row.uitvraag_id]:
                if row.question_id not in answers[key] or answers[key][row.question_id][0] < rank:
                    answers[key][row.question_id] = (rank, row.value)
        # In upload order, so the carried-over copies get their ids (and the renewal its anchor) in that order.
        for row in session.execute(sa.select(e).where(e.uitvraag_id.in_(part)).order_by(e.uitvraag_id, e.id)):
            for key, rank in order[row.uitvraag_id]:
                held = files[key].get(row.question_id)
                if held is None or held[0] < rank:
                    files[key][row.question_id] = held = (rank, [])
                if held[0] == rank:
                    held[1].append(dict(row._mapping))

    result: dict[Key, Carried] = {}
    for key in sources:
        carried = Carried(answers={qid: value for qid, (_rank, value) in answers[key].items()})
        for _rank, rows in files[key].values():
            # An expired certificate is no evidence: the supplier must upload the renewed one.
            carried.files.extend(row for row in rows if row["expires_on"] is None or row["expires_on"] > today)
        result[key] = carried
    return result


def answer_rows(uitvraag_id: int, carried: Carried, question_ids: set[str], now: datetime) -> list[dict[str, Any]]:
    """Draft Answer rows for the questions that still exist in the questionnaire sent now."""
    return [
        {"uitvraag_id": uitvraag_id, "question_id": qid, "value": value, "carried_over": True, "updated_at": now}
        for qid, value in sorted(carried.answers.items())
        if qid in question_ids
    ]


def evidence_rows(
    uitvraag_id: int, carried: Carried, question_ids: set[str], *, upload_dir: str | None, now: datetime
) -> list[dict[str, Any]]:
    """EvidenceFile rows for the carried files, each with its own stored file (a hard link where possible).

    A source file that is missing on disk is not carried: the supplier is then asked for it like any other.
    """
    if not carried.files or not upload_dir:
        return []
    rows = []
    directory = Path(upload_dir)
    for source in carried.files:
        if source["question_id"] not in question_ids:
            continue
        stored_name = secrets.token_hex(16)
        try:
            link_file(directory / source["stored_name"], directory / stored_name)
        except OSError as error:
            log.warning("evidence file of uitvraag %s not carried over: %s", source["uitvraag_id"], error)
            continue
        row = {name: source[name] for name in ("question_id", "original_name", "content_type", "size", "sha256")}
        row.update(
            uitvraag_id=uitvraag_id,
            stored_name=stored_name,
            expires_on=source["expires_on"],
            uploaded_at=source["uploaded_at"] or now,
            carried_over=True,
        )
        rows.append(row)
    return rows


def link_file(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        if not source.exists():
            raise
        shutil.copyfile(source, target)  # another file system, or no hard links there
        os.chmod(target, 0o600)
