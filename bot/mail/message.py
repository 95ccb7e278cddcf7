"""Build the MIME message of one outbox row: plain text with an HTML alternative, safe headers, stable ids.

The body (text + HTML alternative) is built with EmailMessage when the mail is queued; delivery puts the envelope
headers on it. Every header goes through `fold_header`: its value is flattened to one line, RFC 2047 encoded words in
it are neutralised (the email package would decode `=?utf-8?q?=0d=0a?=` back into a line break when it refolds, and
before Python 3.11.10 / 3.12.5 write it out bare: CVE-2024-6923), and the folded result is refused if any line break
in it is not folding. So no text a user chooses (a supplier or file name) can start a header or the body.
Addresses are checked: an invalid one is a permanent failure.
"""

from __future__ import annotations

import contextlib
import email.policy
import hashlib
import re
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from bot.mail.links import bodies
from bot.models import OutboxMessage

# CRLF line endings, as SMTP wants them; the file transport writes the same bytes.
POLICY = email.policy.SMTP

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BARE_ADDRESS = re.compile(r"^[^\s<>@,;:()\[\]\\\"]+@[^\s<>@,;:()\[\]\\\".][^\s<>@,;:()\[\]\\\"]*$")
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')  # RFC 5322 specials: a display name with one must not go bare
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


# Between "=" and "?" a zero-width space: the reader sees the text as typed, no parser sees an encoded word.
_ENCODED_WORD_START = "=?"
_NEUTRAL_START = "=\u200b?"


class InvalidAddress(ValueError):
    """An address that no mail server could deliver to (or that would break the headers)."""


class HeaderInjection(ValueError):
    """A folded header that holds a line break which is not folding: it would start a header of its own."""


def one_line(value: str) -> str:
    """`value` with every run of whitespace (newlines, U+2028, NEL included) and control character as one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def header_text(value: str) -> str:
    """The text a header carries for `value`: one line, with every RFC 2047 encoded-word start neutralised."""
    return one_line(value).replace(_ENCODED_WORD_START, _NEUTRAL_START)


def check_folded(name: str, folded: str) -> str:
    """`folded` (one header with its CRLF) if each line break in it is folding; HeaderInjection if not."""
    lines = folded.split("\r\n")
    if (
        len(lines) < 2
        or lines[-1] != ""
        or any("\r" in line or "\n" in line for line in lines)
        or not all(line[:1] in (" ", "\t") for line in lines[1:-1])
    ):
        raise HeaderInjection(f"the {name} header would contain a line break that is not folding: {folded!r}")
    return folded


def fold_header(name: str, value: str | Address) -> str:
    """The header line(s) `name: value` as sent (folded, encoded, CRLF-terminated), or HeaderInjection.

    Free text is encoded by `email.header.Header`, which never parses it (so nothing in it is decoded) and keeps
    every space inside its encoded words; `POLICY.fold` would leave a short non-ASCII value raw and drop a space
    between two encoded words. An `Address` is folded by the header registry, its display name kept apart.
    """
    if isinstance(value, Address):
        display = header_text(value.display_name)
        if display and (_SPECIALS.search(display) or not display.isascii() or max(map(len, display.split())) > 60):
            # The header registry would fold such a name unquoted at a long word (a ':' then starts a group
            # and the address is lost): the name goes as encoded words, which need no quoting.
            encoded = Header(display, "utf-8", header_name=name).encode(linesep="\r\n")
            last = encoded.rsplit("\r\n", 1)[-1]
            fold = "\r\n " if len(last) + len(value.addr_spec) + 3 > 76 else " "
            return check_folded(name, f"{name}: {encoded}{fold}<{value.addr_spec}>\r\n")
        address = Address(display_name=display, addr_spec=value.addr_spec)
        return check_folded(name, POLICY.header_factory(name, address).fold(policy=POLICY))
    text = header_text(value)
    # Plain ASCII folds at its spaces; a word too long for a line is encoded (Header would fold before it, and
    # that fold reads back as a leading space).
    plain = text.isascii() and all(len(word) <= 60 for word in text.split())
    encoded = Header(text, "us-ascii" if plain else "utf-8", header_name=name).encode(linesep="\r\n")
    return check_folded(name, f"{name}: {encoded}\r\n")


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


def split_mail_from(mail_from: str) -> tuple[str, str]:
    """The display name and the address of MAIL_FROM ("Name <addr>" or "addr"), the name as written."""
    value = mail_from.strip()
    if value.endswith(">") and "<" in value:
        name, _, address = value[:-1].rpartition("<")
        return one_line(name).strip('" '), address.strip()
    return "", value


def envelope_sender(mail_from: str) -> str:
    """The bare address of MAIL_FROM ("Name <addr>"), for the SMTP envelope."""
    return check_address(split_mail_from(mail_from)[1])


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

    Every header is built by `fold_header` (one line, encoded words neutralised, folding checked) and every address
    checked (`check_address`), so no value can start a header of its own. This is the one place mails are composed.
    """

    def __init__(self, mail_from: str, *, secret_key: str = "") -> None:
        self.secret_key = secret_key  # opens the sealed link of a link-bearing mail
        name, address = split_mail_from(mail_from)
        self.sender = check_address(address)
        self._from = fold_header("From", Address(display_name=name, addr_spec=self.sender))

    def compose(self, row: OutboxMessage) -> bytes:
        """The message for `row`, the same bytes on every attempt. Raises InvalidAddress for an unusable recipient."""
        recipient = _ascii_address(row.to_addr)
        message_id = one_line(row.message_id)
        if not _MESSAGE_ID.match(message_id):
            raise ValueError(f"outbox message {row.id} has a malformed Message-ID {message_id!r}")
        lines = [self._from, fold_header("To", recipient)]
        if row.reply_to:
            # A broken contract-owner address must not stop the mail to the supplier.
            with contextlib.suppress(InvalidAddress):
                lines.append(fold_header("Reply-To", _ascii_address(row.reply_to)))
        lines += [
            fold_header("Subject", row.subject),
            fold_header("Date", format_datetime(row.created_at)),  # type: ignore[arg-type] - always set; when queued
            fold_header("Message-ID", message_id),
            # RFC 3834: an automatic mail; asks out-of-office responders not to answer it.
            fold_header("Auto-Submitted", "auto-generated"),
            fold_header("X-Auto-Response-Suppress", "All"),
            fold_header("Content-Language", "en" if row.language == "en" else "nl"),
        ]
        if row.mime_body and not row.link_sealed:
            body = row.mime_body
        else:
            text, html = bodies(row, self.secret_key)  # the link goes in only now, never stored in the body
            body = build_body(text=text, html=html, message_id=message_id)
        return ("".join(lines) + body).encode("ascii")


def _ascii_address(value: str) -> str:
    address = check_address(value)
    if not address.isascii():
        raise InvalidAddress(f"invalid address {value!r}: addresses with non-ASCII characters are not supported")
    return address


def build_message(row: OutboxMessage, *, mail_from: str, secret_key: str = "") -> EmailMessage:
    """The message for `row` as an EmailMessage (parsed from exactly the bytes that are sent)."""
    return email.message_from_bytes(Composer(mail_from, secret_key=secret_key).compose(row), policy=POLICY)  # type: ignore[return-value]
