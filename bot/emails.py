"""E-mail addresses as people type them: one rule for a valid address, one normal form to store and compare.

The register import, the supplier's attestation, staff users (CLI, administration, single sign-on) and every
comparison of addresses use these two functions. (Headers of outgoing mail are checked by bot/mail/message.py.)
"""

from __future__ import annotations

import re

MAX_LENGTH = 254  # RFC 5321's limit on a forward path
# local@domain.tld: no spaces, no list separators or brackets, a dot in the domain and a TLD of two or more.
_ADDRESS = re.compile(r"^[^@\s;,<>\"]{1,64}@[^@\s;,<>\".]+(\.[^@\s;,<>\".]+)*\.[^@\s;,<>\".]{2,}$")


def normalise(address: str | None) -> str:
    """The address as stored and compared: without surrounding space, in lower case."""
    return (address or "").strip().lower()


def is_valid(address: str | None) -> bool:
    """Is this (stripped) text one e-mail address, `name@domain.tld`, of at most 254 characters?"""
    value = (address or "").strip()
    return len(value) <= MAX_LENGTH and _ADDRESS.match(value) is not None
