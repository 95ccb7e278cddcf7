"""The planner's fast mail rendering gives byte-for-byte what the templates give, for any names and links."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cycles.rendering import CHECKED_RENDERS, MailRenderer
from bot.mail.kinds import KINDS
from bot.mail.render import render_mail

RENDERER = MailRenderer()  # shared across examples, so that most renders take the fast path
names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
hostile = st.sampled_from(
    ["", "Jansen & Zn <b>", "O\"Brien's", "a\nBcc: x@y", "  ruimte  ", "Zürich — Ωmega", "{{ 7*7 }}"]
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
    if "days_left" in context:
        context["days_left"] = draw(st.sampled_from([14, 3, 1]))
    context["deadline"] = draw(st.sampled_from([date(2026, 10, 31), date(2027, 1, 31)]))
    return kind, draw(st.sampled_from(["nl", "en"])), context


@settings(max_examples=300, deadline=None)
@given(contexts())
def test_fast_rendering_equals_the_templates(case: tuple[str, str, dict[str, Any]]) -> None:
    kind, language, context = case
    assert RENDERER.render(kind, language, context) == render_mail(kind, language, context)


def test_a_cycle_of_invitations_needs_only_a_few_real_renders() -> None:
    renderer = MailRenderer()
    sample = KINDS["invitation"]
    for n in range(500):
        context = dict(sample, supplier_name=f"Leverancier {n} & Zn", link=f"https://uitvraag.example/q/{n}")
        mail = renderer.render("invitation", "nl", context)
        assert f"Leverancier {n} &amp; Zn" in (mail.html or "") and f"/q/{n}\n" in mail.text
    assert renderer.real_renders == 1 + CHECKED_RENDERS
