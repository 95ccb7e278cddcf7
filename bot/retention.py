"""Retention (AVG and Archiefwet): how long each kind of data is kept, and the purge that removes what is older.

Each kind has one setting, in days (0: keep for ever). `plan_retention` says what would go; `apply_retention`
removes it, one kind per transaction, and writes one `retention.purged` audit row per kind that names what went.
The worker applies it once a day (bot/cycles/worker.py); `bot retention [--dry-run]` runs it by hand.

Receipts stay verifiable after their answers are gone: the submission row keeps the uitvraag, the moment and the
SHA-256 digest (which is no personal data), and loses only the canonical document and the respondent's name, role and
address. A supplier's downloaded receipt is then checked by hashing its `canonical` part and comparing the result
with the kept digest (`verify_receipt`); a copy that was changed no longer matches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import audit
from bot.config import setting
from bot.evidence import stored_path
from bot.models import (
    Answer,
    AuditLog,
    Contract,
    EvidenceFile,
    OutboxMessage,
    OutboxStatus,
    RateLimitHit,
    SignInToken,
    Submission,
    Uitvraag,
    UitvraagContract,
)

log = logging.getLogger(__name__)
# Ids named in one audit row; the count says how many there were in all.
AUDITED_IDS = 1000


@dataclass(frozen=True)
class Item:
    """One thing a purge removes: its id and how the dry run describes it."""

    id: int
    label: str


@dataclass(frozen=True)
class Kind:
    name: str
    setting: str
    keeps: str  # what the period counts from, for the report
    find: Callable[[Session, datetime], list[Item]]
    purge: Callable[[Session, list[int], datetime, Mapping[str, Any]], list[Path]]  # returns files to delete


@dataclass
class KindPlan:
    kind: Kind
    days: int
    cutoff: datetime | None  # None: kept for ever
    items: list[Item] = field(default_factory=list)


def _ended_before(cutoff: datetime) -> Any:
    """SQL: the contract ended (its end date passed, or it was made inactive) before `cutoff`."""
    c = Contract.__table__.c  # type: ignore[attr-defined]
    day = cutoff.date()
    return sa.or_(
        sa.and_(c.end_date.is_not(None), c.end_date < day),
        sa.and_(c.active.is_(False), c.end_date.is_(None), c.updated_at < cutoff),
    )


def _uitvragen_of_ended_contracts(cutoff: datetime) -> Any:
    """SQL: ids of uitvragen every contract of which ended before `cutoff`."""
    u = Uitvraag.__table__.c  # type: ignore[attr-defined]
    uc = UitvraagContract.__table__.c  # type: ignore[attr-defined]
    c = Contract.__table__.c  # type: ignore[attr-defined]
    still_running = (
        sa.select(uc.uitvraag_id)
        .join(Contract.__table__, c.id == uc.contract_id)  # type: ignore[attr-defined]
        .where(uc.uitvraag_id == u.id, sa.not_(_ended_before(cutoff)))
        .exists()
    )
    covered = sa.select(uc.uitvraag_id).where(uc.uitvraag_id == u.id).exists()
    return sa.select(u.id).where(covered, ~still_running)


# --- evidence files ---------------------------------------------------------------------------------------------------


def _find_evidence(session: Session, cutoff: datetime) -> list[Item]:
    e = EvidenceFile.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(e.id, e.uitvraag_id, e.original_name, e.size)
        .where(e.uitvraag_id.in_(_uitvragen_of_ended_contracts(cutoff)))
        .order_by(e.id)
    )
    return [
        Item(r.id, f"evidence file {r.id} of uitvraag {r.uitvraag_id}: {r.original_name} ({r.size} bytes)")
        for r in rows
    ]


def _purge_evidence(session: Session, ids: list[int], now: datetime, config: Mapping[str, Any]) -> list[Path]:
    files = []
    rows = session.exec(select(EvidenceFile).where(col(EvidenceFile.id).in_(ids)).order_by(col(EvidenceFile.id)))
    for row in rows.all():
        try:
            files.append(stored_path(setting(config, "UPLOAD_DIR"), row))
        except ValueError:
            log.warning("evidence file %s has no valid stored name; only its row is removed", row.id)
        session.delete(row)
    return files


# --- answers and submissions of ended contracts -----------------------------------------------------------------------


def _find_answers(session: Session, cutoff: datetime) -> list[Item]:
    u = Uitvraag.__table__.c  # type: ignore[attr-defined]
    a = Answer.__table__.c  # type: ignore[attr-defined]
    s = Submission.__table__.c  # type: ignore[attr-defined]
    answers = sa.select(sa.func.count()).where(a.uitvraag_id == u.id).scalar_subquery()
    submission = sa.select(s.digest).where(s.uitvraag_id == u.id, s.purged_at.is_(None)).scalar_subquery()
    rows = session.execute(
        sa.select(u.id, answers.label("answers"), submission.label("digest"))
        .where(u.id.in_(_uitvragen_of_ended_contracts(cutoff)))
        .order_by(u.id)
    )
    items = []
    for row in rows:
        if not row.answers and row.digest is None:
            continue
        what = f"{row.answers} answers"
        if row.digest is not None:
            what += f", the submitted answers and respondent (digest {row.digest[:12]}… is kept)"
        items.append(Item(row.id, f"uitvraag {row.id}: {what}"))
    return items


def _purge_answers(session: Session, ids: list[int], now: datetime, config: Mapping[str, Any]) -> list[Path]:
    a = Answer.__table__.c  # type: ignore[attr-defined]
    s = Submission.__table__.c  # type: ignore[attr-defined]
    session.execute(sa.delete(Answer.__table__).where(a.uitvraag_id.in_(ids)))  # type: ignore[attr-defined]
    session.execute(
        sa.update(Submission.__table__)  # type: ignore[attr-defined]
        .where(s.uitvraag_id.in_(ids), s.purged_at.is_(None))
        .values(canonical="", respondent_name="", respondent_role="", respondent_email="", purged_at=now)
    )
    return []


# --- audit log, mail bodies, sign-in tokens, rate-limit counters ------------------------------------------------------


def _find_audit(session: Session, cutoff: datetime) -> list[Item]:
    t = AuditLog.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(sa.select(t.id, t.at, t.action).where(t.at < cutoff).order_by(t.id))
    return [Item(r.id, f"audit entry {r.id} of {r.at:%Y-%m-%d}: {r.action}") for r in rows]


def _delete_rows(model: Any) -> Callable[[Session, list[int], datetime, Mapping[str, Any]], list[Path]]:
    """A purge that deletes the rows of `model` with the given ids."""
    table = model.__table__

    def purge(session: Session, ids: list[int], now: datetime, config: Mapping[str, Any]) -> list[Path]:
        session.execute(sa.delete(table).where(table.c.id.in_(ids)))
        return []

    return purge


def _mail_done_before(cutoff: datetime) -> Any:
    """SQL: a mail that was sent, or given up on, before `cutoff`, whose body is still stored."""
    o = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    return sa.and_(
        o.body_purged_at.is_(None),
        sa.or_(
            sa.and_(o.status == OutboxStatus.SENT.value, o.sent_at < cutoff),
            sa.and_(o.status == OutboxStatus.FAILED.value, sa.func.coalesce(o.sent_at, o.created_at) < cutoff),
        ),
    )


def _find_mail_bodies(session: Session, cutoff: datetime) -> list[Item]:
    o = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(o.id, o.kind, o.status, o.created_at).where(_mail_done_before(cutoff)).order_by(o.id)
    )
    return [Item(r.id, f"body of mail {r.id} ({r.kind}, {r.status}, queued {r.created_at:%Y-%m-%d})") for r in rows]


def _purge_mail_bodies(session: Session, ids: list[int], now: datetime, config: Mapping[str, Any]) -> list[Path]:
    o = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    # The row stays (recipient, subject, Message-ID, status): what was sent, and that it was sent once.
    session.execute(
        sa.update(OutboxMessage.__table__)  # type: ignore[attr-defined]
        .where(o.id.in_(ids), o.body_purged_at.is_(None), o.status != OutboxStatus.PENDING.value)
        .values(body_text="", body_html=None, mime_body=None, body_purged_at=now)
    )
    return []


def _find_signin(session: Session, cutoff: datetime) -> list[Item]:
    t = SignInToken.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(sa.select(t.id, t.expires_at).where(t.expires_at < cutoff).order_by(t.id))
    return [Item(r.id, f"sign-in link {r.id}, expired {r.expires_at:%Y-%m-%d %H:%M}") for r in rows]


def _find_rate_limits(session: Session, cutoff: datetime) -> list[Item]:
    t = RateLimitHit.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(sa.select(t.id, t.window_start).where(t.window_start < cutoff).order_by(t.id))
    return [Item(r.id, f"rate-limit counter {r.id} of {r.window_start:%Y-%m-%d %H:%M}") for r in rows]


KINDS: tuple[Kind, ...] = (
    Kind(
        "evidence-files",
        "RETENTION_EVIDENCE_DAYS",
        "after every contract of the uitvraag ended",
        _find_evidence,
        _purge_evidence,
    ),
    Kind(
        "answers", "RETENTION_ANSWERS_DAYS", "after every contract of the uitvraag ended", _find_answers, _purge_answers
    ),
    Kind("audit-log", "RETENTION_AUDIT_DAYS", "after the entry was written", _find_audit, _delete_rows(AuditLog)),
    Kind(
        "outbox-bodies",
        "RETENTION_OUTBOX_BODY_DAYS",
        "after the mail was sent or given up on",
        _find_mail_bodies,
        _purge_mail_bodies,
    ),
    Kind(
        "signin-tokens",
        "RETENTION_SIGNIN_TOKEN_DAYS",
        "after the link expired",
        _find_signin,
        _delete_rows(SignInToken),
    ),
    Kind(
        "rate-limits",
        "RETENTION_RATE_LIMIT_DAYS",
        "after the counting window began",
        _find_rate_limits,
        _delete_rows(RateLimitHit),
    ),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)


def kind_named(name: str) -> Kind:
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(f"unknown retention kind {name!r}; known: {', '.join(KIND_NAMES)}")


def plan_retention(
    session: Session, *, config: Mapping[str, Any], now: datetime, kinds: tuple[str, ...] = KIND_NAMES
) -> list[KindPlan]:
    """What each kind would remove at `now` under the configured periods (nothing is changed)."""
    plans = []
    for name in kinds:
        kind = kind_named(name)
        days = int(setting(config, kind.setting))
        if days <= 0:
            plans.append(KindPlan(kind, days, None))
            continue
        cutoff = now - timedelta(days=days)
        plans.append(KindPlan(kind, days, cutoff, kind.find(session, cutoff)))
    return plans


def _apply(session: Session, plan: KindPlan, *, config: Mapping[str, Any], now: datetime, actor: str) -> int:
    ids = [item.id for item in plan.items]
    if not ids or plan.cutoff is None:
        return 0
    files = plan.kind.purge(session, ids, now, config)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="retention.purged",
        detail={
            "kind": plan.kind.name,
            "count": len(ids),
            "kept_days": plan.days,
            "before": plan.cutoff.isoformat(),
            "ids": ids[:AUDITED_IDS],
        },
    )
    session.commit()
    # Files go once the rows are gone for good; a file that cannot be removed is only logged (its row is gone).
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            log.error("retention: could not remove %s: %s", path, error)
    return len(ids)


def apply_retention(
    session: Session,
    *,
    config: Mapping[str, Any],
    now: datetime,
    actor: str = "system",
    kinds: tuple[str, ...] = KIND_NAMES,
) -> list[KindPlan]:
    """Remove what `plan_retention` finds, kind by kind (each in its own transaction, audited). Returns the plans."""
    plans = plan_retention(session, config=config, now=now, kinds=kinds)
    session.commit()  # end the reading transaction; each kind writes in its own
    for plan in plans:
        # Read again inside the writing transaction, so nothing that changed meanwhile is removed by mistake.
        if plan.cutoff is not None:
            plan.items = plan.kind.find(session, plan.cutoff)
        _apply(session, plan, config=config, now=now, actor=actor)
    return plans


def purge_sent_mail_bodies(session: Session, *, now: datetime, sent_before: datetime, actor: str = "system") -> int:
    """Empty the bodies of mails sent (or given up on) before `sent_before`, audited as the `outbox-bodies` kind.

    For callers that must not keep a mail's text once it went out (links in it), whatever the retention period;
    commits. Returns how many bodies were emptied.
    """
    kind = kind_named("outbox-bodies")
    plan = KindPlan(kind, 0, sent_before, kind.find(session, sent_before))
    return _apply(session, plan, config={}, now=now, actor=actor)
