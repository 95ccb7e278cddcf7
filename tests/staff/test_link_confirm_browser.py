"""Walkthrough point 11: "Link intrekken" (and "Link opnieuw versturen") act only after they are confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.models import AccessToken
from tests.staff.test_follow_up_findings_browser import _sign_in
from tests.supplier.helpers import rows
from tests.support.factories import make_organisation, make_staff, make_uitvraag

pytestmark = pytest.mark.browser


def test_revoking_a_link_asks_first(live_server: Any, session: Any, page: Any):
    base = live_server.url
    pending = make_uitvraag(session)
    make_staff(session, organisation=make_organisation(session), email="ciso@testdorp.nl")
    _sign_in(page, base, session, "ciso@testdorp.nl")

    page.goto(f"{base}/staff/uitvragen/{pending.id}")
    page.locator("summary", has_text="Link intrekken").click()
    assert page.get_by_text("niet meer openen of beantwoorden").is_visible()
    assert all(
        t.revoked_at is None for t in rows(session, select(AccessToken).where(AccessToken.uitvraag_id == pending.id))
    )
    page.get_by_role("button", name="Ja, link intrekken").click()
    assert page.get_by_text("De link is ingetrokken.").is_visible()
    assert all(
        t.revoked_at is not None
        for t in rows(session, select(AccessToken).where(AccessToken.uitvraag_id == pending.id))
    )
