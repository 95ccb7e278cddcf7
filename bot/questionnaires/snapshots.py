"""Snapshots: the exact text of each questionnaire version that was sent out, so history is never rewritten.

A (questionnaire id, version) pair is stored once with its content hash. A file whose content differs from the
stored snapshot of the same version is refused: whoever edits a questionnaire must raise its version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.models import QuestionnaireSnapshot
from bot.questionnaires.loader import QuestionnaireError, parse_questionnaire
from bot.questionnaires.model import Questionnaire


class QuestionnaireChangedError(QuestionnaireError):
    """A questionnaire file changed while its version stayed the same."""


def changed_message(questionnaire: Questionnaire, stored: QuestionnaireSnapshot) -> str:
    return (
        f'questionnaire "{questionnaire.id}", field "version": version "{questionnaire.version}" was already sent '
        f"out with other content (stored hash {stored.content_hash[:12]}, file hash "
        f"{questionnaire.content_hash[:12]}); give the changed file a new version"
    )


def find_snapshot(session: Session, questionnaire_id: str, version: str) -> QuestionnaireSnapshot | None:
    statement = select(QuestionnaireSnapshot).where(
        QuestionnaireSnapshot.questionnaire_id == questionnaire_id, QuestionnaireSnapshot.version == version
    )
    return session.exec(statement).first()


def ensure_snapshot(session: Session, *, questionnaire: Questionnaire, now: datetime) -> QuestionnaireSnapshot:
    """The stored snapshot of this questionnaire version, created (and flushed) if it is new.

    Raises `QuestionnaireChangedError` when this version was stored before with different content.
    Safe against a concurrent insert of the same version (the unique constraint decides; we re-read).
    """
    stored = find_snapshot(session, questionnaire.id, questionnaire.version)
    if stored is None:
        snapshot = QuestionnaireSnapshot(
            questionnaire_id=questionnaire.id,
            version=questionnaire.version,
            content_hash=questionnaire.content_hash,
            content=questionnaire.source,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(snapshot)
        except IntegrityError:
            stored = find_snapshot(session, questionnaire.id, questionnaire.version)
            if stored is None:
                raise
        else:
            return snapshot
    if stored.content_hash != questionnaire.content_hash:
        raise QuestionnaireChangedError([changed_message(questionnaire, stored)])
    return stored


def changed_versions(session: Session, questionnaires: list[Questionnaire]) -> list[str]:
    """A message for each questionnaire whose stored snapshot of the same version has other content."""
    messages = []
    for questionnaire in questionnaires:
        stored = find_snapshot(session, questionnaire.id, questionnaire.version)
        if stored is not None and stored.content_hash != questionnaire.content_hash:
            messages.append(changed_message(questionnaire, stored))
    return messages


_parsed: dict[str, Questionnaire] = {}


def questionnaire_from_snapshot(snapshot: QuestionnaireSnapshot) -> Questionnaire:
    """The questionnaire exactly as it was answered, parsed from the stored text (cached by content hash).

    The measure list is not re-checked: a version answered under an older BIO2 list stays readable.
    """
    cached = _parsed.get(snapshot.content_hash)
    if cached is not None:
        return cached
    name = f"snapshot {snapshot.questionnaire_id} {snapshot.version}"
    questionnaire = parse_questionnaire(snapshot.content, name=name, check_measures=False)
    if questionnaire.content_hash != snapshot.content_hash:
        raise QuestionnaireError([f"{name}: stored content does not match its hash {snapshot.content_hash[:12]}"])
    _parsed[snapshot.content_hash] = questionnaire
    return questionnaire
