"""When a mail to a supplier cannot be delivered, tell the people who can reach the supplier another way."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot import emails
from bot.mail.message import mail_domain
from bot.mail.outbox import enqueue
from bot.models import Contract, Organisation, OutboxMessage, Role, StaffUser, Supplier, Uitvraag, UitvraagContract

log = logging.getLogger(__name__)

# Mails whose recipient is the supplier (or its respondent); a failure of any other kind tells nobody by mail.
SUPPLIER_KINDS = frozenset({"invitation", "reminder", "follow-up", "evidence-renewal", "receipt"})
FAILED_MAIL_PATH = "/staff/mail/failed"


def _recipients(session: Session, uitvraag: Uitvraag) -> list[tuple[str, str]]:
    """(email, name) of each distinct contract owner of the uitvraag; the organisation's CISOs if there are none."""
    contracts = session.exec(
        select(Contract)
        .join(UitvraagContract, UitvraagContract.contract_id == Contract.id)  # type: ignore[arg-type]
        .where(UitvraagContract.uitvraag_id == uitvraag.id)
        .order_by(Contract.id)  # type: ignore[arg-type]
    ).all()
    people: dict[str, tuple[str, str]] = {}
    for contract in contracts:
        people.setdefault(emails.normalise(contract.owner_email), (contract.owner_email.strip(), contract.owner_name))
    if not people:
        cisos = session.exec(
            select(StaffUser)
            .where(
                StaffUser.organisation_id == uitvraag.organisation_id,
                StaffUser.role == Role.CISO,
                StaffUser.active == True,  # noqa: E712 - SQL comparison
            )
            .order_by(StaffUser.id)  # type: ignore[arg-type]
        ).all()
        for user in cisos:
            people.setdefault(emails.normalise(user.email), (user.email.strip(), user.name or user.email))
    return list(people.values())


def _language(session: Session, organisation_id: int, address: str) -> str:
    user = session.exec(
        select(StaffUser).where(StaffUser.organisation_id == organisation_id, StaffUser.email == address)
    ).first()
    return user.language if user is not None and user.language in {"nl", "en"} else "nl"


def queue_failure_notices(
    session: Session, *, message: OutboxMessage, error: str, config: dict[str, Any], now: datetime
) -> int:
    """Queue a `delivery-failure` mail per contract owner for a supplier mail that failed for good.

    Idempotent per failed message and recipient. Returns how many notices were newly queued. The caller commits.
    """
    if message.kind not in SUPPLIER_KINDS or message.uitvraag_id is None:
        return 0
    uitvraag = session.get(Uitvraag, message.uitvraag_id)
    if uitvraag is None:
        return 0
    organisation = session.get(Organisation, uitvraag.organisation_id)
    supplier = session.get(Supplier, uitvraag.supplier_id)
    queued = 0
    for address, name in _recipients(session, uitvraag):
        key = f"delivery-failure:{message.id}:{emails.normalise(address)}"
        context = {
            "recipient_name": name,
            "organisation_name": organisation.name if organisation else "",
            "supplier_name": supplier.name if supplier else "",
            "failed_to": message.to_addr,
            "failed_subject": message.subject,
            "error": error,
            "staff_link": f"{str(config['BASE_URL']).rstrip('/')}{FAILED_MAIL_PATH}",
        }
        try:
            row = enqueue(
                session,
                key=key,
                kind="delivery-failure",
                to=address,
                language=_language(session, uitvraag.organisation_id, address),
                context=context,
                now=now,
                mail_from_domain=mail_domain(str(config["MAIL_FROM"])),
                organisation_id=uitvraag.organisation_id,
                uitvraag_id=uitvraag.id,
            )
        except Exception:  # a broken template must not undo recording the failure itself
            log.exception("could not queue the delivery-failure notice for outbox message %s", message.id)
            continue
        if row.id is None:
            queued += 1
    return queued
