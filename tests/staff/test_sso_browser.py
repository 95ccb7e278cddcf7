"""Staff sign in through their municipality's OpenID Provider, in real headless Chromium.

The provider is a real one (tests/oidc/provider.mjs on the npm package oidc-provider) on 127.0.0.1; the service is
the real app on a free port. Each refusal is checked where a person sees it (the page) and where an administrator
looks afterwards (the audit log), and never leaves a signed-in session behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlmodel import select

from bot.models import AuditLog, StaffUser
from bot.staff.sso import configure
from tests.staff.test_browser import assert_accessible
from tests.support.oidc import OidcProvider, node_or_skip
from tests.support.smtp import free_port

pytestmark = pytest.mark.browser

SECRET = "test-client-secret-0123456789"
ACCOUNTS = {
    "olga": {"password": "olga-pw", "claims": {"email": "Olga@Testdorp.nl", "name": "Olga Eigenaar"}},
    "nobody": {"password": "nobody-pw", "claims": {"email": "nobody@testdorp.nl", "name": "No Body"}},
    "anna": {"password": "anna-pw", "claims": {"email": "olga@anderdorp.nl", "name": "Olga of Anderdorp"}},
    "gert": {"password": "gert-pw", "claims": {"email": "gert@testdorp.nl", "name": "Gert", "groups": ["g-ciso"]}},
    "piet": {"password": "piet-pw", "claims": {"email": "piet@testdorp.nl", "name": "Piet", "groups": ["g-admin"]}},
}


@pytest.fixture
def sso(app_config: dict[str, Any], tmp_path: Any, world: Any, session: Any, now: Any) -> Iterator[Any]:
    """The app on a free port and a provider that knows it as three clients: one honest, two that misbehave."""
    node_or_skip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_config["BASE_URL"] = base
    redirect = {
        "client_secret": SECRET,
        "redirect_uris": [f"{base}/staff/sso/testdorp/callback"],
        "post_logout_redirect_uris": [f"{base}/staff/signed-out"],
    }
    provider = OidcProvider(
        clients=[
            {"client_id": "bot-testdorp", **redirect},
            {"client_id": "bot-wrong-audience", "misbehave": "wrong-audience", **redirect},
            {"client_id": "bot-expired", "misbehave": "expired", **redirect},
        ],
        accounts=ACCOUNTS,
        workdir=tmp_path,
    ).start()
    configure(
        session,
        organisation=world.organisation,
        now=now,
        actor="test",
        issuer=provider.issuer,
        client_id="bot-testdorp",
        client_secret=SECRET,
    )
    session.commit()
    yield provider
    provider.stop()


@pytest.fixture
def site(sso: Any, request: pytest.FixtureRequest, app_config: dict[str, Any]) -> Any:
    port = int(app_config["BASE_URL"].rsplit(":", 1)[1])
    # live_server picks its own port: take over its construction with the port the provider knows.
    from bot import create_app
    from tests.support.live import LiveServer

    server = LiveServer(create_app(dict(app_config, TESTING=False)), port).start()
    yield server
    server.stop()
    server.app.extensions["engine"].dispose()


@pytest.fixture
def browser_page(page: Any) -> Any:
    """The page, with every request that would leave this machine refused."""

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    page.context.route("**/*", only_loopback)
    return page


def sign_in_at_provider(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/staff/signin")
    page.get_by_role("link", name="Aanmelden bij Gemeente Testdorp").click()
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(ACCOUNTS[login]["password"])
    page.get_by_role("button", name="Sign in").click()


def refusals(session: Any) -> list[dict[str, Any]]:
    session.expire_all()
    rows = session.exec(select(AuditLog).where(AuditLog.action == "staff.sso-refused").order_by(AuditLog.id)).all()
    session.commit()  # end the read: on SQLite this session's transaction would hold the app's writers back
    return [row.detail for row in rows]


def assert_signed_out(page: Any, base: str) -> None:
    page.goto(f"{base}/staff/")
    page.get_by_role("heading", name="Aanmelden in de beheeromgeving").wait_for()


def test_contract_manager_signs_in_with_sso_and_signs_out_at_the_provider_too(browser_page, site, world, session):
    page, base = browser_page, site.url
    page.goto(f"{base}/staff/signin")
    assert_accessible(page)
    sign_in_at_provider(page, base, "olga")
    page.wait_for_url(f"{base}/staff/attention")
    assert "Aangemeld als Olga Eigenaar" in page.locator("footer").inner_text()
    session.expire_all()
    signed_in = session.exec(select(AuditLog).where(AuditLog.action == "staff.signed-in")).one()
    assert signed_in.subject_id == world.manager.id
    assert signed_in.detail["method"] == "oidc"
    session.commit()

    # Sign-out ends the provider's session too: the next sign-in asks for the password again.
    page.get_by_role("button", name="Afmelden").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{base}/staff/signed-out")
    page.get_by_text("U bent afgemeld.").wait_for()
    assert_signed_out(page, base)
    page.get_by_role("link", name="Aanmelden bij Gemeente Testdorp").click()
    page.get_by_label("Username").wait_for()


def test_a_callback_with_another_state_is_refused(browser_page, site, session):
    """Two sign-ins started in one browser: the provider's answer to the first no longer matches what it holds."""
    page, base = browser_page, site.url
    page.goto(f"{base}/staff/signin")
    page.get_by_role("link", name="Aanmelden bij Gemeente Testdorp").click()
    page.get_by_label("Username").wait_for()
    second = page.context.new_page()
    second.goto(f"{base}/staff/sso/testdorp")  # a new state replaces the first in the shared browser session
    second.get_by_label("Username").wait_for()
    second.close()
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(ACCOUNTS["olga"]["password"])
    with page.expect_response(lambda r: "/staff/sso/testdorp/callback" in r.url) as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 400
    page.get_by_role("heading", name="Aanmelden mislukt").wait_for()
    assert_accessible(page)
    assert refusals(session)[-1]["reason"] == "wrong-state"
    assert_signed_out(page, base)


