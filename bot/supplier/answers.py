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

from bot.questionnaires.model import Question

MAX_TEXT = 10_000  # characters in one free-text answer (a long explanation fits; a pasted file does not)
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


def check_value(question: Question, value: Any) -> Any:
    """Return the value to store for `question`, or None for "no answer"; raise InvalidAnswer if it is not valid."""
    if value is None or value == "" or value == []:
        return None
    kind = question.type
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
                if len(value.strip()) == 10 and 1900 <= parsed.year <= 2200:
                    return parsed.isoformat()
            except ValueError:
                pass
        raise InvalidAnswer(lazy_gettext("Enter a date, for example 2026-12-31."))
    if kind == "number":
        number = _number(value)
        if number is None:
            raise InvalidAnswer(lazy_gettext("Enter a number, for example 24 or 4.5."))
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


def form_value(question: Question, form: MultiDict[str, str]) -> Any:
    """The raw value a posted form gives for `question` (a list for multi-choice)."""
    name = field_id(question.id)
    if question.type == "multi-choice":
        return [v for v in form.getlist(name) if v != ""]
    return form.get(name, "")


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
