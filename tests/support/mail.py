"""The bodies of a queued mail as they are sent: its link is stored sealed (bot/mail/links.py), not in the body."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.mail.links import bodies
from bot.models import OutboxMessage
from bot.staff.signin import resolve_signin_requests
from bot.timeutil import utcnow

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # the tests' SECRET_KEY (tests/conftest.py)


def sent_text(row: OutboxMessage) -> str:
    """The text body of `row` with its link in place, as delivery sends it."""
    return bodies(row, TEST_SECRET_KEY)[0]


def sent_html(row: OutboxMessage) -> str | None:
    """The HTML body of `row` with its link in place, as delivery sends it."""
    return bodies(row, TEST_SECRET_KEY)[1]


def mail_signin_requests(session: Session, *, base_url: str = "http://localhost", now: datetime | None = None) -> int:
    """What the worker does within seconds of a sign-in request: queue the mails of its links (tests read them)."""
    config = {"SECRET_KEY": TEST_SECRET_KEY, "BASE_URL": base_url}
    session.expire_all()
    return resolve_signin_requests(session, config=config, now=now or utcnow())
