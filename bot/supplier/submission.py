"""Submitting an uitvraag: completeness and attestation checks, the frozen record with its digest, judging, receipt.

The digest is the SHA-256 of a canonical JSON (sorted keys, no whitespace, UTF-8) of: the questionnaire's id,
version and content hash; the answers; the evidence files' hashes; the attestation; and the time. The exact
canonical text is stored with the submission, so `verify_receipt` can recompute it later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import audit, emails, sharing
from bot.findings import settle_earlier_findings
from bot.mail import outbox
from bot.models import (
    Answer,
    Declaration,
    DeclarationMember,
    Finding,
    FindingStatus,
    ReviewCycle,
    Submission,
    Uitvraag,
    UitvraagKind,
    UitvraagStatus,
)
from bot.staff.actions import MailSettings
from bot.staff.queries import contracts_by_uitvraag
from bot.supplier.answers import (
    FieldError,
    InvalidAnswer,
    answer_error,
    check_value,
    clean_text,
    field_id,
    question_text,
)
from bot.supplier.drafts import Frozen, lock_uitvraag
from bot.supplier.receipt_links import receipt_link
from bot.supplier.state import UitvraagState, contract_facts, load_state
from bot.timeutil import local_time
from bot.uitvragen import end_renewals_answered_by, new_follow_up

RECEIPT_FORMAT = "bio-uitvraag-receipt/1"


class AlreadySubmitted(Exception):
    """The uitvraag already has its one submission."""


class SubmissionInvalid(Exception):
    """The uitvraag cannot be submitted yet; `errors` name each field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class Attestation:
    name: str
    role: str
    email: str
    truthful: bool


def canonical_json(document: Any) -> str:
    """The canonical text of a JSON document: sorted keys, no whitespace, non-ASCII kept as UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_attestation(raw: dict[str, Any]) -> tuple[Attestation | None, list[FieldError]]:
    """Read name, role, e-mail and the truthfulness confirmation; errors point at the attestation fields."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    missing = {"name": lazy_gettext("Enter your name."), "role": lazy_gettext("Enter your role.")}
    for key, message in missing.items():
        text = raw.get(key)
        try:
            value = clean_text(text, limit=200) if isinstance(text, str) else ""
        except InvalidAnswer as error:
            errors.append(FieldError(f"attest-{key}", error.message))
            continue
        if not value:
            errors.append(FieldError(f"attest-{key}", message))
        values[key] = value
    email = raw.get("email")
    email = email.strip() if isinstance(email, str) else ""
    if not emails.is_valid(email):
        errors.append(
            FieldError(
                "attest-email",
                lazy_gettext("Enter a valid e-mail address, for example name@supplier.com."),
            )
        )
    truthful = raw.get("truthful") in (True, "yes", "on", "true", "1")
    if not truthful:
        errors.append(
            FieldError(
                "attest-truthful",
                lazy_gettext("Confirm that you answered the questions truthfully."),
            )
        )
    if errors:
        return None, errors
    return Attestation(values["name"], values["role"], email, True), []


def completeness_errors(state: UitvraagState, *, today: date) -> list[FieldError]:
    """What must still be answered or put right before submission: required shown questions, answers that the
    rules of check_value refuse (also ones carried over from before a rule existed), expiry dates of documents."""
    errors = []
    for question in state.visible_questions():
        value = state.answers.get(question.id)
        if question.type != "evidence" and value not in (None, "", []):
            try:
                check_value(question, value, today=today)
            except InvalidAnswer as error:
                errors.append(answer_error(question, error))
                continue
        if question.required and not state.is_answered(question):
            # The summary lists every open question: each line names its question, so the list can be read; the
            # question's text is taken in the language the page is read in.
            text = question_text(question)
            if question.type == "evidence":
                message = lazy_gettext("Document missing: %(question)s", question=text)
            else:
                message = lazy_gettext("Not answered yet: %(question)s", question=text)
            errors.append(FieldError(field_id(question.id), message, question.id, question.section))
        if question.expiry:
            for row in state.evidence.get(question.id, []):
                if row.uitvraag_id == state.uitvraag.id and row.expires_on is None:
                    errors.append(
                        FieldError(
                            f"expires-{row.id}",
                            lazy_gettext("Enter the expiry date of %(name)s.", name=row.original_name),
                            question.id,
                            question.section,
                        )
                    )
    return errors


