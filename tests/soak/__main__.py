"""`python -m tests.soak [--short]`: run the soak with faults (see tests/soak/soak.py); exit 1 when it fails."""

from __future__ import annotations

import argparse
import sys

from tests.soak.soak import Plan, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short form CI runs (about a minute and a half)")
    args = parser.parse_args()
    verdict = run(Plan.short() if args.short else Plan.full(), print_=lambda line: print(line, flush=True))
    for line in verdict.lines:
        print(line, flush=True)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
