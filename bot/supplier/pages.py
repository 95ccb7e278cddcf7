"""Helpers shared by the supplier's pages: language, access to the session's uitvraag, friendly problem pages."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request, session
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from bot.access import TokenState
from bot.i18n import LANGUAGES
from bot.supplier.links import OwnerContact

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

# What each problem page says: its title and its explanation (`%(mb)s` is the upload limit).
PROBLEM_TEXTS = {
    TokenState.UNKNOWN: (
        lazy_gettext("This link is not known"),
        lazy_gettext(
            "Check that you used the whole link from the e-mail. If it still does not work, ask the municipality "
            "that sent you the e-mail for a new link."
        ),
    ),
    TokenState.EXPIRED: (
        lazy_gettext("This link has expired"),
        lazy_gettext(
            "The period of this questionnaire is over. Contact the contract owner if you still want to answer or "
            "see your submitted answers; they can extend the deadline and send you a new link."
        ),
    ),
    TokenState.REVOKED: (
        lazy_gettext("This link has been withdrawn"),
        lazy_gettext(
            "The municipality has withdrawn this link. Contact the contract owner if you think this is a mistake."
        ),
    ),
    TokenState.SUPERSEDED: (
        lazy_gettext("There is a newer link"),
        lazy_gettext(
            "You have received a newer e-mail with a new link; this old link no longer works. Use the link from "
            "the most recent e-mail. Your saved answers are kept."
        ),
    ),
    "rate_limited": (
        lazy_gettext("Too many attempts"),
        lazy_gettext(
            "Too many unknown links were tried from your address. Wait ten minutes, then use the link from the e-mail."
        ),
    ),
    "no_session": (
        lazy_gettext("Open the link from your e-mail"),
        lazy_gettext(
            "This page only opens in the browser in which you opened the personal link from the municipality's "
            "invitation or reminder. Open that link again; your saved answers are kept."
        ),
    ),
    "csrf": (
        lazy_gettext("Your form has expired"),
        lazy_gettext(
            "To protect your data this form could not be processed (its security code was missing or had "
            "expired). Open the link from your e-mail again and try once more."
        ),
    ),
    "too_large": (
        lazy_gettext("The file is too large"),
        lazy_gettext(
            "What you sent is larger than %(mb)s MB and was not processed. Go back, choose a smaller file (or a "
            "summary) and save again."
        ),
    ),
    "not_found": (
        lazy_gettext("Page not found"),
        lazy_gettext("This page does not exist (any more)."),
    ),
    "cancelled": (
        lazy_gettext("This questionnaire has been withdrawn"),
        lazy_gettext("The municipality has withdrawn this questionnaire; you need not do anything."),
    ),
}


def lang() -> str:
    return getattr(g, "lang", None) or "nl"


def choose_language(default: str | None = None) -> None:
    """`?lang=en|nl` switches and remembers the language; otherwise the remembered one, else `default`, else nl."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    remembered = session.get("lang")
    g.lang = remembered if remembered in LANGUAGES else (default if default in LANGUAGES else "nl")


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
    title, text = (str(part) for part in PROBLEM_TEXTS[kind])
    response = current_app.response_class(
        render_template(
            "supplier/problem.html",
            kind=str(kind),
            title=title,
            text=text % values if values else text,
            contacts=contacts or [],
            status=status,
        ),
        status=status,
    )
    if status == 429:
        response.headers["Retry-After"] = "600"
    return response
