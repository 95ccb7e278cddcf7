"""Walkthrough point 5 (issue 15, 4th promise): an evidence renewal is never reported as an unanswered questionnaire.

Rehearsed with `bot worker --once --now T` and mail delivered to a real SMTP server (aiosmtpd): the supplier's
reminders ask for the renewed document, the owner's and CISO's escalations say that the renewed document is missing
and name the questionnaire; a renewed certificate brought in a later uitvraag ends the renewal request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.models import AuditLog, LadderStep, Supplier, Uitvraag
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier, supplier_submits


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    app_config["MAIL_URL"] = smtp_server.url
    return app_config


TITLE = "BIO2-leveranciersuitvraag (licht)"


def _world(session: Session, tier: str) -> None:
    hofstad = make_organisation(session, "Gemeente Hofstad")
    make_staff(session, organisation=hofstad, email="ciso@hofstad.test", name="Carla de Vries")
    supplier = make_supplier(session, "Printerij NV")
    make_contract(
        session,
        organisation=hofstad,
        supplier=supplier,
        reference="B1",
        risk_tier=tier,
        owner_email="bert@hofstad.test",
        owner_name="Bert Eigenaar",
        supplier_email="info@printerij.test",
        start_date=date(2026, 1, 1),
    )


def _pending(session: Session, kind: str = "regular") -> Uitvraag:
    session.expire_all()
    return session.exec(
        select(Uitvraag)
        .join(Supplier, Supplier.id == Uitvraag.supplier_id)
        .where(Uitvraag.kind == kind, Uitvraag.status == "pending")
        .order_by(Uitvraag.id.desc())
    ).first()


def _tick(runner: Any, session: Session, moment: datetime) -> None:
    session.rollback()
    result = runner.invoke(args=["worker", "--once", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output


def _text(message: Any) -> str:
    return message["Subject"] + "\n" + message.get_body(("plain",)).get_content()


def test_renewal_reminders_and_escalations_speak_of_the_renewed_document(app, session, runner, smtp_server):
    app.config.update(CADENCE_MONTHS_LOW=12)
    _world(session, "low")
    _tick(runner, session, datetime(2027, 1, 1, 9, tzinfo=UTC))
    supplier_submits(
        session,
        _pending(session),
        now=datetime(2027, 1, 10, 8, tzinfo=UTC),
        expires_on=date(2027, 6, 30),
        upload_dir=app.config["UPLOAD_DIR"],
    )
    moment = datetime(2027, 1, 10, 9, tzinfo=UTC)
    while moment < datetime(2027, 6, 25, tzinfo=UTC):
        _tick(runner, session, moment)
        moment += timedelta(days=3)

    received = [(m["To"], _text(m)) for m in smtp_server.messages]
    to_supplier = [text for to, text in received if to == "info@printerij.test" and "Herinnering" in text]
    assert len(to_supplier) == 2  # the 14- and 3-day reminders of the renewal
    for text in to_supplier:
        assert "vernieuwd certificaat of rapport" in text.splitlines()[0]
        assert "nog niet ontvangen" in text and "vernieuwde document" in text
        assert "Wij hebben uw antwoorden op de" not in text  # the questionnaire was answered in January
    escalations = [(to, text) for to, text in received if "Actie nodig" in text]
    assert [to for to, _ in escalations] == ["bert@hofstad.test", "ciso@hofstad.test"]
    for _to, text in escalations:
        assert "Vernieuwd certificaat of rapport niet ontvangen binnen de termijn" in text
        assert "Geen antwoord ontvangen binnen de termijn" not in text
        assert TITLE in text  # each line names the questionnaire


def test_a_renewed_certificate_in_the_next_uitvraag_ends_the_renewal_request(app, session, runner, smtp_server):
    # The full questionnaire again in Q2 (0: every cycle), so its form asks for every document that is renewed.
    app.config.update(CADENCE_MONTHS_HIGH=3, FULL_QUESTIONNAIRE_MONTH=0)
    _world(session, "high")
    uploads = app.config["UPLOAD_DIR"]
    _tick(runner, session, datetime(2027, 1, 1, 9, tzinfo=UTC))
    supplier_submits(
        session,
        _pending(session),
        now=datetime(2027, 1, 10, 8, tzinfo=UTC),
        expires_on=date(2027, 5, 20),
        upload_dir=uploads,
    )
    moment = datetime(2027, 1, 10, 9, tzinfo=UTC)
    while moment < datetime(2027, 4, 2, tzinfo=UTC):
        _tick(runner, session, moment)
        moment += timedelta(days=3)
    session.expire_all()
    renewals = session.exec(select(Uitvraag).where(Uitvraag.kind == "evidence").order_by(Uitvraag.id)).all()
    assert renewals and all(r.status == "pending" for r in renewals), "the expiring documents were asked for again"
    renewal_ids = {r.id for r in renewals}
    # Q2's form: the supplier uploads a new certificate there instead of in the renewal's form.
    renewed_at = moment.replace(hour=8)
    supplier_submits(session, _pending(session), now=renewed_at, expires_on=date(2028, 5, 20), upload_dir=uploads)
    while moment < datetime(2027, 7, 1, tzinfo=UTC):
        _tick(runner, session, moment)
        moment += timedelta(days=3)

    session.expire_all()
    assert {session.get(Uitvraag, i).status for i in renewal_ids} == {"cancelled"}
    # Nothing more about the renewal after the new certificate came in: no reminder, no escalation, no lapse.
    later = session.exec(select(LadderStep).where(LadderStep.created_at > renewed_at)).all()
    assert [(s.uitvraag_id, s.step) for s in later if s.uitvraag_id in renewal_ids or "evidence" in s.step] == []
    ended = session.exec(select(AuditLog).where(AuditLog.action == "uitvraag.renewal-ended")).all()
    assert {e.subject_id for e in ended} == renewal_ids
    texts = [_text(m) for m in smtp_server.messages]
    assert not any("is verlopen" in t and "geen vernieuwd document" in t for t in texts)
    assert not any("Vernieuwd certificaat of rapport niet ontvangen" in t for t in texts)
