"""The rules that have one home each: e-mail addresses, contracts in force, overdue, end-of-day deadlines, links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bot import contracts, emails, links
from bot.models import Contract, Uitvraag, UitvraagStatus
from bot.timeutil import deadline_after, end_of_day
from bot.uitvragen import is_overdue, overdue_sql


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("p.bos@heuvelrug.nl", True),
        (" Security@Zaakwerk.NL ", True),
        ("x@y.xn--p1ai", True),
        ("security-at-zaakwerk", False),
        ("a@b", False),
        ("a b@c.nl", False),
        ("a@b..nl", False),
        ("a;b@c.nl", False),
        ("a@@b.nl", False),
        ("a" * 65 + "@b.nl", False),
        ("a@" + "b" * 250 + ".nl", False),
        ("", False),
    ],
)
def test_one_rule_says_what_an_e_mail_address_is(address: str, valid: bool) -> None:
    assert emails.is_valid(address) is valid


def test_addresses_are_stored_and_compared_in_one_normal_form() -> None:
    assert emails.normalise("  Olga@Gemeente.Example\t") == "olga@gemeente.example"
    assert emails.normalise(None) == ""


TODAY = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("active", "start", "end", "in_force"),
    [
        (True, date(2026, 1, 1), None, True),
        (True, date(2026, 1, 1), TODAY, True),  # the end date is its last day in force
        (True, date(2026, 1, 1), date(2026, 9, 30), False),
        (True, date(2026, 10, 2), None, False),
        (False, date(2026, 1, 1), None, False),
    ],
)
def test_a_contract_is_in_force_by_one_rule_in_python_and_sql(active, start, end, in_force) -> None:
    row = SimpleNamespace(active=active, start_date=start, end_date=end)
    assert contracts.in_force(row, TODAY) is in_force
    engine = sa.create_engine("sqlite://")
    table = Contract.__table__
    columns = sa.Table(
        "c", sa.MetaData(), *(sa.Column(n, table.c[n].type) for n in ("active", "start_date", "end_date"))
    )
    columns.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(columns.insert(), [{"active": active, "start_date": start, "end_date": end}])
        found = connection.execute(sa.select(sa.func.count()).where(contracts.in_force_sql(columns.c, TODAY))).scalar()
    assert found == int(in_force)


NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", list(UitvraagStatus))
def test_overdue_means_still_waiting_after_the_deadline_in_python_and_sql(status: UitvraagStatus) -> None:
    waiting = status in (UitvraagStatus.PENDING, UitvraagStatus.OPENED, UitvraagStatus.DRAFT)
    for deadline, past in ((datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC), True), (NOW, False)):
        uitvraag = Uitvraag(status=status, deadline=deadline)
        assert is_overdue(uitvraag, NOW) is (waiting and past)
        engine = sa.create_engine("sqlite://")
        table = sa.Table("u", sa.MetaData(), sa.Column("status", sa.String), sa.Column("deadline", sa.DateTime))
        table.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(table.insert(), [{"status": status.value, "deadline": deadline.replace(tzinfo=None)}])
            found = connection.execute(
                sa.select(sa.func.count()).where(overdue_sql(table.c, NOW.replace(tzinfo=None)))
            ).scalar()
        assert found == int(waiting and past)


def test_a_deadline_is_the_end_of_its_day() -> None:
    assert end_of_day(date(2026, 10, 31)) == datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
    assert deadline_after(datetime(2026, 10, 1, 23, 30, tzinfo=UTC), 30) == end_of_day(date(2026, 10, 31))


def test_links_in_mails_are_built_from_base_url_once() -> None:
    assert links.supplier_link("https://uitvraag.example/", "TOKEN") == "https://uitvraag.example/q/TOKEN"
    assert links.staff_uitvraag_link("https://uitvraag.example", 7) == "https://uitvraag.example/staff/uitvragen/7"
    assert links.staff_overview_link("https://uitvraag.example") == "https://uitvraag.example/staff/"


def test_templates_compare_statuses_and_kinds_through_the_enums() -> None:
    """`f.status == FindingStatus.ACCEPTED`, never `f.status == 'accepted'` (a renamed value would fail silently)."""
    import re
    from pathlib import Path

    literal = re.compile(
        r"""(\.status|uitvraag\.kind|\.severity|\.level|\.role)\s*(==|!=|(not\s+)?in)\s*[\(\[]?\s*['"]"""
    )
    root = Path(__file__).parents[2] / "bot" / "templates"
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []
