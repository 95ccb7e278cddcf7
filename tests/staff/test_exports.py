"""The register export opens in Dutch Excel; the per-cycle report is evidence a CISO can print."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.staff import actions
from bot.staff.acceptance import AcceptanceLimits, decide_acceptance, propose_acceptance
from bot.staff.exports import REGISTER_COLUMNS, register_csv, register_rows
from tests.staff.world import sign_in


def test_register_csv_is_semicolon_separated_utf8_with_bom(client, world, now):
    sign_in(client, world.ciso, now)
    response = client.get("/staff/export/register.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="register-testdorp-')
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == REGISTER_COLUMNS
    by_ref = {row["contract_ref"]: row for row in rows}
    wolk = by_ref[world.contract.reference]
    assert (wolk["latest_cycle"], wolk["latest_status"], wolk["score"]) == ("2026-Q4", "submitted", "41")
    assert (wolk["open_findings"], wolk["open_critical"], wolk["open_high"]) == ("2", "1", "1")
    assert wolk["risk_level"] == "critical"  # whatever the score says
    zaak = by_ref[world.contract_b.reference]
    assert (zaak["latest_status"], zaak["score"], zaak["open_findings"], zaak["risk_level"]) == ("overdue", "", "0", "")
    assert b"\r\n" in raw


def test_cells_excel_would_run_as_formulas_are_kept_as_text(session, world, now):
    world.contract.name = '=HYPERLINK("http://evil")'
    session.add(world.contract)
    session.commit()
    text = register_csv(register_rows(session, organisation_id=world.organisation.id, now=now)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_accepted_risks_leave_the_open_count_until_they_lapse(session, world, now):
    limits = AcceptanceLimits(critical_months=12, high_months=24)
    proposal = propose_acceptance(
        session,
        actor=world.manager,
        finding=world.finding,
        reason="tijdelijk",
        mitigation="VPN met MFA",
        until=now.date() + timedelta(days=10),
        limits=limits,
        now=now,
    )
    decide_acceptance(session, actor=world.ciso, acceptance=proposal, approve=True, note="", limits=limits, now=now)
    session.commit()
    row = next(
        r
        for r in register_rows(session, organisation_id=world.organisation.id, now=now)
        if r["contract_ref"] == world.contract.reference
    )
    assert (row["open_findings"], row["open_critical"], row["risk_level"]) == (1, 0, "high")
    later = now + timedelta(days=11)
    row = next(
        r
        for r in register_rows(session, organisation_id=world.organisation.id, now=later)
        if r["contract_ref"] == world.contract.reference
    )
    assert (row["open_findings"], row["open_critical"]) == (2, 1)


def test_register_json_lists_every_contract(client, world, now):
    sign_in(client, world.ciso, now)
    data = client.get("/staff/export/register.json").get_json()
    assert data["organisation"]["slug"] == "testdorp"
    assert {c["contract_ref"] for c in data["contracts"]} == {world.contract.reference, world.contract_b.reference}
    assert all(set(c) == set(REGISTER_COLUMNS) for c in data["contracts"])


def test_cycle_report_is_printable_evidence(client, session, world, now):
    actions.mark_reviewed(session, actor=world.ciso, uitvraag=world.uitvraag, now=now)
    session.commit()
    sign_in(client, world.ciso, now)
    page = client.get("/staff/report/2026-Q4").get_data(as_text=True)
    assert "Leveranciersbeoordeling 2026-Q4 · Gemeente Testdorp" in page
    assert "5.22.01" in page and "ENSIA" in page
    assert "Beoordeeld" in page and "Chris Ciso" in page
    assert "@media print" in client.get("/static/style.css").get_data(as_text=True)
    assert client.get("/staff/report/1999-Q1").status_code == 404
