"""A year rehearsed with `bot worker --once --now T`: who is invited when, which reminders and escalations go
out to whom, and how many mails each person gets. Nothing is sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.models import Contract, Finding, LadderStep, OutboxMessage, ReviewCycle, Uitvraag, UitvraagContract
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier, supplier_submits


def _register(session: Session) -> None:
    hofstad = make_organisation(session, "Gemeente Hofstad")
    bergdorp = make_organisation(session, "Gemeente Bergdorp")
    make_staff(session, organisation=hofstad, email="ciso@hofstad.test", name="Carla de Vries")
    make_staff(session, organisation=hofstad, email="admin@hofstad.test", role="admin")
    make_staff(session, organisation=bergdorp, email="beheer@bergdorp.test", role="admin")  # Bergdorp has no CISO
    zaakwerk = make_supplier(session, "Zaakwerk BV")
    cloudly = make_supplier(session, "Cloudly Ltd", language="en")
    printerij = make_supplier(session, "Printerij NV")
    oudsys = make_supplier(session, "Oudsys BV")
    start = date(2026, 1, 1)
    olga, piet, bert = "olga@hofstad.test", "piet@hofstad.test", "bert@bergdorp.test"

    def contract(org: Any, supplier: Any, ref: str, tier: str, owner: str, mail: str, **kw: Any) -> None:
        values = {"start_date": start, "owner_name": owner.split("@")[0].title(), **kw}
        make_contract(
            session, organisation=org, supplier=supplier, reference=ref, risk_tier=tier, owner_email=owner,
            supplier_email=mail, **values,
        )  # fmt: skip

    contract(hofstad, zaakwerk, "A1", "high", olga, "security@zaakwerk.test", personal_data=True)
    contract(hofstad, zaakwerk, "A2", "high", piet, "security@zaakwerk.test")
    contract(hofstad, zaakwerk, "A3", "high", piet, "security@zaakwerk.test", start_date=date(2027, 2, 15))
    contract(hofstad, cloudly, "A4", "medium", olga, "sec@cloudly.test")
    contract(bergdorp, printerij, "B1", "low", bert, "info@printerij.test")
    contract(bergdorp, oudsys, "B2", "high", bert, "help@oudsys.test", end_date=date(2027, 3, 31))


def _open(session: Session, supplier: str, questionnaire: str, kind: str = "regular") -> Any:
    from bot.models import Supplier

    return session.exec(
        select(Uitvraag)
        .join(Supplier, Supplier.id == Uitvraag.supplier_id)
        .where(Supplier.name == supplier, Uitvraag.questionnaire_id == questionnaire, Uitvraag.kind == kind)
        .where(Uitvraag.status == "pending")
        .order_by(Uitvraag.id.desc())  # Cloudly never answered its first half year
    ).first()


def test_a_year_of_review_cycles(app: Any, session: Session, runner: Any, tmp_path: Path) -> None:
    # The full questionnaire in every cycle (0): this year is about reminders and escalations; the yearly full
    # questionnaire with quarterly updates between is rehearsed in test_cadence.py.
    app.config.update(CADENCE_MONTHS_HIGH=3, CADENCE_MONTHS_MEDIUM=6, CADENCE_MONTHS_LOW=12, FULL_QUESTIONNAIRE_MONTH=0)
    uploads = app.config["UPLOAD_DIR"]
    _register(session)
    full, processor, light = "bio2-leverancier", "avg-verwerker", "bio2-leverancier-licht"

    def accept_cloudly_findings(now: datetime) -> None:
        [uitvraag] = session.exec(select(Uitvraag).where(Uitvraag.status == "submitted", Uitvraag.language == "en"))
        for finding in session.exec(select(Finding).where(Finding.uitvraag_id == uitvraag.id)):
            finding.status, finding.accepted_until, finding.accepted_reason = "accepted", date(2027, 9, 30), "MFA in Q3"
            session.add(finding)
        session.commit()

    # What the suppliers (and one owner) do, on the morning of these days, before the worker's tick.
    actions = {
        date(2027, 1, 10): [
            lambda now: supplier_submits(session, _open(session, "Zaakwerk BV", full), now=now, upload_dir=uploads),
            lambda now: supplier_submits(
                session, _open(session, "Zaakwerk BV", processor), now=now, upload_dir=uploads
            ),
            # Printerij's certificate expires on 30 June.
            lambda now: supplier_submits(
                session,
                _open(session, "Printerij NV", light),
                now=now,
                expires_on=date(2027, 6, 30),
                upload_dir=uploads,
            ),
            lambda now: supplier_submits(
                session, _open(session, "Oudsys BV", full), now=now, answers={"mfa-admin": "no"}, upload_dir=uploads
            ),
        ],
        date(2027, 4, 10): [
            lambda now: supplier_submits(
                session, _open(session, "Zaakwerk BV", full), now=now, answers={"mfa-admin": "no"}, upload_dir=uploads
            ),
            lambda now: supplier_submits(
                session, _open(session, "Zaakwerk BV", processor), now=now, upload_dir=uploads
            ),
        ],
        date(2027, 7, 10): [
            lambda now: supplier_submits(
                session, _open(session, "Cloudly Ltd", full), now=now, answers={"mfa-admin": "no"}, upload_dir=uploads
            )
        ],
        date(2027, 7, 13): [accept_cloudly_findings],
        date(2027, 10, 5): [
            lambda now: supplier_submits(session, _open(session, "Zaakwerk BV", full), now=now, upload_dir=uploads),
            lambda now: supplier_submits(
                session, _open(session, "Zaakwerk BV", processor), now=now, upload_dir=uploads
            ),
        ],
    }

    # The worker ticks every third day at 09:00, for all of 2027 (and sometimes twice at the same moment).
    moment = datetime(2027, 1, 1, 9, tzinfo=UTC)
    day = date(2027, 1, 1)
    ticks = 0
    while moment.year == 2027:
        while day <= moment.date():
            for action in actions.get(day, []):
                action(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8))
            day += timedelta(days=1)
        session.rollback()  # the worker needs the database: end the test's reads
        for _ in range(2 if ticks % 10 == 0 else 1):
            result = runner.invoke(args=["worker", "--once", "--now", moment.isoformat()])
            assert result.exit_code == 0, result.output
        ticks += 1
        moment += timedelta(days=3)

    session.expire_all()
    ref = {c.id: c.reference for c in session.exec(select(Contract))}
    cycle = {c.id: c.name for c in session.exec(select(ReviewCycle))}

    # Who was invited when, for which cycle and contracts.
    invited = []
    for uitvraag in session.exec(select(Uitvraag).order_by(Uitvraag.id)):
        links = session.exec(select(UitvraagContract).where(UitvraagContract.uitvraag_id == uitvraag.id))
        refs = sorted(ref[link.contract_id] for link in links)
        invited.append((str(uitvraag.created_at.date()), uitvraag.questionnaire_id, cycle[uitvraag.cycle_id], refs))
    assert invited == [
        ("2027-01-01", full, "2027-Q1", ["A1", "A2", "A3"]),  # A3 started on 15 February and joined
        ("2027-01-01", processor, "2027-Q1", ["A1"]),
        ("2027-01-01", full, "2027-H1", ["A4"]),  # medium risk: every half year
        ("2027-01-01", light, "2027", ["B1"]),  # low risk: every year
        ("2027-01-01", full, "2027-Q1", ["B2"]),  # ends on 31 March: not invited after that
        ("2027-04-01", full, "2027-Q2", ["A1", "A2", "A3"]),
        ("2027-04-01", processor, "2027-Q2", ["A1"]),
        ("2027-05-01", light, "2027", ["B1"]),  # the renewal request for the expiring certificate
        ("2027-07-03", full, "2027-Q3", ["A1", "A2", "A3"]),  # 1 July fell between two ticks
        ("2027-07-03", processor, "2027-Q3", ["A1"]),
        ("2027-07-03", full, "2027-H2", ["A4"]),
        ("2027-10-01", full, "2027-Q4", ["A1", "A2", "A3"]),
        ("2027-10-01", processor, "2027-Q4", ["A1"]),
    ]

    # Every reminder and escalation, when and to whom.
    ladder = [
        (str(e.created_at.date()), e.step.split(":")[0], e.recipient_email)
        for e in session.exec(select(LadderStep).order_by(LadderStep.created_at, LadderStep.id))
    ]
    assert ladder == [
        ("2027-01-10", "owner-findings", "bert@bergdorp.test"),  # Oudsys: no MFA for admins (critical)
        ("2027-01-10", "ciso-findings", "beheer@bergdorp.test"),  # critical: the CISO (here the administrator) too
        ("2027-01-19", "reminder-14", "sec@cloudly.test"),
        ("2027-01-28", "reminder-3", "sec@cloudly.test"),
        ("2027-02-03", "owner-overdue", "olga@hofstad.test"),
        ("2027-02-15", "ciso-overdue", "ciso@hofstad.test"),
        ("2027-04-10", "owner-findings", "olga@hofstad.test"),  # Zaakwerk Q2: no MFA, to every contract's owner
        ("2027-04-10", "owner-findings", "piet@hofstad.test"),
        ("2027-04-10", "ciso-findings", "ciso@hofstad.test"),
        ("2027-05-01", "evidence-expiring", "info@printerij.test"),  # 60 days before 30 June
        ("2027-05-19", "reminder-14", "info@printerij.test"),
        ("2027-05-28", "reminder-3", "info@printerij.test"),
        ("2027-06-03", "owner-overdue", "bert@bergdorp.test"),
        ("2027-06-15", "ciso-overdue", "beheer@bergdorp.test"),  # no CISO: the administrator
        ("2027-07-03", "evidence-lapsed", "bert@bergdorp.test"),
        ("2027-07-12", "owner-findings", "olga@hofstad.test"),  # Cloudly H2: then accepted until 30 September
        ("2027-07-12", "ciso-findings", "ciso@hofstad.test"),
        ("2027-07-21", "reminder-14", "security@zaakwerk.test"),  # Zaakwerk Q3: never answered
        ("2027-07-21", "reminder-14", "security@zaakwerk.test"),
        ("2027-07-30", "reminder-3", "security@zaakwerk.test"),
        ("2027-07-30", "reminder-3", "security@zaakwerk.test"),
        ("2027-08-05", "owner-overdue", "olga@hofstad.test"),
        ("2027-08-05", "owner-overdue", "piet@hofstad.test"),
        ("2027-08-05", "owner-overdue", "olga@hofstad.test"),
        ("2027-08-17", "ciso-overdue", "ciso@hofstad.test"),
        ("2027-08-17", "ciso-overdue", "ciso@hofstad.test"),
        ("2027-10-01", "ciso-findings", "ciso@hofstad.test"),  # the acceptance of a critical finding ended: CISO
        ("2027-10-01", "owner-findings", "olga@hofstad.test"),  # ... and the owner
    ]

    # How many mails each person got, all delivered, none twice.
    messages = session.exec(select(OutboxMessage)).all()
    assert all(m.status == "sent" for m in messages)
    assert len({m.idempotency_key for m in messages}) == len(messages)
    assert Counter((m.to_addr, m.kind) for m in messages) == {
        ("security@zaakwerk.test", "invitation"): 8,
        ("security@zaakwerk.test", "reminder"): 4,
        ("sec@cloudly.test", "invitation"): 2,
        ("sec@cloudly.test", "reminder"): 2,
        ("info@printerij.test", "invitation"): 1,
        ("info@printerij.test", "evidence-renewal"): 1,
        ("info@printerij.test", "reminder"): 2,
        ("help@oudsys.test", "invitation"): 1,
        # Every submission's receipt, to the respondent (here the supplier contact): Zaakwerk submitted six times.
        ("security@zaakwerk.test", "receipt"): 6,
        ("sec@cloudly.test", "receipt"): 1,
        ("info@printerij.test", "receipt"): 1,
        ("help@oudsys.test", "receipt"): 1,
        # One digest per person per sweep: Olga's two overdue Zaakwerk uitvragen of 5 August share one mail.
        ("olga@hofstad.test", "escalation-digest"): 5,
        ("piet@hofstad.test", "escalation-digest"): 2,
        ("ciso@hofstad.test", "escalation-digest"): 5,  # two overdue, two critical findings, one lapsed acceptance
        ("bert@bergdorp.test", "escalation-digest"): 3,
        ("beheer@bergdorp.test", "escalation-digest"): 2,
    }
    delivered = list((tmp_path / "mail").glob("*.eml"))
    assert len(delivered) == len(messages)
    cloudly = [m for m in messages if m.to_addr == "sec@cloudly.test"]
    assert all(m.language == "en" for m in cloudly)
