"""The staff area's blueprint (`/staff/`), its language helper and template context.

Route modules (auth, views, export_views) attach their views to `bp` by importing it from here; bot/staff/web.py
brings them together for the app. Nothing here imports a route module, so each of them imports on its own.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

bp = Blueprint("staff", __name__, url_prefix="/staff")


def lang() -> str:
    """The language of the current staff page: the signed-in user's, else Dutch (English on `?lang=en`)."""
    return g.get("staff_lang", "nl")


@bp.context_processor
def _context() -> dict[str, Any]:
    return {"lang": lang(), "staff_user": g.get("staff_user")}
