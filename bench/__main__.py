"""Run every benchmark in this folder in turn: `python -m bench`. Each prints its own final `BENCH ...` line(s).

On a fresh SQLite file each; when `BENCH_DATABASE_URL` names a PostgreSQL server (a user with CREATEDB), every
benchmark runs a second time there, on fresh databases it creates and drops (`--postgres`), its lines named
`..._postgres`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    failed = []
    for module_info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        run = getattr(module, "main", None)
        if run is None:
            continue
        for database, argv in databases():
            print(f"== bench.{module_info.name} on {database}", flush=True)
            try:
                run(argv)
            except SystemExit as exit_:
                if exit_.code not in (None, 0):
                    failed.append(module_info.name)
            except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the others
                print(f"bench.{module_info.name} crashed on {database}: {error!r}", flush=True)
                failed.append(module_info.name)
    return 1 if failed else 0


def databases() -> list[tuple[str, list[str]]]:
    runs = [("SQLite", [])]
    server = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if server:
        if not server.startswith("postgresql"):
            raise SystemExit(f"BENCH_DATABASE_URL must be a postgresql+psycopg:// URL, not {server.split(':')[0]}")
        runs.append(("PostgreSQL", ["--postgres", server]))
    return runs


if __name__ == "__main__":
    sys.exit(main())
