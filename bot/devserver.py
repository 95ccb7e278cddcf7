"""`bot dev`: the one-command demo: migrate, seed demo data, run web and worker together on this machine."""

from __future__ import annotations

import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from bot import migrate


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not create the demo organisation and contracts.")
@click.option("--no-worker", is_flag=True, help="Run only the web server.")
@with_appcontext
def dev_command(host: str, port: int, no_demo: bool, no_worker: bool) -> None:
    """Run web + worker for development and the demo (SQLite, mail written to a folder)."""
    config = current_app.config
    if config["BOT_ENV"] != "development":
        raise click.ClickException(f"bot dev runs only with BOT_ENV=development, not {config['BOT_ENV']!r}.")
    migrate.upgrade(config["DATABASE_URL"])
    if not no_demo:
        from bot.demo import seed_demo

        seed_demo(current_app)
    worker = None
    if not no_worker:
        worker = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "worker"], env=os.environ.copy()
        )
    mail = config["MAIL_URL"]
    click.echo("")
    click.echo(f"  Service:   {config['BASE_URL']}/")
    click.echo(f"  Staff:     {config['BASE_URL']}/staff/")
    click.echo(f"  Database:  {config['DATABASE_URL']}")
    if mail.startswith("file://"):
        click.echo(f"  Mail:      {mail[len('file://') :]}  (read them at {config['BASE_URL']}/dev/mail/)")
    else:
        click.echo(f"  Mail:      {mail}")
    click.echo("  Stop with Ctrl+C.")
    click.echo("")
    try:
        # Flask refuses app.run() inside its own CLI; serve with werkzeug directly (development only).
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
