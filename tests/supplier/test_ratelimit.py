"""Rate limits live in the database, so all web instances count together."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from sqlmodel import Session

from bot.ratelimit import count, exceeded, hit, window_start
from bot.timeutil import utcnow
from tests.support.factories import make_uitvraag


def test_hits_count_per_key_and_window(session):
    now = utcnow()
    assert [hit(session, key="k", limit=3, window_seconds=60, now=now) for _ in range(4)] == [True, True, True, False]
    assert exceeded(session, key="k", limit=3, window_seconds=60, now=now)
    assert not exceeded(session, key="other", limit=3, window_seconds=60, now=now)
    later = window_start(now, 60) + timedelta(seconds=60)
    assert count(session, key="k", window_seconds=60, now=later) == 0
    assert hit(session, key="k", limit=3, window_seconds=60, now=later)
    session.commit()


def test_concurrent_hits_from_several_instances_are_all_counted(app):
    now = utcnow()
    engine = app.extensions["engine"]

    def instance():
        for _ in range(10):
            with Session(engine) as session:
                hit(session, key="shared", limit=1000, window_seconds=600, now=now)
                session.commit()

    threads = [threading.Thread(target=instance) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        assert count(session, key="shared", window_seconds=600, now=now) == 40


def test_guessing_links_over_http_ends_in_a_429_page_but_valid_links_still_open(client, session):
    made = make_uitvraag(session)
    for _ in range(30):
        assert client.get(f"/q/{secrets.token_urlsafe(32)}").status_code == 404
    response = client.get(f"/q/{secrets.token_urlsafe(32)}")
    assert response.status_code == 429 and "Te veel pogingen" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "600"
    api = client.get("/api/v1/uitvraag", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
    assert api.status_code == 429
    # F9: the lock-out refuses only unknown tokens; a real supplier behind the same address gets in.
    assert client.get(f"/q/{made.token}").status_code == 303
    assert client.get("/api/v1/uitvraag", headers={"Authorization": f"Bearer {made.token}"}).status_code == 200


def test_behind_a_trusted_proxy_guesses_count_per_real_client(app_config, session, tmp_path):
    import os

    from bot import create_app

    os.environ["BOT_INSTANCE_PATH"] = str(tmp_path / "proxied")
    proxied = create_app(dict(app_config, TRUSTED_PROXIES=1))
    client = proxied.test_client()
    made = make_uitvraag(session)
    for _ in range(30):
        client.get(f"/q/{secrets.token_urlsafe(32)}", headers={"X-Forwarded-For": "203.0.113.9"})
    unknown = secrets.token_urlsafe(32)
    assert client.get(f"/q/{unknown}", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert client.get(f"/q/{unknown}", headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 404
    assert client.get(f"/q/{made.token}", headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 303
    proxied.extensions["engine"].dispose()
