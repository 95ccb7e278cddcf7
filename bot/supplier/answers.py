"""Answer values: read from a posted form or a JSON body, checked against the question, with errors as gettext texts.

The stored form of each type is described in `bot/questionnaires/model.py`. `None` means "no answer".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import MultiDict

from bot.i18n import page_locale
from bot.questionnaires.model import NOT_APPLICABLE, Question, chosen_value, na_reason

MAX_TEXT = 10_000  # characters in one free-text answer (a long explanation fits; a pasted file does not)
MAX_NA_REASON = 2_000  # characters in the reason given with "not applicable"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: `field` is the HTML id of the input to link to from the error summary; `message`
    says what is wrong (a gettext text, read in the page's language when shown)."""

    field: str
    message: LazyString
    question_id: str | None = None
    section_id: str | None = None


class InvalidAnswer(ValueError):
    """A value the question cannot take; `message` says why (a gettext text)."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def field_id(question_id: str) -> str:
    """The HTML id of a question's first input (the error summary links to it)."""
    return f"q-{question_id}"


def clean_text(value: str, *, limit: int) -> str:
    """Trim; refuse control characters (NUL and the like) and overlong text, with a message saying which."""
    if "\ufffd" in value:
        raise InvalidAnswer(
            lazy_gettext(
                "The text contains characters that could not be read (not valid UTF-8). Please type it again."
            ),
        )
    if CONTROL_CHARACTERS.search(value):
        raise InvalidAnswer(
            lazy_gettext(
                "The text contains invisible control characters (such as a NUL character). Remove them and try again."
            ),
        )
    value = value.strip()
    if len(value) > limit:
        raise InvalidAnswer(
            lazy_gettext(
                "The text is %(length)s characters long; the maximum is %(limit)s. Summarise, or upload a document.",
                length=len(value),
                limit=limit,
            ),
        )
    return value


def question_text(question: Question) -> LazyString:
    """The question's text in the language the page (or message) is read in."""
    return LazyString(lambda: question.text.get(page_locale()) or question.text.nl)


def answer_error(question: Question, error: InvalidAnswer) -> FieldError:
    """The error on `question`'s input, naming the question, so that it reads well in a list of errors and in the
    JSON API as well as next to the question."""
    message = lazy_gettext("‘%(question)s’: %(problem)s", question=question_text(question), problem=error.message)
    return FieldError(field_id(question.id), message, question.id, question.section)


def check_value(question: Question, value: Any, *, today: date) -> Any:
    """Return the value to store for `question`, or None for "no answer"; raise InvalidAnswer if it is not valid.

    This is the one check of an answer, for the form, the JSON API and submission alike: the type, the offered
    options ("not applicable" only where offered, and with a reason), and what cannot be true (a date after
    `today` where something has happened, a number outside `min`/`max`, a duration that is not above 0)."""
    if value is None or value == "" or value == []:
        return None
    kind = question.type
    if kind == "yes-no" and chosen_value(value) == NOT_APPLICABLE:
        return _not_applicable(question, value)
    if kind in ("choice", "yes-no"):
        allowed = question.option_values()
        if not isinstance(value, str) or value not in allowed:
            raise InvalidAnswer(
                lazy_gettext("Choose one of the possible answers (%(allowed)s).", allowed=", ".join(allowed)),
            )
        return value
    if kind == "multi-choice":
        allowed = question.option_values()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
            raise InvalidAnswer(
                lazy_gettext("Choose only from the possible answers (%(allowed)s).", allowed=", ".join(allowed)),
            )
        chosen = set(value)
        return [v for v in allowed if v in chosen]  # questionnaire order, no duplicates
    if kind == "date":
        if isinstance(value, str):
            try:
                parsed = date.fromisoformat(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and len(value.strip()) == 10 and 1900 <= parsed.year <= 2200:
                if question.not_future and parsed > today:
                    raise InvalidAnswer(
                        lazy_gettext(
                            "The date %(date)s is in the future; enter the date it happened (or choose that it never"
                            " happened, where the questionnaire offers that).",
                            date=parsed.isoformat(),
                        )
                    )
                return parsed.isoformat()
        raise InvalidAnswer(lazy_gettext("Enter a date, for example 2026-12-31."))
    if kind == "number":
        number = _number(value)
        if number is None:
            raise InvalidAnswer(lazy_gettext("Enter a number, for example 24 or 4.5."))
        _check_range(question, number)
        return number
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidAnswer(lazy_gettext("Enter text."))
        return clean_text(value, limit=MAX_TEXT) or None
    if kind == "evidence":
        raise InvalidAnswer(
            lazy_gettext("This question takes a document; upload it as a file."),
        )
    raise InvalidAnswer(lazy_gettext("Unknown question type %(kind)s.", kind=kind))


def _not_applicable(question: Question, value: Any) -> dict[str, str]:
    if not question.allow_na:
        raise InvalidAnswer(lazy_gettext("‘Not applicable’ cannot be chosen for this question: choose yes or no."))
    reason = na_reason(value)
    reason = clean_text(reason, limit=MAX_NA_REASON) if reason else ""
    if not reason:
        raise InvalidAnswer(lazy_gettext("You chose ‘not applicable’; explain why this question does not apply."))
    return {"value": NOT_APPLICABLE, "reason": reason}


def _check_range(question: Question, number: int | float) -> None:
    shown = f"{number:g}"
    if question.positive and number <= 0:
        raise InvalidAnswer(lazy_gettext("%(number)s is not possible: enter a number above 0.", number=shown))
    if question.min is not None and number < question.min:
        least = format(question.min, "g")
        raise InvalidAnswer(
            lazy_gettext("%(number)s is not possible: enter at least %(min)s.", number=shown, min=least)
        )
    if question.max is not None and number > question.max:
        most = format(question.max, "g")
        raise InvalidAnswer(lazy_gettext("%(number)s is not possible: enter at most %(max)s.", number=shown, max=most))


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) < 1e15 else None
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        # Dutch writes 4,5; a single comma with no dot is a decimal comma.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not re.fullmatch(r"[-+]?\d{1,15}(\.\d{1,6})?", text):
            return None
        return float(text) if "." in text else int(text)
    return None


def na_reason_field(question_id: str) -> str:
    """The name and id of the input for the reason of a "not applicable" answer."""
    return f"{field_id(question_id)}-na-reason"


def form_value(question: Question, form: MultiDict[str, str]) -> Any:
    """The raw value a posted form gives for `question` (a list for multi-choice; "not applicable" with its
    reason as {"value": "na", "reason": ...})."""
    name = field_id(question.id)
    if question.type == "multi-choice":
        return [v for v in form.getlist(name) if v != ""]
    value = form.get(name, "")
    if question.type == "yes-no" and value == NOT_APPLICABLE:
        return {"value": NOT_APPLICABLE, "reason": form.get(na_reason_field(question.id), "")}
    return value


def parse_expiry(raw: str | None) -> date | None:
    """An evidence expiry date from a form field or JSON (YYYY-MM-DD); None when empty; InvalidAnswer when wrong."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10 or not 1900 <= parsed.year <= 2200:
        raise InvalidAnswer(
            lazy_gettext("Enter the document's expiry date as a date, for example 2027-06-30."),
        )
    return parsed
