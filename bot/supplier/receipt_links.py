"""Signed, read-only receipt links: `/q/receipt/<signed>` shows one submission's receipt to whoever holds the link.

The signature covers the uitvraag id and the submission's digest, so a link names exactly one stored submission
and cannot be turned towards another. It never expires (the receipt is the supplier's proof) and grants nothing
but reading that receipt: no session, no token, no edit access.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "receipt"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def sign_receipt(secret_key: str, *, uitvraag_id: int, digest: str) -> str:
    """The signed part of the receipt link for this uitvraag's submission with this digest."""
    return str(_serializer(secret_key).dumps([uitvraag_id, digest]))


def read_receipt(secret_key: str, signed: str) -> tuple[int, str] | None:
    """(uitvraag id, digest) of a well-signed receipt link; None for a tampered, truncated or foreign one."""
    try:
        value = _serializer(secret_key).loads(signed)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
    ):
        return None
    return value[0], value[1]


def receipt_link(base_url: str, secret_key: str, *, uitvraag_id: int, digest: str) -> str:
    """The link the receipt mail carries: the receipt page, readable without a session."""
    return f"{base_url}/q/receipt/{sign_receipt(secret_key, uitvraag_id=uitvraag_id, digest=digest)}"
