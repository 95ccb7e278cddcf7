"""Database engine and sessions.

One engine per app (`app.extensions["engine"]`); a request gets one Session through `get_session()`, closed at
teardown. Business functions never open sessions themselves: they receive one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from bot.timeutil import as_utc

F = TypeVar("F")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite has no time zones, so we add UTC back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        value = as_utc(value)
        # SQLite stores text; keep it naive UTC there so that comparisons in SQL sort correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings this service needs on SQLite (WAL, foreign keys, busy wait)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The sqlite3 module opens transactions lazily and would let two writers both read before either
            # writes; BEGIN IMMEDIATE (below) takes the write lock up front so unique checks serialise.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get("postgresql_readonly"):
                # A read-only request: a deferred transaction reads a snapshot without taking the write lock, and
                # query_only turns an accidental write into an error instead of a lock upgrade that can fail.
                conn.exec_driver_sql("PRAGMA query_only=1")
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("PRAGMA query_only=0")
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["engine"] = engine
    # The same pool, with read-only transactions (PostgreSQL: BEGIN READ ONLY; SQLite: see make_engine).
    app.extensions["read_engine"] = engine.execution_options(postgresql_readonly=True)
    app.teardown_appcontext(close_session)


def writes_on_get(view: F) -> F:
    """Mark a view whose GET writes (e.g. recording that a link was opened); other GETs get read-only sessions."""
    view._bot_writes_on_get = True  # type: ignore[attr-defined]
    return view


def _read_only_request() -> bool:
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "_bot_writes_on_get", False)


def get_engine() -> Engine:
    return current_app.extensions["engine"]


def get_session() -> Session:
    """The session of the current request or CLI command; read-only for GET and HEAD (see `writes_on_get`)."""
    if "db_session" not in g:
        engine = current_app.extensions["read_engine"] if _read_only_request() else get_engine()
        g.db_session = Session(engine, expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """End the request's (or CLI command's) session, if it has one; a later `get_session` starts a new one."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work outside a request (worker jobs, scripts): commit or roll back."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
