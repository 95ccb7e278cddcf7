"""The one parser for ids and whole numbers that arrive in URLs, query strings and form fields.

An id is ASCII digits only (str.isdigit also takes "²" and "①", and int() takes "٣"), at least 1 and at most
MAX_ID, the largest value of PostgreSQL's `integer`, the type of every id column; anything else is no id, so the
caller answers 404 (a path) or ignores the filter (a query). Every `<int:...>` in a route goes through `IdConverter`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import BaseConverter, UnicodeConverter, ValidationError

MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(raw: Any) -> int | None:
    """`raw` as an id (1..MAX_ID, ASCII digits, no sign or spaces), or None."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def query_id(name: str) -> int | None:
    """The query-string argument `name` of the current request as an id (`parse_id`), or None."""
    return parse_id(request.args.get(name, ""))


class IdConverter(BaseConverter):
    """`<int:name>` in every route: an id as `parse_id` reads it; any other segment does not match (404)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))


class TextConverter(UnicodeConverter):
    """`<name>` and `<string:name>` in every route: a segment without a NUL character, which no link holds and
    PostgreSQL can neither store nor compare; such a segment does not match (404, or a `<path:...>` catch-all)."""

    def __init__(
        self, url_map: Any, minlength: int = 1, maxlength: int | None = None, length: int | None = None
    ) -> None:
        super().__init__(url_map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def init_app(app: Flask) -> None:
    """Make `<int:...>` the id converter and `<...>` text without NUL; call before any blueprint is registered."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
