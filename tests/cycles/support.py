"""Helpers for the cycle tests: the `bot` command in a subprocess, a large register written in bulk, and counting
what was mailed to whom. Suppliers answer through tests/support/factories.py (`supplier_submits`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.models import (
    Contract,
    LadderStep,
    OutboxMessage,
    UitvraagContract,
)
from tests.support.mail import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


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
