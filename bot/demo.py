"""Demo data for `bot dev` and `bot demo`: one municipality, its staff, suppliers and contracts."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def seed_demo(app: Flask) -> None:
    """Create the demo organisation, staff users and register; safe to run again (updates in place)."""
    # Filled in with the register import below.


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create or refresh the demo organisation, staff and contract register."""
    seed_demo(current_app)
    click.echo("Demo data is in place.")
