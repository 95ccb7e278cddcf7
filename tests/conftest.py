"""Shared fixtures: a fresh migrated database per test, the app, its clients, a real SMTP server, a real browser.

Run on PostgreSQL by setting TEST_DATABASE_URL (e.g. postgresql+psycopg://bot:bot@127.0.0.1/bot_test); each test
process then gets its own database. Tests marked `postgres` only run there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import create_app
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.databases import PostgresDatabases, SqliteDatabases, is_postgres, postgres_url
from tests.support.live import LiveServer
from tests.support.mail import TEST_SECRET_KEY
from tests.support.smtp import SmtpServer, free_port

# Keep a developer's own .env and environment out of the tests.
for _name in ("DATABASE_URL", "MAIL_URL", "BASE_URL", "SECRET_KEY", "BOT_ENV", "CHAT_WEBHOOK_URL"):
    os.environ.pop(_name, None)


if os.environ.get("TEST_REVERSE_UNORDERED"):
    # Order left to the database is a bug: with TEST_REVERSE_UNORDERED=1, SQLite returns every SELECT without an
    # ORDER BY in reverse, so code that relies on row order fails here instead of now and then on PostgreSQL.

    @sa.event.listens_for(Engine, "connect")
    def _reverse_unordered_selects(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA reverse_unordered_selects=ON")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Any:
    url = postgres_url()
    if url:
        databases = PostgresDatabases(url, worker_id)
        yield databases
        databases.drop()
    else:
        yield SqliteDatabases(tmp_path_factory.mktemp("db-template"))


@pytest.fixture
def database_url(databases: Any, tmp_path: Path) -> str:
    """The URL of a fresh database with every migration applied and no rows."""
    return databases.fresh(tmp_path)


def make_test_config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "BOT_ENV": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "BASE_URL": "http://localhost",
        "MAIL_URL": f"file://{tmp_path / 'mail'}",
        "MAIL_FROM": "BIO uitvraag <uitvraag@gemeente.test>",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test app's settings; a test may change keys before it first uses `app`."""
    return make_test_config(database_url, tmp_path)


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    os.environ["BOT_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app(app_config)
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test app's database, for arranging data and asserting on it."""
    with Session(app.extensions["engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def live_server(app_config: dict[str, Any], tmp_path: Path) -> Iterator[LiveServer]:
    """The app served on a free local port, with BASE_URL pointing at it (links in mails work)."""
    port = free_port()
    config = dict(app_config, BASE_URL=f"http://127.0.0.1:{port}", TESTING=False)
    os.environ["BOT_INSTANCE_PATH"] = str(tmp_path / "instance")
    server = LiveServer(create_app(config), port).start()
    yield server
    server.stop()
    server.app.extensions["engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs it) or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
