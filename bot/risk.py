"""The risk level of an uitvraag: its worst open finding, so that a good-looking score cannot hide a critical one.

Fourteen high findings can still score 83 out of 100; the risk level says "high". Every page, export and mail that
shows a score shows this level beside it, computed here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import translations
from bot.models import Severity

NONE = "none"
RISK_LEVELS: tuple[str, ...] = (*(s.value for s in Severity), NONE)  # worst first


def risk_level(open_severities: Iterable[str]) -> str:
    """The worst of the severities of the open findings ("critical" ... "low"), or "none" without any."""
    present = set(open_severities)
    return next((level for level in RISK_LEVELS if level in present), NONE)


def risk_label(level: str, language: str) -> str:
    """The level as a reader sees it, in `language` (mails are written outside requests: the locale is explicit)."""
    words = translations(language)
    labels = {
        "critical": words.pgettext("severity in a mail", "critical"),
        "high": words.pgettext("severity in a mail", "high"),
        "medium": words.pgettext("severity in a mail", "medium"),
        "low": words.pgettext("severity in a mail", "low"),
        NONE: words.pgettext("severity in a mail", "none"),
    }
    return labels.get(level, level)
