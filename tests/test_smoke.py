"""The service starts, migrates and answers."""

from sqlmodel import func, select

from bot.models import Organisation
from tests.support.factories import make_organisation


def test_health_check_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_fresh_database_per_test_starts_empty(session):
    assert session.exec(select(func.count()).select_from(Organisation)).one() == 0
    make_organisation(session)
    assert session.exec(select(func.count()).select_from(Organisation)).one() == 1


def test_fresh_database_per_test_starts_empty_again(session):
    assert session.exec(select(func.count()).select_from(Organisation)).one() == 0
