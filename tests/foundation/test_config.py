"""Configuration: safe defaults for development, and a refusal to start unsafely in production."""

from __future__ import annotations

import pytest

from bot import create_app
from bot.config import DEFAULT_SECRET_KEY, ConfigError


def production(database_url, **overrides):
    config = {
        "BOT_ENV": "production",
        "SECRET_KEY": "Zq8vN3xK0pL7wR2tY5uB9cE4hJ6mA1sD-fG_iOkWnXe",
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


STRONG_KEY = "Zq8vN3xK0pL7wR2tY5uB9cE4hJ6mA1sD-fG_iOkWnXe"


@pytest.mark.parametrize("env", ["prod", "Production ", "staging", ""])
def test_an_unknown_bot_env_is_refused(database_url, env):
    with pytest.raises(ConfigError, match="BOT_ENV must be one of development, test, production"):
        create_app(production(database_url, BOT_ENV=env))


@pytest.mark.parametrize("secret", ["a" * 64, "abababababababababababababababababababab", "0123456789" * 4])
def test_production_refuses_weak_secret_keys(database_url, secret):
    with pytest.raises(ConfigError, match="SECRET_KEY (repeats|has too little randomness)"):
        create_app(production(database_url, SECRET_KEY=secret))


def test_production_refuses_the_development_mailbox(database_url):
    with pytest.raises(ConfigError, match="DEV_MAIL is on"):
        create_app(production(database_url, DEV_MAIL=True))


def test_the_default_secret_key_runs_only_when_development_or_test_is_said(monkeypatch, tmp_path):
    from bot.config import check_settings, load_settings

    monkeypatch.delenv("BOT_ENV", raising=False)
    settings = load_settings(tmp_path, dotenv=False)
    assert settings["BOT_ENV"] == "development" and settings["SECRET_KEY"] == DEFAULT_SECRET_KEY
    for env in ("development", "test"):
        check_settings(dict(settings, BOT_ENV=env))
    with pytest.raises(ConfigError, match="development default"):
        check_settings(dict(settings, BOT_ENV="production", BASE_URL="https://x.example"))


def test_an_empty_value_means_the_default_for_every_setting(monkeypatch, tmp_path):
    import dataclasses

    from bot.config import DEFAULTS, Settings, read_settings

    for f in dataclasses.fields(Settings):
        monkeypatch.setenv("BOT_DEBUG" if f.name == "DEBUG" else f.name, "  ")
    settings = read_settings(tmp_path, dotenv=False)
    for f in dataclasses.fields(Settings):
        if f.name not in {"DATABASE_URL", "MAIL_URL", "UPLOAD_DIR"}:
            assert getattr(settings, f.name) == getattr(DEFAULTS, f.name), f.name
    expected = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    assert expected == settings.DATABASE_URL


def test_the_example_env_file_starts_the_service(monkeypatch, tmp_path):
    """`cp .env.example .env && make run`: the example, as it is, makes an app whose sign-in page works."""
    from pathlib import Path

    from bot import migrate

    for name in ("DATABASE_URL", "MAIL_URL", "BASE_URL", "SECRET_KEY", "BOT_ENV", "UPLOAD_DIR", "DEV_MAIL"):
        monkeypatch.delenv(name, raising=False)
    example = Path(__file__).resolve().parents[2] / ".env.example"
    monkeypatch.setenv("BOT_DOTENV", str(example))
    monkeypatch.setenv("BOT_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    try:
        migrate.upgrade(app.config["DATABASE_URL"])
        assert app.config["BOT_ENV"] == "development"
        assert app.test_client().get("/staff/signin").status_code == 200
    finally:
        app.extensions["engine"].dispose()
        for name in ("DATABASE_URL", "MAIL_URL", "BASE_URL", "SECRET_KEY", "BOT_ENV", "UPLOAD_DIR", "DEV_MAIL"):
            monkeypatch.delenv(name, raising=False)
