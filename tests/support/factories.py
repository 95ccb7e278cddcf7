"""The one home of test data: small `make_*` rows, and worlds built by driving the product's own code.

Worlds go through what production runs, each step at an explicit `now`:
- `import_register`: the contract register as the administrator imports it (CSV, bot.register);
- `plan`: the planner (uitvragen, link tokens, invitation mails);
- `supplier_opens_invitation`: the supplier follows the link in the invitation mail (bot.supplier.links);
- `supplier_submits`: answers, uploads and submission through the supplier form's functions (frozen, judged by
  the real judge, receipt queued);
- `sweep`: the worker's sweep (reminders, escalations, renewals, digests).
The `make_*` rows are for tests of one piece. `make_uitvraag` is for a questionnaire the planner does not ship
(the supplier form's test questionnaire); it writes the rows the planner writes, through the same helpers.

Every function here ends its transaction before it returns: on SQLite an open transaction holds (or waits for)
the write lock, and the app under test, or the next step, must not wait for the test.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.access import issue_token
from bot.cycles.periods import Period, ensure_cycle
from bot.cycles.planner import PlanReport, plan_cycles
from bot.cycles.sweep import SweepReport
from bot.cycles.sweep import sweep as run_sweep
from bot.links import supplier_link
from bot.mail import outbox
from bot.models import (
    Answer,
    Contract,
    Organisation,
    OutboxMessage,
    ReviewCycle,
    StaffUser,
    Submission,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagKind,
)
from bot.questionnaires.examples import best_answers
from bot.questionnaires.loader import parse_questionnaire
from bot.questionnaires.model import Questionnaire
from bot.questionnaires.snapshots import ensure_snapshot
from bot.register import COLUMNS, OPTIONAL_COLUMNS, ImportReport
from bot.register import import_register as run_import
from bot.supplier.drafts import add_evidence, save_answers
from bot.supplier.links import present_token
from bot.supplier.state import load_state
from bot.supplier.submission import submit
from bot.timeutil import deadline_after, utcnow
from bot.uitvragen import contract_rows, create_follow_up
from tests.support.mail import TEST_SECRET_KEY, sent_text

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
# The form's test questionnaire: small, with one question of each kind (the shipped ones are planned, see `plan`).
QUESTIONNAIRE_FILE = Path(__file__).with_name("questionnaire.toml")
SUPPLIER_ACTOR = "supplier:test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GRACE_DAYS = 14
_counter = iter(range(1, 10**9))


def small_questionnaire() -> Questionnaire:
    return parse_questionnaire(QUESTIONNAIRE_FILE.read_text(encoding="utf-8"), name=str(QUESTIONNAIRE_FILE))


# --- single rows ----------------------------------------------------------------------------------------------


def make_organisation(session: Session, name: str = "Gemeente Testdorp", slug: str | None = None) -> Organisation:
    existing = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if existing:
        session.commit()
        return existing
    org = Organisation(name=name, slug=slug or name.lower().replace("gemeente ", "").replace(" ", "-"), created_at=NOW)
    session.add(org)
    session.commit()
    return org


def make_supplier(session: Session, name: str = "Leverancier BV", kvk: str | None = None, **kw: Any) -> Supplier:
    kvk = kvk or f"{next(_counter) + 10000000:08d}"
    existing = session.exec(select(Supplier).where(Supplier.kvk == kvk)).first()
    if existing:
        session.commit()
        return existing
    supplier = Supplier(kvk=kvk, name=name, created_at=NOW, updated_at=NOW, **kw)
    session.add(supplier)
    session.commit()
    return supplier


def make_cycle(
    session: Session,
    name: str = "2026-Q4",
    starts_on: date = date(2026, 10, 1),
    ends_on: date = date(2026, 12, 31),
    now: datetime = NOW,
) -> ReviewCycle:
    """The review cycle `name`, created as the planner creates it if it does not exist yet."""
    cycle = ensure_cycle(session, period=Period(name, starts_on, ends_on), now=now)
    session.commit()
    return cycle


def make_contract(
    session: Session,
    *,
    organisation: Organisation | None = None,
    supplier: Supplier | None = None,
    reference: str | None = None,
    **kw: Any,
) -> Contract:
    organisation = organisation or make_organisation(session)
    supplier = supplier or make_supplier(session)
    values: dict[str, Any] = {
        "name": "Zaaksysteem",
        "supplier_email": "security@leverancier.test",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.test",
        "risk_tier": "high",
        "personal_data": False,
        "cloud_hosted": True,
        "start_date": date(2025, 1, 1),
        "end_date": None,
        "active": True,
    }
    values.update(kw)
    contract = Contract(
        organisation_id=organisation.id,
        supplier_id=supplier.id,
        reference=reference or f"C-{next(_counter):05d}",
        created_at=NOW,
        updated_at=NOW,
        **values,
    )
    session.add(contract)
    session.commit()
    return contract


def make_staff(
    session: Session,
    *,
    organisation: Organisation,
    email: str,
    role: str = "ciso",
    name: str = "",
    now: datetime = NOW,
) -> StaffUser:
    """A staff user, created as the administrator's `bot user add` creates one (audited)."""
    # bot.staff.users imports bot.cli, which imports it back: importing it first, at module level, breaks both.
    from bot.staff.users import ensure_staff_user

    user, _created = ensure_staff_user(
        session, organisation=organisation, email=email, role=role, name=name or email, now=now
    )
    session.commit()
    return user


