"""Friendly error pages in the page's language (Dutch with an English line by default); never a stack trace
outside debug mode."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import HTTPException, InternalServerError

from bot.i18n import page_locale

log = logging.getLogger(__name__)

# The title and explanation of each status code's page.
MESSAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        lazy_gettext("Bad request"),
        lazy_gettext("The page received data it cannot handle. Go back and try again."),
    ),
    403: (
        lazy_gettext("Forbidden"),
        lazy_gettext("You may not view this page or take this action."),
    ),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext("This page does not exist (any more). Check the address, or use the link from your e-mail again."),
    ),
    405: (
        lazy_gettext("Method not allowed"),
        lazy_gettext("This page does not support this action. Go back and use the buttons on the page."),
    ),
    413: (
        lazy_gettext("Too large"),
        lazy_gettext("What you sent is larger than allowed. Choose a smaller file."),
    ),
    429: (
        lazy_gettext("Too many requests"),
        lazy_gettext("You made too many requests in a short time. Wait fifteen minutes and try again."),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext("Something went wrong on our side. Try again later; your saved answers are kept."),
    ),
}
TRY_LATER = lazy_gettext("Try again later.")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _page(error: HTTPException) -> str:
    code = error.code or 500
    title, text = MESSAGES.get(code, (error.name, TRY_LATER))
    # A view that aborts with its own explanation (already in the user's language) keeps it.
    custom = error.description if error.description != type(error).description else None
    # Someone who cannot read the page's Dutch gets one English line (the page itself may be English already).
    english = None
    if page_locale() != "en" and custom is None:
        with force_locale("en"):
            english = f"{title}: {text}"
    return render_template("error.html", code=code, title=str(title), text=custom or str(text), english=english)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if wants_json():
            return jsonify(error=error.name, message=error.description), error.code
        return _page(error), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        wrapped = InternalServerError()
        if wants_json():
            return jsonify(error=wrapped.name, message="An unexpected error occurred."), 500
        return _page(wrapped), 500
