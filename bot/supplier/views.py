"""The supplier's form: `/q/<token>` opens it; `/q/uitvraag/<id>/...` are its pages (no token in their URLs).

Sections are separate pages, each a form that saves on every button (so leaving a section saves it, without
JavaScript); `supplier.js` adds autosave and live show/hide of conditional questions.
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import NoResultFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from bot import evidence as evidence_files
from bot import security_events, sharing
from bot.access import TokenState
from bot.db import get_session, writes_on_get
from bot.evidence import UploadError
from bot.mail.message import mail_domain
from bot.models import Organisation, Uitvraag, UitvraagKind, UitvraagStatus
from bot.staff.actions import MailSettings
from bot.supplier import logmask
from bot.supplier.answers import FieldError, InvalidAnswer, form_value, parse_expiry
from bot.supplier.drafts import Frozen, add_evidence, remove_evidence, save_answers, set_expiry, visible_file
from bot.supplier.links import owner_contacts, present_token, token_state
from bot.supplier.pages import (
    choose_language,
    forget_uitvraag,
    lang,
    problem_page,
    remember_uitvraag,
    session_token_hash,
)
from bot.supplier.receipt_links import read_receipt
from bot.supplier.render import error_for, question_view, strings_for_js
from bot.supplier.state import UitvraagState, load_state
from bot.supplier.submission import AlreadySubmitted, SubmissionInvalid, receipt_document, submit
from bot.timeutil import utcnow
from bot.web.ids import parse_id

bp = Blueprint("supplier", __name__, url_prefix="/q")


@bp.record_once
def _install_log_mask(_state: Any) -> None:
    logmask.install()


@bp.before_request
def _language() -> None:
    choose_language()


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"lang": lang()}


@bp.errorhandler(CSRFError)
def _csrf_failed(_error: CSRFError) -> Response:
    return problem_page("csrf")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    return problem_page("too_large", mb=current_app.config["MAX_UPLOAD_MB"])


def actor() -> str:
    return f"supplier:{g.state.uitvraag.id}"


@bp.get("/<token>")
@bp.get("/<path:token>")  # a mangled link (a slash in it) gets the same "not known" page
@writes_on_get  # records that the link was opened, and counts unknown links against the client
def open_link(token: str) -> Response:
    """Exchange the emailed token for a session, then go to a URL without it. Never uses the token up."""
    db = get_session()
    opened = present_token(db, token=token, client=request.remote_addr or "unknown", now=utcnow())
    if opened.rate_limited:
        return problem_page("rate_limited")
    if not opened.ok:
        assert opened.state is not None
        security_events.note(f"token-{opened.state.value}")
        return problem_page(opened.state, contacts=owner_contacts(db, opened.uitvraag_id))
    assert opened.uitvraag_id is not None and opened.token_hash is not None
    remember_uitvraag(opened.uitvraag_id, opened.token_hash)
    return redirect(url_for("supplier.overview", uitvraag_id=opened.uitvraag_id), code=303)


def with_uitvraag(view: Callable[..., Response]) -> Callable[..., Response]:
    """Let the request through only with a session opened by a still-valid token of this very uitvraag."""

    @functools.wraps(view)
    def wrapped(uitvraag_id: int, **kwargs: Any) -> Response:
        db = get_session()
        token_hash = session_token_hash(uitvraag_id)
        if token_hash is None:
            return problem_page("no_session")
        try:
            g.state = load_state(db, uitvraag_id=uitvraag_id, token_hash=token_hash)
        except NoResultFound:
            db.commit()
            return problem_page("no_session")
        row = g.state.uitvraag
        state = TokenState.UNKNOWN
        if row.token_id is not None:
            state = token_state(row.token_revoked_at, row.token_superseded_at, row.token_expires_at, utcnow())
        if state is not TokenState.VALID:
            security_events.note(f"token-{state.value}", organisation_id=row.organisation_id)
            forget_uitvraag(uitvraag_id)
            contacts = owner_contacts(db, uitvraag_id)
            db.commit()
            return problem_page("no_session" if state is TokenState.UNKNOWN else state, contacts=contacts)
        if g.state.uitvraag.status == UitvraagStatus.CANCELLED:
            contacts = owner_contacts(db, uitvraag_id)
            db.commit()
            return problem_page("cancelled", contacts=contacts)
        db.commit()  # end the read transaction now: SQLite holds its lock for a transaction's whole length
        choose_language(g.state.uitvraag.language)
        return view(uitvraag_id, **kwargs)

    return wrapped


def _page(template: str, status: int = 200, **context: Any) -> Response:
    state: UitvraagState = g.state
    here = context.get("section")

    def error_link(error: FieldError) -> str:
        # An error about a question on another page links to that page, at the field.
        if error.section_id and (here is None or here.id != error.section_id):
            return url_for(
                "supplier.section", uitvraag_id=state.uitvraag.id, section_id=error.section_id, _anchor=error.field
            )
        return f"#{error.field}"

    body = render_template(
        template,
        state=state,
        q=functools.partial(question_view, state, lang()),
        js_strings=json.dumps(strings_for_js()),
        accept=evidence_files.ACCEPT,
        error_link=error_link,
        field_error=error_for,
        open_questions=[q for q in state.visible_questions() if q.required and not state.is_answered(q)],
        **context,
    )
    return current_app.response_class(body, status=status)


@bp.get("/uitvraag/<int:uitvraag_id>")
@with_uitvraag
def overview(uitvraag_id: int) -> Response:
    if g.state.submitted:
        return _page("supplier/submitted.html")
    if g.state.uitvraag.kind == UitvraagKind.FOLLOW_UP:
        return _page("supplier/overview.html", recipients=_improvement_recipients(uitvraag_id), excludable=False)
    return _page("supplier/overview.html", recipients=_recipients(uitvraag_id), excludable=True)


def _recipients(uitvraag_id: int) -> list[sharing.Recipient]:
    """The municipalities a shared declaration led by this uitvraag goes to (empty when it is not shared)."""
    declaration = sharing.declaration_led_by(get_session(), uitvraag_id)
    found = sharing.recipients(get_session(), declaration) if declaration is not None else []
    get_session().commit()
    return found if len(found) > 1 else []


def _improvement_recipients(uitvraag_id: int) -> list[sharing.Recipient]:
    """The municipalities the answers to an improvement request on a shared declaration go to (or none)."""
    db = get_session()
    follow_up = db.get(Uitvraag, uitvraag_id)
    found = sharing.follow_up_recipients(db, follow_up) if follow_up is not None else []
    db.commit()
    return found


@bp.post("/uitvraag/<int:uitvraag_id>/declaration/exclude")
@with_uitvraag
def exclude_recipient(uitvraag_id: int) -> Response:
    """The supplier takes a municipality out of its shared declaration: that one gets its own link by mail."""
    db = get_session()
    now = utcnow()
    try:
        member_id = int(request.form.get("member", ""), 10)
    except ValueError:
        return problem_page("not_found")
    declaration = sharing.declaration_led_by(db, uitvraag_id)
    if declaration is None or g.state.submitted:
        return problem_page("not_found")
    try:
        member = sharing.exclude(db, declaration=declaration, uitvraag_id=member_id, now=now, actor=actor())
    except sharing.NotShared:
        db.rollback()
        return problem_page("not_found")
    mail = MailSettings.from_config(current_app.config)
    sharing.invite_on_own_link(db, uitvraag=member, now=now, mail=mail)
    organisation = db.get(Organisation, member.organisation_id)
    db.commit()
    flash(
        _(
            "%(organisation)s will not receive this declaration; it sends you its own questionnaire by mail.",
            organisation=organisation.name if organisation else "",
        ),
        "success",
    )
    return redirect(url_for("supplier.overview", uitvraag_id=uitvraag_id), code=303)


@bp.route("/uitvraag/<int:uitvraag_id>/s/<section_id>", methods=["GET", "POST"])
@with_uitvraag
def section(uitvraag_id: int, section_id: str) -> Response:
    state: UitvraagState = g.state
    current = state.section(section_id)
    if current is None:
        return problem_page("not_found")
    if state.submitted:
        return redirect(url_for("supplier.overview", uitvraag_id=uitvraag_id), code=303)
    if request.method == "GET":
        return _page("supplier/section.html", section=current, errors=[], raw={})
    autosave = request.headers.get("X-Autosave") == "1"
    before = {q.id for q in state.visible_questions(current)}
    try:
        errors, raw, notices = _save_section(state, current)
    except Frozen:
        get_session().rollback()
        flash(
            _("This questionnaire has already been submitted. It cannot be submitted twice; the receipt is below."),
            "error",
        )
        return redirect(url_for("supplier.overview", uitvraag_id=uitvraag_id), code=303)
    after = [q for q in state.visible_questions(current) if q.id not in before]
    if autosave:
        return _autosave_reply(state, current, errors)
    if errors:
        return _page("supplier/section.html", 422, section=current, errors=errors, raw=raw)
    for notice in notices:
        flash(notice, "success")
    action = request.form.get("action", "save")
    if any(not state.is_answered(q) for q in after) and action != "save":
        flash(_("Your answer added questions to this section. Answer them, then continue."), "success")
        return redirect(url_for("supplier.section", uitvraag_id=uitvraag_id, section_id=section_id), code=303)
    return redirect(_next_url(state, section_id, action), code=303)


def _save_section(state: UitvraagState, current: Any) -> tuple[list[FieldError], dict[str, Any], list[str]]:
    """Store the posted answers, expiry dates, uploads and removals of one section; commits."""
    db = get_session()
    now = utcnow()
    config = current_app.config
    in_section = {q.id: q for q in current.questions if state.in_scope(q)}
    posted = [qid for qid in request.form.getlist("present") if qid in in_section]
    raw = {qid: form_value(in_section[qid], request.form) for qid in posted if in_section[qid].type != "evidence"}
    errors = save_answers(db, state=state, values=raw, now=now, actor=actor())
    notices: list[str] = []
    for files in [state.evidence.get(qid, []) for qid in in_section]:
        for row in files:
            field = f"expires-{row.id}"
            if row.uitvraag_id == state.uitvraag.id and field in request.form:
                problem = set_expiry(db, state=state, file_id=row.id, raw=request.form.get(field))  # type: ignore[arg-type]
                if problem:
                    errors.append(problem)
    for qid, question in in_section.items():
        upload = request.files.get(f"file-{qid}")
        if upload is None or not upload.filename:
            continue
        expiry_error = None
        try:
            expires_on = parse_expiry(request.form.get(f"expires-new-{qid}"))
        except InvalidAnswer as error:
            expires_on, expiry_error = None, error
        try:
            row = add_evidence(
                db,
                state=state,
                question_id=qid,
                stream=upload.stream,
                filename=upload.filename,
                expires_on=expires_on,
                upload_dir=config["UPLOAD_DIR"],
                max_bytes=config["MAX_UPLOAD_MB"] * 1024 * 1024,
                now=now,
                actor=actor(),
            )
        except UploadError as error:
            errors.append(FieldError(f"q-{qid}", error.message, qid, question.section))
            continue
        db.flush()
        notices.append(_("The document has been added."))
        if expiry_error is not None:
            errors.append(FieldError(f"expires-{row.id}", expiry_error.message, qid, question.section))
    removed = []
    for raw_id in request.form.getlist("remove"):
        path = None
        file_id = parse_id(raw_id)
        if file_id is not None:
            path = remove_evidence(
                db, state=state, file_id=file_id, upload_dir=config["UPLOAD_DIR"], now=now, actor=actor()
            )
        if path is not None:
            removed.append(path)
            notices.append(_("The document has been removed."))
    db.commit()
    for path in removed:
        path.unlink(missing_ok=True)
    if not errors and not notices:
        notices.append(_("Your answers have been saved as a draft."))
    return errors, {k: v for k, v in raw.items()}, notices


def _next_url(state: UitvraagState, section_id: str, action: str) -> str:
    ids = [s.id for s in state.sections()]
    here = ids.index(section_id)
    uitvraag_id = state.uitvraag.id
    target: str | None = section_id
    if action == "next":
        target = ids[here + 1] if here + 1 < len(ids) else None
    elif action == "prev":
        target = ids[here - 1] if here > 0 else section_id
    elif action.startswith("goto:") and action[5:] in ids:
        target = action[5:]
    elif action == "submit":
        target = None
    if target is None:
        return url_for("supplier.submit_page", uitvraag_id=uitvraag_id)
    return url_for("supplier.section", uitvraag_id=uitvraag_id, section_id=target)


def _autosave_reply(state: UitvraagState, current: Any, errors: list[FieldError]) -> Response:
    answered, total = state.progress(current)
    return jsonify(
        saved=not errors,
        time=utcnow().strftime("%H:%M"),
        progress={"answered": answered, "total": total},
        visible=[q.id for q in state.visible_questions(current)],
        errors=[{"field": e.field, "message": str(e.message)} for e in errors],
    )


@bp.route("/uitvraag/<int:uitvraag_id>/submit", methods=["GET", "POST"])
@with_uitvraag
def submit_page(uitvraag_id: int) -> Response:
    state: UitvraagState = g.state
    if state.submitted:
        if request.method == "POST":  # a second tab, a double click: say so, and show the receipt
            return _page("supplier/receipt.html", 409, already=True)
        return redirect(url_for("supplier.receipt", uitvraag_id=uitvraag_id), code=303)
    if request.method == "GET":
        return _page("supplier/submit.html", errors=[], attestation={})
    attestation = {
        "name": request.form.get("name", ""),
        "role": request.form.get("role", ""),
        "email": request.form.get("email", ""),
        "truthful": request.form.get("truthful", ""),
    }
    base_url = current_app.config["BASE_URL"]
    try:
        submit(
            get_session(),
            uitvraag_id=uitvraag_id,
            attestation=attestation,
            now=utcnow(),
            actor=actor(),
            base_url=base_url,
            secret_key=current_app.config["SECRET_KEY"],
            mail_domain=mail_domain(current_app.config["MAIL_FROM"]),
            upload_dir=current_app.config["UPLOAD_DIR"],
            grace_days=int(current_app.config["TOKEN_GRACE_DAYS"]),
        )
    except AlreadySubmitted:
        g.state = load_state(get_session(), uitvraag_id=uitvraag_id)
        get_session().commit()
        return _page("supplier/receipt.html", 409, already=True)
    except Frozen:
        return redirect(url_for("supplier.overview", uitvraag_id=uitvraag_id), code=303)
    except SubmissionInvalid as invalid:
        return _page("supplier/submit.html", 422, errors=invalid.errors, attestation=attestation)
    return redirect(url_for("supplier.receipt", uitvraag_id=uitvraag_id), code=303)


@bp.get("/uitvraag/<int:uitvraag_id>/receipt")
@with_uitvraag
def receipt(uitvraag_id: int) -> Response:
    if not g.state.submitted:
        return redirect(url_for("supplier.overview", uitvraag_id=uitvraag_id), code=303)
    return _page("supplier/receipt.html", already=False)


@bp.get("/uitvraag/<int:uitvraag_id>/receipt.json")
@with_uitvraag
def receipt_json(uitvraag_id: int) -> Response:
    if not g.state.submitted:
        abort(404)
    return _receipt_download(g.state)


def _receipt_download(state: UitvraagState) -> Response:
    body = json.dumps(receipt_document(state.submission), indent=2, ensure_ascii=False, sort_keys=True)  # type: ignore[arg-type]
    response = current_app.response_class(body + "\n", mimetype="application/json")
    filename = f"ontvangstbewijs-uitvraag-{state.uitvraag.id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed_state(signed: str) -> UitvraagState | None:
    """The uitvraag a well-signed receipt link names, if the digest it carries is still the stored submission's."""
    named = read_receipt(current_app.config["SECRET_KEY"], signed)
    if named is None:
        return None
    uitvraag_id, digest = named
    db = get_session()
    try:
        state = load_state(db, uitvraag_id=uitvraag_id)
    except NoResultFound:
        state = None
    db.commit()  # end the read transaction now (see with_uitvraag)
    if state is None or state.submission is None or not hmac.compare_digest(state.submission.digest, digest):
        return None
    return state


