"""What a load balancer and a monitor see: /healthz, /readyz, /readyz/worker and /metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from bot import create_app
from bot.cycles.worker import run_worker
from bot.health import schema_heads
from bot.models import OutboxMessage, OutboxStatus
from bot.timeutil import utcnow
from tests.conftest import make_test_config
from tests.cycles.support import ROOT, bot_env
from tests.support.factories import make_organisation


def _mail(session: Session, key: str, status: str, created_minutes_ago: int) -> None:
    at = utcnow() - timedelta(minutes=created_minutes_ago)
    session.add(
        OutboxMessage(
            idempotency_key=key,
            message_id=f"<{key}@gemeente.test>",
            kind="invitation",
            to_addr="leverancier@example.test",
            subject="Uitvraag",
            body_text="Beste leverancier",
            status=status,
            next_attempt_at=at,
            created_at=at,
        )
    )


def test_healthz_answers_without_the_database(tmp_path):
    app = create_app(make_test_config(f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}", tmp_path))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_readyz_is_ready_on_a_migrated_database_and_reports_the_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["worker"]["last_tick_age_seconds"] is None
    # The worker never ticked: the web is still ready, the worker is not.
    assert client.get("/readyz/worker").status_code == 503


def test_readyz_fails_when_the_schema_is_behind(app, client):
    with app.extensions["engine"].begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == {
        "ok": False,
        "current": ["0001"],
        "head": sorted(schema_heads()),
    }


def test_a_worker_tick_makes_the_worker_ready_until_it_is_stale(app, client):
    assert run_worker(engine=app.extensions["engine"], config=app.config, once=True) == 0
    worker = client.get("/readyz/worker")
    assert worker.status_code == 200, worker.get_json()
    check = worker.get_json()["checks"]["worker"]
    assert check["fresh"] is True and check["last_tick_age_seconds"] < 60 and check["last_tick_errors"] == 0
    app.config["WORKER_STALE_SECONDS"] = 1
    with app.extensions["engine"].begin() as connection:
        connection.execute(
            sa.text("UPDATE workerstatus SET last_finished_at = :at"), {"at": utcnow() - timedelta(seconds=30)}
        )
    assert client.get("/readyz/worker").status_code == 503
    assert client.get("/readyz").status_code == 200


def test_metrics_are_off_unless_switched_on(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_show_outbox_depth_requests_and_the_worker(app_config, tmp_path, session):
    app = create_app(dict(app_config, METRICS_ENABLED=True, METRICS_TOKEN="scrape-secret"))
    client = app.test_client()
    make_organisation(session)
    _mail(session, "a", OutboxStatus.PENDING.value, 30)
    _mail(session, "b", OutboxStatus.PENDING.value, 5)
    _mail(session, "c", OutboxStatus.FAILED.value, 60)
    session.commit()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/readyz")
    client.get("/q/" + "x" * 43)  # a link path: counted by its route, never by the token in it
    assert run_worker(engine=app.extensions["engine"], config=app.config, once=True) == 0
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    lines = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in text.splitlines() if not line.startswith("#")}
    assert lines['bot_outbox_messages{status="failed"}'] == "1.0"
    assert lines["bot_outbox_failed_messages"] == "1.0"
    assert lines["bot_database_up"] == "1.0"
    # The worker's tick (file transport) delivered the two pending mails.
    assert lines['bot_outbox_messages{status="sent"}'] == "2.0"
    assert lines['bot_outbox_messages{status="pending"}'] == "0.0"
    assert "bot_outbox_oldest_pending_age_seconds" not in lines
    assert float(lines["bot_worker_last_tick_age_seconds"]) < 60
    assert lines["bot_worker_ticks_total"] == "1.0"
    assert lines['bot_uitvragen{status="pending"}'] == "0.0"
    assert lines['bot_escalations_sent_total{level="ciso"}'] == "0.0"
    assert float(lines['bot_http_requests_total{method="GET",route="health.readyz",status="200"}']) >= 1
    assert any(
        key.startswith("bot_http_request_duration_seconds_bucket{le=") or 'route="health.readyz"' in key
        for key in lines
    )
    assert "x" * 43 not in text
    app.extensions["engine"].dispose()


def test_metrics_show_the_oldest_pending_mail(app_config, session):
    app = create_app(dict(app_config, METRICS_ENABLED=True))
    _mail(session, "old", OutboxStatus.PENDING.value, 90)
    session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    age = next(float(line.split()[1]) for line in text.splitlines() if line.startswith("bot_outbox_oldest_pending"))
    assert 90 * 60 - 5 < age < 90 * 60 + 120
    app.extensions["engine"].dispose()


def _python(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_json_log_lines_mask_link_tokens(database_url, tmp_path):
    token = "A" * 43
    env = bot_env(database_url, tmp_path, LOG_FORMAT="json")
    result = _python(
        env,
        "import logging; from bot import create_app; create_app(); "
        f"logging.getLogger('bot.test').warning('link opened: /q/%s', '{token}'); "
        "logging.getLogger('bot.test').error('broken', exc_info=ValueError('/q/" + token + "'))",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    first, second = (line for line in lines if line["logger"] == "bot.test")
    assert first["level"] == "WARNING" and first["message"] == "link opened: /q/[token]"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: /q/[token]" in second["exception"]
    assert token not in result.stderr


def test_an_unknown_log_format_is_refused(database_url, tmp_path):
    result = _python(bot_env(database_url, tmp_path, LOG_FORMAT="yaml"), "from bot import create_app; create_app()")
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of text, json, got 'yaml'" in result.stderr
