"""Reminders to the supplier before the deadline, each with a fresh link (the earlier link stops working)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bot.config import setting
from bot.cycles import bulk, steps
from bot.cycles.context import OPEN, SweepContext, has_contract_in_force, in_batches
from bot.cycles.ladder import escalation_row, renewal_documents
from bot.links import supplier_link
from bot.mail.contexts import reminder_context
from bot.models import AccessToken, LadderLevel, LadderStep, Uitvraag
from bot.sharing import reached_through_lead
from bot.timeutil import day_start


def send_reminders(context: SweepContext) -> None:
    """For each reminder window (REMINDER_DAYS before the deadline), remind every open uitvraag in it once."""
    days = sorted({int(d) for d in setting(context.config, "REMINDER_DAYS") if int(d) > 0})
    previous = 0
    for window in days:
        # Windows do not overlap: an uitvraag 2 days before its deadline is in the 3-day window only.
        _remind_window(context, window, previous, [d for d in days if d <= window])
        previous = window


def _remind_window(context: SweepContext, window: int, previous: int, done_by: list[int]) -> None:
    u = Uitvraag.__table__.c
    e = LadderStep.__table__.c
    now = context.now
    reminded = (
        sa.select(e.id)
        .where(
            e.uitvraag_id == u.id,
            e.deadline == u.deadline,
            sa.or_(*[e.step.like(steps.reminder_like(d)) for d in done_by]),
        )
        .exists()
    )

    # Windows count in calendar days: the 14-day reminder goes out on the day 14 days before the deadline's day.
    midnight = day_start(context.today)
    earliest = now if previous == 0 else midnight + timedelta(days=previous + 1)

    def candidates(ids: Any) -> list[Any]:
        statement = sa.select(u.id, u.created_at, u.deadline).where(
            u.status.in_(OPEN),
            u.deadline > now,
            u.deadline >= earliest,
            u.deadline < midnight + timedelta(days=window + 1),
            ~reminded,
            ~reached_through_lead(u.id),
            has_contract_in_force(u.id, context.today),
        )
        if ids is not None:
            statement = statement.where(u.id.in_(ids))
        rows = context.session.execute(statement.order_by(u.id)).all()
        # No reminder for a window that had begun when the uitvraag was sent: the invitation is fresh enough.
        return [row for row in rows if row.created_at.date() < row.deadline.date() - timedelta(days=window)]

    in_batches(context, candidates, lambda rows: _write(context, window, rows))


def _write(context: SweepContext, window: int, rows: list[Any]) -> None:
    session = context.session
    config = context.config
    now = context.now
    facts = context.reader.uitvragen(row.id for row in rows)
    ids = [row.id for row in rows]
    bulk.supersede_tokens(session, ids, now=now)
    tokens, token_rows = bulk.new_token_rows(
        ((i, facts[i].deadline) for i in ids), now=now, grace_days=int(config["TOKEN_GRACE_DAYS"])
    )
    bulk.insert_rows(session, AccessToken, token_rows)
    domain = bulk.mail_domain(config)
    mails = []
    taken = []
    for uitvraag_id in ids:
        fact = facts[uitvraag_id]
        step = steps.reminder(window, fact.deadline)
        owner = (fact.active_contracts(context.today) or fact.contracts)[0]
        questionnaire = context.reader.questionnaire(fact.snapshot_id)
        days_left = max(0, (fact.deadline.date() - context.today).days)
        mails.append(
            bulk.outbox_row(
                key=f"reminder:{uitvraag_id}:{step}",
                kind="reminder",
                to=fact.recipient_email,
                language=fact.language,
                context=reminder_context(
                    supplier_name=fact.supplier_name,
                    organisation_name=fact.organisation_name,
                    contracts=fact.contract_list(),
                    questionnaire_title=questionnaire.title.get(fact.language),
                    cycle=fact.cycle,
                    deadline=fact.deadline.date(),
                    days_left=days_left,
                    kind=fact.kind,
                    documents=[t.get(fact.language) or t["nl"] for t in renewal_documents(context, fact)],
                    link=supplier_link(config["BASE_URL"], tokens[uitvraag_id]),
                    owner_name=owner.owner_name,
                    owner_email=owner.owner_email,
                ),
                now=now,
                secret_key=config["SECRET_KEY"],
                domain=domain,
                reply_to=owner.owner_email,
                organisation_id=fact.organisation_id,
                uitvraag_id=uitvraag_id,
                renderer=context.renderer,
            )
        )
        taken.append((fact, step, days_left))
    outbox_ids = bulk.insert_outbox(session, mails)
    # The LadderStep row is the reminder's record (step, recipient, time, mail): no audit row besides it.
    escalations = []
    for (fact, step, days_left), outbox_id in zip(taken, outbox_ids, strict=True):
        detail = {"reason": "reminder", "days_left": days_left}
        row = escalation_row(
            context, fact, step=step, level=LadderLevel.SUPPLIER, email=fact.recipient_email, detail=detail
        )
        row["outbox_id"] = outbox_id
        escalations.append(row)
    bulk.insert_rows(session, LadderStep, escalations)
    context.report.reminders += len(escalations)
