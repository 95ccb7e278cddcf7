"""Benchmark: does the sign-in page take longer for an address with a staff account than for one without (F5)?

    .venv/bin/python -m bench.signin_timing [--requests 400] [--postgres URL]

The assessment measured 12-18 ms for known and 8-12 ms for unknown addresses, without overlap: the page looked the
address up and queued the mails in the request. Now the page only queues a request; the worker does the rest.
This posts the sign-in form through the app (Flask's test client, no network) for a known and an unknown address
in turn, each request from a client address of its own (so the rate limits never interfere), and compares the
two time distributions: the medians, the 10th and 90th percentiles, and how often the known address's request is
the slower of a pair (one known, one unknown). Goal: 50% +- 10%, i.e. the timing says next to nothing.
Ends with `BENCH signin_timing: ...` (or `..._postgres`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench._databases import bench_config, label, postgres_database, quiet_logging

GOAL_DISTANCE = 0.1
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per kind of address")
    parser.add_argument("--postgres", metavar="URL", default=None, help="a PostgreSQL server URL (user with CREATEDB)")
    args = parser.parse_args(argv)
    quiet_logging()

    from sqlmodel import Session

    from bot import create_app, migrate
    from bot.models import Organisation
    from bot.staff.users import create_staff_user

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-signin-")))
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        if args.postgres:
            url = stack.enter_context(postgres_database(args.postgres, "_signin"))
        migrate.upgrade(url)
        config = bench_config(folder)
        config.update(DATABASE_URL=url, SECRET_KEY=SECRET, BOT_ENV="test", TESTING=True, WTF_CSRF_ENABLED=False)
        app = create_app(config)
        now = datetime.now(UTC)
        with Session(app.extensions["engine"]) as session:
            organisation = Organisation(name="Gemeente Bench", slug="bench", created_at=now)
            session.add(organisation)
            session.flush()
            known = []
            for n in range(args.requests):  # each known address asked for about once: no per-address limit
                user = create_staff_user(
                    session,
                    organisation_id=organisation.id,  # type: ignore[arg-type]
                    email=f"medewerker{n}@bench.nl",
                    role="ciso",
                    now=now,
                )
                known.append(user.email)
            session.commit()
        client = app.test_client()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(args.requests * 2 + 20):
            kind = "known" if n % 2 == 0 else "unknown"
            email = known[n % len(known)] if kind == "known" else f"niemand{n}@bench.nl"
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            started = time.perf_counter()
            response = client.post("/staff/signin", data={"email": email}, environ_base={"REMOTE_ADDR": address})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            if n >= 20:  # the first requests warm up caches and the connection pool
                times[kind].append(elapsed)
        app.extensions["engine"].dispose()

    known_ms, unknown_ms = times["known"], times["unknown"]
    for kind, values in times.items():
        print(
            f"{kind:8} n={len(values)} median {statistics.median(values):.2f} ms, "
            f"p10 {percentile(values, 0.1):.2f} ms, p90 {percentile(values, 0.9):.2f} ms"
        )
    difference = statistics.median(known_ms) - statistics.median(unknown_ms)
    # How often a known address's request is the slower of a (known, unknown) pair: 0.5 when timing tells nothing.
    slower = sum(k > u for k in known_ms for u in unknown_ms) / (len(known_ms) * len(unknown_ms))
    ok = abs(slower - 0.5) <= GOAL_DISTANCE
    print(
        f"BENCH signin_timing{label(args.postgres)}: median known {statistics.median(known_ms):.2f} ms, "
        f"unknown {statistics.median(unknown_ms):.2f} ms, difference {difference:+.2f} ms; a known request is the "
        f"slower one in {slower:.0%} of pairs (goal 50% +- {GOAL_DISTANCE:.0%}: {'met' if ok else 'missed'})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
