"""Cross-cutting web concerns: security headers, CSRF, error pages and blueprint registration."""

from __future__ import annotations

from flask import Flask, abort, request

from bot import i18n, models, security_events
from bot.text import CleanRequest
from bot.timeutil import local_time
from bot.web import errors, ids, security

TEMPLATE_ENUMS = (
    "AcceptanceStatus",
    "DONE_STATUSES",
    "FindingStatus",
    "LadderLevel",
    "OutboxStatus",
    "Role",
    "Severity",
    "UitvraagKind",
    "UitvraagStatus",
)


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest  # form fields without bidi control characters (bot/text.py)
    ids.init_app(app)  # before the blueprints: their <int:...> segments use it
    i18n.init_app(app)
    app.add_template_filter(local_time, "local")
    # Templates compare statuses and kinds through the same enums as the code (CTFd exports its constants so).
    app.jinja_env.globals.update(
        {name: getattr(models, name) for name in TEMPLATE_ENUMS},
    )
    app.before_request(refuse_nul)
    security.init_app(app)
    security_events.init_app(app)  # refusals (403, 429) and the events views note, recorded after the request
    errors.init_app(app)
    from bot.web.blueprints import register_blueprints

    register_blueprints(app)
    from bot.web import devmail

    if devmail.enabled(app):
        app.register_blueprint(devmail.bp)


def refuse_nul() -> None:
    """No query may hold a NUL character: PostgreSQL cannot store or compare one, and no link has one. A 400 before
    any view reads the query, instead of a database error. Paths: `<...>` segments never match one (bot/web/ids.py);
    form fields refuse control characters at the field (bot/supplier/answers.py)."""
    if any("\x00" in text for text in (*request.args.keys(), *request.args.values())):
        abort(400, description="The address contains a NUL character, which no link holds.")
