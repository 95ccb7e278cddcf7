"""F2: a copy of the database holds no link anyone can use, before or after the mails went out.

A planned cycle (invitations), a reminder sweep, a submission (receipt) and a staff sign-in request are queued and
delivered; the whole database is dumped, every table and column, and each token-shaped string in it is presented to
`lookup_token`, the sign-in check and the receipt-link check. None is accepted. The delivered mails do carry working
links, so the scan would find them if they were stored.
"""

from __future__ import annotations

import email
import email.policy
import quopri
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from bot.access import lookup_token
from bot.cycles.planner import plan_cycles
from bot.cycles.sweep import sweep
from bot.mail.delivery import send_due
from bot.models import OutboxMessage, OutboxStatus, Uitvraag
from bot.staff.signin import check_signin_token, request_signin_links
from bot.supplier.receipt_links import read_receipt
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier, supplier_submits

OCT_1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_-]{43,}")
_RECEIPT = re.compile(r"\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]{20,}")  # itsdangerous: [.]payload.signature


def _dump(session: Session) -> list[str]:
    """Every value of every row of every table, as text (QP soft line breaks undone, so no link hides in one)."""
    values = []
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns)):
            for value in row:
                if value is not None:
                    text = str(value)
                    values.append(text)
                    values.append(quopri.decodestring(text.encode("utf-8", "replace")).decode("utf-8", "replace"))
    return values


def _usable(session: Session, texts: list[str], *, now: datetime, secret_key: str) -> list[str]:
    """The strings in `texts` that open a supplier form, sign a staff member in, or show a receipt."""
    usable = set()
    for text in texts:
        for run in _TOKEN_RUN.findall(text):
            for start in range(len(run) - 42):
                candidate = run[start : start + 43]
                if lookup_token(session, candidate, now=now).ok or check_signin_token(session, candidate, now=now).ok:
                    usable.add(candidate)
        for candidate in _RECEIPT.findall(text):
            if read_receipt(secret_key, candidate) is not None:
                usable.add(candidate)
    return sorted(usable)


def _delivered(folder: Path) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return texts


def _deliver(app: Any, session: Session, now: datetime) -> None:
    session.commit()
    report = send_due(engine=app.extensions["engine"], config=app.config, now=now)
    assert report.failed == 0 and report.retrying == 0, report.summary()


def test_after_a_planned_and_delivered_cycle_the_database_holds_no_usable_link(app, session, tmp_path) -> None:
    secret_key = app.config["SECRET_KEY"]
    organisation = make_organisation(session)
    make_staff(session, organisation=organisation, email="ciso@testdorp.nl")
    for number in range(2):
        make_contract(session, organisation=organisation, supplier=make_supplier(session, name=f"Leverancier {number}"))
    plan_cycles(session=session, config=app.config, now=OCT_1)
    request_signin_links(
        session, email="ciso@testdorp.nl", now=OCT_1, base_url="http://localhost", minutes=15, secret_key=secret_key
    )
    session.commit()
    assert _usable(session, _dump(session), now=OCT_1, secret_key=secret_key) == []  # queued: sealed, not stored

    _deliver(app, session, OCT_1)
    reminder_day = OCT_1 + timedelta(days=17)  # 14 days before the deadline: a reminder with a fresh link
    sweep(session=session, config=app.config, now=reminder_day)
    _deliver(app, session, reminder_day)
    first = session.exec(select(Uitvraag).order_by(Uitvraag.id)).first()
    supplier_submits(session, first, now=reminder_day)
    assert first.status == "submitted"
    _deliver(app, session, reminder_day)

    kinds = {row.kind for row in session.exec(select(OutboxMessage))}
    assert {"invitation", "reminder", "receipt", "signin-link"} <= kinds
    assert all(row.status == OutboxStatus.SENT for row in session.exec(select(OutboxMessage)))
    assert all(row.link_sealed is None for row in session.exec(select(OutboxMessage)))
    assert _usable(session, _dump(session), now=OCT_1, secret_key=secret_key) == []
    assert _usable(session, _dump(session), now=reminder_day, secret_key=secret_key) == []

    # The mails themselves carry the links: the same scan finds them there, so it would find stored ones.
    found = _usable(session, _delivered(tmp_path / "mail"), now=reminder_day, secret_key=secret_key)
    signin = _usable(session, _delivered(tmp_path / "mail"), now=OCT_1, secret_key=secret_key)
    assert len(found) >= 2 and any("." in link for link in found)  # live supplier links and the receipt
    assert len(signin) > len(found)  # and, while it was valid, the sign-in link


def test_a_mail_that_fails_for_good_drops_its_sealed_link(app, session) -> None:
    make_contract(session)
    plan_cycles(session=session, config=app.config, now=OCT_1)
    row = session.exec(select(OutboxMessage)).one()
    row.to_addr = "security@leverancier.test\r\nBcc: x@evil.example"  # no server could take it: fails for good
    assert row.link_sealed and "[[link]]" in row.body_text and "/q/" not in row.body_text
    session.commit()

    send_due(engine=app.extensions["engine"], config=app.config, now=OCT_1)

    session.expire_all()
    row = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).one()
    assert row.status == OutboxStatus.FAILED and row.link_sealed is None
