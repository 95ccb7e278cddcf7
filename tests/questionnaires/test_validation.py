"""Each file in broken/ has exactly the errors its `# expect:` lines name; the loader reports them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.questionnaires.loader import QuestionnaireError, load_all, load_questionnaire, parse_questionnaire

BROKEN = Path(__file__).with_name("broken")
BROKEN_FILES = sorted(BROKEN.glob("*.toml"))


def expected_messages(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_there_is_a_broken_file_for_each_kind_of_error() -> None:
    assert len(BROKEN_FILES) >= 30


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda path: path.stem)
def test_broken_file_is_refused_with_a_message_naming_file_question_and_field(path: Path) -> None:
    expected = expected_messages(path)
    assert expected, f"{path.name} says which error it expects"

    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)

    errors = raised.value.errors
    assert len(errors) == len(expected), errors
    for message, fragment in zip(errors, expected, strict=True):
        assert message.startswith(str(path)), message
        assert fragment in message


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "klein.toml"
    path.write_text(
        'id = "klein"\nversion = "1"\ntitle_nl = "Klein"\n\n[[sections]]\nid = "s"\ntitle_nl = "S"\n\n'
        '[[sections.questions]]\nid = "q1"\ntype = "yes-no"\nmeasures = ["5.17.01", "5.29.01"]\n'
        'text_nl = "Vraag?"\n',
        encoding="utf-8",
    )
    questionnaire = load_questionnaire(path)
    assert questionnaire.question("q1").measures == ("5.17.01", "5.29.01")
    assert len(questionnaire.content_hash) == 64


def test_directory_refuses_a_file_not_named_after_its_questionnaire(tmp_path: Path) -> None:
    source = BROKEN.parent.parent.parent / "bot" / "questionnaires" / "files" / "avg-verwerker.toml"
    (tmp_path / "verwerker.toml").write_bytes(source.read_bytes())

    with pytest.raises(QuestionnaireError, match=r"must be named avg-verwerker\.toml"):
        load_all(tmp_path)


def test_directory_reports_errors_of_every_file(tmp_path: Path) -> None:
    for name in ("unknown-type", "bad-severity"):
        (tmp_path / f"{name}.toml").write_bytes((BROKEN / f"{name}.toml").read_bytes())

    with pytest.raises(QuestionnaireError) as raised:
        load_all(tmp_path)

    assert len(raised.value.errors) == 2


def test_stored_snapshot_text_may_cite_measures_no_longer_valid() -> None:
    text = (BROKEN / "measure-withdrawn.toml").read_text(encoding="utf-8")
    questionnaire = parse_questionnaire(text, name="snapshot", check_measures=False)
    assert questionnaire.question("q1").measures == ("5.21.01",)
