"""What the reminder and escalation mails say about an uitvraag, read for many uitvragen in a few queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot import emails
from bot.contracts import in_force
from bot.cycles.bulk import chunks
from bot.mail.contexts import contract_list
from bot.models import (
    Contract,
    Organisation,
    QuestionnaireSnapshot,
    ReviewCycle,
    Role,
    StaffUser,
    Supplier,
    Uitvraag,
    UitvraagContract,
)
from bot.questionnaires.model import Questionnaire
from bot.questionnaires.snapshots import questionnaire_from_snapshot


@dataclass
class UitvraagFacts:
    id: int
    organisation_id: int
    organisation_name: str
    supplier_id: int
    supplier_name: str
    questionnaire_id: str
    snapshot_id: int
    cycle_id: int
    cycle: str
    follow_up_number: int
    kind: str
    status: str
    recipient_email: str
    language: str
    deadline: Any
    score: int | None
    question_ids: list[str] | None  # what a follow-up or evidence renewal asks (None: every question)
    contracts: list[Any] = field(default_factory=list)  # rows: id, reference, name, owner_name, owner_email, active

    def active_contracts(self, today: date) -> list[Any]:
        return [c for c in self.contracts if in_force(c, today)]

    def contract_list(self) -> list[dict[str, str]]:
        return contract_list(self.contracts)

    def owners(self, today: date) -> dict[str, str]:
        """The owners of the contracts still in force: e-mail (as written in the register) -> name, by e-mail.

        Sorted, so that escalations (and their ids) come out in the same order whatever order the database
        returned the contracts in.
        """
        owners: dict[str, str] = {}
        for contract in self.active_contracts(today):
            owners.setdefault(contract.owner_email.strip(), contract.owner_name)
        return dict(sorted(owners.items()))


class FactsReader:
    """Reads and caches uitvraag facts, questionnaires (from their snapshots) and staff for one sweep."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._questionnaires: dict[int, Questionnaire] = {}
        self._staff: dict[int, list[Any]] = {}

    def uitvragen(self, ids: Iterable[int]) -> dict[int, UitvraagFacts]:
        u = Uitvraag.__table__.c
        o = Organisation.__table__.c
        s = Supplier.__table__.c
        r = ReviewCycle.__table__.c
        c = Contract.__table__.c
        uc = UitvraagContract.__table__.c
        result: dict[int, UitvraagFacts] = {}
        for part in chunks(sorted(set(ids))):
            statement = (
                sa.select(
                    u.id, u.organisation_id, o.name.label("organisation_name"), u.supplier_id,
                    s.name.label("supplier_name"), u.questionnaire_id, u.snapshot_id, u.cycle_id,
                    r.name.label("cycle"), u.follow_up_number, u.kind, u.status, u.recipient_email, u.language,
                    u.deadline, u.score, u.question_ids,
                )
                .join(Organisation.__table__, o.id == u.organisation_id)
                .join(Supplier.__table__, s.id == u.supplier_id)
                .join(ReviewCycle.__table__, r.id == u.cycle_id)
                .where(u.id.in_(part))
            )  # fmt: skip
            for row in self.session.execute(statement):
                result[row.id] = UitvraagFacts(*row, [])
            contracts = self.session.execute(
                sa.select(
                    uc.uitvraag_id, c.id, c.reference, c.name, c.owner_name, c.owner_email, c.active,
                    c.start_date, c.end_date,
                )
                .join(Contract.__table__, c.id == uc.contract_id)
                .where(uc.uitvraag_id.in_(part))
                .order_by(uc.uitvraag_id, c.reference)
            )  # fmt: skip
            for row in contracts:
                result[row.uitvraag_id].contracts.append(row)
        return result

    def questionnaire(self, snapshot_id: int) -> Questionnaire:
        if snapshot_id not in self._questionnaires:
            snapshot = self.session.get(QuestionnaireSnapshot, snapshot_id)
            assert snapshot is not None
            self._questionnaires[snapshot_id] = questionnaire_from_snapshot(snapshot)
        return self._questionnaires[snapshot_id]

    def question_text(self, snapshot_id: int, question_id: str) -> dict[str, str]:
        try:
            text = self.questionnaire(snapshot_id).question(question_id).text
        except KeyError:
            return {"nl": question_id, "en": question_id}
        return {"nl": text.get("nl"), "en": text.get("en")}

    def question_measures(self, snapshot_id: int, question_id: str) -> list[str]:
        try:
            return list(self.questionnaire(snapshot_id).question(question_id).measures)
        except KeyError:
            return []

    def staff(self, organisation_id: int) -> list[Any]:
        """Active staff users of an organisation: email, name, role, language."""
        if organisation_id not in self._staff:
            t = StaffUser.__table__.c
            self._staff[organisation_id] = self.session.execute(
                sa.select(t.email, t.name, t.role, t.language)
                .where(t.organisation_id == organisation_id, t.active.is_(True))
                # person() takes the first match and the CISO list is mailed in this order: decided here.
                .order_by(t.id)
            ).all()
        return self._staff[organisation_id]

    def cisos(self, organisation_id: int) -> list[Any]:
        """Who gets the CISO level: the organisation's CISOs, or its administrators when it has no CISO."""
        staff = self.staff(organisation_id)
        return [p for p in staff if p.role == Role.CISO] or [p for p in staff if p.role == Role.ADMIN]

    def person(self, organisation_id: int, email: str) -> Any | None:
        wanted = emails.normalise(email)
        return next((p for p in self.staff(organisation_id) if emails.normalise(p.email) == wanted), None)
