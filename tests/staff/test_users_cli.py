"""`bot user add` makes staff users; the register import uses the same function for contract managers."""

from __future__ import annotations

from sqlmodel import select

from bot.models import AuditLog, StaffUser
from tests.support.factories import make_organisation, make_staff


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
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
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


def test_user_role_changes_the_role_and_audits_it(runner, session):
    organisation = make_organisation(session, "Gemeente Testdorp")
    make_staff(session, organisation=organisation, email="a@testdorp.nl", role="admin")
    make_staff(session, organisation=organisation, email="olga@testdorp.nl", role="contract-manager")
    result = runner.invoke(args=["user", "role", "Olga@testdorp.nl", "ciso", "--organisation", "testdorp"])
    assert result.exit_code == 0, result.output
    assert "olga@testdorp.nl of Gemeente Testdorp is now ciso." in result.output
    again = runner.invoke(args=["user", "role", "olga@testdorp.nl", "ciso", "--organisation", "testdorp"])
    assert "is already ciso." in again.output
    session.expire_all()
    olga = session.exec(select(StaffUser).where(StaffUser.email == "olga@testdorp.nl")).one()
    assert olga.role == "ciso"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "staff.user-role-changed")).all()
    assert [(a.subject_id, a.detail) for a in audit] == [
        (olga.id, {"email": "olga@testdorp.nl", "from": "contract-manager", "to": "ciso"})
    ]


def test_the_last_active_admin_keeps_the_admin_role(runner, session):
    organisation = make_organisation(session, "Gemeente Testdorp")
    make_staff(session, organisation=organisation, email="a@testdorp.nl", role="admin")
    inactive = make_staff(session, organisation=organisation, email="b@testdorp.nl", role="admin")
    inactive.active = False
    session.commit()
    for args in (["role", "a@testdorp.nl", "ciso"], ["deactivate", "a@testdorp.nl"]):
        result = runner.invoke(args=["user", *args, "--organisation", "testdorp"])
        assert result.exit_code == 2
        assert "a@testdorp.nl is the last active admin of Gemeente Testdorp" in result.output
    result = runner.invoke(args=["user", "role", "nobody@testdorp.nl", "ciso", "--organisation", "testdorp"])
    assert result.exit_code == 2 and "no staff user 'nobody@testdorp.nl' in Gemeente Testdorp" in result.output
    session.expire_all()
    assert [(u.email, u.role, u.active) for u in session.exec(select(StaffUser).order_by(StaffUser.email))] == [
        ("a@testdorp.nl", "admin", True),
        ("b@testdorp.nl", "admin", False),
    ]
    # Only the two users' creation is in the log: the refused changes wrote nothing.
    assert session.exec(select(AuditLog.action).order_by(AuditLog.id)).all() == ["staff.user-added"] * 2
