"""A sender killed mid-batch loses nothing; two senders on PostgreSQL never send one mail twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.db import make_engine
from bot.mail.delivery import send_due
from tests.mail.helpers import MAIL_FROM, TestHandler, TestSmtpServer, queue_many, statuses
from tests.support.databases import wait_for_released_claims
from tests.support.factories import NOW

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def slow_smtp():
    """An SMTP server slow to confirm each mail it took, so a sender can be caught in the middle of a batch."""
    server = TestSmtpServer(handler=TestHandler(slow_reply=0.3)).start()
    yield server
    server.stop()


def test_sender_killed_mid_batch_loses_nothing_and_resends_at_most_one(app, session, slow_smtp, tmp_path):
    app.config["MAIL_URL"] = slow_smtp.url
    ids = queue_many(session, 12)
    session.rollback()
    env = dict(
        os.environ,
        DATABASE_URL=app.config["DATABASE_URL"],
        MAIL_URL=slow_smtp.url,
        MAIL_FROM=MAIL_FROM,
        BASE_URL="http://localhost",
        BOT_ENV="test",
        SECRET_KEY=app.config["SECRET_KEY"],  # queued links are sealed under it
        BOT_INSTANCE_PATH=str(tmp_path / "sender-instance"),
        BOT_DOTENV=str(tmp_path / "no.env"),
    )
    sender = subprocess.Popen(
        # `bot mail send`, as the console script runs it.
        [sys.executable, "-c", "from bot.cli import main; main()", "mail", "send", "--now", NOW.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        slow_smtp.wait_for(3, timeout=60)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
    assert sender.returncode == -signal.SIGKILL
    time.sleep(0.5)  # let the server finish the mail it was taking when the sender died
    wait_for_released_claims(app.extensions["engine"])  # and the database end the dead sender's connection
    before = statuses(session)
    session.rollback()
    assert 2 <= before["sent"] < 12, "the sender was killed in the middle of the batch"

    report = send_due(engine=app.extensions["engine"], config=app.config, now=NOW)

    counts = slow_smtp.message_ids()
    # The sender died waiting for the server to confirm the mail it had just taken: that one mail arrives twice.
    assert before["sent"] == sum(counts.values()) - report.sent - 1
    assert set(counts) == set(ids), "nothing lost"
    assert sum(counts.values()) == len(ids) + 1, "exactly the one mail in flight sent twice"
    for message_id, count in counts.items():
        if count > 1:  # the one in flight: resent byte-for-byte, with the same Message-ID
            copies = [m.as_bytes() for m in slow_smtp.messages if m["Message-ID"] == message_id]
            assert copies[0] == copies[1]
    assert report.sent == 12 - before["sent"]
    assert statuses(session) == {"sent": 12}


@pytest.mark.postgres
def test_two_senders_on_postgresql_at_once_send_nothing_twice(app, session):
    server = TestSmtpServer(handler=TestHandler(delay=0.01)).start()
    app.config["MAIL_URL"] = server.url
    engines = [make_engine(app.config["DATABASE_URL"]) for _ in range(2)]
    try:
        ids = queue_many(session, 60)
        session.rollback()
        start = threading.Barrier(2)
        reports: list = [None, None]

        def run(number: int) -> None:
            start.wait()
            reports[number] = send_due(engine=engines[number], config=app.config, now=NOW, batch_size=10)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert server.message_ids() == {message_id: 1 for message_id in ids}
        assert reports[0].sent + reports[1].sent == 60
        assert reports[0].sent > 0 and reports[1].sent > 0, "both senders took part"
        assert statuses(session) == {"sent": 60}
    finally:
        server.stop()
        for engine in engines:
            engine.dispose()
