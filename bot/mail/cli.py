"""`bot mail ...`: deliver the outbox now, and preview what each kind of mail looks like."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli_options import now_option, resolve_now
from bot.db import get_engine
from bot.i18n import LANGUAGES
from bot.mail.delivery import send_due
from bot.mail.kinds import KINDS
from bot.mail.render import render_mail


@click.group("mail")
def mail_group() -> None:
    """Outgoing mail: the outbox and its delivery."""


@mail_group.command("send")
@now_option
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def send_command(now: datetime | None, batch_size: int) -> None:
    """Deliver every queued mail that is due now (the worker does this on every tick)."""
    report = send_due(engine=get_engine(), config=dict(current_app.config), now=resolve_now(now), batch_size=batch_size)
    click.echo(f"Mail: {report.summary()}.")
    if report.stopped:
        sys.exit(1)


@mail_group.command("preview")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--lang", type=click.Choice(LANGUAGES), default="nl", show_default=True)
@click.option("--html", "as_html", is_flag=True, help="Show the HTML body instead of the text body.")
def preview_command(kind: str, lang: str, as_html: bool) -> None:
    """Show mail KIND rendered with its sample context."""
    rendered = render_mail(kind, lang, KINDS[kind])
    click.echo(f"Subject: {rendered.subject}\n")
    click.echo(rendered.html if as_html and rendered.html else rendered.text)
