"""Benchmark: the supplier's form under concurrent load, against the same server rendering the same page bare.

    .venv/bin/python -m bench.form_load [--seconds 6] [--concurrency 8] [--submissions 300] [--postgres URL]

One gunicorn server (2 gthread workers x 4 threads, as in production) on 127.0.0.1 serves the real app on a fresh
database holding the full BIO2 questionnaire (`bio2-leverancier`). Measured in the same run, against that server:
- baseline: `/bench/baseline` renders the very same section page from an uitvraag loaded once at start-up, so it
  does no database and no token work per request;
- form: GET of the largest section of the full form, as a supplier with an opened link (session check against
  the token, answers and evidence read from the database, progress, conditions);
- submission: POST of a complete submission through the API (token look-up, completeness, digest, judging,
  findings, audit and receipt mail in one transaction), each request a different uitvraag.
Baseline and form alternate in three rounds; submissions come from 16 concurrent clients. Prints requests/s and p99
latency of each, with the ratio to the baseline. Goals: the form reaches at least 0.75 of the baseline's throughput
(`BENCH form_load`); on PostgreSQL, submissions have a p99 under 100 ms (`BENCH api_submit_postgres`). With
`--postgres` the form line is `BENCH form_load_postgres`. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._databases import create_postgres_database, drop_postgres_database, label, quiet_logging

GOAL = 0.75
SUBMIT_GOAL_P99_MS = 100.0  # on PostgreSQL, with SUBMIT_CLIENTS concurrent clients
SUBMIT_CLIENTS = 16
ROUNDS = 3
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


# --- inside the server: the real app plus the baseline route -------------------------------------------------


def bench_app() -> Any:
    """The real app, plus `/bench/baseline`: the same section page, rendered from state loaded once."""
    from flask import Blueprint, g
    from sqlmodel import Session

    from bot import create_app
    from bot.supplier import views
    from bot.supplier.state import load_state

    quiet_logging()
    app = create_app()
    uitvraag_id = int(os.environ["BENCH_UITVRAAG_ID"])
    section_id = os.environ["BENCH_SECTION"]
    with app.app_context(), Session(app.extensions["engine"], expire_on_commit=False) as session:
        cached = load_state(session, uitvraag_id=uitvraag_id)
    section = cached.section(section_id)

    bench = Blueprint("bench", __name__)
    bench.context_processor(views._template_helpers)  # the supplier pages' template helpers, as on /q/...

    @bench.get("/bench/baseline")
    def baseline() -> Any:
        g.state = cached
        g.lang = "nl"
        return views._page("supplier/section.html", section=section, errors=[], raw={})

    app.register_blueprint(bench)
    return app


# --- the set-up: a fresh database with uitvragen of the full questionnaire ------------------------------------


def prepare(database_url: str, folder: Path, count: int) -> dict[str, Any]:
    """Migrate, then create `count` + 1 uitvragen with complete answers and evidence; return tokens and ids."""
    from datetime import date

    from sqlmodel import Session

    from bot import migrate
    from bot.access import issue_token
    from bot.db import make_engine
    from bot.evidence import store_upload
    from bot.models import Answer, Contract, Organisation, ReviewCycle, Supplier, Uitvraag, UitvraagContract
    from bot.questionnaires.examples import best_answers
    from bot.questionnaires.loader import get_questionnaire
    from bot.questionnaires.snapshots import ensure_snapshot
    from bot.supplier.state import contract_facts
    from bot.timeutil import utcnow

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    now = utcnow()
    questionnaire = get_questionnaire("bio2-leverancier")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    tokens: list[str] = []
    ids: list[int] = []
    with Session(engine, expire_on_commit=False) as session:
        organisation = Organisation(slug="bench", name="Gemeente Bench", created_at=now)
        supplier = Supplier(kvk="99999999", name="Bench Leverancier BV", created_at=now, updated_at=now)
        cycle = ReviewCycle(name="2026-Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), created_at=now)
        session.add_all([organisation, supplier, cycle])
        session.flush()
        snapshot = ensure_snapshot(session, questionnaire=questionnaire, now=now)
        for index in range(count + 1):
            contract = Contract(
                organisation_id=organisation.id,
                supplier_id=supplier.id,
                reference=f"B-{index:05d}",
                name="Zaaksysteem",
                supplier_email="security@bench.test",
                owner_name="Olga Eigenaar",
                owner_email="olga@bench.test",
                risk_tier="high",
                personal_data=True,
                cloud_hosted=True,
                start_date=date(2025, 1, 1),
                created_at=now,
                updated_at=now,
            )
            session.add(contract)
            session.flush()
            uitvraag = Uitvraag(
                organisation_id=organisation.id,
                supplier_id=supplier.id,
                cycle_id=cycle.id,
                questionnaire_id=questionnaire.id,
                snapshot_id=snapshot.id,
                follow_up_number=index,
                recipient_email="security@bench.test",
                deadline=now + timedelta(days=30),
                created_at=now,
            )
            session.add(uitvraag)
            session.flush()
            session.add(
                UitvraagContract(
                    uitvraag_id=uitvraag.id,
                    contract_id=contract.id,
                    questionnaire_id=questionnaire.id,
                    cycle_id=cycle.id,
                    follow_up_number=index,
                )
            )
            answers, evidence = best_answers(questionnaire, now.date(), contract_facts([contract]))
            for question_id, value in answers.items():
                session.add(Answer(uitvraag_id=uitvraag.id, question_id=question_id, value=value, updated_at=now))
            for question_id, documents in evidence.items():
                for document in documents:
                    row = store_upload(
                        session,
                        uitvraag_id=uitvraag.id,
                        question_id=question_id,
                        stream=__import__("io").BytesIO(pdf),
                        filename=document.name,
                        expires_on=document.expires_on,
                        upload_dir=folder / "uploads",
                        max_bytes=1024 * 1024,
                        now=now,
                    )
                    session.add(row)
            tokens.append(issue_token(session, uitvraag=uitvraag, now=now, grace_days=14))
            ids.append(uitvraag.id)
        session.commit()
    engine.dispose()
    largest = max(questionnaire.sections, key=lambda s: len(s.questions))
    return {"tokens": tokens, "ids": ids, "section": largest.id, "questions": len(largest.questions)}


# --- the load generator ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the benchmark server did not start")


def load(
    port: int, requests: list[tuple[str, str, dict[str, str], bytes | None]], *, seconds: float, concurrency: int
) -> dict[str, Any]:
    """Send `requests` (cycled, or each once if `seconds` is 0) from `concurrency` threads with keep-alive."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    next_index = [0]
    once = seconds == 0
    stop_at = time.monotonic() + (seconds or 600)

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if once and index >= len(requests):
                break
            method, path, headers, body = requests[index % len(requests)]
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return summary(latencies, elapsed, errors[0])


