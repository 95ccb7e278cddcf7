"""Read the contract register from an Excel workbook (.xlsx) with openpyxl: the first sheet, as rows of text.

Cells become the text a person sees in them, so the register's own rules (bot/register.py) judge an .xlsx exactly as
the same register saved as CSV: dates as yyyy-mm-dd, whole numbers without '.0', TRUE/FALSE as ja/nee.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive


class XlsxError(ValueError):
    """The bytes are not a workbook that can be read."""


def is_xlsx(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def cell_text(value: object) -> str:
    """The text of one cell as Excel shows it, in the forms the register's parser reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def xlsx_records(data: bytes) -> list[list[str]]:
    """The first sheet's rows as lists of text (header first); trailing empty rows are left to the caller."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise XlsxError(_("not a readable Excel workbook (.xlsx): %(error)s", error=error)) from None
    try:
        if not workbook.worksheets:
            return []
        return [[cell_text(value) for value in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
