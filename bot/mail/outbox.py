"""The outbox: every mail is a row written in the same transaction as the change that causes it."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.mail.message import build_body
from bot.mail.render import render_mail
from bot.models import OutboxMessage, OutboxStatus


def message_id_for(domain: str) -> str:
    return f"<{secrets.token_hex(16)}@{domain}>"


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    to: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    mail_from_domain: str = "localhost",
    reply_to: str | None = None,
    organisation_id: int | None = None,
    uitvraag_id: int | None = None,
) -> OutboxMessage:
    """Render and queue a mail under idempotency `key`; if that key is queued already, return the existing row.

    The caller commits. Two racing callers with the same key: the unique constraint lets one commit win.
    """
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if existing is not None:
        return existing
    rendered = render_mail(kind, language, context)
    message_id = message_id_for(mail_from_domain)
    message = OutboxMessage(
        idempotency_key=key,
        message_id=message_id,
        kind=kind,
        language=language,
        to_addr=to,
        reply_to=reply_to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        mime_body=build_body(text=rendered.text, html=rendered.html, message_id=message_id),
        organisation_id=organisation_id,
        uitvraag_id=uitvraag_id,
        status=OutboxStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message
