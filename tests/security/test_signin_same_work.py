"""F5: asking for a sign-in link does the same work for an address with an account and one without, so the answer's
timing tells nobody who has an account; the worker mails the link within seconds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import event
from sqlmodel import select

from bot.cycles.worker import signin_tick, tick
from bot.models import OutboxMessage, SignInRequest
from bot.timeutil import utcnow
from tests.staff.world import build_world


def statements_of(app, client, email: str, address: str) -> list[str]:
    """Every SQL statement the sign-in page runs for this request (values left out: they name the address)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _many):
        seen.append(statement)

    engine = app.extensions["engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.post("/staff/signin", data={"email": email}, environ_base={"REMOTE_ADDR": address})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return seen


def test_a_known_and_an_unknown_address_run_the_same_statements(app, client, session, tmp_path: Path):
    world = build_world(session, now=utcnow().replace(microsecond=0), upload_dir=tmp_path)
    session.commit()
    known = statements_of(app, client, world.ciso.email, "198.51.100.1")
    unknown = statements_of(app, client, "niemand@testdorp.nl", "198.51.100.2")
    assert known == unknown
    assert not any("staffuser" in statement.lower() for statement in known)  # nobody is looked up in the request
    session.expire_all()
    assert sorted(session.exec(select(SignInRequest.email)).all()) == [world.ciso.email, "niemand@testdorp.nl"]
    assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all() == []
    session.commit()


def test_the_worker_mails_the_link_at_once_and_keeps_no_address(app, client, session, smtp_server, tmp_path: Path):
    world = build_world(session, now=utcnow().replace(microsecond=0), upload_dir=tmp_path)
    session.commit()
    client.post("/staff/signin", data={"email": world.ciso.email})
    client.post("/staff/signin", data={"email": "niemand@testdorp.nl"})
    config = dict(app.config, MAIL_URL=smtp_server.url)
    assert signin_tick(engine=app.extensions["engine"], config=config, now=utcnow()) == 2
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == world.ciso.email and "/staff/signin/" in mail.get_body(("plain",)).get_content()
    session.expire_all()
    assert session.exec(select(SignInRequest)).all() == []  # resolved requests are removed, addresses and all
    (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all()
    assert row.sent_at is not None
    session.commit()


def test_a_request_older_than_a_links_lifetime_is_dropped_without_mail(app, client, session, tmp_path: Path):
    world = build_world(session, now=utcnow().replace(microsecond=0), upload_dir=tmp_path)
    session.commit()
    client.post("/staff/signin", data={"email": world.ciso.email})
    later = utcnow() + timedelta(minutes=app.config["SIGNIN_LINK_MINUTES"], seconds=1)
    tick(engine=app.extensions["engine"], config=app.config, now=later)  # the worker was down for a while
    session.expire_all()
    assert session.exec(select(SignInRequest)).all() == []
    assert session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all() == []
    session.commit()
