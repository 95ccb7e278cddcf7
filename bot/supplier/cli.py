"""`bot receipt verify FILE`: recompute a downloaded receipt's digest and compare it with the database."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from bot.db import get_session
from bot.supplier.submission import verify_receipt


@click.group("receipt")
def receipt_group() -> None:
    """Receipts of submitted uitvragen."""


@receipt_group.command("verify")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def verify_command(file: click.utils.LazyFile) -> None:
    """Check that receipt FILE (the JSON download) matches its digest and the submission stored in the database."""
    try:
        document = json.loads(file.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        click.echo(f"{file.name}: not a JSON receipt ({error}).", err=True)
        sys.exit(2)
    result = verify_receipt(get_session(), document)
    for message in result.messages:
        click.echo(message)
    click.echo("VALID" if result.ok else "INVALID")
    sys.exit(0 if result.ok else 1)
