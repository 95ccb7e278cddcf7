"""Hardening: headers on every route, CSRF, isolation between uitvragen, hostile input, no tokens in logs."""

from __future__ import annotations

import io
import logging
import re

import pytest
from sqlmodel import select

from bot.models import Answer, Submission
from bot.text import strip_bidi
from tests.supplier.helpers import rows
from tests.support.factories import make_uitvraag

ATTESTATION = {"name": "Sam", "role": "CISO", "email": "sam@leverancier.test", "truthful": "yes"}


def example_path(rule, ids):
    """A concrete URL for a URL rule, filling in its arguments."""
    path = rule.rule
    for name in rule.arguments:
        value = ids.get(name, "1")
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


def test_every_route_carries_the_security_headers(app, client, session):
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    ids = {"uitvraag_id": made.id, "section_id": "zekerheid", "token": made.token, "filename": "style.css"}
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = example_path(rule, ids)
            response = client.open(path, method=method, headers={"X-Forwarded-Proto": "https"})
            headers = response.headers
            # /readyz/worker answers 503 by design here: no worker has ticked.
            assert response.status_code < 500 or path == "/readyz/worker", (method, path)
            assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), (method, path)
            assert "'unsafe-inline'" not in headers["Content-Security-Policy"], (method, path)
            assert headers.get("X-Content-Type-Options") == "nosniff", (method, path)
            assert headers.get("Referrer-Policy") == "no-referrer", (method, path)
            assert headers.get("Strict-Transport-Security", "").startswith("max-age="), (method, path)
            if response.mimetype == "text/html" or path.startswith(("/q/", "/api/v1/uitvraag")):
                assert "no-store" in headers.get("Cache-Control", ""), (method, path)
            checked += 1
    assert checked > 10
    # Plain HTTP (development) gets no HSTS.
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_the_session_cookie_is_httponly_and_samesite_lax_and_secure_in_production(app, client, session):
    made = make_uitvraag(session)
    cookie = client.get(f"/q/{made.token}").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from bot import create_app

    production = create_app(
        dict(
            app.config,
            BOT_ENV="production",
            BASE_URL="https://uitvraag.example",
            SECRET_KEY="Zq8vN3xK0pL7wR2tY5uB9cE4hJ6mA1sD-fG_iO",
        )
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    production.extensions["engine"].dispose()


def test_a_post_without_csrf_token_changes_nothing(app_config, app, session):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    response = client.post(
        f"/q/uitvraag/{made.id}/s/zekerheid", data={"present": ["has-iso"], "q-has-iso": "yes", "action": "save"}
    )
    assert response.status_code == 400 and "Uw formulier is verlopen" in response.get_data(as_text=True)
    response = client.post(f"/q/uitvraag/{made.id}/submit", data=ATTESTATION)
    assert response.status_code == 400
    assert rows(session, select(Answer)) == [] and rows(session, select(Submission)) == []
    # With the token from the page it works.
    page = client.get(f"/q/uitvraag/{made.id}/s/zekerheid").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/q/uitvraag/{made.id}/s/zekerheid",
        data={"csrf_token": csrf, "present": ["has-iso"], "q-has-iso": "yes", "action": "save"},
    )
    assert response.status_code == 303 and len(rows(session, select(Answer))) == 1


