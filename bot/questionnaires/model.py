"""The in-memory form of a questionnaire, shared by the loader, the judge, the supplier form and the staff area.

Answer values, as stored in `Answer.value` (JSON) and passed to `judge`:
  choice -> option value (str); multi-choice -> list of option values; yes/no -> "yes" | "no", or
  {"value": "na", "reason": "..."} for "not applicable" (it needs a reason; a bare "na" is from before that rule);
  date -> "YYYY-MM-DD"; number -> int or float; text -> str; evidence -> no value: its files come separately
  as `EvidenceRef`s (name, sha256, expires_on) keyed by question id.
Contract facts (`facts`): {"personal_data": bool, "cloud_hosted": bool, "risk_tier": "low"|"medium"|"high"}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext

QUESTION_TYPES = ("choice", "multi-choice", "yes-no", "date", "number", "text", "evidence")
SEVERITIES = ("critical", "high", "medium", "low")
EVIDENCE_MODES = ("never", "always", "when-weak")
FACTS = ("personal_data", "cloud_hosted", "risk_tier")


# What a yes/no question's answers read as (a choice question's labels are in the questionnaire file), in the
# page's language.
YES_NO_LABELS = {"yes": lazy_gettext("Yes"), "no": lazy_gettext("No"), "na": lazy_gettext("Not applicable")}

NOT_APPLICABLE = "na"


def chosen_value(value: Any) -> Any:
    """The option an answer chose: "na" for a not-applicable answer with its reason, the value itself otherwise."""
    if isinstance(value, dict):
        return value.get("value")
    return value


def na_reason(value: Any) -> str:
    """The reason given with a not-applicable answer ("" for any other answer)."""
    if isinstance(value, dict) and value.get("value") == NOT_APPLICABLE and isinstance(value.get("reason"), str):
        return value["reason"]
    return ""


@dataclass(frozen=True)
class Text:
    """A text in both languages; Dutch is required, English falls back to Dutch."""

    nl: str
    en: str = ""

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.nl


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier answer or a contract fact matches.

    Exactly one of `question` / `fact` is set. The question is shown when the answer (or fact) is one of `in_`
    (for multi-choice answers: when any chosen option is one of `in_`).
    """

    in_: tuple[Any, ...]
    question: str | None = None
    fact: str | None = None

    def holds(self, answers: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
        if self.fact is not None:
            return facts.get(self.fact) in self.in_
        value = chosen_value(answers.get(self.question or ""))
        if isinstance(value, list):
            return any(item in self.in_ for item in value)
        return value in self.in_


@dataclass(frozen=True)
class Rule:
    """When an answer is weak, and how severe that is. One of the matchers is set.

    - `options`: the answer is (or, for multi-choice, includes) one of these option values / yes-no values;
    - `missing_options`: a multi-choice answer lacks one of these values;
    - `above` / `below`: a number greater than / less than the threshold;
    - `within_days`: a date (or an evidence file's expiry) in the past or fewer than N days after `now`;
    - `older_than_days`: a date more than N days before `now` (e.g. the last restore test).
    """

    severity: str
    reason: Text
    id: str = ""
    options: tuple[str, ...] = ()
    missing_options: tuple[str, ...] = ()
    above: float | None = None
    below: float | None = None
    within_days: int | None = None
    older_than_days: int | None = None


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    type: str
    text: Text
    measures: tuple[str, ...]
    help: Text = Text("")
    required: bool = True
    weight: float = 1.0
    options: tuple[Option, ...] = ()
    allow_na: bool = False  # yes-no: offer "not applicable" (the supplier must say why)
    rules: tuple[Rule, ...] = ()
    evidence: str = "never"  # one of EVIDENCE_MODES: whether a document must be uploaded with the answer
    expiry: bool = False  # evidence: the document has an expiry date the supplier must give
    unit: Text | None = None  # number: e.g. "uur" / "hours"
    show_if: tuple[Condition, ...] = ()  # all must hold
    # Answers that cannot be true, refused when saved: a date after today (something that has happened), a number
    # below `min` / above `max`, or not above 0 (`positive`: a duration or a count of hours).
    not_future: bool = False
    min: float | None = None
    max: float | None = None
    positive: bool = False
    # Questions of other files that ask the same fact (as well as those with the same id): `bot questionnaires
    # check` warns when their verdicts differ (bot/questionnaires/consistency.py).
    same_facts_as: tuple[str, ...] = ()

    def is_shown(self, answers: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
        return all(condition.holds(answers, facts) for condition in self.show_if)

    def option_values(self) -> tuple[str, ...]:
        if self.type == "yes-no":
            return ("yes", "no", "na") if self.allow_na else ("yes", "no")
        return tuple(option.value for option in self.options)

    def accepts_evidence(self) -> bool:
        return self.type == "evidence" or self.evidence != "never"


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text = Text("")


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: Text
    sections: tuple[Section, ...]
    content_hash: str
    source: str = field(default="", repr=False)  # the file's text, stored in the snapshot
    description: Text = Text("")
    # Questionnaires whose answers also pre-fill this one, per question id (the newest submitted answer wins).
    prefill_from: tuple[str, ...] = ()

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def visible_questions(self, answers: Mapping[str, Any], facts: Mapping[str, Any]) -> list[Question]:
        """The questions shown for these answers and facts, in order (conditions refer only to earlier ones)."""
        return [q for q in self.questions() if q.is_shown(answers, facts)]


@dataclass(frozen=True)
class EvidenceRef:
    """What the judge needs to know about an uploaded document."""

    name: str
    sha256: str
    expires_on: date | None = None
