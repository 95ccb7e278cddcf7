"""One builder per kind of link-bearing supplier mail: the context its templates receive (bot/mail/kinds.py).

The planner, the sweep's reminders and the staff actions (resend, follow-up) all queue these mails; they build
the context here, so an invitation says the same whoever queues it. Plain values only (strings, dates, lists of
dicts), so the planner's fast renderer can fill them in (bot/cycles/rendering.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol


class _Contract(Protocol):
    reference: str
    name: str


def contract_list(contracts: Iterable[_Contract]) -> list[dict[str, str]]:
    """The contracts a mail names: reference and name each, in the order given."""
    return [{"reference": c.reference, "name": c.name} for c in contracts]


def invitation_context(
    *,
    supplier_name: str,
    organisation_name: str,
    contracts: list[dict[str, str]],
    questionnaire_title: str,
    cycle: str,
    deadline: date,
    link: str,
    owner_name: str,
    owner_email: str,
) -> dict[str, Any]:
    """An invitation: the supplier is asked to fill in the questionnaire for this cycle through `link`."""
    return {
        "supplier_name": supplier_name,
        "organisation_name": organisation_name,
        "contracts": contracts,
        "questionnaire_title": questionnaire_title,
        "cycle": cycle,
        "deadline": deadline,
        "link": link,
        "owner_name": owner_name,
        "owner_email": owner_email,
    }


def follow_up_context(*, remark: str, questions: list[dict[str, str]], **invitation: Any) -> dict[str, Any]:
    """A follow-up: an invitation (same fields) that names the questions to improve (id, text) and the remark."""
    return {**invitation_context(**invitation), "remark": remark, "questions": questions}


def reminder_context(*, days_left: int, kind: str, documents: list[str], **invitation: Any) -> dict[str, Any]:
    """A reminder: an invitation's fields, the days left, the uitvraag's kind and, for an evidence renewal, the
    documents still missing."""
    return {**invitation_context(**invitation), "days_left": days_left, "kind": kind, "documents": documents}
