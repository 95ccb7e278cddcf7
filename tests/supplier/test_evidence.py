"""Uploads are recognised by their content; the file name must agree with it."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.evidence import OLE_MAGIC, UploadError, check_upload, clean_name, read_limited, sniff
from bot.i18n import in_each_language
from tests.supplier.helpers import docx_bytes, pdf_bytes, png_bytes


def office(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
    return buffer.getvalue()


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
OLE = OLE_MAGIC + b"\x00" * 1024


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("rapport.pdf", pdf_bytes(), "application/pdf"),
        ("scan.png", png_bytes(), "image/png"),
        ("foto.JPG", JPEG, "image/jpeg"),
        ("foto.jpeg", JPEG, "image/jpeg"),
        ("vwo.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("lijst.xlsx", office("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "deck.pptx",
            office("ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("oud.doc", OLE, "application/msword"),
        ("oud.xls", OLE, "application/vnd.ms-excel"),
    ],
)
def test_accepted_documents(name, content, content_type):
    checked = check_upload(content, name)
    assert checked.content_type == content_type and len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("certificaat.pdf", b"MZ\x90\x00 an executable", "geen geldig .pdf-bestand"),
        ("certificaat.pdf", png_bytes(), "geen geldig .pdf-bestand"),
        ("scan.png", pdf_bytes(), "geen geldig .png-bestand"),
        ("vwo.docx", office("xl/workbook.xml"), "geen geldig .docx-bestand"),
        ("vwo.docx", b"PK\x03\x04 broken zip", "geen geldig .docx-bestand"),
        ("archief.zip", docx_bytes(), "geen toegestaan type"),
        ("pagina.html", b"<script>alert(1)</script>", "geen toegestaan type"),
        ("zonder-extensie", pdf_bytes(), "geen toegestaan type"),
        ("leeg.pdf", b"", "is leeg"),
        ("half.pdf", b"%PDF-1.4 without an end", "geen geldig .pdf-bestand"),
    ],
)
def test_refused_uploads_say_why(app, name, content, says):
    with pytest.raises(UploadError) as refused:
        check_upload(content, name)
    with app.app_context():
        message = in_each_language(refused.value.message)
    assert says in message["nl"] and name in message["en"] and message["en"] != message["nl"]


def test_the_size_limit_is_enforced_while_reading(app):
    assert read_limited(io.BytesIO(b"x" * 100), 100) == b"x" * 100
    with pytest.raises(UploadError) as refused:
        read_limited(io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)), 2 * 1024 * 1024)
    with app.app_context():
        assert "groter dan 2 MB" in in_each_language(refused.value.message)["nl"]


def test_names_lose_paths_and_control_characters():
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name("C:\\Users\\x\\rapport.pdf") == "rapport.pdf"
    assert clean_name("a\x00b\u202e.pdf") == "ab.pdf"
    assert len(clean_name("x" * 400 + ".pdf")) <= 255 and clean_name("x" * 400 + ".pdf").endswith(".pdf")
    assert sniff(b"") is None
