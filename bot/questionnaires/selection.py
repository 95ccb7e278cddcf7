"""Which questionnaires a contract gets, from its risk tier and facts, and when (documented in the README).

The questionnaires of `questionnaires_for` come once a year, in the cycle that holds FULL_QUESTIONNAIRE_MONTH; in
the other cycles of its cadence a contract that has had them gets the short update questionnaire instead
(`yearly_or_update`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FULL = "bio2-leverancier"
LIGHT = "bio2-leverancier-licht"
PROCESSOR = "avg-verwerker"
UPDATE = "bio2-update"  # the quarterly "what changed" questionnaire between two full ones

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


def yearly_or_update(
    yearly: list[str], *, full_cycle: bool, answered_before: bool, asked_this_cycle: bool
) -> list[str]:
    """The questionnaires to send a contract this cycle: its yearly ones (`yearly`, from `questionnaires_for`) in
    the cycle of the full questionnaire, or when it never had them (a new contract starts with the full one), or
    when it already had them this cycle; otherwise only the update questionnaire."""
    if full_cycle or asked_this_cycle or not answered_before:
        return yearly
    return [UPDATE]
