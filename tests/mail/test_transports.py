"""Transports by MAIL_URL: SMTP with STARTTLS and auth, implicit TLS, and a folder of .eml files."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.mail.delivery import send_due
from bot.mail.transports import FileTransport, MailUrlError, SmtpTransport, transport_for
from tests.mail.helpers import TestSmtpServer, queue, queue_many, statuses
from tests.support.factories import NOW

PASSWORD = "p@ss:w/rd 1"


def _send(app, session, now=NOW):
    session.rollback()  # end the test's read transaction: on SQLite it holds the write lock
    return send_due(engine=app.extensions["engine"], config=app.config, now=now)


def test_mail_url_forms_are_understood():
    smtp = transport_for("smtp://user%40x:p%2Fw@mail.example:587?starttls=required&timeout=5&cafile=/ca.pem")
    assert isinstance(smtp, SmtpTransport)
    s = smtp.settings
    assert (s.host, s.port, s.username, s.password) == ("mail.example", 587, "user@x", "p/w")
    assert (s.implicit_tls, s.starttls, s.timeout, s.cafile) == (False, "required", 5.0, "/ca.pem")
    plain = transport_for("smtp://mail.example").settings
    assert (plain.port, plain.username, plain.starttls) == (25, None, "auto")
    assert transport_for("smtps://mail.example").settings.port == 465
    assert transport_for("smtps://mail.example").settings.implicit_tls
    folder = transport_for("file:///var/mail/bot")
    assert isinstance(folder, FileTransport) and folder.folder == Path("/var/mail/bot")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("imap://mail.example", "must start with smtp://, smtps:// or file://"),
        ("smtp://", "names no mail server host"),
        ("smtp://mail.example?starttls=maybe", "starttls must be auto, required or never"),
        ("smtp://mail.example?timeout=soon", "invalid port or timeout"),
        ("file://", "names no folder"),
    ],
)
def test_unusable_mail_url_says_what_is_wrong(url, says):
    with pytest.raises(MailUrlError, match=says):
        transport_for(url)


def test_starttls_and_auth_delivery(app, session, certificate, server_tls_context):
    server = TestSmtpServer(tls_context=server_tls_context, password=PASSWORD).start()
    cert, _key = certificate
    app.config["MAIL_URL"] = (
        f"smtp://bot:{quote(PASSWORD, safe='')}@127.0.0.1:{server.port}?starttls=required&cafile={cert}"
    )
    try:
        ids = queue_many(session, 3)

        report = _send(app, session)

        assert (report.sent, report.stopped) == (3, None)
        assert sorted(server.message_ids()) == sorted(ids)
        assert server.logins, "the client signed in"
        # aiosmtpd only accepts AUTH after STARTTLS (auth_require_tls) and refuses mail without it.
    finally:
        server.stop()


def test_wrong_password_is_retried_later_not_failed(app, session, certificate, server_tls_context):
    server = TestSmtpServer(tls_context=server_tls_context, password=PASSWORD).start()
    cert, _key = certificate
    app.config["MAIL_URL"] = f"smtp://bot:wrong@127.0.0.1:{server.port}?cafile={cert}"
    try:
        queue_many(session, 2)

        report = _send(app, session)

        assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
        assert "refused the user name or password" in report.stopped
        assert statuses(session) == {"pending": 2}
        assert server.messages == []
    finally:
        server.stop()


def test_starttls_required_but_not_offered_sends_nothing(app, session, smtp):
    app.config["MAIL_URL"] = f"{smtp.url}?starttls=required"
    queue_many(session, 1)

    report = _send(app, session)

    assert report.sent == 0 and "does not offer STARTTLS" in report.stopped
    assert smtp.messages == []


def test_untrusted_certificate_is_refused(app, session, server_tls_context):
    server = TestSmtpServer(tls_context=server_tls_context).start()
    app.config["MAIL_URL"] = server.url  # no cafile: the self-signed certificate is not trusted
    try:
        queue_many(session, 1)
        report = _send(app, session)
        assert report.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in report.stopped
    finally:
        server.stop()


def test_implicit_tls_delivery(app, session, certificate, server_tls_context):
    server = TestSmtpServer(ssl_context=server_tls_context).start()
    cert, _key = certificate
    app.config["MAIL_URL"] = f"smtps://127.0.0.1:{server.port}?cafile={cert}"
    try:
        ids = queue_many(session, 2)
        assert _send(app, session).sent == 2
        assert sorted(server.message_ids()) == sorted(ids)
    finally:
        server.stop()


def test_folder_transport_writes_one_eml_per_mail_sorting_by_time(app, session, tmp_path):
    folder = tmp_path / "outgoing"
    app.config["MAIL_URL"] = f"file://{folder}"
    first = queue(session, to="a@leverancier.test", kind="invitation")
    second = queue(session, to="b@leverancier.test", kind="reminder", now=NOW + timedelta(seconds=1))

    assert _send(app, session, now=NOW + timedelta(seconds=1)).sent == 2

    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert [m["Message-ID"] for m in parsed] == [first.message_id, second.message_id]
    assert parsed[0]["To"] == "a@leverancier.test"
    assert parsed[0].get_body(("html",)) is not None
    assert b"\r\n" in files[0].read_bytes()
