"""The one place that lists the app's blueprints."""

from __future__ import annotations

import importlib

from flask import Flask

# module path -> attribute holding the Blueprint. Each feature package owns its own blueprint.
BLUEPRINTS = [
    ("bot.web.home", "bp"),
    ("bot.web.health", "bp"),
    ("bot.supplier.views", "bp"),
    ("bot.supplier.api", "bp"),
    ("bot.staff.web", "bp"),
]


def register_blueprints(app: Flask) -> None:
    for module_name, attribute in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(getattr(module, attribute))
