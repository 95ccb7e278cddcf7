"""Staff pages: overview, uitvraag page with its actions, evidence downloads, audit log and failed mails.

Views stay thin: they read the form, call `bot.staff.actions` / `bot.staff.queries`, commit, and redirect.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot import sharing
from bot.db import get_session
from bot.models import (
    AuditLog,
    EvidenceFile,
    Finding,
    OutboxMessage,
    OutboxStatus,
    RiskAcceptance,
    Severity,
    Supplier,
    Uitvraag,
)
from bot.staff import acceptance, actions
from bot.staff.auth import login_required, now, scoped_or_404, staff
from bot.staff.blueprint import bp, lang
from bot.staff.charts import score_chart
from bot.staff.detail import uitvraag_detail
from bot.staff.queries import SORT_KEYS, STATUS_FILTERS
from bot.staff.queries import overview as build_overview
from bot.staff.texts import questionnaire_titles
from bot.timeutil import day_start
from bot.web.ids import query_id

AUDIT_PAGE_SIZE = 200


@bp.app_template_global("questionnaire_titles")
def _questionnaire_titles(questionnaire_ids: Any, lang: str) -> dict[str, str]:
    """For the printable report (bot/staff/export_views.py), which names each uitvraag's questionnaire too."""
    return questionnaire_titles(get_session(), questionnaire_ids, lang)


def _mail_settings() -> actions.MailSettings:
    return actions.MailSettings.from_config(current_app.config)


def _date(field: str) -> date | None:
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise actions.ActionError(
            field, lazy_gettext("'%(value)s' is not a date; use yyyy-mm-dd.", value=raw)
        ) from None


@bp.get("/")
@login_required
def overview() -> Any:
    user = staff()
    moment = now()
    status = request.args.get("status", "")
    severity = request.args.get("severity", "")
    sort = request.args.get("sort", "supplier")
    if sort.lstrip("-") not in SORT_KEYS:
        sort = "supplier"
    data = build_overview(
        get_session(),
        organisation_id=user.organisation_id,
        now=moment,
        cycle_name=request.args.get("cycle", ""),
        status=status if status in STATUS_FILTERS else "",
        supplier_id=query_id("supplier"),
        owner=request.args.get("owner", ""),
        severity=severity if severity in set(Severity) else "",
        sort=sort,
    )
    charts = {s.supplier.id: score_chart(s.history) for s in data.suppliers}
    owners = sorted({o for row in data.all_rows for o in row.owners})
    return render_template(
        "staff/overview.html",
        data=data,
        charts=charts,
        owners=owners,
        titles=questionnaire_titles(get_session(), (row.uitvraag.questionnaire_id for row in data.all_rows), lang()),
        filters={
            "status": status,
            "supplier": request.args.get("supplier", ""),
            "owner": request.args.get("owner", ""),
            "severity": severity,
            "sort": sort,
            "cycle": data.cycle.name if data.cycle else "",
        },
        status_filters=STATUS_FILTERS,
        severities=list(Severity),
        now=moment,
    )


@bp.get("/uitvragen/<int:uitvraag_id>")
@login_required
def uitvraag(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)
    moment = now()
    detail = uitvraag_detail(get_session(), row, now=moment, lang=lang())
    may_act = actions.can_act(get_session(), user=staff(), uitvraag=row)
    return render_template(
        "staff/uitvraag.html",
        d=detail,
        may_act=may_act,
        now=moment,
        default_follow_up=(moment + timedelta(days=14)).date().isoformat(),
        default_accept_until=(moment + timedelta(days=365)).date().isoformat(),
        accept_limits=acceptance.AcceptanceLimits.from_config(current_app.config),
        add_months=acceptance.add_months,
        may_decide=lambda proposal: acceptance.may_decide(staff(), proposal),
        tomorrow=(moment + timedelta(days=1)).date().isoformat(),
        shared=sharing.shared_origin(get_session(), uitvraag_id),
    )


