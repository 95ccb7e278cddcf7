"""Judging answers: a pure function from (questionnaire, answers, contract facts, now) to findings and scores.

Only questions shown for these answers and facts are judged. Per question:
- a required question without a (valid) answer gives one finding, `missing` (or `invalid` for an answer that is
  not a possible value), with the severity of its most severe rule, or medium when it has no rules;
- an answered question gives at most one finding for its answer: the most severe rule that matches;
- a question that needs evidence (always, or when-weak and the answer is weak, or unanswered and required) and has
  no document gives `evidence-missing`; documents with an expiry must say when they expire (`expiry-missing`).
Scores: each counted question (shown, and required or answered) earns its weight times a credit: 1 without
findings, else critical 0, high 0.25, medium 0.5, low 0.75 for its worst finding. A section's score, and the overall
score, is 100 x earned / possible, rounded; 100 when nothing counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.questionnaires.model import SEVERITIES, EvidenceRef, Question, Questionnaire, Rule, Text, chosen_value
from bot.timeutil import as_utc

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}  # critical first
SEVERITY_CREDIT = {"critical": 0.0, "high": 0.25, "medium": 0.5, "low": 0.75}

MISSING = Text("Deze verplichte vraag is niet beantwoord.", "This required question has not been answered.")
INVALID = Text(
    "Het antwoord is geen geldig antwoord op deze vraag.", "The answer is not a valid answer to this question."
)
EVIDENCE_MISSING = Text("Het gevraagde bewijsstuk ontbreekt.", "The requested evidence is missing.")
EXPIRY_MISSING = Text("Bij het bewijsstuk ontbreekt de vervaldatum.", "The expiry date of the evidence is missing.")


@dataclass(frozen=True)
class JudgedFinding:
    """One weak or missing answer: which question, which rule, how severe and why (nl + en)."""

    question_id: str
    rule: str
    severity: str
    reason: Text
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Judgement:
    findings: list[JudgedFinding]
    section_scores: dict[str, int]
    score: int
    counts: dict[str, int] = field(default_factory=dict)  # severity -> number of findings

    @property
    def worst_severity(self) -> str | None:
        """The most severe severity among the findings, or None without findings."""
        if not self.findings:
            return None
        return min((finding.severity for finding in self.findings), key=SEVERITY_RANK.__getitem__)

    def findings_for(self, question_id: str) -> list[JudgedFinding]:
        return [finding for finding in self.findings if finding.question_id == question_id]


def judge(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    facts: Mapping[str, Any],
    now: datetime | date,
    evidence: Mapping[str, Sequence[EvidenceRef]] | None = None,
) -> Judgement:
    """Findings and scores (0-100) for these answers; see the module docstring for how. Pure: no I/O."""
    today = as_utc(now).date() if isinstance(now, datetime) else now
    evidence = evidence or {}
    findings: list[JudgedFinding] = []
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    for question in questionnaire.visible_questions(answers, facts):
        documents = tuple(evidence.get(question.id, ()))
        question_findings, counted = judge_question(question, answers.get(question.id), documents, today)
        findings.extend(question_findings)
        if not counted:
            continue
        credit = 1.0
        if question_findings:
            worst = min((f.severity for f in question_findings), key=SEVERITY_RANK.__getitem__)
            credit = SEVERITY_CREDIT[worst]
        earned[question.section] = earned.get(question.section, 0.0) + question.weight * credit
        possible[question.section] = possible.get(question.section, 0.0) + question.weight
    section_scores = {
        section.id: _percent(earned[section.id], possible[section.id])
        for section in questionnaire.sections
        if section.id in possible
    }
    score = _percent(sum(earned.values()), sum(possible.values()))
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in SEVERITIES}
    return Judgement(findings=findings, section_scores=section_scores, score=score, counts=counts)


def judge_question(
    question: Question, raw: Any, documents: tuple[EvidenceRef, ...], today: date
) -> tuple[list[JudgedFinding], bool]:
    """The findings for one shown question, and whether it counts towards the score."""

    def finding(rule: str, severity: str, reason: Text) -> JudgedFinding:
        return JudgedFinding(question.id, rule, severity, reason, question.measures)

    if question.type == "evidence":
        if not documents:
            if not question.required:
                return [], False
            return [finding("evidence-missing", _worst_rule_severity(question, "high"), EVIDENCE_MISSING)], True
        candidates = _expiry_findings(question, documents, today)
        return [finding(*_most_severe(candidates))] if candidates else [], True

    value, valid = normalise(question, raw)
    findings: list[JudgedFinding] = []
    if value is None:
        if not question.required:
            return [], False
        rule = "invalid" if not valid else "missing"
        findings.append(finding(rule, _worst_rule_severity(question, "medium"), INVALID if not valid else MISSING))
        if question.evidence != "never" and not documents:
            findings.append(finding("evidence-missing", _evidence_severity(question), EVIDENCE_MISSING))
        return findings, True

    candidates = [
        (rule.id, rule.severity, rule.reason)
        for rule in question.rules
        if rule.within_days is None or question.type == "date"
        if matches(rule, question, value, today)
    ]
    weak = bool(candidates)
    if documents:
        candidates.extend(_expiry_findings(question, documents, today))
    if candidates:
        findings.append(finding(*_most_severe(candidates)))
    needs_evidence = question.evidence == "always" or (question.evidence == "when-weak" and weak)
    if needs_evidence and not documents:
        findings.append(finding("evidence-missing", _evidence_severity(question), EVIDENCE_MISSING))
    return findings, True


def normalise(question: Question, raw: Any) -> tuple[Any, bool]:
    """(value, valid): the answer in its judged form, or (None, True) if unanswered, (None, False) if invalid."""
    if raw is None or raw == "" or raw == []:
        return None, True
    qtype = question.type
    if qtype in ("choice", "yes-no"):
        raw = chosen_value(raw)  # "not applicable" carries its reason along
        return (raw, True) if isinstance(raw, str) and raw in question.option_values() else (None, False)
    if qtype == "multi-choice":
        known = question.option_values()
        if isinstance(raw, list | tuple) and all(isinstance(item, str) and item in known for item in raw):
            return tuple(raw), True
        return None, False
    if qtype == "number":
        if isinstance(raw, bool):
            return None, False
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return None, False
        return (number, True) if math.isfinite(number) else (None, False)
    if qtype == "date":
        parsed = _as_date(raw)
        return (parsed, True) if parsed is not None else (None, False)
    if qtype == "text":
        return (raw.strip(), True) if isinstance(raw, str) and raw.strip() else (None, isinstance(raw, str))
    return None, True


def matches(rule: Rule, question: Question, value: Any, today: date) -> bool:
    """Whether `rule` marks this (normalised) answer weak."""
    if rule.options:
        chosen = value if isinstance(value, tuple) else (value,)
        return any(option in rule.options for option in chosen)
    if rule.missing_options:
        return any(option not in value for option in rule.missing_options)
    if rule.above is not None:
        return value > rule.above
    if rule.below is not None:
        return value < rule.below
    if rule.within_days is not None:
        return value < today + timedelta(days=rule.within_days)
    if rule.older_than_days is not None:
        return value < today - timedelta(days=rule.older_than_days)
    return False


def _expiry_findings(
    question: Question, documents: tuple[EvidenceRef, ...], today: date
) -> list[tuple[str, str, Text]]:
    """Candidate findings from the documents' expiry: the newest expiry date counts (a renewed certificate)."""
    if not question.expiry:
        return []
    dates = [parsed for doc in documents if (parsed := _as_date(doc.expires_on)) is not None]
    if not dates:
        return [("expiry-missing", _worst_rule_severity(question, "medium"), EXPIRY_MISSING)]
    expires_on = max(dates)
    found = []
    for rule in question.rules:
        if rule.within_days is not None and expires_on < today + timedelta(days=rule.within_days):
            note_nl, note_en = f" (vervaldatum {expires_on.isoformat()})", f" (expiry date {expires_on.isoformat()})"
            reason = Text(rule.reason.nl + note_nl, rule.reason.en + note_en if rule.reason.en else "")
            found.append((rule.id, rule.severity, reason))
    return found


def _most_severe(candidates: list[tuple[str, str, Text]]) -> tuple[str, str, Text]:
    return min(candidates, key=lambda candidate: SEVERITY_RANK[candidate[1]])  # first of equals: file order


def _evidence_severity(question: Question) -> str:
    return "high" if question.evidence == "always" else "medium"


def _worst_rule_severity(question: Question, default: str) -> str:
    if not question.rules:
        return default
    return min((rule.severity for rule in question.rules), key=SEVERITY_RANK.__getitem__)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _percent(earned: float, possible: float) -> int:
    if possible <= 0:
        return 100
    return max(0, min(100, round(100 * earned / possible)))
