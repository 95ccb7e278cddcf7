"""Ladder step names are built, matched, read back and labelled by bot/cycles/steps.py alone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cycles import steps
from bot.cycles.steps import StepKind
from bot.models import LadderLevel, Severity

DEADLINE = datetime(2026, 10, 31, 22, 59, tzinfo=UTC)
BUILT = {
    "reminder-14:2026-10-31": steps.reminder(14, DEADLINE),
    "owner-overdue:2026-10-31": steps.overdue(LadderLevel.OWNER, DEADLINE),
    "ciso-overdue:2026-10-31": steps.overdue("ciso", DEADLINE),
    "owner-findings": steps.findings(LadderLevel.OWNER),
    "ciso-findings": steps.findings(LadderLevel.CISO),
    "owner-findings:lapsed-2027-01-31": steps.findings_lapsed(date(2027, 1, 31)),
    "ciso-findings:lapsed-2027-01-31": steps.findings_lapsed(date(2027, 1, 31), LadderLevel.CISO),
    "evidence-expiring:iso-cert:0123456789ab": steps.evidence(
        StepKind.EVIDENCE_EXPIRING, "iso-cert", "0123456789abcdef"
    ),
    "evidence-lapsed:iso-cert:0123456789ab": steps.evidence(StepKind.EVIDENCE_LAPSED, "iso-cert", "0123456789abcdef"),
}


@pytest.mark.parametrize("expected", BUILT)
def test_the_constructors_write_the_names_the_database_holds(expected: str) -> None:
    assert BUILT[expected] == expected


def test_every_name_reads_back_into_its_parts() -> None:
    assert steps.parse("reminder-3:2026-10-31") == steps.Step(
        StepKind.REMINDER, LadderLevel.SUPPLIER, days=3, deadline=date(2026, 10, 31)
    )
    assert steps.parse("ciso-overdue:2026-10-31") == steps.Step(
        StepKind.OVERDUE, LadderLevel.CISO, deadline=date(2026, 10, 31)
    )
    assert steps.parse("owner-findings") == steps.Step(StepKind.FINDINGS, LadderLevel.OWNER)
    assert steps.parse("owner-findings:lapsed-2027-01-31") == steps.Step(
        StepKind.FINDINGS_LAPSED, LadderLevel.OWNER, accepted_until=date(2027, 1, 31)
    )
    assert steps.parse("evidence-lapsed:a:b:0123456789ab") == steps.Step(
        StepKind.EVIDENCE_LAPSED, LadderLevel.OWNER, question_id="a:b", sha256_prefix="0123456789ab"
    )


@pytest.mark.parametrize(
    "name", ["", "reminder-x:2026-10-31", "owner-overdue", "owner-overdue:tomorrow", "supplier-findings", "escalated"]
)
def test_a_name_no_constructor_writes_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        steps.parse(name)
    assert steps.reason(name) == ("", "")


def test_a_reminder_or_overdue_step_is_for_an_escalation_level_only() -> None:
    with pytest.raises(ValueError, match="'supplier'"):
        steps.overdue(LadderLevel.SUPPLIER, DEADLINE)


def test_each_like_pattern_finds_exactly_its_own_kind() -> None:
    """Run the patterns in the database, against every kind of name."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("s", sa.MetaData(), sa.Column("step", sa.String))
    table.metadata.create_all(engine)
    names = [*BUILT.values(), steps.reminder(3, DEADLINE), steps.overdue("owner", date(2027, 1, 31))]
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"step": name} for name in names])

        def matching(pattern: str) -> set[str]:
            return set(connection.scalars(sa.select(table.c.step).where(table.c.step.like(pattern))))

        assert matching(steps.reminder_like(14)) == {"reminder-14:2026-10-31"}
        assert matching(steps.reminder_like(3)) == {"reminder-3:2026-10-31"}
        assert matching(steps.overdue_like("owner")) == {"owner-overdue:2026-10-31", "owner-overdue:2027-01-31"}
        assert matching(steps.overdue_like(LadderLevel.CISO)) == {"ciso-overdue:2026-10-31"}
        assert matching(steps.FINDINGS_LAPSED_LIKE) == {"owner-findings:lapsed-2027-01-31"}
        assert matching(steps.EVIDENCE_LIKE) == {
            "evidence-expiring:iso-cert:0123456789ab",
            "evidence-lapsed:iso-cert:0123456789ab",
        }


def test_the_staff_timeline_says_why_each_step_was_taken() -> None:
    assert steps.reason("owner-overdue:2026-10-31") == (
        "geen antwoord binnen de termijn",
        "no answer within the deadline",
    )
    assert steps.reason("ciso-overdue:2026-10-31")[1] == "no answer within the deadline"
    assert steps.reason("owner-findings")[1] == "weak or missing answers"
    assert steps.reason("ciso-findings")[1] == "critical or unhandled findings"
    assert steps.reason("owner-findings:lapsed-2027-01-31")[1] == "accepted risk expired"
    assert steps.reason("ciso-findings:lapsed-2027-01-31")[1] == "accepted critical risk expired"
    assert steps.reason("reminder-14:2026-10-31")[1] == "deadline approaching"
    assert steps.reason("evidence-expiring:q:0123")[1] == "evidence expires soon"
    assert steps.reason("evidence-lapsed:q:0123")[1] == "evidence expired"


def test_no_other_module_spells_a_step_name() -> None:
    """The string mini-language stays in steps.py: no literal step name or prefix test anywhere else in bot/."""
    spelled = re.compile(r"""["'](reminder-|owner-overdue|ciso-overdue|owner-findings|ciso-findings)|-overdue["']""")
    root = Path(__file__).parents[2] / "bot"
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "steps.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert offenders == []


def test_severity_rank_is_the_one_order_worst_first() -> None:
    assert sorted(["low", "critical", "medium", "high"], key=Severity.rank_of) == ["critical", "high", "medium", "low"]
    assert Severity.CRITICAL.rank < Severity.HIGH.rank < Severity.MEDIUM.rank < Severity.LOW.rank
    assert Severity.rank_of("unknown") > Severity.LOW.rank
    assert Severity.rank_of(None) > Severity.LOW.rank
