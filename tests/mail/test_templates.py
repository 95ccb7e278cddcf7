"""Every kind of mail renders in Dutch and English, as text and HTML, with exactly the links its context gives."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from bot.mail.kinds import KINDS
from bot.mail.render import TEMPLATE_DIR, render_mail

LANGUAGES = ("nl", "en")
BASE_URL = "https://uitvraag.gemeente.test"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag == "html":
            self.lang = values.get("lang")


def _context_links(value: Any) -> set[str]:
    """Every URL in a context, at any depth (the values whose key ends in `link`)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("link") and isinstance(item, str):
                found.add(item)
            else:
                found |= _context_links(item)
    elif isinstance(value, list):
        for item in value:
            found |= _context_links(item)
    return found


def _rebase(value: Any) -> Any:
    """The sample context with every link on BASE_URL, as callers build them."""
    if isinstance(value, dict):
        return {key: _rebase(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebase(item) for item in value]
    if isinstance(value, str) and value.startswith("https://uitvraag.example"):
        return BASE_URL + value[len("https://uitvraag.example") :]
    return value


def test_every_kind_has_one_text_and_one_html_template_for_both_languages():
    for kind in KINDS:
        assert (TEMPLATE_DIR / f"{kind}.txt").is_file(), f"{kind}.txt is missing"
        assert (TEMPLATE_DIR / f"{kind}.html").is_file(), f"{kind}.html is missing"
    assert not [path for path in TEMPLATE_DIR.iterdir() if path.is_dir()], "one tree, not one a language"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mail_renders_with_every_link_from_its_context(kind: str, lang: str):
    context = _rebase(KINDS[kind])
    expected = _context_links(context)
    assert expected, f"sample of {kind} has no link"
    mail = render_mail(kind, lang, context)

    assert mail.subject and "\n" not in mail.subject and len(mail.subject) <= 300
    # The text body shows each link on a line of its own (clickable in every mail client) and no other URL.
    text_urls = set(re.findall(r"https?://\S+", mail.text))
    assert text_urls == expected
    for link in expected:
        assert any(line.strip() == link for line in mail.text.splitlines()), f"{link} not on its own line"

    parser = _Links()
    parser.feed(mail.html or "")
    web_links = {href for href in parser.hrefs if not href.startswith("mailto:")}
    assert web_links == expected
    assert all(href.startswith(BASE_URL + "/") for href in web_links)
    assert parser.lang == lang
    # Nothing left unrendered, in either body.
    for body in (mail.text, mail.html or ""):
        assert "{{" not in body and "{%" not in body and "None" not in body


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_dutch_and_english_differ_and_speak_to_the_reader(kind: str):
    dutch = render_mail(kind, "nl", KINDS[kind])
    english = render_mail(kind, "en", KINDS[kind])
    assert dutch.subject != english.subject
    assert dutch.text.startswith("Beste ")
    assert english.text.startswith("Dear ")


def test_dates_are_written_out_in_the_readers_language():
    assert "uiterlijk 31 oktober 2026" in render_mail("invitation", "nl", KINDS["invitation"]).text
    assert "by 31 October 2026" in render_mail("invitation", "en", KINDS["invitation"]).text
    # 14:30 UTC on 20 October is 16:30 in Amsterdam (summer time).
    assert "20 oktober 2026 om 16:30" in render_mail("receipt", "nl", KINDS["receipt"]).text


def test_html_escapes_what_suppliers_and_staff_typed():
    context = dict(KINDS["follow-up"], remark='<script>alert("x")</script> & co', supplier_name="A <b>B</b>")
    mail = render_mail("follow-up", "nl", context)
    assert "<script>" not in (mail.html or "")
    assert "&lt;script&gt;" in (mail.html or "")
    assert "A &lt;b&gt;B&lt;/b&gt;" in (mail.html or "")
    assert '<script>alert("x")</script> & co' in mail.text  # plain text stays as typed


def test_unknown_language_falls_back_to_dutch():
    assert render_mail("signin-link", "de", KINDS["signin-link"]).text.startswith("Beste ")
