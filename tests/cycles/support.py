"""Helpers for the cycle tests: a supplier answering (through the supplier form's functions), the `bot` command in a
subprocess, and counting what was mailed to whom."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.models import (
    Contract,
    LadderStep,
    OutboxMessage,
    Uitvraag,
    UitvraagContract,
)
from bot.questionnaires.examples import best_answers
from bot.supplier.drafts import add_evidence, save_answers
from bot.supplier.state import load_state
from bot.supplier.submission import submit as supplier_submit
from tests.support.mail import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
ACTOR = "supplier:test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit(
    session: Session,
    uitvraag: Uitvraag,
    *,
    now: datetime,
    answers: dict[str, Any] | None = None,
    expires_on: date | None = None,
    upload_dir: str | Path | None = None,
) -> Uitvraag:
    """The supplier submits through the supplier form's own functions: best answers with `answers` overriding
    them, one PDF per evidence question (expiring on `expires_on` where the question asks for a date), then the
    real submission (frozen, judged, receipt queued)."""
    uitvraag_id = uitvraag.id
    assert uitvraag_id is not None
    session.commit()  # end the test's reads: saving takes SQLite's write lock
    state = load_state(session, uitvraag_id=uitvraag_id)
    values, evidence = best_answers(state.questionnaire, now.date(), state.facts)
    values.update(answers or {})
    in_scope = {q.id for q in state.questionnaire.questions() if state.in_scope(q)}
    values = {k: v for k, v in values.items() if k in in_scope}
    errors = save_answers(session, state=state, values=values, now=now, actor=ACTOR, atomic=True)
    assert not errors, errors
    folder = str(upload_dir) if upload_dir is not None else tempfile.mkdtemp(prefix="uploads-")
    for question_id in (q for q in evidence if q in in_scope):
        question = state.questionnaire.question(question_id)
        add_evidence(
            session,
            state=state,
            question_id=question_id,
            stream=io.BytesIO(PDF + secrets.token_bytes(8)),
            filename=f"{question_id}.pdf",
            expires_on=(expires_on or evidence[question_id][0].expires_on) if question.expiry else None,
            upload_dir=folder,
            max_bytes=1024 * 1024,
            now=now,
            actor=ACTOR,
        )
    session.commit()
    attestation = {"name": "Sam Leverancier", "role": "Security officer", "email": uitvraag.recipient_email}
    supplier_submit(
        session,
        uitvraag_id=uitvraag_id,
        attestation={**attestation, "truthful": True},
        now=now,
        actor=ACTOR,
        base_url="http://localhost",
        secret_key=TEST_SECRET_KEY,  # the app's, so the receipt mail's sealed link opens at delivery
        upload_dir=folder,
    )
    session.expire_all()
    submitted = session.get(Uitvraag, uitvraag_id)
    assert submitted is not None
    return submitted


def bot_env(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "BOT_INSTANCE_PATH": str(tmp_path / "instance"),
            "BOT_DOTENV": str(tmp_path / "no.env"),
            "BOT_ENV": "test",
            # The same key as the test app: a mail's link is sealed under it when queued and opened by the worker.
            "SECRET_KEY": TEST_SECRET_KEY,
            "BASE_URL": "http://localhost",
            "MAIL_URL": f"file://{tmp_path / 'mail'}",
            "MAIL_FROM": "BIO uitvraag <uitvraag@gemeente.test>",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def bot_command(*args: str) -> list[str]:
    # `python -m bot.cli` would import bot.cli twice (as __main__ and as itself); call its main() like the script.
    return [sys.executable, "-c", "from bot.cli import main; main()", *args]


def run_bot(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        bot_command(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"bot {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def mails_by_recipient(session: Session, kind: str | None = None) -> Counter[str]:
    statement = select(OutboxMessage)
    if kind is not None:
        statement = statement.where(OutboxMessage.kind == kind)
    return Counter(message.to_addr for message in session.exec(statement))


def steps(session: Session, uitvraag_id: int) -> list[tuple[str, str]]:
    rows = session.exec(select(LadderStep).where(LadderStep.uitvraag_id == uitvraag_id).order_by(LadderStep.id))
    return [(row.step, row.recipient_email) for row in rows]


def bulk_register(
    session: Session,
    *,
    organisations: int,
    contracts: int,
    suppliers: int | None = None,
    start: date = date(2025, 1, 1),
    personal_data_every: int = 0,
) -> None:
    """A large register, written in bulk: `contracts` contracts spread over the organisations and suppliers.

    With `suppliers` None every contract has its own supplier (one uitvraag each). Every organisation has a CISO.
    """
    import sqlalchemy as sa

    from bot.models import Organisation, StaffUser, Supplier

    now = datetime(2025, 1, 1, tzinfo=UTC)
    suppliers = suppliers or contracts
    org_ids = list(
        session.execute(
            sa.insert(Organisation.__table__).returning(Organisation.__table__.c.id, sort_by_parameter_order=True),
            [{"slug": f"org-{n}", "name": f"Gemeente {n}", "created_at": now} for n in range(organisations)],
        ).scalars()
    )
    supplier_ids = list(
        session.execute(
            sa.insert(Supplier.__table__).returning(Supplier.__table__.c.id, sort_by_parameter_order=True),
            [
                {
                    "kvk": f"{50000000 + n}",
                    "name": f"Leverancier {n}",
                    "language": "nl",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(suppliers)
            ],
        ).scalars()
    )
    session.execute(
        sa.insert(StaffUser.__table__),
        [
            {"organisation_id": org, "email": f"ciso@org-{n}.test", "name": "CISO", "role": "ciso", "language": "nl",
             "active": True, "created_at": now}
            for n, org in enumerate(org_ids)
        ],
    )  # fmt: skip
    rows = []
    for n in range(contracts):
        rows.append(
            {
                "organisation_id": org_ids[n % organisations],
                "supplier_id": supplier_ids[n % suppliers],
                "reference": f"C-{n:06d}",
                "name": f"Dienst {n}",
                "supplier_email": f"security@leverancier-{n % suppliers}.test",
                "owner_name": f"Eigenaar {n % 97}",
                "owner_email": f"eigenaar-{n % 97}@org-{n % organisations}.test",
                "risk_tier": ("high", "medium", "low")[n % 3],
                "personal_data": bool(personal_data_every) and n % personal_data_every == 0,
                "cloud_hosted": True,
                "start_date": start,
                "end_date": None,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    for offset in range(0, len(rows), 1000):
        session.execute(sa.insert(Contract.__table__), rows[offset : offset + 1000])
    session.commit()


def coverage(session: Session) -> Counter[tuple[int, str, int]]:
    """How many uitvragen each (contract, questionnaire, cycle) is in."""
    rows = session.exec(
        select(UitvraagContract.contract_id, UitvraagContract.questionnaire_id, UitvraagContract.cycle_id)
    )
    return Counter(tuple(row) for row in rows)
