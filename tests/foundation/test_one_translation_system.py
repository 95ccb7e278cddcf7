"""One translation system: gettext catalogues through `_()`. The systems it replaced cannot come back unnoticed:
no `t("key")`/`tr("nl", "en")` helpers or tables, no template tree per language, no hand-written month names."""

from __future__ import annotations

import re
from pathlib import Path

from babel.dates import get_month_names
from flask import Flask, g

from bot.i18n import current_language

BOT = Path(__file__).resolve().parents[2] / "bot"
TEXT_FILES = (".py", ".html", ".txt", ".js")
MONTHS = {language: list(get_month_names("wide", locale=language).values()) for language in ("nl", "en")}


def _sources() -> list[Path]:
    """The product's code and templates; the catalogues and the questionnaires (data, with their own _nl/_en) apart."""
    skip = (BOT / "translations", BOT / "questionnaires", BOT / "demo_data")
    return sorted(
        path
        for path in BOT.rglob("*")
        if path.suffix in TEXT_FILES and path.is_file() and not any(path.is_relative_to(s) for s in skip)
    )


def test_no_translation_helper_or_table_besides_gettext():
    assert not (BOT / "supplier" / "strings.py").exists()
    helper = re.compile(r"^\s*def (t|tr|translate)\(", re.MULTILINE)
    call = re.compile(r"(?<![\w.])(t|tr)\(\s*['\"]")
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if helper.search(text) or (path.suffix != ".py" and call.search(text)):
            found.append(str(path.relative_to(BOT)))
    assert not found, f"a second way to translate; use _() and the catalogues: {found}"


def test_no_template_tree_per_language():
    per_language = [
        str(path.relative_to(BOT))
        for path in BOT.rglob("*")
        if path.is_dir() and path.name in ("nl", "en") and not path.is_relative_to(BOT / "translations")
    ]
    assert not per_language, f"one template for both languages, texts through _(): {per_language}"


def test_no_hand_written_month_names():
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for language, names in MONTHS.items():
            named = {name for name in names if re.search(rf"\b{name}\b", text, re.IGNORECASE)}
            if len(named) >= 3:  # an example date in a docstring names one; a list of months names many
                found.append(f"{path.relative_to(BOT)} ({language}: {sorted(named)})")
    assert not found, f"dates are formatted by Babel (bot/i18n.py), not from a list of months: {found}"


def test_the_supplier_form_speaks_the_suppliers_language_whoever_is_signed_in(app: Flask):
    with app.test_request_context("/q/uitvraag/1"):
        g.staff_lang = "en"  # a staff user signed in in the same browser
        g.lang = "nl"  # the supplier form's choice (the uitvraag's language, or the switch)
        assert current_language() == "nl"
    with app.test_request_context("/staff/"):
        g.staff_lang = "en"
        assert current_language() == "en"
