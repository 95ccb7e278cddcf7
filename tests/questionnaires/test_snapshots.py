"""A questionnaire version is stored once; history keeps the exact text it was answered against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.db import make_engine
from bot.models import QuestionnaireSnapshot
from bot.questionnaires.loader import content_hash, get_questionnaire
from bot.questionnaires.snapshots import QuestionnaireChangedError, ensure_snapshot, questionnaire_from_snapshot

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def test_first_use_stores_the_text_and_hash_and_later_uses_reuse_it(db: Session) -> None:
    questionnaire = get_questionnaire("bio2-leverancier-licht")

    first = ensure_snapshot(db, questionnaire=questionnaire, now=NOW)
    db.commit()
    again = ensure_snapshot(db, questionnaire=questionnaire, now=NOW)

    assert again.id == first.id
    assert first.content == questionnaire.source
    assert first.content_hash == content_hash(questionnaire.source) == questionnaire.content_hash
    assert len(db.exec(select(QuestionnaireSnapshot)).all()) == 1


def test_changed_file_with_the_same_version_is_refused(db: Session) -> None:
    questionnaire = get_questionnaire("bio2-leverancier-licht")
    ensure_snapshot(db, questionnaire=questionnaire, now=NOW)
    db.commit()
    edited_text = questionnaire.source.replace("Zekerheid", "Zekerheid en bewijs", 1)
    edited = replace(questionnaire, source=edited_text, content_hash=content_hash(edited_text))

    with pytest.raises(QuestionnaireChangedError, match='version "2027.1" was already sent out with other content'):
        ensure_snapshot(db, questionnaire=edited, now=NOW)

    renumbered = replace(edited, version="2026.2")
    assert ensure_snapshot(db, questionnaire=renumbered, now=NOW).version == "2026.2"


def test_questionnaire_is_read_back_from_its_snapshot_as_answered(db: Session) -> None:
    questionnaire = get_questionnaire("bio2-leverancier")
    snapshot = ensure_snapshot(db, questionnaire=questionnaire, now=NOW)
    db.commit()

    restored = questionnaire_from_snapshot(snapshot)

    assert restored == questionnaire
    assert questionnaire_from_snapshot(snapshot) is restored  # parsed once per hash
