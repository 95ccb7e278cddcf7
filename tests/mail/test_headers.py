"""Header injection: text that reaches a header can never add one, and bad addresses are refused."""

from __future__ import annotations

from sqlmodel import select

from bot.mail.delivery import send_due
from bot.mail.kinds import KINDS
from bot.mail.message import build_message
from bot.models import OutboxMessage
from tests.mail.helpers import MAIL_FROM, queue
from tests.support.factories import NOW
from tests.support.mail import TEST_SECRET_KEY

EVIL = "Leverancier BV\r\nBcc: attacker@evil.example\nX-Injected: yes"


def _send(app, session):
    session.rollback()
    return send_due(engine=app.extensions["engine"], config=app.config, now=NOW)


def test_newline_in_supplier_name_does_not_add_a_header(app, session, smtp):
    context = dict(KINDS["delivery-failure"], supplier_name=EVIL)  # the supplier name is in the subject
    row = queue(session, to="olga@gemeente.test", kind="delivery-failure", context=context)

    assert _send(app, session).sent == 1

    (received,) = smtp.handler.received
    assert received.rcpt_tos == ["olga@gemeente.test"]
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"] == row.subject
    assert "\n" not in message["Subject"] and "Bcc: attacker@evil.example X-Injected: yes" in message["Subject"]
    assert set(message.keys()) == {
        "Auto-Submitted",
        "Content-Language",
        "Content-Type",
        "Date",
        "From",
        "MIME-Version",
        "Message-ID",
        "Subject",
        "To",
        "X-Auto-Response-Suppress",
    }


def test_a_newline_stored_in_a_subject_is_flattened_when_the_message_is_built(app, session):
    row = queue(session, to="olga@gemeente.test")
    row.subject = "Hallo\r\nBcc: attacker@evil.example"
    row.reply_to = "owner@gemeente.test\r\nBcc: attacker@evil.example"

    message = build_message(row, mail_from=MAIL_FROM, secret_key=TEST_SECRET_KEY)
    raw = message.as_bytes()

    assert message["Subject"] == "Hallo Bcc: attacker@evil.example"
    assert b"\r\nBcc:" not in raw
    assert message["Reply-To"] is None  # an unusable Reply-To is left out rather than stopping the mail


def test_recipient_address_with_a_newline_fails_for_good_and_sends_nothing(app, session, smtp):
    queue(session, to="security@leverancier.test\r\nBcc: attacker@evil.example")

    report = _send(app, session)

    assert (report.sent, report.failed) == (0, 1)
    row = session.exec(select(OutboxMessage)).one()
    assert row.status == "failed" and "line break" in row.last_error
    assert smtp.messages == []
