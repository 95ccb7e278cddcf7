"""Helpers for the cycle tests: a supplier answering (as the supplier form records it), the `bot` command in a
subprocess, and counting what was mailed to whom."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.models import (
    Answer,
    Contract,
    Escalation,
    EvidenceFile,
    Finding,
    OutboxMessage,
    QuestionnaireSnapshot,
    Submission,
    Uitvraag,
    UitvraagContract,
)
from bot.questionnaires.examples import best_answers
from bot.questionnaires.judge import judge
from bot.questionnaires.model import EvidenceRef
from bot.questionnaires.snapshots import questionnaire_from_snapshot
from bot.supplier.state import contract_facts

ROOT = Path(__file__).resolve().parents[2]
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
    """The supplier submits: best answers with `answers` overriding them, judged, frozen, with findings.

    Evidence questions get one PDF each (expiring on `expires_on` where the question asks for a date), stored in
    `upload_dir` when given. Writes the rows the supplier form writes at submission.
    """
    snapshot = session.get(QuestionnaireSnapshot, uitvraag.snapshot_id)
    questionnaire = questionnaire_from_snapshot(snapshot)
    contracts = session.exec(
        select(Contract).join(UitvraagContract).where(UitvraagContract.uitvraag_id == uitvraag.id)
    ).all()
    facts = contract_facts(list(contracts))  # as the supplier form judges
    today = now.date()
    values, evidence = best_answers(questionnaire, today, facts)
    values.update(answers or {})
    if uitvraag.question_ids:
        values = {k: v for k, v in values.items() if k in uitvraag.question_ids}
        evidence = {k: v for k, v in evidence.items() if k in uitvraag.question_ids}
    refs: dict[str, tuple[EvidenceRef, ...]] = {}
    for question_id in evidence:
        question = questionnaire.question(question_id)
        content = PDF + secrets.token_bytes(8)
        stored = secrets.token_hex(16)
        if upload_dir is not None:
            Path(upload_dir).mkdir(parents=True, exist_ok=True)
            (Path(upload_dir) / stored).write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()
        expiry = (expires_on or evidence[question_id][0].expires_on) if question.expiry else None
        session.add(
            EvidenceFile(
                uitvraag_id=uitvraag.id,
                question_id=question_id,
                original_name=f"{question_id}.pdf",
                stored_name=stored,
                content_type="application/pdf",
                size=len(content),
                sha256=digest,
                expires_on=expiry,
                uploaded_at=now,
            )
        )
        refs[question_id] = (EvidenceRef(name=f"{question_id}.pdf", sha256=digest, expires_on=expiry),)
    for answer in session.exec(select(Answer).where(Answer.uitvraag_id == uitvraag.id)).all():
        session.delete(answer)
    session.flush()
    for question_id, value in values.items():
        session.add(Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, updated_at=now))
    judgement = judge(questionnaire, values, facts, now, refs)
    findings, score = judgement.findings, judgement.score
    if uitvraag.question_ids:
        # A follow-up answers for its own questions only.
        findings = [f for f in findings if f.question_id in uitvraag.question_ids]
        score = 100 if not findings else 50
    for finding in findings:
        session.add(
            Finding(
                uitvraag_id=uitvraag.id,
                question_id=finding.question_id,
                rule=finding.rule,
                severity=finding.severity,
                measure_ids=list(finding.measures),
                reason_nl=finding.reason.nl,
                reason_en=finding.reason.get("en"),
                created_at=now,
            )
        )
    session.add(
        Submission(
            uitvraag_id=uitvraag.id,
            submitted_at=now,
            respondent_name="Sam Leverancier",
            respondent_role="Security officer",
            respondent_email=uitvraag.recipient_email,
            canonical="{}",
            digest="0" * 64,
        )
    )
    uitvraag.status = "submitted"
    uitvraag.submitted_at = now
    uitvraag.score = score
    session.add(uitvraag)
    session.commit()
    return uitvraag


def bot_env(database_url: str, tmp_path: Path, **extra: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "BOT_INSTANCE_PATH": str(tmp_path / "instance"),
            "BOT_DOTENV": str(tmp_path / "no.env"),
            "BOT_ENV": "test",
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
    rows = session.exec(select(Escalation).where(Escalation.uitvraag_id == uitvraag_id).order_by(Escalation.id))
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
