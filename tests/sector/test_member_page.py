"""A member municipality's uitvraag page says in one line that its answers come from a shared declaration (and
when the supplier answered it, once), without naming any other municipality."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.cycles.planner import plan_cycles
from bot.models import Declaration, DeclarationMember, Role, StaffUser, Uitvraag
from bot.register import import_register
from bot.timeutil import LOCAL_TIME, utcnow
from tests.cycles.test_sharing import NOW, TOWNS, register, uitvragen
from tests.staff.world import sign_in
from tests.support.factories import supplier_submits as submit

PART_OF = "Onderdeel van een gedeelde verklaring"
ANSWERED = "Beantwoord via een gedeelde verklaring"


@pytest.fixture
def shared(session, app):
    import_register(session, data=register(), now=NOW, actor="test")
    session.commit()
    plan_cycles(session=session, config=app.config, now=NOW)
    return uitvragen(session, "bio2-leverancier")


def page_of(client, session, uitvraag: Uitvraag) -> str:
    email = f"ciso{uitvraag.organisation_id}@x.nl"
    ciso = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    if ciso is None:
        ciso = StaffUser(organisation_id=uitvraag.organisation_id, email=email, role=Role.CISO, created_at=NOW)
        session.add(ciso)
    session.commit()
    sign_in(client, ciso, utcnow())
    response = client.get(f"/staff/uitvragen/{uitvraag.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def line(page: str) -> str:
    start = page.index('id="shared-declaration"')
    return page[start : page.index("</p>", start)]


def test_a_member_page_says_it_shares_the_declaration_and_when_the_supplier_answered(client, session, shared, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    member = next(u for u in shared.values() if u.id != declaration.lead_uitvraag_id)
    town = next(t for t, u in shared.items() if u.id == member.id)
    before = line(page_of(client, session, member))
    assert PART_OF in before and "Zaaksysteem SaaS" in before

    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    submit(session, lead, now=NOW + timedelta(days=2), upload_dir=tmp_path / "uploads")
    page = page_of(client, session, session.get(Uitvraag, member.id))
    after = line(page)
    assert ANSWERED in after and "één keer" in after and "Zaaksysteem SaaS" in after
    answered_day = (NOW + timedelta(days=2)).astimezone(LOCAL_TIME).day  # the page gives the day in Amsterdam
    assert f" {answered_day} " in after  # "op 5 december 2026"
    for other in TOWNS:
        if other != town:
            assert f"Gemeente {other}" not in page and f"Zaken {other}" not in page and other.lower() not in page


def test_a_municipality_asked_on_its_own_gets_no_such_line(client, session, shared):
    declaration = session.exec(select(Declaration)).one()
    member = next(u for u in shared.values() if u.id != declaration.lead_uitvraag_id)
    row = session.get(DeclarationMember, member.id)
    row.excluded_at = NOW
    session.add(row)
    session.commit()
    assert 'id="shared-declaration"' not in page_of(client, session, member)
    avg = next(iter(uitvragen(session, "avg-verwerker").values()))
    assert 'id="shared-declaration"' not in page_of(client, session, avg)