def test_a_token_of_uitvraag_a_never_reads_or_writes_b(client, session):
    a = make_uitvraag(session, supplier_name="Alfa BV")
    b = make_uitvraag(session, supplier_name="Beta BV", organisation_name="Gemeente Anders")
    client.get(f"/q/{a.token}")
    for path in ["", "/s/zekerheid", "/submit", "/receipt", "/receipt.json", "/evidence/1"]:
        response = client.get(f"/q/uitvraag/{b.id}{path}")
        assert response.status_code == 403, path
        assert "Beta BV" not in response.get_data(as_text=True)
    response = client.post(f"/q/uitvraag/{b.id}/s/zekerheid", data={"present": ["has-iso"], "q-has-iso": "no"})
    assert response.status_code == 403
    assert client.post(f"/q/uitvraag/{b.id}/submit", data=ATTESTATION).status_code == 403
    assert rows(session, select(Answer).where(Answer.uitvraag_id == b.id)) == []
    # The API answers for the token's own uitvraag only; there is no id to point elsewhere.
    body = client.get("/api/v1/uitvraag", headers={"Authorization": f"Bearer {a.token}"}).get_json()
    assert body["uitvraag"]["id"] == a.id and body["uitvraag"]["supplier"]["name"] == "Alfa BV"
    # A's evidence is not served through B's pages either, even with B's link opened.
    client.get(f"/q/{b.token}")
    client.post(f"/q/uitvraag/{a.id}/s/zekerheid", data={"present": ["has-iso"], "q-has-iso": "yes"})
    from tests.supplier.helpers import pdf_bytes

    client.post(
        f"/q/uitvraag/{a.id}/s/zekerheid",
        data={"present": [], "file-iso-certificate": (io.BytesIO(pdf_bytes()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert client.get(f"/q/uitvraag/{b.id}/evidence/1").status_code == 404
    assert client.get(f"/q/uitvraag/{a.id}/evidence/1").status_code == 200


def test_a_revoked_or_replaced_link_stops_working_for_an_open_session_too(client, session):
    from bot.access import issue_token, revoke_tokens
    from bot.timeutil import utcnow
    from tests.support.factories import GRACE_DAYS

    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    assert client.get(f"/q/uitvraag/{made.id}").status_code == 200
    newer = issue_token(session, uitvraag=made.uitvraag, now=utcnow(), grace_days=GRACE_DAYS)
    session.commit()
    response = client.get(f"/q/uitvraag/{made.id}")
    assert response.status_code == 410 and "Er is een nieuwere link" in response.get_data(as_text=True)
    assert "olga@gemeente.test" in response.get_data(as_text=True)
    assert client.get(f"/q/{made.token}").status_code == 410
    assert client.get(f"/q/{newer}").status_code == 303
    revoke_tokens(session, uitvraag=made.uitvraag, now=utcnow())
    session.commit()
    response = client.get(f"/q/uitvraag/{made.id}")
    assert response.status_code == 403 and "ingetrokken" in response.get_data(as_text=True)


def test_an_expired_link_gets_its_own_page(client, session):
    from datetime import timedelta

    from bot.timeutil import utcnow

    made = make_uitvraag(session, now=utcnow() - timedelta(days=60), deadline=utcnow() - timedelta(days=20))
    response = client.get(f"/q/{made.token}")
    assert response.status_code == 410 and "Deze link is verlopen" in response.get_data(as_text=True)
    assert "Olga Eigenaar" in response.get_data(as_text=True)


# Each hostile value with what the form does with it: 303 = saved (and shown escaped), 422 = refused with a message.
HOSTILE = [
    pytest.param("<script>alert('x')</script>", 303, None, id="script"),
    pytest.param("\u202eevil\u202c rtl \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627", 303, None, id="rtl"),
    pytest.param("a\x00b", 422, "stuurtekens", id="nul"),
    pytest.param("x" * 1_000_000, 422, "maximum is 10000", id="1mb"),
    pytest.param("\"'><img src=x onerror=alert(1)>", 303, None, id="attr"),
    pytest.param("\U0001f600 emoji", 303, None, id="emoji"),
]


@pytest.mark.parametrize(("value", "status", "message"), HOSTILE)
def test_hostile_text_is_escaped_or_refused_with_a_clear_message(client, session, value, status, message):
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    response = client.post(
        f"/q/uitvraag/{made.id}/s/toegang",
        data={"present": ["mfa", "mfa-plan"], "q-mfa": "no", "q-mfa-plan": value, "action": "save"},
    )
    assert response.status_code == status
    saved = rows(session, select(Answer).where(Answer.question_id == "mfa-plan"))
    if status == 422:
        page = response.get_data(as_text=True)
        assert message in page
        assert value not in page or value.isprintable()  # overlong text stays in the box, control characters not
        assert saved == []
    else:
        page = client.get(f"/q/uitvraag/{made.id}/s/toegang").get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        # Bidi controls (an RTL override) are stripped from whatever a user gives (F10); the script itself stays.
        assert saved[0].value == strip_bidi(value).strip()


def test_invalid_utf8_in_a_form_gives_no_server_error(client, session):
    # Werkzeug drops a urlencoded form that is not valid UTF-8 as a whole: the view sees an empty form, so nothing
    # is saved and the supplier is sent back to the section (with CSRF on, as in production, the missing token
    # gives the CSRF page instead).
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    body = b"present=mfa-plan&q-mfa-plan=caf\xe9+\xff\xfe&action=save"
    response = client.post(
        f"/q/uitvraag/{made.id}/s/toegang", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    assert rows(session, select(Answer).where(Answer.question_id == "mfa-plan")) == []


def test_hostile_values_in_urls_give_no_server_error(client, session):
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    for path in [
        f"/q/uitvraag/{made.id}/s/%3Cscript%3E",
        f"/q/uitvraag/{made.id}/s/..%2f..%2fetc",
        f"/q/uitvraag/{made.id}/evidence/99999999999999999999",
        "/q/uitvraag/99999999999999999999",
        "/q/%00%ff",
        "/q/" + "a" * 5000,
        f"/q/uitvraag/{made.id}?lang=%3Cscript%3E",
    ]:
        response = client.get(path)
        assert response.status_code < 500, path
        assert "<script>" not in response.get_data(as_text=True)


def test_a_request_over_the_size_limit_gets_a_friendly_413(app, client, session):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    made = make_uitvraag(session)
    client.get(f"/q/{made.token}")
    response = client.post(
        f"/q/uitvraag/{made.id}/s/zekerheid",
        data={"present": [], "file-iso-certificate": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 2 * 1024 * 1024), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "Het bestand is te groot" in response.get_data(as_text=True)


def test_no_stack_trace_is_shown_outside_debug_mode(app, client):
    @app.get("/boom-for-test")
    def boom():  # pragma: no cover - raises
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(
        as_text=True
    )


def test_no_issued_token_appears_in_the_logs(app, client, session, caplog, live_server):
    import requests

    from bot.supplier.logmask import mask

    caplog.set_level(logging.DEBUG)
    made = make_uitvraag(session)
    # The werkzeug server's access log writes the request line, with the path, through the "werkzeug" logger.
    http = requests.Session()
    response = http.get(f"{live_server.url}/q/{made.token}", allow_redirects=True, timeout=10)
    assert response.status_code == 200
    http.get(f"{live_server.url}/q/{made.token}x", timeout=10)
    http.get(f"{live_server.url}/api/v1/uitvraag", headers={"Authorization": f"Bearer {made.token}"}, timeout=10)
    client.get(f"/q/{made.token}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/q/[token]" in logged  # the access log lines are there, masked
    assert made.token not in logged and made.token[:20] not in logged
    # The same filter guards gunicorn's access logger; its request line format masks the same way.
    assert made.token not in mask(f'127.0.0.1 - - [x] "GET /q/{made.token} HTTP/1.1" 303 0 "-" "curl"')


@pytest.mark.slow
def test_gunicorns_access_log_never_holds_a_token(app_config, session, tmp_path):
    """The production server's own access log (gunicorn, as in the Procfile) shows the path with the token masked."""
    import os
    import subprocess
    import sys
    import time

    import requests

    from tests.support.smtp import free_port

    made = make_uitvraag(session)
    port = free_port()
    access_log = tmp_path / "access.log"
    env = dict(
        os.environ,
        BOT_ENV="development",
        BOT_DOTENV=str(tmp_path / "none.env"),
        BOT_INSTANCE_PATH=str(tmp_path / "gunicorn-instance"),
        DATABASE_URL=app_config["DATABASE_URL"],
        SECRET_KEY=app_config["SECRET_KEY"],
        BASE_URL=f"http://127.0.0.1:{port}",
        UPLOAD_DIR=app_config["UPLOAD_DIR"],
        MAIL_URL=app_config["MAIL_URL"],
    )
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", str(access_log), "bot:create_app()"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a loaded CI machine may take a while to start a worker
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        assert requests.get(
            f"http://127.0.0.1:{port}/q/{made.token}", allow_redirects=False, timeout=30
        ).status_code == (303)
        requests.get(f"http://127.0.0.1:{port}/q/{made.token[:-2]}zz", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = access_log.read_text()
    assert logged.count("/q/[token]") == 2
    assert made.token not in logged and made.token[:-2] not in logged
