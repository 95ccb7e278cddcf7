"""/readyz on PostgreSQL: not ready while the database is down, ready again once it is back, without a restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import create_app, migrate
from tests.conftest import make_test_config
from tests.support.private_pg import PrivateCluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster().init()
    cluster.start()
    yield cluster
    cluster.destroy()


def test_readyz_fails_while_postgresql_is_down_and_recovers_after(cluster, tmp_path):
    migrate.upgrade(cluster.url)
    app = create_app(make_test_config(cluster.url, tmp_path))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    cluster.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["checks"]["database"]["ok"] is False
    assert client.get("/healthz").status_code == 200  # the process itself is fine: no restart wanted
    cluster.start()
    assert client.get("/readyz").status_code == 200
    app.extensions["engine"].dispose()
