"""Helpers shared by the supplier's pages: language, access to the session's uitvraag, friendly problem pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, g, render_template, request, session
from werkzeug.wrappers import Response

from bot.access import TokenState
from bot.supplier.links import OwnerContact
from bot.supplier.strings import LANGUAGES, translate
from bot.timeutil import LOCAL_TIME

SESSION_KEY = "q"  # uitvraag id (str) -> SHA-256 of the token it was opened with
MAX_OPEN = 20  # uitvragen one browser keeps open at once (a supplier answering many municipalities)

# One page and one status per way a link can fail.
PROBLEMS: dict[str, int] = {
    TokenState.UNKNOWN: 404,  # never existed (or mistyped): not found
    TokenState.EXPIRED: 410,  # existed, its time is over: gone
    TokenState.REVOKED: 403,  # withdrawn by the municipality: forbidden
    TokenState.SUPERSEDED: 410,  # replaced by a newer link: gone
    "rate_limited": 429,
    "no_session": 403,
    "csrf": 400,
    "too_large": 413,
    "not_found": 404,
    "cancelled": 410,
}


_MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni"]
    + ["juli", "augustus", "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June"]
    + ["July", "August", "September", "October", "November", "December"],
}


def format_date(value: date | datetime, language: str) -> str:
    """`31 oktober 2026`; a date-time is first put in Dutch local time."""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TIME).date()
    months = _MONTHS["en" if language == "en" else "nl"]
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_datetime(value: datetime, language: str) -> str:
    """`20 oktober 2026, 16:30` in Dutch local time."""
    local = value.astimezone(LOCAL_TIME)
    return f"{format_date(local.date(), language)}, {local:%H:%M}"


def lang() -> str:
    return getattr(g, "lang", None) or "nl"


def choose_language(default: str | None = None) -> None:
    """`?lang=en|nl` switches and remembers the language; otherwise the remembered one, else `default`, else nl."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    remembered = session.get("lang")
    g.lang = remembered if remembered in LANGUAGES else (default if default in LANGUAGES else "nl")


def t(key: str, **values: Any) -> str:
    return translate(key, lang(), **values)


def remember_uitvraag(uitvraag_id: int, token_hash: str) -> None:
    opened: dict[str, str] = dict(session.get(SESSION_KEY) or {})
    opened.pop(str(uitvraag_id), None)
    opened[str(uitvraag_id)] = token_hash
    while len(opened) > MAX_OPEN:  # oldest first: dicts keep insertion order
        opened.pop(next(iter(opened)))
    session[SESSION_KEY] = opened


def forget_uitvraag(uitvraag_id: int) -> None:
    opened: dict[str, str] = dict(session.get(SESSION_KEY) or {})
    if opened.pop(str(uitvraag_id), None) is not None:
        session[SESSION_KEY] = opened


def session_token_hash(uitvraag_id: int) -> str | None:
    opened = session.get(SESSION_KEY) or {}
    value = opened.get(str(uitvraag_id)) if isinstance(opened, dict) else None
    return value if isinstance(value, str) else None


def problem_page(kind: str, *, contacts: list[OwnerContact] | None = None, **values: Any) -> Response:
    """A friendly page for a link or request problem, with its status and whom to contact."""
    status = PROBLEMS[kind]
    response = current_app.response_class(
        render_template(
            "supplier/problem.html",
            kind=str(kind),
            title=t(f"{kind}_title"),
            text=t(f"{kind}_text", **values),
            contacts=contacts or [],
            status=status,
        ),
        status=status,
    )
    if status == 429:
        response.headers["Retry-After"] = "600"
    return response
