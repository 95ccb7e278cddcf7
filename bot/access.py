"""Supplier access tokens: issue, resolve, revoke. The emailed link `BASE_URL/q/<token>` is the key.

A token belongs to one uitvraag, expires at the deadline plus a grace period, can be revoked, and is superseded
when a new one is issued for the same uitvraag (resend, reminder with a fresh link).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from bot.models import AccessToken, Uitvraag
from bot.tokens import hash_token, looks_like_token, new_token


class TokenState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class TokenLookup:
    state: TokenState
    token: AccessToken | None = None

    @property
    def ok(self) -> bool:
        return self.state is TokenState.VALID


def token_expiry(deadline: datetime | None, grace_days: int) -> datetime:
    """When a link to an uitvraag with this deadline stops working."""
    assert deadline is not None
    return deadline + timedelta(days=grace_days)


def new_token_row(
    *, uitvraag_id: int, deadline: datetime, now: datetime, grace_days: int
) -> tuple[str, dict[str, Any]]:
    """A fresh link token and the AccessToken columns that store it (only its SHA-256; the token goes in the mail).

    Used by `issue_token` and by the planner's and the sweep's bulk inserts alike.
    """
    token, digest = new_token()
    row = {
        "uitvraag_id": uitvraag_id,
        "token_hash": digest,
        "created_at": now,
        "expires_at": token_expiry(deadline, grace_days),
        "first_used_at": None,
        "revoked_at": None,
        "superseded_at": None,
    }
    return token, row


def issue_token(session: Session, *, uitvraag: Uitvraag, now: datetime, grace_days: int) -> str:
    """Create a new link token for `uitvraag`, superseding any earlier live one. Returns the token itself."""
    assert uitvraag.id is not None and uitvraag.deadline is not None
    live = session.exec(
        select(AccessToken).where(
            AccessToken.uitvraag_id == uitvraag.id,
            AccessToken.revoked_at.is_(None),  # type: ignore[union-attr]
            AccessToken.superseded_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    for old in live:
        old.superseded_at = now
        session.add(old)
    token, row = new_token_row(uitvraag_id=uitvraag.id, deadline=uitvraag.deadline, now=now, grace_days=grace_days)
    session.add(AccessToken(**row))
    return token


def extend_tokens(session: Session, *, uitvraag: Uitvraag, grace_days: int) -> None:
    """After a deadline change, live tokens expire at the new deadline plus the grace period."""
    for token in session.exec(
        select(AccessToken).where(
            AccessToken.uitvraag_id == uitvraag.id,
            AccessToken.revoked_at.is_(None),  # type: ignore[union-attr]
            AccessToken.superseded_at.is_(None),  # type: ignore[union-attr]
        )
    ):
        token.expires_at = token_expiry(uitvraag.deadline, grace_days)
        session.add(token)


def revoke_tokens(session: Session, *, uitvraag: Uitvraag, now: datetime) -> int:
    """Revoke every live token of `uitvraag`; returns how many."""
    count = 0
    for token in session.exec(
        select(AccessToken).where(
            AccessToken.uitvraag_id == uitvraag.id,
            AccessToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ):
        token.revoked_at = now
        session.add(token)
        count += 1
    return count


def lookup_token(session: Session, token: str, *, now: datetime) -> TokenLookup:
    """Say what a presented token is worth right now. Never raises on bad input."""
    if not isinstance(token, str) or not looks_like_token(token):
        return TokenLookup(TokenState.UNKNOWN)
    row = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(token))).first()
    if row is None:
        return TokenLookup(TokenState.UNKNOWN)
    return TokenLookup(token_state(row.revoked_at, row.superseded_at, row.expires_at, now), row)


def token_state(
    revoked_at: datetime | None, superseded_at: datetime | None, expires_at: datetime | None, now: datetime
) -> TokenState:
    """What a known token is worth at `now`: revoked before superseded before expired."""
    if revoked_at is not None:
        return TokenState.REVOKED
    if superseded_at is not None:
        return TokenState.SUPERSEDED
    assert expires_at is not None
    return TokenState.EXPIRED if now >= expires_at else TokenState.VALID
