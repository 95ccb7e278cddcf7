"""Parse questionnaire text (TOML) into a `Questionnaire`, validating everything a file can get wrong.

Every problem is collected and reported at once; each message names the file, the question (or section) and the
field. The file format is documented in the README (section "Vragenlijsten (questionnaires)").
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from bot.questionnaires.examples import best_answer
from bot.questionnaires.measures import measure_problem
from bot.questionnaires.model import (
    EVIDENCE_MODES,
    QUESTION_TYPES,
    SEVERITIES,
    Condition,
    Option,
    Question,
    Questionnaire,
    Rule,
    Section,
    Text,
)

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FACT_VALUES: dict[str, tuple[Any, ...]] = {
    "personal_data": (True, False),
    "cloud_hosted": (True, False),
    "risk_tier": ("low", "medium", "high"),
}
CHOICE_TYPES = ("choice", "multi-choice", "yes-no")
MATCHERS = ("options", "missing_options", "above", "below", "within_days", "older_than_days")

TOP_FIELDS = {"id", "version", "title_nl", "title_en", "description_nl", "description_en", "prefill_from", "sections"}
SECTION_FIELDS = {"id", "title_nl", "title_en", "intro_nl", "intro_en", "questions"}
QUESTION_FIELDS = {
    "id",
    "type",
    "text_nl",
    "text_en",
    "help_nl",
    "help_en",
    "measures",
    "required",
    "weight",
    "options",
    "allow_na",
    "rules",
    "evidence",
    "expiry",
    "unit_nl",
    "unit_en",
    "show_if",
    "not_future",
    "min",
    "max",
    "positive",
    "same_facts_as",
}
OPTION_FIELDS = {"value", "nl", "en"}
RULE_FIELDS = {"id", "severity", "reason_nl", "reason_en", *MATCHERS}
CONDITION_FIELDS = {"question", "fact", "in"}


class QuestionnaireError(Exception):
    """A questionnaire file that cannot be used; `errors` lists every problem found, one line each."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class _Collector:
    """Collects error messages for one file, each prefixed with the file and where in it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[str] = []

    def add(self, where: str, field: str, message: str) -> None:
        location = f"{self.name}: {where}" if where else self.name
        self.errors.append(f'{location}, field "{field}": {message}')


def content_hash(text: str) -> str:
    """SHA-256 (hex) of a questionnaire file's text, as stored in its snapshot."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_questionnaire(text: str, *, name: str = "<questionnaire>", check_measures: bool = True) -> Questionnaire:
    """Parse and validate a questionnaire's TOML text; `name` is used in error messages.

    `check_measures=False` skips the BIO2 measure list, for stored snapshots answered under an older list.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError([f"{name}: not valid TOML: {error}"]) from None
    errors = _Collector(name)
    questionnaire = _build(data, errors, text=text, check_measures=check_measures)
    if errors.errors or questionnaire is None:
        raise QuestionnaireError(errors.errors)
    return questionnaire


# --- building -----------------------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], stem: str, errors: _Collector, where: str, *, required: bool) -> Text:
    nl = data.get(f"{stem}_nl", "")
    en = data.get(f"{stem}_en", "")
    for field, value in ((f"{stem}_nl", nl), (f"{stem}_en", en)):
        if not isinstance(value, str):
            errors.add(where, field, f"must be text, got {value!r}")
    nl = nl if isinstance(nl, str) else ""
    en = en if isinstance(en, str) else ""
    if required and not nl.strip():
        errors.add(where, f"{stem}_nl", "Dutch text is missing")
    return Text(nl.strip(), en.strip())


def _unknown_fields(data: Mapping[str, Any], allowed: set[str], errors: _Collector, where: str) -> None:
    for key in data:
        if key not in allowed:
            errors.add(where, key, f"unknown field; known fields are {', '.join(sorted(allowed))}")


def _identifier(value: Any, errors: _Collector, where: str, field: str = "id") -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        errors.add(where, field, f"must be lower-case letters, digits and dashes, got {value!r}")
        return str(value) if value is not None else ""
    return value


def _table_list(value: Any, errors: _Collector, where: str, field: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        errors.add(where, field, "must be a list of tables")
        return []
    return value


def _build(data: Mapping[str, Any], errors: _Collector, *, text: str, check_measures: bool) -> Questionnaire | None:
    _unknown_fields(data, TOP_FIELDS, errors, "")
    questionnaire_id = _identifier(data.get("id"), errors, "questionnaire")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 40:
        errors.add("questionnaire", "version", f"must be a non-empty text of at most 40 characters, got {version!r}")
        version = str(version or "")
    title = _text(data, "title", errors, "questionnaire", required=True)
    description = _text(data, "description", errors, "questionnaire", required=False)
    prefill_from = data.get("prefill_from", [])
    if not isinstance(prefill_from, list) or not all(isinstance(i, str) and i.strip() for i in prefill_from):
        errors.add("questionnaire", "prefill_from", f"must be a list of questionnaire ids, got {prefill_from!r}")
        prefill_from = []
    elif questionnaire_id in prefill_from:
        errors.add("questionnaire", "prefill_from", "names the questionnaire itself, which pre-fills it anyway")

    raw_sections = _table_list(data.get("sections"), errors, "questionnaire", "sections")
    if not raw_sections:
        errors.add("questionnaire", "sections", "a questionnaire needs at least one section")
    sections: list[Section] = []
    seen_sections: set[str] = set()
    earlier: dict[str, Question] = {}  # questions so far, in order: conditions may only refer to these
    all_question_ids = {q.get("id") for s in raw_sections for q in s.get("questions", []) if isinstance(q, Mapping)}
    for index, raw_section in enumerate(raw_sections, start=1):
        where = f"section {raw_section.get('id', f'#{index}')!r}".replace("'", '"')
        _unknown_fields(raw_section, SECTION_FIELDS, errors, where)
        section_id = _identifier(raw_section.get("id"), errors, where)
        if section_id in seen_sections:
            errors.add(where, "id", f'duplicate section id "{section_id}"')
        seen_sections.add(section_id)
        section_title = _text(raw_section, "title", errors, where, required=True)
        intro = _text(raw_section, "intro", errors, where, required=False)
        raw_questions = _table_list(raw_section.get("questions"), errors, where, "questions")
        if not raw_questions:
            errors.add(where, "questions", "a section needs at least one question")
        questions: list[Question] = []
        for q_index, raw_question in enumerate(raw_questions, start=1):
            question = _build_question(
                raw_question,
                errors,
                section_id=section_id,
                fallback=f"{section_id}#{q_index}",
                earlier=earlier,
                all_ids=all_question_ids,
                check_measures=check_measures,
            )
            if question is None:
                continue
            if question.id in earlier:
                errors.add(f'question "{question.id}"', "id", f'duplicate question id "{question.id}"')
                continue
            earlier[question.id] = question
            questions.append(question)
        sections.append(Section(id=section_id, title=section_title, questions=tuple(questions), intro=intro))
    if errors.errors:
        return None
    return Questionnaire(
        id=questionnaire_id,
        version=version.strip(),
        title=title,
        sections=tuple(sections),
        content_hash=content_hash(text),
        source=text,
        description=description,
        prefill_from=tuple(prefill_from),
    )


def _build_question(
    raw: Mapping[str, Any],
    errors: _Collector,
    *,
    section_id: str,
    fallback: str,
    earlier: Mapping[str, Question],
    all_ids: set[Any],
    check_measures: bool,
) -> Question | None:
    raw_id = raw.get("id")
    where = f'question "{raw_id if isinstance(raw_id, str) else fallback}"'
    before = len(errors.errors)
    _unknown_fields(raw, QUESTION_FIELDS, errors, where)
    question_id = _identifier(raw_id, errors, where)

    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        errors.add(where, "type", f"unknown type {qtype!r}; choose one of {', '.join(QUESTION_TYPES)}")
        qtype = "text"
    text = _text(raw, "text", errors, where, required=True)
    help_text = _text(raw, "help", errors, where, required=False)

    measures = raw.get("measures")
    if not isinstance(measures, list) or not measures:
        errors.add(where, "measures", 'cite at least one BIO2 measure id, e.g. measures = ["5.17.01"]')
        measures = []
    elif check_measures:
        for measure in measures:
            problem = measure_problem(measure)
            if problem:
                errors.add(where, "measures", problem)

    required = raw.get("required", True)
    if not isinstance(required, bool):
        errors.add(where, "required", f"must be true or false, got {required!r}")
        required = True
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
        errors.add(where, "weight", f"must be a number of at least 0, got {weight!r}")
        weight = 1.0

    options = _build_options(raw.get("options"), qtype, errors, where)
    allow_na = raw.get("allow_na", False)
    if not isinstance(allow_na, bool):
        errors.add(where, "allow_na", f"must be true or false, got {allow_na!r}")
        allow_na = False
    elif allow_na and qtype != "yes-no":
        errors.add(where, "allow_na", 'only yes-no questions offer "not applicable"')

    evidence = raw.get("evidence", "always" if qtype == "evidence" else "never")
    if evidence not in EVIDENCE_MODES:
        errors.add(where, "evidence", f"unknown evidence mode {evidence!r}; choose one of {', '.join(EVIDENCE_MODES)}")
        evidence = "never"
    elif qtype == "evidence" and evidence != "always":
        errors.add(where, "evidence", 'an evidence question always asks for a document; leave "evidence" out')
    expiry = raw.get("expiry", False)
    if not isinstance(expiry, bool):
        errors.add(where, "expiry", f"must be true or false, got {expiry!r}")
        expiry = False
    elif expiry and qtype != "evidence" and evidence == "never":
        errors.add(where, "expiry", 'only questions that take evidence have an expiry date; set "evidence"')

    unit = _text(raw, "unit", errors, where, required=False)
    if (unit.nl or unit.en) and qtype != "number":
        errors.add(where, "unit_nl", "only number questions have a unit")
    not_future, positive = (_flag(raw, name, errors, where) for name in ("not_future", "positive"))
    if not_future and qtype != "date":
        errors.add(where, "not_future", "only date questions can refuse a date in the future")
    if positive and qtype != "number":
        errors.add(where, "positive", "only number questions can refuse 0 and below")
    bounds: dict[str, float | None] = {}
    for name in ("min", "max"):
        bound = raw.get(name)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
            errors.add(where, name, f"must be a number, got {bound!r}")
            bound = None
        elif bound is not None and qtype != "number":
            errors.add(where, name, f"only number questions have a {name}imum")
        bounds[name] = float(bound) if bound is not None else None
    same_facts_as = raw.get("same_facts_as", [])
    if not isinstance(same_facts_as, list) or not all(
        isinstance(i, str) and IDENTIFIER.match(i) for i in same_facts_as
    ):
        errors.add(where, "same_facts_as", f"must be a list of question ids, got {same_facts_as!r}")
        same_facts_as = []
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        errors.add(where, "min", f"min {bounds['min']:g} is above max {bounds['max']:g}")

    draft = Question(
        id=question_id,
        section=section_id,
        type=qtype,
        text=text,
        measures=tuple(m for m in measures if isinstance(m, str)),
        help=help_text,
        required=required,
        weight=float(weight),
        options=options,
        allow_na=allow_na,
        evidence=evidence,
        expiry=expiry,
        unit=unit if unit.nl else None,
        not_future=not_future,
        min=bounds["min"],
        max=bounds["max"],
        positive=positive,
        same_facts_as=tuple(same_facts_as),
    )
    rules = _build_rules(raw.get("rules"), draft, errors, where)
    if evidence == "when-weak" and not rules:
        errors.add(where, "evidence", '"when-weak" needs at least one rule that marks an answer weak')
    conditions = _build_conditions(raw.get("show_if"), errors, where, earlier=earlier, all_ids=all_ids)
    if len(errors.errors) > before:
        return None
    question = replace(draft, rules=rules, show_if=conditions)
    _check_best_exists(question, errors, where)
    return question


def _flag(raw: dict[str, Any], name: str, errors: _Collector, where: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        errors.add(where, name, f"must be true or false, got {value!r}")
        return False
    return value


def _build_options(value: Any, qtype: str, errors: _Collector, where: str) -> tuple[Option, ...]:
    if qtype not in ("choice", "multi-choice"):
        if value is not None:
            errors.add(where, "options", f"a {qtype} question has no options")
        return ()
    raw_options = _table_list(value, errors, where, "options")
    if len(raw_options) < 2:
        errors.add(where, "options", f"a {qtype} question needs at least two options")
    options: list[Option] = []
    seen: set[str] = set()
    for raw in raw_options:
        _unknown_fields(raw, OPTION_FIELDS, errors, where + " option")
        option_value = _identifier(raw.get("value"), errors, where, "options.value")
        if option_value in seen:
            errors.add(where, "options", f'duplicate option value "{option_value}"')
        seen.add(option_value)
        nl, en = raw.get("nl", ""), raw.get("en", "")
        if not isinstance(nl, str) or not nl.strip():
            errors.add(where, "options.nl", f'option "{option_value}" has no Dutch label')
            nl = ""
        options.append(Option(option_value, Text(nl.strip(), en.strip() if isinstance(en, str) else "")))
    return tuple(options)


def _build_rules(value: Any, question: Question, errors: _Collector, where: str) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(_table_list(value, errors, where, "rules"), start=1):
        rule_where = f"{where}, rule {index}"
        _unknown_fields(raw, RULE_FIELDS, errors, rule_where)
        severity = raw.get("severity")
        if severity not in SEVERITIES:
            errors.add(rule_where, "severity", f"unknown severity {severity!r}; choose one of {', '.join(SEVERITIES)}")
        reason = _text(raw, "reason", errors, rule_where, required=True)
        matchers = [name for name in MATCHERS if name in raw]
        if len(matchers) != 1:
            errors.add(rule_where, "rules", f"a rule needs exactly one of {', '.join(MATCHERS)}; found {matchers}")
            continue
        matcher = matchers[0]
        rule_id = _check_matcher(matcher, raw[matcher], question, errors, rule_where)
        if rule_id is None:
            continue
        if "id" in raw:
            rule_id = _identifier(raw["id"], errors, rule_where)
        if rule_id in seen:
            errors.add(rule_where, "id", f'two rules of this question have the id "{rule_id}"; give one an "id"')
        seen.add(rule_id)
        kwargs: dict[str, Any] = {matcher: raw[matcher]}
        if matcher in ("options", "missing_options"):
            kwargs[matcher] = tuple(raw[matcher])
        elif matcher in ("above", "below"):
            kwargs[matcher] = float(raw[matcher])
        rules.append(Rule(severity=str(severity), reason=reason, id=rule_id, **kwargs))
    return tuple(rules)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_matcher(matcher: str, value: Any, question: Question, errors: _Collector, where: str) -> str | None:
    """Check that the matcher fits the question; return the rule's default id, or None if it does not fit."""
    qtype = question.type
    if matcher in ("options", "missing_options"):
        allowed_types = CHOICE_TYPES if matcher == "options" else ("multi-choice",)
        if qtype not in allowed_types:
            errors.add(where, matcher, f"does not apply to a {qtype} question")
            return None
        if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
            errors.add(where, matcher, "must be a non-empty list of option values")
            return None
        known = question.option_values()
        unknown = [item for item in value if item not in known]
        if unknown:
            errors.add(
                where, matcher, f"unknown option {', '.join(map(repr, unknown))}; options are {', '.join(known)}"
            )
            return None
        return ("option:" if matcher == "options" else "lacks:") + ",".join(value)
    if matcher in ("above", "below"):
        if qtype != "number":
            errors.add(where, matcher, f"does not apply to a {qtype} question")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.add(where, matcher, f"must be a number, got {value!r}")
            return None
        return f"{matcher}:{_number_text(value)}"
    # within_days / older_than_days
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.add(where, matcher, f"must be a whole number of days of at least 0, got {value!r}")
        return None
    if matcher == "within_days":
        if qtype != "date" and not question.expiry:
            errors.add(where, matcher, "applies to date questions and to evidence with expiry = true")
            return None
        return f"expires-within:{value}"
    if qtype != "date":
        errors.add(where, matcher, f"does not apply to a {qtype} question")
        return None
    return f"older-than:{value}"


