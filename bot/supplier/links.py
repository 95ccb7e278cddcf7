"""Opening the emailed link: rate-limited token look-up, and the checks every later request repeats.

Opening is not using up: a GET only records when the link was first opened, because mail scanners open links too.
The token is exchanged for a session that holds the uitvraag id and the token's hash, never the token; each later
request checks that this token is still valid (not revoked, superseded or expired).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import audit, ratelimit
from bot.access import TokenLookup, TokenState, lookup_token, token_state
from bot.models import AccessToken, Contract, Uitvraag, UitvraagContract, UitvraagStatus

# Guessing: this many unknown tokens per client address per window, then every look-up from it is refused.
GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class Opened:
    """The outcome of presenting a token: its state, and (when known) its uitvraag."""

    state: TokenState | None  # None: refused by the rate limit before any look-up
    uitvraag_id: int | None = None
    token_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.state is TokenState.VALID

    @property
    def rate_limited(self) -> bool:
        return self.state is None


def guess_key(client: str) -> str:
    return f"supplier-token:{client}"


def present_token(
    session: Session,
    *,
    token: str,
    client: str,
    now: datetime,
    limit: int = GUESS_LIMIT,
    window_seconds: int = GUESS_WINDOW_SECONDS,
    mark_opened: bool = True,
) -> Opened:
    """Look a presented token up, counting unknown ones against `client`; commits.

    A valid token marks the link as opened (AccessToken.first_used_at, Uitvraag.opened_at) when `mark_opened`.
    """
    key = guess_key(client)
    found = lookup_token(session, token, now=now)
    if found.state is TokenState.UNKNOWN:
        # A lock-out refuses only unknown tokens: a real link from the same address (one NAT, many suppliers)
        # still opens, and a guesser learns nothing new from a 256-bit token it cannot know.
        if ratelimit.exceeded(session, key=key, limit=limit, window_seconds=window_seconds, now=now):
            session.commit()
            return Opened(None)
        ratelimit.hit(session, key=key, limit=limit, window_seconds=window_seconds, now=now)
        session.commit()
        return Opened(TokenState.UNKNOWN)
    assert found.token is not None
    if found.ok and mark_opened:
        _mark_opened(session, found, now=now)
    session.commit()
    return Opened(found.state, found.token.uitvraag_id, found.token.token_hash)


def _mark_opened(session: Session, found: TokenLookup, *, now: datetime) -> None:
    token = found.token
    assert token is not None
    if token.first_used_at is None:
        token.first_used_at = now
        session.add(token)
    uitvraag = session.get_one(Uitvraag, token.uitvraag_id)
    if uitvraag.opened_at is None:
        uitvraag.opened_at = now
        audit.record(
            session,
            now=now,
            actor=f"supplier:{uitvraag.id}",
            action="uitvraag.opened",
            organisation_id=uitvraag.organisation_id,
            subject_type="uitvraag",
            subject_id=uitvraag.id,
        )
    if uitvraag.status == UitvraagStatus.PENDING:
        uitvraag.status = UitvraagStatus.OPENED
    session.add(uitvraag)


def check_session_token(session: Session, *, uitvraag_id: int, token_hash: str, now: datetime) -> TokenState:
    """The state, right now, of the token a browser session was opened with, for this uitvraag only."""
    row = session.execute(_SESSION_TOKEN, {"hash": token_hash}).first()
    if row is None or row.uitvraag_id != uitvraag_id:
        return TokenState.UNKNOWN
    return _state_of(row, now)


# Checked on every page view: built once, so SQLAlchemy reuses the compiled statement.
_TOKENS = AccessToken.__table__  # type: ignore[attr-defined]
_SESSION_TOKEN = sa.select(
    _TOKENS.c.uitvraag_id, _TOKENS.c.revoked_at, _TOKENS.c.superseded_at, _TOKENS.c.expires_at
).where(_TOKENS.c.token_hash == sa.bindparam("hash"))


def _state_of(row: Any, now: datetime) -> TokenState:
    return token_state(row.revoked_at, row.superseded_at, row.expires_at, now)


@dataclass(frozen=True)
class OwnerContact:
    name: str
    email: str


def owner_contacts(session: Session, uitvraag_id: int | None) -> list[OwnerContact]:
    """The contract owners of an uitvraag, for the pages that tell a supplier whom to ask."""
    if uitvraag_id is None:
        return []
    contracts = session.exec(
        select(Contract)
        .join(UitvraagContract, UitvraagContract.contract_id == Contract.id)  # type: ignore[arg-type]
        .where(UitvraagContract.uitvraag_id == uitvraag_id)
        .order_by(Contract.reference)
    ).all()
    seen: dict[str, str] = {}
    for contract in contracts:
        seen.setdefault(contract.owner_email, contract.owner_name)
    return [OwnerContact(name, email) for email, name in seen.items()]
