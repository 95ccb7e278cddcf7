"""What the templates need to draw one question: texts in the page's language, inputs, current values, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from bot.models import EvidenceFile
from bot.questionnaires.model import YES_NO_LABELS, Question, chosen_value, na_reason
from bot.supplier.answers import CONTROL_CHARACTERS, FieldError, field_id, na_reason_field
from bot.supplier.state import UitvraagState


@dataclass
class Choice:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class QuestionView:
    question: Question
    id: str  # the id of the first input: error summary links point here
    text: str
    help: str
    required: bool
    kind: str
    value: str = ""  # for text, number and date inputs
    choices: list[Choice] = field(default_factory=list)
    unit: str = ""
    carried: bool = False
    hidden: bool = False  # a condition on an answer on this page does not hold (JavaScript may reveal it)
    show_if: str = ""  # JSON for supplier.js: [{"question": id, "in": [...]}]
    errors: list[str] = field(default_factory=list)
    files: list[EvidenceFile] = field(default_factory=list)
    accepts_evidence: bool = False
    evidence_hint: str = ""
    expiry: bool = False
    display: str = ""  # read-only rendering of the answer
    na_reason: str = ""  # yes-no with "not applicable": why (required when it is chosen)
    na_reason_id: str = ""  # the reason input's id and name; empty when the question offers no "not applicable"

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"hint-{self.question.id}")
        if self.errors:
            ids.append(f"err-{self.question.id}")
        return " ".join(ids)


def question_view(
    state: UitvraagState,
    lang: str,
    question: Question,
    raw: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    page_ids: set[str] | None = None,
) -> QuestionView:
    """Describe `question` for the form (with `raw` values posted back after an error) or for read-only display."""
    raw = raw or {}
    value = raw[question.id] if question.id in raw else state.answers.get(question.id)
    own_errors = [
        str(e.message) for e in (errors or []) if e.question_id == question.id and e.field == field_id(question.id)
    ]
    view = QuestionView(
        question=question,
        id=field_id(question.id),
        text=question.text.get(lang),
        help=question.help.get(lang),
        required=question.required,
        kind=question.type,
        carried=question.id in state.carried and question.id not in raw,
        errors=own_errors,
        files=list(state.evidence.get(question.id, [])),
        accepts_evidence=question.accepts_evidence(),
        expiry=question.expiry,
        unit=question.unit.get(lang) if question.unit else "",
    )
    if question.evidence == "always" and question.type != "evidence":
        view.evidence_hint = _("Evidence requested.")
    elif question.evidence == "when-weak":
        view.evidence_hint = _("Upload evidence if your answer does not fully meet the requirement.")
    if question.type in ("choice", "yes-no", "multi-choice"):
        chosen = set(value) if isinstance(value, list) else {chosen_value(value)}
        labels = _labels(question, lang)
        view.choices = [
            Choice(v, labels[v], view.id if i == 0 else f"{view.id}-{i}", v in chosen)
            for i, v in enumerate(question.option_values())
        ]
        view.display = ", ".join(labels[v] for v in question.option_values() if v in chosen)
        if question.type == "yes-no" and question.allow_na:
            view.na_reason_id = na_reason_field(question.id)
            view.na_reason = CONTROL_CHARACTERS.sub("", na_reason(value))
            if view.na_reason:
                view.display = f"{view.display}: {view.na_reason}"
    elif value is not None:
        # Posted-back text keeps what was typed, minus invisible control characters (a NUL has no place on a page).
        view.value = CONTROL_CHARACTERS.sub("", _plain(value))
        view.display = f"{view.value} {view.unit}".strip()
    # Conditions on answers given on this same page are re-checked live by supplier.js; the server has already
    # decided the others (facts, answers on other pages, and, on a follow-up, answers to questions it does not ask,
    # taken from the uitvraag it follows up): the script would find no input for those and hide the question.
    local = [
        c
        for c in question.show_if
        if c.question is not None and page_ids and c.question in page_ids and state.asks(c.question)
    ]
    if local:
        view.show_if = json.dumps([{"question": c.question, "in": list(c.in_)} for c in local])
    view.hidden = not question.is_shown({**state.answers, **_posted(raw)}, state.facts)
    return view


def _posted(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if v not in ("", [])}


def _labels(question: Question, lang: str) -> dict[str, str]:
    if question.type == "yes-no":
        return {v: str(YES_NO_LABELS[v]) for v in question.option_values()}
    return {option.value: option.label.get(lang) for option in question.options}


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def error_for(errors: list[FieldError], field_name: str) -> str:
    """The message of the error on `field_name`, if any (expiry fields of documents, attestation fields)."""
    return next((str(e.message) for e in errors if e.field == field_name), "")


def strings_for_js() -> dict[str, str]:
    """The few texts supplier.js shows, in the page's language, so the script itself carries no language; the
    script fills in the `{name}` placeholders."""
    return {
        "autosaved": _("Draft saved automatically at %(time)s.", time="{time}"),
        "autosave_failed": _("Saving automatically failed; use the Save draft button."),
        "answered_of": _("%(answered)s of %(total)s answered", answered="{answered}", total="{total}"),
    }
