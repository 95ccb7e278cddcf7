"""`bot cycle plan`, `bot sweep` and `bot worker`: thin callers of the planner, the sweep and the worker."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli_options import now_option, resolve_now
from bot.config import ConfigError
from bot.db import get_session


@click.group("cycle")
def cycle_group() -> None:
    """Review cycles: plan each cycle's uitvragen."""


@cycle_group.command("plan")
@now_option
@with_appcontext
def plan_command(now: datetime | None) -> None:
    """Create every uitvraag that is due, with its link, draft answers and invitation mail."""
    from bot.cycles.planner import plan_cycles

    try:
        report = plan_cycles(session=get_session(), config=current_app.config, now=resolve_now(now))
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(report.summary())
    for line in report.skipped:
        click.echo(f"skipped: {line}", err=True)


@click.command("sweep")
@now_option
@with_appcontext
def sweep_command(now: datetime | None) -> None:
    """Send due reminders and escalations (once each), and request renewed evidence."""
    from bot.cycles.sweep import sweep

    report = sweep(session=get_session(), config=current_app.config, now=resolve_now(now))
    click.echo(report.summary())


@click.command("worker")
@now_option
@click.option("--once", is_flag=True, help="Run one tick (plan, sweep, deliver mail) and stop.")
@with_appcontext
def worker_command(now: datetime | None, once: bool) -> None:
    """Run the scheduler: plan, sweep and deliver mail every WORKER_TICK_SECONDS (first tick at once).

    With --now the worker's clock starts at that moment and then runs at real speed.
    """
    from bot.cycles.worker import run_worker

    code = run_worker(engine=current_app.extensions["engine"], config=current_app.config, start=now, once=once)
    sys.exit(code)
