"""/healthz (the process answers), /readyz (it can serve: database, schema; worker reported), /readyz/worker
(the worker ticks) and /metrics (Prometheus, only when METRICS_ENABLED)."""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from bot import health, metrics
from bot.timeutil import utcnow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """The process is up; it touches nothing else, so a slow database does not get the process restarted."""
    return {"status": "ok"}


def _readiness(worker: bool) -> Any:
    result = health.readiness(current_app.extensions["engine"], config=current_app.config, now=utcnow(), worker=worker)
    return result.as_json(), 200 if result.ok else 503, {"Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz() -> Any:
    """Ready to serve: database reachable and migrations at head (the worker's tick is shown, not required)."""
    return _readiness(worker=False)


@bp.get("/readyz/worker")
def readyz_worker() -> Any:
    """As /readyz, and the worker's last tick is recent (WORKER_STALE_SECONDS)."""
    return _readiness(worker=True)


@bp.get("/metrics")
def metrics_page() -> Any:
    if not current_app.config.get("METRICS_ENABLED"):
        abort(404)
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            abort(401)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        web: CollectorRegistry = CollectorRegistry()
        multiprocess.MultiProcessCollector(web)
    else:
        web = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(metrics.StateCollector(current_app.extensions["engine"]))
    body = generate_latest(web) + generate_latest(state)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _finished(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None and request.endpoint != "health.metrics_page":
        route = request.endpoint or "unmatched"  # the endpoint, never the path: paths hold link tokens
        metrics.observe_request(route, request.method, response.status_code, time.perf_counter() - started)
    return response


@bp.record_once
def _instrument(state: Any) -> None:
    app: Flask = state.app
    if app.config.get("METRICS_ENABLED"):
        app.before_request(_started)
        app.after_request(_finished)
