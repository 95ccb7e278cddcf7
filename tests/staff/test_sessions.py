"""F4: a staff session ends on the server: sign-out and deactivation end every session of that user, a copied
cookie included, and a session left alone for STAFF_IDLE_MINUTES ends too."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import AuditLog
from tests.staff.world import sign_in

COOKIE = "bot_session"


def _copy_cookie(source, target) -> None:
    cookie = source.get_cookie(COOKIE)
    assert cookie is not None
    target.set_cookie(COOKIE, cookie.value)


def test_sign_out_ends_a_copied_cookie_and_the_users_other_sessions(app, client, session, world, now):
    sign_in(client, world.ciso, now)
    assert client.get("/staff/").status_code == 200
    thief, laptop = app.test_client(), app.test_client()
    _copy_cookie(client, thief)
    sign_in(laptop, world.ciso, now)  # the same person, signed in on a second device
    assert thief.get("/staff/").status_code == 200 and laptop.get("/staff/").status_code == 200

    assert client.post("/staff/signout").status_code == 200

    for other in (client, thief, laptop):
        response = other.get("/staff/")
        assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]
    assert session.exec(select(AuditLog).where(AuditLog.action == "staff.signed-out")).one().subject_id == world.ciso.id


def test_deactivation_ends_the_sessions_for_good_even_after_reactivation(app, client, session, world, now):
    from bot.staff.users import deactivate_staff_user, ensure_staff_user  # bot.cli registers it: import after the app

    sign_in(client, world.manager, now)
    assert client.get("/staff/").status_code == 200
    deactivate_staff_user(session, organisation=world.organisation, user=world.manager, now=now, actor="cli")
    session.commit()
    ensure_staff_user(
        session, organisation=world.organisation, email=world.manager.email, role=world.manager.role, now=now
    )
    session.commit()

    assert client.get("/staff/").status_code == 302  # the old cookie does not come back to life
    sign_in(client, world.manager, now)  # a new sign-in works
    assert client.get("/staff/").status_code == 200


def test_a_session_left_idle_ends(app, client, world, now):
    idle = app.config["STAFF_IDLE_MINUTES"]
    sign_in(client, world.ciso, now - timedelta(minutes=idle + 5), seen=now - timedelta(minutes=idle - 1))
    assert client.get("/staff/").status_code == 200  # used within the idle time: still on, and seen again now
    assert client.get("/staff/").status_code == 200

    sign_in(client, world.ciso, now - timedelta(minutes=idle + 5), seen=now - timedelta(minutes=idle, seconds=1))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]


def test_the_session_cookie_has_its_own_name(client, world, now):
    sign_in(client, world.ciso, now)
    client.get("/staff/")
    assert client.get_cookie(COOKIE) is not None and client.get_cookie("session") is None
