"""Benchmark: what shared declarations save a sector instance, and what they cost the planner.

    .venv/bin/python -m bench.shared_answers [--contracts 100000] [--organisations 342] [--suppliers 5000]
                                             [--postgres URL]

One register as a shared instance of the whole sector would hold it: 342 municipalities, 5,000 suppliers and
100,000 contracts, of which the 50 largest suppliers hold 60%. Each large supplier offers three services; a
municipality buys one of them (one in five buys a second one from the same supplier, and is then asked on its own,
as an uitvraag for two services is not shared). Small suppliers offer one service.

The same register is planned twice, each in its own process on its own copy: once as registers without services
are planned (no contract names a service, so nothing is shared: today's behaviour), once with the services. Both
count the invitations queued (the questionnaires a supplier is asked to fill in this cycle) and time the planning.
Headline: questionnaires answered per cycle with sharing, as a fraction of without (goal at most 0.5); and planning
with sharing against planning without, on the same register (goal at most 1.5x). Ends with
`BENCH shared_answers: ...` (or `..._postgres` with `--postgres`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench._databases import Raw, bench_config, label, peak_mb, postgres_database, quiet_logging
from bench.plan_cycle import PLAN_AT

GOAL_ANSWERED = 0.5
GOAL_PLAN = 1.5
LARGE = 50
LARGE_SHARE = 0.6


def build_register(url: str, *, contracts: int, organisations: int, suppliers: int) -> None:
    from bot import migrate

    migrate.upgrade(url)
    con = Raw(url)
    now = con.ts(datetime(2026, 1, 1, tzinfo=UTC))
    con.begin()
    con.executemany(
        "INSERT INTO organisation (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
        [(n + 1, f"gemeente-{n}", f"Gemeente {n}", now) for n in range(organisations)],
    )
    con.executemany(
        "INSERT INTO supplier (id, kvk, name, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(n + 1, f"{60000000 + n}", f"Leverancier {n} B.V.", "nl", now, now) for n in range(suppliers)],
    )
    services = []  # (id, supplier id, name)
    for supplier in range(suppliers):
        for kind in range(3 if supplier < LARGE else 1):
            services.append((len(services) + 1, supplier + 1, f"Dienst {kind} van leverancier {supplier}"))
    con.executemany("INSERT INTO service (id, supplier_id, name, created_at) VALUES (?, ?, ?, ?)",
                    [(*s, now) for s in services])  # fmt: skip
    first_service = {}
    for service_id, supplier_id, _name in services:
        first_service.setdefault(supplier_id, service_id)
    large_contracts = int(contracts * LARGE_SHARE)
    rows = []
    for n in range(contracts):
        org = n % organisations
        if n < large_contracts:
            supplier = (n // organisations) % LARGE
            kind = (org * 7 + supplier) % 3
            if (n // (organisations * LARGE)) % 4 == 1 and org % 5 == 0:
                kind = (kind + 1) % 3  # this municipality buys a second service of this supplier
            tier = ("high", "medium", "low")[kind]
        else:
            supplier = LARGE + (n * 7919) % (suppliers - LARGE)
            kind = 0
            tier = ("high", "medium", "low")[n % 3]
        service_id = first_service[supplier + 1] + kind
        rows.append(
            (org + 1, supplier + 1, service_id, f"C-{n:06d}", f"Contract {n}", f"security@leverancier-{supplier}.nl",
             f"Eigenaar {n % 13}", f"eigenaar-{n % 13}@gemeente-{org}.nl", tier, n % 4 == 0, False,
             date(2025, 1, 1), None, True, now, now)
        )  # fmt: skip
    con.executemany(
        "INSERT INTO contract (organisation_id, supplier_id, service_id, reference, name, supplier_email, "
        "owner_name, owner_email, risk_tier, personal_data, cloud_hosted, start_date, end_date, active, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if con.postgres:
        for table in ("organisation", "supplier", "service"):
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    con.commit()
    con.close()


def forget_services(url: str) -> None:
    """The register as it is without a service column: no contract names a service, so nothing is shared."""
    con = Raw(url)
    con.begin()
    con.execute("UPDATE contract SET service_id = NULL")
    con.commit()
    con.close()


def child_plan(url: str, folder: Path) -> dict[str, Any]:
    from sqlmodel import Session

    from bot.cycles.planner import plan_cycles
    from bot.db import make_engine

    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        report = plan_cycles(session=session, config=bench_config(folder), now=PLAN_AT)
    seconds = time.perf_counter() - started
    con = Raw(url)
    invitations = con.execute("SELECT count(*) FROM outboxmessage WHERE kind = 'invitation'").fetchone()[0]
    declarations = con.execute("SELECT count(*) FROM declaration").fetchone()[0]
    con.close()
    return {"seconds": seconds, "peak_mb": peak_mb(), "uitvragen": report.uitvragen_created,
            "invitations": invitations, "declarations": declarations}  # fmt: skip


def _child(url: str, folder: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.shared_answers", "--child", url, str(folder)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=342)
    parser.add_argument("--suppliers", type=int, default=5_000)
    parser.add_argument("--postgres", metavar="URL", default=None, help="a PostgreSQL server URL (CREATEDB)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quiet_logging()
    if args.child:
        print(json.dumps(child_plan(args.child[0], Path(args.child[1]))))
        return 0
    if args.suppliers <= LARGE:
        parser.error(f"--suppliers must be more than the {LARGE} large ones")

    with tempfile.TemporaryDirectory(prefix="bench-shared-") as tmp, ExitStack() as databases:
        folder = Path(tmp)
        print(
            f"register: {args.contracts:,} contracts, {args.organisations} organisations, {args.suppliers:,} "
            f"suppliers ({LARGE} of them holding {LARGE_SHARE:.0%} of the contracts), on "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}",
            flush=True,
        )
        counts = dict(contracts=args.contracts, organisations=args.organisations, suppliers=args.suppliers)
        if args.postgres:
            register = databases.enter_context(postgres_database(args.postgres, "register"))
            build_register(register, **counts)
            urls = {
                name: databases.enter_context(postgres_database(args.postgres, name, template=register))
                for name in ("alone", "shared")
            }
        else:
            register_file = folder / "register.sqlite3"
            build_register(f"sqlite:///{register_file}", **counts)
            urls = {}
            for name in ("alone", "shared"):
                (folder / name).mkdir()
                shutil.copyfile(register_file, folder / name / "db.sqlite3")
                urls[name] = f"sqlite:///{folder / name / 'db.sqlite3'}"
        forget_services(urls["alone"])
        alone = _child(urls["alone"], folder)
        shared = _child(urls["shared"], folder)

    answered = shared["invitations"] / alone["invitations"]
    plan_ratio = shared["seconds"] / alone["seconds"]
    print(f"without sharing: {alone['invitations']:,} questionnaires to answer ({alone['uitvragen']:,} uitvragen), "
          f"planned in {alone['seconds']:.1f} s, peak {alone['peak_mb']:.0f} MB")  # fmt: skip
    print(f"with sharing:    {shared['invitations']:,} questionnaires to answer ({shared['uitvragen']:,} uitvragen, "
          f"{shared['declarations']:,} shared declarations), planned in {shared['seconds']:.1f} s, "
          f"peak {shared['peak_mb']:.0f} MB")  # fmt: skip
    print(f"questionnaires answered: {answered:.2f} of without sharing; planning: {plan_ratio:.2f}x")
    met = answered <= GOAL_ANSWERED and plan_ratio <= GOAL_PLAN
    print(
        f"BENCH shared_answers{label(args.postgres)}: {answered:.2f} of the questionnaires, planning {plan_ratio:.2f}x "
        f"(goal <= {GOAL_ANSWERED:g} and <= {GOAL_PLAN:g}x) {'met' if met else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
