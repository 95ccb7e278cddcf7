"""The JSON API on one uitvraag, for suppliers who answer many municipalities: `Authorization: Bearer <token>`.

The same functions as the form do the work (load_state, save_answers, add_evidence, submit). No cookies are used,
so CSRF protection does not apply; every request presents the token, which is checked (and rate-limited) each time.
The contract is described in `bot/supplier/openapi.yaml`, served at /api/v1/openapi.yaml.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from bot import security_events
from bot.access import TokenState
from bot.db import get_session, writes_on_get
from bot.evidence import UploadError
from bot.i18n import in_each_language
from bot.mail.message import mail_domain
from bot.models import EvidenceFile, UitvraagStatus
from bot.supplier import logmask
from bot.supplier.answers import FieldError, InvalidAnswer, parse_expiry
from bot.supplier.drafts import Frozen, add_evidence, remove_evidence, save_answers
from bot.supplier.links import present_token
from bot.supplier.state import UitvraagState, load_state
from bot.supplier.submission import AlreadySubmitted, SubmissionInvalid, receipt_document, submit
from bot.text import strip_bidi_deep
from bot.timeutil import utcnow
from bot.web.security import csrf

bp = Blueprint("supplier_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
OPENAPI = Path(__file__).with_name("openapi.yaml")

# Status per token problem: the same choice as the pages (see bot/supplier/pages.py), 401 when none is sent.
TOKEN_STATUS = {TokenState.UNKNOWN: 401, TokenState.EXPIRED: 410, TokenState.REVOKED: 403, TokenState.SUPERSEDED: 410}
TOKEN_MESSAGES = {
    TokenState.UNKNOWN: "The token is not known. Send the token from the link in the e-mail.",
    TokenState.EXPIRED: "The token has expired. Ask the contract owner to extend the deadline.",
    TokenState.REVOKED: "The token has been withdrawn by the municipality.",
    TokenState.SUPERSEDED: "A newer token has been sent for this questionnaire; use the one from the latest e-mail.",
}


@bp.record_once
def _install_log_mask(_state: Any) -> None:
    logmask.install()


@bp.after_request
def _no_store(response: Response) -> Response:
    # Answers and receipts are the supplier's data: no cache (browser, proxy) may keep them.
    if request.endpoint != "supplier_api.openapi":
        response.headers["Cache-Control"] = "no-store"
    return response


def problem(status: int, error: str, message: str, **extra: Any) -> Response:
    response = jsonify(error=error, message=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def field_errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [{"field": e.field, "question_id": e.question_id, "message": in_each_language(e.message)} for e in errors]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    return problem(413, "too-large", f"The request is larger than {current_app.config['MAX_UPLOAD_MB']} MB.")


def with_token(view: Callable[..., Response]) -> Callable[..., Response]:
    """Require `Authorization: Bearer <token>` of a valid token; `g.state` is its uitvraag."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            response = problem(401, "unauthorized", "Send the token from the e-mail as: Authorization: Bearer <token>.")
            response.headers["WWW-Authenticate"] = 'Bearer realm="uitvraag"'
            return response
        db = get_session()
        opened = present_token(db, token=token.strip(), client=request.remote_addr or "unknown", now=utcnow())
        if opened.rate_limited:
            response = problem(429, "rate-limited", "Too many unknown tokens from your address; wait ten minutes.")
            response.headers["Retry-After"] = "600"
            return response
        if not opened.ok:
            state = opened.state
            assert state is not None
            security_events.note(f"token-{state.value}")
            return problem(TOKEN_STATUS[state], f"token-{state.value}", TOKEN_MESSAGES[state])
        g.state = load_state(db, uitvraag_id=opened.uitvraag_id)  # type: ignore[arg-type]
        db.commit()
        if g.state.uitvraag.status == UitvraagStatus.CANCELLED:
            return problem(410, "cancelled", "The municipality has withdrawn this questionnaire.")
        return view(**kwargs)

    # Presenting a token records its use and counts unknown ones, so even a GET writes.
    return writes_on_get(wrapped)


def actor() -> str:
    return f"supplier-api:{g.state.uitvraag.id}"


def _text(value: Any) -> dict[str, str]:
    return {"nl": value.nl, "en": value.get("en")}


