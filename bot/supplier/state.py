"""One uitvraag as the supplier sees it: questionnaire, contracts, facts, current answers, evidence and progress.

The form, the JSON API and submission all read an uitvraag through `load_state`, so they agree on which questions
are asked (all of them, or a follow-up's chosen ones), which are shown, and what counts as answered.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from threading import Lock
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot import sharing
from bot.models import (
    AccessToken,
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
    UitvraagStatus,
)
from bot.questionnaires.model import EvidenceRef, Question, Questionnaire, Section
from bot.staff.queries import contracts_by_uitvraag
from bot.timeutil import as_utc

_TIER_ORDER = [RiskTier.LOW, RiskTier.MEDIUM, RiskTier.HIGH]

# Snapshots never change, so their parsed form is kept per content hash (bounded: a handful of versions live).
_QUESTIONNAIRES: OrderedDict[tuple[str, str, str], Questionnaire] = OrderedDict()
_QUESTIONNAIRES_LOCK = Lock()
_QUESTIONNAIRES_MAX = 32


def questionnaire_for(session: Session, snapshot_id: int) -> Questionnaire:
    """The questionnaire exactly as stored in snapshot `snapshot_id` (parsed once per process)."""
    head = session.execute(_SNAPSHOT_HEAD, {"id": snapshot_id}).one()
    return _questionnaire(session, snapshot_id, (head[0], head[1], head[2]))


def _questionnaire(session: Session, snapshot_id: int, key: tuple[str, str, str]) -> Questionnaire:
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


# The form reads an uitvraag on every page view: these statements are built once (SQLAlchemy then reuses their
# compiled form) and return plain rows, which the templates read like objects. Changes go through ORM rows loaded
# by the code that makes them (drafts, submission).
_U = Uitvraag.__table__  # type: ignore[attr-defined]
_SNAP = QuestionnaireSnapshot.__table__  # type: ignore[attr-defined]
_SNAPSHOT_HEAD = sa.select(_SNAP.c.questionnaire_id, _SNAP.c.version, _SNAP.c.content_hash).where(
    _SNAP.c.id == sa.bindparam("id")
)
_SUP = Supplier.__table__  # type: ignore[attr-defined]
_ORG = Organisation.__table__  # type: ignore[attr-defined]
_UITVRAAG = (
    sa.select(
        _U,
        _SNAP.c.questionnaire_id.label("snapshot_questionnaire"),
        _SNAP.c.version.label("snapshot_version"),
        _SNAP.c.content_hash.label("snapshot_hash"),
        _SUP.c.name.label("supplier_name"),
        _SUP.c.kvk.label("supplier_kvk"),
        _ORG.c.name.label("organisation_name"),
    )
    .join(_SNAP, _SNAP.c.id == _U.c.snapshot_id)
    .join(_SUP, _SUP.c.id == _U.c.supplier_id)
    .join(_ORG, _ORG.c.id == _U.c.organisation_id)
    .where(_U.c.id == sa.bindparam("id"))
)
_TOK = AccessToken.__table__  # type: ignore[attr-defined]
# The page guard checks the session's token and reads the uitvraag in one round trip.
_UITVRAAG_AND_TOKEN = _UITVRAAG.add_columns(
    _TOK.c.id.label("token_id"),
    _TOK.c.revoked_at.label("token_revoked_at"),
    _TOK.c.superseded_at.label("token_superseded_at"),
    _TOK.c.expires_at.label("token_expires_at"),
).outerjoin(_TOK, sa.and_(_TOK.c.token_hash == sa.bindparam("hash"), _TOK.c.uitvraag_id == _U.c.id))
_A = Answer.__table__  # type: ignore[attr-defined]


def _answers_json(dialect: str) -> Any:
    """All answers of the uitvraag as one JSON array of [question id, value, carried over]: one value to decode
    instead of a row (and a JSON value) per answer."""
    if dialect == "postgresql":
        entry = sa.func.json_agg(sa.func.json_build_array(_A.c.question_id, _A.c.value, _A.c.carried_over))
    else:
        entry = sa.func.json_group_array(
            sa.func.json_array(_A.c.question_id, sa.func.json(_A.c.value), _A.c.carried_over)
        )
    return sa.select(entry).where(_A.c.uitvraag_id == _U.c.id).scalar_subquery().label("answers_json")


_E = EvidenceFile.__table__  # type: ignore[attr-defined]
_C = Contract.__table__  # type: ignore[attr-defined]
_UC = UitvraagContract.__table__  # type: ignore[attr-defined]
_FILE_COLUMNS = ("id", "uitvraag_id", "question_id", "original_name", "stored_name", "content_type", "size")
_FILE_COLUMNS += ("sha256", "expires_on", "uploaded_at", "carried_over")
_CONTRACT_COLUMNS = ("id", "reference", "name", "supplier_email", "owner_name", "owner_email", "risk_tier")
_CONTRACT_COLUMNS += ("personal_data", "cloud_hosted")


def _objects_json(dialect: str, table: Any, names: tuple[str, ...], label: str, *joins_and_where: Any) -> Any:
    """A JSON array of objects (the columns `names` of `table`) for the rows the where clause picks."""
    pairs: list[Any] = []
    for name in names:
        pairs += [sa.literal(name), table.c[name]]
    if dialect == "postgresql":
        aggregate = sa.func.json_agg(sa.func.json_build_object(*pairs))
    else:
        aggregate = sa.func.json_group_array(sa.func.json_object(*pairs))
    statement = sa.select(aggregate).select_from(joins_and_where[0]).where(joins_and_where[1])
    return statement.scalar_subquery().label(label)


def _page_statement(dialect: str) -> Any:
    """The guard's one round trip: token, uitvraag, supplier, organisation, answers, files and contracts."""
    files = _objects_json(dialect, _E, _FILE_COLUMNS, "files_json", _E, _E.c.uitvraag_id == _U.c.id)
    contracts = _objects_json(
        dialect,
        _C,
        _CONTRACT_COLUMNS,
        "contracts_json",
        _C.join(_UC, _UC.c.contract_id == _C.c.id),
        _UC.c.uitvraag_id == _U.c.id,
    )
    return _UITVRAAG_AND_TOKEN.add_columns(_answers_json(dialect), files, contracts)


