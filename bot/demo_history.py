"""The demo's last quarter, rehearsed with the real business functions at past moments.

So that a newcomer's first look shows the whole journey: last quarter's invitations, answers (good ones, weak ones
that raised findings, and a supplier that never answered and was escalated to its contract owner and the CISO),
receipts, and a certificate that expires soon. Weak answers escalate by their findings: a supplier with only high
findings reaches its contract owner, one with critical findings the owner and the CISO at once, and that owner has
proposed to accept one critical risk, which waits for the CISO's approval. This quarter's invitations then carry
last quarter's answers over.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlmodel import Session, col, select

from bot.cycles.periods import period_for
from bot.cycles.worker import tick
from bot.models import (
    OPEN_STATUSES,
    Contract,
    Finding,
    FindingStatus,
    Severity,
    StaffUser,
    Supplier,
    Uitvraag,
    UitvraagContract,
)
from bot.questionnaires.examples import best_answers
from bot.questionnaires.model import Question
from bot.staff.acceptance import AcceptanceLimits, propose_acceptance
from bot.staff.actions import contracts_of
from bot.supplier.drafts import add_evidence, save_answers
from bot.supplier.state import load_state
from bot.supplier.submission import submit

# How each demo supplier behaved last quarter.
SILENT = "Drukwerk & Co VOF"  # never answered: reminders, then escalations
WEAK = "Hostinghuis Oost NV"  # answered, with critical weaknesses; the owner proposes to accept one of them
HIGH_ONLY = "Salarisrekenaar BV"  # answered, with high weaknesses only: escalated to its owner, not the CISO
EXPIRING = "Zaakwerk BV"  # answered well, but its certificates expire within two months
# Who answers for each supplier (the respondent named in the attestation).
RESPONDENTS = {
    "Zaakwerk BV": ("Sanne Vermeulen", "Security officer"),
    "Hostinghuis Oost NV": ("Daan Kuipers", "Hoofd IT-beheer"),
    "Parkeerdata BV": ("Noor Hendriks", "Privacy officer"),
    "Salarisrekenaar BV": ("Tim de Graaf", "CISO"),
}
DEMO_PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def rehearse_last_quarter(app: Flask, now: datetime) -> None:
    """Plan last quarter, let the suppliers answer, and sweep past its deadline, all at past moments."""
    config = app.config
    engine = app.extensions["engine"]
    quarter_start = period_for(now.date(), 3).starts_on
    last_start = period_for(quarter_start - timedelta(days=1), 3).starts_on
    planned = datetime.combine(last_start + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    tick(engine=engine, config=config, now=planned)
    with Session(engine, expire_on_commit=False) as session:
        for uitvraag in session.exec(select(Uitvraag).order_by(Uitvraag.id)).all():
            session.refresh(uitvraag)
            if uitvraag.status not in OPEN_STATUSES:
                continue  # a member of a shared declaration: its supplier answered once, on the lead's link
            supplier = session.get(Supplier, uitvraag.supplier_id)
            if supplier is None or supplier.name == SILENT:
                continue
            answered = planned + timedelta(days=9, hours=uitvraag.id or 0)  # type: ignore[operator]
            _answer(session, app, uitvraag, supplier.name, now=answered, today=now.date())
    for days in (17, 28, 32, 47):  # reminders, the deadline, the CISO's turn
        tick(engine=engine, config=config, now=planned + timedelta(days=days))
    with Session(engine, expire_on_commit=False) as session:
        _propose_acceptance(session, config, now=planned + timedelta(days=48))


def _propose_acceptance(session: Session, config: Any, *, now: datetime) -> None:
    """The owner of the weak supplier's contract proposes to accept its first critical finding; the CISO decides."""
    finding = session.exec(
        select(Finding)
        .join(Uitvraag, col(Uitvraag.id) == Finding.uitvraag_id)
        .join(Supplier, col(Supplier.id) == Uitvraag.supplier_id)
        .where(Supplier.name == WEAK, Finding.severity == Severity.CRITICAL, Finding.status == FindingStatus.OPEN)
        .order_by(col(Finding.id))
    ).first()
    if finding is None:
        return
    uitvraag = session.get(Uitvraag, finding.uitvraag_id)
    assert uitvraag is not None
    owner_email = contracts_of(session, uitvraag)[0].owner_email
    owner = session.exec(
        select(StaffUser).where(StaffUser.organisation_id == uitvraag.organisation_id, StaffUser.email == owner_email)
    ).first()
    if owner is None:
        return
    propose_acceptance(
        session,
        actor=owner,
        finding=finding,
        reason="De leverancier vervangt dit onderdeel in het eerste kwartaal; eerder overstappen is niet haalbaar.",
        mitigation="Tot dan alleen beheer via de VPN van de gemeente, met MFA, en een wekelijkse controle van de logs.",
        until=now.date() + timedelta(days=120),
        limits=AcceptanceLimits.from_config(config),
        now=now,
    )
    session.commit()


