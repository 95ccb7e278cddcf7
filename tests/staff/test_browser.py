"""A contract owner in real headless Chromium: signs in with the link from the real mail, sees the overview,
accepts a weak answer's risk, asks the supplier to improve (the supplier gets the mail), and exports the register.
Every page passes axe-core without serious or critical violations; screenshots go to docs/screenshots/."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from bot.cycles.worker import signin_tick
from bot.mail.delivery import send_due
from bot.timeutil import utcnow
from tests.staff.world import build_world
from tests.support.mail import mail_signin_requests, sent_text

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """Refresh docs/screenshots/<name> with UPDATE_SCREENSHOTS=1 (or when missing); otherwise write to tmp_path,
    so that running the tests does not rewrite tracked images with today's dates."""
    target = SCREENSHOTS / name
    if os.environ.get("UPDATE_SCREENSHOTS") != "1" and target.exists():
        target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)


@pytest.fixture
def world(session: Any, app_config: dict[str, Any], now: Any) -> Any:
    """The same world, with plain answers: the screenshots document the product."""
    return build_world(session, now=now, upload_dir=Path(app_config["UPLOAD_DIR"]), payload="")


@pytest.fixture
def staff_site(app_config: dict[str, Any], smtp_server: Any, world: Any, request: pytest.FixtureRequest) -> Any:
    """The app on a free port, delivering mail to the real local SMTP server."""
    app_config["MAIL_URL"] = smtp_server.url
    return request.getfixturevalue("live_server")


def deliver(site: Any) -> None:
    report = send_due(engine=site.app.extensions["engine"], config=site.app.config, now=utcnow())
    assert report.stopped is None, report


