"""Web administration for the functional administrator (role admin), and the attention page for everyone.

Thin views over plain functions: `bot.register` (upload with preview, then confirm), `bot.staff.contracts` (find,
show, change), `bot.staff.users` (add, role, deactivate), `bot.staff.attention` (what needs doing). Every id from a
URL goes through `scoped_or_404`, every change is audited by the function that makes it, and every POST is CSRF-
protected by the app.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from bot.contracts import in_force
from bot.db import get_session
from bot.models import Contract, Organisation, Role, StaffUser, Supplier
from bot.register import RegisterError, apply_register, only_organisation, parse_register
from bot.staff import contracts, suppliers
from bot.staff.actions import ActionError
from bot.staff.attention import attention as build_attention
from bot.staff.auth import login_required, now, scoped_or_404, staff
from bot.staff.blueprint import bp
from bot.staff.users import ROLES, UserError, change_role, deactivate_staff_user, ensure_staff_user, list_staff_users
from bot.web.ids import query_id

F = TypeVar("F", bound=Callable[..., Any])
REGISTER_EXTENSIONS = (".csv", ".xlsx")


def admin_required(view: F) -> F:
    """Signed in, and an administrator of the organisation; others get 403."""

    @login_required
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if staff().role != Role.ADMIN.value:
            abort(403, _("Only an administrator of your organisation may do this."))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _actor() -> str:
    return f"staff:{staff().email}"


def _organisation() -> Organisation:
    organisation = get_session().get(Organisation, staff().organisation_id)
    assert organisation is not None
    return organisation


@bp.get("/attention")
@login_required
def attention() -> Any:
    db = get_session()
    data = build_attention(db, user=staff(), now=now())
    supplier_ids = {u.supplier_id for u in data.overdue} | {u.supplier_id for _f, u in data.findings}
    supplier_ids |= {u.supplier_id for _f, u in data.acceptances_ending}
    supplier_ids |= {u.supplier_id for _e, u in data.certificates_expiring}
    supplier_ids |= {u.supplier_id for _r, _f, u in data.acceptances_awaiting_approval}
    suppliers = {
        s.id: s.name
        for s in db.exec(select(Supplier).where(Supplier.id.in_(sorted(supplier_ids)))).all()  # type: ignore[union-attr]
    }
    return render_template("staff/attention.html", a=data, suppliers=suppliers)


# --- the contract register ------------------------------------------------------------------------------------


@bp.get("/admin/contracts")
@admin_required
def admin_contracts() -> Any:
    db = get_session()
    organisation_id = staff().organisation_id
    filters = contracts.ContractFilters(
        q=request.args.get("q", "").strip()[:200],
        supplier_id=query_id("supplier"),
        owner=request.args.get("owner", "").strip()[:254],
        tier=request.args.get("tier", ""),
        state=request.args.get("state", "") if request.args.get("state") in contracts.STATES else "",
        page=query_id("page") or 1,
    )
    today = now().date()
    result = contracts.find_contracts(db, organisation_id=organisation_id, filters=filters, today=today)
    return render_template(
        "staff/admin_contracts.html",
        result=result,
        filters=filters,
        choices=contracts.filter_choices(db, organisation_id=organisation_id),
        in_force=lambda c: in_force(c, today),
    )


NEW_CONTRACT_DEFAULTS = {"risk_tier": "medium", "personal_data": "no", "cloud_hosted": "no", "active": "yes"}


@bp.get("/admin/contracts/new")
@admin_required
def admin_contract_new() -> Any:
    form = dict(NEW_CONTRACT_DEFAULTS)
    supplier_id = query_id("supplier")
    if supplier_id is not None:
        found = suppliers.supplier_of(get_session(), organisation_id=staff().organisation_id, supplier_id=supplier_id)
        if found is not None:  # "add a contract with this supplier" from its page
            form |= {"supplier_kvk": found.kvk, "supplier_name": found.name}
    return render_template("staff/admin_contract_new.html", form=form, problems=[], fields=[])


@bp.post("/admin/contracts/new")
@admin_required
def admin_contract_add() -> Any:
    db = get_session()
    try:
        contract = contracts.add_contract(
            db, organisation=_organisation(), form=request.form.to_dict(), now=now(), actor=_actor()
        )
    except RegisterError as error:
        db.rollback()
        page = render_template(
            "staff/admin_contract_new.html", form=request.form, problems=error.problems, fields=error.fields
        )
        return page, 422
    db.commit()
    flash(_("The contract %(reference)s has been added.", reference=contract.reference), "success")
    return redirect(url_for("staff.admin_contract", contract_id=contract.id))


@bp.get("/admin/contracts/<int:contract_id>")
@admin_required
def admin_contract(contract_id: int) -> Any:
    contract = scoped_or_404(Contract, contract_id)
    return _contract_page(contract)


def _contract_page(contract: Contract, error: ActionError | None = None, form: Any = None) -> Any:
    db = get_session()
    supplier = db.get(Supplier, contract.supplier_id)
    status = 422 if error else 200
    return (
        render_template(
            "staff/admin_contract.html",
            contract=contract,
            supplier=supplier,
            service=contracts.service_name(db, contract),
            history=contracts.contract_history(db, contract=contract),
            in_force=in_force(contract, now().date()),
            error=str(error) if error else None,
            error_field=error.field if error else None,
            form=form,
        ),
        status,
    )


@bp.post("/admin/contracts/<int:contract_id>")
@admin_required
def admin_contract_edit(contract_id: int) -> Any:
    contract = scoped_or_404(Contract, contract_id)
    db = get_session()
    try:
        changes = contracts.parse_changes(request.form.to_dict())
        changed = contracts.update_contract(db, contract=contract, changes=changes, now=now(), actor=_actor())
    except ActionError as error:
        db.rollback()
        return _contract_page(contract, error=error, form=request.form)
    db.commit()
    flash(_("The contract has been saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("staff.admin_contract", contract_id=contract.id))


# --- staff users ----------------------------------------------------------------------------------------------


@bp.get("/admin/users")
@admin_required
def admin_users() -> Any:
    users = [user for user, _org in list_staff_users(get_session(), organisation_id=staff().organisation_id)]
    return render_template("staff/admin_users.html", users=users, roles=ROLES)


def _user_error(error: UserError) -> Any:
    get_session().rollback()
    flash(str(error), "error")
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users")
@admin_required
def admin_user_add() -> Any:
    db = get_session()
    try:
        user, created = ensure_staff_user(
            db,
            organisation=_organisation(),
            email=request.form.get("email", ""),
            role=request.form.get("role", ""),
            name=request.form.get("name", ""),
            now=now(),
            actor=_actor(),
        )
    except UserError as error:
        return _user_error(error)
    db.commit()
    flash(
        _("%(email)s has been added.", email=user.email)
        if created
        else _("%(email)s has been updated.", email=user.email),
        "success",
    )
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/role")
@admin_required
def admin_user_role(user_id: int) -> Any:
    user = scoped_or_404(StaffUser, user_id)
    db = get_session()
    try:
        change_role(
            db, organisation=_organisation(), user=user, role=request.form.get("role", ""), now=now(), actor=_actor()
        )
    except UserError as error:
        return _user_error(error)
    db.commit()
    flash(_("The role of %(email)s has been saved.", email=user.email), "success")
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/deactivate")
@admin_required
def admin_user_deactivate(user_id: int) -> Any:
    user = scoped_or_404(StaffUser, user_id)
    db = get_session()
    try:
        deactivate_staff_user(db, organisation=_organisation(), user=user, now=now(), actor=_actor())
    except UserError as error:
        return _user_error(error)
    db.commit()
    flash(_("%(email)s can no longer sign in.", email=user.email), "success")
    return redirect(url_for("staff.admin_users"))


# --- register upload: preview, then confirm -------------------------------------------------------------------


def _register_rows(data: bytes, filename: str) -> Any:
    rows = parse_register(data, source=filename)
    only_organisation(rows, _organisation(), source=filename)
    return rows


@bp.get("/admin/register")
@admin_required
def admin_register() -> Any:
    return render_template("staff/admin_register.html")


@bp.post("/admin/register")
@admin_required
def admin_register_preview() -> Any:
    upload = request.files.get("register")
    filename = (upload.filename or "").strip() if upload else ""
    if not upload or not filename:
        return render_template(
            "staff/admin_register.html", problems=[_("Choose a register file (.csv or .xlsx).")]
        ), 400
    if not filename.lower().endswith(REGISTER_EXTENSIONS):
        problem = _("%(name)s is not a .csv or .xlsx file.", name=filename)
        return render_template("staff/admin_register.html", problems=[problem]), 400
    data = upload.read()
    return _preview_or_apply(data, filename, confirm=False)


@bp.post("/admin/register/confirm")
@admin_required
def admin_register_confirm() -> Any:
    filename = request.form.get("filename", "register")[:255]
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    return _preview_or_apply(data, filename, confirm=True)


def _preview_or_apply(data: bytes, filename: str, *, confirm: bool) -> Any:
    """Validate the file; on a preview apply it and roll back (the CLI's --dry-run), on confirm apply and commit.

    The confirmation carries the file itself and is checked again in full, so what is written is what was shown.
    """
    db = get_session()
    try:
        rows = _register_rows(data, filename)
    except RegisterError as error:
        return render_template("staff/admin_register.html", problems=error.problems, filename=filename), 422
    report = apply_register(db, rows=rows, now=now(), actor=_actor(), organisation_id=staff().organisation_id)
    if not confirm:
        db.rollback()
        encoded = base64.b64encode(data).decode("ascii")
        return render_template("staff/admin_register.html", report=report, filename=filename, data=encoded)
    db.commit()
    flash(
        _(
            "The register has been imported: %(created)s contracts created, %(updated)s changed, "
            "%(unchanged)s unchanged.",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
        "success",
    )
    return redirect(url_for("staff.admin_contracts"))


__all__ = ["admin_required"]
