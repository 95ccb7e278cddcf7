"""Friendly error pages in Dutch with an English line; never a stack trace outside debug mode."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

# (Dutch title, Dutch explanation, English title, English explanation) per status code.
MESSAGES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "Dit verzoek klopt niet",
        "De pagina kreeg gegevens die zij niet kan verwerken. Ga terug en probeer het opnieuw.",
        "Bad request",
        "The page received data it cannot handle. Go back and try again.",
    ),
    403: (
        "Geen toegang",
        "U mag deze pagina niet bekijken of deze handeling niet uitvoeren.",
        "Forbidden",
        "You may not view this page or take this action.",
    ),
    404: (
        "Pagina niet gevonden",
        "Deze pagina bestaat niet (meer). Controleer het adres, of gebruik de link uit uw e-mail opnieuw.",
        "Page not found",
        "This page does not exist (any more). Check the address, or use the link from your e-mail again.",
    ),
    405: (
        "Deze handeling kan hier niet",
        "Deze pagina ondersteunt deze handeling niet. Ga terug en gebruik de knoppen op de pagina.",
        "Method not allowed",
        "This page does not support this action. Go back and use the buttons on the page.",
    ),
    413: (
        "Het bestand is te groot",
        "Wat u verstuurde is groter dan toegestaan. Kies een kleiner bestand.",
        "Too large",
        "What you sent is larger than allowed. Choose a smaller file.",
    ),
    429: (
        "Te veel verzoeken",
        "U hebt in korte tijd te veel verzoeken gedaan. Wacht een kwartier en probeer het opnieuw.",
        "Too many requests",
        "You made too many requests in a short time. Wait fifteen minutes and try again.",
    ),
    500: (
        "Er ging iets mis",
        "Er ging aan onze kant iets mis. Probeer het later opnieuw; uw opgeslagen antwoorden blijven bewaard.",
        "Something went wrong",
        "Something went wrong on our side. Try again later; your saved answers are kept.",
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _page(error: HTTPException) -> str:
    code = error.code or 500
    nl_title, nl_text, en_title, en_text = MESSAGES.get(
        code, (error.name, "Probeer het later opnieuw.", error.name, "Try again later.")
    )
    # A view that aborts with its own explanation (already in the user's language) keeps it.
    custom = error.description if error.description != type(error).description else None
    return render_template(
        "error.html",
        code=code,
        title=nl_title,
        text=custom or nl_text,
        en_title=en_title,
        en_text=None if custom else en_text,
    )


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
