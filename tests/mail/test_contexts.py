"""Each link-bearing supplier mail has one context builder, and it gives exactly what the kind's templates take."""

from __future__ import annotations

from datetime import date

from bot.mail import contexts
from bot.mail.kinds import KINDS
from bot.mail.render import render_mail

INVITATION = {
    "supplier_name": "Leverancier BV",
    "organisation_name": "Gemeente Testdorp",
    "contracts": [{"reference": "ZK-1", "name": "Zaaksysteem"}],
    "questionnaire_title": "BIO2-leveranciersvragenlijst",
    "cycle": "2026-Q4",
    "deadline": date(2026, 10, 31),
    "link": "https://uitvraag.example/q/TOKEN",
    "owner_name": "Olga Eigenaar",
    "owner_email": "olga@gemeente.example",
}
BUILT = {
    "invitation": contexts.invitation_context(**INVITATION),
    "follow-up": contexts.follow_up_context(remark="Graag MFA", questions=[{"id": "q1", "text": "MFA?"}], **INVITATION),
    "reminder": contexts.reminder_context(days_left=3, kind="regular", documents=[], **INVITATION),
}


def test_each_builder_gives_the_fields_of_its_kind_and_the_mail_renders() -> None:
    for kind, context in BUILT.items():
        assert sorted(context) == sorted(KINDS[kind]), kind
        mail = render_mail(kind, "nl", context)
        assert "https://uitvraag.example/q/TOKEN" in mail.text and "Olga Eigenaar" in mail.text
