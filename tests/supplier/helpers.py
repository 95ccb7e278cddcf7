"""Test helpers for the supplier form: an uitvraag with its contracts, snapshot, link token and invitation mail.

The planner (bot/cycles) creates uitvragen in production; these helpers create the same rows directly so the
form's tests do not depend on planning.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.access import issue_token
from bot.mail import outbox
from bot.models import Answer, Contract, Uitvraag, UitvraagContract, UitvraagKind
from bot.questionnaires.loader import parse_questionnaire
from bot.questionnaires.model import Questionnaire
from bot.questionnaires.snapshots import ensure_snapshot
from bot.timeutil import utcnow
from tests.factories import make_contract, make_cycle, make_organisation, make_supplier
from tests.support.mail import TEST_SECRET_KEY

QUESTIONNAIRE_FILE = Path(__file__).with_name("questionnaire.toml")
GRACE_DAYS = 14


def small_questionnaire() -> Questionnaire:
    return parse_questionnaire(QUESTIONNAIRE_FILE.read_text(encoding="utf-8"), name=str(QUESTIONNAIRE_FILE))


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
    now: datetime | None = None,
    deadline: datetime | None = None,
    contracts: list[Contract] | None = None,
    supplier_name: str = "Leverancier BV",
    organisation_name: str = "Gemeente Testdorp",
    personal_data: bool = False,
    questionnaire: Questionnaire | None = None,
    kind: str = UitvraagKind.REGULAR,
    parent: Uitvraag | None = None,
    question_ids: list[str] | None = None,
    remark: str | None = None,
    language: str = "nl",
    base_url: str = "http://localhost",
    carried_answers: dict[str, Any] | None = None,
) -> Made:
    """An uitvraag as the planner makes it: contracts, snapshot, token, invitation mail in the outbox; committed."""
    now = now or utcnow()  # pages check tokens against the real clock
    questionnaire = questionnaire or small_questionnaire()
    organisation = make_organisation(session, organisation_name)
    if contracts is None:
        supplier = make_supplier(session, supplier_name)
        contracts = [
            make_contract(
                session, organisation=organisation, supplier=supplier, name="Zaaksysteem", personal_data=personal_data
            )
        ]
    snapshot = ensure_snapshot(session, questionnaire=questionnaire, now=now)
    cycle = make_cycle(session)
    round_ = 0
    if parent is not None:
        round_ = 1 + max(
            u.follow_up_number for u in session.exec(select(Uitvraag).where(Uitvraag.cycle_id == parent.cycle_id)).all()
        )
    uitvraag = Uitvraag(
        organisation_id=organisation.id,  # type: ignore[arg-type]
        supplier_id=contracts[0].supplier_id,
        cycle_id=cycle.id,  # type: ignore[arg-type]
        questionnaire_id=questionnaire.id,
        snapshot_id=snapshot.id,  # type: ignore[arg-type]
        follow_up_number=round_,
        kind=kind,
        parent_id=parent.id if parent else None,
        question_ids=question_ids,
        remark=remark,
        recipient_email=contracts[0].supplier_email,
        language=language,
        deadline=deadline or now + timedelta(days=30),
        created_at=now,
        sent_at=now,
    )
    session.add(uitvraag)
    session.flush()
    for contract in contracts:
        session.add(
            UitvraagContract(
                uitvraag_id=uitvraag.id,  # type: ignore[arg-type]
                contract_id=contract.id,  # type: ignore[arg-type]
                questionnaire_id=questionnaire.id,
                cycle_id=cycle.id,  # type: ignore[arg-type]
                follow_up_number=round_,
            )
        )
    for question_id, value in (carried_answers or {}).items():
        session.add(
            Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, carried_over=True, updated_at=now)  # type: ignore[arg-type]
        )
    token = issue_token(session, uitvraag=uitvraag, now=now, grace_days=GRACE_DAYS)
    outbox.enqueue(
        session,
        key=f"invitation:{uitvraag.id}:{round_}",
        kind="invitation",
        to=uitvraag.recipient_email,
        language=language,
        context={
            "supplier_name": supplier_name,
            "organisation_name": organisation.name,
            "contracts": [{"reference": c.reference, "name": c.name} for c in contracts],
            "questionnaire_title": questionnaire.title.get(language),
            "cycle": cycle.name,
            "deadline": (deadline or now + timedelta(days=30)).date(),
            "link": f"{base_url}/q/{token}",
            "owner_name": contracts[0].owner_name,
            "owner_email": contracts[0].owner_email,
        },
        now=now,
        secret_key=TEST_SECRET_KEY,
        organisation_id=organisation.id,
        uitvraag_id=uitvraag.id,
    )
    session.commit()
    return Made(uitvraag, token, contracts, id=uitvraag.id)  # type: ignore[arg-type]


def open_link(client: Any, token: str) -> Any:
    """Open the emailed link with a Flask test client; returns the redirect response."""
    return client.get(f"/q/{token}")


# Small real documents of each accepted kind, for uploads.
def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + pixels + chunk(b"IEND", b"")


def pdf_bytes(text: str = "ISO 27001 certificaat") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {text}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def docx_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def expiry_in(days: int, now: datetime | None = None) -> str:
    return ((now or utcnow()) + timedelta(days=days)).date().isoformat()


def rows(session: Session, statement: Any) -> list[Any]:
    """Run a query and end the transaction at once: on SQLite every transaction holds the write lock, and the app
    under test must not wait for the test's."""
    session.expire_all()
    result = list(session.exec(statement).all())
    session.commit()
    return result


def fetch(session: Session, model: Any, ident: int) -> Any:
    """A fresh copy of one row, with the transaction ended (see `rows`)."""
    session.expire_all()
    row = session.get(model, ident)
    session.commit()
    return row
