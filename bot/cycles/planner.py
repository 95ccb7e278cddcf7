"""Planning: every active contract that is due in its current cycle gets its uitvraag, link and invitation.

A contract is due once per cycle of its risk tier's cadence, per questionnaire it gets: its yearly questionnaires
(`questionnaires_for`) in the cycle of FULL_QUESTIONNAIRE_MONTH, and in the other cycles the short update
questionnaire once it has had them (`yearly_or_update`).
The contracts of one supplier at one organisation that share a questionnaire and a cycle get ONE uitvraag
(follow-up number 0), listing all of them. Each batch of uitvragen is written in one transaction together with its
contracts, link tokens, pre-filled draft answers, invitation mails (outbox) and audit rows.

Idempotency lives in the unique constraints: an uitvraag per (organisation, supplier, questionnaire, cycle,
follow-up number), and a contract in one uitvraag per (questionnaire, cycle, follow-up number). A planner that
loses a race, or is killed mid-cycle, rolls back its batch; the next read sees what exists and plans only
what is still missing.

A contract that becomes active mid-cycle is picked up by the next run: it joins the supplier's uitvraag of that
cycle when there is one (submitted or not: the answers are the supplier's, for this organisation; its owner then
gets that uitvraag's findings escalation), and otherwise gets a new uitvraag of its own.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import audit, emails, sharing
from bot.contracts import in_force_sql
from bot.cycles import bulk, carry
from bot.cycles.periods import (
    cadence_months,
    ensure_cycle,
    full_questionnaire_month,
    holds_full_questionnaire,
    period_for,
)
from bot.cycles.rendering import MailRenderer
from bot.links import supplier_link
from bot.mail.contexts import contract_list, invitation_context
from bot.models import (
    AccessToken,
    Answer,
    Contract,
    EvidenceFile,
    Organisation,
    OutboxMessage,
    Supplier,
    Uitvraag,
    UitvraagContract,
    UitvraagKind,
    UitvraagStatus,
)
from bot.questionnaires.loader import get_questionnaire
from bot.questionnaires.model import Questionnaire
from bot.questionnaires.selection import UPDATE, questionnaires_for, yearly_or_update
from bot.questionnaires.snapshots import ensure_snapshot
from bot.staff.actions import MailSettings
from bot.supplier.submission import receive_declaration
from bot.timeutil import deadline_after
from bot.uitvragen import contract_rows

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class PlanReport:
    """What one planning run did."""

    cycles: list[str] = field(default_factory=list)
    uitvragen_created: int = 0
    contracts_invited: int = 0  # contracts in the new uitvragen
    contracts_added: int = 0  # contracts that joined an existing uitvraag of their cycle
    mails_queued: int = 0
    skipped: list[str] = field(default_factory=list)  # contracts that could not be planned, and why
    retries: int = 0  # batches rolled back because another planner got there first
    declarations_received: int = 0  # new uitvragen answered at once by a current shared declaration

    def did_something(self) -> bool:
        return bool(self.uitvragen_created or self.contracts_added or self.skipped)

    def summary(self) -> str:
        return (
            f"cycles {', '.join(self.cycles) or '-'}: {self.uitvragen_created} uitvragen created for "
            f"{self.contracts_invited} contracts, {self.contracts_added} contracts added to existing uitvragen, "
            f"{self.mails_queued} invitations queued"
            + (
                f", {self.declarations_received} answered by a current shared declaration"
                if self.declarations_received
                else ""
            )
            + (f"; {self.retries} batches read again after another planner was first" if self.retries else "")
        )


@dataclass(frozen=True)
class _Cycle:
    id: int
    name: str


@dataclass(frozen=True)
class _Questionnaire:
    questionnaire: Questionnaire
    snapshot_id: int
    question_ids: frozenset[str]


@dataclass
class _Setup:
    """What every organisation's planning needs, read once per run."""

    config: Mapping[str, Any]
    now: datetime
    cycles: dict[str, _Cycle]  # by risk tier
    full_cycle: dict[str, bool]  # by risk tier: whether its cycle now is the one of the yearly questionnaires
    questionnaires: dict[str, _Questionnaire]
    selection: dict[tuple[str, bool, bool], list[str]]  # (tier, personal data, cloud) -> questionnaire ids
    domain: str
    renderer: MailRenderer = field(default_factory=MailRenderer)


