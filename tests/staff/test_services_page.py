"""Staff see what each contract is for: its service, from the register, on the pages and in the export."""

from __future__ import annotations

from sqlmodel import select

from bot.cycles.planner import plan_cycles
from bot.models import Role, StaffUser, Uitvraag
from bot.register import import_register
from bot.timeutil import utcnow
from tests.staff.world import sign_in
from tests.support.factories import NOW

REGISTER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Dienst;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Startdatum;Einddatum\r\n"
    "Gemeente Heuvelrug;Zaakwerk BV;12345678;security@zaakwerk.nl;HR-1;Zaken Heuvelrug;Zaaksysteem SaaS;"
    "Olga de Vries;o.devries@heuvelrug.nl;hoog;ja;01-01-2024;\r\n"
)


def test_the_uitvraag_page_the_overview_and_the_export_name_the_service(client, session, app):
    import_register(session, data=REGISTER.encode(), now=NOW, actor="test")
    plan_cycles(session=session, config=app.config, now=NOW)
    uitvraag = session.exec(select(Uitvraag).order_by(Uitvraag.id)).first()
    ciso = StaffUser(
        organisation_id=uitvraag.organisation_id, email="ciso@heuvelrug.nl", role=Role.CISO, created_at=NOW
    )
    session.add(ciso)
    session.commit()
    sign_in(client, ciso, utcnow())

    page = client.get(f"/staff/uitvragen/{uitvraag.id}")
    assert page.status_code == 200
    assert "Zaaksysteem SaaS" in page.get_data(as_text=True)
    overview = client.get("/staff/")
    assert overview.status_code == 200
    assert 'Zaken Heuvelrug <span class="muted">(Zaaksysteem SaaS)</span>' in overview.get_data(as_text=True)
    export = client.get("/staff/export/register.csv")
    assert export.status_code == 200
    header, line = export.get_data(as_text=True).lstrip("\ufeff").splitlines()[:2]
    assert header.split(";")[header.split(";").index("service")] == "service"
    assert line.split(";")[header.split(";").index("service")] == "Zaaksysteem SaaS"