@bp.get("/receipt/<signed>")
def signed_receipt(signed: str) -> Response:
    """The receipt page from the receipt mail's link: read-only, no session needed and none given."""
    state = _signed_state(signed)
    if state is None:
        return problem_page(TokenState.UNKNOWN)
    g.state = state
    choose_language(state.uitvraag.language)
    return _page("supplier/receipt.html", already=False, signed=signed)


@bp.get("/receipt/<signed>/receipt.json")
def signed_receipt_json(signed: str) -> Response:
    """The JSON receipt behind a signed receipt link (see `signed_receipt`)."""
    state = _signed_state(signed)
    if state is None:
        return problem_page(TokenState.UNKNOWN)
    return _receipt_download(state)


@bp.get("/uitvraag/<int:uitvraag_id>/evidence/<int:file_id>")
@with_uitvraag
def evidence(uitvraag_id: int, file_id: int) -> Response:
    """An uploaded document, always as a download (never shown inline, never run as a page)."""
    row = visible_file(g.state, file_id)
    if row is None:
        return problem_page("not_found")
    return download(row)


def download(row: Any) -> Response:
    from flask import send_file

    path = evidence_files.stored_path(current_app.config["UPLOAD_DIR"], row)
    if not path.exists():
        return problem_page("not_found")
    response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response
