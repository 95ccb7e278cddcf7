"""Cross-cutting web concerns: security headers, CSRF, error pages and blueprint registration."""

from __future__ import annotations

from flask import Flask

from bot import i18n
from bot.timeutil import local_time
from bot.web import errors, security


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.add_template_filter(local_time, "local")
    security.init_app(app)
    errors.init_app(app)
    from bot.web.blueprints import register_blueprints

    register_blueprints(app)
    from bot.web import devmail

    if devmail.enabled(app):
        app.register_blueprint(devmail.bp)
