"""The gettext catalogues are complete: every text in the code is in both, translated, not fuzzy, and compiled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "bot" / "translations"
LOCALES = ("nl", "en")


def _catalogue(locale: str):  # noqa: ANN202 - babel's Catalog
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _key(message) -> tuple[str | None, object]:  # noqa: ANN001 - babel's Message
    """A message's identity: its context and its msgid (a tuple for a plural)."""
    return message.context, tuple(message.id) if isinstance(message.id, list | tuple) else message.id


def _text(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _is_translated(string: object) -> bool:
    """Every form filled in (a plural has one string per form)."""
    return all(string if isinstance(string, list | tuple) else (string,))


def _extracted(tmp_path: Path) -> set[tuple[str | None, object]]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_", "-k", "gettext",
         "--no-location", "--omit-header", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        return {_key(message) for message in read_po(handle) if message.id}


def test_every_extracted_text_is_in_both_catalogues(tmp_path: Path) -> None:
    extracted = _extracted(tmp_path)
    assert len(extracted) > 100  # the staff area alone has more; an empty extraction means babel.cfg is wrong
    for locale in LOCALES:
        known = {_key(message) for message in _catalogue(locale) if message.id}
        missing = sorted(map(str, extracted - known))
        assert not missing, f"{locale}: not in the catalogue, run `make translations` and fill in: {missing}"


def test_no_entry_is_untranslated_or_fuzzy() -> None:
    for locale in LOCALES:
        catalogue = _catalogue(locale)
        untranslated = sorted(str(m.id) for m in catalogue if m.id and not _is_translated(m.string))
        fuzzy = sorted(m.id for m in catalogue if m.id and m.fuzzy)
        assert not untranslated, f"{locale}: untranslated: {untranslated}"
        assert not fuzzy, f"{locale}: fuzzy (check and remove the flag): {fuzzy}"


def test_compiled_catalogues_match_their_sources() -> None:
    for locale in LOCALES:
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
            compiled = {_key(m): _text(m.string) for m in read_mo(handle) if m.id}
        source = {_key(m): _text(m.string) for m in _catalogue(locale) if m.id}
        assert compiled == source, f"{locale}: messages.mo is stale, run `make translations`"