@dataclass(frozen=True)
class Declared:
    """The shared declaration a municipality's record comes from: the supplier's own submission of it."""

    declaration_id: int
    digest: str  # of the supplier's submission (the lead's, or the improvement's): its receipt
    declared_at: datetime

    def as_document(self) -> dict[str, Any]:
        return {
            "id": self.declaration_id,
            "digest": self.digest,
            "declared_at": self.declared_at.isoformat(timespec="seconds"),
        }


def canonical_document(
    state: UitvraagState, attestation: Attestation, submitted_at: datetime, declared: Declared | None = None
) -> dict[str, Any]:
    """What the digest covers; only the questions asked and shown, only answers that are there. A record that a
    shared declaration gave also names that declaration and the digest and time of the supplier's submission."""
    questionnaire = state.questionnaire
    answers: dict[str, Any] = {}
    evidence: dict[str, list[dict[str, Any]]] = {}
    for question in state.visible_questions():
        if question.type != "evidence" and state.answers.get(question.id) is not None:
            answers[question.id] = state.answers[question.id]
        files = state.evidence.get(question.id, [])
        if files:
            evidence[question.id] = [
                {
                    "name": f.original_name,
                    "sha256": f.sha256,
                    "expires_on": f.expires_on.isoformat() if f.expires_on else None,
                }
                for f in files
            ]
    return {
        "format": RECEIPT_FORMAT,
        "uitvraag": state.uitvraag.id,
        "questionnaire": {
            "id": questionnaire.id,
            "version": questionnaire.version,
            "content_hash": questionnaire.content_hash,
        },
        "answers": answers,
        "evidence": evidence,
        "attestation": {
            "name": attestation.name,
            "role": attestation.role,
            "email": attestation.email,
            "truthful": attestation.truthful,
        },
        "submitted_at": submitted_at.isoformat(timespec="seconds"),
        **({"declaration": declared.as_document()} if declared is not None else {}),
    }


def submit(
    session: Session,
    *,
    uitvraag_id: int,
    attestation: dict[str, Any],
    now: datetime,
    actor: str,
    base_url: str,
    secret_key: str,
    mail_domain: str = "localhost",
    upload_dir: str | None = None,
    grace_days: int = 14,
) -> Submission:
    """Freeze the uitvraag's answers once, judge them, and queue the receipt; commits.

    When the uitvraag leads a shared declaration (bot.sharing), the same answers and documents are submitted for
    every open member in the same transaction, each judged on its own. Raises AlreadySubmitted (a second tab, a
    double click, a concurrent request: the unique submission per uitvraag decides who won), Frozen (withdrawn)
    or SubmissionInvalid (nothing is changed then).
    """
    try:
        try:
            uitvraag = lock_uitvraag(session, uitvraag_id)
        except Frozen as frozen:
            if str(frozen) in (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED):
                raise AlreadySubmitted() from None
            raise
        state = load_state(session, uitvraag_id=uitvraag_id)
        checked, errors = check_attestation(attestation)
        errors = completeness_errors(state, today=local_time(now).date()) + errors
        if errors or checked is None:
            raise SubmissionInvalid(errors)
        # The form of a shared declaration asks what any member needs; each record is judged on its own facts.
        own = dataclasses.replace(state, facts=contract_facts(state.contracts))
        submission = _record(session, uitvraag, own, checked, now=now, actor=actor)
        declaration = sharing.declaration_led_by(session, uitvraag_id)
        if declaration is not None:
            mail = MailSettings(
                base_url=base_url, grace_days=grace_days, secret_key=secret_key, mail_from_domain=mail_domain
            )
            declared = Declared(declaration.id or 0, submission.digest, now)
            _pass_on(session, declaration, checked, declared, now=now, actor=actor, mail=mail, upload_dir=upload_dir)
        _pass_on_improvement(session, uitvraag, submission, checked, now=now, actor=actor, upload_dir=upload_dir)
        outbox.enqueue(
            session,
            key=f"receipt:{uitvraag_id}",
            kind="receipt",
            to=checked.email,
            language=uitvraag.language,
            context=receipt_mail_context(session, state, submission, base_url=base_url, secret_key=secret_key),
            now=now,
            secret_key=secret_key,
            mail_from_domain=mail_domain,
            organisation_id=uitvraag.organisation_id,
            uitvraag_id=uitvraag_id,
        )
        session.commit()
        return submission
    except IntegrityError:
        session.rollback()
        raise AlreadySubmitted() from None
    except BaseException:
        session.rollback()
        raise