@dataclass
class _NewUitvraag:
    supplier_id: int
    questionnaire_id: str
    cycle: _Cycle
    follow_up_number: int
    contracts: list[Any]  # contract rows, in reference order


@dataclass
class _Addition:
    uitvraag_id: int
    questionnaire_id: str
    cycle: _Cycle
    follow_up_number: int
    contracts: list[Any]


def plan_cycles(*, session: Session, config: Mapping[str, Any], now: datetime, batch_size: int = 500) -> PlanReport:
    """Create every uitvraag that is due at `now`, with links, drafts and invitations; commits per batch.

    Running it again, or twice at once, creates nothing new.
    """
    report = PlanReport()
    setup = _prepare(session, config, now, report)
    session.commit()
    if setup is None:
        return report
    org_ids = list(session.execute(sa.select(Organisation.__table__.c.id).order_by("id")).scalars())
    session.commit()
    for org_id in org_ids:
        _plan_organisation(session, setup, org_id, report, batch_size)
    return report


def _active_contracts() -> Any:
    """Contracts in force at `:today`."""
    return in_force_sql(Contract.__table__.c, sa.bindparam("today"))


def _prepare(session: Session, config: Mapping[str, Any], now: datetime, report: PlanReport) -> _Setup | None:
    """The cycles and questionnaire snapshots needed now, created once per run."""
    c = Contract.__table__.c
    today = now.date()
    combos = session.execute(
        sa.select(c.risk_tier, c.personal_data, c.cloud_hosted)
        .where(_active_contracts())
        .distinct()
        # Cycles and snapshots are created in this order: the same ids on every database.
        .order_by(c.risk_tier, c.personal_data, c.cloud_hosted),
        {"today": today},
    ).all()
    if not combos:
        return None
    cycles: dict[str, _Cycle] = {}
    full_cycle: dict[str, bool] = {}
    selection: dict[tuple[str, bool, bool], list[str]] = {}
    questionnaires: dict[str, _Questionnaire] = {}
    full_month = full_questionnaire_month(config)
    for tier, personal_data, cloud_hosted in combos:
        try:
            months = cadence_months(config, tier)
            ids = questionnaires_for({"risk_tier": tier, "personal_data": personal_data, "cloud_hosted": cloud_hosted})
        except ValueError as error:
            log.warning("contracts with risk tier %r are not planned: %s", tier, error)
            continue
        if tier not in cycles:
            period = period_for(today, months)
            cycle = ensure_cycle(session, period=period, now=now)
            assert cycle.id is not None
            cycles[tier] = _Cycle(cycle.id, cycle.name)
            full_cycle[tier] = holds_full_questionnaire(period, full_month)
        selection[(tier, personal_data, cloud_hosted)] = ids
        for questionnaire_id in ids if full_cycle[tier] else [*ids, UPDATE]:
            if questionnaire_id not in questionnaires:
                questionnaire = get_questionnaire(questionnaire_id)
                snapshot = ensure_snapshot(session, questionnaire=questionnaire, now=now)
                assert snapshot.id is not None
                questionnaires[questionnaire_id] = _Questionnaire(
                    questionnaire, snapshot.id, frozenset(q.id for q in questionnaire.questions())
                )
    report.cycles = sorted({cycle.name for cycle in cycles.values()})
    return _Setup(config, now, cycles, full_cycle, questionnaires, selection, bulk.mail_domain(config))


def _plan_organisation(session: Session, setup: _Setup, org_id: int, report: PlanReport, batch_size: int) -> None:
    for _attempt in range(MAX_ATTEMPTS):
        try:
            organisation, new, additions = _due(session, setup, org_id, report)
            if additions:
                _write_additions(session, setup, organisation, additions, report)
                session.commit()
            for start in range(0, len(new), batch_size):
                _write_batch(session, setup, organisation, new[start : start + batch_size], report)
                session.commit()
            session.commit()
            return
        except IntegrityError:
            # Another planner wrote some of the same uitvragen first; read again and plan what is still missing.
            session.rollback()
            report.retries += 1
            log.info("planning organisation %s: another planner was first, reading again", org_id)
    raise RuntimeError(f"planning organisation {org_id} kept colliding with another planner; try again")


