"""Render a mail from its templates: `templates/<lang>/<kind>.txt` (+ optional `.html`).

The text template sets the subject at top level: `{% set subject = "..." %}`. Both bodies get the same context,
plus `lang`, and the filters `longdate` (31 oktober 2026) and `longdatetime` (with the time, Amsterdam time).
HTML is autoescaped; the text body is not (it is plain text, never interpreted as markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


_MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def _local_zone() -> Any:
    # Recipients are in the Netherlands: times in mails are Amsterdam time (UTC if the zone database is missing).
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata is part of Debian
        return UTC


@jinja2.pass_context
def _long_date(context: Any, value: date | datetime) -> str:
    """31 oktober 2026 / 31 October 2026."""
    lang = context.get("lang", "nl")
    if isinstance(value, datetime):
        value = value.astimezone(_local_zone()).date()
    return f"{value.day} {_MONTHS.get(lang, _MONTHS['nl'])[value.month - 1]} {value.year}"


@jinja2.pass_context
def _long_datetime(context: Any, value: datetime) -> str:
    """20 oktober 2026 om 16:30 / 20 October 2026 at 16:30 (Dutch time)."""
    lang = context.get("lang", "nl")
    local = value.astimezone(_local_zone())
    day = _long_date(context, local.date())
    if lang == "en":
        return f"{day} at {local:%H:%M} (Dutch time)"
    return f"{day} om {local:%H:%M}"


@cache
def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,  # noqa: S701 - the text body is plain text; the HTML body escapes
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = _long_date
    env.filters["longdatetime"] = _long_datetime
    return env


def render_mail(kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
    """Render mail `kind` in `language` (falls back to Dutch). Raises if the template is missing."""
    lang = language if language in LANGUAGES else "nl"
    context = {"lang": lang, **context}
    text_template = _env(False).get_template(f"{lang}/{kind}.txt")
    module = text_template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"mail template {lang}/{kind}.txt does not set a subject")
    text = str(module)
    html = None
    if (TEMPLATE_DIR / lang / f"{kind}.html").exists():
        html = _env(True).get_template(f"{lang}/{kind}.html").render(context)
    return RenderedMail(subject=subject, text=text, html=html)
