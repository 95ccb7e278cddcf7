"""One translation system: Flask-Babel with gettext catalogues in bot/translations/{nl,en}/LC_MESSAGES.

Msgids are English; Dutch is the default locale and has a complete catalogue. The page decides the locale: the
staff area takes the signed-in user's language (or the `?lang=` switch), the supplier form the supplier's choice.
Dates and times are formatted by Babel in Europe/Amsterdam.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

import flask_babel
from babel.dates import format_date as babel_format_date
from babel.support import Translations
from flask import Flask, g
from flask_babel import Babel

from bot.timeutil import local_time

LANGUAGES = ("nl", "en")
DEFAULT_LOCALE = "nl"
TIMEZONE = "Europe/Amsterdam"
TRANSLATIONS = Path(__file__).parent / "translations"


def current_language() -> str:
    """The language of the page being built: the supplier's on the supplier form (set by its pages, whoever else is
    signed in in that browser), else the staff user's, else Dutch."""
    for name in ("lang", "staff_lang"):
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
    app.add_template_global(format_long_moment, "format_long_moment")


def page_locale() -> str:
    """The locale the current page (or `force_locale` block) is rendered in."""
    return str(flask_babel.get_locale() or DEFAULT_LOCALE)


def in_each_language(text: object) -> dict[str, str]:
    """A gettext text (a lazy string) read in every language: `{"nl": ..., "en": ...}`, for the API's messages."""
    found = {}
    for language in LANGUAGES:
        with flask_babel.force_locale(language):
            found[language] = str(text)
    return found


def format_day(value: date | datetime | None) -> str:
    """A date as people read it, in the page's language: "2 januari 2027" (a moment: its Amsterdam date)."""
    return "" if value is None else format_long_date(value, page_locale())


def format_moment(value: datetime | None) -> str:
    """A stored (UTC) moment in Amsterdam time, in the page's language: "2 jan 2027 14:05"."""
    if value is None:
        return ""
    return f"{flask_babel.format_date(value, 'medium')} {flask_babel.format_time(value, 'HH:mm')}"


@cache
def translations(locale: str) -> Translations:
    """The catalogue of `locale` (Dutch for an unknown one), for text rendered outside a request: mails."""
    found = Translations.load(str(TRANSLATIONS), [locale if locale in LANGUAGES else DEFAULT_LOCALE])
    if not isinstance(found, Translations):  # a missing .mo would otherwise mail English msgids to Dutch readers
        raise RuntimeError(f"no compiled catalogue for {locale} in {TRANSLATIONS}: run `make translations`")
    return found


def format_long_date(value: date | datetime, locale: str) -> str:
    """A date written out in `locale`, by Babel: 31 oktober 2026 / 31 October 2026 (a moment: its Amsterdam date)."""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return str(babel_format_date(value, "d MMMM y", locale=locale))


def format_long_moment(value: datetime, locale: str | None = None) -> str:
    """A moment in Amsterdam time, in `locale` (default: the page's): 20 oktober 2026 om 16:30 / 20 October 2026 at
    16:30 (Dutch time)."""
    locale = locale or page_locale()
    local = local_time(value)
    text = translations(locale).gettext("%(day)s at %(time)s (Dutch time)")
    return text % {"day": format_long_date(local, locale), "time": f"{local:%H:%M}"}
