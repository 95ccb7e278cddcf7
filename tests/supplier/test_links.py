"""The emailed link: only the issued token opens its own uitvraag, until it expires, is revoked or is replaced."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import select

from bot.access import TokenState, issue_token, lookup_token, revoke_tokens
from bot.models import AccessToken, AuditLog, Uitvraag, UitvraagStatus
from bot.ratelimit import count
from bot.supplier.links import GUESS_LIMIT, guess_key, present_token
from bot.timeutil import utcnow
from tests.support.factories import GRACE_DAYS, make_uitvraag

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_ten_thousand_random_well_formed_tokens_are_all_rejected(session):
    made = make_uitvraag(session)
    now = utcnow()
    for _ in range(10_000):
        guess = secrets.token_urlsafe(32)
        assert lookup_token(session, guess, now=now).state is TokenState.UNKNOWN
    assert lookup_token(session, made.token, now=now).ok


def test_every_one_character_change_of_a_valid_token_is_rejected(session):
    made = make_uitvraag(session)
    now = utcnow()
    token = made.token
    tried = 0
    for position, original in enumerate(token):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            changed = token[:position] + replacement + token[position + 1 :]
            assert lookup_token(session, changed, now=now).state is TokenState.UNKNOWN, (position, replacement)
            tried += 1
        # Dropping or doubling a character breaks the shape, and is rejected before any look-up.
        assert not lookup_token(session, token[:position] + token[position + 1 :], now=now).ok
        assert not lookup_token(session, token[:position] + original + token[position:], now=now).ok
    assert tried == 43 * 63


def test_a_sample_of_wrong_tokens_over_http_gets_the_not_known_page(client, session):
    made = make_uitvraag(session)
    wrong = [secrets.token_urlsafe(32) for _ in range(5)]
    wrong += [made.token[:-1] + ("A" if made.token[-1] != "A" else "B"), made.token[:10], "x" * 200, "%00", "..%2f"]
    for token in wrong:
        response = client.get(f"/q/{token}")
        assert response.status_code == 404, token
        assert "Deze link is niet bekend" in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers or "bot_session" not in response.headers.get("Set-Cookie", "")


def test_the_token_is_accepted_just_before_its_expiry_and_refused_just_after(session):
    made = make_uitvraag(session)
    token_row = session.exec(select(AccessToken).where(AccessToken.uitvraag_id == made.id)).one()
    expires = token_row.expires_at
    assert expires == made.uitvraag.deadline + timedelta(days=GRACE_DAYS)
    assert lookup_token(session, made.token, now=expires - timedelta(microseconds=1)).state is TokenState.VALID
    assert lookup_token(session, made.token, now=expires).state is TokenState.EXPIRED
    assert lookup_token(session, made.token, now=expires + timedelta(seconds=1)).state is TokenState.EXPIRED


def test_opening_the_link_records_it_once_and_never_uses_the_token_up(session):
    made = make_uitvraag(session)
    first = utcnow()
    for minutes in range(3):
        opened = present_token(session, token=made.token, client="192.0.2.1", now=first + timedelta(minutes=minutes))
        assert opened.ok and opened.uitvraag_id == made.id
    token_row = session.exec(select(AccessToken).where(AccessToken.uitvraag_id == made.id)).one()
    uitvraag = session.get(Uitvraag, made.id)
    session.refresh(token_row)
    session.refresh(uitvraag)
    assert token_row.first_used_at == first
    assert uitvraag.opened_at == first and uitvraag.status == UitvraagStatus.OPENED
    opened_rows = session.exec(select(AuditLog).where(AuditLog.action == "uitvraag.opened")).all()
    assert len(opened_rows) == 1


def test_revoked_and_superseded_tokens_are_told_apart(session):
    made = make_uitvraag(session)
    now = utcnow()
    newer = issue_token(session, uitvraag=made.uitvraag, now=now, grace_days=GRACE_DAYS)
    session.commit()
    assert lookup_token(session, made.token, now=now).state is TokenState.SUPERSEDED
    assert lookup_token(session, newer, now=now).ok
    revoke_tokens(session, uitvraag=made.uitvraag, now=now)
    session.commit()
    assert lookup_token(session, newer, now=now).state is TokenState.REVOKED


def test_guessing_is_limited_per_client_address(session):
    made = make_uitvraag(session)
    now = utcnow()
    for _ in range(GUESS_LIMIT):
        assert present_token(session, token=secrets.token_urlsafe(32), client="198.51.100.7", now=now).state is (
            TokenState.UNKNOWN
        )
    # Now unknown tokens are refused from that address without a look-up being counted; the right token still
    # opens (F9: one NAT address for many suppliers must not lock them all out).
    assert present_token(session, token=secrets.token_urlsafe(32), client="198.51.100.7", now=now).rate_limited
    assert present_token(session, token=made.token, client="198.51.100.7", now=now).ok
    assert present_token(session, token=made.token, client="198.51.100.8", now=now).ok
    assert count(session, key=guess_key("198.51.100.7"), window_seconds=600, now=now) == GUESS_LIMIT
    # Valid look-ups are not counted against an address.
    assert count(session, key=guess_key("198.51.100.8"), window_seconds=600, now=now) == 0
    later = now + timedelta(minutes=11)
    assert present_token(session, token=made.token, client="198.51.100.7", now=later).ok
