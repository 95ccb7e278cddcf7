"""Benchmark: plan one cycle for 100,000 contracts over 342 organisations, and sweep it.

    .venv/bin/python -m bench.plan_cycle [--contracts 100000] [--organisations 342] [--suppliers 5000] [--postgres URL]

On a fresh SQLite file, or with `--postgres URL` on fresh databases on that PostgreSQL server (then the BENCH
lines are named `..._postgres`).

Both contestants start from a copy of the same register and write the same rows: for every uitvraag its row, its
contracts, a fresh link token (256 random bits, stored as SHA-256), its invitation mail in the outbox and an
audit row. The baseline is the raw driver (`sqlite3`, or psycopg for PostgreSQL) with `executemany`, the mail
bodies built with str.format, one transaction per 500 uitvragen, and nothing else: no ORM, no templates, no checks.
Ours is `plan_cycles` as the worker runs it. Each runs in its own process, which reports its time and its peak
memory (RSS).

The sweep is timed on the planned database at the moment every open uitvraag is due its 14-day reminder: a
fresh link, a rendered reminder and an LadderStep row each; and at a moment when nothing is due.
Goals: planning at most 2x the baseline with peak memory under 200 MB; the full sweep no slower than planning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
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

PLAN_AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
REMIND_AT = datetime(2026, 10, 17, 9, 0, tzinfo=UTC)  # 14 days before the deadline of 31 October
IDLE_AT = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
GOAL_RATIO = 2.0
GOAL_MB = 200.0
BATCH = 500


# --- the register ----------------------------------------------------------------------------------------------


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
        [(n + 1, f"{60000000 + n}", f"Leverancier {n} B.V.", "en" if n % 7 == 0 else "nl", now, now)
         for n in range(suppliers)],
    )  # fmt: skip
    con.executemany(
        "INSERT INTO staffuser (organisation_id, email, name, role, language, active, created_at) "
        "VALUES (?, ?, ?, 'ciso', 'nl', ?, ?)",
        [(n + 1, f"ciso@gemeente-{n}.nl", "CISO", True, now) for n in range(organisations)],
    )
    rows = []
    for n in range(contracts):
        org = n % organisations
        supplier = (n * 7919) % suppliers  # spread: a supplier serves many organisations
        rows.append(
            (org + 1, supplier + 1, f"C-{n:06d}", f"Dienst {n}", f"security@leverancier-{supplier}.nl",
             f"Eigenaar {n % 13}", f"eigenaar-{n % 13}@gemeente-{org}.nl", ("high", "medium", "low")[n % 3],
             n % 4 == 0, True, date(2025, 1, 1), None, True, now, now)
        )  # fmt: skip
    con.executemany(
        "INSERT INTO contract (organisation_id, supplier_id, reference, name, supplier_email, owner_name, "
        "owner_email, risk_tier, personal_data, cloud_hosted, start_date, end_date, active, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if con.postgres:  # the ids above were given, so move the sequences past them
        for table in ("organisation", "supplier"):
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    con.commit()
    con.close()


# --- the contestants, each in its own process -------------------------------------------------------------------


def child_plan(url: str, folder: Path) -> dict[str, Any]:
    from sqlmodel import Session

    from bot.cycles.planner import plan_cycles
    from bot.db import make_engine

    engine = make_engine(url)
    config = bench_config(folder)
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        report = plan_cycles(session=session, config=config, now=PLAN_AT)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_mb(), "uitvragen": report.uitvragen_created,
            "contracts": report.contracts_invited, "mails": report.mails_queued}  # fmt: skip


def child_sweep(url: str, folder: Path, at: str) -> dict[str, Any]:
    from sqlmodel import Session

    from bot.cycles.sweep import sweep
    from bot.db import make_engine

    engine = make_engine(url)
    config = bench_config(folder)
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        report = sweep(session=session, config=config, now=datetime.fromisoformat(at))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_mb(), "reminders": report.reminders}


INVITATION_TEXT = (
    "Beste {supplier},\n\n{organisation} vraagt u de {title} in te vullen voor de ronde {cycle}. Met uw antwoorden "
    "laten wij zien dat onze leveranciers voldoen aan de BIO2.\n\nDe vragenlijst gaat over:\n{contracts}\n\n"
    "Vul de vragenlijst uiterlijk {deadline} in via deze persoonlijke link:\n{link}\n\nVragen? Neem contact op met "
    "{owner} ({owner_email}).\n\nMet vriendelijke groet,\n{organisation}\n"
)
INVITATION_HTML = "<html><body><p>Beste {supplier},</p><p>{organisation}: {title}, {cycle}.</p><ul>{contracts}</ul>" + (
    '<p>Uiterlijk {deadline}: <a href="{link}">Vragenlijst invullen</a></p><p>{owner} ({owner_email})</p></body></html>'
)


def child_baseline(url: str, folder: Path) -> dict[str, Any]:
    """The same rows with the raw driver: group, generate and hash tokens, format mails, executemany per table."""
    from bot.questionnaires.loader import get_questionnaire
    from bot.questionnaires.selection import questionnaires_for

    started = time.perf_counter()
    con = Raw(url)
    now = con.ts(PLAN_AT)
    deadline = con.ts(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    expires = con.ts(datetime(2026, 11, 14, 23, 59, 59, tzinfo=UTC))
    con.begin()
    cycle_id = con.execute(
        "INSERT INTO reviewcycle (name, starts_on, ends_on, created_at) VALUES ('2026-Q4', '2026-10-01', "
        "'2026-12-31', ?) RETURNING id",
        (now,),
    ).fetchone()[0]
    snapshots: dict[str, int] = {}
    titles: dict[str, str] = {}
    for questionnaire_id in ("bio2-leverancier", "bio2-leverancier-licht", "avg-verwerker"):
        questionnaire = get_questionnaire(questionnaire_id)
        titles[questionnaire_id] = questionnaire.title.nl
        snapshots[questionnaire_id] = con.execute(
            "INSERT INTO questionnairesnapshot (questionnaire_id, version, content_hash, content, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (questionnaire.id, questionnaire.version, questionnaire.content_hash, questionnaire.source, now),
        ).fetchone()[0]
    con.commit()
    organisations = dict(con.execute("SELECT id, name FROM organisation"))
    suppliers = {row[0]: row[1:] for row in con.execute("SELECT id, name, language FROM supplier")}
    groups: dict[tuple[int, int, str], list[tuple]] = {}
    for row in con.execute(
        "SELECT id, organisation_id, supplier_id, reference, name, supplier_email, owner_name, owner_email, "
        "risk_tier, personal_data, cloud_hosted FROM contract WHERE active AND start_date <= '2026-10-01' "
        "AND (end_date IS NULL OR end_date >= '2026-10-01') ORDER BY organisation_id, supplier_id, reference"
    ):
        for questionnaire_id in questionnaires_for({"risk_tier": row[8], "personal_data": bool(row[9])}):
            groups.setdefault((row[1], row[2], questionnaire_id), []).append(row)
    next_id = 1
    items = list(groups.items())
    for start in range(0, len(items), BATCH):
        uitvragen, links, tokens, mails, audits = [], [], [], [], []
        for (org, supplier, questionnaire_id), contracts in items[start : start + BATCH]:
            uitvraag_id = next_id
            next_id += 1
            name, language = suppliers[supplier]
            first = contracts[0]
            uitvragen.append((uitvraag_id, org, supplier, cycle_id, questionnaire_id, snapshots[questionnaire_id],
                              0, "regular", "pending", first[5], language, deadline, now))  # fmt: skip
            links.extend((uitvraag_id, c[0], questionnaire_id, cycle_id, 0) for c in contracts)
            token = secrets.token_urlsafe(32)
            tokens.append((uitvraag_id, hashlib.sha256(token.encode()).hexdigest(), now, expires))
            values = {
                "supplier": name, "organisation": organisations[org], "title": titles[questionnaire_id],
                "cycle": "2026-Q4", "deadline": "31 oktober 2026", "link": f"https://uitvraag.bench/q/{token}",
                "owner": first[6], "owner_email": first[7],
            }  # fmt: skip
            text = INVITATION_TEXT.format(contracts="\n".join(f"- {c[4]} ({c[3]})" for c in contracts), **values)
            html = INVITATION_HTML.format(contracts="".join(f"<li>{c[4]} ({c[3]})</li>" for c in contracts), **values)
            mails.append((f"invitation:{uitvraag_id}", f"<{secrets.token_hex(16)}@gemeente.bench>", "invitation",
                          language, first[5], first[7], f"Uitvraag informatiebeveiliging 2026-Q4 van "
                          f"{organisations[org]}", text, html, org, uitvraag_id, "pending", 0, now, now))  # fmt: skip
            detail = {"cycle": "2026-Q4", "questionnaire": questionnaire_id, "contracts": [c[3] for c in contracts],
                      "to": first[5], "deadline": str(deadline)}  # fmt: skip
            audits.append((now, org, "system", "uitvraag.invited", "uitvraag", uitvraag_id, json.dumps(detail)))
        con.begin()
        con.executemany(
            "INSERT INTO uitvraag (id, organisation_id, supplier_id, cycle_id, questionnaire_id, snapshot_id, "
            "follow_up_number, kind, status, recipient_email, language, deadline, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            uitvragen,
        )
        con.executemany(
            "INSERT INTO uitvraagcontract (uitvraag_id, contract_id, questionnaire_id, cycle_id, follow_up_number) "
            "VALUES (?,?,?,?,?)",
            links,
        )
        con.executemany(
            "INSERT INTO accesstoken (uitvraag_id, token_hash, created_at, expires_at) VALUES (?,?,?,?)", tokens
        )
        con.executemany(
            "INSERT INTO outboxmessage (idempotency_key, message_id, kind, language, to_addr, reply_to, subject, "
            "body_text, body_html, organisation_id, uitvraag_id, status, attempts, next_attempt_at, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            mails,
        )
        con.executemany(
            "INSERT INTO auditlog (at, organisation_id, actor, action, subject_type, subject_id, detail) "
            "VALUES (?,?,?,?,?,?,?)",
            audits,
        )
        con.commit()
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "peak_mb": peak_mb(), "uitvragen": next_id - 1}


def jinja_cost(sample: int = 2000) -> float:
    """Seconds per invitation when every mail is rendered through the Jinja templates (measured on a sample)."""
    from bot.mail.kinds import KINDS
    from bot.mail.render import render_mail

    context = dict(KINDS["invitation"])
    render_mail("invitation", "nl", context)
    started = time.perf_counter()
    for n in range(sample):
        context["link"] = f"https://uitvraag.bench/q/{n}"
        render_mail("invitation", "nl", context)
    return (time.perf_counter() - started) / sample


# --- orchestration ----------------------------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.plan_cycle", "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _rows(url: str) -> dict[str, int]:
    con = Raw(url)
    tables = ("uitvraag", "uitvraagcontract", "accesstoken", "outboxmessage", "auditlog")
    counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    con.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=342)
    parser.add_argument("--suppliers", type=int, default=5_000)
    parser.add_argument(
        "--postgres", metavar="URL", default=None, help="a PostgreSQL server URL (user with CREATEDB); default SQLite"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quiet_logging()
    if args.child:
        kind, url, folder, *rest = args.child
        if kind == "sweep":
            result = child_sweep(url, Path(folder), rest[0])
        else:
            result = {"plan": child_plan, "baseline": child_baseline}[kind](url, Path(folder))
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp, ExitStack() as databases:
        folder = Path(tmp)
        print(
            f"register: {args.contracts:,} contracts, {args.organisations} organisations, {args.suppliers:,} suppliers"
            f" on {'PostgreSQL' if args.postgres else 'SQLite'}",
            flush=True,
        )
        if args.postgres:
            register = databases.enter_context(postgres_database(args.postgres, "register"))
            build_register(
                register, contracts=args.contracts, organisations=args.organisations, suppliers=args.suppliers
            )
            urls = {
                name: databases.enter_context(postgres_database(args.postgres, name, template=register))
                for name in ("plan", "baseline")
            }
        else:
            register_file = folder / "register.sqlite3"
            build_register(
                f"sqlite:///{register_file}",
                contracts=args.contracts,
                organisations=args.organisations,
                suppliers=args.suppliers,
            )
            urls = {}
            for name in ("plan", "baseline"):
                (folder / name).mkdir()
                shutil.copyfile(register_file, folder / name / "db.sqlite3")
                urls[name] = f"sqlite:///{folder / name / 'db.sqlite3'}"

        base = _child("baseline", urls["baseline"], str(folder))
        ours = _child("plan", urls["plan"], str(folder))
        ours_rows, base_rows = _rows(urls["plan"]), _rows(urls["baseline"])
        if ours_rows != base_rows:
            print(f"warning: the contestants wrote different rows: ours {ours_rows}, baseline {base_rows}")
        full = _child("sweep", urls["plan"], str(folder), REMIND_AT.isoformat())
        idle = _child("sweep", urls["plan"], str(folder), IDLE_AT.isoformat())
        per_mail = jinja_cost()

    suffix = label(args.postgres)
    driver = "psycopg" if args.postgres else "sqlite3"
    ratio = ours["seconds"] / base["seconds"]
    sweep_ratio = full["seconds"] / ours["seconds"]
    print(f"rows written (each): {ours_rows}")
    print(f"baseline (raw {driver} executemany): {base['seconds']:.2f} s, peak {base['peak_mb']:.0f} MB")
    print(f"plan_cycles:                        {ours['seconds']:.2f} s, peak {ours['peak_mb']:.0f} MB")
    print(f"  ({ours['uitvragen']:,} uitvragen for {ours['contracts']:,} contracts, {ours['mails']:,} invitations)")
    print(f"ratio: {ratio:.2f}x the baseline")
    print(f"for comparison, rendering every invitation through Jinja: {per_mail * 1e3:.3f} ms each, "
          f"{per_mail * ours['mails']:.1f} s for {ours['mails']:,} mails")  # fmt: skip
    print(f"sweep with a reminder for every open uitvraag: {full['seconds']:.2f} s ({full['reminders']:,} reminders), "
          f"peak {full['peak_mb']:.0f} MB; {sweep_ratio:.2f}x planning")  # fmt: skip
    print(f"sweep with nothing due ({ours['uitvragen']:,} open uitvragen): {idle['seconds']:.2f} s")
    plan_met = ratio <= GOAL_RATIO and ours["peak_mb"] < GOAL_MB
    sweep_met = full["seconds"] <= ours["seconds"]
    print(f"BENCH sweep{suffix}: {sweep_ratio:.2f}x planning time (goal <= 1x) {'met' if sweep_met else 'missed'}")
    print(
        f"BENCH plan_cycle{suffix}: {ratio:.2f}x raw, peak {ours['peak_mb']:.0f} MB (goal <= {GOAL_RATIO:g}x, "
        f"< {GOAL_MB:g} MB) {'met' if plan_met else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
