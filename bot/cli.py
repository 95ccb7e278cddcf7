"""The `bot` command: a Flask CLI group. Each feature module adds its own commands in `register_commands`.

Every time-dependent command takes `--now` (ISO date or date-time, UTC) so that a quarter can be rehearsed.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click
from flask.cli import FlaskGroup, routes_command, shell_command

from bot import create_app
from bot.cli_options import NowType, now_option, resolve_now  # noqa: F401 - where commands used to find them
from bot.config import ConfigError

# module path -> attribute holding a click command or group. Each feature module owns its commands.
COMMAND_MODULES: list[tuple[str, str]] = [
    ("bot.migrate", "db_group"),
    ("bot.register", "import_group"),
    ("bot.register", "export_group"),
    ("bot.devserver", "dev_command"),
    ("bot.demo", "demo_command"),
    ("bot.cycles.cli", "cycle_group"),
    ("bot.cycles.cli", "sweep_command"),
    ("bot.cycles.cli", "worker_command"),
    ("bot.staff.users", "user_group"),
    ("bot.staff.sso_cli", "sso_group"),
    ("bot.mail.cli", "mail_group"),
    ("bot.questionnaires.cli", "questionnaires_group"),
    ("bot.supplier.cli", "receipt_group"),
    ("bot.ops_cli", "retention_command"),
    ("bot.ops_cli", "backup_command"),
    ("bot.ops_cli", "restore_command"),
    ("bot.security_events", "security_events_command"),
]


def _create_app() -> Any:
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def cli() -> None:
    """BIO supplier questionnaire service: register, questionnaires, review cycles, escalations."""


def register_commands(group: click.Group) -> None:
    """Add every command to `group`: the `bot` group itself, and each app's `app.cli` (for test runners)."""
    group.add_command(shell_command)
    group.add_command(routes_command)
    for module_name, attribute in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        group.add_command(getattr(module, attribute))


register_commands(cli)


def main() -> None:
    if sys.argv[1:2] == ["dev"]:
        # `bot dev` is development by definition: say so explicitly (fail closed elsewhere) and open the mailbox.
        if not os.environ.get("BOT_ENV", "").strip():
            os.environ["BOT_ENV"] = "development"
        if not os.environ.get("DEV_MAIL", "").strip():
            os.environ["DEV_MAIL"] = "true"
    try:
        cli.main(prog_name="bot")
    except KeyboardInterrupt:
        sys.exit(130)
