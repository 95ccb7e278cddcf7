"""Operator commands: `bot retention [--dry-run]`, `bot backup` and `bot restore`. Thin callers of bot/retention.py
and bot/backup.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.backup import BackupError, backup, restore
from bot.cli_options import now_option, resolve_now
from bot.db import get_session
from bot.retention import KIND_NAMES, KindPlan, apply_retention, plan_retention
from bot.timeutil import utcnow

LISTED = 20  # items listed per kind unless --all


def _report(plans: list[KindPlan], *, listed: int | None, done: bool) -> None:
    for plan in plans:
        if plan.cutoff is None:
            click.echo(f"{plan.kind.name}: kept for ever ({plan.kind.setting}=0)")
            continue
        verb = "removed" if done else "would be removed"
        click.echo(
            f"{plan.kind.name}: {len(plan.items)} {verb} (kept {plan.days} days {plan.kind.keeps}; "
            f"before {plan.cutoff:%Y-%m-%d %H:%M} UTC)"
        )
        shown = plan.items if listed is None else plan.items[:listed]
        for item in shown:
            click.echo(f"  {item.label}")
        if len(shown) < len(plan.items):
            click.echo(f"  ... and {len(plan.items) - len(shown)} more (--all lists them)")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(KIND_NAMES), help="Only this kind (repeatable); default: all."
)
@click.option("--all", "list_all", is_flag=True, help=f"List every item, not the first {LISTED} per kind.")
@now_option
@with_appcontext
def retention_command(dry_run: bool, kinds: tuple[str, ...], list_all: bool, now: datetime | None) -> None:
    """Remove data older than its retention period (RETENTION_*_DAYS); the worker does this daily."""
    moment = resolve_now(now)
    session = get_session()
    chosen = kinds or KIND_NAMES
    if dry_run:
        click.echo(f"Retention at {moment:%Y-%m-%d %H:%M} UTC, dry run: nothing is removed.")
        _report(
            plan_retention(session, config=current_app.config, now=moment, kinds=chosen),
            listed=None if list_all else LISTED,
            done=False,
        )
        return
    click.echo(f"Retention at {moment:%Y-%m-%d %H:%M} UTC.")
    plans = apply_retention(session, config=current_app.config, now=moment, actor="cli", kinds=chosen)
    _report(plans, listed=None if list_all else LISTED, done=True)


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """Write a consistent copy of the database and the evidence files into a new folder under DESTINATION."""
    try:
        report = backup(
            database_url=current_app.config["DATABASE_URL"],
            upload_dir=current_app.config["UPLOAD_DIR"],
            destination=destination,
            now=utcnow(),
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(count for table, count in report.tables.items() if table != "alembic_version")
    click.echo(f"Backup written to {report.folder}: {rows} rows in {len(report.tables)} tables, {report.files} files.")
    if report.missing:
        click.echo(f"Missing from the upload folder (removed since the copy was taken?): {', '.join(report.missing)}")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that holds data.")
@with_appcontext
def restore_command(folder: Path, replace: bool) -> None:
    """Restore backup FOLDER into DATABASE_URL and UPLOAD_DIR (stop web and worker first), then check it."""
    try:
        report = restore(
            folder=folder,
            database_url=current_app.config["DATABASE_URL"],
            upload_dir=current_app.config["UPLOAD_DIR"],
            replace=replace,
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(count for table, count in report.tables.items() if table != "alembic_version")
    click.echo(f"Restored and checked: {rows} rows in {len(report.tables)} tables, {report.files} files.")