def test_a_replayed_code_signs_no_one_in(browser_page, site, session):
    page, base = browser_page, site.url
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    sign_in_at_provider(page, base, "olga")
    page.wait_for_url(f"{base}/staff/attention")
    used = next(url for url in seen if "/staff/sso/testdorp/callback" in url)
    page.get_by_role("button", name="Afmelden").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{base}/staff/signed-out")

    # The same callback again: nothing is pending in this browser any more.
    assert page.goto(used).status == 400
    assert refusals(session)[-1]["reason"] == "no-pending-sign-in"

    # A fresh sign-in in progress (with its own state), fed the old code: the provider will not exchange it twice.
    seen.clear()
    page.goto(f"{base}/staff/sso/testdorp")
    page.get_by_label("Username").wait_for()
    authorize = next(url for url in seen if "/auth?" in url)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    code = parse_qs(urlsplit(used).query)["code"][0]
    response = page.goto(f"{base}/staff/sso/testdorp/callback?{urlencode({'code': code, 'state': state})}")
    assert response.status == 400
    assert refusals(session)[-1]["reason"] == "code-refused"
    assert_signed_out(page, base)


@pytest.mark.parametrize(("client_id", "reason"), [("bot-wrong-audience", "wrong-aud"), ("bot-expired", "expired")])
def test_an_id_token_for_another_audience_or_past_its_expiry_is_refused(
    browser_page, site, session, world, now, client_id, reason
):
    configure(session, organisation=world.organisation, now=now, actor="test", client_id=client_id)
    session.commit()
    page, base = browser_page, site.url
    sign_in_at_provider(page, base, "olga")
    page.get_by_role("heading", name="Aanmelden mislukt").wait_for()
    assert refusals(session)[-1]["reason"] == reason
    assert_signed_out(page, base)


@pytest.mark.parametrize("login", ["nobody", "anna"])
def test_unknown_users_and_users_of_another_organisation_are_refused(browser_page, site, session, other, login):
    """'anna' is Olga of Anderdorp: a staff user, but of the other municipality, so not of Testdorp's sign-in."""
    page, base = browser_page, site.url
    sign_in_at_provider(page, base, login)
    page.get_by_role("heading", name="Aanmelden mislukt").wait_for()
    assert "geen account" in page.locator("main").inner_text()
    detail = refusals(session)[-1]
    assert (detail["reason"], detail["email"]) == ("unknown-user", ACCOUNTS[login]["claims"]["email"])
    assert_signed_out(page, base)
    session.expire_all()
    assert session.exec(select(StaffUser).where(StaffUser.email == "nobody@testdorp.nl")).first() is None


