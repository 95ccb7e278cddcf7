"""Staff pages show a municipality its own uitvragen, with weak answers and findings highlighted."""

from __future__ import annotations

from bot.timeutil import utcnow
from tests.staff.world import sign_in


def test_overview_counts_and_lists_the_cycle(client, world, now):
    sign_in(client, world.ciso, now)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Overzicht 2026-Q4" in page
    assert "Wolk Hosting BV" in page and "Zaakwijs BV" in page
    # one submitted, one opened that is overdue and escalated
    assert '<li class="card-submitted"><a' in page
    counts = page.split('id="counts"')[1].split("</ul>")[0]
    assert "<strong>1</strong> Ingediend" in counts
    assert "<strong>1</strong> Te laat" in counts
    assert "<strong>1</strong> Geëscaleerd" in counts
    assert "<svg" in page and "Score per ronde: 2023-Q4: 55, 2026-Q3: 72, 2026-Q4: 41" in page


def test_uitvraag_page_shows_answers_findings_measures_and_receipt(client, world, now):
    sign_in(client, world.ciso, now)
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    assert "Is meerfactorauthenticatie verplicht voor beheer op afstand?" in page
    assert "staff-answer-weak" in page
    assert "Geen MFA op beheertoegang op afstand." in page
    assert "8.05.01" in page and "5.20.05" in page
    assert "48 uur" in page
    assert world_digest(world) in page
    assert f"/staff/evidence/{world.evidence.id}" in page


def world_digest(world):
    import hashlib

    return hashlib.sha256(b"testdorp.nl-submission").hexdigest()


def test_overview_filters_and_sorts(client, world, now):
    sign_in(client, world.ciso, now)

    def suppliers(query):
        page = client.get(f"/staff/?{query}").get_data(as_text=True)
        body = page.split('id="uitvragen"')[1].split("</tbody>")[0]
        return [name for name in ("Wolk Hosting BV", "Zaakwijs BV") if name in body], body

    assert suppliers("status=overdue")[0] == ["Zaakwijs BV"]
    assert suppliers("status=escalated")[0] == ["Zaakwijs BV"]
    assert suppliers("status=submitted")[0] == ["Wolk Hosting BV"]
    assert suppliers("severity=critical")[0] == ["Wolk Hosting BV"]
    assert suppliers("severity=low")[0] == []
    assert suppliers("owner=PIET@testdorp.nl")[0] == ["Zaakwijs BV"]
    assert suppliers(f"supplier={world.supplier.id}")[0] == ["Wolk Hosting BV"]
    _, body = suppliers("sort=-supplier")
    assert body.index("Zaakwijs BV") < body.index("Wolk Hosting BV")
    _, body = suppliers("sort=-findings")
    assert body.index("Wolk Hosting BV") < body.index("Zaakwijs BV")
    _, body = suppliers("sort=nonsense&status=nonsense")  # unknown values fall back, never an error
    assert "Wolk Hosting BV" in body and "Zaakwijs BV" in body
    earlier = client.get("/staff/?cycle=2026-Q3").get_data(as_text=True)
    assert "Overzicht 2026-Q3" in earlier and "<strong>2</strong> Beoordeeld" in earlier


