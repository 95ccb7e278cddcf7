"""Fresh databases for the benchmarks: a SQLite file in a folder, or a new database on a PostgreSQL server.

Every benchmark takes `--postgres URL` (a server URL whose user has CREATEDB, e.g. the `BENCH_DATABASE_URL` that
`make bench` passes on); it then creates its own databases there, named after the process, and drops them after.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
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
