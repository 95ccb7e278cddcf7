"""Services (diensten): the register names what each contract is for; contracts of one service share it."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Contract, Service
from bot.register import COLUMNS, OPTIONAL_COLUMNS, RegisterError, export_rows, import_register, write_excel_csv
from tests.support.factories import NOW

HEADER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Dienst;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Startdatum;Einddatum"
)


def row(org: str, ref: str, name: str, service: str, *, kvk: str = "12345678") -> str:
    return (
        f"{org};Zaakwerk BV;{kvk};security@zaakwerk.nl;{ref};{name};{service};Olga de Vries;"
        f"o.devries@{org.split()[-1].lower()}.nl;hoog;ja;01-01-2024;"
    )


def register(*lines: str) -> bytes:
    return "\r\n".join([HEADER, *lines]).encode("utf-8-sig") + b"\r\n"


def services_by_contract(session) -> dict[str, str]:
    names = {s.id: s.name for s in session.exec(select(Service))}
    return {c.reference: names[c.service_id] for c in session.exec(select(Contract))}


def test_contracts_of_three_municipalities_for_one_service_share_it_whatever_its_spelling(session):
    report = import_register(
        session,
        data=register(
            row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "Zaaksysteem SaaS"),
            row("Gemeente Dijkstad", "DS-7", "Zaakgericht werken", "zaaksysteem saas"),
            row("Gemeente Veenland", "VL-3", "Zaken", "Zaaksysteem SaaS"),
            row("Gemeente Veenland", "VL-4", "Hosting", "Hosting en beheer"),
        ),
        now=NOW,
        actor="test",
    )

    assert report.services_created == 2
    assert services_by_contract(session) == {
        "HR-1": "Zaaksysteem SaaS",
        "DS-7": "Zaaksysteem SaaS",
        "VL-3": "Zaaksysteem SaaS",
        "VL-4": "Hosting en beheer",
    }
    assert "row 2: new service Zaaksysteem SaaS of Zaakwerk BV" in report.changes


def test_a_contract_without_a_service_gets_one_named_after_it_and_keeps_it_on_reimport(session):
    import_register(session, data=register(row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "")), now=NOW, actor="t")
    assert services_by_contract(session) == {"HR-1": "Zaaksysteem"}

    # A later register names the service: the contract moves to it.
    import_register(
        session, data=register(row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "Zaaksysteem SaaS")), now=NOW, actor="t"
    )
    assert services_by_contract(session) == {"HR-1": "Zaaksysteem SaaS"}

    # A register without the column (an older export) leaves the service alone.
    old_header = HEADER.replace(";Dienst", "")
    old_row = row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "").replace("Zaaksysteem;;", "Zaaksysteem;")
    report = import_register(session, data=("\r\n".join([old_header, old_row]) + "\r\n").encode(), now=NOW, actor="t")
    assert report.unchanged == 1
    assert services_by_contract(session) == {"HR-1": "Zaaksysteem SaaS"}


def test_services_are_per_supplier(session):
    import_register(
        session,
        data=register(
            row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "Hosting"),
            row("Gemeente Heuvelrug", "HR-2", "Rekenen", "Hosting", kvk="87654321"),
        ),
        now=NOW,
        actor="test",
    )
    assert len(session.exec(select(Service)).all()) == 2


def test_an_overlong_service_name_is_refused_naming_row_and_column(session):
    try:
        import_register(
            session, data=register(row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "x" * 301)), now=NOW, actor="t"
        )
    except RegisterError as error:
        assert len(error.problems) == 1
        assert "row 2, column service:" in error.problems[0]
        assert "longer than 300 characters" in error.problems[0]
    else:
        raise AssertionError("an overlong service name was imported")
    assert session.exec(select(Service)).all() == []


def test_the_export_carries_the_service_and_imports_again_unchanged(session):
    import_register(
        session,
        data=register(
            row("Gemeente Heuvelrug", "HR-1", "Zaaksysteem", "Zaaksysteem SaaS"),
            row("Gemeente Heuvelrug", "HR-2", "Archief", ""),
        ),
        now=NOW,
        actor="test",
    )
    rows = export_rows(session)
    assert [r["service"] for r in rows] == ["Zaaksysteem SaaS", "Archief"]

    report = import_register(session, data=write_excel_csv(rows, COLUMNS + OPTIONAL_COLUMNS), now=NOW, actor="test")
    assert (report.created, report.updated, report.unchanged, report.services_created) == (0, 0, 2, 0)
