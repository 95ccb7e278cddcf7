"""Benchmark: deliver 5,000 queued mails to a local aiosmtpd server, against plain smtplib in the same run.

    .venv/bin/python -m bench.mail_delivery [--count 5000] [--postgres URL]

The baseline sends the very same message bytes with smtplib over one connection, with nothing else to do: no
database, no building of messages. Ours is `send_due` as the worker runs it: read the outbox, build each message,
send it over one connection per batch of 100, and mark each row sent in its own transaction. The SMTP server runs
in a separate process, so it does not compete with the sender for the interpreter. Traffic stays on 127.0.0.1.
Goal: at least 90% of the baseline's throughput. Ends with one line `BENCH mail_delivery: ...` (on a fresh SQLite
file), or `BENCH mail_delivery_postgres: ...` with `--postgres URL` (on a fresh database on that server).
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._databases import create_postgres_database, drop_postgres_database, label, quiet_logging

GOAL_PERCENT = 90.0
MAIL_FROM = "BIO uitvraag <uitvraag@gemeente.bench>"


def _serve(port: int, ready: Any, stop: Any, results: Any) -> None:
    """The SMTP server process: counts the mails and Message-IDs it takes until told to stop."""
    import re

    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID: *(\S+)", re.MULTILINE | re.IGNORECASE)

    class Counter:
        def __init__(self) -> None:
            self.ids: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            found = message_id.search(envelope.content)
            self.ids.append(found.group(1) if found else b"")
            return "250 OK"

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ready.put(port)
    while True:
        command = stop.get()
        if command == "stop":
            break
        # "report": send how many mails and distinct Message-IDs arrived since the last report, and reset.
        ids, handler.ids = handler.ids, []
        results.put((len(ids), len(set(ids))))
    controller.stop()


class Server:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._ports, self._commands, self._results = context.Queue(), context.Queue(), context.Queue()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = context.Process(
            target=_serve, args=(port, self._ports, self._commands, self._results), daemon=True
        )
        self.process.start()
        self.port: int = self._ports.get(timeout=30)

    def take_count(self) -> tuple[int, int]:
        self._commands.put("report")
        return self._results.get(timeout=60)

    def stop(self) -> None:
        self._commands.put("stop")
        self.process.join(timeout=10)


def _queue_mails(engine: Any, count: int, now: datetime) -> None:
    """Queue `count` sign-in mails, each its own outbox row with its own Message-ID (rendered once: what is
    measured is delivery, not templating)."""
    from sqlmodel import Session

    from bot.mail.kinds import KINDS
    from bot.mail.message import build_body
    from bot.mail.outbox import message_id_for
    from bot.mail.render import render_mail
    from bot.models import OutboxMessage, OutboxStatus

    rendered = render_mail("signin-link", "nl", KINDS["signin-link"])
    with Session(engine) as session:
        for number in range(count):
            message_id = message_id_for("gemeente.bench")
            session.add(
                OutboxMessage(
                    idempotency_key=f"bench:{number}",
                    message_id=message_id,
                    kind="signin-link",
                    language="nl",
                    to_addr=f"person{number}@leverancier.bench",
                    subject=rendered.subject,
                    body_text=rendered.text,
                    body_html=rendered.html,
                    # As `enqueue` does, in the transaction that queues the mail.
                    mime_body=build_body(text=rendered.text, html=rendered.html, message_id=message_id),
                    status=OutboxStatus.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        session.commit()


def _baseline(engine: Any, port: int) -> float:
    """Seconds for plain smtplib to send every queued message's bytes over one connection."""
    from sqlmodel import Session, select

    from bot.mail.message import Composer
    from bot.models import OutboxMessage

    composer = Composer(MAIL_FROM)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        prepared = [(row.to_addr, composer.compose(row)) for row in rows]
    sender = composer.sender
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        connection.ehlo()
        for recipient, data in prepared:
            connection.sendmail(sender, [recipient], data)
    return time.perf_counter() - started


def _ours(engine: Any, port: int, now: datetime) -> tuple[float, Any]:
    from bot.mail.delivery import send_due

    config = {"MAIL_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": MAIL_FROM, "BASE_URL": "http://127.0.0.1:5000"}
    started = time.perf_counter()
    report = send_due(engine=engine, config=config, now=now)
    return time.perf_counter() - started, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_delivery", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="mails to deliver (default 5000)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="a PostgreSQL server URL (user with CREATEDB): a fresh database there. Default: a fresh SQLite file",
    )
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    quiet_logging()
    count = max(1, min(args.count, 50_000))  # bounded load

    from bot import migrate
    from bot.db import make_engine

    now = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    server = Server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            if args.postgres:
                url = create_postgres_database(args.postgres)
            migrate.upgrade(url)
            engine = make_engine(url)
            _queue_mails(engine, count, now)
            print(f"queued {count} mails on {engine.dialect.name}", flush=True)

            # The baseline runs before and after ours; the faster of the two counts (the machine is shared).
            first_seconds = _baseline(engine, server.port)
            baseline_received = server.take_count()
            ours_seconds, report = _ours(engine, server.port, now)
            ours_received = server.take_count()
            baseline_seconds = min(first_seconds, _baseline(engine, server.port))
            server.take_count()
            engine.dispose()
            if args.postgres:
                drop_postgres_database(url)
    finally:
        server.stop()

    baseline_rate = count / baseline_seconds
    ours_rate = count / ours_seconds
    percent = 100.0 * ours_rate / baseline_rate
    print(
        f"smtplib, one connection, prepared bytes: {baseline_rate:8.0f} mails/s ({baseline_seconds:.2f} s, best of 2)"
    )
    print(f"send_due, batches of 100, with database: {ours_rate:8.0f} mails/s ({ours_seconds:.2f} s)")
    print(f"send_due report: {report.summary()}")
    print(
        f"server received: baseline {baseline_received[0]} ({baseline_received[1]} distinct), "
        f"ours {ours_received[0]} ({ours_received[1]} distinct Message-IDs)"
    )
    complete = ours_received == (count, count) and report.sent == count
    if not complete:
        print("NOT every mail was delivered exactly once: the run does not count")
    met = complete and percent >= GOAL_PERCENT
    verdict = "met" if met else "missed"
    goal = f"goal >= {GOAL_PERCENT:.0f}%"
    print(f"BENCH mail_delivery{label(args.postgres)}: {percent:.0f}% of smtplib ({goal}) {verdict}")


if __name__ == "__main__":
    main()