_PAGE = {dialect: _page_statement(dialect) for dialect in ("postgresql", "sqlite")}


def _json_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str | bytes) else (value or [])


def _file_row(data: dict[str, Any]) -> SimpleNamespace:
    data["carried_over"] = bool(data["carried_over"])
    data["expires_on"] = date.fromisoformat(data["expires_on"]) if data["expires_on"] else None
    data["uploaded_at"] = as_utc(datetime.fromisoformat(data["uploaded_at"])) if data["uploaded_at"] else None
    return SimpleNamespace(**data)


def _contract_row(data: dict[str, Any]) -> SimpleNamespace:
    data["personal_data"] = bool(data["personal_data"])
    data["cloud_hosted"] = bool(data["cloud_hosted"])
    return SimpleNamespace(**data)


_CONTRACTS = (
    sa.select(Contract.__table__)  # type: ignore[attr-defined]
    .join(UitvraagContract.__table__, UitvraagContract.__table__.c.contract_id == Contract.__table__.c.id)  # type: ignore[attr-defined]
    .where(UitvraagContract.__table__.c.uitvraag_id == sa.bindparam("id"))  # type: ignore[attr-defined]
    .order_by(Contract.__table__.c.reference)  # type: ignore[attr-defined]
)
_ANSWERS = sa.select(
    Answer.__table__.c.question_id,  # type: ignore[attr-defined]
    Answer.__table__.c.value,  # type: ignore[attr-defined]
    Answer.__table__.c.carried_over,  # type: ignore[attr-defined]
).where(Answer.__table__.c.uitvraag_id == sa.bindparam("id"))  # type: ignore[attr-defined]
_FILES = (
    sa.select(EvidenceFile.__table__)  # type: ignore[attr-defined]
    .where(EvidenceFile.__table__.c.uitvraag_id == sa.bindparam("id"))  # type: ignore[attr-defined]
    .order_by(EvidenceFile.__table__.c.id)  # type: ignore[attr-defined]
)
_SUBMISSION = sa.select(Submission).where(Submission.uitvraag_id == sa.bindparam("id"))  # type: ignore[arg-type]


