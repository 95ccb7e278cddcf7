"""The same facts get the same verdict in every shipped file: warnings where two files judge one fact differently.

Two questions in different files ask the same fact when they have the same id, or when one names the other in
`same_facts_as`, and they cite a BIO2 measure in common. Their verdicts then have to agree: for numbers the same
thresholds per severity, for choices the same severity per option value both offer.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.questionnaires.model import Question, Questionnaire


def verdicts(question: Question) -> dict[str, str]:
    """What the rules of `question` say, as comparable text per matcher: {"above 24": "high", ...}."""
    found: dict[str, str] = {}
    for rule in question.rules:
        if rule.above is not None:
            found[f"above {rule.above:g}"] = rule.severity
        if rule.below is not None:
            found[f"below {rule.below:g}"] = rule.severity
        if rule.older_than_days is not None:
            found[f"older than {rule.older_than_days} days"] = rule.severity
        for option in rule.options:
            found[f"option {option}"] = rule.severity
    return found


def _same_fact(a: Question, b: Question) -> bool:
    linked = a.id == b.id or b.id in a.same_facts_as or a.id in b.same_facts_as
    return linked and a.type == b.type and bool(set(a.measures) & set(b.measures))


def _describe(found: dict[str, str]) -> str:
    return ", ".join(f"{matcher} {severity}" for matcher, severity in sorted(found.items())) or "never weak"


def contradictions(questionnaires: Iterable[Questionnaire]) -> list[str]:
    """One warning per pair of questions in different files that ask the same fact but judge it differently."""
    files = sorted(questionnaires, key=lambda q: q.id)
    warnings: list[str] = []
    for index, first in enumerate(files):
        for second in files[index + 1 :]:
            for a in first.questions():
                for b in second.questions():
                    if not _same_fact(a, b):
                        continue
                    va, vb = verdicts(a), verdicts(b)
                    if a.type in ("choice", "multi-choice", "yes-no"):
                        common = set(a.option_values()) & set(b.option_values())
                        va = {k: v for k, v in va.items() if k.removeprefix("option ") in common}
                        vb = {k: v for k, v in vb.items() if k.removeprefix("option ") in common}
                    if va != vb:
                        warnings.append(
                            f'{first.id} question "{a.id}" ({_describe(va)}) and {second.id} question "{b.id}" '
                            f"({_describe(vb)}) ask the same fact (BIO2 "
                            f"{', '.join(sorted(set(a.measures) & set(b.measures)))}) but judge it differently"
                        )
    return warnings
