"""Builds the world the staff tests look at, directly through the models: an organisation with staff, suppliers,
contracts, a questionnaire snapshot, uitvragen in two cycles (one submitted with weak answers and findings, one
overdue and escalated), evidence on disk, mails and an audit trail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.models import (
    Answer,
    Contract,
    EvidenceFile,
    Finding,
    LadderStep,
    Organisation,
    OutboxMessage,
    QuestionnaireSnapshot,
    ReviewCycle,
    RiskAcceptance,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
    UitvraagContract,
)
from bot.questionnaires.loader import parse_questionnaire
from bot.questionnaires.snapshots import ensure_snapshot
from bot.staff.sessions import SESSION_SEEN, start_session
from tests.support.factories import make_contract, make_cycle, make_organisation, make_staff, make_supplier

XSS = '<script>alert("xss")</script>'

QUESTIONNAIRE = """
id = "staff-test"
version = "1"
title_nl = "BIO2-leveranciersvragenlijst (test)"
title_en = "BIO2 supplier questionnaire (test)"

[[sections]]
id = "access"
title_nl = "Toegang"
title_en = "Access"

[[sections.questions]]
id = "mfa-remote-admin"
type = "yes-no"
measures = ["8.05.01"]
text_nl = "Is meerfactorauthenticatie verplicht voor beheer op afstand?"
text_en = "Is multi-factor authentication required for remote administration?"

[[sections.questions.rules]]
options = ["no"]
severity = "critical"
reason_nl = "Geen MFA op beheertoegang op afstand."
reason_en = "No MFA on remote administrative access."

[[sections.questions]]
id = "incident-notice-hours"
type = "number"
measures = ["5.20.05"]
unit_nl = "uur"
unit_en = "hours"
text_nl = "Binnen hoeveel uur meldt u een beveiligingsincident?"
text_en = "Within how many hours do you report a security incident?"

[[sections.questions.rules]]
above = 24
severity = "high"
reason_nl = "Incidenten worden later dan 24 uur gemeld."
reason_en = "Incidents are reported later than 24 hours."

[[sections.questions]]
id = "security-contact"
type = "text"
measures = ["5.20.05"]
text_nl = "Wie is uw contactpersoon voor beveiliging?"
text_en = "Who is your security contact?"

