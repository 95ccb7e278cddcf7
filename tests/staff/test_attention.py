"""The staff home page's "needs attention" lists: across every cycle, scoped by organisation and, for a contract
manager, by the contracts they own."""

from __future__ import annotations

from datetime import date, timedelta

from bot.models import EvidenceFile, Finding, OutboxMessage
from bot.staff.attention import attention
from tests.staff.world import make_uitvraag, snapshot
from tests.support.factories import NOW, make_contract, make_cycle, make_organisation, make_staff, make_supplier


def _finding(session, uitvraag, question, severity, status="open", accepted_until=None):
    row = Finding(
        uitvraag_id=uitvraag.id,
        question_id=question,
        rule="missing",
        severity=severity,
        measure_ids=["5.17.01"],
        reason_nl="x",
        reason_en="x",
        status=status,
        accepted_until=accepted_until,
        created_at=NOW,
    )
    session.add(row)
    session.commit()
    return row


def _failed_mail(session, organisation, uitvraag, key):
    row = OutboxMessage(
        idempotency_key=key,
        message_id=f"<{key}@test>",
        kind="reminder",
        to_addr="typo@leverancier.test",
        subject="Herinnering",
        body_text="x",
        organisation_id=organisation.id,
        uitvraag_id=uitvraag.id,
        status="failed",
        next_attempt_at=NOW,
        created_at=NOW,
    )
    session.add(row)
    session.commit()
    return row


def test_attention_spans_cycles_and_follows_the_role(session):
    now = NOW + timedelta(days=10)
    home = make_organisation(session, "Gemeente Testdorp")
    other = make_organisation(session, "Gemeente Elders")
    supplier = make_supplier(session, "Wolk Hosting BV", kvk="11111111")
    mine = make_contract(session, organisation=home, supplier=supplier, owner_email="Olga@Testdorp.nl")
    theirs = make_contract(session, organisation=home, supplier=supplier, owner_email="piet@testdorp.nl")
    elsewhere = make_contract(session, organisation=other, supplier=supplier, owner_email="olga@testdorp.nl")
    q3 = make_cycle(session, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
    q4 = make_cycle(session)
    snap = snapshot(session, NOW)
    old = make_uitvraag(
        session,
        organisation=home,
        supplier=supplier,
        contracts=[mine],
        cycle=q3,
        snap=snap,
        now=NOW,
        status="submitted",
    )
    overdue = make_uitvraag(
        session,
        organisation=home,
        supplier=supplier,
        contracts=[theirs],
        cycle=q4,
        snap=snap,
        now=NOW,
        deadline=now - timedelta(days=1),
    )
    foreign = make_uitvraag(
        session,
        organisation=other,
        supplier=supplier,
        contracts=[elsewhere],
        cycle=q4,
        snap=snap,
        now=NOW,
        deadline=now - timedelta(days=1),
    )
    critical = _finding(session, old, "mfa-remote", "critical")
    high = _finding(session, overdue, "backup", "high")
    _finding(session, old, "logging", "medium")
    _finding(session, old, "patching", "high", status="resolved")
    ending = _finding(
        session, old, "pentest", "high", status="accepted", accepted_until=now.date() + timedelta(days=30)
    )
    _finding(session, old, "vwo", "high", status="accepted", accepted_until=now.date() + timedelta(days=31))
    _finding(session, foreign, "mfa-remote", "critical")
    for uitvraag, name, expires in ((old, "iso-oud.pdf", now.date() + timedelta(days=20)),):
        session.add(
            EvidenceFile(
                uitvraag_id=uitvraag.id,
                question_id="iso27001-certificate",
                original_name=name,
                stored_name=name,
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                expires_on=expires,
                uploaded_at=NOW,
            )
        )
    session.commit()
    mail_mine = _failed_mail(session, home, old, "a")
    mail_theirs = _failed_mail(session, home, overdue, "b")
    _failed_mail(session, other, foreign, "c")

    ciso = make_staff(session, organisation=home, email="ciso@testdorp.nl", role="ciso")
    seen = attention(session, user=ciso, now=now)
    assert [(f.id, u.id) for f, u in seen.findings] == [(critical.id, old.id), (high.id, overdue.id)]
    assert [u.id for u in seen.overdue] == [overdue.id]
    assert [f.id for f, _ in seen.acceptances_ending] == [ending.id]
    assert [f.original_name for f, _ in seen.certificates_expiring] == ["iso-oud.pdf"]
    assert sorted(m.id for m in seen.failed_mails) == sorted([mail_mine.id, mail_theirs.id])
    assert not seen.empty

    olga = make_staff(session, organisation=home, email="olga@testdorp.nl", role="contract-manager")
    own = attention(session, user=olga, now=now)
    assert [f.id for f, _ in own.findings] == [critical.id]
    assert own.overdue == []
    assert [m.id for m in own.failed_mails] == [mail_mine.id]

    newcomer = make_staff(session, organisation=other, email="new@elders.nl", role="contract-manager")
    assert attention(session, user=newcomer, now=now).empty


def test_a_renewed_certificate_ends_the_expiry_warning(session):
    now = NOW + timedelta(days=10)
    home = make_organisation(session, "Gemeente Testdorp")
    supplier = make_supplier(session, "Wolk Hosting BV", kvk="11111111")
    contract = make_contract(session, organisation=home, supplier=supplier)
    snap = snapshot(session, NOW)
    q3 = make_cycle(session, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
    q4 = make_cycle(session)
    rows = []
    for cycle, expires, day in ((q3, now.date() + timedelta(days=20), 0), (q4, now.date() + timedelta(days=400), 5)):
        uitvraag = make_uitvraag(
            session,
            organisation=home,
            supplier=supplier,
            contracts=[contract],
            cycle=cycle,
            snap=snap,
            now=NOW,
            status="submitted",
        )
        rows.append(uitvraag)
        session.add(
            EvidenceFile(
                uitvraag_id=uitvraag.id,
                question_id="iso27001-certificate",
                original_name=f"iso-{cycle.name}.pdf",
                stored_name=f"s{day}",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                expires_on=expires,
                uploaded_at=NOW + timedelta(days=day),
            )
        )
        session.commit()
    ciso = make_staff(session, organisation=home, email="ciso@testdorp.nl", role="ciso")
    assert attention(session, user=ciso, now=now).certificates_expiring == []
