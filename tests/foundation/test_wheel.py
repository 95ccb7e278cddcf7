"""The built wheel is the whole product: installed in a fresh virtual environment, away from the source tree, it
carries its migrations, questionnaires, templates and translations, migrates a database and checks its
questionnaires."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "node_modules", "instance", "build", "dist", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_the_installed_wheel_migrates_and_checks_its_questionnaires(tmp_path: Path) -> None:
    # Build from a copy, so the build leaves nothing in the tree the other tests read.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=lambda _dir, names: [n for n in names if n in SKIP or n.endswith(".egg-info")])
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist", source, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("bio_supplier_bot-*.whl")
    shipped = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "bot/migrations/env.py",
        "bot/migrations/script.py.mako",
        "bot/migrations/versions/0001_initial_schema.py",
        "bot/questionnaires/files/bio2-leverancier.toml",
        "bot/templates/staff/overview.html",
        "bot/mail/templates/invitation.txt",
        "bot/translations/nl/LC_MESSAGES/messages.mo",
        "bot/translations/en/LC_MESSAGES/messages.mo",
    ):
        assert expected in shipped, f"{expected} is not in {wheel.name}"

    # A fresh environment: the wheel, and the dependencies this suite already has (no index, no source tree).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip()
    )
    (purelib / "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # a path, not its .pth
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "MAIL_", "PYTHON"))}
    env.update(DATABASE_URL=f"sqlite:///{elsewhere / 'bot.sqlite3'}", BOT_INSTANCE_PATH=str(elsewhere / "instance"))
    where = run(python, "-c", "import bot; print(bot.__file__)", cwd=elsewhere, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), f"bot imported from {where}, not from the installed wheel"
    bot = venv / "bin" / "bot"
    upgraded = run(bot, "db", "upgrade", cwd=elsewhere, env=env)
    assert "Database is at head." in upgraded.stdout
    checked = run(bot, "questionnaires", "check", cwd=elsewhere, env=env)
    assert "bio2-leverancier" in checked.stdout + checked.stderr
