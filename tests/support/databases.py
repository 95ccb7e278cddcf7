"""Fresh, migrated databases for tests: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

SQLite: the schema is migrated once per test process into a template file, and each test gets a copy.
PostgreSQL: each test process gets its own database, migrated once; each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot import migrate
from bot.db import make_engine


class LeftoverConnection(UserWarning):
    """A connection an earlier test left open on the PostgreSQL test database (shown, never an error: it is ended)."""


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def is_postgres() -> bool:
    return postgres_url() is not None


def wait_for_released_claims(engine: sa.Engine, timeout: float = 10.0) -> None:
    """PostgreSQL: wait until no connection holds a mail sender's claim (the backend of a killed sender ends a
    moment after its process; until then its claims stand, as they would for a sender still running)."""
    if engine.dialect.name != "postgresql":
        return
    from bot.mail.delivery import MAIL_CLAIM_KEY

    held = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :key "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while conn.execute(held, {"key": MAIL_CLAIM_KEY}).scalar_one():
            if time.monotonic() > deadline:
                raise AssertionError(f"mail claims still held after {timeout} s")
            time.sleep(0.05)


class SqliteDatabases:
    def __init__(self, root: Path) -> None:
        self.template = root / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{self.template}")

    def fresh(self, directory: Path) -> str:
        target = directory / "test.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class PostgresDatabases:
    def __init__(self, base_url: str, worker: str) -> None:
        url = sa.make_url(base_url)
        # The pid keeps two test runs on one server (two developers, or CI and a developer) apart.
        self.name = f"{url.database}_{worker}_{os.getpid()}"
        self.admin_url = url.set(database="postgres").render_as_string(hide_password=False)
        admin = make_engine(
            url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        admin.dispose()
        self.url = url.set(database=self.name).render_as_string(hide_password=False)
        migrate.upgrade(self.url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        self.truncate_sql = f"TRUNCATE {tables} RESTART IDENTITY CASCADE"
        engine = make_engine(self.url)
        with engine.connect() as conn:
            self.versions = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        engine.dispose()

    def drop(self) -> None:
        admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin.dispose()

    def end_other_sessions(self, timeout: float = 10.0) -> None:
        """End every connection to the test database: a connection an earlier test left open (a pool not disposed,
        the backend of a killed subprocess not yet gone) may hold locks, advisory ones included, that would make the
        next test skip rows. Each leftover is named in a warning, so the test that leaked it can be found."""
        admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        others = sa.text(
            "SELECT pid, application_name, state, left(query, 120) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid() AND usename = current_user"
        )
        try:
            with admin.connect() as conn:
                deadline = time.monotonic() + timeout
                leftovers = conn.execute(others, {"name": self.name}).all()
                for pid, application, state, query in leftovers:
                    warnings.warn(
                        f"an earlier test left a connection open: {application!r} {state} {query!r}",
                        LeftoverConnection,
                        stacklevel=3,
                    )
                    conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                while conn.execute(others, {"name": self.name}).first() is not None:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"connections to {self.name} did not end within {timeout} s")
                    time.sleep(0.05)
        finally:
            admin.dispose()

    def fresh(self, directory: Path) -> str:
        self.end_other_sessions()
        engine = make_engine(self.url)
        with engine.begin() as conn:
            conn.exec_driver_sql(self.truncate_sql)
            # The database is reused between tests: a test that moved the schema's recorded version (readiness
            # with a schema behind) must not leave it so for the next one.
            conn.exec_driver_sql("DELETE FROM alembic_version")
            for version in self.versions:
                conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (%s)", (version,))
        engine.dispose()
        return self.url
