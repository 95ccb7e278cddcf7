"""Fixtures of the staff area tests: two organisations' worlds on one database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale

from bot.timeutil import utcnow
from tests.staff.world import OrgWorld, build_world


@pytest.fixture
def now() -> Any:
    return utcnow().replace(microsecond=0)


@pytest.fixture
def world(session: Any, app_config: dict[str, Any], now: Any) -> OrgWorld:
    return build_world(session, now=now, upload_dir=Path(app_config["UPLOAD_DIR"]))


@pytest.fixture
def other(session: Any, app_config: dict[str, Any], now: Any, world: OrgWorld) -> OrgWorld:
    """A second municipality with the same shape of data; its staff must never see the first one's."""
    return build_world(
        session,
        now=now,
        upload_dir=Path(app_config["UPLOAD_DIR"]),
        name="Gemeente Anderdorp",
        domain="anderdorp.nl",
        supplier_name="Anders Cloud BV",
    )


@pytest.fixture
def read(app: Any) -> Any:
    """`read(error, "nl")`: a refusal as a reader of that language sees it (its gettext text in that locale)."""

    def in_language(error: Exception, language: str = "nl") -> str:
        with app.app_context(), force_locale(language):
            return str(error)

    return in_language