def _record(
    session: Session,
    uitvraag: Uitvraag,
    state: UitvraagState,
    checked: Attestation,
    *,
    now: datetime,
    actor: str,
    declared: Declared | None = None,
) -> Submission:
    """The frozen record of one uitvraag's complete answers: submission with digest, findings, status, audit."""
    document = canonical_document(state, checked, now, declared)
    canonical = canonical_json(document)
    submission = Submission(
        uitvraag_id=uitvraag.id,
        submitted_at=now,
        respondent_name=checked.name,
        respondent_role=checked.role,
        respondent_email=checked.email,
        canonical=canonical,
        digest=digest_of(canonical),
    )
    session.add(submission)
    session.flush()  # the unique submission per uitvraag: a concurrent loser fails here, before anything else
    _freeze_answers(session, state, now=now)
    _judge(session, state, uitvraag, now=now, actor=actor)
    # A document brought anew here (not the one carried over) ends an open renewal request asking for it.
    renewed = {
        qid
        for qid, files in state.evidence.items()
        if any(f.uitvraag_id == uitvraag.id and not f.carried_over for f in files)
    }
    end_renewals_answered_by(session, uitvraag=uitvraag, renewed=renewed, now=now, actor=actor)
    uitvraag.status = UitvraagStatus.SUBMITTED
    uitvraag.submitted_at = now
    session.add(uitvraag)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="uitvraag.submitted",
        organisation_id=uitvraag.organisation_id,
        subject_type="uitvraag",
        subject_id=uitvraag.id,
        detail={"digest": submission.digest, "respondent": checked.email, "score": uitvraag.score},
    )
    return submission


def _pass_on(
    session: Session,
    declaration: Declaration,
    checked: Attestation,
    declared: Declared,
    *,
    now: datetime,
    actor: str,
    mail: MailSettings,
    upload_dir: str | None,
) -> None:
    """Submit the lead's answers for every open member of its declaration, each judged with its own facts."""
    for member in sharing.members_to_receive(session, declaration):
        _receive(
            session, declaration, member, checked, declared, now=now, actor=actor, mail=mail, upload_dir=upload_dir
        )


def _receive(
    session: Session,
    declaration: Declaration,
    member: Uitvraag,
    checked: Attestation,
    declared: Declared,
    *,
    now: datetime,
    actor: str,
    mail: MailSettings,
    upload_dir: str | None,
) -> bool:
    """Give one member the declaration's answers and documents and submit them, judged with its own facts.

    A member the answers do not complete (its contracts need a question the others' do not, and it changed since
    the form was filled in, or it came later) leaves the declaration and is invited on its own link instead: False.
    """
    assert member.id is not None
    sharing.copy_answers(
        session, source_id=declaration.lead_uitvraag_id, target_id=member.id, upload_dir=upload_dir, now=now
    )
    member_state = load_state(session, uitvraag_id=member.id)
    if completeness_errors(member_state, today=local_time(now).date()):
        sharing.exclude(session, declaration=declaration, uitvraag_id=member.id, now=now, actor="system")
        sharing.invite_on_own_link(session, uitvraag=member, now=now, mail=mail)
        return False
    _record(session, member, member_state, checked, now=now, actor=actor, declared=declared)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="declaration.received",
        organisation_id=member.organisation_id,
        subject_type="uitvraag",
        subject_id=member.id,
        detail={"declaration": declaration.id, "declared_at": declared.declared_at.isoformat(timespec="seconds")},
    )
    return True


