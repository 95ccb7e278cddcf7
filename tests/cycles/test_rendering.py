"""The planner's fast mail rendering gives byte-for-byte what the templates give, for any names and links, and
only fills a skeleton with values the templates merely print (read from the templates, not sampled)."""

from __future__ import annotations

from datetime import date
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cycles.rendering import MailRenderer, plain_string, template_uses, uses_in
from bot.mail.kinds import KINDS
from bot.mail.render import render_mail

RENDERER = MailRenderer()  # shared across examples, so that most renders take the fast path
names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
hostile = st.sampled_from(
    ["", "Jansen & Zn <b>", "O\"Brien's", "a\nBcc: x@y", "  ruimte  ", "Zürich — Ωmega", "{{ 7*7 }}", "evidence"]
)
value = st.one_of(names, hostile)


@st.composite
def contexts(draw: Any) -> tuple[str, str, dict[str, Any]]:
    kind = draw(st.sampled_from(["invitation", "reminder", "evidence-renewal"]))
    context = dict(KINDS[kind])
    for key, sample in KINDS[kind].items():
        if isinstance(sample, str):
            context[key] = draw(value)
    if "contracts" in context:
        context["contracts"] = [{"reference": draw(value), "name": draw(value)} for _ in range(draw(st.integers(1, 3)))]
    if "documents" in context:
        context["documents"] = [draw(value) for _ in range(draw(st.integers(0, 2)))]
    if "days_left" in context:
        context["days_left"] = draw(st.sampled_from([14, 3, 1, 0]))
    context["deadline"] = draw(st.sampled_from([date(2026, 10, 31), date(2027, 1, 31)]))
    return kind, draw(st.sampled_from(["nl", "en"])), context


@settings(max_examples=300, deadline=None)
@given(contexts())
def test_fast_rendering_equals_the_templates(case: tuple[str, str, dict[str, Any]]) -> None:
    kind, language, context = case
    assert RENDERER.render(kind, language, context) == render_mail(kind, language, context)


def test_a_cycle_of_invitations_needs_one_real_render() -> None:
    renderer = MailRenderer()
    sample = KINDS["invitation"]
    for n in range(500):
        context = dict(sample, supplier_name=f"Leverancier {n} & Zn", link=f"https://uitvraag.example/q/{n}")
        mail = renderer.render("invitation", "nl", context)
        assert f"Leverancier {n} &amp; Zn" in (mail.html or "") and f"/q/{n}\n" in mail.text
    assert renderer.real_renders == 1


def test_a_value_the_template_compares_is_part_of_the_shape() -> None:
    """reminder compares `kind` with "evidence": each value of it is rendered for real once, never filled in."""
    uses = template_uses("reminder", "nl")
    assert not plain_string(uses, ("kind",)) and plain_string(uses, ("supplier_name",))
    renderer = MailRenderer()
    for kind in ("regular", "evidence", "regular", "evidence"):
        context = dict(KINDS["reminder"], kind=kind, documents=["ISO 27001-certificaat"])
        assert renderer.render("reminder", "nl", context) == render_mail("reminder", "nl", context)
    assert renderer.real_renders == 2


def uses(templates: dict[str, str]) -> dict[tuple[str, ...], set[str]]:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), extensions=["jinja2.ext.i18n"])  # noqa: S701 - text
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    found: dict[tuple[str, ...], set[str]] = {}
    for path, use in uses_in(env, "mail.txt"):
        found.setdefault(path, set()).add(use)
    return found


@pytest.mark.parametrize(
    "template",
    [
        "{{ name|truncate(10) }}",  # the review's case: the first renders matched, later ones did not
        "{{ name|upper }}",
        "{% if name == 'x' %}x{% endif %}",
        "{{ name ~ '!' }}",
        "{{ name[:3] }}",
        "{% set short = name %}{{ short|truncate(5) }}",
        "{% for c in contracts %}{{ c.name|truncate(5) }}{% endfor %}",
        "{% macro shout(text) %}{{ text|upper }}{% endmacro %}{{ shout(name) }}",
        "{% import 'macros.txt' as m %}{{ m.shout(name) }}",
        "{% include 'part.txt' %}",
        "{{ _('Dear %(name).3s', name=name) }}",
        "{{ _('Dear %(name)s', name=name|title) }}",
        "{{ name is sameas 'x' }}",
        "{{ name.startswith('A') }}",
        "{% with n = name %}{{ n }}{% endwith %}",
    ],
)
def test_a_value_used_in_any_other_way_than_printing_never_stands_in_a_skeleton(template: str) -> None:
    found = uses(
        {
            "mail.txt": template,
            "macros.txt": "{% macro shout(text) %}{{ text|upper }}{% endmacro %}",
            "part.txt": "{{ name|wordwrap(5) }}",
        }
    )
    paths = [("name",), ("contracts", "[]", "name")]
    assert not any(plain_string(found, path) and path in found for path in paths), found


@pytest.mark.parametrize(
    "template",
    [
        "{{ name }}",
        "{% if name %}{{ name }}{% endif %}",
        "{{ _('Dear %(name)s,', name=name) }}",
        "{% macro strong(text) %}<b>{{ text }}</b>{% endmacro %}{{ _('Dear %(name)s,', name=strong(name)) }}",
        "{% set subject = _('About %(name)s', name=name) %}",
        "{% for c in contracts %}{{ c.name }}{{ ', ' if not loop.last }}{% endfor %}{{ contracts|length }}",
    ],
)
def test_a_value_that_is_only_printed_stands_in_a_skeleton(template: str) -> None:
    found = uses({"mail.txt": template})
    for path in [("name",), ("contracts", "[]", "name")]:
        assert plain_string(found, path)
    assert any(use == "print" for kinds in found.values() for use in kinds)
