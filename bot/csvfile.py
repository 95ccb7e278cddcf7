"""The one CSV writer of the service (web exports and `bot export`): what Dutch Excel opens by double-click.

Semicolons, CRLF, UTF-8 with a byte order mark. A cell that starts like a formula (=, +, -, @, tab, CR) gets a
leading apostrophe, so a spreadsheet shows it as text instead of running it (CSV injection); `raw=True` leaves
cells as they are, for files that only go back into `bot import` (a round trip).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: Any, *, raw: bool = False) -> str:
    """`value` as the text of one cell: empty for None, ja/nee for booleans, formulas defused unless `raw`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    text = str(value)
    return "'" + text if not raw and text.startswith(FORMULA_START) else text


def excel_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, raw: bool = False) -> bytes:
    """The CSV file of `rows` (dicts by column name) under a header of `columns`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([text_cell(row.get(column), raw=raw) for column in columns])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
