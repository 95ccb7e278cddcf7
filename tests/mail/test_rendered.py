"""Every mail reads exactly as it did before the templates moved to gettext: the rendered subject, text and HTML of
each case below, in Dutch and English, are compared with the files in `rendered/` (the product's wording).

A deliberate change of wording changes the template and its file together: run
`.venv/bin/python -m tests.mail.test_rendered` to write the files anew, and read the diff before committing it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.mail.kinds import KINDS
from bot.mail.render import RenderedMail, render_mail

RENDERED = Path(__file__).parent / "rendered"
LANGUAGES = ("nl", "en")

_ONE_CONTRACT = KINDS["invitation"]["contracts"][:1]
_DIGEST = KINDS["escalation-digest"]
_RISKY_ITEM = dict(_DIGEST["items"][1], risk_label="kritiek", score=41)

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    **{kind: (kind, context) for kind, context in KINDS.items()},
    "invitation-one-contract": ("invitation", dict(KINDS["invitation"], contracts=_ONE_CONTRACT)),
    "reminder-one-day": ("reminder", dict(KINDS["reminder"], days_left=1, contracts=_ONE_CONTRACT)),
    "reminder-overdue": ("reminder", dict(KINDS["reminder"], days_left=0)),
    "reminder-renewal": (
        "reminder",
        dict(KINDS["reminder"], kind="evidence", documents=["Upload het ISO 27001-certificaat."], days_left=5),
    ),
    "follow-up-two-questions-no-remark": (
        "follow-up",
        dict(
            KINDS["follow-up"],
            remark="",
            questions=[{"id": "a", "text": "Vraag A?"}, {"id": "b", "text": "Vraag B?"}],
        ),
    ),
    "evidence-renewal-with-question": (
        "evidence-renewal",
        dict(KINDS["evidence-renewal"], question="Upload het ISO 27001-certificaat.", expires_on=date(2027, 1, 8)),
    ),
    "escalation-digest-ciso-one-item": (
        "escalation-digest",
        dict(_DIGEST, level="ciso", items=[_RISKY_ITEM]),
    ),
    "escalation-digest-every-reason": (
        "escalation-digest",
        dict(
            _DIGEST,
            items=[
                dict(_DIGEST["items"][0], reason=reason, score=None, risk_label="hoog" if n % 2 else "")
                for n, reason in enumerate(
                    ("overdue", "findings", "evidence-expiring", "evidence-lapsed", "renewal-late", "unreachable")
                    + ("something-new",)
                )
            ]
            + [
                dict(
                    _RISKY_ITEM,
                    findings=[
                        dict(f, severity=s)
                        for f in _RISKY_ITEM["findings"]
                        for s in ("critical", "high", "medium", "low")
                    ],
                )
            ],
        ),
    ),
}


def _as_text(mail: RenderedMail) -> str:
    return f"Subject: {mail.subject}\n\n{mail.text}"


def _files(case: str, lang: str) -> tuple[Path, Path]:
    return RENDERED / f"{case}.{lang}.txt", RENDERED / f"{case}.{lang}.html"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_mail_reads_as_before(case: str, lang: str):
    kind, context = CASES[case]
    mail = render_mail(kind, lang, context)
    text_file, html_file = _files(case, lang)
    assert _as_text(mail) == text_file.read_text(encoding="utf-8")
    assert mail.html == html_file.read_text(encoding="utf-8")


def write_all() -> None:
    RENDERED.mkdir(exist_ok=True)
    for case, (kind, context) in CASES.items():
        for lang in LANGUAGES:
            mail = render_mail(kind, lang, context)
            text_file, html_file = _files(case, lang)
            text_file.write_text(_as_text(mail), encoding="utf-8")
            html_file.write_text(mail.html or "", encoding="utf-8")


if __name__ == "__main__":
    write_all()
