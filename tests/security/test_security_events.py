"""F11: refused tokens and sign-in links, rate limits, role refusals, sign-in and sign-out leave a security event:
a log line and an audit row with the client address, never the token, listed for the instance administrator."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.access import revoke_tokens
from bot.models import AccessToken, AuditLog, OutboxMessage, Uitvraag
from bot.staff.signin import request_signin_links
from bot.timeutil import utcnow
from tests.staff.world import build_world, sign_in
from tests.support.factories import make_uitvraag
from tests.support.mail import TEST_SECRET_KEY, sent_text

CLIENT = "203.0.113.7"


def events(session) -> list[tuple[str, str, str | None, int | None, str]]:
    session.expire_all()
    rows = session.exec(
        select(AuditLog).where(AuditLog.action.startswith("security.")).order_by(AuditLog.id)  # type: ignore[union-attr]
    ).all()
    session.commit()
    return [
        (r.action.removeprefix("security."), r.detail["client"], r.detail.get("route"), r.organisation_id, r.actor)
        for r in rows
    ]


def from_client(client):
    client.environ_base["REMOTE_ADDR"] = CLIENT
    return client


def test_unknown_expired_and_revoked_supplier_tokens_are_events_without_the_token(client, session, caplog):
    caplog.set_level(logging.WARNING, logger="bot.security")
    from_client(client)
    expired = make_uitvraag(session, supplier_name="Verlopen BV")
    row = session.exec(select(AccessToken).where(AccessToken.uitvraag_id == expired.id)).one()
    row.expires_at = utcnow() - timedelta(days=400)
    session.add(row)
    revoked = make_uitvraag(session, supplier_name="Ingetrokken BV")
    revoke_tokens(session, uitvraag=session.get(Uitvraag, revoked.id), now=utcnow())
    session.commit()
    unknown = secrets.token_urlsafe(32)

    assert client.get(f"/q/{unknown}").status_code == 404
    assert client.get(f"/q/{expired.token}").status_code == 410
    assert client.get(f"/q/{revoked.token}").status_code == 403
    api = client.get("/api/v1/uitvraag", headers={"Authorization": f"Bearer {unknown}"})
    assert api.status_code == 401

    found = events(session)
    assert [(kind, address) for kind, address, *_ in found] == [
        ("token-unknown", CLIENT),
        ("token-expired", CLIENT),
        ("token-revoked", CLIENT),
        ("token-unknown", CLIENT),
    ]
    assert found[0][2] == "/q/<token>"  # the route, not the path that holds the token
    stored = repr(session.exec(select(AuditLog.detail, AuditLog.actor)).all()) + caplog.text
    for token in (unknown, expired.token, revoked.token):
        assert token not in stored
    assert f"security event token-revoked from {CLIENT} on /q/" in caplog.text


def test_used_and_unknown_sign_in_links_sign_in_and_sign_out_are_events(app, client, session, tmp_path: Path):
    now = utcnow().replace(microsecond=0)
    world = build_world(session, now=now, upload_dir=tmp_path)
    from_client(client)
    request_signin_links(
        session, email=world.ciso.email, now=now, base_url="http://localhost", minutes=15, secret_key=TEST_SECRET_KEY
    )
    session.commit()
    (mail,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all()
    token = re.search(r"/staff/signin/([A-Za-z0-9_-]{43})", sent_text(mail)).group(1)
    session.commit()

    assert client.post(f"/staff/signin/{token}").status_code == 302
    assert client.post("/staff/signout").status_code == 200
    assert client.post(f"/staff/signin/{token}").status_code == 404  # used up
    assert client.get(f"/staff/signin/{secrets.token_urlsafe(32)}").status_code == 404

    org, actor = world.organisation.id, f"staff:{world.ciso.email}"
    assert events(session) == [
        ("signed-in", CLIENT, "/staff/signin/<token>", org, actor),
        ("signed-out", CLIENT, "/staff/signout", org, actor),
        ("signin-link-used", CLIENT, "/staff/signin/<token>", None, f"client:{CLIENT}"),
        ("signin-link-unknown", CLIENT, "/staff/signin/<token>", None, f"client:{CLIENT}"),
    ]
    assert token not in repr(session.exec(select(AuditLog.detail, AuditLog.actor)).all())


def test_a_role_refusal_and_a_rate_limit_are_events(app, client, session, tmp_path: Path):
    now = utcnow().replace(microsecond=0)
    world = build_world(session, now=now, upload_dir=tmp_path)
    from_client(client)
    sign_in(client, world.manager, now)
    assert client.get("/staff/admin/users").status_code == 403
    client.post("/staff/signout")
    for _ in range(31):
        last = client.get(f"/staff/signin/{secrets.token_urlsafe(32)}")
    assert last.status_code == 429

    found = events(session)
    assert found[0] == (
        "forbidden",
        CLIENT,
        "/staff/admin/users",
        world.organisation.id,
        f"staff:{world.manager.email}",
    )
    assert found[-1] == ("rate-limited", CLIENT, "/staff/signin/<token>", None, f"client:{CLIENT}")
    assert [kind for kind, *_ in found].count("signin-link-unknown") == 30


def test_the_instance_administrator_lists_every_organisations_events(app, client, session):
    from_client(client)
    client.get(f"/q/{secrets.token_urlsafe(32)}")
    output = app.test_cli_runner().invoke(args=["security-events"]).output
    assert re.search(rf"token-unknown client {re.escape(CLIENT)} /q/<token> no organisation client:{CLIENT}", output)
    since = (utcnow() + timedelta(days=1)).date().isoformat()
    assert app.test_cli_runner().invoke(args=["security-events", "--since", since]).output == "No security events.\n"
