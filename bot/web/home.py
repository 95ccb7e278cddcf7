"""The landing page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import text

from bot.db import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return render_template("home.html")


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok"}