def _act(uitvraag_row: Uitvraag, do: Any, success: str, anchor: str = "") -> Any:
    """Run one action for the signed-in user: commit on success, flash the reason otherwise, then go back."""
    db = get_session()
    back = url_for("staff.uitvraag", uitvraag_id=uitvraag_row.id, _anchor=anchor)
    try:
        result = do(db)
        db.commit()
    except actions.NotAllowed:
        db.rollback()
        abort(403, _("You may only act on your own contracts."))
    except actions.ActionError as error:
        db.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.uitvraag", uitvraag_id=uitvraag_row.id, _anchor=anchor or error.field))
    except IntegrityError:
        # Two people asked for a follow-up at the same moment: the unique round let one of them win.
        db.rollback()
        flash(
            _("Someone else did the same at the same moment; check the uitvraag and try again if needed."),
            "error",
        )
        return redirect(back)
    flash(success, "success")
    if isinstance(result, Uitvraag) and result.id != uitvraag_row.id:
        return redirect(url_for("staff.uitvraag", uitvraag_id=result.id))
    return redirect(back)


def _unconfirmed(row: Uitvraag) -> Any:
    """A link action posted without its confirmation (an old page, a stray request): nothing happens."""
    flash(_("Nothing was changed: confirm the action first."), "error")
    return redirect(url_for("staff.uitvraag", uitvraag_id=row.id, _anchor="link"))


@bp.post("/findings/<int:finding_id>/accept")
@login_required
def accept_risk(finding_id: int) -> Any:
    finding = get_session().get(Finding, finding_id)
    if finding is None:
        abort(404)
    row = scoped_or_404(Uitvraag, finding.uitvraag_id)

    def do(db: Any) -> Any:
        return acceptance.propose_acceptance(
            db,
            actor=staff(),
            finding=finding,
            reason=request.form.get("reason", ""),
            mitigation=request.form.get("mitigation", ""),
            until=_date("until"),
            limits=acceptance.AcceptanceLimits.from_config(current_app.config),
            now=now(),
        )

    if finding.severity in acceptance.NEEDS_APPROVAL:
        success = _("The proposal to accept the risk waits for the CISO's approval.")
    else:
        success = _("The risk has been accepted.")
    return _act(row, do, success, anchor=f"finding-{finding_id}")


@bp.post("/acceptances/<int:acceptance_id>/decide")
@login_required
def decide_acceptance(acceptance_id: int) -> Any:
    proposal = get_session().get(RiskAcceptance, acceptance_id)
    if proposal is None:
        abort(404)
    finding = get_session().get(Finding, proposal.finding_id)
    assert finding is not None
    row = scoped_or_404(Uitvraag, finding.uitvraag_id)
    approve = request.form.get("decision") == "approve"

    def do(db: Any) -> Any:
        return acceptance.decide_acceptance(
            db,
            actor=staff(),
            acceptance=proposal,
            approve=approve,
            note=request.form.get("note", ""),
            limits=acceptance.AcceptanceLimits.from_config(current_app.config),
            now=now(),
        )

    success = _("The risk has been accepted.") if approve else _("The proposal has been rejected.")
    return _act(row, do, success, anchor=f"finding-{finding.id}")


@bp.post("/uitvragen/<int:uitvraag_id>/improve")
@login_required
def request_improvement(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)

    def do(db: Any) -> Any:
        return actions.request_improvement(
            db,
            actor=staff(),
            uitvraag=row,
            question_ids=request.form.getlist("question_ids"),
            remark=request.form.get("remark", ""),
            deadline=_date("deadline"),
            now=now(),
            mail=_mail_settings(),
        )

    return _act(
        row,
        do,
        _("The improvement request has been sent to the supplier."),
        anchor="improve",
    )


@bp.post("/uitvragen/<int:uitvraag_id>/extend")
@login_required
def extend_deadline(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)

    def do(db: Any) -> Any:
        return actions.extend_deadline(
            db,
            actor=staff(),
            uitvraag=row,
            deadline=_date("deadline"),
            now=now(),
            grace_days=current_app.config["TOKEN_GRACE_DAYS"],
        )

    return _act(row, do, _("The deadline has been extended."), anchor="link")


