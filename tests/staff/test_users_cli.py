"""`bot user add` makes staff users; the register import uses the same function for contract managers."""

from __future__ import annotations

from sqlmodel import select

from bot.models import AuditLog, StaffUser
from tests.factories import make_organisation


def test_user_add_creates_then_updates(runner, session):
    make_organisation(session, "Gemeente Testdorp")
    result = runner.invoke(
        args=[
            "user",
            "add",
            "Olga@Testdorp.nl",
            "--organisation",
            "testdorp",
            "--role",
            "contract-manager",
            "--name",
            "Olga Eigenaar",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Added olga@testdorp.nl as contract-manager of Gemeente Testdorp." in result.output
    result = runner.invoke(
        args=["user", "add", "olga@testdorp.nl", "--organisation", "Gemeente Testdorp", "--role", "ciso"]
    )
    assert result.exit_code == 0 and "Updated" in result.output
    users = session.exec(select(StaffUser)).all()
    assert [(u.email, u.role, u.name) for u in users] == [("olga@testdorp.nl", "ciso", "Olga Eigenaar")]
    actions = session.exec(select(AuditLog.action)).all()
    assert actions == ["staff.user-added", "staff.user-updated"]
    session.commit()  # SQLite: end the read transaction before the command writes
    listing = runner.invoke(args=["user", "list"])
    assert "testdorp\tolga@testdorp.nl\tciso" in listing.output
    assert runner.invoke(args=["user", "deactivate", "olga@testdorp.nl", "--organisation", "testdorp"]).exit_code == 0
    session.expire_all()
    assert session.exec(select(StaffUser)).one().active is False


def test_user_add_names_what_is_wrong(runner, session):
    make_organisation(session, "Gemeente Testdorp")
    session.commit()
    result = runner.invoke(args=["user", "add", "x@y.nl", "--organisation", "nowhere", "--role", "ciso"])
    assert result.exit_code == 2 and "--organisation: no organisation 'nowhere' (known: testdorp)" in result.output
    result = runner.invoke(args=["user", "add", "not-an-address", "--organisation", "testdorp", "--role", "ciso"])
    assert result.exit_code == 2 and "'not-an-address' is not an e-mail address" in result.output
    result = runner.invoke(args=["user", "add", "x@y.nl", "--organisation", "testdorp", "--role", "boss"])
    assert result.exit_code == 2 and "boss" in result.output
