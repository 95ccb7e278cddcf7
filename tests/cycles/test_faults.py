"""Fault tests: a planner killed mid-cycle, planners and sweeps racing each other (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.db import make_engine
from bot.models import AccessToken, LadderStep, OutboxMessage, Uitvraag
from tests.cycles.support import ROOT, bot_command, bot_env, bulk_register, coverage, run_bot

PLAN_AT = "2026-10-01T09:00"


def _count(engine: Any, table: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def _assert_invited_once(session: Session, expected_pairs: int) -> None:
    session.expire_all()
    covered = coverage(session)
    assert len(covered) == expected_pairs and set(covered.values()) == {1}
    uitvragen = session.exec(select(Uitvraag)).all()
    invitations = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    tokens = session.exec(select(AccessToken)).all()
    assert len(invitations) == len(uitvragen) == len(tokens)
    assert {m.uitvraag_id for m in invitations} == {u.id for u in uitvragen} == {t.uitvraag_id for t in tokens}


@pytest.mark.slow
def test_a_planner_killed_mid_cycle_then_rerun_invites_every_contract_once(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    bulk_register(session, organisations=10, contracts=5000, personal_data_every=4)
    expected = 5000 + 1250  # each contract's main questionnaire, and the processor one for every fourth
    env = bot_env(database_url, tmp_path)
    # Read-only: on SQLite a writing transaction (BEGIN IMMEDIATE) would queue behind the planner's and often see
    # nothing until the planner was done.
    watcher = make_engine(database_url).execution_options(postgresql_readonly=True)
    planner = subprocess.Popen(
        bot_command("cycle", "plan", "--now", PLAN_AT),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while _count(watcher, "uitvraag") == 0 and time.monotonic() < deadline and planner.poll() is None:
            time.sleep(0.01)
        planner.send_signal(signal.SIGKILL)
        planner.communicate(timeout=30)
    finally:
        if planner.poll() is None:
            planner.kill()
    at_kill = _count(watcher, "uitvraag")
    assert 0 < at_kill < expected, "the planner should have been killed mid-cycle"
    watcher.dispose()

    run_bot(env, "cycle", "plan", "--now", PLAN_AT)
    _assert_invited_once(session, expected)


def _run_together(env: dict[str, str], *args: str, count: int = 2) -> list[str]:
    processes = [
        subprocess.Popen(
            bot_command(*args), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, f"{args} failed:\n{out}\n{err}"
        outputs.append(out)
    return outputs


@pytest.mark.slow
def test_two_planners_at_once_create_no_duplicates(session: Session, database_url: str, tmp_path: Path) -> None:
    bulk_register(session, organisations=6, contracts=1200, suppliers=300, personal_data_every=5)
    env = bot_env(database_url, tmp_path)
    _run_together(env, "cycle", "plan", "--now", PLAN_AT)
    # 300 suppliers over 6 organisations: each supplier's contracts at one organisation share their uitvraag.
    expected_pairs = 1200 + 240
    _assert_invited_once(session, expected_pairs)
    uitvragen = session.exec(select(Uitvraag)).all()
    keys = Counter((u.organisation_id, u.supplier_id, u.questionnaire_id, u.cycle_id) for u in uitvragen)
    assert set(keys.values()) == {1}


@pytest.mark.slow
def test_two_sweeps_at_once_take_each_step_once(session: Session, database_url: str, tmp_path: Path) -> None:
    bulk_register(session, organisations=4, contracts=600, suppliers=150)
    env = bot_env(database_url, tmp_path)
    run_bot(env, "cycle", "plan", "--now", PLAN_AT)
    for moment in ("2026-10-17T09:00", "2026-10-28T09:00", "2026-11-16T09:00"):
        _run_together(env, "sweep", "--now", moment)
    session.expire_all()
    uitvragen = session.exec(select(Uitvraag)).all()
    escalations = session.exec(select(LadderStep)).all()
    by_step = Counter(e.step.split(":")[0] for e in escalations)
    owners_per_uitvraag = {
        u: len(owners)
        for u, owners in _owners(session).items()
    }  # fmt: skip
    assert by_step["reminder-14"] == by_step["reminder-3"] == len(uitvragen)
    assert by_step["owner-overdue"] == sum(owners_per_uitvraag.values())
    assert by_step["ciso-overdue"] == len(uitvragen)  # one CISO per organisation
    # Every owner and CISO item went out in exactly one digest, to its own recipient. Two sweeps at once may
    # each mail part of a person's items, never the same item twice.
    digests = {m.id: m for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "escalation-digest"))}
    assert all(e.outbox_id is not None for e in escalations)
    for escalation in escalations:
        if escalation.level != "supplier":
            assert digests[escalation.outbox_id].to_addr == escalation.recipient_email
    assert set(Counter(m.to_addr for m in digests.values()).values()) <= {1, 2}
    reminders = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
    assert len(reminders) == 2 * len(uitvragen)


def _owners(session: Session) -> dict[int, set[str]]:
    rows = session.execute(
        sa.text(
            "SELECT uc.uitvraag_id, c.owner_email FROM uitvraagcontract uc JOIN contract c ON c.id = uc.contract_id"
        )
    )
    owners: dict[int, set[str]] = {}
    for uitvraag_id, email in rows:
        owners.setdefault(uitvraag_id, set()).add(email)
    return owners