def _due(
    session: Session, setup: _Setup, org_id: int, report: PlanReport
) -> tuple[Any, list[_NewUitvraag], list[_Addition]]:
    """What organisation `org_id` still needs this cycle: new uitvragen, and contracts joining existing ones."""
    c = Contract.__table__.c
    u = Uitvraag.__table__.c
    uc = UitvraagContract.__table__.c
    today = setup.now.date()
    organisation = session.execute(
        sa.select(Organisation.__table__.c.id, Organisation.__table__.c.name).where(
            Organisation.__table__.c.id == org_id
        )
    ).one()
    contracts = session.execute(
        sa.select(
            c.id, c.supplier_id, c.service_id, c.reference, c.name, c.supplier_email, c.owner_name, c.owner_email,
            c.risk_tier, c.personal_data, c.cloud_hosted,
        )
        .where(c.organisation_id == org_id, _active_contracts())
        .order_by(c.supplier_id, c.reference),
        {"today": today},
    ).all()  # fmt: skip
    if not contracts:
        return organisation, [], []
    cycle_ids = sorted({cycle.id for cycle in setup.cycles.values()})
    covered = {
        (row.contract_id, row.questionnaire_id, row.cycle_id)
        for row in session.execute(
            sa.select(uc.contract_id, uc.questionnaire_id, uc.cycle_id)
            .join(Uitvraag.__table__, u.id == uc.uitvraag_id)
            .where(u.organisation_id == org_id, u.kind == UitvraagKind.REGULAR.value, uc.cycle_id.in_(cycle_ids))
        )
    }
    # Contracts that have had their yearly questionnaires (any but the update) in a regular uitvraag, ever.
    answered_before = set(
        session.execute(
            sa.select(uc.contract_id)
            .join(Uitvraag.__table__, u.id == uc.uitvraag_id)
            .where(u.organisation_id == org_id, u.kind == UitvraagKind.REGULAR.value, uc.questionnaire_id != UPDATE)
            .distinct()
        ).scalars()
    )
    yearly_now = {(contract, cycle) for contract, questionnaire, cycle in covered if questionnaire != UPDATE}
    live: dict[tuple[int, str, int], tuple[int, int]] = {}  # the cycle's regular uitvraag: (id, round)
    max_round: dict[tuple[int, str, int], int] = {}
    for row in session.execute(
        sa.select(u.id, u.supplier_id, u.questionnaire_id, u.cycle_id, u.follow_up_number, u.kind, u.status).where(
            u.organisation_id == org_id, u.cycle_id.in_(cycle_ids)
        )
    ):
        key = (row.supplier_id, row.questionnaire_id, row.cycle_id)
        max_round[key] = max(max_round.get(key, -1), row.follow_up_number)
        regular = row.kind == UitvraagKind.REGULAR.value and row.status != UitvraagStatus.CANCELLED.value
        if regular and (key not in live or live[key][1] < row.follow_up_number):
            live[key] = (row.id, row.follow_up_number)

    groups: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
    for contract in contracts:
        cycle = setup.cycles.get(contract.risk_tier)
        ids = setup.selection.get((contract.risk_tier, contract.personal_data, contract.cloud_hosted))
        if cycle is None or ids is None:
            report.skipped.append(f"contract {contract.reference}: unknown risk tier {contract.risk_tier!r}")
            continue
        ids = yearly_or_update(
            ids,
            full_cycle=setup.full_cycle[contract.risk_tier],
            answered_before=contract.id in answered_before,
            asked_this_cycle=(contract.id, cycle.id) in yearly_now,
        )
        for questionnaire_id in ids:
            if (contract.id, questionnaire_id, cycle.id) not in covered:
                groups[(contract.supplier_id, questionnaire_id, cycle.id)].append(contract)

    cycles_by_id = {cycle.id: cycle for cycle in setup.cycles.values()}
    new: list[_NewUitvraag] = []
    additions: list[_Addition] = []
    for (supplier_id, questionnaire_id, cycle_id), members in groups.items():
        key = (supplier_id, questionnaire_id, cycle_id)
        cycle = cycles_by_id[cycle_id]
        if key in live:
            uitvraag_id, round_ = live[key]
            additions.append(_Addition(uitvraag_id, questionnaire_id, cycle, round_, members))
        else:
            round_ = max_round[key] + 1 if key in max_round else 0
            new.append(_NewUitvraag(supplier_id, questionnaire_id, cycle, round_, members))
    return organisation, new, additions


