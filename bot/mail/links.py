"""The link in a mail (supplier form, sign-in, receipt) is never stored usable: the body holds a placeholder.

A link-bearing mail is rendered with `PLACEHOLDER` where its link goes; the link itself is stored sealed (Fernet:
AES-128-CBC with HMAC-SHA256, under a key derived from SECRET_KEY) in `OutboxMessage.link_sealed`, put into the body
only when the message is composed for sending, and dropped as soon as the mail is sent or has failed for good. So a
copy of the database (a backup, a replica) holds no link anyone can use: pending mails need the secret key, and
sent or failed ones hold nothing at all.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from markupsafe import escape

PLACEHOLDER = "[[link]]"
_INFO = b"bio-supplier-bot outbox link v1"


class LinkUnavailable(ValueError):
    """The sealed link of a mail cannot be opened: SECRET_KEY changed since it was queued, or it was tampered with."""


def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ValueError("a link-bearing mail needs SECRET_KEY to seal its link")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(link: str, secret_key: str) -> str:
    """`link` encrypted and authenticated under SECRET_KEY, for `OutboxMessage.link_sealed`."""
    return _fernet(secret_key).encrypt(link.encode("utf-8")).decode("ascii")


def unseal(sealed: str, secret_key: str) -> str:
    """The link sealed in `sealed`, or LinkUnavailable."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise LinkUnavailable(
            "the link of this mail cannot be restored (SECRET_KEY changed since it was queued?)"
        ) from error


def take_link(context: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The render context with `PLACEHOLDER` in place of its `link`, and the link (None for a mail without one)."""
    link = context.get("link")
    if not link:
        return context, None
    return {**context, "link": PLACEHOLDER}, str(link)


def fill(text: str, html: str | None, link: str | None) -> tuple[str, str | None]:
    """The text and HTML bodies with the link in place of the placeholder (escaped for HTML), as sent."""
    if link is None:
        return text, html
    return text.replace(PLACEHOLDER, link), None if html is None else html.replace(PLACEHOLDER, str(escape(link)))


def bodies(row: Any, secret_key: str) -> tuple[str, str | None]:
    """The text and HTML bodies of outbox `row` as they are (or were to be) sent, its link unsealed."""
    link = unseal(row.link_sealed, secret_key) if row.link_sealed else None
    return fill(row.body_text, row.body_html, link)
