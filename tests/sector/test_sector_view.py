"""The sector view: aggregates of shared declarations across municipalities, only where at least the minimum number
of municipalities received one, and never a municipality's name, contact or answer on any page it can reach."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.cycles.planner import plan_cycles
from bot.models import (
    Contract,
    Declaration,
    EvidenceFile,
    Finding,
    Organisation,
    OutboxMessage,
    Role,
    StaffUser,
    Uitvraag,
)
from bot.register import import_register
from bot.sector import sector_figures
from bot.staff.users import add_sector_user, user_group
from bot.timeutil import utcnow
from tests.staff.world import sign_in
from tests.support.factories import supplier_submits as submit

HEADER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Dienst;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Cloud;Startdatum;Einddatum"
)
# Six municipalities share Zaakwerk's case system; two of them also use Hostwijs's hosting (below the minimum).
TOWNS = ("Heuvelrug", "Dijkstad", "Veenland", "Zandvoorde", "Bergdal", "Weidegem")
HOSTED = ("Heuvelrug", "Dijkstad")
NOW = utcnow().replace(microsecond=0)
CONTACT = "Jan Janssen, 06-12345678, beveiliging@zaakwerk.nl"
CLOUD = "Eigen datacenter Amsterdam-Zuidoost"


def register() -> bytes:
    lines = [HEADER]
    for n, town in enumerate(TOWNS, start=1):
        lines.append(
            f"Gemeente {town};Zaakwerk BV;12345678;security@zaakwerk.nl;ZA-{n};Zaken {town};Zaaksysteem SaaS;"
            f"Eigenaar {town};eigenaar@{town.lower()}.nl;hoog;ja;{'ja' if n % 2 else 'nee'};01-01-2024;"
        )
        if town in HOSTED:
            lines.append(
                f"Gemeente {town};Hostwijs BV;87654321;noc@hostwijs.nl;HO-{n};Hosting {town};Hosting en beheer;"
                f"Beheerder {town};beheer@{town.lower()}.nl;hoog;nee;nee;01-01-2024;"
            )
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def world(session, app, tmp_path):
    import_register(session, data=register(), now=NOW, actor="test")
    session.commit()
    plan_cycles(session=session, config=app.config, now=NOW)
    for declaration in session.exec(select(Declaration).order_by(col(Declaration.id))).all():
        lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
        submit(
            session,
            lead,
            now=NOW + timedelta(days=2),
            answers={"mfa-admin": "no", "security-contact": CONTACT, "cloud-provider": CLOUD},
            upload_dir=tmp_path / "uploads",
        )
    user, _created = add_sector_user(session, email="analist@ibd.example", name="Sanne Sector", now=NOW)
    session.commit()
    return user


def forbidden_texts(session) -> list[str]:
    """Everything the sector must never see: names of municipalities and their contracts and owners, contacts,
    and every free-text answer."""
    texts = {o.name for o in session.exec(select(Organisation)).all()}
    texts |= {o.slug for o in session.exec(select(Organisation)).all()}
    for c in session.exec(select(Contract)).all():
        texts |= {c.name, c.reference, c.owner_name, c.owner_email, c.supplier_email}
    texts |= {f.original_name for f in session.exec(select(EvidenceFile)).all()}
    texts |= {CONTACT, CLOUD, "Jan Janssen", "beveiliging@zaakwerk.nl"}
    return sorted(t for t in texts if t)


def sector_urls(client) -> list[str]:
    page = client.get("/staff/sector").get_data(as_text=True)
    links = set(re.findall(r'href="(/staff/sector[^"]*)"', page))
    return ["/staff/sector", *sorted(link.replace("&amp;", "&") for link in links)]


def test_the_sector_sees_only_figures_of_declarations_enough_municipalities_received(session, app, world):
    figures = sector_figures(session, minimum=5, cycle_name=None, lang="nl")
    assert figures is not None
    assert [(s.supplier, s.service, s.municipalities) for s in figures.services] == [
        ("Zaakwerk BV", "Zaaksysteem SaaS", 6)
    ]
    assert figures.withheld == 1  # Hostwijs: two municipalities, not shown at all
    service = figures.services[0]
    mfa = next(c for c in service.common_findings if c.subject == "mfa-admin")
    # Every municipality judged the same 'no MFA' as critical; the question's own text names it.
    assert (mfa.municipalities, mfa.critical, mfa.without_finding) == (6, 6, 0)
    assert "MFA" in mfa.label or "meerfactor" in mfa.label.lower()
    measure = next(c for c in service.measures if c.critical)
    assert measure.municipalities == 6
    # Across services: the same measure, only from the shown declaration (6 municipalities, not 8).
    overall = next(c for c in figures.measures if c.subject == measure.subject)
    assert overall.municipalities == 6 and overall.critical == measure.critical
    assert figures.measures[0].weak >= figures.measures[-1].weak  # weakest first

    # With the minimum at 7 there is nothing to show, and the hosting service is never shown below it.
    empty = sector_figures(session, minimum=7, cycle_name=None, lang="nl")
    assert empty is not None and empty.services == [] and empty.measures == [] and empty.withheld == 2
    with pytest.raises(ValueError, match="at least 3"):
        sector_figures(session, minimum=2, cycle_name=None, lang="nl")


def test_no_sector_page_or_export_names_a_municipality_or_an_answer(client, session, app, world):
    forbidden = forbidden_texts(session)
    session.commit()  # end the test's reads: a request may write (the language choice)
    sign_in(client, world, utcnow())
    urls = sector_urls(client)
    assert any("export.csv" in u for u in urls) and any("export.json" in u for u in urls)
    for lang in ("nl", "en"):
        for url in urls:
            response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            assert "Zaaksysteem SaaS" in body, url  # the figures are there ...
            leaked = [text for text in forbidden if text.lower() in body.lower()]
            assert leaked == [], (url, leaked)  # ... and nothing of any municipality
    document = json.loads(client.get("/staff/sector/export.json").get_data(as_text=True))
    assert [s["municipalities"] for s in document["services"]] == [6]
    csv_text = client.get("/staff/sector/export.csv").get_data(as_text=True)
    assert "Hosting en beheer" not in csv_text and "Hostwijs" not in csv_text


def test_a_sector_user_reaches_no_municipal_page_and_staff_no_sector_page(client, session, app, world):
    uitvraag = session.exec(select(Uitvraag).order_by(col(Uitvraag.id))).first()
    finding = session.exec(select(Finding).order_by(col(Finding.id))).first()
    contract = session.exec(select(Contract).order_by(col(Contract.id))).first()
    user_ids = {"uitvraag_id": uitvraag.id, "finding_id": finding.id, "contract_id": contract.id}
    session.commit()
    sign_in(client, world, utcnow())
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint.startswith("staff.sector"):
            continue
        if rule.endpoint in ("staff.signin", "staff.signin_link", "staff.signout", "staff.signed_out"):
            continue
        values = {name: user_ids.get(name, 1) for name in rule.arguments}
        values.update({k: "testdorp" for k in rule.arguments if k == "slug"})
        values.update({k: "2026-Q4" for k in rule.arguments if k == "cycle_name"})
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if rule.endpoint in ("staff.overview", "staff.attention"):
                assert (response.status_code, response.location) == (302, "/staff/sector"), url
            else:
                assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked > 25
    # A municipality's CISO does not find the sector view.
    organisation = session.exec(select(Organisation).order_by(col(Organisation.id))).first()
    ciso = StaffUser(organisation_id=organisation.id, email="ciso@x.nl", role=Role.CISO, created_at=NOW)
    session.add(ciso)
    session.commit()
    sign_in(client, ciso, utcnow())
    for url in ("/staff/sector", "/staff/sector/export.csv", "/staff/sector/export.json"):
        assert client.get(url).status_code == 404, url


def test_the_sector_account_is_added_from_the_command_line_without_an_organisation(app, session):
    result = app.test_cli_runner().invoke(user_group, ["add", "ggu@sector.example", "--role", "sector"])
    assert result.exit_code == 0, result.output
    user = session.exec(select(StaffUser).where(StaffUser.email == "ggu@sector.example")).one()
    assert (user.organisation_id, user.role) == (None, Role.SECTOR)
    refused = app.test_cli_runner().invoke(
        user_group, ["add", "x@sector.example", "--role", "sector", "--organisation", "any"]
    )
    assert refused.exit_code != 0 and "belongs to no organisation" in refused.output


def test_a_sector_user_signs_in_with_the_mailed_link_and_lands_on_the_sector_view(client, session, app, world):
    from tests.staff.test_signin import mailed_links

    client.post("/staff/signin", data={"email": "analist@ibd.example"})
    (token,) = mailed_links(session, "analist@ibd.example")
    response = client.post(f"/staff/signin/{token}")
    assert response.status_code == 302
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert landing.request.path == "/staff/sector"
    assert "Zaaksysteem SaaS" in landing.get_data(as_text=True)
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "signin-link")).one()
    assert "sector" in mail.subject
