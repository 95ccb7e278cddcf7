"""The administrator's supplier pages: the list, one supplier (contacts, language, services, contracts, history)
and changing a contact. Thin views over `bot.staff.suppliers`; a supplier without a contract of the signed-in
user's organisation is 404, as any other organisation's data."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from bot.db import get_session
from bot.models import Supplier
from bot.staff import suppliers
from bot.staff.actions import ActionError
from bot.staff.admin_views import admin_required
from bot.staff.auth import now, staff
from bot.staff.blueprint import bp
from bot.web.ids import query_id


def _supplier_or_404(supplier_id: int) -> Supplier:
    found = suppliers.supplier_of(get_session(), organisation_id=staff().organisation_id, supplier_id=supplier_id)
    if found is None:
        abort(404)
    return found


@bp.get("/admin/suppliers")
@admin_required
def admin_suppliers() -> Any:
    q = request.args.get("q", "").strip()[:200]
    result = suppliers.find_suppliers(
        get_session(), organisation_id=staff().organisation_id, q=q, page=query_id("page") or 1
    )
    return render_template("staff/admin_suppliers.html", result=result, q=q)


@bp.get("/admin/suppliers/<int:supplier_id>")
@admin_required
def admin_supplier(supplier_id: int) -> Any:
    return _supplier_page(_supplier_or_404(supplier_id))


def _supplier_page(supplier: Supplier, error: ActionError | None = None, form: Any = None) -> Any:
    data = suppliers.overview(get_session(), organisation_id=staff().organisation_id, supplier=supplier)
    page = render_template(
        "staff/admin_supplier.html",
        s=data,
        error=str(error) if error else None,
        error_field=error.field if error else None,
        form=form or {},
    )
    return page, 422 if error else 200


@bp.post("/admin/suppliers/<int:supplier_id>/contacts")
@admin_required
def admin_supplier_contact(supplier_id: int) -> Any:
    supplier = _supplier_or_404(supplier_id)
    db = get_session()
    try:
        change = suppliers.change_contact(
            db,
            organisation_id=staff().organisation_id,
            supplier=supplier,
            old_email=request.form.get("old_email", ""),
            new_email=request.form.get("new_email", ""),
            now=now(),
            actor=f"staff:{staff().email}",
        )
    except ActionError as error:
        db.rollback()
        return _supplier_page(supplier, error=error, form=request.form)
    db.commit()
    if change.contracts:
        flash(
            _(
                "The contact has been changed on %(contracts)s contracts and %(uitvragen)s open uitvragen.",
                contracts=len(change.contracts),
                uitvragen=len(change.uitvragen),
            ),
            "success",
        )
    else:
        flash(_("Nothing changed."), "success")
    return redirect(url_for("staff.admin_supplier", supplier_id=supplier.id))
