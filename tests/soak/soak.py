"""The soak with faults: the whole service on one PostgreSQL under a bounded load, while things break.

    .venv/bin/python -m tests.soak            # the full form: a few minutes, the mail server refusing for a minute
    .venv/bin/python -m tests.soak --short    # the short form CI runs (tests/soak/test_soak.py)

What runs: a private PostgreSQL cluster on a port of its own (tests/support/private_pg.py; never the shared one),
3 gunicorn instances (2 workers each, as the Procfile's web line) and 2 `bot worker` replicas on it, and a real
SMTP server (aiosmtpd) that records every Message-ID it accepts. Suppliers read, save and submit through the JSON
API (each request to the next instance, as a load balancer would; a failed request is tried again, as a client
would); staff read the overview and uitvraag pages. While that runs:
1. the leader worker is killed with SIGKILL (its replica must take over; a supervisor, as systemd would, starts
   the killed one again);
2. PostgreSQL is restarted once (stopped, down a few seconds, started);
3. the SMTP server refuses connections for a while (a minute in the full form).
Afterwards, once the outbox has drained: every submission a client saw accepted is stored once, with the digest
the client got; every mail queued reached the SMTP server (counted by Message-ID); 5xx answers only while the
database was down; the web instances answer /readyz again without having been restarted.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECRET = "soak-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF"


@dataclass(frozen=True)
class Plan:
    """How big the load is and when each fault strikes (seconds after the load starts)."""

    uitvragen: int
    suppliers: int  # concurrent supplier clients
    staff: int  # concurrent staff readers
    load_seconds: float  # the submissions are spread over this long
    kill_leader_at: float
    database_down_at: float
    database_down_seconds: float
    smtp_refuses_at: float
    smtp_refuses_seconds: float
    drain_seconds: float = 120.0  # how long the outbox may take to empty after the load

    @classmethod
    def short(cls) -> Plan:
        return cls(
            uitvragen=60,
            suppliers=6,
            staff=1,
            load_seconds=40,
            kill_leader_at=6,
            database_down_at=14,
            database_down_seconds=4,
            smtp_refuses_at=22,
            smtp_refuses_seconds=15,
        )

    @classmethod
    def full(cls) -> Plan:
        return cls(
            uitvragen=300,
            suppliers=12,
            staff=2,
            load_seconds=180,
            kill_leader_at=20,
            database_down_at=50,
            database_down_seconds=10,
            smtp_refuses_at=80,
            smtp_refuses_seconds=60,
        )


# --- what the clients saw --------------------------------------------------------------------------------------


@dataclass
class Observed:
    """Every answer the clients got, and the submissions they saw accepted (uitvraag id -> receipt digest)."""

    started: float = field(default_factory=time.monotonic)
    answers: list[tuple[float, str, int]] = field(default_factory=list)  # (seconds since start, what, status)
    accepted: dict[int, str] = field(default_factory=dict)
    gave_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self) -> float:
        return time.monotonic() - self.started

    def answer(self, what: str, status: int) -> None:
        with self.lock:
            self.answers.append((self.at(), what, status))


class Balancer:
    """Spreads requests over the web instances in turn; a request that fails is tried again on the next one."""

    def __init__(self, ports: list[int], observed: Observed, *, give_up_seconds: float = 90.0) -> None:
        self.ports = itertools.cycle(ports)
        self.lock = threading.Lock()
        self.observed = observed
        self.give_up_seconds = give_up_seconds

    def _next_port(self) -> int:
        with self.lock:
            return next(self.ports)

    def request(
        self, method: str, path: str, *, what: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse | None]:
        """(status, body, response) of the first answer below 500; status 0 when every try failed."""
        deadline = time.monotonic() + self.give_up_seconds
        while True:
            port = self._next_port()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status, data, response = -1, b"", None  # -1: no answer at all (refused, reset, timed out)
            finally:
                connection.close()
            self.observed.answer(what, status)
            if 0 < status < 500:
                return status, data, response
            if time.monotonic() > deadline:
                self.observed.gave_up.append(f"{method} {path}: last status {status}")
                return 0, data, response
            time.sleep(0.3)  # a client's back-off before trying again


def supplier_client(balancer: Balancer, work: queue.Queue[tuple[int, str]], pace: float, stop: threading.Event) -> None:
    """One supplier at a time: read the questionnaire, save an answer again, submit with the attestation."""
    observed = balancer.observed
    while not stop.is_set():
        try:
            uitvraag_id, token = work.get_nowait()
        except queue.Empty:
            return
        began = time.monotonic()
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        status, data, _ = balancer.request("GET", "/api/v1/uitvraag", what="read", headers=auth)
        if status == 200:
            answers = json.loads(data)["answers"]
            question, value = sorted(answers.items())[0]
            body = json.dumps({"answers": {question: value}}).encode()
            balancer.request("PATCH", "/api/v1/uitvraag/answers", what="save", headers=auth, body=body)
        attestation = {"name": "Sam Soak", "role": "CISO", "email": "sam@leverancier.soak", "truthful": True}
        body = json.dumps({"attestation": attestation}).encode()
        status, data, _ = balancer.request("POST", "/api/v1/uitvraag/submit", what="submit", headers=auth, body=body)
        if status == 201:
            digest = json.loads(data)["digest"]
        elif status == 409:  # accepted before, but the answer was lost on the way (a retried request)
            digest = (json.loads(data).get("receipt") or {}).get("digest", "")
        else:
            continue
        with observed.lock:
            observed.accepted[uitvraag_id] = digest
        stop.wait(max(0.0, pace - (time.monotonic() - began)))


def staff_client(balancer: Balancer, token: str, uitvraag_ids: list[int], stop: threading.Event) -> None:
    """A CISO signs in with a mailed link, then reads the overview and uitvraag pages until the load ends."""
    status, data, response = balancer.request("GET", f"/staff/signin/{token}", what="staff")
    found = re.search(rb'name="csrf_token" value="([^"]+)"', data)
    if status != 200 or found is None or response is None:
        balancer.observed.gave_up.append(f"staff sign-in page answered {status}")
        return
    cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
    form = f"csrf_token={found.group(1).decode()}".encode()
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, _, response = balancer.request("POST", f"/staff/signin/{token}", what="staff", headers=headers, body=form)
    if status != 302 or response is None:
        balancer.observed.gave_up.append(f"staff sign-in answered {status}")
        return
    headers = {"Cookie": (response.getheader("Set-Cookie") or "").split(";", 1)[0]}
    pages = itertools.cycle(["/staff/", *(f"/staff/uitvragen/{i}" for i in uitvraag_ids[:20])])
    while not stop.is_set():
        status, _, _ = balancer.request("GET", next(pages), what="staff", headers=headers)
        if status != 200:
            balancer.observed.gave_up.append(f"a staff page answered {status}")
        stop.wait(0.2)


# --- the processes ---------------------------------------------------------------------------------------------


class Processes:
    """The web instances and worker replicas; a supervisor thread starts a worker again when it exits."""

    def __init__(self, env: dict[str, str], folder: Path, web_ports: list[int]) -> None:
        self.env = env
        self.folder = folder
        self.web_ports = web_ports
        self.web: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes] | None] = [None, None]
        self.worker_logs: list[Path] = [folder / "worker-0-0.log", folder / "worker-1-0.log"]
        self.worker_starts = [0, 0]
        self.worker_exits: list[tuple[int, int | None]] = []  # (slot, exit code)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as handle:
            return subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start_web(self) -> None:
        for number, port in enumerate(self.web_ports):
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "bot:create_app()",
            ]
            self.web.append(self._spawn(command, self.folder / f"web-{number}.log"))

    def _start_worker(self, slot: int) -> None:
        self.worker_starts[slot] += 1
        log = self.folder / f"worker-{slot}-{self.worker_starts[slot]}.log"
        self.worker_logs[slot] = log
        self.workers[slot] = self._spawn([sys.executable, "-c", "from bot.cli import main; main()", "worker"], log)

    def start_workers(self) -> None:
        for slot in range(len(self.workers)):
            self._start_worker(slot)
        self.supervisor.start()

    def _supervise(self) -> None:
        while not self.stop.wait(0.5):
            with self.lock:
                for slot, process in enumerate(self.workers):
                    if process is not None and process.poll() is not None:
                        self.worker_exits.append((slot, process.returncode))
                        self._start_worker(slot)

    def leader(self) -> subprocess.Popen[bytes] | None:
        with self.lock:
            for slot, process in enumerate(self.workers):
                running = process is not None and process.poll() is None
                if running and "this worker is the leader" in self.worker_logs[slot].read_text(errors="replace"):
                    return process
        return None

    def web_restarts(self) -> int:
        """Web instances that exited (none may: they must recover on their own)."""
        return sum(1 for process in self.web if process.poll() is not None)

    def stop_all(self) -> None:
        self.stop.set()
        if self.supervisor.is_alive():
            self.supervisor.join(timeout=5)
        processes = [p for p in (*self.web, *self.workers) if p is not None]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"the soak timed out waiting for {what}")


def status_of(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return -1
    finally:
        connection.close()


# --- the world and the verdict ---------------------------------------------------------------------------------


def seed(database_url: str, folder: Path, count: int, *, staff: int) -> dict[str, Any]:
    """Uitvragen of the full BIO2 questionnaire with complete answers and evidence, and `staff` CISOs, each with a
    sign-in link."""
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from bench.form_load import prepare
    from bot.db import make_engine
    from bot.models import Organisation, Role, SignInToken, StaffUser
    from bot.tokens import new_token

    prepared = prepare(database_url, folder, count - 1)  # migrates; makes count uitvragen
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    tokens = []
    with Session(engine) as session:
        organisation = session.exec(select(Organisation).where(Organisation.slug == "bench")).one()
        for number in range(staff):
            email = f"ciso{number}@gemeente.soak"
            user = StaffUser(organisation_id=organisation.id, email=email, role=Role.CISO, created_at=now)
            session.add(user)
            session.flush()
            token, digest = new_token()
            expires = now + timedelta(hours=2)
            session.add(SignInToken(staff_user_id=user.id, token_hash=digest, created_at=now, expires_at=expires))
            tokens.append(token)
        session.commit()
    engine.dispose()
    return {"work": list(zip(prepared["ids"], prepared["tokens"], strict=True)), "staff_tokens": tokens}


@dataclass
class Verdict:
    lines: list[str]
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def judge(
    database_url: str,
    observed: Observed,
    received: Counter[str],
    *,
    database_window: tuple[float, float],
    processes: Processes,
    faults: list[str],
) -> Verdict:
    import sqlalchemy as sa

    from bot.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT uitvraag_id, digest FROM submission ORDER BY id")).all()
        outbox = connection.execute(
            sa.text("SELECT message_id, status, kind, uitvraag_id FROM outboxmessage ORDER BY id")
        ).all()
        leaders = connection.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        ).scalar_one()
    engine.dispose()

    failures: list[str] = []
    per_uitvraag = Counter(uitvraag_id for uitvraag_id, _ in stored)
    digests = {uitvraag_id: digest for uitvraag_id, digest in stored}
    lost_submissions = sorted(u for u, d in observed.accepted.items() if digests.get(u) != d)
    duplicated_submissions = sum(n - 1 for n in per_uitvraag.values() if n > 1)
    unconfirmed = sorted(set(per_uitvraag) - set(observed.accepted))  # stored, but the client never learned it

    queued = Counter(row.message_id for row in outbox)
    not_sent = [row for row in outbox if row.status != "sent"]
    lost_mails = sorted(set(queued) - set(received))
    foreign = sorted(set(received) - set(queued))
    resent = sum(n - 1 for n in received.values() if n > 1)
    receipts = Counter(row.uitvraag_id for row in outbox if row.kind == "receipt")
    duplicated_mails = sum(n - 1 for n in queued.values() if n > 1) + sum(n - 1 for n in receipts.values() if n > 1)

    down_from, down_until = database_window
    errors = [(at, what, status) for at, what, status in observed.answers if status >= 500 or status < 0]
    outside = [(at, what, status) for at, what, status in errors if not down_from <= at <= down_until]
    refused = [item for item in errors if item[2] < 0]
    ready = [status_of(port, "/readyz") for port in processes.web_ports]

    lines = [
        *faults,
        f"SOAK submissions: {len(observed.accepted)} accepted, {len(stored)} stored, lost {len(lost_submissions)}, "
        f"duplicated {duplicated_submissions}, stored but never confirmed to the client {len(unconfirmed)}",
        f"SOAK mails: {len(queued)} queued, {len(set(queued) & set(received))} delivered (distinct Message-IDs), "
        f"lost {len(lost_mails)}, duplicated {duplicated_mails}, not sent {len(not_sent)}, unknown {len(foreign)}; "
        f"copies re-sent under the same Message-ID {resent} (a sender stopped between the server's OK and its mark)",
        f"SOAK 5xx: {len(outside)} outside the database restart, {len(errors) - len(outside)} during it "
        f"({down_from:.1f}-{down_until:.1f} s); of all, {len(refused)} without any answer; "
        f"{len(observed.answers)} requests in all",
        f"SOAK web: {len(processes.web)} instances, {processes.web_restarts()} restarted, /readyz now {ready}; "
        f"workers: {len(processes.worker_exits)} exits seen and restarted {processes.worker_exits}, "
        f"{leaders} leader lock(s) held",
    ]
    if lost_submissions:
        failures.append(f"accepted submissions not stored as accepted: uitvragen {lost_submissions}")
    if duplicated_submissions:
        failures.append(f"{duplicated_submissions} submission(s) stored twice")
    if len(observed.accepted) + len(observed.gave_up) == 0:
        failures.append("no submission was accepted at all")
    if lost_mails or not_sent:
        failures.append(f"{len(lost_mails)} queued mail(s) never delivered, {len(not_sent)} not marked sent")
    if duplicated_mails or foreign:
        failures.append(f"{duplicated_mails} mail(s) queued twice, {len(foreign)} unknown mail(s) delivered")
    if outside:
        failures.append(f"5xx or no answer outside the database restart: {outside[:10]}")
    if observed.gave_up:
        failures.append(f"clients gave up: {observed.gave_up[:10]}")
    if processes.web_restarts() or any(status != 200 for status in ready):
        failures.append(f"web instances did not recover on their own: /readyz {ready}")
    if leaders != 1:
        failures.append(f"{leaders} workers hold the leader lock at the end (expected 1)")
    lines.append(f"SOAK: {'passed' if not failures else 'FAILED: ' + '; '.join(failures)}")
    return Verdict(lines, failures)


# --- the run ---------------------------------------------------------------------------------------------------


def run(plan: Plan, *, print_: Callable[[str], None] = print) -> Verdict:
    import sqlalchemy as sa
    from aiosmtpd.controller import Controller

    from tests.support.private_pg import PrivateCluster
    from tests.support.smtp import free_port

    folder = Path(tempfile.mkdtemp(prefix="bot-soak-"))
    cluster = PrivateCluster().init()
    received: Counter[str] = Counter()
    received_lock = threading.Lock()
    message_id = re.compile(rb"^Message-ID: *(\S+)", re.MULTILINE | re.IGNORECASE)

    class Recorder:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
            found = message_id.search(envelope.content)
            with received_lock:
                received[found.group(1).decode() if found else ""] += 1
            return "250 OK"

    smtp_port = free_port()
    smtp = Controller(Recorder(), hostname="127.0.0.1", port=smtp_port)
    processes: Processes | None = None
    try:
        cluster.start()
        database_url = sa.make_url(cluster.url).set(database="soak").render_as_string(hide_password=False)
        _create_database(cluster.url, "soak")
        print_(f"soak: PostgreSQL on port {cluster.port}; seeding {plan.uitvragen} uitvragen ...")
        world = seed(database_url, folder, plan.uitvragen, staff=plan.staff)
        smtp.start()
        web_ports = [free_port() for _ in range(3)]
        env = dict(
            os.environ,
            BOT_ENV="production",
            BOT_DOTENV=str(folder / "no.env"),
            BOT_INSTANCE_PATH=str(folder / "instance"),
            DATABASE_URL=database_url,
            SECRET_KEY=SECRET,
            BASE_URL="https://uitvraag.soak",
            MAIL_URL=f"smtp://127.0.0.1:{smtp_port}?starttls=never&timeout=10",
            MAIL_FROM="BIO uitvraag <uitvraag@gemeente.soak>",
            UPLOAD_DIR=str(folder / "uploads"),
            WORKER_TICK_SECONDS="1",
            WORKER_LEADER_RETRY_SECONDS="1",
            MAIL_RETRY_FIRST_SECONDS="1",
            MAIL_RETRY_MAX_SECONDS="5",
            PYTHONPATH=str(ROOT),
        )
        processes = Processes(env, folder, web_ports)
        processes.start_web()
        processes.start_workers()
        for port in web_ports:
            wait_until(lambda port=port: status_of(port, "/readyz") == 200, timeout=60, what=f"web on {port}")
        wait_until(processes.leader, timeout=60, what="a leader worker")

        observed = Observed()
        balancer = Balancer(web_ports, observed)
        work: queue.Queue[tuple[int, str]] = queue.Queue()
        for item in world["work"]:
            work.put(item)
        stop = threading.Event()
        pace = plan.load_seconds * plan.suppliers / plan.uitvragen
        threads = [
            threading.Thread(target=supplier_client, args=(balancer, work, pace, stop)) for _ in range(plan.suppliers)
        ]
        ids = [uitvraag_id for uitvraag_id, _ in world["work"]]
        threads += [
            threading.Thread(target=staff_client, args=(balancer, token, ids, stop)) for token in world["staff_tokens"]
        ]
        print_(
            f"soak: load on ports {web_ports}; faults at {plan.kill_leader_at:g}/{plan.database_down_at:g}/"
            f"{plan.smtp_refuses_at:g} s"
        )
        for thread in threads:
            thread.start()

        faults: list[str] = []
        _wait_until_second(observed, plan.kill_leader_at)
        leader = processes.leader()
        if leader is None:
            raise RuntimeError("no leader worker to kill")
        os.kill(leader.pid, signal.SIGKILL)
        faults.append(f"SOAK fault: leader worker (pid {leader.pid}) killed with SIGKILL at {observed.at():.1f} s")

        _wait_until_second(observed, plan.database_down_at)
        down_from = observed.at()
        cluster.stop("fast")
        time.sleep(plan.database_down_seconds)  # the outage itself, not a wait for something to happen
        cluster.start()
        down_until = observed.at() + 2.0  # a request that began before the start may still end in the error
        faults.append(f"SOAK fault: PostgreSQL stopped at {down_from:.1f} s, accepting again at {down_until - 2:.1f} s")

        _wait_until_second(observed, plan.smtp_refuses_at)
        refused_from = observed.at()
        smtp.stop()
        time.sleep(plan.smtp_refuses_seconds)  # the outage itself
        smtp = Controller(Recorder(), hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        faults.append(f"SOAK fault: SMTP server refused connections from {refused_from:.1f} s to {observed.at():.1f} s")

        for thread in threads[: plan.suppliers]:
            thread.join(timeout=plan.load_seconds + 300)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        print_(f"soak: load done at {observed.at():.1f} s; waiting for the outbox to drain ...")
        _wait_for_drain(database_url, received, received_lock, timeout=plan.drain_seconds)
        with received_lock:
            snapshot = Counter(received)
        return judge(
            database_url,
            observed,
            snapshot,
            database_window=(down_from, down_until),
            processes=processes,
            faults=faults,
        )
    finally:
        if processes is not None:
            processes.stop_all()
        with contextlib.suppress(Exception):  # already stopped when the run broke off during the SMTP outage
            smtp.stop()
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(server_url: str, name: str) -> None:
    from bot.db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def _wait_until_second(observed: Observed, second: float) -> None:
    time.sleep(max(0.0, second - observed.at()))  # the fault timeline, not a wait for a condition


def _wait_for_drain(database_url: str, received: Counter[str], lock: threading.Lock, *, timeout: float) -> None:
    """Until no mail is pending and the SMTP server has seen every queued Message-ID (or `timeout`)."""
    import sqlalchemy as sa

    from bot.db import make_engine

    engine = make_engine(database_url)

    def drained() -> bool:
        with engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT message_id, status FROM outboxmessage ORDER BY id")).all()
        with lock:
            seen = set(received)
        return all(row.status != "pending" for row in ids) and {row.message_id for row in ids} <= seen

    try:
        wait_until(drained, timeout=timeout, what="the outbox to drain")
    except RuntimeError:
        pass  # the verdict names what is still missing
    finally:
        engine.dispose()
