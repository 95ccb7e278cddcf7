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
    AccessToken,
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
    UitvraagKind,
    UitvraagStatus,
)
from bot.register import import_register
from bot.staff import actions
from bot.staff.actions import MailSettings
from bot.timeutil import utcnow
from tests.staff.world import sign_in
from tests.support.factories import supplier_submits

HEADER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Dienst;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Cloud;Startdatum;Einddatum"
)
TOWNS = ("Heuvelrug", "Dijkstad", "Veenland")
# The links are opened in the web app, which checks them against the clock: plan at the real time.
NOW = utcnow().replace(microsecond=0)


def register(
    *, cloud_town: str = "Veenland", service_of: dict[str, str] | None = None, towns: tuple[str, ...] = TOWNS
) -> bytes:
    lines = [HEADER]
    for n, town in enumerate(towns, start=1):
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
    supplier_submits(
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

    supplier_submits(session, lead, now=NOW + timedelta(days=2), upload_dir=tmp_path / "uploads")
    assert session.get(Uitvraag, staying.id).status == UitvraagStatus.SUBMITTED
    assert session.get(Uitvraag, leaving.id).status == UitvraagStatus.PENDING


def test_a_member_municipality_never_sees_the_declaration_of_another(client, session, planned, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    supplier_submits(session, lead, now=NOW + timedelta(days=2), upload_dir=tmp_path / "uploads")
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


def findings_of(session, uitvraag: Uitvraag) -> dict[str, str]:
    rows = session.exec(select(Finding).where(Finding.uitvraag_id == uitvraag.id).order_by(col(Finding.id)))
    return {f.question_id: f.status for f in rows}


def ciso_of(session, uitvraag: Uitvraag) -> StaffUser:
    return session.exec(
        select(StaffUser).where(StaffUser.organisation_id == uitvraag.organisation_id, StaffUser.role == Role.CISO)
    ).one()


def test_an_improvement_request_is_one_follow_up_whose_answer_reaches_every_municipality(
    client, session, planned, tmp_path
):
    declaration = session.exec(select(Declaration)).one()
    lead = session.get(Uitvraag, declaration.lead_uitvraag_id)
    supplier_submits(session, lead, now=NOW, answers={"mfa-admin": "no"}, upload_dir=tmp_path / "uploads")
    shared = uitvragen(session, "bio2-leverancier")
    assert {town: findings_of(session, u).get("mfa-admin") for town, u in shared.items()} == dict.fromkeys(
        TOWNS, "open"
    )
    # A member, not the lead, asks for improvement: one follow-up, one mail to the supplier.
    asking = next(u for u in shared.values() if u.id != lead.id)
    before = invitations(session)
    follow_up = actions.request_improvement(
        session,
        actor=ciso_of(session, asking),
        uitvraag=asking,
        question_ids=["mfa-admin"],
        remark="Graag MFA voor beheerders, zie ons beleid.",
        deadline=(NOW + timedelta(days=14)).date(),
        now=NOW,
        mail=MailSettings.from_config(planned),
    )
    session.commit()
    assert invitations(session) == before
    follow_up_mails = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "follow-up")).all()
    assert [m.uitvraag_id for m in follow_up_mails] == [follow_up.id]

    # Its form says the improved answers go to every municipality that received the declaration.
    token = issue_token(session, uitvraag=follow_up, now=utcnow(), grace_days=14)
    session.commit()
    assert client.get(f"/q/{token}").status_code == 303
    page = client.get(f"/q/uitvraag/{follow_up.id}").get_data(as_text=True)
    for town in TOWNS:
        assert f"Gemeente {town}" in page
    assert "declaration/exclude" not in page

    supplier_submits(
        session, follow_up, now=NOW + timedelta(days=1), answers={"mfa-admin": "yes"}, upload_dir=tmp_path / "u"
    )
    # Every municipality now has a submitted follow-up with the improved answer, and its finding is resolved.
    follow_ups = session.exec(
        select(Uitvraag).where(Uitvraag.kind == UitvraagKind.FOLLOW_UP).order_by(col(Uitvraag.id))
    ).all()
    assert sorted(u.parent_id for u in follow_ups) == sorted(u.id for u in shared.values())
    assert {u.status for u in follow_ups} == {UitvraagStatus.SUBMITTED}
    for town, u in shared.items():
        assert findings_of(session, u)["mfa-admin"] == "resolved", town
    # Only the asking municipality's follow-up has a link; the others got the answer without a mail of their own.
    linked = {t.uitvraag_id for t in session.exec(select(AccessToken)).all()}
    assert [u.id for u in follow_ups if u.id in linked] == [follow_up.id]
    assert len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "follow-up")).all()) == 1
    # Each received record names the supplier's submission it comes from, and not the asking municipality's remark.
    improvement = session.exec(select(Submission).where(Submission.uitvraag_id == follow_up.id)).one()
    for u in follow_ups:
        if u.id != follow_up.id:
            record = session.exec(select(Submission).where(Submission.uitvraag_id == u.id)).one()
            assert f'"digest":"{improvement.digest}"' in record.canonical
            assert u.remark is None
    received = session.exec(select(AuditLog).where(AuditLog.action == "declaration.improvement-received")).all()
    assert sorted(a.subject_id for a in received) == sorted(u.id for u in shared.values() if u.id != asking.id)


