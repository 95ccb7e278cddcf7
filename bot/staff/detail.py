"""Everything the uitvraag page shows: contracts, timeline, answers with their findings, evidence, receipt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.cycles import steps
from bot.findings import SETTLED, earlier_live_findings, later_uitvragen, settled_by
from bot.models import (
    Answer,
    AuditLog,
    Contract,
    EvidenceFile,
    Finding,
    LadderLevel,
    LadderStep,
    OutboxMessage,
    OutboxStatus,
    ReviewCycle,
    RiskAcceptance,
    Severity,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
)
from bot.questionnaires.model import Questionnaire
from bot.risk import risk_level
from bot.services import service_names
from bot.staff.acceptance import acceptances_of
from bot.staff.actions import contracts_of
from bot.staff.queries import finding_is_open
from bot.staff.texts import format_answer, question_or_none, question_text, questionnaire_for
from bot.uitvragen import is_overdue


@dataclass
class TimelineEvent:
    at: datetime
    kind: str  # created, sent, opened, saved, submitted, reviewed, mail, escalation, action
    label_nl: str
    label_en: str
    detail: str = ""
    failed: bool = False

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_nl


@dataclass
class AnswerView:
    question_id: str
    section: str
    text: str
    measures: list[str]
    value: str
    carried_over: bool
    findings: list[Finding] = field(default_factory=list)
    evidence: list[EvidenceFile] = field(default_factory=list)
    asked: bool = True  # false for questions a follow-up did not ask again
    is_evidence: bool = False  # the answer is the uploaded files themselves

    @property
    def open(self) -> bool:
        return any(f.status not in SETTLED for f in self.findings)


@dataclass
class UitvraagDetail:
    uitvraag: Uitvraag
    supplier: Supplier
    cycle: ReviewCycle
    contracts: list[Contract]
    questionnaire: Questionnaire | None
    answers: list[AnswerView]
    findings: list[Finding]
    evidence: list[EvidenceFile]
    submission: Submission | None
    timeline: list[TimelineEvent]
    overdue: bool
    parent: Uitvraag | None
    follow_ups: list[Uitvraag]
    later: list[Uitvraag]  # the other submissions of this supplier and questionnaire (which may settle findings)
    earlier_findings: list[Finding]  # still live, raised in earlier cycles: they count for these contracts too
    earlier_sources: dict[int, Uitvraag]  # the uitvraag each earlier finding belongs to
    cycle_names: dict[int, str]  # of the earlier sources' cycles
    staff_names: dict[int, str]
    service_names: dict[int, str]
    today: Any
    # Every proposal to accept a finding as a risk and its decision, per finding id, oldest first.
    acceptances: dict[int, list[RiskAcceptance]] = field(default_factory=dict)

    def waiting(self, finding: Finding) -> RiskAcceptance | None:
        """The proposal for `finding` that waits for the CISO, if any."""
        return next((a for a in self.acceptances.get(finding.id or 0, []) if a.status == "proposed"), None)

    def finding_open(self, finding: Finding) -> bool:
        return finding_is_open(finding, self.today)

    def settled_by(self, finding: Finding) -> Uitvraag | None:
        """The follow-up that resolved or carried over `finding`, if one did."""
        return settled_by(finding, self.later)

    @property
    def risk_level(self) -> str | None:
        """The worst open finding, this uitvraag's or one still open from an earlier cycle, beside the score (which
        alone can look good with critical findings); None while there is nothing judged to go by."""
        earlier = [f.severity for f in self.earlier_findings if self.finding_open(f)]
        if self.uitvraag.submitted_at is None and not earlier:
            return None
        return risk_level([*earlier, *(f.severity for f in self.findings if self.finding_open(f))])

    def question_text(self, question_id: str, lang: str) -> str:
        """The question as the supplier read it; its id when the snapshot cannot be read."""
        return question_text(self.questionnaire, question_id, lang)


MAIL_KINDS = {
    "invitation": ("Uitnodiging", "Invitation"),
    "reminder": ("Herinnering", "Reminder"),
    "follow-up": ("Verzoek om verbetering", "Improvement request"),
    "evidence-renewal": ("Verzoek om nieuw bewijsstuk", "Evidence renewal request"),
    "receipt": ("Ontvangstbevestiging", "Receipt"),
    "escalation-digest": ("Escalatie", "Escalation"),
    "delivery-failure": ("Melding mislukte bezorging", "Delivery failure notice"),
}
ACTIONS = {
    "finding.risk-accepted": ("Risico geaccepteerd", "Risk accepted"),
    "finding.acceptance-proposed": ("Risicoacceptatie voorgesteld", "Risk acceptance proposed"),
    "finding.acceptance-approved": (
        "Risicoacceptatie goedgekeurd door de CISO",
        "Risk acceptance approved by the CISO",
    ),
    "finding.acceptance-rejected": ("Risicoacceptatie afgewezen door de CISO", "Risk acceptance rejected by the CISO"),
    "uitvraag.improvement-requested": ("Verbetering gevraagd", "Improvement requested"),
    "uitvraag.deadline-extended": ("Termijn verlengd", "Deadline extended"),
    "uitvraag.link-resent": ("Link opnieuw verstuurd", "Link resent"),
    "uitvraag.link-revoked": ("Link ingetrokken", "Link revoked"),
    "uitvraag.reviewed": ("Beoordeling afgerond", "Review done"),
    "declaration.joined": (
        "Ontvangt de gedeelde verklaring van de leverancier voor deze dienst",
        "Receives the supplier's shared declaration for this service",
    ),
    "declaration.received": (
        "Antwoorden ontvangen uit de gedeelde verklaring van de leverancier",
        "Answers received from the supplier's shared declaration",
    ),
    "declaration.improvement-received": (
        "Verbeterde antwoorden ontvangen uit de gedeelde verklaring van de leverancier",
        "Improved answers received from the supplier's shared declaration",
    ),
    "declaration.excluded": (
        "De leverancier beantwoordt deze uitvraag apart",
        "The supplier answers this uitvraag separately",
    ),
}


def timeline(session: Session, uitvraag: Uitvraag) -> list[TimelineEvent]:
    """Sent, reminders, opened, saved, submitted, escalations and staff actions, oldest first."""
    events: list[TimelineEvent] = []
    stamps = [
        (uitvraag.created_at, "created", "Aangemaakt", "Created"),
        (uitvraag.opened_at, "opened", "Link geopend door de leverancier", "Link opened by the supplier"),
        (uitvraag.first_saved_at, "saved", "Eerste antwoorden opgeslagen", "First answers saved"),
        (uitvraag.submitted_at, "submitted", "Ingediend", "Submitted"),
    ]
    for at, kind, nl, en in stamps:
        if at is not None:
            events.append(TimelineEvent(at, kind, nl, en))
    # Each source in id order, and the timeline sorted stably: events at the same moment keep that order.
    for mail in session.exec(
        select(OutboxMessage).where(OutboxMessage.uitvraag_id == uitvraag.id).order_by(col(OutboxMessage.id))
    ):
        nl, en = MAIL_KINDS.get(mail.kind, (mail.kind, mail.kind))
        if mail.status == OutboxStatus.SENT and mail.sent_at:
            events.append(TimelineEvent(mail.sent_at, "mail", f"{nl} verstuurd", f"{en} sent", mail.to_addr))
        elif mail.status == OutboxStatus.FAILED:
            at = mail.sent_at or mail.next_attempt_at or mail.created_at
            assert at is not None
            events.append(
                TimelineEvent(
                    at,
                    "mail",
                    f"{nl} niet bezorgd",
                    f"{en} not delivered",
                    f"{mail.to_addr}: {mail.last_error or ''}",
                    failed=True,
                )
            )
        else:
            assert mail.created_at is not None
            events.append(TimelineEvent(mail.created_at, "mail", f"{nl} klaargezet", f"{en} queued", mail.to_addr))
    for step in session.exec(
        select(LadderStep).where(LadderStep.uitvraag_id == uitvraag.id).order_by(col(LadderStep.id))
    ):
        assert step.created_at is not None
        if step.level == LadderLevel.SUPPLIER:
            nl, en = "Herinnering aan de leverancier", "Reminder to the supplier"
        elif step.level == LadderLevel.CISO:
            nl, en = "Geëscaleerd naar de CISO", "Escalated to the CISO"
        else:
            nl, en = "Geëscaleerd naar de contracteigenaar", "Escalated to the contract owner"
        why_nl, why_en = steps.reason(step.step)
        label_nl, label_en = (f"{nl} ({why_nl})", f"{en} ({why_en})") if why_nl else (nl, en)
        events.append(TimelineEvent(step.created_at, "escalation", label_nl, label_en, step.recipient_email))
    for entry in session.exec(
        select(AuditLog)
        .where(AuditLog.subject_type == "uitvraag", AuditLog.subject_id == uitvraag.id)
        .order_by(col(AuditLog.id))
    ):
        if entry.action not in ACTIONS:
            continue
        assert entry.at is not None
        nl, en = ACTIONS[entry.action]
        who = (entry.detail or {}).get("by") or entry.actor
        events.append(TimelineEvent(entry.at, "action", nl, en, str(who)))
    if uitvraag.reviewed_at is not None and not any(e.kind == "action" and "Beoordeling" in e.label_nl for e in events):
        events.append(TimelineEvent(uitvraag.reviewed_at, "reviewed", "Beoordeling afgerond", "Review done"))
    return sorted(events, key=lambda e: e.at)


def uitvraag_detail(session: Session, uitvraag: Uitvraag, *, now: datetime, lang: str) -> UitvraagDetail:
    supplier = session.get(Supplier, uitvraag.supplier_id)
    cycle = session.get(ReviewCycle, uitvraag.cycle_id)
    assert supplier is not None and cycle is not None
    questionnaire = questionnaire_for(session, uitvraag)
    answers = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag.id))}
    findings = list(
        session.exec(select(Finding).where(Finding.uitvraag_id == uitvraag.id).order_by(col(Finding.id))).all()
    )
    findings.sort(key=lambda f: (Severity.rank_of(f.severity), f.question_id))
    evidence = list(
        session.exec(
            select(EvidenceFile).where(EvidenceFile.uitvraag_id == uitvraag.id).order_by(EvidenceFile.uploaded_at)
        ).all()
    )
    asked = set(uitvraag.question_ids or [])
    order: list[str] = []
    if questionnaire is not None:
        order = [q.id for q in questionnaire.questions()]
    for qid in list(answers) + [f.question_id for f in findings] + [e.question_id for e in evidence]:
        if qid not in order:
            order.append(qid)
    views: list[AnswerView] = []
    for qid in order:
        answer = answers.get(qid)
        q_findings = [f for f in findings if f.question_id == qid]
        q_evidence = [e for e in evidence if e.question_id == qid]
        if answer is None and not q_findings and not q_evidence:
            continue  # not shown to this supplier (a condition did not hold) and nothing to say
        question = question_or_none(questionnaire, qid)
        measures = list(question.measures) if question else sorted({m for f in q_findings for m in f.measure_ids})
        views.append(
            AnswerView(
                question_id=qid,
                section=question.section if question else "",
                text=question.text.get(lang) if question else qid,
                measures=measures,
                value=format_answer(question, answer.value if answer else None, lang),
                carried_over=bool(answer and answer.carried_over),
                findings=q_findings,
                evidence=q_evidence,
                asked=(not asked) or qid in asked,
                is_evidence=bool(question and question.type == "evidence"),
            )
        )
    submission = session.exec(select(Submission).where(Submission.uitvraag_id == uitvraag.id)).first()
    parent = session.get(Uitvraag, uitvraag.parent_id) if uitvraag.parent_id else None
    follow_ups = list(
        session.exec(
            select(Uitvraag).where(Uitvraag.parent_id == uitvraag.id).order_by(Uitvraag.follow_up_number)
        ).all()
    )
    earlier = earlier_live_findings(session, [uitvraag]).get(uitvraag.id or 0, [])
    earlier_sources = {
        u.id: u
        for u in session.exec(select(Uitvraag).where(col(Uitvraag.id).in_({f.uitvraag_id for f in earlier})))
        if u.id is not None
    }
    acceptances = acceptances_of(session, [f.id for f in findings if f.id is not None])
    staff_ids = (
        {f.accepted_by_id for f in [*findings, *earlier] if f.accepted_by_id}
        | ({uitvraag.reviewed_by_id} if uitvraag.reviewed_by_id else set())
        | {a.proposed_by_id for rows in acceptances.values() for a in rows}
        | {a.decided_by_id for rows in acceptances.values() for a in rows if a.decided_by_id}
    )
    staff_names = {
        u.id: (u.name or u.email)
        for u in session.exec(select(StaffUser).where(col(StaffUser.id).in_(staff_ids)))
        if u.id is not None
    }
    contracts = contracts_of(session, uitvraag)
    return UitvraagDetail(
        uitvraag=uitvraag,
        supplier=supplier,
        cycle=cycle,
        contracts=contracts,
        questionnaire=questionnaire,
        answers=views,
        findings=findings,
        evidence=evidence,
        submission=submission,
        timeline=timeline(session, uitvraag),
        overdue=is_overdue(uitvraag, now),
        parent=parent,
        follow_ups=follow_ups,
        later=later_uitvragen(session, uitvraag),
        earlier_findings=earlier,
        earlier_sources=earlier_sources,
        cycle_names={
            c.id: c.name
            for c in session.exec(
                select(ReviewCycle).where(col(ReviewCycle.id).in_({u.cycle_id for u in earlier_sources.values()}))
            )
            if c.id is not None
        },
        staff_names=staff_names,
        service_names=service_names(session, contracts),
        today=now.date(),
        acceptances=acceptances,
    )
