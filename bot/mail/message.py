"""Build the MIME message of one outbox row: plain text with an HTML alternative, safe headers, stable ids.

Header values are flattened to one line before they are set, so a newline in a supplier name (which may reach a
subject) can never start a header of its own. Addresses are checked: an invalid one is a permanent failure.
"""

from __future__ import annotations

import contextlib
import email.policy
import hashlib
import re
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from bot.models import OutboxMessage

# CRLF line endings, as SMTP wants them; the file transport writes the same bytes.
POLICY = email.policy.SMTP

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


class InvalidAddress(ValueError):
    """An address that no mail server could deliver to (or that would break the headers)."""


def one_line(value: str) -> str:
    """`value` with every run of whitespace (newlines included) and control character turned into one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def check_address(value: str) -> str:
    """The bare address `value` (`name@domain`), or InvalidAddress saying what is wrong with it."""
    if _CONTROL.search(value):
        raise InvalidAddress(f"invalid address {value!r}: it contains a line break or control character")
    _name, address = parseaddr(value.strip())
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address or "@" in local or domain.startswith("."):
        raise InvalidAddress(f"invalid address {value!r}: expected name@domain")
    return address


def envelope_sender(mail_from: str) -> str:
    """The bare address of MAIL_FROM ("Name <addr>"), for the SMTP envelope."""
    return check_address(mail_from)


def mail_domain(mail_from: str) -> str:
    """The domain of MAIL_FROM, used on the right-hand side of Message-IDs."""
    try:
        return check_address(mail_from).rpartition("@")[2]
    except InvalidAddress:
        return "localhost"


def build_message(row: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """The message for `row`, byte-for-byte the same on every attempt (Date is when it was queued).

    Raises InvalidAddress when the recipient address is unusable.
    """
    recipient = check_address(row.to_addr)
    message = EmailMessage(policy=POLICY)
    message["From"] = one_line(mail_from)
    message["To"] = recipient
    if row.reply_to:
        # A broken contract-owner address must not stop the mail to the supplier.
        with contextlib.suppress(InvalidAddress):
            message["Reply-To"] = check_address(row.reply_to)
    message["Subject"] = one_line(row.subject)
    message["Date"] = format_datetime(row.created_at)  # type: ignore[arg-type] - created_at is always set
    message_id = one_line(row.message_id)
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"outbox message {row.id} has a malformed Message-ID {message_id!r}")
    message["Message-ID"] = message_id
    # RFC 3834: an automatic mail; asks out-of-office responders not to answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    # Quoted-printable: 7-bit safe for any mail server, still readable in the source.
    message.set_content(row.body_text, cte="quoted-printable")
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html", cte="quoted-printable")
        # A boundary from the Message-ID (not random) keeps a re-sent mail byte-for-byte the same. "=_" never
        # occurs in quoted-printable or base64 bodies.
        message.set_boundary("=_" + hashlib.sha256(message_id.encode()).hexdigest()[:40])
    # After the body: set_content() and add_alternative() move or drop Content-* headers set before them.
    message["Content-Language"] = "en" if row.language == "en" else "nl"
    return message
