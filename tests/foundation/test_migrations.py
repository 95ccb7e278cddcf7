"""The migrations and the models agree: autogenerate finds nothing to do, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot.db import make_engine


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
            )
            diff = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration (scripts/new-migration): {diff}"


def test_migrations_run_down_and_up_again(database_url):
    from alembic import command

    from bot.migrate import alembic_config

    config = alembic_config(database_url)
    command.downgrade(config, "base")
    command.upgrade(config, "head")
