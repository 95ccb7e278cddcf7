"""Demo data for `bot dev` and `bot demo`: one municipality, its staff, suppliers and contract register.

The register goes through the real import (a Dutch Excel export in `demo_data/register.csv`), so the demo shows the
journey a municipality takes. Running it again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from bot import migrate
from bot.demo_history import rehearse_last_quarter
from bot.models import Organisation, Role, StaffUser, Uitvraag
from bot.register import import_register
from bot.staff.users import create_staff_user
from bot.timeutil import utcnow

DEMO_REGISTER = Path(__file__).parent / "demo_data" / "register.csv"
DEMO_ORGANISATION = "Gemeente Voorbeeldstad"
DEMO_STAFF = [
    ("ciso@voorbeeldstad.example", "Carla Smit", Role.CISO),
    ("beheer@voorbeeldstad.example", "Ruben Bakker", Role.ADMIN),
]


def seed_demo(app: Flask) -> list[str]:
    """Create the demo organisation, staff, register and last quarter's history; safe to run again.

    Returns what it did.
    """
    now = utcnow()
    with Session(app.extensions["engine"], expire_on_commit=False) as session:
        report = import_register(session, data=DEMO_REGISTER.read_bytes(), now=now, actor="demo", source="demo")
        org = session.exec(select(Organisation).where(Organisation.name == DEMO_ORGANISATION)).one()
        for email, name, role in DEMO_STAFF:
            exists = session.exec(
                select(StaffUser).where(StaffUser.organisation_id == org.id, StaffUser.email == email)
            ).first()
            if exists is None:
                assert org.id is not None
                create_staff_user(
                    session, organisation_id=org.id, email=email, name=name, role=role, now=now, actor="demo"
                )
        session.commit()
        has_history = session.exec(select(Uitvraag.id).limit(1)).first() is not None
    done = [report.summary()]
    if not has_history:
        rehearse_last_quarter(app, now)
        done.append("Last quarter rehearsed: invitations, answers, findings, reminders and escalations.")
    return done


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create or refresh the demo organisation, staff, contract register and last quarter's history."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    for line in seed_demo(current_app):
        click.echo(line)
    click.echo("Demo data is in place. Staff sign-in addresses: " + ", ".join(e for e, _, _ in DEMO_STAFF) + ".")
