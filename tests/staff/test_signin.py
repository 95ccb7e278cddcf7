"""Staff sign in with a one-time link from their mail: single use, short-lived, rate-limited, no enumeration."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlmodel import select

from bot.models import AuditLog, OutboxMessage, SignInToken
from bot.staff.signin import SignInState, check_signin_token, redeem_signin_token, request_signin_links
from tests.staff.world import sign_in
from tests.support.factories import make_organisation, make_staff
from tests.support.mail import TEST_SECRET_KEY, mail_signin_requests, sent_text

LINK = re.compile(r"http://localhost/staff/signin/([A-Za-z0-9_-]{43})")


def mailed_links(session, to):
    mail_signin_requests(session)
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "signin-link", OutboxMessage.to_addr == to)
        .order_by(OutboxMessage.id)
    ).all()
    session.commit()  # SQLite: end the read transaction before the app writes
    return [LINK.search(sent_text(row)).group(1) for row in rows]


def test_known_and_unknown_addresses_get_the_same_answer(client, session, world):
    known = client.post("/staff/signin", data={"email": "Ciso@Testdorp.nl "})
    unknown = client.post("/staff/signin", data={"email": "nobody@testdorp.nl"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert len(mailed_links(session, "ciso@testdorp.nl")) == 1
    assert mailed_links(session, "nobody@testdorp.nl") == []


def test_the_link_signs_in_once_and_a_get_does_not_use_it(client, session, world):
    client.post("/staff/signin", data={"email": "olga@testdorp.nl"})
    (token,) = mailed_links(session, "olga@testdorp.nl")
    # A mail scanner following the link only sees a button.
    for _ in range(2):
        page = client.get(f"/staff/signin/{token}")
        assert page.status_code == 200 and "Bevestig dat u zich wilt aanmelden" in page.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    response = client.post(f"/staff/signin/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/")
    assert "Wolk Hosting BV" in client.get("/staff/").get_data(as_text=True)
    # Used up: a second POST (another browser, or the same) is refused.
    other = client.application.test_client()
    again = other.post(f"/staff/signin/{token}")
    assert again.status_code == 404 and "al gebruikt" in again.get_data(as_text=True)
    assert other.get("/staff/").status_code == 302
    actions = session.exec(select(AuditLog.action).where(AuditLog.actor == "staff:olga@testdorp.nl")).all()
    assert "staff.signed-in" in actions


def test_links_expire_after_the_configured_minutes(session, world, now):
    request_signin_links(
        session, email="ciso@testdorp.nl", now=now, base_url="http://localhost", minutes=15, secret_key=TEST_SECRET_KEY
    )
    session.commit()
    (token,) = mailed_links(session, "ciso@testdorp.nl")
    assert check_signin_token(session, token, now=now + timedelta(minutes=14, seconds=59)).ok
    late = redeem_signin_token(session, token, now=now + timedelta(minutes=15))
    assert late.state is SignInState.EXPIRED
    row = session.exec(select(SignInToken)).one()
    assert row.used_at is None
    session.commit()


def test_ten_thousand_random_links_are_refused(client, session, world, now):
    request_signin_links(
        session, email="ciso@testdorp.nl", now=now, base_url="http://localhost", minutes=15, secret_key=TEST_SECRET_KEY
    )
    session.commit()
    for _ in range(10_000):
        guess = secrets.token_urlsafe(32)
        assert check_signin_token(session, guess, now=now).state is SignInState.UNKNOWN
    # Malformed ones too, without touching the database.
    for guess in ("", "x", "a" * 42, "a" * 44, "../../etc/passwd", "<script>", "a" * 10_000):
        assert check_signin_token(session, guess, now=now).state is SignInState.UNKNOWN
    session.commit()  # SQLite: end the read transaction before the app writes
    # A sample over HTTP: never a session; after 30 tries from one client, 429.
    statuses = set()
    for _ in range(40):
        response = client.post(f"/staff/signin/{secrets.token_urlsafe(32)}")
        statuses.add(response.status_code)
        assert "Set-Cookie" not in response.headers or "staff_user_id" not in response.headers["Set-Cookie"]
    assert statuses == {404, 429}
    assert client.get("/staff/").status_code == 302


def test_requests_for_one_address_are_limited_without_locking_the_person_out(app, client, session, world):
    # F9: past the limit the same page answers, but no more mail goes out; the person named is not locked out.
    pages = [client.post("/staff/signin", data={"email": "ciso@testdorp.nl"}) for _ in range(8)]
    assert [page.status_code for page in pages] == [200] * 8
    assert len({page.get_data(as_text=True) for page in pages}) == 1
    tokens = mailed_links(session, "ciso@testdorp.nl")
    assert len(tokens) == 5
    session.commit()
    assert app.test_client().post(f"/staff/signin/{tokens[-1]}").status_code == 302  # she signs in all the same


def test_an_address_of_two_organisations_gets_a_link_for_each(client, session, world):
    elsewhere = make_organisation(session, "Gemeente Buurdorp")
    make_staff(session, organisation=elsewhere, email="ciso@testdorp.nl", role="admin")
    client.post("/staff/signin", data={"email": "ciso@testdorp.nl"})
    tokens = mailed_links(session, "ciso@testdorp.nl")
    assert len(tokens) == 2
    bodies = session.exec(select(OutboxMessage.subject).where(OutboxMessage.kind == "signin-link")).all()
    session.commit()
    assert any("Buurdorp" in s for s in bodies) and any("Testdorp" in s for s in bodies)
    assert client.post(f"/staff/signin/{tokens[1]}").status_code == 302  # the Buurdorp link (second organisation)
    page = client.get("/staff/").get_data(as_text=True)
    assert "nog geen uitvragen" in page and "Wolk Hosting BV" not in page


def test_a_deactivated_user_gets_no_link_and_loses_the_session(client, session, world, now):
    sign_in(client, world.manager, now)
    assert client.get("/staff/").status_code == 200
    world.manager.active = False
    session.add(world.manager)
    session.commit()
    assert client.get("/staff/").status_code == 302
    client.post("/staff/signin", data={"email": "olga@testdorp.nl"})
    assert mailed_links(session, "olga@testdorp.nl") == []


def test_sessions_expire_and_sign_out_ends_them(client, app, world, now):
    hours = app.config["STAFF_SESSION_HOURS"]
    sign_in(client, world.ciso, now - timedelta(hours=hours, seconds=1))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]
    sign_in(client, world.ciso, now - timedelta(hours=hours - 1), seen=now)
    assert client.get("/staff/").status_code == 200
    out = client.post("/staff/signout")
    assert "U bent afgemeld" in out.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_every_post_needs_the_csrf_token(app_config, session, world, now):
    from bot import create_app

    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    assert client.post("/staff/signin", data={"email": "ciso@testdorp.nl"}).status_code == 400
    sign_in(client, world.ciso, now)
    before = world.uitvraag.status
    assert client.post(f"/staff/uitvragen/{world.uitvraag.id}/review").status_code == 400
    session.refresh(world.uitvraag)
    assert world.uitvraag.status == before
    session.commit()
    # With the token from the page, the same form works.
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/staff/uitvragen/{world.uitvraag.id}/review", data={"csrf_token": token}).status_code == 302
    session.refresh(world.uitvraag)
    assert world.uitvraag.status == "reviewed"
    app.extensions["engine"].dispose()


def test_sign_in_page_speaks_english_on_request(client):
    page = client.get("/staff/signin?lang=en").get_data(as_text=True)
    assert "Send me a sign-in link" in page and 'lang="en"' in page


def test_after_signing_in_the_owner_lands_where_the_escalation_mail_pointed(client, session, world):
    target = f"/staff/uitvragen/{world.uitvraag.id}"
    assert client.get(target).headers["Location"].endswith("/staff/signin")
    client.post("/staff/signin", data={"email": "olga@testdorp.nl"})
    (token,) = mailed_links(session, "olga@testdorp.nl")
    response = client.post(f"/staff/signin/{token}")
    assert response.headers["Location"].endswith(target)