@dataclass
class Made:
    """What a test needs of a new uitvraag. Plain values: touching an expired row would open a transaction."""

    uitvraag: Uitvraag
    token: str
    contracts: list[Contract]
    id: int = 0


def make_uitvraag(
    session: Session,
    *,
    questionnaire: Questionnaire | None = None,
    now: datetime | None = None,
    deadline: datetime | None = None,
    contracts: list[Contract] | None = None,
    cycle: ReviewCycle | None = None,
    supplier_name: str = "Leverancier BV",
    organisation_name: str = "Gemeente Testdorp",
    personal_data: bool = False,
    recipient: str | None = None,
    kind: str = UitvraagKind.REGULAR,
    parent: Uitvraag | None = None,
    question_ids: list[str] | None = None,
    remark: str | None = None,
    language: str = "nl",
    base_url: str = "http://localhost",
    carried_answers: dict[str, Any] | None = None,
    invitation: bool = True,
) -> Made:
    """An uitvraag of `questionnaire` (default: the small test questionnaire) as the planner makes one: contracts,
    snapshot, link token and (unless `invitation` is False) the invitation mail in the outbox; a `parent` makes it
    a follow-up, through the follow-up code staff actions use. Committed.

    `now` defaults to the real clock: the supplier pages check tokens against it.
    """
    questionnaire = questionnaire or small_questionnaire()
    now = now or utcnow()
    organisation = make_organisation(session, organisation_name)
    if contracts is None:
        supplier = make_supplier(session, supplier_name)
        contracts = [
            make_contract(
                session, organisation=organisation, supplier=supplier, name="Zaaksysteem", personal_data=personal_data
            )
        ]
    deadline = deadline or deadline_after(now, 30)
    if parent is not None:
        uitvraag, token = create_follow_up(
            session,
            parent=parent,
            kind=UitvraagKind(kind),
            question_ids=question_ids or [],
            contract_ids=[c.id for c in contracts],  # type: ignore[misc]
            deadline=deadline,
            now=now,
            grace_days=GRACE_DAYS,
            remark=remark,
        )
        cycle = session.get_one(ReviewCycle, uitvraag.cycle_id)
    else:
        snapshot = ensure_snapshot(session, questionnaire=questionnaire, now=now)
        cycle = cycle or make_cycle(session)
        uitvraag = Uitvraag(
            organisation_id=contracts[0].organisation_id,
            supplier_id=contracts[0].supplier_id,
            cycle_id=cycle.id,  # type: ignore[arg-type]
            questionnaire_id=questionnaire.id,
            snapshot_id=snapshot.id,  # type: ignore[arg-type]
            follow_up_number=0,
            kind=kind,
            recipient_email=recipient or contracts[0].supplier_email,
            language=language,
            deadline=deadline,
            created_at=now,
            sent_at=now,
        )
        session.add(uitvraag)
        session.flush()
        session.add_all(
            UitvraagContract(**row)
            for row in contract_rows(
                uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
                contract_ids=[c.id for c in contracts],  # type: ignore[misc]
                questionnaire_id=questionnaire.id,
                cycle_id=cycle.id,  # type: ignore[arg-type]
                follow_up_number=0,
            )
        )
        token = issue_token(session, uitvraag=uitvraag, now=now, grace_days=GRACE_DAYS)
    for question_id, value in (carried_answers or {}).items():
        session.add(
            Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, carried_over=True, updated_at=now)  # type: ignore[arg-type]
        )
    if invitation:
        supplier_row = session.get_one(Supplier, uitvraag.supplier_id)
        outbox.enqueue(
            session,
            key=f"invitation:{uitvraag.id}",
            kind="invitation",
            to=uitvraag.recipient_email,
            language=language,
            context={
                "supplier_name": supplier_row.name,
                "organisation_name": session.get_one(Organisation, uitvraag.organisation_id).name,
                "contracts": [{"reference": c.reference, "name": c.name} for c in contracts],
                "questionnaire_title": questionnaire.title.get(language),
                "cycle": cycle.name,
                "deadline": deadline.date(),
                "link": supplier_link(base_url, token),
                "owner_name": contracts[0].owner_name,
                "owner_email": contracts[0].owner_email,
            },
            now=now,
            secret_key=TEST_SECRET_KEY,
            organisation_id=uitvraag.organisation_id,
            uitvraag_id=uitvraag.id,
        )
    session.commit()
    return Made(uitvraag, token, contracts, id=uitvraag.id)  # type: ignore[arg-type]


