"""Render a mail from its templates: `templates/<kind>.txt` (+ optional `.html`), in the recipient's language.

The templates speak through gettext (`_()`, `ngettext()`, `pgettext()`) with the application's catalogues
(bot/translations), so a mail and a page say the same thing in the same words. Mails are rendered outside any
request (by the planner, the sweep and the worker), so the renderer does not ask Flask-Babel for the locale: it
renders under the locale it is given, with that locale's catalogue (`bot.i18n.translations`).

The text template sets the subject at top level: `{% set subject = _("...") %}`. Both bodies get the same context,
plus `lang`, and the filters `longdate` (31 oktober 2026) and `longdatetime` (with the time, Amsterdam time), both
formatted by Babel. HTML is autoescaped; the text body is not (it is plain text, never interpreted as markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import jinja2

from bot.i18n import DEFAULT_LOCALE, LANGUAGES, format_long_date, format_long_moment, translations

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


@cache
def environment(autoescape: bool, locale: str) -> jinja2.Environment:
    """The Jinja environment of one body kind (HTML autoescaped, or text) in `locale`, its catalogue installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,  # noqa: S701 - the text body is plain text; the HTML body escapes
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["longdate"] = partial(format_long_date, locale=locale)
    env.filters["longdatetime"] = partial(format_long_moment, locale=locale)
    return env


def render_mail(kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
    """Render mail `kind` in `language` (falls back to Dutch). Raises if the template is missing."""
    lang = language if language in LANGUAGES else DEFAULT_LOCALE
    context = {"lang": lang, **context}
    text_template = environment(False, lang).get_template(f"{kind}.txt")
    module = text_template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"mail template {kind}.txt does not set a subject")
    text = str(module)
    html = None
    if (TEMPLATE_DIR / f"{kind}.html").exists():
        html = environment(True, lang).get_template(f"{kind}.html").render(context)
    return RenderedMail(subject=subject, text=text, html=html)
