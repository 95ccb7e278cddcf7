"""Ladder step names: the one module that builds them, matches them in SQL, reads them back and labels them.

A step name is the key that makes a ladder step happen once (unique per uitvraag, step and recipient):

- `reminder-<days>:<deadline>`: the supplier is reminded <days> before the deadline (a date, ISO).
- `owner-overdue:<deadline>`, `ciso-overdue:<deadline>`: the deadline passed without a submission.
- `owner-findings`, `ciso-findings`: a submission's open findings climb the ladder.
- `owner-findings:lapsed-<date>`: findings accepted as a risk until <date> count again after it;
  `ciso-findings:lapsed-<date>` when one of them is critical (the CISO approved it, and hears it ran out).
- `evidence-expiring:<question>:<sha256 prefix>` (the supplier is asked for a renewed document) and
  `evidence-lapsed:<question>:<sha256 prefix>` (the owners hear it lapsed).

Callers use the constructors to write steps, the `*_like` patterns to find them in SQL, and `parse` or `reason`
to read them; nobody else spells a step name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.models import LadderLevel

SHA_PREFIX = 12  # characters of the document's SHA-256 in an evidence step


class StepKind(StrEnum):
    REMINDER = "reminder"
    OVERDUE = "overdue"
    FINDINGS = "findings"
    FINDINGS_LAPSED = "findings-lapsed"
    EVIDENCE_EXPIRING = "evidence-expiring"
    EVIDENCE_LAPSED = "evidence-lapsed"


ESCALATION_LEVELS = (LadderLevel.OWNER, LadderLevel.CISO)


def _day(deadline: date | datetime) -> str:
    return (deadline.date() if isinstance(deadline, datetime) else deadline).isoformat()


def _escalation_level(level: LadderLevel | str) -> LadderLevel:
    level = LadderLevel(level)
    if level not in ESCALATION_LEVELS:
        raise ValueError(f"an escalation goes to the owner or the CISO, not to {level.value!r}")
    return level


# Constructors.


def reminder(days: int, deadline: date | datetime) -> str:
    """`reminder-14:2026-10-31`: the reminder <days> before the (UTC) deadline's day."""
    return f"reminder-{int(days)}:{_day(deadline)}"


def overdue(level: LadderLevel | str, deadline: date | datetime) -> str:
    """`owner-overdue:2026-10-31` or `ciso-overdue:2026-10-31`."""
    return f"{_escalation_level(level).value}-overdue:{_day(deadline)}"


def findings(level: LadderLevel | str) -> str:
    """`owner-findings` or `ciso-findings`: once per uitvraag."""
    return f"{_escalation_level(level).value}-findings"


def findings_lapsed(accepted_until: date, level: LadderLevel | str = LadderLevel.OWNER) -> str:
    """`owner-findings:lapsed-2027-01-31` (or `ciso-findings:...`): an accepted risk that ran out, once per end
    date."""
    return f"{findings(level)}:lapsed-{accepted_until.isoformat()}"


def evidence(kind: StepKind, question_id: str, sha256: str) -> str:
    """`evidence-expiring:<question>:<sha256 prefix>` or `evidence-lapsed:...`, one per document."""
    if kind not in (StepKind.EVIDENCE_EXPIRING, StepKind.EVIDENCE_LAPSED):
        raise ValueError(f"{kind!r} is not an evidence step")
    return f"{kind.value}:{question_id}:{sha256[:SHA_PREFIX]}"


# SQL LIKE patterns (no step name holds `%` or `_` in its fixed part).


def reminder_like(days: int) -> str:
    """Every reminder step <days> before a deadline, whatever the deadline."""
    return f"reminder-{int(days)}:%"


def overdue_like(level: LadderLevel | str) -> str:
    """Every overdue step of `level`, whatever the deadline."""
    return f"{_escalation_level(level).value}-overdue:%"


FINDINGS_LAPSED_LIKE = "owner-findings:lapsed-%"
EVIDENCE_LIKE = "evidence-%"


# Reading a step back.


@dataclass(frozen=True)
class Step:
    kind: StepKind
    level: LadderLevel  # who the step is for
    days: int | None = None  # REMINDER
    deadline: date | None = None  # REMINDER, OVERDUE
    accepted_until: date | None = None  # FINDINGS_LAPSED
    question_id: str | None = None  # EVIDENCE_*
    sha256_prefix: str | None = None  # EVIDENCE_*


def parse(step: str) -> Step:
    """The parts of a step name; ValueError naming the step when it is not one this module builds."""
    try:
        return _parse(step)
    except ValueError as error:
        raise ValueError(f"not a ladder step name: {step!r} ({error})") from None


def _parse(step: str) -> Step:
    head, _, rest = step.partition(":")
    if head.startswith("reminder-") and rest:
        return Step(StepKind.REMINDER, LadderLevel.SUPPLIER, days=int(head[9:]), deadline=date.fromisoformat(rest))
    for level in ESCALATION_LEVELS:
        if head == f"{level.value}-overdue" and rest:
            return Step(StepKind.OVERDUE, level, deadline=date.fromisoformat(rest))
        if head == f"{level.value}-findings" and not rest:
            return Step(StepKind.FINDINGS, level)
    for level in ESCALATION_LEVELS:
        if head == f"{level.value}-findings" and rest.startswith("lapsed-"):
            until = date.fromisoformat(rest[7:])
            return Step(StepKind.FINDINGS_LAPSED, level, accepted_until=until)
    for kind, level in (
        (StepKind.EVIDENCE_EXPIRING, LadderLevel.SUPPLIER),
        (StepKind.EVIDENCE_LAPSED, LadderLevel.OWNER),
    ):
        question_id, _, sha = rest.rpartition(":")
        if head == kind.value and question_id and sha:
            return Step(kind, level, question_id=question_id, sha256_prefix=sha)
    raise ValueError("unknown kind")


# What the staff timeline says about a step: why it was taken (Dutch, English).
REASONS: dict[StepKind, tuple[str, str]] = {
    StepKind.REMINDER: ("termijn nadert", "deadline approaching"),
    StepKind.OVERDUE: ("geen antwoord binnen de termijn", "no answer within the deadline"),
    StepKind.FINDINGS: ("zwakke of ontbrekende antwoorden", "weak or missing answers"),
    StepKind.FINDINGS_LAPSED: ("geaccepteerd risico verlopen", "accepted risk expired"),
    StepKind.EVIDENCE_EXPIRING: ("bewijsstuk verloopt binnenkort", "evidence expires soon"),
    StepKind.EVIDENCE_LAPSED: ("bewijsstuk verlopen", "evidence expired"),
}
CISO_FINDINGS_REASON = ("kritieke of onbehandelde bevindingen", "critical or unhandled findings")
CISO_LAPSED_REASON = ("geaccepteerd kritiek risico verlopen", "accepted critical risk expired")


def reason(step: str) -> tuple[str, str]:
    """Why the step was taken, as the staff timeline shows it (Dutch, English); empty for an unknown name."""
    try:
        parsed = _parse(step)
    except ValueError:
        return "", ""
    if parsed.kind is StepKind.FINDINGS and parsed.level is LadderLevel.CISO:
        return CISO_FINDINGS_REASON
    if parsed.kind is StepKind.FINDINGS_LAPSED and parsed.level is LadderLevel.CISO:
        return CISO_LAPSED_REASON
    return REASONS[parsed.kind]
