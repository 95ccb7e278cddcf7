"""The risk level is the worst open finding, whatever the score says."""

from __future__ import annotations

from bot.risk import risk_label, risk_level


def test_the_worst_open_severity_is_the_risk_level():
    assert risk_level(["low", "high", "medium"]) == "high"
    assert risk_level(["medium"] * 20 + ["critical"]) == "critical"
    assert risk_level([]) == "none"


def test_levels_read_well_in_dutch_and_english():
    assert [risk_label(level, "nl") for level in ("critical", "high", "medium", "low")] == [
        "kritiek",
        "hoog",
        "gemiddeld",
        "laag",
    ]
    assert risk_label("none", "en") == "none" and risk_label("medium", "en") == "medium"
