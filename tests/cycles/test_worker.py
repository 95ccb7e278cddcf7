"""The worker: catches up after downtime on its first tick, one active replica on PostgreSQL, none in the web."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.cycles.planner import plan_cycles
from bot.cycles.sweep import sweep
from bot.models import OutboxMessage, ReviewCycle, Uitvraag
from tests.cycles.support import ROOT, bot_command, bot_env
from tests.support.factories import make_contract, make_organisation


def _wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(bot_command("worker", *args), env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _cycles_with_uitvragen(session: Session) -> set[str]:
    session.expire_all()
    names = set(session.exec(select(ReviewCycle.name).join(Uitvraag, Uitvraag.cycle_id == ReviewCycle.id)).all())
    session.rollback()  # end the read at once: on SQLite every transaction holds the write lock
    return names


def _uitvragen(session: Session) -> int:
    count = len(session.exec(select(Uitvraag)).all())
    session.rollback()
    return count


def test_the_web_never_starts_a_scheduler(tmp_path: Path, database_url: str) -> None:
    script = (
        "import sys, threading\n"
        "from bot import create_app\n"
        "app = create_app()\n"
        "app.test_client().get('/')\n"
        "assert 'apscheduler' not in sys.modules, 'the web app imported the scheduler'\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "print('no scheduler')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=bot_env(database_url, tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "no scheduler" in result.stdout, result.stderr


def test_a_worker_down_across_a_quarter_boundary_catches_up_on_its_first_tick(
    session: Session, app: Any, database_url: str, tmp_path: Path
) -> None:
    org = make_organisation(session)
    for n in range(3):
        make_contract(session, organisation=org, reference=f"C-{n}")
    # The worker last ran on 30 December, and comes back on 2 January, three days later.
    last_tick = datetime(2026, 12, 30, 12, tzinfo=UTC)
    plan_cycles(session=session, config=app.config, now=last_tick)
    sweep(session=session, config=app.config, now=last_tick)
    assert _cycles_with_uitvragen(session) == {"2026-Q4"}

    env = bot_env(database_url, tmp_path, WORKER_TICK_SECONDS=3600)  # only the first tick can do the work
    worker = _start_worker(env, tmp_path / "worker.log", "--now", "2027-01-02T12:00")
    try:
        _wait_for(lambda: "2027-Q1" in _cycles_with_uitvragen(session), what="the 2027-Q1 uitvragen")
        # ... and the same tick delivered the invitations.
        mail = tmp_path / "mail"
        _wait_for(lambda: mail.exists() and len(list(mail.glob("*.eml"))) >= 6, what="delivered invitations")
    finally:
        assert _stop(worker) == 0, (tmp_path / "worker.log").read_text()
    session.expire_all()
    invitations = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    assert len(invitations) == 6 and all(m.status == "sent" for m in invitations)


@pytest.mark.postgres
def test_two_workers_on_postgresql_one_is_active_and_the_other_takes_over(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    make_contract(session, reference="FIRST")
    env = bot_env(database_url, tmp_path, WORKER_TICK_SECONDS=1, WORKER_LEADER_RETRY_SECONDS=1)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _start_worker(env, first_log, "--now", "2026-10-01T09:00")
    second = None
    try:
        _wait_for(lambda: "this worker is the leader" in first_log.read_text(), what="the first worker to lead")
        second = _start_worker(env, second_log, "--now", "2026-10-01T09:00")
        _wait_for(lambda: "waiting to take over" in second_log.read_text(), what="the second worker to wait")
        time.sleep(3)  # several ticks of the first worker
        assert "this worker is the leader" not in second_log.read_text()
        assert "tick " in first_log.read_text() and "tick " not in second_log.read_text()

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        _wait_for(
            lambda: "this worker is the leader" in second_log.read_text(), timeout=20, what="the second to take over"
        )
        # The new leader does the work: a contract added now is planned by it.
        make_contract(session, reference="SECOND", supplier=None)
        _wait_for(lambda: _uitvragen(session) == 2, what="the second worker to plan")
        _wait_for(lambda: "tick " in second_log.read_text(), what="the second worker's tick to finish")
    finally:
        if first.poll() is None:
            first.kill()
        if second is not None:
            assert _stop(second) == 0, second_log.read_text()


def test_a_waiting_replica_keeps_waiting_while_postgresql_cannot_be_reached() -> None:
    from bot.cycles.worker import LeaderLock
    from bot.db import make_engine
    from tests.support.smtp import free_port

    # Nothing listens on this port: the database is down (or restarting) while the replica waits for the lock.
    engine = make_engine(f"postgresql+psycopg://bot:bot@127.0.0.1:{free_port()}/bot?connect_timeout=2")
    lock = LeaderLock(engine)
    try:
        assert lock.try_acquire() is False
        assert lock.connection is None  # nothing half-open is kept while waiting
    finally:
        engine.dispose()
