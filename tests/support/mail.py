"""The bodies of a queued mail as they are sent: its link is stored sealed (bot/mail/links.py), not in the body."""

from __future__ import annotations

from bot.mail.links import bodies
from bot.models import OutboxMessage

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # the tests' SECRET_KEY (tests/conftest.py)


def sent_text(row: OutboxMessage) -> str:
    """The text body of `row` with its link in place, as delivery sends it."""
    return bodies(row, TEST_SECRET_KEY)[0]


def sent_html(row: OutboxMessage) -> str | None:
    """The HTML body of `row` with its link in place, as delivery sends it."""
    return bodies(row, TEST_SECRET_KEY)[1]
