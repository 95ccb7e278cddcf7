"""Staff sign-in by a one-time link mailed to the address: request, check and redeem.

The link is `BASE_URL/staff/signin/<token>`; only the token's SHA-256 is stored (`SignInToken`). A GET only looks
(mail scanners follow links); redeeming is a POST that marks the token used, once. Requesting a link answers the
same whether or not the address is known, so the form cannot be used to find out who has an account. It also takes
the same time: the page only queues a `SignInRequest`, the same single insert for every address, and the worker
looks the address up and mails the links within seconds (`resolve_signin_requests`, every SIGNIN_POLL_SECONDS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import emails
from bot.audit import record
from bot.config import setting
from bot.mail.message import mail_domain
from bot.mail.outbox import enqueue
from bot.models import Organisation, SignInRequest, SignInToken, StaffUser
from bot.tokens import hash_token, looks_like_token, new_token


class SignInState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class SignInCheck:
    state: SignInState
    token: SignInToken | None = None
    user: StaffUser | None = None

    @property
    def ok(self) -> bool:
        return self.state is SignInState.VALID


def active_users_for(session: Session, email: str) -> list[StaffUser]:
    """Every active staff account of this address, one per organisation."""
    address = emails.normalise(email)
    if not address:
        return []
    return list(
        session.exec(
            select(StaffUser)
            .where(sa.func.lower(StaffUser.email) == address, StaffUser.active.is_(True))  # type: ignore[attr-defined]
            .order_by(StaffUser.organisation_id, StaffUser.id)  # type: ignore[arg-type]
        ).all()
    )


def queue_signin_request(session: Session, *, email: str, now: datetime) -> None:
    """Queue a request for sign-in links to `email`: one insert, whoever the address belongs to. The caller commits."""
    session.add(SignInRequest(email=emails.normalise(email) or email.strip()[:254], requested_at=now))


def resolve_signin_requests(session: Session, *, config: Mapping[str, Any], now: datetime, limit: int = 100) -> int:
    """Mail the links of queued sign-in requests (oldest first) and remove them; returns how many were resolved.

    A request older than a link's lifetime (the worker was down) is dropped without mail: its asker has given up or
    asked again. Commits.
    """
    minutes = int(setting(config, "SIGNIN_LINK_MINUTES"))
    rows = session.exec(select(SignInRequest).order_by(SignInRequest.id).limit(limit)).all()  # type: ignore[arg-type]
    for row in rows:
        assert row.requested_at is not None
        if now - row.requested_at < timedelta(minutes=minutes):
            request_signin_links(
                session,
                email=row.email,
                now=now,
                base_url=setting(config, "BASE_URL"),
                minutes=minutes,
                secret_key=setting(config, "SECRET_KEY"),
                mail_from_domain=mail_domain(setting(config, "MAIL_FROM")),
            )
        session.delete(row)
    session.commit()
    return len(rows)


def request_signin_links(
    session: Session,
    *,
    email: str,
    now: datetime,
    base_url: str,
    minutes: int,
    secret_key: str,
    mail_from_domain: str = "localhost",
) -> int:
    """Queue one sign-in mail per organisation this address may sign in to with a mailed link; returns how many.

    The caller commits, and must answer the person the same way whatever this returns.
    """
    from bot.staff.sso import mail_link_allowed  # sso builds on the staff-user functions, which import the CLI

    count = 0
    for user in active_users_for(session, email):
        if not mail_link_allowed(session, user.organisation_id):
            continue  # this organisation signs in by single sign-on only
        organisation = session.get(Organisation, user.organisation_id) if user.organisation_id is not None else None
        token, digest = new_token()
        row = SignInToken(
            staff_user_id=user.id,  # type: ignore[arg-type]
            token_hash=digest,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        session.add(row)
        session.flush()
        enqueue(
            session,
            key=f"signin-link:{row.id}",
            kind="signin-link",
            to=user.email,
            language=user.language or "nl",
            context={
                "name": user.name or user.email,
                "organisation_name": organisation.name if organisation else "",  # a sector account: the mail says so
                "link": f"{base_url.rstrip('/')}/staff/signin/{token}",
                "minutes": minutes,
            },
            now=now,
            secret_key=secret_key,
            mail_from_domain=mail_from_domain,
            organisation_id=user.organisation_id,
        )
        record(
            session,
            now=now,
            actor=f"staff:{user.email}",
            action="staff.signin-link-sent",
            organisation_id=user.organisation_id,
            subject_type="staffuser",
            subject_id=user.id,
        )
        count += 1
    return count


def check_signin_token(session: Session, token: str, *, now: datetime) -> SignInCheck:
    """Say what a presented sign-in token is worth right now, without using it. Never raises on bad input."""
    if not isinstance(token, str) or not looks_like_token(token):
        return SignInCheck(SignInState.UNKNOWN)
    row = session.exec(select(SignInToken).where(SignInToken.token_hash == hash_token(token))).first()
    if row is None:
        return SignInCheck(SignInState.UNKNOWN)
    user = session.get(StaffUser, row.staff_user_id)
    if row.used_at is not None:
        return SignInCheck(SignInState.USED, row, user)
    assert row.expires_at is not None
    if now >= row.expires_at:
        return SignInCheck(SignInState.EXPIRED, row, user)
    if user is None or not user.active:
        return SignInCheck(SignInState.INACTIVE, row, user)
    return SignInCheck(SignInState.VALID, row, user)


def redeem_signin_token(session: Session, token: str, *, now: datetime) -> SignInCheck:
    """Use a sign-in token up: at most one caller ever gets VALID for a token. The caller commits.

    The conditional UPDATE (`used_at IS NULL`) makes two racing POSTs of one link sign in only once.
    """
    check = check_signin_token(session, token, now=now)
    if not check.ok:
        return check
    assert check.token is not None and check.user is not None
    result = session.execute(
        sa.update(SignInToken)
        .where(SignInToken.id == check.token.id, SignInToken.used_at.is_(None))  # type: ignore[union-attr,arg-type]
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return SignInCheck(SignInState.USED, check.token, check.user)
    check.user.last_signed_in_at = now
    session.add(check.user)
    record(
        session,
        now=now,
        actor=f"staff:{check.user.email}",
        action="staff.signed-in",
        organisation_id=check.user.organisation_id,
        subject_type="staffuser",
        subject_id=check.user.id,
    )
    return check
