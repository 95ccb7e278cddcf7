"""Samen organiseren: a supplier with contracts for one service at three municipalities answers BIO2 once.

Each municipality still judges the answers with its own facts, escalates to its own people, and asks the AVG
processor module on its own.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.access import issue_token
from bot.cycles.planner import plan_cycles
from bot.cycles.sweep import sweep
from bot.models import (
    AuditLog,
    Declaration,
    DeclarationMember,
    Finding,
    LadderStep,
    Organisation,
    OutboxMessage,
    Role,
    StaffUser,
    Submission,
    Uitvraag,
    UitvraagStatus,
)
from bot.register import import_register
from bot.timeutil import utcnow
from tests.cycles.support import submit
from tests.staff.world import sign_in

HEADER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Dienst;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Cloud;Startdatum;Einddatum"
)
TOWNS = ("Heuvelrug", "Dijkstad", "Veenland")
# The links are opened in the web app, which checks them against the clock: plan at the real time.
NOW = utcnow().replace(microsecond=0)


def register(*, cloud_town: str = "Veenland", service_of: dict[str, str] | None = None) -> bytes:
    lines = [HEADER]
    for n, town in enumerate(TOWNS, start=1):
        service = (service_of or {}).get(town, "Zaaksysteem SaaS")
        lines.append(
            f"Gemeente {town};Zaakwerk BV;12345678;security@zaakwerk.nl;{town[:2].upper()}-{n};Zaken {town};"
            f"{service};Eigenaar {town};eigenaar@{town.lower()}.nl;hoog;ja;{'ja' if town == cloud_town else 'nee'};"
            "01-01-2024;"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def planned(session, app, tmp_path):
    import_register(session, data=register(), now=NOW, actor="test")
    for org in session.exec(select(Organisation)).all():
        town = org.name.split()[-1].lower()
        session.add(StaffUser(organisation_id=org.id, email=f"ciso@{town}.nl", role=Role.CISO, created_at=NOW))
    session.commit()
    plan_cycles(session=session, config=app.config, now=NOW)
    return app.config


def uitvragen(session, questionnaire_id: str) -> dict[str, Uitvraag]:
    rows = session.exec(
        select(Uitvraag, Organisation)
        .join(Organisation, col(Organisation.id) == Uitvraag.organisation_id)
        .where(Uitvraag.questionnaire_id == questionnaire_id)
    ).all()
    return {org.name.split()[-1]: u for u, org in rows}


def invitations(session) -> Counter[str]:
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    by_id = {u.id: u.questionnaire_id for u in session.exec(select(Uitvraag)).all()}
    return Counter(by_id[m.uitvraag_id] for m in mails)


def test_three_municipalities_send_one_bio2_invitation_and_three_avg_ones(session, planned):
    assert invitations(session) == {"bio2-leverancier": 1, "avg-verwerker": 3}
    declaration = session.exec(select(Declaration)).one()
    members = session.exec(select(DeclarationMember)).all()
    assert {m.uitvraag_id for m in members} == {u.id for u in uitvragen(session, "bio2-leverancier").values()}
    assert declaration.lead_uitvraag_id in {m.uitvraag_id for m in members}
    joined = session.exec(select(AuditLog).where(AuditLog.action == "declaration.joined")).all()
    assert len(joined) == 2


def test_one_answer_gives_each_municipality_its_own_findings_and_escalations(session, planned, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    # The lead's form asks the cloud questions too: one of the municipalities has its service in the cloud.
    submit(
        session,
        lead,
        now=NOW + timedelta(days=2),
        answers={"mfa-admin": "no", "data-location": "outside-eu"},
        upload_dir=tmp_path / "uploads",
    )

    shared = uitvragen(session, "bio2-leverancier")
    assert {town: u.status for town, u in shared.items()} == dict.fromkeys(TOWNS, UitvraagStatus.SUBMITTED)
    assert len(session.exec(select(Submission)).all()) == 3
    findings: dict[str, set[str]] = {}
    for town, u in shared.items():
        findings[town] = {f.question_id for f in session.exec(select(Finding).where(Finding.uitvraag_id == u.id))}
    # Only Veenland's contract is in the cloud: only Veenland judges where the data is.
    assert findings["Veenland"] == {"mfa-admin", "data-location"}
    assert findings["Heuvelrug"] == findings["Dijkstad"] == {"mfa-admin"}
    # The AVG module is still its own uitvraag per municipality, not submitted by the shared answer.
    assert {u.status for u in uitvragen(session, "avg-verwerker").values()} == {UitvraagStatus.PENDING}

    sweep(session=session, config=planned, now=NOW + timedelta(days=2, hours=1))
    for town, u in shared.items():
        recipients = {
            (s.level, s.recipient_email) for s in session.exec(select(LadderStep).where(LadderStep.uitvraag_id == u.id))
        }
        # A critical finding: the municipality's own owner and its own CISO, nobody else's.
        assert recipients == {("owner", f"eigenaar@{town.lower()}.nl"), ("ciso", f"ciso@{town.lower()}.nl")}


def test_the_supplier_is_reminded_through_the_lead_only(session, planned):
    declaration = session.exec(select(Declaration)).one()
    shared = uitvragen(session, "bio2-leverancier")
    deadline = next(iter(shared.values())).deadline
    sweep(session=session, config=planned, now=deadline - timedelta(days=13, hours=12))
    reminded = {
        s.uitvraag_id
        for s in session.exec(select(LadderStep).where(LadderStep.level == "supplier")).all()
        if s.uitvraag_id in {u.id for u in shared.values()}
    }
    assert reminded == {declaration.lead_uitvraag_id}


def test_contracts_for_different_services_are_not_shared(session, app):
    import_register(session, data=register(service_of={"Dijkstad": "Hosting en beheer"}), now=NOW, actor="test")
    plan_cycles(session=session, config=app.config, now=NOW)
    assert invitations(session) == {"bio2-leverancier": 2, "avg-verwerker": 3}


def open_link(client, session, uitvraag: Uitvraag) -> None:
    token = issue_token(session, uitvraag=uitvraag, now=utcnow(), grace_days=14)
    session.commit()
    assert client.get(f"/q/{token}").status_code == 303


def test_the_supplier_sees_the_municipalities_and_may_answer_separately_for_one(client, session, planned, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    shared = uitvragen(session, "bio2-leverancier")
    open_link(client, session, lead)

    page = client.get(f"/q/uitvraag/{lead.id}").get_data(as_text=True)
    for town in TOWNS:
        assert f"Gemeente {town}" in page
    leaving = next(u for u in shared.values() if u.id != lead.id)
    staying = next(u for u in shared.values() if u.id not in (lead.id, leaving.id))
    session.commit()  # end the test's reads: the request writes
    response = client.post(f"/q/uitvraag/{lead.id}/declaration/exclude", data={"member": str(leaving.id)})
    assert response.status_code == 303

    session.expire_all()
    assert session.get(DeclarationMember, leaving.id).excluded_at is not None
    own = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"invitation:{leaving.id}:own"))
    assert own.one().to_addr == "security@zaakwerk.nl"
    assert invitations(session) == {"bio2-leverancier": 2, "avg-verwerker": 3}
    session.commit()
    # Leaving the lead out, or a municipality that is not in the declaration, is refused without a change.
    assert client.post(f"/q/uitvraag/{lead.id}/declaration/exclude", data={"member": str(lead.id)}).status_code == 404
    assert client.post(f"/q/uitvraag/{lead.id}/declaration/exclude", data={"member": "x"}).status_code == 404

    # The form now lists the two that still share, and not the one that answers separately.
    town_of = {u.id: town for town, u in shared.items()}
    page = client.get(f"/q/uitvraag/{lead.id}").get_data(as_text=True)
    assert f"Gemeente {town_of[staying.id]}" in page and f"Gemeente {town_of[leaving.id]}" not in page

    submit(session, lead, now=NOW + timedelta(days=2), upload_dir=tmp_path / "uploads")
    assert session.get(Uitvraag, staying.id).status == UitvraagStatus.SUBMITTED
    assert session.get(Uitvraag, leaving.id).status == UitvraagStatus.PENDING


def test_a_member_municipality_never_sees_the_declaration_of_another(client, session, planned, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    submit(session, lead, now=NOW + timedelta(days=2), upload_dir=tmp_path / "uploads")
    shared = uitvragen(session, "bio2-leverancier")
    member = next(u for u in shared.values() if u.id != lead.id)
    ciso = session.exec(
        select(StaffUser).where(StaffUser.organisation_id == member.organisation_id, StaffUser.role == Role.CISO)
    ).one()
    session.commit()
    sign_in(client, ciso, utcnow())
    # Its own uitvraag, with the shared answers: yes. The lead's, or any other municipality's: not found.
    assert client.get(f"/staff/uitvragen/{member.id}").status_code == 200
    for other in shared.values():
        if other.organisation_id != member.organisation_id:
            assert client.get(f"/staff/uitvragen/{other.id}").status_code == 404
    page = client.get(f"/staff/uitvragen/{member.id}").get_data(as_text=True)
    others = [town for town in TOWNS if f"@{town.lower()}.nl" not in ciso.email]
    for town in others:
        assert f"Gemeente {town}" not in page and f"Zaken {town}" not in page
