"""Build the MIME message of one outbox row: plain text with an HTML alternative, safe headers, stable ids.

The body (text + HTML alternative) is built with EmailMessage when the mail is queued; delivery puts the envelope
headers on it. Header values are flattened to one line first, so a newline in a supplier name (which may reach a
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
_BARE_ADDRESS = re.compile(r"^[^\s<>@,;:()\[\]\\\"]+@[^\s<>@,;:()\[\]\\\".][^\s<>@,;:()\[\]\\\"]*$")
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
    if _BARE_ADDRESS.match(value):
        return value  # the usual case, without the cost of the full parser
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


def build_body(*, text: str, html: str | None, message_id: str) -> str:
    """The MIME body of a mail (its Content-* headers and encoded parts), built with EmailMessage.

    Built once when the mail is queued (`OutboxMessage.mime_body`). Quoted-printable keeps it 7-bit for any server
    and readable in the source; the boundary comes from the Message-ID, so a re-sent mail is byte-for-byte equal.
    """
    body = EmailMessage(policy=POLICY)
    body.set_content(text, cte="quoted-printable")
    if html:
        body.add_alternative(html, subtype="html", cte="quoted-printable")
        # "=_" never occurs in quoted-printable or base64 text, so the boundary cannot clash with the content.
        body.set_boundary("=_" + hashlib.sha256(message_id.encode()).hexdigest()[:40])
    return body.as_string()


class Composer:
    """Turns outbox rows into the bytes sent, for one MAIL_FROM: envelope headers on the body built at queue time.

    Every header value is one line (`one_line`), every address checked (`check_address`), and the email package
    folds and encodes the free-text ones (From, Subject), so no value can start a header of its own.
    """

    def __init__(self, mail_from: str) -> None:
        self.sender = envelope_sender(mail_from)
        self._from = POLICY.fold("From", one_line(mail_from))

    def compose(self, row: OutboxMessage) -> bytes:
        """The message for `row`, the same bytes on every attempt. Raises InvalidAddress for an unusable recipient."""
        recipient = _ascii_address(row.to_addr)
        message_id = one_line(row.message_id)
        if not _MESSAGE_ID.match(message_id):
            raise ValueError(f"outbox message {row.id} has a malformed Message-ID {message_id!r}")
        lines = [self._from, f"To: {recipient}\r\n"]
        if row.reply_to:
            # A broken contract-owner address must not stop the mail to the supplier.
            with contextlib.suppress(InvalidAddress):
                lines.append(f"Reply-To: {_ascii_address(row.reply_to)}\r\n")
        lines += [
            POLICY.fold("Subject", one_line(row.subject)),
            f"Date: {format_datetime(row.created_at)}\r\n",  # type: ignore[arg-type] - always set; when queued
            f"Message-ID: {message_id}\r\n",
            # RFC 3834: an automatic mail; asks out-of-office responders not to answer it.
            "Auto-Submitted: auto-generated\r\n",
            "X-Auto-Response-Suppress: All\r\n",
            f"Content-Language: {'en' if row.language == 'en' else 'nl'}\r\n",
        ]
        body = row.mime_body or build_body(text=row.body_text, html=row.body_html, message_id=message_id)
        return ("".join(lines) + body).encode("ascii")


def _ascii_address(value: str) -> str:
    address = check_address(value)
    if not address.isascii():
        raise InvalidAddress(f"invalid address {value!r}: addresses with non-ASCII characters are not supported")
    return address


def build_message(row: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """The message for `row` as an EmailMessage (parsed from exactly the bytes that are sent)."""
    return email.message_from_bytes(Composer(mail_from).compose(row), policy=POLICY)  # type: ignore[return-value]
