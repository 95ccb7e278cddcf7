"""Fresh, migrated databases for tests: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

SQLite: the schema is migrated once per test process into a template file, and each test gets a copy.
PostgreSQL: each test process gets its own database, migrated once; each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot import migrate
from bot.db import make_engine


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def is_postgres() -> bool:
    return postgres_url() is not None


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

    def fresh(self, directory: Path) -> str:
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
