"""Working on an uitvraag before submission: saving answers (form and API alike) and managing evidence files.

Every change first locks the uitvraag row and refuses to touch a submitted one, so a save racing a submission can
never change what was frozen. The caller commits.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext
from sqlmodel import Session, select

from bot import audit
from bot.evidence import UploadError, store_upload, stored_path
from bot.models import Answer, EvidenceFile, Submission, Uitvraag, UitvraagStatus
from bot.supplier.answers import FieldError, InvalidAnswer, answer_error, check_value, field_id, parse_expiry
from bot.supplier.state import UitvraagState
from bot.timeutil import local_time


class Frozen(Exception):
    """The uitvraag was submitted (or withdrawn): its answers can no longer change."""


def lock_uitvraag(session: Session, uitvraag_id: int) -> Uitvraag:
    """Read the uitvraag with a row lock (PostgreSQL; SQLite serialises writers already) and refuse a frozen one."""
    uitvraag = session.exec(select(Uitvraag).where(Uitvraag.id == uitvraag_id).with_for_update()).one()
    if uitvraag.status in (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED, UitvraagStatus.CANCELLED):
        raise Frozen(uitvraag.status)
    if session.exec(select(Submission.id).where(Submission.uitvraag_id == uitvraag_id)).first() is not None:
        raise Frozen(UitvraagStatus.SUBMITTED)
    return uitvraag


def _mark_saved(session: Session, uitvraag: Uitvraag, *, now: datetime, actor: str) -> None:
    if uitvraag.first_saved_at is None:
        uitvraag.first_saved_at = now
        audit.record(
            session,
            now=now,
            actor=actor,
            action="uitvraag.draft-started",
            organisation_id=uitvraag.organisation_id,
            subject_type="uitvraag",
            subject_id=uitvraag.id,
        )
    if uitvraag.status in (UitvraagStatus.PENDING, UitvraagStatus.OPENED):
        uitvraag.status = UitvraagStatus.DRAFT
    session.add(uitvraag)


def save_answers(
    session: Session,
    *,
    state: UitvraagState,
    values: dict[str, Any],
    now: datetime,
    actor: str,
    atomic: bool = False,
    clear_others: bool = False,
) -> list[FieldError]:
    """Check and store answers for the questions in `values` (question id -> raw value; empty clears).

    Returns the errors; invalid values are not stored. With `atomic`, nothing is stored if anything is wrong (the
    API); without, the valid ones are (the form keeps the rest on screen). `clear_others` clears every asked
    question not in `values` (a PUT). Saving an answer confirms it: it is no longer marked as carried over.
    """
    uitvraag = lock_uitvraag(session, state.uitvraag.id)  # type: ignore[arg-type]
    questions = {q.id: q for q in state.questionnaire.questions() if state.in_scope(q)}
    errors: list[FieldError] = []
    checked: dict[str, Any] = {}
    for question_id, raw in values.items():
        question = questions.get(question_id)
        if question is None:
            errors.append(
                FieldError(
                    field_id(question_id),
                    lazy_gettext("Question %(question_id)s is not part of this request.", question_id=question_id),
                    question_id=question_id,
                )
            )
            continue
        if question.type == "evidence":
            continue  # documents come as uploads; the form posts nothing for them
        try:
            checked[question_id] = check_value(question, raw, today=local_time(now).date())
        except InvalidAnswer as error:
            errors.append(answer_error(question, error))
    if clear_others:
        for question_id, question in questions.items():
            if question_id not in values and question.type != "evidence":
                checked[question_id] = None
    if errors and atomic:
        return errors
    stored = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag.id))}
    for question_id, value in checked.items():
        row = stored.get(question_id)
        if row is None:
            row = Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, updated_at=now)
            state.own_ids.add(question_id)
        elif row.value != value or row.carried_over:
            row.value = value
            row.updated_at = now
        row.carried_over = False
        session.add(row)
        state.answers[question_id] = value
        state.carried.discard(question_id)
    _mark_saved(session, uitvraag, now=now, actor=actor)
    return errors


def add_evidence(
    session: Session,
    *,
    state: UitvraagState,
    question_id: str,
    stream: BinaryIO,
    filename: str,
    expires_on: date | None,
    upload_dir: str,
    max_bytes: int,
    now: datetime,
    actor: str,
) -> EvidenceFile:
    """Store an uploaded document for `question_id`; raises UploadError (or Frozen) with the reason."""
    uitvraag = lock_uitvraag(session, state.uitvraag.id)  # type: ignore[arg-type]
    question = next((q for q in state.questionnaire.questions() if q.id == question_id), None)
    if question is None or not state.in_scope(question) or not question.accepts_evidence():
        raise UploadError(lazy_gettext("Question %(question_id)s does not take a document.", question_id=question_id))
    row = store_upload(
        session,
        uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
        question_id=question_id,
        stream=stream,
        filename=filename,
        expires_on=expires_on,
        upload_dir=upload_dir,
        max_bytes=max_bytes,
        now=now,
    )
    # The first own document replaces the parent's (a follow-up) in what this uitvraag shows.
    files = [f for f in state.evidence.get(question_id, []) if f.uitvraag_id == uitvraag.id]
    state.evidence[question_id] = [*files, row]
    _mark_saved(session, uitvraag, now=now, actor=actor)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="evidence.uploaded",
        organisation_id=uitvraag.organisation_id,
        subject_type="uitvraag",
        subject_id=uitvraag.id,
        detail={"question_id": question_id, "name": row.original_name, "sha256": row.sha256, "size": row.size},
    )
    return row


def own_file(session: Session, *, uitvraag_id: int, file_id: int) -> EvidenceFile | None:
    """An evidence file of this uitvraag (never another's)."""
    row = session.get(EvidenceFile, file_id)
    return row if row is not None and row.uitvraag_id == uitvraag_id else None


def visible_file(state: UitvraagState, file_id: int) -> EvidenceFile | None:
    """A file this uitvraag shows: its own, or (a follow-up) its parent's."""
    for files in state.evidence.values():
        for row in files:
            if row.id == file_id:
                return row
    return None


def remove_evidence(
    session: Session, *, state: UitvraagState, file_id: int, upload_dir: str, now: datetime, actor: str
) -> Path | None:
    """Delete one of this uitvraag's own files; returns the stored path to unlink after commit (None if not ours)."""
    uitvraag = lock_uitvraag(session, state.uitvraag.id)  # type: ignore[arg-type]
    row = own_file(session, uitvraag_id=uitvraag.id, file_id=file_id)  # type: ignore[arg-type]
    if row is None:
        return None
    path = stored_path(upload_dir, row)
    session.delete(row)
    state.evidence[row.question_id] = [f for f in state.evidence.get(row.question_id, []) if f.id != file_id]
    audit.record(
        session,
        now=now,
        actor=actor,
        action="evidence.removed",
        organisation_id=uitvraag.organisation_id,
        subject_type="uitvraag",
        subject_id=uitvraag.id,
        detail={"question_id": row.question_id, "name": row.original_name, "sha256": row.sha256},
    )
    return path


def set_expiry(session: Session, *, state: UitvraagState, file_id: int, raw: str | None) -> FieldError | None:
    """Set the expiry date of one of this uitvraag's own files from a form or JSON value."""
    lock_uitvraag(session, state.uitvraag.id)  # type: ignore[arg-type]
    row = own_file(session, uitvraag_id=state.uitvraag.id, file_id=file_id)  # type: ignore[arg-type]
    if row is None:
        return None
    try:
        expires_on = parse_expiry(raw)
    except InvalidAnswer as error:
        return FieldError(f"expires-{file_id}", error.message, row.question_id)
    if row.expires_on != expires_on:
        row.expires_on = expires_on
        session.add(row)
    return None