# --- worlds through the real code -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterLine:
    """One row of the contract register, as a municipality keeps it in Excel."""

    organisation: str
    supplier_name: str
    supplier_kvk: str
    supplier_email: str
    contract_ref: str
    contract_name: str
    owner_name: str
    owner_email: str
    risk_tier: str = "high"
    personal_data: bool = False
    start_date: date = date(2025, 1, 1)
    end_date: date | None = None
    service: str | None = None
    cloud_hosted: bool = True
    active: bool = True


def register_csv(lines: list[RegisterLine]) -> bytes:
    """The register as Dutch Excel saves it: semicolons, ja/nee, dd-mm-jjjj, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([*COLUMNS, *OPTIONAL_COLUMNS])
    for line in lines:
        values = {**line.__dict__}
        cells = []
        for column in (*COLUMNS, *OPTIONAL_COLUMNS):
            value = values[column]
            if isinstance(value, bool):
                value = "ja" if value else "nee"
            elif isinstance(value, date):
                value = value.strftime("%d-%m-%Y")
            cells.append("" if value is None else str(value))
        writer.writerow(cells)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def import_register(session: Session, lines: list[RegisterLine], *, now: datetime) -> ImportReport:
    """The administrator imports these register rows (`bot import contracts`): organisations, suppliers,
    contracts and contract managers are created or updated."""
    session.commit()
    return run_import(session, data=register_csv(lines), now=now, actor="cli", source="register.csv")


def plan(session: Session, config: Mapping[str, Any], *, now: datetime) -> PlanReport:
    """The worker's planner at `now`: every contract due gets its uitvraag, link and invitation mail."""
    session.commit()
    report = plan_cycles(session=session, config=config, now=now)
    session.expire_all()
    session.commit()
    return report


def sweep(session: Session, config: Mapping[str, Any], *, now: datetime) -> SweepReport:
    """The worker's sweep at `now`: reminders, overdue and finding escalations, renewals, digest mails."""
    session.commit()
    report = run_sweep(session=session, config=config, now=now)
    session.expire_all()
    session.commit()
    return report


