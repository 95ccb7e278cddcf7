"""Staff downloads: the register as CSV and JSON, and the printable per-cycle report."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, render_template
from flask_babel import gettext as _
from sqlmodel import select

from bot.db import get_session
from bot.models import Organisation, ReviewCycle, Severity
from bot.staff.auth import login_required, now, staff
from bot.staff.blueprint import bp
from bot.staff.exports import REGISTER_COLUMNS, cycle_report, register_csv, register_rows
from bot.staff.queries import cycles_of


def _filename(suffix: str) -> str:
    organisation = get_session().get(Organisation, staff().organisation_id)
    slug = organisation.slug if organisation else "register"
    return f"register-{slug}-{now().date().isoformat()}.{suffix}"


@bp.get("/export")
@login_required
def exports() -> Any:
    return render_template("staff/exports.html", cycles=cycles_of(get_session(), staff().organisation_id))


@bp.get("/export/register.csv")
@login_required
def register_csv_export() -> Any:
    rows = register_rows(get_session(), organisation_id=staff().organisation_id, now=now())
    return Response(
        register_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename("csv")}"',
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/export/register.json")
@login_required
def register_json_export() -> Any:
    user = staff()
    organisation = get_session().get(Organisation, user.organisation_id)
    assert organisation is not None
    moment = now()
    response = jsonify(
        organisation={"slug": organisation.slug, "name": organisation.name},
        generated_at=moment.isoformat(),
        columns=REGISTER_COLUMNS,
        contracts=register_rows(get_session(), organisation_id=user.organisation_id, now=moment),
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/report/<cycle_name>")
@login_required
def cycle_report_page(cycle_name: str) -> Any:
    db = get_session()
    cycle = db.exec(select(ReviewCycle).where(ReviewCycle.name == cycle_name)).first()
    if cycle is None:
        abort(404)
    report = cycle_report(db, organisation_id=staff().organisation_id, cycle=cycle, now=now())
    if report is None:  # a cycle in which this organisation asked nothing is not its to report on
        abort(
            404,
            _("Your organisation has no uitvragen in this cycle."),
        )
    return render_template("staff/report.html", report=report, severities=list(Severity))
