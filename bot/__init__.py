"""BIO supplier questionnaire service: the Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from bot.config import check_settings, load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: defaults, then the environment (and `.env`), then `test_config`."""
    app = Flask(__name__, instance_path=os.environ.get("BOT_INSTANCE_PATH") or None, instance_relative_config=True)
    app.config.from_mapping(load_settings(app.instance_path, dotenv=test_config is None))
    if test_config:
        app.config.update(test_config)
    app.debug = bool(app.config["DEBUG"])
    check_settings(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 2) * 1024 * 1024
    from bot import db, logs, web

    logs.configure(app.config["LOG_FORMAT"])
    from bot.cli import register_commands

    db.init_app(app)
    web.init_app(app)
    register_commands(app.cli)  # so that app.test_cli_runner() sees every `bot` command
    return app
