"""Run every benchmark in this folder in turn: `python -m bench`. Each prints its own final `BENCH ...` line."""

from __future__ import annotations

import importlib
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
        print(f"== bench.{module_info.name}", flush=True)
        try:
            run()
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                failed.append(module_info.name)
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the others
            print(f"bench.{module_info.name} crashed: {error!r}", flush=True)
            failed.append(module_info.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
