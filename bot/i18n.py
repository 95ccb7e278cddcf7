"""One translation system: Flask-Babel with gettext catalogues in bot/translations/{nl,en}/LC_MESSAGES.

Msgids are English; Dutch is the default locale and has a complete catalogue. The page decides the locale: the
staff area takes the signed-in user's language (or the `?lang=` switch), the supplier form the supplier's choice.
Dates and times are formatted by Babel in Europe/Amsterdam.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import flask_babel
from flask import Flask, g
from flask_babel import Babel

LANGUAGES = ("nl", "en")
DEFAULT_LOCALE = "nl"
TIMEZONE = "Europe/Amsterdam"
TRANSLATIONS = Path(__file__).parent / "translations"


def current_language() -> str:
    """The language of the page being built: the staff user's, else the supplier's, else Dutch."""
    for name in ("staff_lang", "lang"):
        value = g.get(name)
        if value in LANGUAGES:
            return str(value)
    return DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=current_language,
        default_locale=DEFAULT_LOCALE,
        default_timezone=TIMEZONE,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.add_template_global(format_day, "format_day")
    app.add_template_global(format_moment, "format_moment")


def format_day(value: date | datetime | None) -> str:
    """A date as people read it, in the page's language: "2 januari 2027" (a moment: its Amsterdam date)."""
    return "" if value is None else flask_babel.format_date(value, "long")


def format_moment(value: datetime | None) -> str:
    """A stored (UTC) moment in Amsterdam time, in the page's language: "2 jan 2027 14:05"."""
    if value is None:
        return ""
    return f"{flask_babel.format_date(value, 'medium')} {flask_babel.format_time(value, 'HH:mm')}"
