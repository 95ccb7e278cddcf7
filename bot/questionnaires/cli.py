"""`bot questionnaires ...`: check questionnaire files before they are shipped."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from bot.questionnaires.consistency import contradictions
from bot.questionnaires.loader import DEFAULT_DIRECTORY, QuestionnaireError, load_all, load_questionnaire
from bot.questionnaires.model import Questionnaire


@click.group("questionnaires")
def questionnaires_group() -> None:
    """Questionnaires (vragenlijsten): check the files."""


@questionnaires_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-db", is_flag=True, help="Do not compare with the versions already sent out.")
def check_command(files: tuple[Path, ...], no_db: bool) -> None:
    """Validate questionnaire FILES (default: every file in questionnaires/); print every error, exit 1 on any.

    Also refuses a file whose version was already sent out with other content, and warns (without failing) where
    two files judge the same fact differently.
    """
    errors: list[str] = []
    loaded: list[tuple[str, Questionnaire]] = []
    if files:
        for path in files:
            try:
                loaded.append((str(path), load_questionnaire(path)))
            except QuestionnaireError as error:
                errors.extend(error.errors)
    else:
        try:
            loaded = [(str(DEFAULT_DIRECTORY / f"{q.id}.toml"), q) for q in load_all().values()]
        except QuestionnaireError as error:
            errors.extend(error.errors)
    if not no_db and loaded:
        errors.extend(_compare_with_snapshots([q for _, q in loaded]))
    for name, questionnaire in loaded:
        count = sum(1 for _ in questionnaire.questions())
        click.echo(f"ok  {name}: {questionnaire.id} version {questionnaire.version}, {count} questions")
    compared = [q for _, q in loaded] + (_shipped_besides(loaded) if files else [])
    known = {q.id for q in compared}
    for name, questionnaire in loaded:
        for source in questionnaire.prefill_from:
            if source not in known:
                errors.append(
                    f'{name}: field "prefill_from": no questionnaire "{source}"; ids are {", ".join(sorted(known))}'
                )
    for message in contradictions(compared):
        click.echo(f"warning  {message}", err=True)
    for message in errors:
        click.echo(f"error  {message}", err=True)
    if errors:
        raise click.exceptions.Exit(1)
    if not loaded:
        click.echo("no questionnaire files found", err=True)
        raise click.exceptions.Exit(1)


def _shipped_besides(loaded: list[tuple[str, Questionnaire]]) -> list[Questionnaire]:
    """The shipped questionnaires other than those being checked, to compare verdicts with."""
    ids = {q.id for _, q in loaded}
    try:
        return [q for q in load_all().values() if q.id not in ids]
    except QuestionnaireError:
        return []  # the shipped files have their own errors; `check` without FILES reports them


def _compare_with_snapshots(questionnaires: list[Questionnaire]) -> list[str]:
    """Messages for files changed without a new version, compared with the database when it can be opened."""
    from bot.db import get_session
    from bot.questionnaires.snapshots import changed_versions

    try:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            return changed_versions(get_session(), questionnaires)
    except (SQLAlchemyError, click.ClickException, ImportError, RuntimeError) as error:
        # Validating files must not depend on a database; say plainly that this part was skipped.
        click.echo(f"note: versions already sent out were not compared: {type(error).__name__}: {error}", err=True)
        return []
