"""Single sign-on settings per organisation: `bot sso set|show`, the secret never shown back, and the mailed-link
switch honoured by the sign-in page and the sign-in mail."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import AuditLog, OrganisationSignIn, OutboxMessage
from bot.staff.sso import SsoError, configure, mapped_role
from tests.support.mail import mail_signin_requests

SECRET = "a-client-secret-nobody-may-read"


def test_cli_sets_and_shows_settings_but_never_the_secret(runner, session, world, monkeypatch):
    result = runner.invoke(
        args=[
            "sso", "set", "testdorp", "--issuer", "https://idp.testdorp.nl/tenant/v2.0/", "--client-id", "bot-app",
            "--client-secret-stdin", "--email-claim", "preferred_username", "--groups-claim", "groups",
            "--group-role", "g-1=admin", "--group-role", "g-2=ciso", "--create-users", "--no-mail-link",
        ],
        input=SECRET + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "client secret: database" in result.output
    row = session.exec(select(OrganisationSignIn)).one()
    assert (row.issuer, row.client_id, row.client_secret) == ("https://idp.testdorp.nl/tenant/v2.0", "bot-app", SECRET)
    assert (row.email_claim, row.group_roles, row.create_users, row.mail_link) == (
        "preferred_username",
        {"g-1": "admin", "g-2": "ciso"},
        True,
        False,
    )
    audit = session.exec(select(AuditLog).where(AuditLog.action == "organisation.sign-in-configured")).one()
    assert SECRET not in str(audit.detail) and audit.detail["client_secret"] == "changed"
    session.commit()
    monkeypatch.setenv("OIDC_CLIENT_SECRET_TESTDORP", "from-the-environment")
    shown = runner.invoke(args=["sso", "show", "testdorp"])
    assert "client secret: environment" in shown.output
    assert SECRET not in shown.output and "from-the-environment" not in shown.output


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": "http://idp.testdorp.nl", "client_id": "x"}, "issuer must be an https:// URL"),
        ({"issuer": "https://idp.testdorp.nl"}, "issuer and client id go together"),
        ({"mail_link": False}, "only be switched off when single sign-on is configured"),
        ({"group_roles": {"g": "boss"}}, "group 'g': role must be one of"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_the_reason(session, world, now, changes, message):
    with pytest.raises(SsoError, match=message):
        configure(session, organisation=world.organisation, now=now, actor="test", **changes)


def test_the_most_far_reaching_mapped_role_wins(session, world, now):
    row = configure(
        session,
        organisation=world.organisation,
        now=now,
        actor="test",
        groups_claim="roles",
        group_roles={"readers": "contract-manager", "security": "ciso"},
    )
    assert mapped_role(row, {"roles": ["readers", "security", "other"]}) == "ciso"
    assert mapped_role(row, {"roles": "readers"}) == "contract-manager"
    assert mapped_role(row, {"roles": ["other"]}) is None
    assert mapped_role(row, {}) is None


def test_with_the_mailed_link_switched_off_no_link_is_sent_and_the_form_is_gone(client, session, world, other, now):
    configure(
        session,
        organisation=world.organisation,
        now=now,
        actor="test",
        issuer="https://idp.testdorp.nl",
        client_id="bot-app",
        mail_link=False,
    )
    session.commit()
    page = client.get("/staff/signin").get_data(as_text=True)
    assert "Aanmelden bij Gemeente Testdorp" in page
    assert 'name="email"' in page  # Anderdorp still signs in by mailed link
    client.post("/staff/signin", data={"email": "olga@testdorp.nl"})
    client.post("/staff/signin", data={"email": "olga@anderdorp.nl"})
    mail_signin_requests(session)
    sent = session.exec(select(OutboxMessage.to_addr).where(OutboxMessage.kind == "signin-link")).all()
    assert sent == ["olga@anderdorp.nl"]
    session.commit()
    configure(session, organisation=other.organisation, now=now, actor="test", issuer="https://idp.anderdorp.nl",
              client_id="bot-app", mail_link=False)  # fmt: skip
    session.commit()
    assert 'name="email"' not in client.get("/staff/signin").get_data(as_text=True)
