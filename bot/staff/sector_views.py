"""The sector view's pages (`/staff/sector`, its CSV and JSON) and the fence around sector users.

A sector user belongs to no municipality: every other staff page answers it 404 (the start pages send it here), so
what it can reach is exactly these three addresses and signing in and out.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, url_for

from bot.db import get_session
from bot.models import Role, Severity
from bot.sector import SectorFigures, sector_csv, sector_figures, sector_json
from bot.staff.auth import current_staff, login_required, now, staff
from bot.staff.blueprint import bp, lang

SECTOR_ENDPOINTS = frozenset({"staff.sector", "staff.sector_csv_export", "staff.sector_json_export"})
# Where a sector user may also go: signing in and out (these pages show nothing of any municipality).
OPEN_ENDPOINTS = frozenset({"staff.signin", "staff.signin_link", "staff.signout", "staff.signed_out"})
# The start pages a sign-in or the brand link lead to: a sector user lands on its own page instead.
START_ENDPOINTS = frozenset({"staff.overview", "staff.attention"})


def is_sector(user: Any) -> bool:
    return user is not None and user.role == Role.SECTOR.value


@bp.before_request
def _fence() -> Any:
    """Municipal pages are not found for a sector user; sector pages are not found for anyone else."""
    user = current_staff()
    endpoint = request.endpoint or ""
    if endpoint in OPEN_ENDPOINTS:
        return None
    if endpoint in SECTOR_ENDPOINTS:
        if user is not None and not is_sector(user):
            abort(404)
        return None
    if is_sector(user):
        if endpoint in START_ENDPOINTS and request.method == "GET":
            return redirect(url_for("staff.sector"))
        abort(404)
    return None


def _figures() -> SectorFigures:
    assert is_sector(staff())
    figures = sector_figures(
        get_session(),
        minimum=current_app.config["SECTOR_MIN_MUNICIPALITIES"],
        cycle_name=request.args.get("cycle") or None,
        lang=lang(),
    )
    if figures is None:
        abort(404)
    return figures


def _filename(figures: SectorFigures, suffix: str) -> str:
    return f"sector-{figures.cycle or 'leeg'}-{now().date().isoformat()}.{suffix}"


@bp.get("/sector")
@login_required
def sector() -> Any:
    return render_template("staff/sector.html", figures=_figures(), severities=list(Severity))


@bp.get("/sector/export.csv")
@login_required
def sector_csv_export() -> Any:
    figures = _figures()
    return Response(
        sector_csv(figures),
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(figures, "csv")}"',
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/sector/export.json")
@login_required
def sector_json_export() -> Any:
    figures = _figures()
    return Response(
        sector_json(figures, generated_at=now()),
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(figures, "json")}"',
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
        },
    )
