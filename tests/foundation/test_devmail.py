"""The development mailbox shows the demo's mails, escaped, with their links clickable."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot import create_app
from tests.conftest import make_test_config


@pytest.fixture
def dev_app(database_url, tmp_path):
    app = create_app(make_test_config(database_url, tmp_path, BOT_ENV="development", DEV_MAIL=True))
    yield app
    app.extensions["engine"].dispose()


def write_mail(folder, name, subject, body):
    folder.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = "security@leverancier.test"
    message["From"] = "uitvraag@gemeente.test"
    message.set_content(body)
    (folder / name).write_bytes(message.as_bytes())


def test_mailbox_lists_mails_and_shows_links_escaped(dev_app, tmp_path):
    write_mail(tmp_path / "mail", "0001.eml", "Uitvraag <2026-Q4>", "Open http://localhost/q/abc <script>x</script>")
    client = dev_app.test_client()

    listing = client.get("/dev/mail/")
    assert listing.status_code == 200
    assert "Uitvraag &lt;2026-Q4&gt;" in listing.text

    page = client.get("/dev/mail/0001.eml")
    assert '<a href="http://localhost/q/abc">http://localhost/q/abc</a>' in page.text
    assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text
    assert client.get("/dev/mail/..%2Fsecret.eml").status_code == 404


def test_mailbox_is_absent_outside_development(client):
    assert client.get("/dev/mail/").status_code == 404


def test_mailbox_needs_the_explicit_setting_and_a_client_on_this_machine(database_url, tmp_path):
    write_mail(tmp_path / "mail", "0001.eml", "Uitvraag", "Open http://localhost/q/abc")
    plain = create_app(make_test_config(database_url, tmp_path, BOT_ENV="development"))
    assert plain.test_client().get("/dev/mail/").status_code == 404
    plain.extensions["engine"].dispose()
    app = create_app(make_test_config(database_url, tmp_path, BOT_ENV="development", DEV_MAIL=True))
    client = app.test_client()
    assert client.get("/dev/mail/").status_code == 200
    assert client.get("/dev/mail/", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404
    assert client.get("/dev/mail/", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 404
    app.extensions["engine"].dispose()