def receive_declaration(
    session: Session,
    *,
    uitvraag_id: int,
    declaration_id: int,
    now: datetime,
    mail: MailSettings,
    upload_dir: str | None,
) -> bool:
    """A newly planned uitvraag receives a current answered declaration (bot.sharing's Timing) instead of a new
    request: the supplier's answers, documents and attestation, with the date and digest of its submission, judged
    with this municipality's own facts. False when they do not complete it: it is then asked on its own link.
    The caller commits."""
    declaration = session.get(Declaration, declaration_id)
    member = session.get(Uitvraag, uitvraag_id)
    assert declaration is not None and member is not None
    lead = session.exec(select(Submission).where(Submission.uitvraag_id == declaration.lead_uitvraag_id)).one()
    checked = Attestation(lead.respondent_name, lead.respondent_role, lead.respondent_email, True)
    declared = Declared(declaration_id, lead.digest, lead.submitted_at or now)
    return _receive(
        session, declaration, member, checked, declared, now=now, actor="system", mail=mail, upload_dir=upload_dir
    )


def _pass_on_improvement(
    session: Session,
    follow_up: Uitvraag,
    submission: Submission,
    checked: Attestation,
    *,
    now: datetime,
    actor: str,
    upload_dir: str | None,
) -> None:
    """The improved answers of a follow-up on a shared declaration reach every other municipality that received
    the declaration: each gets a follow-up of its own uitvraag with those answers, submitted and judged again with
    its own facts (its earlier findings on those questions settle as they would on its own follow-up).

    A municipality the improved answers do not complete keeps what it had; nothing is written for it.
    """
    receivers = sharing.follow_up_receivers(session, follow_up)
    if not receivers:
        return
    asked = session.get(DeclarationMember, follow_up.parent_id)
    assert asked is not None and follow_up.id is not None and follow_up.deadline is not None
    declared = Declared(asked.declaration_id, submission.digest, now)
    for receiver in receivers:
        assert receiver.id is not None
        with session.begin_nested() as savepoint:
            improved = new_follow_up(
                session,
                parent=receiver,
                kind=UitvraagKind.FOLLOW_UP,
                question_ids=list(follow_up.question_ids or []),
                contract_ids=[c.id for c in contracts_by_uitvraag(session, [receiver.id]).get(receiver.id, [])],
                deadline=follow_up.deadline,
                now=now,
            )
            assert improved.id is not None
            sharing.copy_answers(session, source_id=follow_up.id, target_id=improved.id, upload_dir=upload_dir, now=now)
            state = load_state(session, uitvraag_id=improved.id)
            if completeness_errors(state, today=local_time(now).date()):
                savepoint.rollback()
                continue
            _record(session, improved, state, checked, now=now, actor=actor, declared=declared)
            audit.record(
                session,
                now=now,
                actor=actor,
                action="declaration.improvement-received",
                organisation_id=receiver.organisation_id,
                subject_type="uitvraag",
                subject_id=receiver.id,
                detail={"declaration": asked.declaration_id, "follow_up": improved.id},
            )


def _freeze_answers(session: Session, state: UitvraagState, *, now: datetime) -> None:
    """Every asked answer becomes this uitvraag's own, confirmed row (a follow-up copies the parent's it kept)."""
    stored = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == state.uitvraag.id))}
    for question in state.visible_questions():
        if question.type == "evidence":
            continue
        row = stored.get(question.id)
        if row is None:
            if state.answers.get(question.id) is None:
                continue
            row = Answer(uitvraag_id=state.uitvraag.id, question_id=question.id, value=state.answers[question.id])
        row.carried_over = False
        row.updated_at = now
        session.add(row)


def _judge(session: Session, state: UitvraagState, uitvraag: Uitvraag, *, now: datetime, actor: str) -> None:
    """Store the findings and scores for the submitted answers, and settle the earlier findings on the questions
    asked (bot/findings.py)."""
    from bot.questionnaires.judge import judge

    shown = {q.id for q in state.visible_questions()}
    answers = {qid: value for qid, value in state.answers.items() if value is not None}
    judgement = judge(state.questionnaire, answers, state.facts, now, evidence=state.evidence_refs())
    raised = []
    for finding in judgement.findings:
        # A follow-up is judged as a whole, but it only answers for the questions it asked.
        if finding.question_id not in shown:
            continue
        raised.append(
            Finding(
                uitvraag_id=uitvraag.id,
                question_id=finding.question_id,
                rule=finding.rule,
                severity=finding.severity,
                measure_ids=list(finding.measures),
                reason_nl=finding.reason.nl,
                reason_en=finding.reason.get("en"),
                status=FindingStatus.OPEN,
                created_at=now,
            )
        )
    session.add_all(raised)
    uitvraag.score = judgement.score
    uitvraag.section_scores = dict(judgement.section_scores)
    settle_earlier_findings(
        session, uitvraag=uitvraag, asked=state.scope_ids, new_findings=raised, now=now, actor=actor
    )