def summary(latencies: list[float], elapsed: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    return {
        "count": len(ordered),
        "rps": len(ordered) / elapsed,
        "p99_ms": p99 * 1000,
        "errors": errors,
        "elapsed": elapsed,
        "latencies": ordered,
    }


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several rounds: all requests over all the rounds' time."""
    latencies = [value for result in results for value in result["latencies"]]
    return summary(latencies, sum(r["elapsed"] for r in results), sum(r["errors"] for r in results))


def session_cookie(port: int, token: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/q/{token}")
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie") or ""
    connection.close()
    if response.status != 303 or not cookie:
        raise RuntimeError(f"opening the link gave {response.status}")
    return cookie.split(";", 1)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per page, split over 3 alternating rounds")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="a PostgreSQL server URL (user with CREATEDB); a fresh database is created on it and dropped after. "
        "Default: a fresh SQLite file",
    )
    args = parser.parse_args(argv)
    quiet_logging()

    folder = Path(tempfile.mkdtemp(prefix="bench-form-load-"))
    database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    if args.postgres:
        database_url = create_postgres_database(args.postgres)
    print(f"preparing {args.submissions + 1} uitvragen of the full questionnaire ...", flush=True)
    prepared = prepare(database_url, folder, args.submissions)
    port = free_port()
    env = dict(
        os.environ,
        BOT_ENV="development",
        BOT_DOTENV=str(folder / "no.env"),
        BOT_INSTANCE_PATH=str(folder / "instance"),
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_URL=f"file://{folder / 'mail'}",
        UPLOAD_DIR=str(folder / "uploads"),
        BENCH_UITVRAAG_ID=str(prepared["ids"][0]),
        BENCH_SECTION=prepared["section"],
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.form_load:bench_app()",
        ],
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(port)
        cookie = session_cookie(port, prepared["tokens"][0])
        form_path = f"/q/uitvraag/{prepared['ids'][0]}/s/{prepared['section']}"
        headers = {"Cookie": cookie}
        baseline_req = [("GET", "/bench/baseline", headers, None)]
        form_req = [("GET", form_path, headers, None)]
        attestation = {"name": "Bench", "role": "CISO", "email": "bench@leverancier.test", "truthful": True}
        body = json.dumps({"attestation": attestation}).encode()
        submit_req = [
            (
                "POST",
                "/api/v1/uitvraag/submit",
                {"Authorization": f"Bearer {t}", "Content-Type": "application/json"},
                body,
            )
            for t in prepared["tokens"][1:]
        ]
        warm = dict(seconds=1.0, concurrency=args.concurrency)
        load(port, baseline_req, **warm)
        load(port, form_req, **warm)
        # Alternate baseline and form in rounds, so that load from elsewhere on the machine hits both alike.
        rounds = [
            (
                load(port, baseline_req, seconds=args.seconds / ROUNDS, concurrency=args.concurrency),
                load(port, form_req, seconds=args.seconds / ROUNDS, concurrency=args.concurrency),
            )
            for _ in range(ROUNDS)
        ]
        baseline = combine([b for b, _ in rounds])
        form = combine([f for _, f in rounds])
        submit = load(port, submit_req, seconds=0, concurrency=SUBMIT_CLIENTS)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        if args.postgres:
            drop_postgres_database(database_url)

    print(
        f"server: gunicorn 2 workers x 4 threads on 127.0.0.1; {args.concurrency} concurrent clients; "
        f"section '{prepared['section']}' ({prepared['questions']} questions); {database_url.split(':', 1)[0]}"
    )
    for name, result in (("baseline (no db/token)", baseline), ("form GET", form), ("submission POST", submit)):
        ratio = result["rps"] / baseline["rps"]
        print(
            f"{name:24} {result['rps']:8.1f} req/s  p99 {result['p99_ms']:7.1f} ms  "
            f"n={int(result['count'])} errors={int(result['errors'])}  ratio {ratio:.2f}"
        )
    ratio = form["rps"] / baseline["rps"]
    verdict = "met" if ratio >= GOAL and not form["errors"] else "missed"
    if args.postgres:
        fast = submit["p99_ms"] < SUBMIT_GOAL_P99_MS and not submit["errors"]
        print(
            f"BENCH api_submit_postgres: p99 {submit['p99_ms']:.0f} ms at {submit['rps']:.1f} req/s, "
            f"{SUBMIT_CLIENTS} clients (goal p99 < {SUBMIT_GOAL_P99_MS:g} ms) {'met' if fast else 'missed'}"
        )
    print(f"BENCH form_load{label(args.postgres)}: {ratio:.2f} of baseline throughput (goal >= {GOAL}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
