"""The `bot` console script as an administrator runs it on a fresh machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BOT = str(Path(sys.executable).with_name("bot"))


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BOT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def clean_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "MAIL_"))}
    env.update(DATABASE_URL=database_url, BOT_INSTANCE_PATH=str(tmp_path / "instance"))
    return env


def test_help_lists_the_commands(tmp_path):
    result = run_bot("--help", env=clean_env(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("db", "import", "export", "demo", "dev"):
        assert f"  {command} " in result.stdout


def test_db_upgrade_on_an_empty_database_then_again(tmp_path):
    env = clean_env(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    first = run_bot("db", "upgrade", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Database is at head." in first.stdout
    second = run_bot("db", "upgrade", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr


def test_production_with_default_secret_refuses_to_start_and_says_why(tmp_path):
    env = clean_env(tmp_path, f"sqlite:///{tmp_path / 'p.sqlite3'}")
    env.update(BOT_ENV="production", BASE_URL="https://uitvraag.example")
    env.pop("SECRET_KEY", None)
    result = run_bot("db", "upgrade", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "Refusing to start with BOT_ENV=production" in result.stderr
    assert "SECRET_KEY" in result.stderr
