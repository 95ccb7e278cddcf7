"""Helpers for the mail tests: SMTP servers with STARTTLS, AUTH, slow or refusing handlers; queued mails."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session, select

from bot.mail.kinds import KINDS
from bot.mail.outbox import enqueue
from bot.models import OutboxMessage, Uitvraag
from tests.support.factories import NOW
from tests.support.mail import TEST_SECRET_KEY
from tests.support.smtp import CollectingHandler, SmtpServer

MAIL_FROM = "BIO uitvraag <uitvraag@gemeente.test>"
_keys = itertools.count(1)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost (openssl CLI); returns (certificate, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TestHandler(CollectingHandler):
    """Collects mails; can refuse chosen recipients at RCPT time and take its time before accepting DATA.

    `delay`: wait before taking the mail. `slow_reply`: take the mail at once, then wait before saying so (a sender
    killed during that wait has been accepted without knowing it).
    """

    __test__ = False  # not a test class

    def __init__(
        self, *, delay: float = 0.0, slow_reply: float = 0.0, refuse_recipients: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self.delay = delay
        self.slow_reply = slow_reply
        self.refuse_recipients = refuse_recipients or {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        reply = self.refuse_recipients.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow_reply:
            await asyncio.sleep(self.slow_reply)
        return reply


class TestSmtpServer(SmtpServer):
    """The shared test server with our handler, and optionally STARTTLS and AUTH (user `bot`, password given)."""

    __test__ = False

    def __init__(
        self,
        *,
        handler: TestHandler | None = None,
        tls_context: Any = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=True)
        if password is not None:
            self.logins: list[str] = []

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and data.login == b"bot" and data.password == password.encode()
                if ok:
                    self.logins.append(mechanism)
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls_context is not None)
        super().__init__(**kwargs)
        self.handler = handler or TestHandler()

    def message_ids(self) -> Counter[str]:
        return Counter(str(message["Message-ID"]) for message in self.messages)


def queue(
    session: Session,
    *,
    to: str,
    kind: str = "signin-link",
    now: datetime = NOW,
    key: str | None = None,
    uitvraag: Uitvraag | None = None,
    language: str = "nl",
    context: dict[str, Any] | None = None,
    reply_to: str | None = None,
) -> OutboxMessage:
    """Queue one mail of `kind` (sample context unless given) and commit."""
    row = enqueue(
        session,
        key=key or f"test:{next(_keys)}",
        kind=kind,
        to=to,
        language=language,
        context=context or KINDS[kind],
        now=now,
        secret_key=TEST_SECRET_KEY,
        mail_from_domain="gemeente.test",
        reply_to=reply_to,
        organisation_id=uitvraag.organisation_id if uitvraag else None,
        uitvraag_id=uitvraag.id if uitvraag else None,
    )
    session.commit()
    return row


def queue_many(session: Session, count: int, *, now: datetime = NOW, domain: str = "leverancier.test") -> list[str]:
    """Queue `count` sign-in mails to distinct recipients; returns their Message-IDs."""
    ids = []
    for number in range(count):
        row = enqueue(
            session,
            key=f"bulk:{number}",
            kind="signin-link",
            to=f"person{number}@{domain}",
            language="nl",
            context=KINDS["signin-link"],
            now=now,
            secret_key=TEST_SECRET_KEY,
            mail_from_domain="gemeente.test",
        )
        ids.append(row.message_id)
    session.commit()
    return ids


def statuses(session: Session) -> Counter[str]:
    session.expire_all()
    return Counter(row.status for row in session.exec(select(OutboxMessage)).all())
