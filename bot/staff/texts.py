"""Questionnaire texts for staff pages and mails, read from the uitvraag's own snapshot (never the current file)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from bot.models import QuestionnaireSnapshot, Uitvraag
from bot.questionnaires.model import YES_NO_LABELS, Question, Questionnaire, chosen_value, na_reason

log = logging.getLogger(__name__)


def questionnaire_for(session: Session, uitvraag: Uitvraag) -> Questionnaire | None:
    """The questionnaire exactly as this uitvraag was asked, or None if its snapshot cannot be read.

    A snapshot that no longer parses must not take the staff pages down: they fall back to question ids.
    """
    snapshot = session.get(QuestionnaireSnapshot, uitvraag.snapshot_id)
    if snapshot is None:
        return None
    from bot.questionnaires.snapshots import questionnaire_from_snapshot

    try:
        return questionnaire_from_snapshot(snapshot)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("questionnaire snapshot %s cannot be read", snapshot.id)
        return None


def question_or_none(questionnaire: Questionnaire | None, question_id: str) -> Question | None:
    if questionnaire is None:
        return None
    try:
        return questionnaire.question(question_id)
    except KeyError:
        return None


def question_text(questionnaire: Questionnaire | None, question_id: str, lang: str) -> str:
    question = question_or_none(questionnaire, question_id)
    return question.text.get(lang) if question else question_id


def title(questionnaire: Questionnaire | None, uitvraag: Uitvraag, lang: str) -> str:
    return questionnaire.title.get(lang) if questionnaire else uitvraag.questionnaire_id


def questionnaire_titles(session: Session, questionnaire_ids: Iterable[str], lang: str) -> dict[str, str]:
    """Display titles for lists (overview, report): from the shipped file, else the newest snapshot, else the id.

    Lists show many uitvragen at once, so they name each questionnaire once instead of parsing every uitvraag's
    snapshot; the uitvraag page itself reads its exact snapshot.
    """
    from bot.questionnaires.loader import QuestionnaireError, get_questionnaire
    from bot.questionnaires.snapshots import questionnaire_from_snapshot

    titles: dict[str, str] = {}
    for questionnaire_id in sorted(set(questionnaire_ids)):
        titles[questionnaire_id] = questionnaire_id
        with contextlib.suppress(KeyError, QuestionnaireError):  # no (valid) shipped file: try its snapshot
            titles[questionnaire_id] = get_questionnaire(questionnaire_id).title.get(lang)
            continue
        snapshot = session.exec(
            select(QuestionnaireSnapshot)
            .where(QuestionnaireSnapshot.questionnaire_id == questionnaire_id)
            .order_by(col(QuestionnaireSnapshot.id).desc())
        ).first()
        try:
            if snapshot is not None:
                titles[questionnaire_id] = questionnaire_from_snapshot(snapshot).title.get(lang)
        except Exception:  # noqa: BLE001 - as above
            log.exception("questionnaire snapshot %s cannot be read", snapshot.id if snapshot else None)
    return titles


def format_answer(question: Question | None, value: Any, lang: str) -> str:
    """An answer as a person reads it: option labels (in `lang`; yes/no in the page's language) instead of option
    values, lists joined."""
    if value is None or value == "" or value == []:
        return ""
    labels: dict[str, str] = {}
    if question is not None:
        labels = {o.value: o.label.get(lang) for o in question.options}
        if question.type == "yes-no":
            labels = {k: str(v) for k, v in YES_NO_LABELS.items()}
    if isinstance(value, list):
        return ", ".join(labels.get(str(item), str(item)) for item in value)
    reason = na_reason(value)
    value = chosen_value(value)
    text = labels.get(str(value), str(value))
    if reason:
        text = f"{text}: {reason}"
    if question is not None and question.unit is not None and question.type == "number":
        text = f"{text} {question.unit.get(lang)}"
    return text
