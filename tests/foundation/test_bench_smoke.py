"""The benchmarks keep working as the code changes: each runs at a tiny size and ends with its BENCH line.

Nothing here times anything (the figures are the benchmarks' own business, run on demand with `make bench`); it
only checks that a benchmark still runs through on SQLite and, when the suite runs on PostgreSQL, there too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH_LINE = re.compile(r"^BENCH [a-z_]+: .+ \(goal [^)]+\) (met|missed)$", re.MULTILINE)
SMALL = {
    "plan_cycle": ["--contracts", "300", "--organisations", "5", "--suppliers", "20"],
    "mail_delivery": ["--count", "30"],
}


def _server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_benchmark_runs_through_and_reports_its_bench_line(name):
    server = _server_url()
    argv = SMALL[name] + (["--postgres", server] if server else [])
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = BENCH_LINE.findall(result.stdout)
    assert lines, f"no BENCH line in:\n{result.stdout}"
    suffix = "_postgres" if server else ""
    assert f"BENCH {name}{suffix}:" in result.stdout
    assert " INFO " not in result.stdout + result.stderr, "a benchmark prints library log lines"