def _recipient(contracts: list[Any]) -> Any:
    """The contract whose supplier contact gets the uitvraag: the address most of the contracts name."""
    counts: dict[str, int] = defaultdict(int)
    for contract in contracts:
        counts[emails.normalise(contract.supplier_email)] += 1
    best = max(counts.values())
    return next(c for c in contracts if counts[emails.normalise(c.supplier_email)] == best)


def _write_batch(
    session: Session, setup: _Setup, organisation: Any, batch: list[_NewUitvraag], report: PlanReport
) -> None:
    """Write one batch of new uitvragen with everything that belongs to them (the caller commits)."""
    now = setup.now
    config = setup.config
    s = Supplier.__table__.c
    supplier_ids = sorted({item.supplier_id for item in batch})
    suppliers = {
        row.id: row
        for part in bulk.chunks(supplier_ids)
        for row in session.execute(sa.select(s.id, s.name, s.language).where(s.id.in_(part)))
    }
    deadline = deadline_after(now, int(config["DEADLINE_DAYS"]))
    rows = []
    for item in batch:
        first = _recipient(item.contracts)
        rows.append(
            {
                "organisation_id": organisation.id,
                "supplier_id": item.supplier_id,
                "cycle_id": item.cycle.id,
                "questionnaire_id": item.questionnaire_id,
                "snapshot_id": setup.questionnaires[item.questionnaire_id].snapshot_id,
                "follow_up_number": item.follow_up_number,
                "kind": UitvraagKind.REGULAR.value,
                "parent_id": None,
                "question_ids": None,
                "remark": None,
                "status": UitvraagStatus.PENDING.value,
                "recipient_email": first.supplier_email.strip(),
                "language": suppliers[item.supplier_id].language or "nl",
                "deadline": deadline,
                "created_at": now,
            }
        )
    ids = bulk.insert_returning_ids(session, Uitvraag, rows, bulk.UITVRAAG_KEY)

    links = [
        row
        for uitvraag_id, item in zip(ids, batch, strict=True)
        for row in contract_rows(
            uitvraag_id=uitvraag_id,
            contract_ids=[contract.id for contract in item.contracts],
            questionnaire_id=item.questionnaire_id,
            cycle_id=item.cycle.id,
            follow_up_number=item.follow_up_number,
        )
    ]
    bulk.insert_rows(session, UitvraagContract, links)
    # Uitvragen that receive another's shared declaration get no invitation: the supplier answers on one link.
    joined = sharing.join(
        session,
        [
            sharing.Planned(
                uitvraag_id=uitvraag_id,
                supplier_id=item.supplier_id,
                service_ids=frozenset(contract.service_id for contract in item.contracts),
                questionnaire_id=item.questionnaire_id,
                cycle_id=item.cycle.id,
                follow_up_number=item.follow_up_number,
            )
            for uitvraag_id, item in zip(ids, batch, strict=True)
        ],
        now=now,
    )

    tokens, token_rows = bulk.new_token_rows(
        ((i, deadline) for i in ids), now=now, grace_days=int(config["TOKEN_GRACE_DAYS"])
    )
    bulk.insert_rows(session, AccessToken, token_rows)

    carried = carry.previous_answers(
        session,
        organisation_id=organisation.id,
        keys={(item.supplier_id, item.questionnaire_id) for item in batch},
        today=now.date(),
        prefill_from={qid: q.questionnaire.prefill_from for qid, q in setup.questionnaires.items()},
    )
    answers: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for uitvraag_id, item in zip(ids, batch, strict=True):
        previous = carried.get((item.supplier_id, item.questionnaire_id))
        if previous is not None:
            question_ids = set(setup.questionnaires[item.questionnaire_id].question_ids)
            answers.extend(carry.answer_rows(uitvraag_id, previous, question_ids, now))
            files.extend(
                carry.evidence_rows(uitvraag_id, previous, question_ids, upload_dir=config.get("UPLOAD_DIR"), now=now)
            )
    bulk.insert_rows(session, Answer, answers)
    bulk.insert_rows(session, EvidenceFile, files)

    mails = []
    audits = []
    for uitvraag_id, item, row in zip(ids, batch, rows, strict=True):
        if uitvraag_id in joined.answered:
            continue  # receives an answered declaration below
        if uitvraag_id in joined.waiting:
            audits.append(
                audit.new_row(
                    now=now,
                    actor=bulk.ACTOR,
                    action="declaration.joined",
                    organisation_id=organisation.id,
                    subject_type="uitvraag",
                    subject_id=uitvraag_id,
                    detail={
                        "cycle": item.cycle.name,
                        "questionnaire": item.questionnaire_id,
                        "contracts": [c.reference for c in item.contracts],
                        "deadline": deadline.isoformat(),
                    },
                )
            )
            continue
        supplier = suppliers[item.supplier_id]
        owner = item.contracts[0]
        language = row["language"]
        questionnaire = setup.questionnaires[item.questionnaire_id].questionnaire
        context = invitation_context(
            supplier_name=supplier.name,
            organisation_name=organisation.name,
            contracts=contract_list(item.contracts),
            questionnaire_title=questionnaire.title.get(language),
            cycle=item.cycle.name,
            deadline=deadline.date(),
            link=supplier_link(config["BASE_URL"], tokens[uitvraag_id]),
            owner_name=owner.owner_name,
            owner_email=owner.owner_email,
        )
        mails.append(
            bulk.outbox_row(
                key=f"invitation:{uitvraag_id}",
                kind="invitation",
                to=row["recipient_email"],
                language=language,
                context=context,
                now=now,
                domain=setup.domain,
                reply_to=owner.owner_email,
                organisation_id=organisation.id,
                uitvraag_id=uitvraag_id,
                renderer=setup.renderer,
                secret_key=config["SECRET_KEY"],
            )
        )
        audits.append(
            audit.new_row(
                now=now,
                actor=bulk.ACTOR,
                action="uitvraag.invited",
                organisation_id=organisation.id,
                subject_type="uitvraag",
                subject_id=uitvraag_id,
                detail={
                    "cycle": item.cycle.name,
                    "questionnaire": item.questionnaire_id,
                    "contracts": [c.reference for c in item.contracts],
                    "to": row["recipient_email"],
                    "deadline": deadline.isoformat(),
                    "carried_answers": (item.supplier_id, item.questionnaire_id) in carried,
                },
            )
        )
    bulk.insert_rows(session, OutboxMessage, mails)
    bulk.insert_audit(session, audits)
    if joined.answered:
        mail = MailSettings.from_config(config)
        for uitvraag_id, declaration_id in sorted(joined.answered.items()):
            if receive_declaration(
                session,
                uitvraag_id=uitvraag_id,
                declaration_id=declaration_id,
                now=now,
                mail=mail,
                upload_dir=config.get("UPLOAD_DIR"),
            ):
                report.declarations_received += 1
            else:
                report.mails_queued += 1  # asked on its own link after all
    report.uitvragen_created += len(ids)
    report.contracts_invited += len(links)
    report.mails_queued += len(mails)


def _write_additions(
    session: Session, setup: _Setup, organisation: Any, additions: list[_Addition], report: PlanReport
) -> None:
    """Contracts that started mid-cycle join their supplier's uitvraag of that cycle (the caller commits)."""
    links = []
    audits = []
    for addition in additions:
        links += contract_rows(
            uitvraag_id=addition.uitvraag_id,
            contract_ids=[contract.id for contract in addition.contracts],
            questionnaire_id=addition.questionnaire_id,
            cycle_id=addition.cycle.id,
            follow_up_number=addition.follow_up_number,
        )
        audits.append(
            audit.new_row(
                now=setup.now,
                actor=bulk.ACTOR,
                action="uitvraag.contracts-added",
                organisation_id=organisation.id,
                subject_type="uitvraag",
                subject_id=addition.uitvraag_id,
                detail={"cycle": addition.cycle.name, "contracts": [c.reference for c in addition.contracts]},
            )
        )
    bulk.insert_rows(session, UitvraagContract, links)
    bulk.insert_audit(session, audits)
    report.contracts_added += len(links)
