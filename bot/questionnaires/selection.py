"""Which questionnaires a contract gets, from its risk tier and facts (documented in the README)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FULL = "bio2-leverancier"
LIGHT = "bio2-leverancier-licht"
PROCESSOR = "avg-verwerker"

# Medium risk gets the full questionnaire: the light one leaves out backups, monitoring and segmentation, the
# very gaps of the Hof van Twente incident. Medium and high differ in cadence, not in content.
BY_RISK_TIER = {"high": FULL, "medium": FULL, "low": LIGHT}


def questionnaires_for(facts: Mapping[str, Any]) -> list[str]:
    """Questionnaire ids for a contract with these facts ({"risk_tier", "personal_data", "cloud_hosted"}).

    Raises ValueError for an unknown risk tier. Hosting (`cloud_hosted`) changes which questions are shown
    inside a questionnaire, not which questionnaires are sent.
    """
    tier = facts.get("risk_tier")
    if tier not in BY_RISK_TIER:
        raise ValueError(f"unknown risk tier {tier!r}; expected one of {', '.join(BY_RISK_TIER)}")
    ids = [BY_RISK_TIER[tier]]
    if facts.get("personal_data"):
        ids.append(PROCESSOR)
    return ids
