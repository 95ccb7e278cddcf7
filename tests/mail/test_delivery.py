"""Delivering the outbox to a real SMTP server: batches, temporary and permanent failures, notices to owners."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.cli import cli
from bot.mail.delivery import retry_delay, send_due
from bot.models import OutboxMessage
from tests.mail.helpers import TestHandler, TestSmtpServer, queue, queue_many, statuses
from tests.support.factories import NOW, make_contract, make_supplier, make_uitvraag
from tests.support.smtp import free_port


def _send(app, session, now=NOW, **kw):
    session.rollback()  # end the test's read transaction: on SQLite it holds the write lock
    return send_due(engine=app.extensions["engine"], config=app.config, now=now, **kw)


def test_queued_mails_are_delivered_once_over_one_connection(app, session, smtp):
    ids = queue_many(session, 7)
    connections = []
    original = smtp.handler.handle_DATA

    async def counting(server, smtp_session, envelope):
        connections.append(smtp_session.peer)
        return await original(server, smtp_session, envelope)

    smtp.handler.handle_DATA = counting

    report = _send(app, session, batch_size=100)

    assert (report.sent, report.retrying, report.failed, report.stopped) == (7, 0, 0, None)
    assert sorted(smtp.message_ids()) == sorted(ids)
    assert set(smtp.message_ids().values()) == {1}
    assert len(set(connections)) == 1, "one SMTP connection for the whole batch"
    assert statuses(session) == {"sent": 7}
    # Nothing is due any more: a second run sends nothing.
    assert _send(app, session).sent == 0
    assert len(smtp.messages) == 7


def test_batches_each_use_their_own_connection_and_together_send_everything(app, session, smtp):
    ids = queue_many(session, 7)
    peers = []
    original = smtp.handler.handle_DATA

    async def counting(server, smtp_session, envelope):
        peers.append(smtp_session.peer)
        return await original(server, smtp_session, envelope)

    smtp.handler.handle_DATA = counting

    report = _send(app, session, batch_size=3)

    assert report.sent == 7
    assert sorted(smtp.message_ids()) == sorted(ids)
    assert len(set(peers)) == 3  # 3 + 3 + 1


def test_mail_is_text_with_html_alternative_and_the_expected_headers(app, session, smtp):
    row = queue(session, to="olga@gemeente.test", kind="invitation", reply_to="owner@gemeente.test")

    _send(app, session)

    (message,) = smtp.wait_for(1)
    assert message["Message-ID"] == row.message_id
    assert message["From"] == "BIO uitvraag <uitvraag@gemeente.test>"
    assert message["To"] == "olga@gemeente.test"
    assert message["Reply-To"] == "owner@gemeente.test"
    assert message["Subject"] == row.subject
    assert message["Date"] is not None and message["Date"].datetime == NOW
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "https://uitvraag.example/q/TOKEN" in text
    assert 'href="https://uitvraag.example/q/TOKEN"' in html
    assert smtp.handler.received[0].mail_from == "uitvraag@gemeente.test"


def test_server_down_then_back_delivers_every_mail_exactly_once(app, session):
    server = TestSmtpServer()  # not started yet: connections are refused
    app.config["MAIL_URL"] = server.url
    ids = queue_many(session, 5)

    down = _send(app, session)
    assert (down.sent, down.retrying) == (0, 1)
    assert down.stopped and "cannot connect" in down.stopped
    first = session.exec(select(OutboxMessage).where(OutboxMessage.attempts == 1)).one()
    assert first.next_attempt_at == NOW + timedelta(seconds=60)
    assert "cannot connect" in first.last_error

    server.start()
    try:
        back = _send(app, session, now=NOW + timedelta(minutes=2))
        assert back.sent == 5
        assert server.message_ids() == {message_id: 1 for message_id in ids}
        assert statuses(session) == {"sent": 5}
    finally:
        server.stop()


def test_server_answering_421_for_a_while_then_back_delivers_every_mail_exactly_once(app, session):
    handler = TestHandler()
    busy = {"left": 3}

    def refuse(envelope):
        if busy["left"] > 0:
            busy["left"] -= 1
            return "421 4.3.2 Service not available, try again later"
        return None

    handler.refuse = refuse
    server = TestSmtpServer(handler=handler).start()
    app.config["MAIL_URL"] = server.url
    try:
        ids = queue_many(session, 6)
        now = NOW
        runs = 0
        while statuses(session).get("pending") and runs < 20:
            report = _send(app, session, now=now)
            if report.stopped:
                assert "421" in report.stopped
            now += timedelta(hours=2)  # later than any backoff
            runs += 1
        assert runs == 4  # three refusals, each ending a run, then everything in one go
        assert server.message_ids() == {message_id: 1 for message_id in ids}
        assert statuses(session) == {"sent": 6}
    finally:
        server.stop()


def test_550_for_one_recipient_fails_only_that_mail_and_tells_the_contract_owner(app, session):
    handler = TestHandler(refuse_recipients={"gone@leverancier.test": "550 5.1.1 <gone@leverancier.test>: unknown"})
    server = TestSmtpServer(handler=handler).start()
    app.config["MAIL_URL"] = server.url
    try:
        supplier = make_supplier(session, name="Leverancier BV")
        contracts = [
            make_contract(session, supplier=supplier, owner_email="olga@gemeente.test", owner_name="Olga Eigenaar"),
            make_contract(session, supplier=supplier, owner_email="piet@gemeente.test", owner_name="Piet Beheer"),
        ]
        uitvraag = make_uitvraag(
            session, contracts=contracts, recipient="gone@leverancier.test", now=NOW, invitation=False
        ).uitvraag
        good_before = queue(session, to="ok1@leverancier.test", kind="invitation")
        bad = queue(session, to="gone@leverancier.test", kind="invitation", uitvraag=uitvraag)
        good_after = queue(session, to="ok2@leverancier.test", kind="invitation")

        report = _send(app, session)

        # Both good mails, then (in the same run, as they are due at once) the two notices.
        assert (report.sent, report.failed, report.retrying, report.notices) == (4, 1, 0, 2)
        supplier_mails = {m["Message-ID"] for m in server.messages if m["To"].endswith("@leverancier.test")}
        assert supplier_mails == {good_before.message_id, good_after.message_id}
        session.refresh(bad)
        assert bad.status == "failed" and bad.attempts == 1
        assert bad.last_error.startswith("550 5.1.1")
        notices = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "delivery-failure")).all()
        assert sorted(n.to_addr for n in notices) == ["olga@gemeente.test", "piet@gemeente.test"]
        assert {n.idempotency_key for n in notices} == {
            f"delivery-failure:{bad.id}:olga@gemeente.test",
            f"delivery-failure:{bad.id}:piet@gemeente.test",
        }

        # The notice names the supplier, the address and the reason, and links to the failed mails.
        assert _send(app, session).sent == 0
        assert len(server.messages) == 4
        owner_mail = next(m for m in server.messages if m["To"] == "olga@gemeente.test")
        body = owner_mail.get_body(("plain",)).get_content()
        assert "Leverancier BV" in owner_mail["Subject"]
        assert "gone@leverancier.test" in body and "550 5.1.1" in body
        assert "http://localhost/staff/mail/failed" in body
    finally:
        server.stop()


def test_temporary_refusal_of_one_recipient_retries_only_that_mail(app, session):
    handler = TestHandler(refuse_recipients={"full@leverancier.test": "452 4.2.2 mailbox full"})
    server = TestSmtpServer(handler=handler).start()
    app.config["MAIL_URL"] = server.url
    try:
        full = queue(session, to="full@leverancier.test")
        other = queue(session, to="ok@leverancier.test")

        report = _send(app, session)

        assert (report.sent, report.retrying, report.stopped) == (1, 1, None)
        session.refresh(full)
        assert full.status == "pending" and full.attempts == 1 and full.last_error.startswith("452")
        assert set(server.message_ids()) == {other.message_id}
    finally:
        server.stop()


def test_waits_double_from_the_first_to_the_maximum():
    waits = [retry_delay(n, first_seconds=60, max_seconds=3600).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(1, first_seconds=0, max_seconds=0).total_seconds() == 1  # never a busy loop


def test_gives_up_after_the_configured_hours_and_tells_the_owner_once(app, session):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"  # nobody listens
    uitvraag = make_uitvraag(session, now=NOW, invitation=False).uitvraag
    row = queue(session, to="security@leverancier.test", kind="reminder", uitvraag=uitvraag)

    assert _send(app, session, now=NOW + timedelta(hours=71)).retrying == 1
    session.refresh(row)
    assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(hours=71, minutes=1)

    report = _send(app, session, now=NOW + timedelta(hours=72))
    assert (report.failed, report.notices) == (1, 1)
    session.refresh(row)
    assert row.status == "failed" and row.attempts == 2
    assert row.last_error.startswith("gave up after 2 attempts: cannot connect")
    notice = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "delivery-failure")).one()
    assert notice.to_addr == "olga@gemeente.test" and notice.uitvraag_id == uitvraag.id

    # The notice itself cannot be delivered either; that tells nobody further, and no second notice appears.
    _send(app, session, now=NOW + timedelta(days=10))
    _send(app, session, now=NOW + timedelta(days=20))
    assert len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "delivery-failure")).all()) == 1


def test_invalid_recipient_address_fails_at_once_without_a_connection(app, session):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # would be refused, but is never needed
    row = queue(session, to="not-an-address")

    report = _send(app, session)

    assert (report.failed, report.stopped) == (1, None)
    session.refresh(row)
    assert row.status == "failed" and "invalid address" in row.last_error


def test_mails_not_yet_due_wait(app, session, smtp):
    queue(session, to="later@leverancier.test", now=NOW + timedelta(hours=1))

    assert _send(app, session).sent == 0
    assert _send(app, session, now=NOW + timedelta(hours=1)).sent == 1


def test_bot_mail_send_command_delivers_and_reports(app, session, smtp):
    queue_many(session, 2)

    result = app.test_cli_runner().invoke(cli, ["mail", "send", "--now", "2026-10-01T09:00"])

    assert result.exit_code == 0, result.output
    assert "Mail: 2 sent, 0 to retry, 0 failed." in result.output
    assert len(smtp.messages) == 2


def test_bot_mail_send_command_exits_non_zero_when_the_server_is_down(app, session):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    queue_many(session, 1)

    result = app.test_cli_runner().invoke(cli, ["mail", "send", "--now", "2026-10-01T09:00"])

    assert result.exit_code == 1
    assert "0 sent, 1 to retry" in result.output and "cannot connect to mail server" in result.output
