"""One uitvraag as the supplier sees it: questionnaire, contracts, facts, current answers, evidence and progress.

The form, the JSON API and submission all read an uitvraag through `load_state`, so they agree on which questions
are asked (all of them, or a follow-up's chosen ones), which are shown, and what counts as answered.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from sqlmodel import Session, select

from bot.models import (
    Answer,
    Contract,
    EvidenceFile,
    Organisation,
    QuestionnaireSnapshot,
    RiskTier,
    Submission,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagKind,
)
from bot.questionnaires.model import EvidenceRef, Question, Questionnaire, Section

_TIER_ORDER = [RiskTier.LOW, RiskTier.MEDIUM, RiskTier.HIGH]

# Snapshots never change, so their parsed form is kept per content hash (bounded: a handful of versions live).
_QUESTIONNAIRES: OrderedDict[tuple[str, str, str], Questionnaire] = OrderedDict()
_QUESTIONNAIRES_LOCK = Lock()
_QUESTIONNAIRES_MAX = 32


def questionnaire_for(session: Session, snapshot_id: int) -> Questionnaire:
    """The questionnaire exactly as stored in snapshot `snapshot_id` (parsed once per process)."""
    head = session.exec(
        select(
            QuestionnaireSnapshot.questionnaire_id, QuestionnaireSnapshot.version, QuestionnaireSnapshot.content_hash
        ).where(QuestionnaireSnapshot.id == snapshot_id)
    ).one()
    key = (head[0], head[1], head[2])
    with _QUESTIONNAIRES_LOCK:
        if key in _QUESTIONNAIRES:
            _QUESTIONNAIRES.move_to_end(key)
            return _QUESTIONNAIRES[key]
    from bot.questionnaires.snapshots import questionnaire_from_snapshot

    questionnaire = questionnaire_from_snapshot(session.get_one(QuestionnaireSnapshot, snapshot_id))
    with _QUESTIONNAIRES_LOCK:
        _QUESTIONNAIRES[key] = questionnaire
        while len(_QUESTIONNAIRES) > _QUESTIONNAIRES_MAX:
            _QUESTIONNAIRES.popitem(last=False)
    return questionnaire


def contract_facts(contracts: list[Contract]) -> dict[str, Any]:
    """The facts conditions and rules may use: true if any covered contract has it; the highest risk tier."""
    tiers = [c.risk_tier for c in contracts if c.risk_tier in _TIER_ORDER]
    return {
        "personal_data": any(c.personal_data for c in contracts),
        "cloud_hosted": any(c.cloud_hosted for c in contracts),
        "risk_tier": max(tiers, key=_TIER_ORDER.index) if tiers else RiskTier.HIGH.value,
    }


@dataclass
class UitvraagState:
    uitvraag: Uitvraag
    questionnaire: Questionnaire
    supplier: Supplier
    organisation: Organisation
    contracts: list[Contract]
    facts: dict[str, Any]
    own_answers: dict[str, Answer]  # this uitvraag's Answer rows
    answers: dict[str, Any]  # the effective answers: own ones, over the parent's for a follow-up
    carried: set[str]  # question ids whose answer is pre-filled and not yet confirmed
    evidence: dict[str, list[EvidenceFile]]  # this uitvraag's files, plus the parent's where it has none
    submission: Submission | None
    parent: Uitvraag | None = None
    scope_ids: list[str] = field(default_factory=list)  # the questions asked, in questionnaire order

    @property
    def submitted(self) -> bool:
        return self.submission is not None

    @property
    def is_follow_up(self) -> bool:
        return self.uitvraag.kind != UitvraagKind.REGULAR

    def in_scope(self, question: Question) -> bool:
        return question.id in self._scope_set

    def __post_init__(self) -> None:
        self._scope_set = set(self.scope_ids)

    def shown(self, question: Question) -> bool:
        return self.in_scope(question) and question.is_shown(self.answers, self.facts)

    def sections(self) -> list[Section]:
        """Sections that ask at least one question of this uitvraag."""
        return [s for s in self.questionnaire.sections if any(self.in_scope(q) for q in s.questions)]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections() if s.id == section_id), None)

    def visible_questions(self, section: Section | None = None) -> list[Question]:
        questions = section.questions if section is not None else tuple(self.questionnaire.questions())
        return [q for q in questions if self.shown(q)]

    def is_answered(self, question: Question) -> bool:
        if question.type == "evidence":
            return bool(self.evidence.get(question.id))
        value = self.answers.get(question.id)
        return value is not None and value != "" and value != []

    def progress(self, section: Section | None = None) -> tuple[int, int]:
        """(answered, total) over the shown questions of `section` (or of the whole uitvraag)."""
        visible = self.visible_questions(section)
        return sum(1 for q in visible if self.is_answered(q)), len(visible)

    def evidence_refs(self) -> dict[str, list[EvidenceRef]]:
        return {
            qid: [EvidenceRef(name=f.original_name, sha256=f.sha256, expires_on=f.expires_on) for f in files]
            for qid, files in self.evidence.items()
            if files
        }

    def owner_contacts(self) -> list[tuple[str, str]]:
        """(name, e-mail) of each contract owner, without duplicates."""
        seen: dict[str, str] = {}
        for contract in self.contracts:
            seen.setdefault(contract.owner_email, contract.owner_name)
        return [(name, email) for email, name in seen.items()]


def load_state(session: Session, *, uitvraag_id: int) -> UitvraagState:
    """Read everything about uitvraag `uitvraag_id` that the supplier's pages and the API show."""
    uitvraag = session.get_one(Uitvraag, uitvraag_id)
    questionnaire = questionnaire_for(session, uitvraag.snapshot_id)
    contracts = list(
        session.exec(
            select(Contract)
            .join(UitvraagContract, UitvraagContract.contract_id == Contract.id)  # type: ignore[arg-type]
            .where(UitvraagContract.uitvraag_id == uitvraag_id)
            .order_by(Contract.reference)
        ).all()
    )
    own = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag_id)).all()}
    files: dict[str, list[EvidenceFile]] = {}
    for row in session.exec(
        select(EvidenceFile).where(EvidenceFile.uitvraag_id == uitvraag_id).order_by(EvidenceFile.id)  # type: ignore[arg-type]
    ):
        files.setdefault(row.question_id, []).append(row)

    answers = {qid: a.value for qid, a in own.items()}
    carried = {qid for qid, a in own.items() if a.carried_over}
    parent = None
    all_ids = [q.id for q in questionnaire.questions()]
    scope = all_ids
    if uitvraag.kind != UitvraagKind.REGULAR and uitvraag.parent_id is not None:
        parent = session.get(Uitvraag, uitvraag.parent_id)
        # A follow-up starts from the parent's answers and files; its own replace them question by question.
        for row in session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag.parent_id)):
            if row.question_id not in own:
                answers[row.question_id] = row.value
                carried.add(row.question_id)
        for row in session.exec(
            select(EvidenceFile).where(EvidenceFile.uitvraag_id == uitvraag.parent_id).order_by(EvidenceFile.id)  # type: ignore[arg-type]
        ):
            if row.question_id not in files or all(f.uitvraag_id != uitvraag_id for f in files[row.question_id]):
                files.setdefault(row.question_id, []).append(row)
    if uitvraag.kind != UitvraagKind.REGULAR and uitvraag.question_ids:
        wanted = set(uitvraag.question_ids)
        scope = [qid for qid in all_ids if qid in wanted]
    submission = session.exec(select(Submission).where(Submission.uitvraag_id == uitvraag_id)).first()
    return UitvraagState(
        uitvraag=uitvraag,
        questionnaire=questionnaire,
        supplier=session.get_one(Supplier, uitvraag.supplier_id),
        organisation=session.get_one(Organisation, uitvraag.organisation_id),
        contracts=contracts,
        facts=contract_facts(contracts),
        own_answers=own,
        answers=answers,
        carried=carried,
        evidence=files,
        submission=submission,
        parent=parent,
        scope_ids=scope,
    )
