"""The risk level of an uitvraag: its worst open finding, so that a good-looking score cannot hide a critical one.

Fourteen high findings can still score 83 out of 100; the risk level says "high". Every page, export and mail that
shows a score shows this level beside it, computed here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Severity

NONE = "none"
RISK_LEVELS: tuple[str, ...] = (*(s.value for s in Severity), NONE)  # worst first
LABELS: dict[str, tuple[str, str]] = {
    "critical": ("kritiek", "critical"),
    "high": ("hoog", "high"),
    "medium": ("gemiddeld", "medium"),
    "low": ("laag", "low"),
    NONE: ("geen open bevindingen", "none"),
}


def risk_level(open_severities: Iterable[str]) -> str:
    """The worst of the severities of the open findings ("critical" ... "low"), or "none" without any."""
    present = set(open_severities)
    return next((level for level in RISK_LEVELS if level in present), NONE)


def risk_label(level: str, language: str) -> str:
    """The level as a reader sees it, in Dutch ("nl") or English."""
    nl, en = LABELS.get(level, (level, level))
    return en if language == "en" else nl
