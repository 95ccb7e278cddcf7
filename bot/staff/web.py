"""The staff area's blueprint (`/staff/`), its language helper and template context."""

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


# Route modules register themselves on `bp`; imported last so they can import `bp` from here.
from bot.staff import auth, export_views, sso_views, views  # noqa: E402,F401