def contract_facts(contracts: list[Any]) -> dict[str, Any]:
    """The facts conditions and rules may use: true if any covered contract has it; the highest risk tier."""
    tiers = [c.risk_tier for c in contracts if c.risk_tier in _TIER_ORDER]
    return {
        "personal_data": any(c.personal_data for c in contracts),
        "cloud_hosted": any(c.cloud_hosted for c in contracts),
        "risk_tier": max(tiers, key=_TIER_ORDER.index) if tiers else RiskTier.HIGH.value,
    }


@dataclass
class UitvraagState:
    uitvraag: Any  # a read-only row of Uitvraag (plus the snapshot's head)
    questionnaire: Questionnaire
    supplier: Any  # name, kvk
    organisation: Any  # name
    contracts: list[Any]
    facts: dict[str, Any]
    own_ids: set[str]  # questions with an Answer row of this uitvraag itself
    answers: dict[str, Any]  # the effective answers: own ones, over the parent's for a follow-up
    carried: set[str]  # question ids whose answer is pre-filled and not yet confirmed
    evidence: dict[str, list[Any]]  # this uitvraag's EvidenceFile rows, plus the parent's where it has none
    submission: Submission | None
    parent: Any = None
    scope_ids: list[str] = field(default_factory=list)  # the questions asked, in questionnaire order

    @property
    def submitted(self) -> bool:
        return self.submission is not None

    @property
    def is_follow_up(self) -> bool:
        return self.uitvraag.kind != UitvraagKind.REGULAR

    def in_scope(self, question: Question) -> bool:
        return question.id in self._scope_set

    def asks(self, question_id: str) -> bool:
        """Whether this uitvraag asks question `question_id` (a follow-up asks only its chosen ones)."""
        return question_id in self._scope_set

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
            files = self.evidence.get(question.id) or []
            if self.is_follow_up:
                # A follow-up asks for this document because the one it follows up is weak or expiring: only a
                # document of its own answers it, the one shown from before does not.
                return any(f.uitvraag_id == self.uitvraag.id for f in files)
            return bool(files)
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


