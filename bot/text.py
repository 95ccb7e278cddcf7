"""Text users give, made safe to show: bidirectional control characters are removed at the door.

U+202A-U+202E (embeddings and overrides), U+2066-U+2069 (isolates) and the marks U+200E, U+200F, U+061C make a
name or answer display in another order than it was written ("Trojan Source"): a supplier could make "exe.fdp"
read as "pdf.exe" on a staff page or in a mail. They are stripped from every form field (`CleanRequest`), JSON
body (the API) and register file before anything reads them; pages show user text inside `<bdi>` as well.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def strip_bidi(value: str) -> str:
    """`value` without bidirectional control characters."""
    return _BIDI.sub("", value)


def strip_bidi_deep(value: Any) -> Any:
    """A parsed JSON value with `strip_bidi` applied to every string in it, keys included."""
    if isinstance(value, str):
        return strip_bidi(value)
    if isinstance(value, list):
        return [strip_bidi_deep(item) for item in value]
    if isinstance(value, dict):
        return {strip_bidi_deep(key): strip_bidi_deep(item) for key, item in value.items()}
    return value


class CleanRequest(Request):
    """Flask's request, its form fields already without bidirectional control characters."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None:
            self.__dict__["form"] = ImmutableMultiDict(
                [(strip_bidi(key), strip_bidi(value)) for key, value in form.items(multi=True)]
            )
