"""`bot questionnaires check`: passes on the shipped files, prints every error and exits non-zero otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.models import QuestionnaireSnapshot
from bot.timeutil import utcnow

BROKEN = Path(__file__).with_name("broken")


def test_check_passes_on_the_shipped_questionnaires(runner: Any) -> None:
    result = runner.invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    for questionnaire_id in ("bio2-leverancier", "bio2-leverancier-licht", "avg-verwerker"):
        assert f"{questionnaire_id} version" in result.output


def test_check_prints_every_error_of_the_given_files_and_fails(runner: Any) -> None:
    files = [str(BROKEN / "several-errors.toml"), str(BROKEN / "bad-severity.toml")]

    result = runner.invoke(args=["questionnaires", "check", "--no-db", *files])

    assert result.exit_code == 1
    assert result.output.count("error  ") == 4
    assert "unknown severity 'urgent'" in result.output
    assert 'question "q2", field "text_nl": Dutch text is missing' in result.output


def test_check_refuses_a_file_changed_without_a_new_version(runner: Any, session: Session) -> None:
    session.add(
        QuestionnaireSnapshot(
            questionnaire_id="avg-verwerker", version="2027.1", content_hash="0" * 64, content="", created_at=utcnow()
        )
    )
    session.commit()

    result = runner.invoke(args=["questionnaires", "check"])

    assert result.exit_code == 1
    assert 'questionnaire "avg-verwerker", field "version": version "2027.1" was already sent out' in result.output
