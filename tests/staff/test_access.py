"""Staff of one municipality never see or touch another's data, by URL guessing either; contract managers act
only on their own contracts; supplier text is always shown escaped."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import AuditLog, Finding, RiskAcceptance, Uitvraag
from bot.staff import sector_views
from tests.staff.world import XSS, sign_in

SIGN_IN_ROUTES = {
    "staff.signin",
    "staff.signin_link",
    "staff.signout",
    "staff.signed_out",
    "staff.sso_start",
    "staff.sso_callback",
}


def staff_rules(app):
    """Every page of a municipality's staff (the sector view is for sector users only: tests/sector)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/staff")
        and r.endpoint not in SIGN_IN_ROUTES
        and r.endpoint not in sector_views.SECTOR_ENDPOINTS
    ]


def url_for_rule(rule, world):
    values = {
        "uitvraag_id": world.uitvraag.id,
        "finding_id": world.finding.id,
        "acceptance_id": world.acceptance.id,
        "file_id": world.evidence.id,
        "cycle_name": world.own_cycle.name,
        "contract_id": world.contract.id,
        "user_id": world.manager.id,
        "supplier_id": world.supplier.id,
    }
    missing = set(rule.arguments) - set(values)
    assert not missing, f"the access test does not know how to fill {missing} of {rule.rule}: teach it"
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<int:{name}>", str(values[name])).replace(f"<{name}>", str(values[name]))
    return url


def test_every_staff_route_answers_404_for_another_organisations_ids(app, client, session, world, other, now):
    sign_in(client, world.ciso, now)
    # Administration pages answer 403 to a CISO before any look-up; tests/staff/test_admin.py checks them as admin.
    rules = [r for r in staff_rules(app) if r.arguments and not r.rule.startswith("/staff/admin/")]
    assert len(rules) >= 9
    own_urls = [url_for_rule(rule, world) for rule in rules if "GET" in rule.methods]
    for rule in rules:
        url = url_for_rule(rule, other)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            form = {
                "reason": "x",
                "until": "2099-01-01",
                "deadline": "2099-01-01",
                "remark": "x",
                "question_ids": "mfa-remote-admin",
            }
            response = client.open(url, method=method, data=form if method == "POST" else None)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
    # Nothing of the other organisation changed, and nothing was logged for it.
    other_ids = (other.uitvraag.id, other.finding.id)
    session.expire_all()
    assert session.get(Uitvraag, other_ids[0]).status == "submitted"
    assert session.get(Finding, other_ids[1]).status == "open"
    assert not session.exec(select(AuditLog).where(AuditLog.actor == "staff:ciso@testdorp.nl")).all()
    session.commit()  # SQLite: end the test's read transaction before the app writes
    # The same routes with the organisation's own ids work.
    for url in own_urls:
        response = client.get(url)
        assert response.status_code == 200, f"GET {url} answered {response.status_code}"


def test_pages_without_ids_show_only_the_own_organisation(client, world, other, now):
    sign_in(client, world.ciso, now)
    for url in (
        "/staff/",
        "/staff/?status=overdue",
        "/staff/export",
        "/staff/export/register.csv",
        "/staff/export/register.json",
        "/staff/audit",
        "/staff/mail/failed",
        "/staff/report/2026-Q4",
    ):
        body = client.get(url).get_data(as_text=True)
        assert "Anders Cloud BV" not in body and "anderdorp.nl" not in body, url


def test_every_staff_route_needs_a_signed_in_user(app, client, world):
    for rule in staff_rules(app):
        url = url_for_rule(rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url}"
            assert "/staff/signin" in response.headers["Location"]


@pytest.mark.parametrize(
    "action, form",
    [
        ("review", {}),
        ("extend", {"deadline": "2099-01-01"}),
        ("resend", {"confirm": "yes"}),  # confirmed, so the refusal is about whose contract it is
        ("revoke", {"confirm": "yes"}),
        ("improve", {"question_ids": "mfa-remote-admin", "remark": "graag", "deadline": "2099-01-01"}),
    ],
)
def test_a_contract_manager_cannot_act_on_another_managers_contract(client, session, world, now, action, form):
    sign_in(client, world.manager, now)  # Olga owns `contract`, Piet owns `contract_b` (the overdue uitvraag)
    response = client.post(f"/staff/uitvragen/{world.overdue.id}/{action}", data=form)
    assert response.status_code == 403
    page = client.get(f"/staff/uitvragen/{world.overdue.id}").get_data(as_text=True)
    assert "Alleen de contracteigenaar" in page and "Termijn verlengen" not in page
    session.expire_all()
    assert session.get(Uitvraag, world.overdue.id).deadline == world.overdue.deadline
    # Nothing was done in her name; the refusal itself is a security event (F11).
    actions = session.exec(select(AuditLog.action).where(AuditLog.actor == "staff:olga@testdorp.nl")).all()
    assert actions == ["security.forbidden"]
    session.commit()


def test_a_contract_manager_acts_on_own_contract_and_the_ciso_on_all(client, session, world, now):
    sign_in(client, world.other_manager, now)
    response = client.post(f"/staff/findings/{world.finding.id}/accept", data={"reason": "x", "until": "2099-01-01"})
    assert response.status_code == 403
    sign_in(client, world.manager, now)
    until = (now.date().replace(year=now.year + 1)).isoformat()
    response = client.post(
        f"/staff/findings/{world.finding.id}/accept",
        data={"reason": "Compenserende maatregel: VPN", "mitigation": "MFA op de VPN", "until": until},
    )
    assert response.status_code == 302
    session.expire_all()
    [proposal] = session.exec(select(RiskAcceptance).where(RiskAcceptance.finding_id == world.finding.id)).all()
    assert proposal.proposed_by_id == world.manager.id and proposal.status == "proposed"
    sign_in(client, world.ciso, now)
    extend = f"/staff/uitvragen/{world.overdue.id}/extend"
    session.commit()  # SQLite: end the test's read transaction before the app writes
    assert client.post(extend, data={"deadline": until}).status_code == 302


def test_script_in_supplier_answers_is_escaped_on_every_staff_page(app, client, session, world, other, now):
    world.ciso.role = "admin"  # so the administration pages are among every page
    session.add(world.ciso)
    session.commit()
    sign_in(client, world.ciso, now)
    escaped = "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;"
    seen_escaped = 0
    for rule in staff_rules(app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, world)
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            assert XSS not in body, url
            seen_escaped += escaped in body
        elif response.mimetype == "application/json":
            assert "<script>" not in body, url  # JSON escapes < as \u003c
    assert seen_escaped >= 2  # the uitvraag page and failed mails show supplier text
    for url in (f"/staff/uitvragen/{world.overdue.id}", f"/staff/report/{world.cycle.name}"):
        body = client.get(url).get_data(as_text=True)
        assert XSS not in body and escaped in body, url
    assert XSS not in client.get("/staff/audit?actor=<script>").get_data(as_text=True)