def text_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def assert_accessible(page: Any) -> None:
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_contract_owner_signs_in_reviews_accepts_requests_improvement_and_exports(
    page, staff_site, smtp_server, world, tmp_path
):
    base = staff_site.url
    # Sign in with the link from the real mail.
    page.goto(f"{base}/staff/signin")
    assert_accessible(page)
    page.get_by_label("E-mailadres").fill("olga@testdorp.nl")
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_text("Als dit adres toegang heeft").wait_for()
    # The worker's sign-in job (every SIGNIN_POLL_SECONDS) looks the address up and sends the mail.
    assert signin_tick(engine=staff_site.app.extensions["engine"], config=staff_site.app.config, now=utcnow()) == 1
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "olga@testdorp.nl"
    link = re.search(rf"{re.escape(base)}/staff/signin/[A-Za-z0-9_-]{{43}}", text_of(mail)).group(0)
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Aanmelden").click()

    # Signed in, she lands on what needs her attention; the overview is one click away.
    page.get_by_role("heading", name="Aandacht nodig").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Overzicht", exact=True).click()
    page.get_by_role("heading", name="Overzicht 2026-Q4").wait_for()
    counts = page.locator("#counts")
    assert "1 Ingediend" in " ".join(counts.inner_text().split())
    assert "1 Te laat" in " ".join(counts.inner_text().split())
    assert page.locator("svg.staff-score-chart").count() == 2
    assert_accessible(page)
    screenshot(page, "staff-overview.png", tmp_path)
    page.get_by_label("Status").select_option("overdue")
    page.get_by_role("button", name="Filteren").click()
    assert page.locator("#uitvragen tbody tr").count() == 1
    assert "Zaakwijs BV" in page.locator("#uitvragen tbody").inner_text()
    page.get_by_role("link", name="Wissen").click()

    # The uitvraag with a weak answer: propose to accept the risk of the critical finding (the CISO decides).
    page.get_by_role("link", name="Wolk Hosting BV", exact=True).first.click()
    page.get_by_role("heading", name=re.compile("Wolk Hosting BV")).wait_for()
    weak = page.locator("tr.staff-answer-weak")
    assert weak.count() == 2
    assert "8.05.01" in page.locator("#q-mfa-remote-admin").inner_text()
    assert_accessible(page)
    screenshot(page, "staff-uitvraag.png", tmp_path)
    finding = page.locator(f"#finding-{world.finding.id}")
    finding.get_by_text("Risicoacceptatie voorstellen").first.click()
    finding.get_by_label("Reden").fill("Leverancier voert MFA in Q1 in.")
    finding.get_by_label("Beheersmaatregelen").fill("Beheer tot dan alleen via de VPN van de gemeente, met MFA.")
    finding.get_by_role("button", name="Risicoacceptatie voorstellen").click()
    page.get_by_text("Het voorstel om het risico te accepteren wacht op de goedkeuring van de CISO.").wait_for()
    assert "Wachten op de goedkeuring van de CISO" in page.locator(f"#finding-{world.finding.id}").inner_text()

    # Request improvement of the incident question; the supplier gets the follow-up mail.
    page.locator("#ask-mfa-remote-admin").uncheck()
    page.locator("#ask-incident-notice-hours").check()
    page.get_by_label("Toelichting voor de leverancier").fill("Graag melden binnen 24 uur, zoals de BIO2 vraagt.")
    page.get_by_role("button", name="Verzoek versturen").click()
    page.get_by_text("Het verzoek om verbetering is naar de leverancier gestuurd.").wait_for()
    assert "Vervolgvraag 1" in page.locator("main").inner_text()
    assert_accessible(page)
    deliver(staff_site)
    messages = smtp_server.wait_for(2)
    follow_up = messages[1]
    assert follow_up["To"] == "security@wolk.test"
    assert str(follow_up["Subject"]).strip().startswith("Aanvullende vragen informatiebeveiliging 2026-Q4")
    body = text_of(follow_up)
    assert "Graag melden binnen 24 uur" in body and f"{base}/q/" in body
    assert "Binnen hoeveel uur meldt u een beveiligingsincident?" in body

    # Export the register as CSV.
    page.get_by_role("link", name="Exports").click()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    raw = Path(download_info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    wolk = next(r for r in rows if r["contract_ref"] == world.contract.reference)
    assert (wolk["latest_cycle"], wolk["open_critical"]) == ("2026-Q4", "1")  # open until the CISO approves

    # The audit log has what she did; sign out ends the session.
    page.get_by_role("link", name="Auditlog").click()
    log = page.locator("#audit").inner_text()
    assert "finding.acceptance-proposed" in log and "uitvraag.improvement-requested" in log
    assert_accessible(page)
    page.get_by_role("button", name="Afmelden").click()
    page.goto(f"{base}/staff/")
    page.get_by_role("heading", name="Aanmelden in de beheeromgeving").wait_for()


def test_the_ciso_report_and_failed_mails_are_accessible(page, staff_site, world, session, tmp_path):
    page.goto(f"{staff_site.url}/staff/signin")
    page.get_by_label("E-mailadres").fill("ciso@testdorp.nl")
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_text("Als dit adres toegang heeft").wait_for()
    (token,) = _links(session)
    page.goto(f"{staff_site.url}/staff/signin/{token}")
    page.get_by_role("button", name="Aanmelden").click()
    for path in ("/staff/report/2026-Q4", "/staff/mail/failed", f"/staff/uitvragen/{world.overdue.id}"):
        page.goto(f"{staff_site.url}{path}")
        assert_accessible(page)
        if path.startswith("/staff/report"):
            page.emulate_media(media="print")
            assert not page.locator(".site-header").is_visible()  # the printed report is just the report
            screenshot(page, "staff-report-print.png", tmp_path)
            page.emulate_media(media="screen")


def _links(session: Any) -> list[str]:
    """The sign-in tokens in the outbox (this test reads the queued mail instead of delivering it)."""
    from sqlmodel import select

    from bot.models import OutboxMessage

    mail_signin_requests(session)
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).all()
    session.commit()
    return [re.search(r"/staff/signin/([A-Za-z0-9_-]{43})", sent_text(r)).group(1) for r in rows]
