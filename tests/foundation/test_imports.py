"""Every module under bot/ imports on its own, in a fresh process: no import cycle waits for the next tidy-up.

Each module is its own test case and is imported in its own process, forked from one helper interpreter that has
loaded the third-party libraries (Flask, SQLAlchemy, ...) but no module of bot/, so each case sees exactly what
`python -c "import bot.x"` sees of bot/ while the suite does not start ninety interpreters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

HELPER = r"""
import importlib, json, os, sys, traceback
for library in ("click", "flask", "flask_babel", "jinja2", "sqlalchemy", "sqlmodel", "alembic", "requests",
                "apscheduler", "dotenv", "babel", "markupsafe", "werkzeug"):
    try:
        importlib.import_module(library)
    except ImportError:
        pass
assert not any(name == "bot" or name.startswith("bot.") for name in sys.modules), "the helper imported bot/"
for line in sys.stdin:
    module = line.strip()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 0
        try:
            importlib.import_module(module)
        except BaseException:
            os.write(write_end, traceback.format_exc().encode())
            code = 1
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        error = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"ok": status == 0, "error": error}), flush=True)
"""


def _modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.is_relative_to(ROOT / "bot" / "migrations"):
            continue  # Alembic's scripts (package data), run by Alembic, never imported as modules
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules()


@pytest.fixture(scope="module")
def import_alone() -> Iterator[Callable[[str], dict]]:
    helper = subprocess.Popen(
        [sys.executable, "-c", HELPER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert helper.stdin is not None and helper.stdout is not None

    def run(module: str) -> dict:
        helper.stdin.write(module + "\n")
        helper.stdin.flush()
        return json.loads(helper.stdout.readline())

    yield run
    helper.stdin.close()
    helper.wait(timeout=60)


def test_the_list_covers_the_modules_that_had_cycles() -> None:
    assert {"bot.staff.auth", "bot.staff.views", "bot.cycles.cli", "bot.cycles.ladder", "bot.mail.cli"} <= set(MODULES)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
@pytest.mark.parametrize("module", MODULES)
def test_module_imports_on_its_own(module: str, import_alone: Callable[[str], dict]) -> None:
    result = import_alone(module)
    assert result["ok"], f"import {module} on its own failed:\n{result['error'][-3000:]}"