def load_state(session: Session, *, uitvraag_id: int, token_hash: str | None = None) -> UitvraagState:
    """Read everything about uitvraag `uitvraag_id` that the supplier's pages and the API show.

    `state.uitvraag`, the contracts and the files are read-only rows; code that changes them loads its own. With
    `token_hash`, `state.uitvraag` also says (token_id, token_revoked_at, ...) what that token of this very
    uitvraag is (token_id None: no such token for it). Raises NoResultFound for an unknown uitvraag.
    """
    db = session.connection()  # Core statements straight on the connection: no ORM layer to go through
    packed = None
    if token_hash is None:
        uitvraag = db.execute(_UITVRAAG, {"id": uitvraag_id}).one()
    else:
        statement = _PAGE.get(db.dialect.name, _UITVRAAG_AND_TOKEN)
        uitvraag = db.execute(statement, {"id": uitvraag_id, "hash": token_hash}).one()
        packed = getattr(uitvraag, "answers_json", None)
    contracts: list[Any]
    files: dict[str, list[Any]] = {}
    if packed is not None:
        contracts = sorted((_contract_row(c) for c in _json_list(uitvraag.contracts_json)), key=lambda c: c.reference)
        for row in sorted((_file_row(f) for f in _json_list(uitvraag.files_json)), key=lambda f: f.id):
            files.setdefault(row.question_id, []).append(row)
    else:
        contracts = list(db.execute(_CONTRACTS, {"id": uitvraag_id}).all())
        for row in db.execute(_FILES, {"id": uitvraag_id}):
            files.setdefault(row.question_id, []).append(row)
    questionnaire = _questionnaire(
        session,
        uitvraag.snapshot_id,
        (uitvraag.snapshot_questionnaire, uitvraag.snapshot_version, uitvraag.snapshot_hash),
    )
    supplier = SimpleNamespace(id=uitvraag.supplier_id, name=uitvraag.supplier_name, kvk=uitvraag.supplier_kvk)
    organisation = SimpleNamespace(id=uitvraag.organisation_id, name=uitvraag.organisation_name)
    answers: dict[str, Any] = {}
    own: set[str] = set()
    carried: set[str] = set()
    values = _answer_values(session, uitvraag_id) if packed is None and token_hash is None else _unpack(packed)
    for question_id, value, carried_over in values:
        answers[question_id] = value
        own.add(question_id)
        if carried_over:
            carried.add(question_id)
    parent = None
    all_ids = [q.id for q in questionnaire.questions()]
    scope = all_ids
    if uitvraag.kind != UitvraagKind.REGULAR and uitvraag.parent_id is not None:
        parent = db.execute(_UITVRAAG, {"id": uitvraag.parent_id}).one()
        # A follow-up starts from the parent's answers and files; its own replace them question by question.
        for question_id, value, _carried in _answer_values(session, uitvraag.parent_id):
            if question_id not in own:
                answers[question_id] = value
                carried.add(question_id)
        for row in db.execute(_FILES, {"id": uitvraag.parent_id}):
            if row.question_id not in files or all(f.uitvraag_id != uitvraag_id for f in files[row.question_id]):
                files.setdefault(row.question_id, []).append(row)
    if uitvraag.kind != UitvraagKind.REGULAR and uitvraag.question_ids:
        wanted = set(uitvraag.question_ids)
        scope = [qid for qid in all_ids if qid in wanted]
    submission = None
    if uitvraag.status in (UitvraagStatus.SUBMITTED, UitvraagStatus.REVIEWED) or uitvraag.submitted_at is not None:
        submission = session.scalars(_SUBMISSION, {"id": uitvraag_id}).first()
    return UitvraagState(
        uitvraag=uitvraag,
        questionnaire=questionnaire,
        supplier=supplier,
        organisation=organisation,
        contracts=contracts,
        facts=contract_facts(contracts + _declaration_contracts(session, uitvraag)),
        own_ids=own,
        answers=answers,
        carried=carried,
        evidence=files,
        submission=submission,
        parent=parent,
        scope_ids=scope,
    )


def _declaration_contracts(session: Session, uitvraag: Any) -> list[Any]:
    """For the lead of a shared declaration, every member's contracts, and for an improvement request on one,
    every receiver's: the form asks what any of them needs."""
    if uitvraag.kind == UitvraagKind.FOLLOW_UP:
        receivers = [u.id for u in sharing.follow_up_receivers(session, uitvraag) if u.id is not None]
        found = contracts_by_uitvraag(session, receivers)
        return [contract for receiver in receivers for contract in found.get(receiver, [])]
    if uitvraag.kind != UitvraagKind.REGULAR or uitvraag.follow_up_number != 0:
        return []
    declaration = sharing.declaration_led_by(session, uitvraag.id)
    return sharing.member_contracts(session, declaration) if declaration is not None else []


def _unpack(packed: Any) -> list[tuple[str, Any, bool]]:
    entries = json.loads(packed) if isinstance(packed, str | bytes) else (packed or [])
    return [(entry[0], entry[1], bool(entry[2])) for entry in entries]


def _answer_values(session: Session, uitvraag_id: int) -> list[tuple[str, Any, bool]]:
    return [(row[0], row[1], bool(row[2])) for row in session.connection().execute(_ANSWERS, {"id": uitvraag_id})]
