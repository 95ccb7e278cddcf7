"""Fresh databases for the benchmarks (a SQLite file, or a new database on a PostgreSQL server), and the raw driver.

Every benchmark takes `--postgres URL` (a server URL whose user has CREATEDB, e.g. the `BENCH_DATABASE_URL` that
`make bench` passes on); it then creates its own databases there, named after the process, and drops them after.
"""

from __future__ import annotations

import logging
import os
import resource
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _admin(url: str) -> Any:
    import sqlalchemy as sa

    from bot.db import make_engine

    admin_url = sa.make_url(url).set(database="postgres").render_as_string(hide_password=False)
    return make_engine(admin_url, isolation_level="AUTOCOMMIT")


def create_postgres_database(server_url: str, suffix: str = "", *, template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`, a database URL) on the server; returns its URL."""
    import sqlalchemy as sa

    name = f"bot_bench_{os.getpid()}{'_' + suffix if suffix else ''}"
    admin = _admin(server_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        else:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{sa.make_url(template).database}"')
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    import sqlalchemy as sa

    admin = _admin(url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
    admin.dispose()


@contextmanager
def postgres_database(server_url: str, suffix: str = "", *, template: str | None = None) -> Iterator[str]:
    url = create_postgres_database(server_url, suffix, template=template)
    try:
        yield url
    finally:
        drop_postgres_database(url)


def label(postgres: str | None) -> str:
    """The suffix of a benchmark's BENCH name: the same benchmark on PostgreSQL is reported apart."""
    return "_postgres" if postgres else ""


def quiet_logging() -> None:
    """Benchmarks print their figures, not the libraries' progress: only warnings and errors are logged."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("alembic", "bot"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- shared by the planning benchmarks -------------------------------------------------------------------------

MAIL_FROM = "BIO uitvraag <uitvraag@gemeente.bench>"


def bench_config(directory: Path) -> dict[str, Any]:
    from bot.config import load_settings

    config = load_settings(directory, dotenv=False)
    config.update(BASE_URL="https://uitvraag.bench", MAIL_FROM=MAIL_FROM, UPLOAD_DIR=str(directory / "uploads"))
    return config


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def sqlite_ts(value: datetime) -> str:
    """A timestamp as the database layer stores it on SQLite (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Raw:
    """The raw driver of a database URL, with the service's connection settings: sqlite3 or psycopg."""

    def __init__(self, url: str) -> None:
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            import psycopg

            self.con: Any = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        else:
            self.con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            # The same database settings as the service's (bot.db.make_engine), so that only the code differs.
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=30000"):
                self.con.execute(f"PRAGMA {pragma}")

    def ts(self, value: datetime) -> Any:
        return value if self.postgres else sqlite_ts(value)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.con.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: list[Any]) -> None:
        if self.postgres:
            with self.con.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)
        else:
            self.con.executemany(sql, rows)

    def begin(self) -> None:
        self.con.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()