def test_evidence_is_downloaded_as_an_attachment(client, world, now):
    sign_in(client, world.ciso, now)
    response = client.get(f"/staff/evidence/{world.evidence.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/octet-stream"
    assert response.get_data() == b"%PDF-1.4 certificate\n"


def test_audit_log_is_filterable_and_failed_mails_are_listed(client, world, now):
    sign_in(client, world.ciso, now)
    client.post(f"/staff/uitvragen/{world.uitvraag.id}/review")
    client.post(f"/staff/uitvragen/{world.overdue.id}/revoke")  # no live link: refused, not logged
    log = client.get("/staff/audit?action=uitvraag.reviewed").get_data(as_text=True)
    assert "staff:ciso@testdorp.nl" in log and "uitvraag.reviewed" in log
    assert "Geen regels" in client.get("/staff/audit?action=uitvraag.link-revoked").get_data(as_text=True)
    assert "uitvraag.reviewed" in client.get(f"/staff/audit?uitvraag={world.uitvraag.id}").get_data(as_text=True)
    assert "Geen regels" in client.get("/staff/audit?from=2099-01-01").get_data(as_text=True)
    failed = client.get("/staff/mail/failed").get_data(as_text=True)
    assert "security@zaak.test" in failed and "550 5.1.1 mailbox unavailable" in failed


def test_a_refused_action_says_why(client, world, now):
    sign_in(client, world.ciso, now)
    response = client.post(
        f"/staff/findings/{world.finding.id}/accept", data={"reason": "", "until": "2020-01-01"}, follow_redirects=True
    )
    assert "Vul een reden in." in response.get_data(as_text=True)
    response = client.post(
        f"/staff/uitvragen/{world.overdue.id}/extend", data={"deadline": "31-12-2026"}, follow_redirects=True
    )
    assert "is geen datum; gebruik jjjj-mm-dd" in response.get_data(as_text=True)


def test_pages_speak_english_for_english_staff(client, session, world, now):
    world.ciso.language = "en"
    session.add(world.ciso)
    session.commit()
    sign_in(client, world.ciso, now)
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    assert "No MFA on remote administrative access." in page and "Request improvement" in page
    assert "Is multi-factor authentication required for remote administration?" in page


def test_lists_name_the_questionnaire_and_findings_name_their_question(client, world, now):
    sign_in(client, world.ciso, now)
    overview = client.get("/staff/").get_data(as_text=True)
    # Two uitvragen of one supplier in one cycle differ by questionnaire: the overview says which is which.
    assert "BIO2-leveranciersvragenlijst (test)" in overview
    assert "Aangemeld als" in overview and ", CISO" in overview and "(ciso)" not in overview
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    finding = page.split(f'id="finding-{world.finding.id}"')[1].split("</li>")[0]
    assert "Is meerfactorauthenticatie verplicht voor beheer op afstand?" in finding
    report = client.get("/staff/report/2026-Q4").get_data(as_text=True)
    assert "BIO2-leveranciersvragenlijst (test)" in report and "Controlegetal" in report


def test_the_audit_log_names_actions_in_words(client, world, now):
    sign_in(client, world.ciso, now)
    client.post(f"/staff/uitvragen/{world.uitvraag.id}/review")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "Beoordeling afgerond" in page and "uitvraag.reviewed" in page
    assert '<option value="uitvraag.reviewed" >Beoordeling afgerond</option>' in page


def test_times_are_shown_in_dutch_local_time(client, world, session):
    from datetime import UTC, datetime

    from bot import audit

    audit.record(session, now=datetime(2026, 7, 1, 22, 30, tzinfo=UTC), actor="cli", action="register.import",
                 organisation_id=world.organisation.id)  # fmt: skip
    session.commit()
    sign_in(client, world.ciso, utcnow())
    log = client.get("/staff/audit?action=register.import").get_data(as_text=True)
    assert "2 jul 2026 00:30" in log  # summer time: UTC+2, written as people read it (Babel, Dutch)
    assert "2026-07-02" not in log


def test_the_staff_language_switch_is_remembered_for_the_user(client, world, session):
    sign_in(client, world.ciso, utcnow())
    dutch = client.get("/staff/audit").get_data(as_text=True)
    assert "Auditlog" in dutch or "Audit" in dutch
    assert 'hreflang="en"' in dutch and ">English</a>" in dutch
    english = client.get("/staff/audit?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and ">Nederlands</a>" in english and "Sign out" in english
    assert "Sign out" in client.get("/staff/").get_data(as_text=True)  # no ?lang: the account remembers it
    session.expire_all()
    assert session.get(type(world.ciso), world.ciso.id).language == "en"


def test_a_critical_finding_is_shown_as_critical_risk_beside_any_score(client, world, now):
    sign_in(client, world.ciso, now)
    overview = client.get("/staff/").get_data(as_text=True)
    row = overview.split("Wolk Hosting BV</a>")[1].split("</tr>")[0]
    assert 'staff-risk sev-critical"' in row and ">Kritiek</span>" in row and "41" in row
    unanswered = overview.split("Zaakwijs BV</a>")[1].split("</tr>")[0]
    assert "staff-risk" not in unanswered  # nothing submitted: no level to show
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    level = page.split("Risiconiveau</dt><dd>")[1].split("</dd>")[0]
    assert 'staff-risk sev-critical"' in level and ">Kritiek</span>" in level
    report = client.get("/staff/report/2026-Q4").get_data(as_text=True)
    assert 'Risiconiveau <span class="badge staff-risk sev-critical"' in report
