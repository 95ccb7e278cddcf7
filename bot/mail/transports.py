"""Mail transports chosen by MAIL_URL: SMTP (STARTTLS, implicit TLS, auth) and a folder of `.eml` files.

- `smtp://user:password@host:587` uses STARTTLS when the server offers it; `?starttls=required` refuses to send
  without it, `?starttls=never` never starts it. Auth only when a user is given (percent-encode special characters).
- `smtps://user:password@host:465` speaks TLS from the first byte.
- `file:///path/to/folder` writes one `.eml` per mail, named so that the names sort by time (development default).
- Options for both SMTP forms: `?timeout=30` (seconds per network step), `?cafile=/path/ca.pem` (trust this CA).

A transport raises DeliveryError, which says whether the failure is permanent (do not retry this mail) and whether
it concerns the connection (stop this batch; later mails would fail the same way).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class DeliveryError(Exception):
    """Sending failed. `permanent`: retrying will not help. `connection`: the connection itself is unusable."""

    def __init__(self, text: str, *, permanent: bool, connection: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent
        self.connection = connection


BeforeData = Callable[[], None] | None


class _BeforeData:
    """smtplib's sendmail with a hook between the envelope (MAIL FROM, RCPT TO) and DATA: see `Transport.send`."""

    before_data: BeforeData = None

    def data(self, msg: bytes) -> tuple[int, bytes]:
        if self.before_data is not None:
            self.before_data()
        return super().data(msg)  # type: ignore[misc]


class _SMTP(_BeforeData, smtplib.SMTP):
    pass


class _SMTP_SSL(_BeforeData, smtplib.SMTP_SSL):  # noqa: N801 - named after smtplib's class
    pass


class MailUrlError(ValueError):
    """MAIL_URL cannot be used; the message says what is wrong with it."""


class Transport(Protocol):
    def open(self) -> None: ...

    def send(
        self, data: bytes, *, sender: str, recipient: str, message_id: str, before_data: BeforeData = None
    ) -> None:
        """Deliver one message. `before_data`, if given, is called right before the message itself is handed over
        (SMTP: after the envelope, before DATA), so that the caller can finish the previous mail's bookkeeping
        while the envelope is on its way; if it raises, this message is not handed over."""

    def close(self) -> None: ...


class FileTransport:
    """Writes each mail as `<UTC time>-<id hash>.eml` in a folder; written whole or not at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeliveryError(
                f"cannot create mail folder {self.folder}: {error}", permanent=False, connection=True
            ) from error

    def send(
        self, data: bytes, *, sender: str, recipient: str, message_id: str, before_data: BeforeData = None
    ) -> None:
        if before_data is not None:
            before_data()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        suffix = hashlib.sha256(message_id.encode()).hexdigest()[:12]
        target = self.folder / f"{stamp}-{suffix}.eml"
        partial = target.with_suffix(".eml.part")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)  # readers never see half a mail
        except OSError as error:
            raise DeliveryError(f"cannot write {target}: {error}", permanent=False, connection=True) from error

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: str  # auto | required | never
    timeout: float
    cafile: str | None


def _reply_error(code: int, reply: bytes | str, what: str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{code} {' '.join(text.split())} ({what})"
    # 421: the server is closing the connection (busy, shutting down): retry later, on a new connection.
    return DeliveryError(message, permanent=500 <= code < 600, connection=code == 421)


class SmtpTransport:
    """One SMTP connection, opened on `open()` and reused for every mail until `close()`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._connection: _SMTP | _SMTP_SSL | None = None

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def open(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.port}"
        connection: _SMTP | _SMTP_SSL | None = None
        try:
            if s.implicit_tls:
                connection = _SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
            else:
                connection = _SMTP(s.host, s.port, timeout=s.timeout)
            connection.ehlo()
            if not s.implicit_tls and s.starttls != "never":
                if connection.has_extn("starttls"):
                    connection.starttls(context=self._tls_context())
                    connection.ehlo()
                elif s.starttls == "required":
                    raise DeliveryError(
                        f"mail server {where} does not offer STARTTLS, and MAIL_URL requires it",
                        permanent=False,
                        connection=True,
                    )
            if s.username:
                connection.login(s.username, s.password or "")
        except DeliveryError:
            _quietly_close(connection)
            raise
        except smtplib.SMTPAuthenticationError as error:
            _quietly_close(connection)
            # Wrong credentials are a setting to fix, not a reason to give up on the mails: retry later.
            raise DeliveryError(
                f"mail server {where} refused the user name or password in MAIL_URL: {error.smtp_code}",
                permanent=False,
                connection=True,
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            _quietly_close(connection)
            raise DeliveryError(
                f"cannot connect to mail server {where}: {_describe(error)}", permanent=False, connection=True
            ) from error
        self._connection = connection

    def send(
        self, data: bytes, *, sender: str, recipient: str, message_id: str, before_data: BeforeData = None
    ) -> None:
        if self._connection is None:
            self.open()
        assert self._connection is not None
        self._connection.before_data = before_data
        try:
            self._connection.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(recipient, (550, b"recipient refused"))
            raise _reply_error(code, reply, f"recipient {recipient}") from error
        except smtplib.SMTPSenderRefused as error:
            raise _reply_error(error.smtp_code, error.smtp_error, f"sender {sender}") from error
        except smtplib.SMTPDataError as error:
            raise _reply_error(error.smtp_code, error.smtp_error, "message") from error
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(f"the mail server cannot take this address: {error}", permanent=True) from error
        except UnicodeEncodeError as error:
            raise DeliveryError(f"address {recipient!r} needs SMTPUTF8: {error}", permanent=True) from error
        except smtplib.SMTPResponseException as error:
            raise _reply_error(error.smtp_code, error.smtp_error, "server") from error
        except (smtplib.SMTPException, OSError) as error:
            self._connection = None
            raise DeliveryError(
                f"connection to the mail server lost: {_describe(error)}", permanent=False, connection=True
            ) from error

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(connection)


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _quietly_close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


def transport_for(url: str) -> Transport:
    """The transport MAIL_URL names; MailUrlError says what is wrong with a URL that cannot work."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        folder = unquote(parts.path)
        if not folder:
            raise MailUrlError(f"MAIL_URL {url!r} names no folder; use file:///path/to/folder")
        return FileTransport(Path(folder))
    if scheme not in {"smtp", "smtps"}:
        raise MailUrlError(f"MAIL_URL must start with smtp://, smtps:// or file://, got {scheme or 'nothing'}://")
    if not parts.hostname:
        raise MailUrlError("MAIL_URL names no mail server host, e.g. smtp://user:password@mail.example:587")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "auto").lower()
    if starttls not in {"auto", "required", "never"}:
        raise MailUrlError(f"MAIL_URL option starttls must be auto, required or never, got {starttls!r}")
    try:
        timeout = float(query.get("timeout", "30"))
        port = parts.port or (465 if scheme == "smtps" else 25)
    except ValueError as error:
        raise MailUrlError(f"MAIL_URL has an invalid port or timeout: {error}") from None
    return SmtpTransport(
        SmtpSettings(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=scheme == "smtps",
            starttls=starttls,
            timeout=timeout,
            cafile=query.get("cafile") or None,
        )
    )
