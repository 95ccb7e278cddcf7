"""Test helpers for the supplier form: its small test questionnaire, documents to upload, and reads that end their
transaction. Uitvragen come from tests/support/factories.py."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.timeutil import utcnow


def open_link(client: Any, token: str) -> Any:
    """Open the emailed link with a Flask test client; returns the redirect response."""
    return client.get(f"/q/{token}")


# Small real documents of each accepted kind, for uploads.
def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + pixels + chunk(b"IEND", b"")


def pdf_bytes(text: str = "ISO 27001 certificaat") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {text}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def docx_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def expiry_in(days: int, now: datetime | None = None) -> str:
    return ((now or utcnow()) + timedelta(days=days)).date().isoformat()


def rows(session: Session, statement: Any) -> list[Any]:
    """Run a query and end the transaction at once: on SQLite every transaction holds the write lock, and the app
    under test must not wait for the test's."""
    session.expire_all()
    result = list(session.exec(statement).all())
    session.commit()
    return result


def fetch(session: Session, model: Any, ident: int) -> Any:
    """A fresh copy of one row, with the transaction ended (see `rows`)."""
    session.expire_all()
    row = session.get(model, ident)
    session.commit()
    return row
