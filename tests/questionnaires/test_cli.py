"""`bot questionnaires check`: passes on the shipped files, prints every error and exits non-zero otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.models import QuestionnaireSnapshot
from bot.questionnaires.loader import DEFAULT_DIRECTORY
from bot.timeutil import utcnow

BROKEN = Path(__file__).with_name("broken")


def test_check_passes_on_the_shipped_questionnaires(runner: Any) -> None:
    result = runner.invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    for questionnaire_id in ("bio2-leverancier", "bio2-leverancier-licht", "avg-verwerker"):
        assert f"{questionnaire_id} version" in result.output
    assert "warning" not in result.output  # the shipped files judge the same facts the same way


def test_check_warns_when_a_file_judges_a_fact_differently_from_a_shipped_file(runner: Any, tmp_path: Path) -> None:
    shipped = DEFAULT_DIRECTORY / "avg-verwerker.toml"
    text = shipped.read_text(encoding="utf-8").replace('id = "avg-verwerker"', 'id = "avg-verwerker-regio"', 1)
    lenient = tmp_path / "avg-verwerker-regio.toml"
    lenient.write_text(text.replace("above = 72\n", "above = 96\n", 1), encoding="utf-8")

    result = runner.invoke(args=["questionnaires", "check", "--no-db", str(lenient)])

    assert result.exit_code == 0, result.output  # a warning, not an error
    assert 'warning  avg-verwerker-regio question "breach-notice-hours" (above 24 high, above 96 critical)' in (
        result.output
    )
    assert 'bio2-leverancier question "incident-notice-hours" (above 24 high, above 72 critical)' in result.output
    assert "ask the same fact (BIO2 5.20.05) but judge it differently" in result.output


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


def test_check_refuses_a_prefill_from_that_names_no_questionnaire(runner: Any, tmp_path: Path) -> None:
    text = (DEFAULT_DIRECTORY / "bio2-update.toml").read_text(encoding="utf-8")
    path = tmp_path / "bio2-update.toml"
    path.write_text(text.replace('prefill_from = ["bio2-leverancier",', 'prefill_from = ["bio2-leveranicer",'), "utf-8")
    result = runner.invoke(args=["questionnaires", "check", "--no-db", str(path)])
    assert result.exit_code == 1
    assert 'field "prefill_from": no questionnaire "bio2-leveranicer"' in result.output
