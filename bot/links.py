"""The absolute links the service puts in mails and chat messages, each built here once from BASE_URL.

BASE_URL comes from the settings without a trailing slash (bot/config.py); the signed receipt link is built by
bot/supplier/receipt_links.py, which signs it.
"""

from __future__ import annotations


def supplier_link(base_url: str, token: str) -> str:
    """The supplier's link to the form: `BASE_URL/q/<token>` (exchanged for a session on first use)."""
    return f"{base_url.rstrip('/')}/q/{token}"


def staff_uitvraag_link(base_url: str, uitvraag_id: int) -> str:
    """The uitvraag's page in the staff area."""
    return f"{base_url.rstrip('/')}/staff/uitvragen/{uitvraag_id}"


def staff_overview_link(base_url: str) -> str:
    """The staff area's overview."""
    return f"{base_url.rstrip('/')}/staff/"