def test_a_municipality_planned_after_the_supplier_answered_receives_that_declaration(session, app, tmp_path):
    import_register(session, data=register(towns=TOWNS[:2], cloud_town="-"), now=NOW, actor="test")
    plan_cycles(session=session, config=app.config, now=NOW)
    declaration = session.exec(select(Declaration)).one()
    lead_record = supplier_submits(
        session, session.get(Uitvraag, declaration.lead_uitvraag_id), now=NOW, upload_dir=tmp_path / "uploads"
    )

    # Veenland's contract enters the register later in the same cycle.
    import_register(session, data=register(cloud_town="-"), now=NOW + timedelta(days=3), actor="test")
    report = plan_cycles(session=session, config=app.config, now=NOW + timedelta(days=3))
    assert report.declarations_received == 1
    late = uitvragen(session, "bio2-leverancier")["Veenland"]
    assert late.status == UitvraagStatus.SUBMITTED
    assert session.get(DeclarationMember, late.id).declaration_id == declaration.id
    assert invitations(session)["bio2-leverancier"] == 1  # the supplier is not asked again
    record = session.exec(select(Submission).where(Submission.uitvraag_id == late.id)).one()
    assert f'"digest":"{lead_record.digest}"' in record.canonical
    assert f'"declared_at":"{NOW.isoformat(timespec="seconds")}' in record.canonical
    assert record.respondent_email == lead_record.respondent_email


def test_an_answered_declaration_is_not_current_for_the_next_cycle(session, app, tmp_path):
    import_register(session, data=register(), now=NOW, actor="test")
    plan_cycles(session=session, config=app.config, now=NOW)
    declaration = session.exec(select(Declaration)).one()
    supplier_submits(
        session, session.get(Uitvraag, declaration.lead_uitvraag_id), now=NOW, upload_dir=tmp_path / "uploads"
    )
    later = NOW + timedelta(days=95)  # the next quarterly cycle: the supplier is asked again, once
    report = plan_cycles(session=session, config=app.config, now=later)
    assert report.declarations_received == 0
    assert len(session.exec(select(Declaration)).all()) == 2
    assert invitations(session)["bio2-leverancier"] == 2


def test_a_later_municipality_whose_contract_needs_more_is_asked_on_its_own(session, app, tmp_path):
    import_register(session, data=register(towns=TOWNS[:2], cloud_town="-"), now=NOW, actor="test")
    plan_cycles(session=session, config=app.config, now=NOW)
    declaration = session.exec(select(Declaration)).one()
    supplier_submits(
        session, session.get(Uitvraag, declaration.lead_uitvraag_id), now=NOW, upload_dir=tmp_path / "uploads"
    )
    # Veenland's service runs in the cloud: the declaration never answered the cloud questions.
    import_register(session, data=register(), now=NOW + timedelta(days=3), actor="test")
    report = plan_cycles(session=session, config=app.config, now=NOW + timedelta(days=3))
    assert report.declarations_received == 0
    late = uitvragen(session, "bio2-leverancier")["Veenland"]
    assert late.status == UitvraagStatus.PENDING
    assert session.get(DeclarationMember, late.id).excluded_at is not None
    own = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"invitation:{late.id}:own"))
    assert own.one().to_addr == "security@zaakwerk.nl"


def test_the_update_questionnaire_between_two_full_ones_is_shared_too(session, planned, tmp_path):
    declaration = session.exec(select(Declaration)).one()
    supplier_submits(
        session, session.get(Uitvraag, declaration.lead_uitvraag_id), now=NOW, upload_dir=tmp_path / "uploads"
    )
    # A quarter outside the full questionnaire's month: each municipality gets the short update, asked once.
    april = NOW.replace(year=NOW.year + 1, month=4, day=7)
    plan_cycles(session=session, config=planned, now=april)
    updates = uitvragen(session, "bio2-update")
    assert set(updates) == set(TOWNS)
    assert invitations(session)["bio2-update"] == 1
    shared = session.exec(select(Declaration).where(Declaration.questionnaire_id == "bio2-update")).one()
    members = session.exec(select(DeclarationMember).where(DeclarationMember.declaration_id == shared.id)).all()
    assert {m.uitvraag_id for m in members} == {u.id for u in updates.values()}
