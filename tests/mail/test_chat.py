"""Chat notifications against a real local HTTP server: delivered, retried, bounded in time, never raising."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.mail import chat
from tests.support.smtp import free_port


class Webhook:
    """An incoming-webhook server on 127.0.0.1: answers with the next status in `answers` (then 200)."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.delay = 0.0
        self.bodies: list[dict] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length", 0))
                webhook.bodies.append(json.loads(self.rfile.read(length)))
                if webhook.delay:
                    time.sleep(webhook.delay)
                status = webhook.answers.pop(0) if webhook.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that timed out and left: expected
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/abc123"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same code paths, with waits short enough for a test suite.
    monkeypatch.setattr(chat, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(chat, "READ_TIMEOUT", 0.5)


def test_escalation_is_posted_as_webhook_json_with_its_link(webhook):
    sent = chat.notify(
        {"CHAT_WEBHOOK_URL": webhook.url}, text="3 nieuwe escalaties", link="https://uitvraag.example/staff/"
    )

    assert sent is True
    assert webhook.bodies == [
        {"text": "3 nieuwe escalaties\n[https://uitvraag.example/staff/](https://uitvraag.example/staff/)"}
    ]


def test_server_errors_are_retried_until_accepted(webhook):
    webhook.answers = [503, 500]

    assert chat.notify({"CHAT_WEBHOOK_URL": webhook.url}, text="escalatie") is True
    assert len(webhook.bodies) == 3


def test_gives_up_after_three_attempts_without_raising(webhook):
    webhook.answers = [500, 500, 500, 500]

    assert chat.notify({"CHAT_WEBHOOK_URL": webhook.url}, text="escalatie") is False
    assert len(webhook.bodies) == 3


def test_a_refusal_is_final(webhook):
    webhook.answers = [404]

    assert chat.notify({"CHAT_WEBHOOK_URL": webhook.url}, text="escalatie") is False
    assert len(webhook.bodies) == 1


def test_a_hanging_chat_server_costs_seconds_at_most(webhook):
    webhook.delay = 2.0
    started = time.monotonic()

    assert chat.notify({"CHAT_WEBHOOK_URL": webhook.url}, text="escalatie") is False
    assert time.monotonic() - started < 3 * 0.5 + 1.0


def test_unreachable_or_broken_url_returns_false_quietly():
    assert chat.notify({"CHAT_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/hooks/x"}, text="escalatie") is False
    assert chat.notify({"CHAT_WEBHOOK_URL": "not a url"}, text="escalatie") is False


def test_without_a_webhook_url_nothing_is_sent():
    assert chat.notify({"CHAT_WEBHOOK_URL": ""}, text="escalatie") is False
    assert chat.notify({}, text="escalatie") is False


def test_the_webhook_url_is_never_logged(webhook, caplog):
    webhook.answers = [500, 500, 500]
    with caplog.at_level("INFO"):  # the service logs at INFO
        chat.notify({"CHAT_WEBHOOK_URL": webhook.url}, text="escalatie")
    assert caplog.records, "the failure is logged"
    assert not any("abc123" in record.getMessage() for record in caplog.records)