def test_group_mapping_gives_roles_and_creates_users_just_in_time(browser_page, site, session, world, now):
    configure(
        session,
        organisation=world.organisation,
        now=now,
        actor="test",
        groups_claim="groups",
        group_roles={"g-ciso": "ciso", "g-admin": "admin"},
        create_users=True,
    )
    session.commit()
    page, base = browser_page, site.url
    sign_in_at_provider(page, base, "gert")  # unknown here, in the CISO group: created as CISO
    page.wait_for_url(f"{base}/staff/attention")
    assert "CISO" in page.locator("footer").inner_text()
    session.expire_all()
    gert = session.exec(select(StaffUser).where(StaffUser.email == "gert@testdorp.nl")).one()
    assert (gert.role, gert.organisation_id) == ("ciso", world.organisation.id)
    session.commit()

    page.context.clear_cookies()
    sign_in_at_provider(page, base, "piet")  # a contract manager here, in the admin group: now admin
    page.wait_for_url(f"{base}/staff/attention")
    session.expire_all()
    assert session.get(StaffUser, world.other_manager.id).role == "admin"
    change = session.exec(select(AuditLog).where(AuditLog.action == "staff.user-role-changed")).one()
    assert (change.detail["from"], change.detail["to"], change.actor) == (
        "contract-manager",
        "admin",
        "sso:piet@testdorp.nl",
    )
    session.commit()

    page.context.clear_cookies()
    sign_in_at_provider(page, base, "nobody")  # in no mapped group: no role to give, so not created
    page.get_by_role("heading", name="Aanmelden mislukt").wait_for()
    assert refusals(session)[-1]["reason"] == "no-role"


def test_the_administrator_signs_in_by_sso_imports_an_xlsx_register_and_changes_an_owner(
    browser_page, site, session, world, now, tmp_path
):
    """The acceptance walk: SSO sign-in, the attention page, an .xlsx upload with its preview, confirm, the new
    contract, a new owner, and the audit entry. Every page passes axe-core, and reads at 390 px wide."""
    from tests.staff.test_admin import XLSX_ROWS, xlsx_bytes

    configure(
        session, organisation=world.organisation, now=now, actor="test", groups_claim="groups",
        group_roles={"g-admin": "admin"},
    )  # fmt: skip
    session.commit()
    page, base = browser_page, site.url
    sign_in_at_provider(page, base, "piet")  # Piet is in the admin group
    page.wait_for_url(f"{base}/staff/attention")
    page.get_by_role("heading", name="Aandacht nodig").wait_for()
    assert "Open kritieke en hoge bevindingen" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Contracten").click()
    page.get_by_role("link", name="Contractregister uploaden").click()
    assert_accessible(page)
    register = tmp_path / "register.xlsx"
    register.write_bytes(xlsx_bytes(XLSX_ROWS))
    page.get_by_label("Registerbestand").set_input_files(str(register))
    page.get_by_role("button", name="Toon wat er zou veranderen").click()
    page.get_by_role("heading", name="Voorbeeld: er is nog niets gewijzigd").wait_for()
    assert "rij 2: nieuw contract TD-100 (E-depot)" in page.locator("#preview").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Inlezen bevestigen").click()
    page.get_by_text("Het register is ingelezen: 2 contracten aangemaakt").wait_for()

    page.get_by_label("Zoeken").fill("TD-100")
    page.get_by_role("button", name="Filteren").click()
    page.get_by_role("link", name="TD-100").click()
    page.get_by_role("heading", name="TD-100: E-depot").wait_for()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Contracteigenaar", exact=True).fill("Nina Nieuw")
    page.get_by_label("E-mailadres van de contracteigenaar").fill("nina@testdorp.nl")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Het contract is opgeslagen.").wait_for()
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Auditlog").click()
    log = page.locator("#audit").inner_text()
    assert "contract.updated" in log and "register.import" in log
    assert_accessible(page)
