"""Evidence uploads: checked by content (not by name), size-limited, stored outside the web root under random names.

Accepted: PDF, PNG, JPEG, Office Open XML (docx, xlsx, pptx: a zip with the parts of that kind) and the legacy
Office formats (doc, xls, ppt: an OLE compound file). The file name's extension must match what the content is.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from sqlmodel import Session

from bot.models import EvidenceFile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extension -> (content type, kind of content). The kind is what the sniffer must find.
TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "ppt": ("application/vnd.ms-powerpoint", "ole"),
}
ACCEPT = ",".join(f".{ext}" for ext in TYPES)  # for <input type=file accept=...>
# The part every Office Open XML package of that kind has.
_OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{8,64}")
_MAX_ZIP_MEMBERS = 10_000  # a real Office document has dozens; more is not a document


class UploadError(ValueError):
    """An upload was refused; `message` says why, in words the supplier can act on (a gettext text)."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    original_name: str
    extension: str
    content_type: str
    sha256: str


def sniff(data: bytes) -> str | None:
    """What the content is ("pdf", "png", "jpeg", "docx", "xlsx", "pptx", "ole"), or None if none of those."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "png"
    if data.startswith(b"\xff\xd8\xff") and len(data) > 4:
        return "jpeg"
    if data.startswith(OLE_MAGIC) and len(data) >= 512:
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    return None


def _sniff_ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_MEMBERS:
                return None
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, part in _OOXML_MAIN_PART.items():
        if part in names:
            return kind
    return None


def clean_name(name: str) -> str:
    """A display name without path parts or control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 5 else name[:255]
    return name or "bestand"


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read the whole stream, refusing it as soon as it passes `max_bytes`."""
    chunks = []
    total = 0
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            mb = max_bytes // (1024 * 1024)
            raise UploadError(
                lazy_gettext("The file is larger than %(mb)s MB. Make it smaller or upload a summary.", mb=mb),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def check_upload(data: bytes, filename: str) -> CheckedUpload:
    """Check that `data` is an accepted document whose content matches its file name; raise UploadError if not."""
    name = clean_name(filename or "")
    if not data:
        raise UploadError(lazy_gettext("The file %(name)s is empty.", name=name))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        raise UploadError(
            lazy_gettext(
                "The file %(name)s is not of an accepted type. Accepted: PDF, PNG, JPEG, Word, Excel, PowerPoint.",
                name=name,
            ),
        )
    content_type, expected = TYPES[extension]
    found = sniff(data)
    if found != expected:
        raise UploadError(
            lazy_gettext(
                "The content of %(name)s is not a valid .%(extension)s file. Upload the document in its own format.",
                name=name,
                extension=extension,
            ),
        )
    return CheckedUpload(data, name, extension, content_type, hashlib.sha256(data).hexdigest())


def store_upload(
    session: Session,
    *,
    uitvraag_id: int,
    question_id: str,
    stream: BinaryIO,
    filename: str,
    expires_on: date | None,
    upload_dir: str | os.PathLike[str],
    max_bytes: int,
    now: datetime,
) -> EvidenceFile:
    """Check and store one upload; add its EvidenceFile row to the session (the caller commits)."""
    checked = check_upload(read_limited(stream, max_bytes), filename)
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = directory / stored_name
    # Exclusive create: a random name never overwrites anything; 0600 keeps it from other local users.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(checked.data)
    row = EvidenceFile(
        uitvraag_id=uitvraag_id,
        question_id=question_id,
        original_name=checked.original_name,
        stored_name=stored_name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        expires_on=expires_on,
        uploaded_at=now,
        carried_over=False,
    )
    session.add(row)
    return row


def stored_path(upload_dir: str | os.PathLike[str], row: EvidenceFile) -> Path:
    """Where the file of `row` lives. Stored names are random, never taken from user input."""
    if not _STORED_NAME.fullmatch(row.stored_name or ""):
        raise ValueError("stored evidence name is not a stored name")
    return Path(upload_dir) / row.stored_name
