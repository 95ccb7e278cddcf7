"""Demo data for `bot dev` and `bot demo`: three municipalities on one instance, their staff, suppliers and registers.

Gemeente Voorbeeldstad has the full register; Rivierdal and Heidedorp also have contracts with two of its
suppliers for the same services, so those suppliers answer BIO2 once for all three (a shared declaration, see
bot/sharing.py) and each municipality judges and escalates on its own.

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
from bot.staff.users import add_sector_user, create_staff_user, find_sector_user
from bot.timeutil import utcnow

DEMO_REGISTER = Path(__file__).parent / "demo_data" / "register.csv"
DEMO_ORGANISATION = "Gemeente Voorbeeldstad"
DEMO_STAFF = [
    (DEMO_ORGANISATION, "ciso@voorbeeldstad.example", "Carla Smit", Role.CISO),
    (DEMO_ORGANISATION, "beheer@voorbeeldstad.example", "Ruben Bakker", Role.ADMIN),
    ("Gemeente Rivierdal", "ciso@rivierdal.example", "Youssef Amrani", Role.CISO),
    ("Gemeente Heidedorp", "ciso@heidedorp.example", "Ineke Postma", Role.CISO),
]
# The sector view's account (no municipality): with three municipalities it shows that too few contribute.
DEMO_SECTOR_USER = ("analist@sector.example", "Sanne de Wit")


def seed_demo(app: Flask) -> list[str]:
    """Create the demo organisation, staff, register and last quarter's history; safe to run again.

    Returns what it did.
    """
    now = utcnow()
    with Session(app.extensions["engine"], expire_on_commit=False) as session:
        report = import_register(session, data=DEMO_REGISTER.read_bytes(), now=now, actor="demo", source="demo")
        for organisation_name, email, name, role in DEMO_STAFF:
            org = session.exec(select(Organisation).where(Organisation.name == organisation_name)).one()
            exists = session.exec(
                select(StaffUser).where(StaffUser.organisation_id == org.id, StaffUser.email == email)
            ).first()
            if exists is None:
                assert org.id is not None
                create_staff_user(
                    session, organisation_id=org.id, email=email, name=name, role=role, now=now, actor="demo"
                )
        if find_sector_user(session, email=DEMO_SECTOR_USER[0]) is None:
            add_sector_user(session, email=DEMO_SECTOR_USER[0], name=DEMO_SECTOR_USER[1], now=now, actor="demo")
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
    addresses = [email for _, email, _, _ in DEMO_STAFF] + [DEMO_SECTOR_USER[0]]
    click.echo("Demo data is in place. Staff sign-in addresses: " + ", ".join(addresses) + ".")