def _answer(session: Session, app: Flask, uitvraag: Uitvraag, supplier: str, *, now: datetime, today: date) -> None:
    state = load_state(session, uitvraag_id=uitvraag.id)  # type: ignore[arg-type]
    answers, evidence = best_answers(state.questionnaire, now.date(), state.facts)
    if supplier == WEAK:
        answers.update(_weak_answers(state.questionnaire.questions(), answers, count=3))
    elif supplier == HIGH_ONLY:
        answers.update(_weak_answers(state.questionnaire.questions(), answers, count=4, severity=Severity.HIGH))
    save_answers(session, state=state, values=answers, now=now, actor="demo")
    for question_id in evidence:
        question = state.questionnaire.question(question_id)
        expires_on = None
        if question.expiry:
            # Certificates valid for two more years, except the supplier whose certificates lapse soon.
            expires_on = today + timedelta(days=40) if supplier == EXPIRING else today + timedelta(days=730)
        add_evidence(
            session,
            state=state,
            question_id=question_id,
            stream=io.BytesIO(DEMO_PDF),
            filename=f"{question_id}.pdf",
            expires_on=expires_on,
            upload_dir=app.config["UPLOAD_DIR"],
            max_bytes=app.config["MAX_UPLOAD_MB"] * 1024 * 1024,
            now=now,
            actor="demo",
        )
    session.commit()
    contract = session.exec(
        select(Contract)
        .join(UitvraagContract)
        .where(UitvraagContract.uitvraag_id == uitvraag.id)
        .order_by(Contract.reference)  # type: ignore[arg-type]
    ).first()
    respondent = contract.supplier_email if contract else "security@leverancier.example"
    name, role = RESPONDENTS.get(supplier, ("Sam Jansen", "Security officer"))
    submit(
        session,
        uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
        attestation={"name": name, "role": role, "email": respondent, "truthful": "yes"},
        now=now + timedelta(minutes=30),
        actor="demo",
        base_url=app.config["BASE_URL"],
        secret_key=app.config["SECRET_KEY"],
        upload_dir=app.config["UPLOAD_DIR"],  # a shared declaration's documents are copied to each municipality
    )


def _weak_answers(
    questions: Any, answers: dict[str, Any], *, count: int, severity: Severity = Severity.CRITICAL
) -> dict[str, Any]:
    """The first `count` answered choice questions that have a weak option of `severity`, answered with it; none
    that another question depends on (a weak answer there would ask questions the best answers left out)."""
    questions = list(questions)
    depended_on = {condition.question for question in questions for condition in question.show_if}
    weak: dict[str, Any] = {}
    for question in questions:
        if question.id in depended_on:
            continue
        option = _weak_option(question, severity)
        if option is not None and question.id in answers:
            weak[question.id] = [option] if question.type == "multi-choice" else option
            if len(weak) == count:
                break
    return weak


def _weak_option(question: Question, severity: Severity) -> str | None:
    if question.type not in ("choice", "yes-no") or question.evidence != "never":
        return None
    for rule in question.rules:
        if rule.severity == severity and rule.options:
            return rule.options[0]
    return None