def receipt_mail_context(
    session: Session, state: UitvraagState, submission: Submission, *, base_url: str, secret_key: str
) -> dict[str, Any]:
    """The context of the `receipt` mail (see bot/mail/kinds.py); its link is the signed, read-only receipt page."""
    cycle = session.get(ReviewCycle, state.uitvraag.cycle_id)
    return {
        "supplier_name": state.supplier.name,
        "organisation_name": state.organisation.name,
        "questionnaire_title": state.questionnaire.title.get(state.uitvraag.language),
        "cycle": cycle.name if cycle is not None else "",
        "respondent_name": submission.respondent_name,
        "submitted_at": submission.submitted_at,
        "digest": submission.digest,
        "link": receipt_link(base_url, secret_key, uitvraag_id=state.uitvraag.id, digest=submission.digest),  # type: ignore[arg-type]
    }


def receipt_document(submission: Submission) -> dict[str, Any]:
    """The downloadable receipt: the canonical document, its digest, and how to check it."""
    return {
        "format": RECEIPT_FORMAT,
        "uitvraag": submission.uitvraag_id,
        "digest": submission.digest,
        "algorithm": "sha256 over the canonical JSON of `canonical` (sorted keys, no whitespace, UTF-8)",
        # None once retention removed the answers: the digest alone remains, to check a supplier's own copy.
        "canonical": json.loads(submission.canonical) if submission.purged_at is None else None,
        "purged_at": submission.purged_at.isoformat() if submission.purged_at else None,
    }


@dataclass(frozen=True)
class Verification:
    ok: bool
    messages: list[str]


def verify_receipt(session: Session, document: Any) -> Verification:
    """Recompute a receipt's digest and compare it, and the canonical content, with the stored submission."""
    if not isinstance(document, dict) or not isinstance(document.get("canonical"), dict):
        return Verification(False, ["The file is not a receipt: it has no `canonical` object."])
    claimed = document.get("digest")
    recomputed = digest_of(canonical_json(document["canonical"]))
    messages = []
    ok = True
    if recomputed == claimed:
        messages.append(f"The receipt's digest matches its content: {recomputed}.")
    else:
        ok = False
        messages.append(
            f"The receipt's content does not match its digest: recomputed {recomputed}, file says {claimed}."
        )
    uitvraag_id = document["canonical"].get("uitvraag")
    stored = None
    if isinstance(uitvraag_id, int):
        stored = session.exec(select(Submission).where(Submission.uitvraag_id == uitvraag_id)).first()
    if stored is None:
        return Verification(False, [*messages, f"No submission of uitvraag {uitvraag_id} is in the database."])
    if stored.purged_at is not None:
        # Retention removed the stored answers; the kept digest still tells a true copy from a changed one.
        if stored.digest == recomputed:
            messages.append(
                f"It matches the digest kept for the submission of uitvraag {uitvraag_id} of {stored.submitted_at}; "
                f"the stored answers were removed on {stored.purged_at:%Y-%m-%d} under the retention policy."
            )
            return Verification(ok, messages)
        messages.append(
            f"It does not match the digest kept for uitvraag {uitvraag_id} (stored {stored.digest}); its stored "
            f"answers were removed on {stored.purged_at:%Y-%m-%d} under the retention policy."
        )
        return Verification(False, messages)
    if digest_of(stored.canonical) != stored.digest:
        ok = False
        messages.append(f"The stored submission of uitvraag {uitvraag_id} no longer matches its own digest.")
    if stored.digest == recomputed and stored.canonical == canonical_json(document["canonical"]):
        messages.append(f"It matches the submission of uitvraag {uitvraag_id} stored on {stored.submitted_at}.")
    else:
        ok = False
        messages.append(
            f"It does not match the submission of uitvraag {uitvraag_id} in the database (stored {stored.digest})."
        )
    return Verification(ok, messages)
