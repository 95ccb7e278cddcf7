"""Render a mail from its templates: `templates/<lang>/<kind>.txt` (+ optional `.html`).

The text template sets the subject at top level: `{% set subject = "..." %}`. Both bodies get the same context,
plus `base_url`. HTML is autoescaped; the text body is not (it is plain text, never interpreted as markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


@cache
def _env(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,  # noqa: S701 - the text body is plain text; the HTML body escapes
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