@bp.post("/uitvragen/<int:uitvraag_id>/resend")
@login_required
def resend_link(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)
    if request.form.get("confirm") != "yes":
        return _unconfirmed(row)

    def do(db: Any) -> Any:
        return actions.resend_link(db, actor=staff(), uitvraag=row, now=now(), mail=_mail_settings())

    return _act(
        row,
        do,
        _("A new link has been sent; the old one no longer works."),
        anchor="link",
    )


@bp.post("/uitvragen/<int:uitvraag_id>/revoke")
@login_required
def revoke_link(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)
    if request.form.get("confirm") != "yes":
        return _unconfirmed(row)

    def do(db: Any) -> Any:
        return actions.revoke_link(db, actor=staff(), uitvraag=row, now=now())

    return _act(row, do, _("The link has been revoked."), anchor="link")


@bp.post("/uitvragen/<int:uitvraag_id>/review")
@login_required
def mark_reviewed(uitvraag_id: int) -> Any:
    row = scoped_or_404(Uitvraag, uitvraag_id)

    def do(db: Any) -> Any:
        return actions.mark_reviewed(db, actor=staff(), uitvraag=row, now=now())

    return _act(row, do, _("The review is done."), anchor="review")


@bp.get("/evidence/<int:file_id>")
@login_required
def evidence(file_id: int) -> Any:
    file = get_session().get(EvidenceFile, file_id)
    if file is None:
        abort(404)
    scoped_or_404(Uitvraag, file.uitvraag_id)
    folder = Path(current_app.config["UPLOAD_DIR"])
    if not (folder / file.stored_name).is_file():
        abort(404, _("The file is not available (any more)."))
    # Always a download, never rendered in the browser: the content came from outside.
    response = send_from_directory(
        folder,
        file.stored_name,
        as_attachment=True,
        download_name=file.original_name,
        mimetype="application/octet-stream",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/audit")
@login_required
def audit_log() -> Any:
    user = staff()
    query = select(AuditLog).where(AuditLog.organisation_id == user.organisation_id)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    subject = query_id("uitvraag")
    since = _arg_date("from")
    until = _arg_date("to")
    if action:
        query = query.where(AuditLog.action == action)
    if actor:
        query = query.where(col(AuditLog.actor).contains(actor))
    if subject is not None:
        query = query.where(AuditLog.subject_type == "uitvraag", AuditLog.subject_id == subject)
    if since:
        query = query.where(col(AuditLog.at) >= day_start(since))
    if until:
        query = query.where(col(AuditLog.at) < day_start(until + timedelta(days=1)))
    entries = (
        get_session()
        .exec(query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(AUDIT_PAGE_SIZE + 1))
        .all()
    )
    actions_known = (
        get_session()
        .exec(
            select(AuditLog.action)
            .where(AuditLog.organisation_id == user.organisation_id)
            .distinct()
            .order_by(AuditLog.action)
        )
        .all()
    )
    return render_template(
        "staff/audit.html",
        entries=entries[:AUDIT_PAGE_SIZE],
        more=len(entries) > AUDIT_PAGE_SIZE,
        actions_known=actions_known,
        filters={
            "action": action,
            "actor": actor,
            "uitvraag": request.args.get("uitvraag", ""),
            "from": request.args.get("from", ""),
            "to": request.args.get("to", ""),
        },
    )


def _arg_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/mail/failed")
@login_required
def failed_mails() -> Any:
    user = staff()
    messages = (
        get_session()
        .exec(
            select(OutboxMessage)
            .where(OutboxMessage.organisation_id == user.organisation_id, OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
            .limit(500)
        )
        .all()
    )
    uitvraag_ids = {m.uitvraag_id for m in messages if m.uitvraag_id}
    suppliers = {}
    if uitvraag_ids:
        for row, supplier in get_session().exec(
            select(Uitvraag, Supplier)
            .join(Supplier, col(Supplier.id) == Uitvraag.supplier_id)
            .where(col(Uitvraag.id).in_(uitvraag_ids))
        ):
            suppliers[row.id] = supplier.name
    return render_template("staff/failed_mails.html", messages=messages, suppliers=suppliers)
