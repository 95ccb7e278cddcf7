"""Configuration: safe defaults for development, and a refusal to start unsafely in production."""

from __future__ import annotations

import pytest

from bot import create_app
from bot.config import DEFAULT_SECRET_KEY, ConfigError


def production(database_url, **overrides):
    config = {
        "BOT_ENV": "production",
        "SECRET_KEY": "x" * 48,
        "DATABASE_URL": database_url,
        "BASE_URL": "https://uitvraag.gemeente.example",
        "DEBUG": False,
    }
    config.update(overrides)
    return config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "SECRET_KEY is missing or still the development default"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 32 characters"),
        ({"DEBUG": True}, "BOT_DEBUG is on"),
        ({"BASE_URL": "http://uitvraag.gemeente.example"}, "BASE_URL must start with https://"),
    ],
)
def test_production_refuses_unsafe_settings_and_says_why(database_url, overrides, message):
    with pytest.raises(ConfigError, match=message):
        create_app(production(database_url, **overrides))


def test_production_starts_with_safe_settings(database_url):
    app = create_app(production(database_url))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["engine"].dispose()


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BASE_URL", "https://uitvraag.example/")
    monkeypatch.setenv("REMINDER_DAYS", "7, 21")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("BOT_DOTENV", str(tmp_path / "absent.env"))
    from bot.config import load_settings

    settings = load_settings(tmp_path)
    assert settings["BASE_URL"] == "https://uitvraag.example"
    assert settings["REMINDER_DAYS"] == [21, 7]


def test_a_bad_number_in_the_environment_names_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("DEADLINE_DAYS", "dertig")
    from bot.config import load_settings

    with pytest.raises(ConfigError, match="DEADLINE_DAYS must be a whole number, got 'dertig'"):
        load_settings(tmp_path, dotenv=False)
