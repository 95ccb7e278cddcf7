"""Bulk writes shared by the planner and the sweep: links, link tokens, outbox rows and audit rows.

Planning a cycle writes tens of thousands of rows, so these insert plain row dicts in one multi-row INSERT per
table instead of one ORM object per row. The dicts come from the same builders that `bot.access.issue_token`,
`bot.mail.outbox.enqueue` and `bot.audit.record` use (`new_token_row`, `outbox.new_row`, `audit.new_row`), so
both paths write the same rows, and callers rely on the same unique keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.access import new_token_row
from bot.cycles.rendering import MailRenderer
from bot.mail import message, outbox
from bot.mail.render import render_mail
from bot.models import AccessToken, AuditLog, OutboxMessage

ACTOR = "system"
UITVRAAG_KEY = ("organisation_id", "supplier_id", "questionnaire_id", "cycle_id", "follow_up_number")  # unique together
CHUNK = 500  # rows per IN (...) list, well within every database's limit on bound parameters


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mail_domain(config: Mapping[str, Any]) -> str:
    """The right-hand side of Message-IDs: the domain of MAIL_FROM (as delivery reads it)."""
    return message.mail_domain(str(config.get("MAIL_FROM", "")))


def insert_returning_ids(session: Session, table: Any, rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[int]:
    """Insert `rows` in one statement and return their new ids, in the order of `rows`.

    `key` names columns that are unique together: the ids are matched to the rows by them, because asking the
    database to keep the rows' order makes SQLite insert them one statement at a time.
    """
    if not rows:
        return []
    columns = table.__table__.c
    statement = sa.insert(table.__table__).returning(columns.id, *(columns[name] for name in key))
    found = {tuple(row[1:]): row[0] for row in session.execute(statement, rows)}
    return [found[tuple(row[name] for name in key)] for row in rows]


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(table.__table__), rows)


def new_token_rows(
    uitvragen: Iterable[tuple[int, datetime]], *, now: datetime, grace_days: int
) -> tuple[dict[int, str], list[dict[str, Any]]]:
    """A fresh link token per (uitvraag id, deadline): the tokens by uitvraag id, and the AccessToken rows."""
    tokens: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    for uitvraag_id, deadline in uitvragen:
        tokens[uitvraag_id], row = new_token_row(
            uitvraag_id=uitvraag_id, deadline=deadline, now=now, grace_days=grace_days
        )
        rows.append(row)
    return tokens, rows


def supersede_tokens(session: Session, uitvraag_ids: Sequence[int], *, now: datetime) -> None:
    """Mark every live token of these uitvragen superseded: a fresh link replaces them (as `issue_token` does)."""
    table = AccessToken.__table__
    for part in chunks(list(uitvraag_ids)):
        session.execute(
            sa.update(table)
            .where(table.c.uitvraag_id.in_(part), table.c.revoked_at.is_(None), table.c.superseded_at.is_(None))
            .values(superseded_at=now)
        )


def outbox_row(
    *,
    key: str,
    kind: str,
    to: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    domain: str,
    reply_to: str | None = None,
    organisation_id: int | None = None,
    uitvraag_id: int | None = None,
    renderer: MailRenderer | None = None,
    secret_key: str = "",
) -> dict[str, Any]:
    """The OutboxMessage row `enqueue` would add for this mail (its MIME body is built at delivery, see new_row).

    Pass one `renderer` for many mails of a kind: it renders each shape of mail once (see rendering.py). A mail
    with a `link` needs `secret_key` to seal it.
    """
    return outbox.new_row(
        key=key,
        kind=kind,
        to=to,
        language=language,
        context=context,
        render=renderer.render if renderer is not None else render_mail,
        secret_key=secret_key,
        now=now,
        mail_from_domain=domain,
        reply_to=reply_to,
        organisation_id=organisation_id,
        uitvraag_id=uitvraag_id,
        mime_body=False,
    )


def insert_outbox(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, OutboxMessage, rows, ("idempotency_key",))


def insert_audit(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, AuditLog, rows)
