"""The best possible answers to a questionnaire: what a supplier that meets every rule would answer.

Used by the loader (a question must have at least one good answer), by tests and by the demo.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from bot.questionnaires.model import EvidenceRef, Question, Questionnaire

BEST_TEXT = "Zie ons beveiligingsbeleid, hoofdstuk 3."


def best_answer(question: Question, today: date) -> Any:
    """An answer no rule of `question` marks weak, in the stored answer form; None if there is none.

    Evidence questions have no answer value (their documents come from `best_evidence`): also None.
    """
    weak = {value for rule in question.rules for value in rule.options}
    if question.type in ("choice", "yes-no"):
        good = [value for value in question.option_values() if value not in weak]
        return good[0] if good else None
    if question.type == "multi-choice":
        needed = {value for rule in question.rules for value in rule.missing_options}
        if needed & weak:
            return None
        chosen = [value for value in question.option_values() if value not in weak]
        return chosen or None
    if question.type == "number":
        highest = min((rule.above for rule in question.rules if rule.above is not None), default=None)
        lowest = max((rule.below for rule in question.rules if rule.below is not None), default=None)
        if highest is not None and lowest is not None:
            return _plain(lowest) if lowest <= highest else None
        if highest is not None:
            return _plain(highest)
        return _plain(lowest) if lowest is not None else 1
    if question.type == "date":
        ahead = max((rule.within_days for rule in question.rules if rule.within_days is not None), default=None)
        return (today + timedelta(days=ahead + 365) if ahead is not None else today).isoformat()
    if question.type == "text":
        return BEST_TEXT
    return None


def best_evidence(question: Question, today: date) -> tuple[EvidenceRef, ...]:
    """One document, valid for three more years, for every question that always asks for one."""
    if question.type != "evidence" and question.evidence != "always":
        return ()
    expires_on = today + timedelta(days=3 * 365) if question.expiry else None
    return (EvidenceRef(name=f"{question.id}.pdf", sha256="0" * 64, expires_on=expires_on),)


def best_answers(
    questionnaire: Questionnaire, today: date, facts: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, tuple[EvidenceRef, ...]]]:
    """(answers, evidence) that meet every rule of every question shown for these facts."""
    facts = facts or {}
    answers: dict[str, Any] = {}
    evidence: dict[str, tuple[EvidenceRef, ...]] = {}
    for question in questionnaire.questions():
        if not question.is_shown(answers, facts):
            continue
        value = best_answer(question, today)
        if value is not None:
            answers[question.id] = value
        documents = best_evidence(question, today)
        if documents:
            evidence[question.id] = documents
    return answers, evidence


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
