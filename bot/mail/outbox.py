"""The outbox: every mail is a row written in the same transaction as the change that causes it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.mail.links import seal, take_link
from bot.mail.message import build_body
from bot.mail.render import RenderedMail, render_mail
from bot.models import OutboxMessage, OutboxStatus

Render = Callable[[str, str, dict[str, Any]], RenderedMail]


def message_id_for(domain: str) -> str:
    return f"<{secrets.token_hex(16)}@{domain}>"


def new_row(
    *,
    key: str,
    kind: str,
    to: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    secret_key: str = "",
    mail_from_domain: str = "localhost",
    reply_to: str | None = None,
    organisation_id: int | None = None,
    uitvraag_id: int | None = None,
    mime_body: bool = True,
    render: Render = render_mail,
) -> dict[str, Any]:
    """The columns of a new pending OutboxMessage for mail `kind`: for `enqueue` and the bulk writers alike.

    A mail with a `link` in its context is rendered with a placeholder and stores the link only sealed under
    `secret_key` (see bot/mail/links.py); its MIME body is built when it is sent. With `mime_body=False` the MIME
    body is left to delivery too (`Composer.compose` builds it): building it costs about a millisecond, too much
    for the 100,000 invitations of one planning run.
    """
    context, link = take_link(context)
    rendered = render(kind, language, context)
    link_sealed = seal(link, secret_key) if link is not None else None
    mime_body = mime_body and link_sealed is None
    message_id = message_id_for(mail_from_domain)
    return {
        "idempotency_key": key,
        "message_id": message_id,
        "kind": kind,
        "language": language,
        "to_addr": to,
        "reply_to": reply_to,
        "subject": rendered.subject,
        "body_text": rendered.text,
        "body_html": rendered.html,
        "mime_body": (build_body(text=rendered.text, html=rendered.html, message_id=message_id) if mime_body else None),
        "link_sealed": link_sealed,
        "organisation_id": organisation_id,
        "uitvraag_id": uitvraag_id,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    to: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    secret_key: str = "",
    mail_from_domain: str = "localhost",
    reply_to: str | None = None,
    organisation_id: int | None = None,
    uitvraag_id: int | None = None,
) -> OutboxMessage:
    """Render and queue a mail under idempotency `key`; if that key is queued already, return the existing row.

    A mail with a `link` needs `secret_key` (SECRET_KEY) to seal it. The caller commits. Two racing callers with
    the same key: the unique constraint lets one commit win.
    """
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing
    message = OutboxMessage(
        **new_row(
            key=key,
            kind=kind,
            to=to,
            language=language,
            context=context,
            now=now,
            secret_key=secret_key,
            mail_from_domain=mail_from_domain,
            reply_to=reply_to,
            organisation_id=organisation_id,
            uitvraag_id=uitvraag_id,
        )
    )
    session.add(message)
    return message
