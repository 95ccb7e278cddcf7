"""The BIO2 measure ids the questionnaires may cite, with their status in BIO2 v1.3 (ids only, no measure text)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

MEASURES_FILE = Path(__file__).with_name("bio2_measures.json")
MEASURE_ID = re.compile(r"^\d\.\d{2}\.\d{2}$")


@cache
def measure_statuses() -> dict[str, str]:
    """Measure id -> status: active, no_government_measure, withdrawn, moved:<id> or see:<id>."""
    data = json.loads(MEASURES_FILE.read_text(encoding="utf-8"))
    return dict(data["measures"])


def is_active(measure_id: str) -> bool:
    """True when BIO2 v1.3 has a government measure under this id (not merely an ISO control without one)."""
    return measure_statuses().get(measure_id) == "active"


def measure_problem(measure_id: object) -> str | None:
    """Why this measure id may not be cited, or None when it may.

    Citable: active measures and ISO controls without a government measure (`x.yy.01` marked
    no_government_measure), since the control still applies. Not citable: unknown, withdrawn, moved or
    redirected ids; the message says where a moved measure went.
    """
    if not isinstance(measure_id, str) or not MEASURE_ID.match(measure_id):
        return f"{measure_id!r} is not a BIO2 measure id (expected the form 5.17.01)"
    status = measure_statuses().get(measure_id)
    if status is None:
        return f"{measure_id} is not a BIO2 v1.3 measure id"
    if status == "withdrawn":
        return f"{measure_id} is withdrawn in BIO2 v1.3"
    if status.startswith("moved:"):
        target = status.split(":", 1)[1]
        return f"{measure_id} moved to {target} in BIO2 v1.3; cite {target} instead"
    if status.startswith("see:"):
        target = status.split(":", 1)[1]
        return f"{measure_id} only refers to {target} in BIO2 v1.3; cite {target} instead"
    return None