def invitation_token(session: Session, uitvraag_id: int) -> str:
    """The link token in the uitvraag's invitation mail, as the supplier reads it in the mail."""
    mail = session.exec(
        select(OutboxMessage).where(OutboxMessage.uitvraag_id == uitvraag_id, OutboxMessage.kind == "invitation")
    ).one()
    session.commit()
    found = re.search(r"/q/([A-Za-z0-9_-]+)", sent_text(mail))
    assert found, f"no link in the invitation mail of uitvraag {uitvraag_id}"
    return found.group(1)


def supplier_opens_invitation(session: Session, uitvraag_id: int, *, now: datetime) -> str:
    """The supplier follows the link in the invitation mail at `now` (marks the uitvraag opened); returns the token."""
    token = invitation_token(session, uitvraag_id)
    opened = present_token(session, token=token, client="192.0.2.10", now=now)
    assert opened.ok, opened
    session.expire_all()
    return token


def supplier_saves(session: Session, uitvraag_id: int, answers: dict[str, Any], *, now: datetime) -> None:
    """The supplier saves draft answers through the form's own function."""
    session.commit()
    state = load_state(session, uitvraag_id=uitvraag_id)
    errors = save_answers(session, state=state, values=answers, now=now, actor=SUPPLIER_ACTOR, atomic=True)
    assert not errors, errors
    session.commit()
    session.expire_all()


def supplier_submits(
    session: Session,
    uitvraag: Uitvraag | int,
    *,
    now: datetime,
    answers: dict[str, Any] | None = None,
    evidence: dict[str, tuple[str, bytes, date | None]] | None = None,
    expires_on: date | None = None,
    attestation: dict[str, str] | None = None,
    upload_dir: str | Path | None = None,
) -> Submission:
    """The supplier answers, uploads and submits through the supplier form's own functions.

    The answers are the best ones (every rule met) with `answers` overriding them; every question that always
    asks for a document gets one PDF (`evidence` overrides: {question: (file name, content, expiry)}), expiring on
    `expires_on` (default: the best evidence's date) where the question asks for a date. The submission is
    frozen, judged by the real judge (findings, scores) and its receipt queued.
    """
    uitvraag_id = uitvraag if isinstance(uitvraag, int) else uitvraag.id
    assert uitvraag_id is not None
    session.commit()  # end the test's reads: saving takes SQLite's write lock
    state = load_state(session, uitvraag_id=uitvraag_id)
    values, documents = best_answers(state.questionnaire, now.date(), state.facts)
    values.update(answers or {})
    in_scope = {q.id for q in state.questionnaire.questions() if state.in_scope(q)}
    values = {k: v for k, v in values.items() if k in in_scope}
    errors = save_answers(session, state=state, values=values, now=now, actor=SUPPLIER_ACTOR, atomic=True)
    assert not errors, errors
    files: dict[str, tuple[str, bytes, date | None]] = {}
    for question_id in (q for q in documents if q in in_scope):
        question = state.questionnaire.question(question_id)
        expiry = (expires_on or documents[question_id][0].expires_on) if question.expiry else None
        files[question_id] = (f"{question_id}.pdf", PDF + secrets.token_bytes(8), expiry)
    files.update(evidence or {})
    folder = str(upload_dir) if upload_dir is not None else tempfile.mkdtemp(prefix="uploads-")
    for question_id, (filename, content, expiry) in files.items():
        add_evidence(
            session,
            state=state,
            question_id=question_id,
            stream=io.BytesIO(content),
            filename=filename,
            expires_on=expiry,
            upload_dir=folder,
            max_bytes=1024 * 1024,
            now=now,
            actor=SUPPLIER_ACTOR,
        )
    session.commit()
    attestation = attestation or {
        "name": "Sam Leverancier",
        "role": "Security officer",
        "email": state.uitvraag.recipient_email,
    }
    session.commit()
    submission = submit(
        session,
        uitvraag_id=uitvraag_id,
        attestation={**attestation, "truthful": True},
        now=now,
        actor=SUPPLIER_ACTOR,
        base_url="http://localhost",
        secret_key=TEST_SECRET_KEY,  # the app's, so the receipt mail's sealed link opens at delivery
        upload_dir=folder,
    )
    session.expire_all()
    session.commit()
    return submission