[[sections.questions]]
id = "certificate"
type = "evidence"
expiry = true
measures = ["5.20.03"]
text_nl = "Upload uw ISO 27001-certificaat."
text_en = "Upload your ISO 27001 certificate."
"""


@dataclass
class OrgWorld:
    organisation: Organisation
    ciso: StaffUser
    manager: StaffUser  # owns `contract`
    other_manager: StaffUser  # owns `contract_b`
    supplier: Supplier
    supplier_b: Supplier
    contract: Contract
    contract_b: Contract
    cycle: ReviewCycle
    previous_cycle: ReviewCycle
    uitvraag: Uitvraag  # submitted, with weak answers and findings
    overdue: Uitvraag  # past its deadline, escalated to the owner
    finding: Finding  # critical, on mfa-remote-admin
    finding_high: Finding
    acceptance: RiskAcceptance  # a proposal to accept `finding_high`, waiting for the CISO
    evidence: EvidenceFile
    failed_mail: OutboxMessage
    own_cycle: ReviewCycle  # a cycle only this organisation has uitvragen in


def snapshot(session: Session, now: datetime) -> QuestionnaireSnapshot:
    questionnaire = parse_questionnaire(QUESTIONNAIRE, name="staff-test", check_measures=False)
    row = ensure_snapshot(session, questionnaire=questionnaire, now=now)
    session.commit()
    return row


def make_uitvraag(
    session: Session,
    *,
    organisation: Organisation,
    supplier: Supplier,
    contracts: list[Contract],
    cycle: ReviewCycle,
    snap: QuestionnaireSnapshot,
    now: datetime,
    status: str = "pending",
    deadline: datetime | None = None,
    score: int | None = None,
    recipient: str = "security@leverancier.test",
) -> Uitvraag:
    row = Uitvraag(
        organisation_id=organisation.id,  # type: ignore[arg-type]
        supplier_id=supplier.id,  # type: ignore[arg-type]
        cycle_id=cycle.id,  # type: ignore[arg-type]
        questionnaire_id=snap.questionnaire_id,
        snapshot_id=snap.id,  # type: ignore[arg-type]
        status=status,
        recipient_email=recipient,
        deadline=deadline or now + timedelta(days=20),
        created_at=now - timedelta(days=30),
        sent_at=now - timedelta(days=30),
        score=score,
    )
    session.add(row)
    session.flush()
    for contract in contracts:
        session.add(
            UitvraagContract(
                uitvraag_id=row.id,  # type: ignore[arg-type]
                contract_id=contract.id,  # type: ignore[arg-type]
                questionnaire_id=snap.questionnaire_id,
                cycle_id=cycle.id,  # type: ignore[arg-type]
                follow_up_number=0,
            )
        )
    session.commit()
    return row


def build_world(
    session: Session,
    *,
    now: datetime,
    upload_dir: Path,
    name: str = "Gemeente Testdorp",
    domain: str = "testdorp.nl",
    supplier_name: str = "Wolk Hosting BV",
    supplier_b_name: str = "Zaakwijs BV",
    payload: str = XSS,
) -> OrgWorld:
    """`payload` is what a hostile supplier typed into free-text answers; browser tests use plain text."""
    organisation = make_organisation(session, name)
    ciso = make_staff(session, organisation=organisation, email=f"ciso@{domain}", role="ciso", name="Chris Ciso")
    manager = make_staff(
        session, organisation=organisation, email=f"olga@{domain}", role="contract-manager", name="Olga Eigenaar"
    )
    other_manager = make_staff(
        session, organisation=organisation, email=f"piet@{domain}", role="contract-manager", name="Piet Beheer"
    )
    supplier = make_supplier(session, supplier_name)
    supplier_b = make_supplier(session, supplier_b_name)
    contract = make_contract(
        session,
        organisation=organisation,
        supplier=supplier,
        name="Hosting zaaksysteem",
        owner_name="Olga Eigenaar",
        owner_email=f"olga@{domain}",
        supplier_email="security@wolk.test",
    )
    contract_b = make_contract(
        session,
        organisation=organisation,
        supplier=supplier_b,
        name="Zaaksysteem",
        owner_name="Piet Beheer",
        owner_email=f"piet@{domain}",
        supplier_email="security@zaak.test",
    )
    snap = snapshot(session, now)
    current = make_cycle(session, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), now)
    previous = make_cycle(session, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30), now)
    own = make_cycle(
        session, f"{now.year - 3}-Q{len(domain) % 4 + 1}", date(now.year - 3, 1, 1), date(now.year - 3, 3, 31), now
    )

    # Earlier cycles: scores for the chart.
    for past, score in ((previous, 72), (own, 55)):
        make_uitvraag(
            session,
            organisation=organisation,
            supplier=supplier,
            contracts=[contract],
            cycle=past,
            snap=snap,
            now=now - timedelta(days=90),
            status="reviewed",
            deadline=now - timedelta(days=60),
            score=score,
            recipient="security@wolk.test",
        )
    make_uitvraag(
        session,
        organisation=organisation,
        supplier=supplier_b,
        contracts=[contract_b],
        cycle=previous,
        snap=snap,
        now=now - timedelta(days=90),
        status="reviewed",
        deadline=now - timedelta(days=60),
        score=88,
        recipient="security@zaak.test",
    )

    uitvraag = make_uitvraag(
        session,
        organisation=organisation,
        supplier=supplier,
        contracts=[contract],
        cycle=current,
        snap=snap,
        now=now,
        status="submitted",
        score=41,
        recipient="security@wolk.test",
    )
    uitvraag.opened_at = now - timedelta(days=10)
    uitvraag.first_saved_at = now - timedelta(days=9)
    uitvraag.submitted_at = now - timedelta(days=2)
    uitvraag.section_scores = {"access": 41}
    answers = {
        "mfa-remote-admin": "no",
        "incident-notice-hours": 48,
        "security-contact": f"Sam de Vries{payload}, security@wolk.test",
    }
    for question_id, value in answers.items():
        session.add(Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, updated_at=now))  # type: ignore[arg-type]
    upload_dir.mkdir(parents=True, exist_ok=True)
    content = b"%PDF-1.4 certificate\n"
    stored = hashlib.sha256(f"{domain}-cert".encode()).hexdigest()[:32]
    (upload_dir / stored).write_bytes(content)
    evidence = EvidenceFile(
        uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
        question_id="certificate",
        original_name=f"iso27001-certificaat{payload}.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        expires_on=(now + timedelta(days=300)).date(),
        uploaded_at=now - timedelta(days=3),
    )
    session.add(evidence)
    finding = Finding(
        uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
        question_id="mfa-remote-admin",
        rule="option:no",
        severity="critical",
        measure_ids=["8.05.01"],
        reason_nl="Geen MFA op beheertoegang op afstand.",
        reason_en="No MFA on remote administrative access.",
        created_at=now - timedelta(days=2),
    )
    finding_high = Finding(
        uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
        question_id="incident-notice-hours",
        rule="above:24",
        severity="high",
        measure_ids=["5.20.05"],
        reason_nl="Incidenten worden later dan 24 uur gemeld.",
        reason_en="Incidents are reported later than 24 hours.",
        created_at=now - timedelta(days=2),
    )
    session.add_all([finding, finding_high])
    session.flush()
    # The owner proposed to accept the high finding; it waits for the CISO.
    acceptance = RiskAcceptance(
        finding_id=finding_high.id,  # type: ignore[arg-type]
        organisation_id=organisation.id,  # type: ignore[arg-type]
        severity="high",
        reason="Het contract wordt in het voorjaar aangepast",
        mitigation="Tot dan belt de leverancier bij elk incident binnen 24 uur",
        until=(now + timedelta(days=120)).date(),
        proposed_by_id=manager.id,  # type: ignore[arg-type]
        proposed_at=now - timedelta(days=1),
    )
    session.add(acceptance)
    session.add(
        Submission(
            uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
            submitted_at=now - timedelta(days=2),
            respondent_name=f"Sam de Vries{payload}",
            respondent_role=f"CISO{payload}",
            respondent_email="sam@wolk.test",
            canonical="{}",
            digest=hashlib.sha256(f"{domain}-submission".encode()).hexdigest(),
        )
    )
    session.add(
        OutboxMessage(
            idempotency_key=f"invitation:{uitvraag.id}",
            message_id=f"<inv-{uitvraag.id}@test>",
            kind="invitation",
            to_addr="security@wolk.test",
            subject="Uitvraag informatiebeveiliging",
            body_text="...",
            organisation_id=organisation.id,
            uitvraag_id=uitvraag.id,
            status="sent",
            attempts=1,
            next_attempt_at=now - timedelta(days=30),
            created_at=now - timedelta(days=30),
            sent_at=now - timedelta(days=30),
        )
    )

    overdue = make_uitvraag(
        session,
        organisation=organisation,
        supplier=supplier_b,
        contracts=[contract_b],
        cycle=current,
        snap=snap,
        now=now,
        status="opened",
        deadline=now - timedelta(days=3),
        recipient="security@zaak.test",
    )
    overdue.opened_at = now - timedelta(days=15)
    session.add(
        Answer(uitvraag_id=overdue.id, question_id="security-contact", value=payload or "Team security", updated_at=now)
    )  # type: ignore[arg-type]
    failed_mail = OutboxMessage(
        idempotency_key=f"reminder-3:{overdue.id}",
        message_id=f"<rem-{overdue.id}@test>",
        kind="reminder",
        to_addr="security@zaak.test",
        subject="Herinnering: uitvraag informatiebeveiliging",
        body_text="...",
        organisation_id=organisation.id,
        uitvraag_id=overdue.id,
        status="failed",
        attempts=1,
        last_error=f"550 5.1.1 mailbox unavailable {payload}",
        next_attempt_at=now - timedelta(days=4),
        created_at=now - timedelta(days=4),
    )
    session.add(failed_mail)
    session.flush()
    session.add(
        LadderStep(
            uitvraag_id=overdue.id,  # type: ignore[arg-type]
            step="owner-overdue",
            level="owner",
            recipient_email=f"piet@{domain}",
            created_at=now - timedelta(days=2),
        )
    )
    session.commit()
    return OrgWorld(
        organisation=organisation,
        ciso=ciso,
        manager=manager,
        other_manager=other_manager,
        supplier=supplier,
        supplier_b=supplier_b,
        contract=contract,
        contract_b=contract_b,
        cycle=current,
        previous_cycle=previous,
        uitvraag=uitvraag,
        overdue=overdue,
        finding=finding,
        finding_high=finding_high,
        acceptance=acceptance,
        evidence=evidence,
        failed_mail=failed_mail,
        own_cycle=own,
    )


def sign_in(client: object, user: StaffUser, now: datetime, *, seen: datetime | None = None) -> None:
    """Put a live staff session in a Flask test client's cookie (the sign-in flow itself is tested separately):
    signed in at `now`, last used at `seen` (default `now`)."""
    with client.session_transaction() as flask_session:  # type: ignore[attr-defined]
        start_session(flask_session, user, now=now)
        if seen is not None:
            flask_session[SESSION_SEEN] = seen.isoformat()
