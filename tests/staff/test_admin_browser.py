"""The functional administrator in real headless Chromium, on every administration page: each passes axe-core
(no serious or critical violations) and reads at 390 px wide without sideways scrolling, also when it shows an
error; adding a contract by hand and changing a supplier's contact are done through the pages themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.models import AuditLog, Contract
from tests.staff.test_browser import _links, assert_accessible, screenshot
from tests.staff.world import build_world
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def world(session: Any, app_config: dict[str, Any], now: Any) -> Any:
    return build_world(session, now=now, upload_dir=Path(app_config["UPLOAD_DIR"]), payload="")


def sign_in_as_admin(page: Any, base: str, session: Any, world: Any) -> None:
    make_staff(session, organisation=world.organisation, email="ada@testdorp.nl", role="admin", name="Ada")
    page.goto(f"{base}/staff/signin")
    page.get_by_label("E-mailadres").fill("ada@testdorp.nl")
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_text("Als dit adres toegang heeft").wait_for()
    (token,) = _links(session)
    page.goto(f"{base}/staff/signin/{token}")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("heading", name="Aandacht nodig").wait_for()


def check(page: Any) -> None:
    """axe-core at desktop width, then no sideways scrolling at 390 px (the axe run again there)."""
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{page.url} is {width} px wide at 390 px"
        assert_accessible(page)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_every_administration_page_is_accessible_and_fits_390_px(page, live_server, session, world, tmp_path):
    base = live_server.url
    sign_in_as_admin(page, base, session, world)
    values = {"contract_id": world.contract.id, "user_id": world.manager.id, "supplier_id": world.supplier.id}
    pages = []
    for rule in live_server.app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/admin") or "GET" not in rule.methods:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(values[name]))
        pages.append(url)
    assert len(pages) >= 7, pages  # contracts, contract, new contract, suppliers, supplier, users, register
    for path in [*sorted(pages), "/staff/attention"]:
        page.goto(f"{base}{path}")
        check(page)
    page.goto(f"{base}/staff/admin/suppliers/{world.supplier.id}")
    screenshot(page, "staff-admin-supplier.png", tmp_path)


def test_the_administrator_adds_a_contract_by_hand_and_changes_a_supplier_contact(
    page, live_server, session, world, tmp_path
):
    base = live_server.url
    sign_in_as_admin(page, base, session, world)
    page.get_by_role("link", name="Leveranciers", exact=True).click()
    page.get_by_role("link", name="Zaakwijs BV").click()
    page.get_by_role("heading", name="Zaakwijs BV").wait_for()
    # A wrong address first: the page says which field and value, and nothing changes.
    page.get_by_label("Nieuw e-mailadres").fill("nieuw-at-zaak")
    page.get_by_role("button", name="Contactpersoon wijzigen").click()
    page.get_by_role("alert").get_by_text("'nieuw-at-zaak' is geen e-mailadres.").wait_for()
    check(page)
    page.get_by_label("Nieuw e-mailadres").fill("nieuw@zaak.test")
    page.get_by_role("button", name="Contactpersoon wijzigen").click()
    page.get_by_text("De contactpersoon is gewijzigd op 1 contracten en 1 openstaande uitvragen.").wait_for()
    assert "nieuw@zaak.test" in page.locator("#supplier-contacts").inner_text()

    # A contract with this supplier, by hand: first with a start date that is no date, then right.
    page.get_by_role("link", name="Een contract met deze leverancier toevoegen").click()
    page.get_by_role("heading", name="Een contract toevoegen").wait_for()
    page.get_by_label("Kenmerk").fill("TD-300")
    page.get_by_label("Naam van het contract").fill("Omgevingsloket")
    page.get_by_label("E-mailadres van de contactpersoon bij de leverancier").fill("nieuw@zaak.test")
    page.get_by_label("Naam", exact=True).fill("Nora Nieuw")
    page.get_by_label("E-mailadres van de contracteigenaar").fill("nora@testdorp.nl")
    page.get_by_role("button", name="Contract toevoegen").click()
    page.get_by_role("heading", name="Er is niets toegevoegd").wait_for()
    assert "start_date: '' is geen datum" in page.get_by_role("alert").inner_text()
    check(page)
    screenshot(page, "staff-admin-contract-new-error.png", tmp_path)
    page.get_by_label("Ingangsdatum").fill("2026-11-01")
    page.get_by_role("button", name="Contract toevoegen").click()
    page.get_by_text("Het contract TD-300 is toegevoegd.").wait_for()
    page.get_by_role("heading", name="TD-300: Omgevingsloket").wait_for()
    check(page)

    session.expire_all()
    contract = session.exec(select(Contract).where(Contract.reference == "TD-300")).one()
    assert (contract.supplier_id, contract.supplier_email) == (world.supplier_b.id, "nieuw@zaak.test")
    actions = session.exec(select(AuditLog.action).where(AuditLog.actor == "staff:ada@testdorp.nl")).all()
    assert "supplier.contact-changed" in actions and "contract.added" in actions
    session.commit()