def _file(state: UitvraagState, row: EvidenceFile) -> dict[str, Any]:
    return {
        "id": row.id,
        "question_id": row.question_id,
        "name": row.original_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "expires_on": row.expires_on.isoformat() if row.expires_on else None,
        "uploaded_at": row.uploaded_at.isoformat() if row.uploaded_at else None,
        "from_previous": row.uitvraag_id != state.uitvraag.id,
    }


def document(state: UitvraagState) -> dict[str, Any]:
    """The uitvraag, its questionnaire (asked questions only) and the current answers, as the API returns them."""
    uitvraag = state.uitvraag
    sections = []
    for section in state.sections():
        questions = []
        for question in section.questions:
            if not state.in_scope(question):
                continue
            questions.append(
                {
                    "id": question.id,
                    "type": question.type,
                    "text": _text(question.text),
                    "help": _text(question.help),
                    "required": question.required,
                    "measures": list(question.measures),
                    "options": [{"value": o.value, "label": _text(o.label)} for o in question.options]
                    if question.options
                    else [{"value": v, "label": None} for v in question.option_values()],
                    "unit": _text(question.unit) if question.unit else None,
                    "evidence": question.evidence,
                    "expiry": question.expiry,
                    # What the answer may not be (refused with 422 naming the question), so a client can check first.
                    "limits": {
                        "not_future": question.not_future,
                        "min": question.min,
                        "max": question.max,
                        "positive": question.positive,
                    },
                    "show_if": [{"question": c.question, "fact": c.fact, "in": list(c.in_)} for c in question.show_if],
                    "shown": state.shown(question),
                    "answered": state.is_answered(question),
                }
            )
        sections.append({"id": section.id, "title": _text(section.title), "questions": questions})
    answered, total = state.progress()
    return {
        "uitvraag": {
            "id": uitvraag.id,
            "status": uitvraag.status,
            "kind": uitvraag.kind,
            "remark": uitvraag.remark,
            "question_ids": uitvraag.question_ids,
            "language": uitvraag.language,
            "deadline": uitvraag.deadline.isoformat() if uitvraag.deadline else None,
            "organisation": state.organisation.name,
            "supplier": {"name": state.supplier.name, "kvk": state.supplier.kvk},
            "contracts": [{"reference": c.reference, "name": c.name} for c in state.contracts],
        },
        "questionnaire": {
            "id": state.questionnaire.id,
            "version": state.questionnaire.version,
            "content_hash": state.questionnaire.content_hash,
            "title": _text(state.questionnaire.title),
            "sections": sections,
        },
        "answers": {qid: value for qid, value in state.answers.items() if value is not None and qid in state.scope_ids},
        "carried_over": sorted(qid for qid in state.carried if qid in state.scope_ids),
        "evidence": {
            qid: [_file(state, row) for row in rows]
            for qid, rows in state.evidence.items()
            if rows and qid in state.scope_ids
        },
        "progress": {"answered": answered, "total": total},
        "submitted": state.submitted,
        "receipt": receipt_document(state.submission) if state.submission else None,
    }


@bp.get("/openapi.yaml")
def openapi() -> Response:
    response = current_app.response_class(OPENAPI.read_text(encoding="utf-8"), mimetype="application/yaml")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/uitvraag")
@with_token
def read() -> Response:
    return jsonify(document(g.state))


