"""Every kind of mail the service sends, with the context its templates receive and a sample of it.

This is the contract between the code that queues a mail (`outbox.enqueue(kind=..., context=...)`) and the
templates in `templates/<kind>.txt|.html` (one tree; its texts are translated through gettext). Dates are
`date`/`datetime` objects; links are absolute URLs built from BASE_URL. The samples drive the rendering tests and
the previews.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

_CONTRACTS = [{"reference": "ZK-2026-01", "name": "Zaaksysteem"}, {"reference": "ZK-2026-02", "name": "Hosting"}]
_FINDINGS = [
    {
        "question_id": "mfa-remote-admin",
        "question_text": "Is MFA verplicht voor beheer op afstand?",
        "severity": "critical",
        "reason": "Geen MFA op beheertoegang op afstand.",
        "measures": ["8.05.01"],
    }
]

KINDS: dict[str, dict[str, Any]] = {
    # To the supplier: a new uitvraag for this cycle.
    "invitation": {
        "supplier_name": "Leverancier BV",
        "organisation_name": "Gemeente Testdorp",
        "contracts": _CONTRACTS,
        "questionnaire_title": "BIO2-leveranciersvragenlijst",
        "cycle": "2026-Q4",
        "deadline": date(2026, 10, 31),
        "link": "https://uitvraag.example/q/TOKEN",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.example",
    },
    # To the supplier: before the deadline, with a fresh link.
    "reminder": {
        "supplier_name": "Leverancier BV",
        "organisation_name": "Gemeente Testdorp",
        "contracts": _CONTRACTS,
        "questionnaire_title": "BIO2-leveranciersvragenlijst",
        "cycle": "2026-Q4",
        "deadline": date(2026, 10, 31),
        "days_left": 3,
        "kind": "regular",  # regular | follow-up | evidence (a renewal: `documents` names what is still missing)
        "documents": [],
        "link": "https://uitvraag.example/q/TOKEN",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.example",
    },
    # To the supplier: the contract owner asks about chosen questions again.
    "follow-up": {
        "supplier_name": "Leverancier BV",
        "organisation_name": "Gemeente Testdorp",
        "contracts": _CONTRACTS,
        "questionnaire_title": "BIO2-leveranciersvragenlijst",
        "cycle": "2026-Q4",
        "deadline": date(2026, 11, 14),
        "remark": "Graag toelichten hoe MFA is ingericht.",
        "questions": [{"id": "mfa-remote-admin", "text": "Is MFA verplicht voor beheer op afstand?"}],
        "link": "https://uitvraag.example/q/TOKEN",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.example",
    },
    # To the supplier: a certificate or report expires soon; upload the renewed document.
    "evidence-renewal": {
        "supplier_name": "Leverancier BV",
        "organisation_name": "Gemeente Testdorp",
        "document": "ISO 27001-certificaat",  # the supplier's file name: in the body, never in the subject
        "question": "Upload het ISO 27001-certificaat.",  # our own text, the question: in the subject
        "expires_on": date(2026, 12, 1),
        "deadline": date(2026, 11, 30),
        "link": "https://uitvraag.example/q/TOKEN",
        "owner_name": "Olga Eigenaar",
        "owner_email": "olga@gemeente.example",
    },
    # To the respondent: the receipt of a submission.
    "receipt": {
        "supplier_name": "Leverancier BV",
        "organisation_name": "Gemeente Testdorp",
        "questionnaire_title": "BIO2-leveranciersvragenlijst",
        "cycle": "2026-Q4",
        "respondent_name": "Sam Leverancier",
        "submitted_at": datetime(2026, 10, 20, 14, 30, tzinfo=UTC),
        "digest": "9f2c" * 16,
        "link": "https://uitvraag.example/q/receipt",
    },
    # To a contract owner or CISO: everything that needs them, one mail per person per sweep.
    "escalation-digest": {
        "recipient_name": "Olga Eigenaar",
        "level": "owner",  # owner | ciso
        "organisation_name": "Gemeente Testdorp",
        "items": [
            {
                # overdue | findings | evidence-expiring | evidence-lapsed | renewal-late | unreachable
                "reason": "overdue",
                "supplier_name": "Leverancier BV",
                "questionnaire_title": "BIO2-leveranciersvragenlijst",  # each line names its questionnaire
                "contracts": _CONTRACTS,
                "cycle": "2026-Q4",
                "deadline": date(2026, 10, 31),
                "findings": [],
                "measures": ["5.20.03", "5.22.01"],
                "staff_link": "https://uitvraag.example/staff/uitvragen/1",
            },
            {
                "reason": "findings",
                "supplier_name": "Hosting NV",
                "questionnaire_title": "BIO2-leveranciersvragenlijst",
                "contracts": _CONTRACTS[:1],
                "cycle": "2026-Q4",
                "deadline": date(2026, 10, 31),
                "findings": _FINDINGS,
                "measures": ["8.05.01"],
                "staff_link": "https://uitvraag.example/staff/uitvragen/2",
            },
        ],
        "overview_link": "https://uitvraag.example/staff/",
    },
    # To the contract owner (or CISO): a mail to a supplier could not be delivered.
    "delivery-failure": {
        "recipient_name": "Olga Eigenaar",
        "organisation_name": "Gemeente Testdorp",
        "supplier_name": "Leverancier BV",
        "failed_to": "security@leverancier.example",
        "failed_subject": "Uitvraag informatiebeveiliging 2026-Q4",
        "error": "550 5.1.1 mailbox unavailable",
        "staff_link": "https://uitvraag.example/staff/mail/failed",
    },
    # To a staff member: the one-time sign-in link.
    "signin-link": {
        "name": "Olga Eigenaar",
        "organisation_name": "Gemeente Testdorp",
        "link": "https://uitvraag.example/staff/signin/TOKEN",
        "minutes": 15,
    },
}
