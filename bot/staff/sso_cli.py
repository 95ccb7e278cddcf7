"""`bot sso set|show`: how the administrator of the instance configures an organisation's staff sign-in.

The client secret is read from standard input (or left to the environment) and never printed.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlmodel import Session, select

from bot.cli_options import now_option, resolve_now
from bot.db import get_session
from bot.models import Organisation, OrganisationSignIn
from bot.staff.sso import SsoError, configure, has_sso, secret_source, secret_variable, settings_for
from bot.staff.users import find_organisation


@click.group("sso")
def sso_group() -> None:
    """Configure how an organisation's staff sign in (OpenID Connect single sign-on, the mailed link)."""


def _organisation(session: Session, key: str) -> Organisation:
    organisation = find_organisation(session, key)
    if organisation is None:
        raise click.UsageError(f"no organisation '{key}'")
    return organisation


def _group_roles(values: tuple[str, ...]) -> dict[str, str] | None:
    if not values:
        return None
    mapping = {}
    for value in values:
        group, sep, role = value.rpartition("=")
        if not sep or not group:
            raise click.UsageError(f"--group-role: '{value}' is not GROUP=ROLE")
        mapping[group] = role
    return mapping


@sso_group.command("set")
@click.argument("organisation_key")
@click.option("--issuer", default=None, help="The provider's issuer URL (Entra ID: .../<tenant>/v2.0).")
@click.option("--client-id", default=None, help="The application (client) id registered at the provider.")
@click.option(
    "--client-secret-stdin",
    is_flag=True,
    help="Read the client secret from standard input and keep it in the database "
    "(or set OIDC_CLIENT_SECRET_<SLUG> in the environment instead).",
)
@click.option("--email-claim", default=None, help="The ID-token claim holding the e-mail address (default: email).")
@click.option("--groups-claim", default=None, help="The ID-token claim holding groups or roles (empty: none).")
@click.option("--group-role", "group_roles", multiple=True, help="GROUP=ROLE, repeatable; replaces the mapping.")
@click.option("--clear-group-roles", is_flag=True, help="Remove the group mapping.")
@click.option("--create-users/--no-create-users", default=None, help="Create unknown signed-in users just in time.")
@click.option("--mail-link/--no-mail-link", default=None, help="Whether the mailed sign-in link stays available.")
@now_option
@with_appcontext
def set_command(
    organisation_key: str,
    issuer: str | None,
    client_id: str | None,
    client_secret_stdin: bool,
    email_claim: str | None,
    groups_claim: str | None,
    group_roles: tuple[str, ...],
    clear_group_roles: bool,
    create_users: bool | None,
    mail_link: bool | None,
    now: datetime | None,
) -> None:
    """Set an organisation's sign-in settings; options not given stay as they are."""
    session = get_session()
    organisation = _organisation(session, organisation_key)
    secret = sys.stdin.readline().strip() if client_secret_stdin else None
    try:
        row = configure(
            session,
            organisation=organisation,
            now=resolve_now(now),
            actor="cli",
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            email_claim=email_claim,
            groups_claim=groups_claim,
            group_roles={} if clear_group_roles else _group_roles(group_roles),
            create_users=create_users,
            mail_link=mail_link,
        )
    except SsoError as error:
        raise click.UsageError(str(error)) from None
    session.commit()
    _show(organisation, row)


def _show(organisation: Organisation, row: OrganisationSignIn | None) -> None:
    click.echo(f"{organisation.slug} ({organisation.name})")
    if row is None or not has_sso(row):
        click.echo("  single sign-on: off")
    else:
        click.echo(f"  issuer: {row.issuer}")
        click.echo(f"  client id: {row.client_id}")
        click.echo(f"  client secret: {secret_source(row, organisation)} ({secret_variable(organisation)} wins)")
        click.echo(f"  e-mail claim: {row.email_claim}")
        mapping = ", ".join(f"{g}={r}" for g, r in sorted((row.group_roles or {}).items())) or "none"
        click.echo(f"  groups claim: {row.groups_claim or 'none'}; mapping: {mapping}")
        click.echo(f"  just-in-time users: {'on' if row.create_users else 'off'}")
    click.echo(f"  mailed link: {'on' if row is None or row.mail_link else 'off'}")


@sso_group.command("show")
@click.argument("organisation_key", required=False)
@with_appcontext
def show_command(organisation_key: str | None) -> None:
    """Show sign-in settings (never the client secret itself)."""
    session = get_session()
    if organisation_key:
        organisations = [_organisation(session, organisation_key)]
    else:
        organisations = list(session.exec(select(Organisation).order_by(Organisation.slug)).all())
    for organisation in organisations:
        assert organisation.id is not None
        _show(organisation, settings_for(session, organisation.id))