# No answer document nests deeper than a few levels; a deeper body is refused before it is parsed (the parser
# would recurse once per level and raise RecursionError).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep the arrays and objects of JSON `text` nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _json_body() -> dict[str, Any] | Response:
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return problem(400, "bad-encoding", "The request body is not valid UTF-8.")
    if json_depth(text) > MAX_JSON_DEPTH:
        return problem(400, "bad-json", f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        body = strip_bidi_deep(json.loads(text))
    except (ValueError, RecursionError):
        return problem(400, "bad-json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return problem(400, "bad-json", "The request body must be a JSON object.")
    return body


@bp.route("/uitvraag/answers", methods=["PUT", "PATCH"])
@with_token
def write_answers() -> Response:
    """PATCH: change the answers given (null clears one); PUT: replace them all (answers left out are cleared)."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    answers = body.get("answers")
    if not isinstance(answers, dict):
        return problem(422, "invalid", 'Send {"answers": {"<question id>": <value>, ...}}.')
    db = get_session()
    try:
        errors = save_answers(
            db,
            state=g.state,
            values=answers,
            now=utcnow(),
            actor=actor(),
            atomic=True,
            clear_others=request.method == "PUT",
        )
    except Frozen:
        db.rollback()
        return problem(409, "already-submitted", "This questionnaire has been submitted; answers can no longer change.")
    if errors:
        db.rollback()
        return problem(422, "invalid", "Some answers are not valid; nothing was saved.", errors=field_errors(errors))
    db.commit()
    return jsonify(document(g.state))


@bp.post("/uitvraag/evidence/<question_id>")
@with_token
def upload(question_id: str) -> Response:
    """Upload one document (multipart field `file`, optional `expires_on` YYYY-MM-DD) for a question."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return problem(422, "invalid", "Send the document as the multipart field `file`.")
    try:
        expires_on = parse_expiry(request.form.get("expires_on"))
    except InvalidAnswer as error:
        message = in_each_language(error.message)
        return problem(422, "invalid", message["en"], errors=[{"field": "expires_on", "message": message}])
    db = get_session()
    config = current_app.config
    try:
        row = add_evidence(
            db,
            state=g.state,
            question_id=question_id,
            stream=file.stream,
            filename=file.filename,
            expires_on=expires_on,
            upload_dir=config["UPLOAD_DIR"],
            max_bytes=config["MAX_UPLOAD_MB"] * 1024 * 1024,
            now=utcnow(),
            actor=actor(),
        )
    except Frozen:
        db.rollback()
        return problem(
            409, "already-submitted", "This questionnaire has been submitted; documents can no longer change."
        )
    except UploadError as error:
        db.rollback()
        message = in_each_language(error.message)
        return problem(422, "upload-refused", message["en"], errors=[{"field": "file", "message": message}])
    db.commit()
    response = jsonify(_file(g.state, row))
    response.status_code = 201
    return response


@bp.delete("/uitvraag/files/<int:file_id>")
@with_token
def delete_file(file_id: int) -> Response:
    db = get_session()
    try:
        path = remove_evidence(
            db, state=g.state, file_id=file_id, upload_dir=current_app.config["UPLOAD_DIR"], now=utcnow(), actor=actor()
        )
    except Frozen:
        db.rollback()
        return problem(
            409, "already-submitted", "This questionnaire has been submitted; documents can no longer change."
        )
    if path is None:
        db.rollback()
        return problem(404, "not-found", f"This questionnaire has no document {file_id} of its own.")
    db.commit()
    path.unlink(missing_ok=True)
    return current_app.response_class(status=204)


@bp.post("/uitvraag/submit")
@with_token
def submit_answers() -> Response:
    """Submit with `{"attestation": {"name", "role", "email", "truthful": true}}`; 201 with the receipt."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    attestation = body.get("attestation")
    if not isinstance(attestation, dict):
        attestation = {}
    db = get_session()
    uitvraag_id = g.state.uitvraag.id
    try:
        submission = submit(
            db,
            uitvraag_id=uitvraag_id,
            attestation=attestation,
            now=utcnow(),
            actor=actor(),
            base_url=current_app.config["BASE_URL"],
            secret_key=current_app.config["SECRET_KEY"],
            mail_domain=mail_domain(current_app.config["MAIL_FROM"]),
            upload_dir=current_app.config["UPLOAD_DIR"],
            grace_days=int(current_app.config["TOKEN_GRACE_DAYS"]),
        )
    except AlreadySubmitted:
        stored = load_state(db, uitvraag_id=uitvraag_id).submission
        db.commit()
        return problem(
            409,
            "already-submitted",
            "This questionnaire has already been submitted.",
            receipt=receipt_document(stored) if stored else None,
        )
    except Frozen:
        return problem(410, "cancelled", "The municipality has withdrawn this questionnaire.")
    except SubmissionInvalid as invalid:
        return problem(
            422, "incomplete", "The questionnaire cannot be submitted yet.", errors=field_errors(invalid.errors)
        )
    response = jsonify(receipt_document(submission))
    response.status_code = 201
    return response


@bp.get("/uitvraag/receipt")
@with_token
def receipt() -> Response:
    if g.state.submission is None:
        return problem(404, "not-submitted", "This questionnaire has not been submitted yet.")
    return jsonify(receipt_document(g.state.submission))
