"""What staff do to an uitvraag, as plain functions: each changes what it should, refuses what it should not,
and leaves a line in the audit log with who and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlmodel import select

from bot.access import TokenState, lookup_token
from bot.models import AccessToken, Answer, AuditLog, OutboxMessage, Uitvraag, UitvraagContract
from bot.staff import actions
from tests.support.mail import TEST_SECRET_KEY, sent_text

MAIL = actions.MailSettings(base_url="http://localhost", grace_days=14, secret_key=TEST_SECRET_KEY)


def audit(session, action):
    return session.exec(select(AuditLog).where(AuditLog.action == action)).all()


def test_requesting_improvement_creates_a_follow_up_with_a_link_and_a_mail(session, world, now):
    deadline = now.date() + timedelta(days=14)
    follow_up = actions.request_improvement(
        session,
        actor=world.manager,
        uitvraag=world.uitvraag,
        question_ids=["incident-notice-hours", "mfa-remote-admin"],
        remark="Graag MFA invoeren en melden binnen 24 uur.",
        deadline=deadline,
        now=now,
        mail=MAIL,
    )
    session.commit()
    assert (
        follow_up.kind == "follow-up" and follow_up.follow_up_number == 1 and follow_up.parent_id == world.uitvraag.id
    )
    assert follow_up.question_ids == ["mfa-remote-admin", "incident-notice-hours"]  # questionnaire order
    assert follow_up.deadline.date() == deadline and follow_up.status == "pending"
    assert (follow_up.cycle_id, follow_up.snapshot_id, follow_up.supplier_id) == (
        world.uitvraag.cycle_id,
        world.uitvraag.snapshot_id,
        world.uitvraag.supplier_id,
    )
    links = session.exec(select(UitvraagContract).where(UitvraagContract.uitvraag_id == follow_up.id)).all()
    assert [(link.contract_id, link.follow_up_number) for link in links] == [(world.contract.id, 1)]
    answers = {a.question_id: a for a in session.exec(select(Answer).where(Answer.uitvraag_id == follow_up.id))}
    assert answers["mfa-remote-admin"].value == "no" and answers["mfa-remote-admin"].carried_over
    assert set(answers) == {"mfa-remote-admin", "incident-notice-hours"}
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == f"follow-up:{follow_up.id}")).one()
    assert mail.kind == "follow-up" and mail.to_addr == "security@wolk.test" and mail.reply_to == "olga@testdorp.nl"
    assert "Graag MFA invoeren" in mail.body_text
    assert "Is meerfactorauthenticatie verplicht voor beheer op afstand?" in mail.body_text
    token = sent_text(mail).split("http://localhost/q/")[1].split()[0]
    assert lookup_token(session, token, now=now).state is TokenState.VALID
    (entry,) = audit(session, "uitvraag.improvement-requested")
    assert entry.subject_id == world.uitvraag.id and entry.detail["follow_up_id"] == follow_up.id
    # A second request counts the round up.
    again = actions.request_improvement(
        session,
        actor=world.ciso,
        uitvraag=world.uitvraag,
        question_ids=["security-contact"],
        remark="Wie?",
        deadline=deadline,
        now=now,
        mail=MAIL,
    )
    assert again.follow_up_number == 2


@pytest.mark.parametrize(
    "question_ids, remark, days, field",
    [
        ([], "x", 14, "question_ids"),
        (["nope"], "x", 14, "question_ids"),
        (["mfa-remote-admin"], " ", 14, "remark"),
        (["mfa-remote-admin"], "x", 0, "deadline"),
        (["mfa-remote-admin"], "x", None, "deadline"),
    ],
)
def test_improvement_requests_are_checked_before_anything_is_written(
    session, world, now, question_ids, remark, days, field
):
    deadline = None if days is None else now.date() + timedelta(days=days)
    with pytest.raises(actions.ActionError) as error:
        actions.request_improvement(
            session,
            actor=world.ciso,
            uitvraag=world.uitvraag,
            question_ids=question_ids,
            remark=remark,
            deadline=deadline,
            now=now,
            mail=MAIL,
        )
    assert error.value.field == field
    session.rollback()
    assert len(session.exec(select(Uitvraag).where(Uitvraag.kind == "follow-up")).all()) == 0


def test_improvement_is_asked_only_after_submission(session, world, now):
    with pytest.raises(actions.ActionError):
        actions.request_improvement(
            session,
            actor=world.ciso,
            uitvraag=world.overdue,
            question_ids=["security-contact"],
            remark="x",
            deadline=now.date() + timedelta(days=5),
            now=now,
            mail=MAIL,
        )


def test_extending_the_deadline_keeps_the_link_alive_until_the_new_date(app, session, world, now):
    token = actions.issue_token(session, uitvraag=world.overdue, now=now, grace_days=0)
    session.commit()
    assert lookup_token(session, token, now=now).state is TokenState.EXPIRED
    new = now.date() + timedelta(days=10)
    actions.extend_deadline(
        session, actor=world.other_manager, uitvraag=world.overdue, deadline=new, now=now, grace_days=0
    )
    session.commit()
    assert world.overdue.deadline.date() == new
    assert lookup_token(session, token, now=now + timedelta(days=9)).ok
    (entry,) = audit(session, "uitvraag.deadline-extended")
    assert entry.detail["deadline"] == new.isoformat()
    with app.app_context(), pytest.raises(actions.ActionError, match="na de huidige termijn"):
        actions.extend_deadline(
            session, actor=world.ciso, uitvraag=world.overdue, deadline=new - timedelta(days=1), now=now, grace_days=0
        )
    with app.app_context(), pytest.raises(actions.ActionError, match="afgerond"):
        actions.extend_deadline(session, actor=world.ciso, uitvraag=world.uitvraag, deadline=new, now=now, grace_days=0)


def test_resending_the_link_kills_the_old_one_and_mails_a_new_one(session, world, now):
    actions.extend_deadline(
        session,
        actor=world.ciso,
        uitvraag=world.overdue,
        deadline=now.date() + timedelta(days=7),
        now=now,
        grace_days=14,
    )
    old = actions.issue_token(session, uitvraag=world.overdue, now=now, grace_days=14)
    key1 = actions.resend_link(session, actor=world.ciso, uitvraag=world.overdue, now=now, mail=MAIL)
    key2 = actions.resend_link(session, actor=world.ciso, uitvraag=world.overdue, now=now, mail=MAIL)
    session.commit()
    assert key1 != key2
    assert lookup_token(session, old, now=now).state is TokenState.SUPERSEDED
    mails = session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key.in_([key1, key2])).order_by(OutboxMessage.id)
    ).all()
    assert [m.kind for m in mails] == ["invitation", "invitation"]
    first = sent_text(mails[0]).split("http://localhost/q/")[1].split()[0]
    second = sent_text(mails[1]).split("http://localhost/q/")[1].split()[0]
    assert lookup_token(session, first, now=now).state is TokenState.SUPERSEDED
    assert lookup_token(session, second, now=now).ok
    assert len(audit(session, "uitvraag.link-resent")) == 2


def test_revoking_the_link_stops_it(app, session, world, now):
    token = actions.issue_token(session, uitvraag=world.overdue, now=now, grace_days=30)
    assert actions.revoke_link(session, actor=world.ciso, uitvraag=world.overdue, now=now) == 1
    session.commit()
    assert lookup_token(session, token, now=now).state is TokenState.REVOKED
    with app.app_context(), pytest.raises(actions.ActionError, match="geen werkende link") as refused:
        actions.revoke_link(session, actor=world.ciso, uitvraag=world.overdue, now=now)
    with app.app_context(), force_locale("en"):  # the same refusal, read by an English-speaking user
        assert str(refused.value) == "There is no live link to revoke."
    assert session.exec(select(AccessToken).where(AccessToken.revoked_at.is_(None))).all() == []


def test_marking_the_review_done_records_who_and_when(session, world, now):
    actions.mark_reviewed(session, actor=world.manager, uitvraag=world.uitvraag, now=now)
    session.commit()
    assert (world.uitvraag.status, world.uitvraag.reviewed_at, world.uitvraag.reviewed_by_id) == (
        "reviewed",
        now,
        world.manager.id,
    )
    with pytest.raises(actions.ActionError):
        actions.mark_reviewed(session, actor=world.manager, uitvraag=world.uitvraag, now=now)
    with pytest.raises(actions.ActionError):
        actions.mark_reviewed(session, actor=world.ciso, uitvraag=world.overdue, now=now)


def test_who_may_act(session, world, other):
    assert actions.can_act(session, user=world.manager, uitvraag=world.uitvraag)
    assert not actions.can_act(session, user=world.manager, uitvraag=world.overdue)
    assert actions.can_act(session, user=world.ciso, uitvraag=world.overdue)
    assert not actions.can_act(session, user=world.ciso, uitvraag=other.uitvraag)
    with pytest.raises(actions.NotAllowed):
        actions.mark_reviewed(
            session, actor=world.other_manager, uitvraag=world.uitvraag, now=world.uitvraag.submitted_at
        )