def _build_conditions(
    value: Any, errors: _Collector, where: str, *, earlier: Mapping[str, Question], all_ids: set[Any]
) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    for raw in _table_list(value, errors, where, "show_if"):
        _unknown_fields(raw, CONDITION_FIELDS, errors, where + " show_if")
        values = raw.get("in")
        if not isinstance(values, list) or not values:
            errors.add(where, "show_if", 'needs "in", a non-empty list of values')
            continue
        if ("question" in raw) == ("fact" in raw):
            errors.add(where, "show_if", 'a condition names exactly one of "question" or "fact"')
            continue
        if "fact" in raw:
            fact = raw["fact"]
            if fact not in FACT_VALUES:
                errors.add(where, "show_if", f"unknown contract fact {fact!r}; facts are {', '.join(FACT_VALUES)}")
                continue
            boolean = fact != "risk_tier"
            bad = [item for item in values if isinstance(item, bool) is not boolean or item not in FACT_VALUES[fact]]
            if bad:
                allowed = ", ".join(repr(v).lower() if isinstance(v, bool) else repr(v) for v in FACT_VALUES[fact])
                errors.add(where, "show_if", f"fact {fact} cannot be {bad[0]!r}; it is one of {allowed}")
                continue
            conditions.append(Condition(in_=tuple(values), fact=fact))
            continue
        target = raw["question"]
        if target not in earlier:
            if target in all_ids:
                errors.add(where, "show_if", f'depends on question "{target}", which comes later; move it before')
            else:
                errors.add(where, "show_if", f'depends on unknown question "{target}"')
            continue
        depends_on = earlier[target]
        if depends_on.type not in CHOICE_TYPES:
            errors.add(
                where, "show_if", f'can only depend on a choice or yes-no question; "{target}" is {depends_on.type}'
            )
            continue
        known = depends_on.option_values()
        unknown = [item for item in values if item not in known]
        if unknown:
            errors.add(where, "show_if", f'"{target}" has no option {unknown[0]!r}; options are {", ".join(known)}')
            continue
        conditions.append(Condition(in_=tuple(values), question=target))
    return tuple(conditions)


def _check_best_exists(question: Question, errors: _Collector, where: str) -> None:
    """A question must have at least one answer that no rule marks weak, or it cannot be answered well."""
    if question.type not in ("choice", "yes-no", "multi-choice", "number"):
        return
    if best_answer(question, date.min) is None:
        errors.add(where, "rules", "every possible answer is marked weak; leave at least one good answer")
