"""Importing the contract register as municipalities actually have it: saved by Excel in a Dutch locale."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from bot.models import AuditLog, Contract, Organisation, StaffUser, Supplier
from bot.register import RegisterError, import_register, parse_register
from tests.support.factories import NOW

HEADER_NL = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Startdatum;Einddatum"
)
ROWS_NL = [
    "Gemeente Heuvelrug;Zaakwerk BV;12345678;security@zaakwerk.nl;HR-001;Zaaksysteem;Olga de Vries;"
    "o.devries@heuvelrug.nl;hoog;ja;01-01-2024;31-12-2027",
    "Gemeente Heuvelrug;Zaakwerk BV;12345678;security@zaakwerk.nl;HR-002;Archief;Olga de Vries;"
    "o.devries@heuvelrug.nl;midden;nee;2024-03-01;",
    "Gemeente Heuvelrug;Drukkerij Één & Zoon;7654321;info@drukkerij.nl;HR-003;Drukwerk;Bram Jansen;"
    "b.jansen@heuvelrug.nl;laag;Nee;1-2-2022;",
]


def excel_file(lines: list[str], *, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(lines).encode(encoding) + b"\r\n;;;;;;;;;;;\r\n"


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_dutch_excel_file_with_bom_semicolons_dutch_dates_and_ja_nee_is_imported(session):
    report = import_register(session, data=excel_file([HEADER_NL, *ROWS_NL]), now=NOW, actor="test")

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    contracts = {c.reference: c for c in session.exec(select(Contract))}
    assert contracts["HR-001"].start_date == date(2024, 1, 1)
    assert contracts["HR-001"].end_date == date(2027, 12, 31)
    assert contracts["HR-001"].personal_data is True and contracts["HR-001"].risk_tier == "high"
    assert contracts["HR-002"].risk_tier == "medium" and contracts["HR-002"].end_date is None
    assert contracts["HR-003"].start_date == date(2022, 2, 1)
    # One supplier per KvK number, shared; Excel's lost leading zero is restored.
    assert count(session, Supplier) == 2
    assert session.exec(select(Supplier).where(Supplier.kvk == "07654321")).one().name == "Drukkerij Één & Zoon"
    # Contract owners become contract managers of the organisation.
    owners = {u.email: u.role for u in session.exec(select(StaffUser))}
    assert owners == {"o.devries@heuvelrug.nl": "contract-manager", "b.jansen@heuvelrug.nl": "contract-manager"}
    assert session.exec(select(AuditLog).where(AuditLog.action == "register.import")).one().actor == "test"


def test_windows_1252_file_is_read(session):
    data = excel_file([HEADER_NL, *ROWS_NL], encoding="cp1252")
    import_register(session, data=data, now=NOW, actor="test")
    assert session.exec(select(Supplier).where(Supplier.kvk == "07654321")).one().name == "Drukkerij Één & Zoon"


def test_english_headers_in_any_case_with_commas_and_yes_no(session):
    data = (
        b"ORGANISATION,Supplier_Name,supplier_kvk,supplier_email,contract_ref,contract_name,owner_name,owner_email,"
        b"Risk_Tier,personal_data,start_date,end_date\n"
        b"Gemeente Zee,Cloud BV,11223344,sec@cloud.nl,Z-1,Mail,Ann,ann@zee.nl,high,yes,2025-01-01,\n"
    )
    report = import_register(session, data=data, now=NOW, actor="test")
    assert report.created == 1
    assert session.exec(select(Contract)).one().personal_data is True


def test_reimporting_an_updated_register_updates_in_place(session):
    import_register(session, data=excel_file([HEADER_NL, *ROWS_NL]), now=NOW, actor="test")
    updated = [
        ROWS_NL[0].replace("Olga de Vries;o.devries@heuvelrug.nl", "Piet Bos;p.bos@heuvelrug.nl"),
        ROWS_NL[1],
        ROWS_NL[2].replace(";laag;", ";hoog;"),
        "Gemeente Heuvelrug;Nieuw BV;99887766;sec@nieuw.nl;HR-004;Nieuw;Bram Jansen;b.jansen@heuvelrug.nl;"
        "laag;nee;01-01-2026;",
    ]

    report = import_register(session, data=excel_file([HEADER_NL, *updated]), now=NOW, actor="test")

    assert (report.created, report.updated, report.unchanged) == (1, 2, 1)
    assert count(session, Contract) == 4
    contracts = {c.reference: c for c in session.exec(select(Contract))}
    assert contracts["HR-001"].owner_email == "p.bos@heuvelrug.nl"
    assert contracts["HR-003"].risk_tier == "high"
    assert count(session, Organisation) == 1


def test_the_same_reference_in_two_organisations_is_two_contracts(session):
    other = ROWS_NL[0].replace("Gemeente Heuvelrug", "Gemeente Dal")
    import_register(session, data=excel_file([HEADER_NL, ROWS_NL[0], other]), now=NOW, actor="test")
    assert count(session, Contract) == 2
    assert count(session, Supplier) == 1


def test_every_bad_row_is_reported_and_nothing_is_written(session):
    bad_rows = [
        ROWS_NL[0].replace("12345678", "1234-ABC").replace("HR-001", "HR-008"),  # bad KvK
        ROWS_NL[1].replace("security@zaakwerk.nl", "security-at-zaakwerk"),  # bad e-mail
        ROWS_NL[2].replace(";laag;", ";extreem;"),  # unknown risk tier
        ROWS_NL[0].replace("HR-001", "HR-009").replace("31-12-2027", "31-12-2020"),  # end before start
        ROWS_NL[1].replace("HR-002", "HR-010").replace(";nee;", ";misschien;"),  # bad ja/nee
        ROWS_NL[1].replace("HR-002", "HR-011").replace("2024-03-01", "31-02-2024"),  # impossible date
    ]
    data = excel_file([HEADER_NL, ROWS_NL[0], *bad_rows])

    with pytest.raises(RegisterError) as caught:
        import_register(session, data=data, now=NOW, actor="test", source="test")

    problems = caught.value.problems
    assert "test: row 3, column supplier_kvk: '1234-ABC' is not a KvK number (8 digits)" in problems
    assert "test: row 4, column supplier_email: 'security-at-zaakwerk' is not an e-mail address" in problems
    assert any(p.startswith("test: row 5, column risk_tier: 'extreem'") for p in problems)
    assert "test: row 6, column end_date: '31-12-2020' is before the start date 2024-01-01" in problems
    assert any(p.startswith("test: row 7, column personal_data: 'misschien'") for p in problems)
    assert any(p.startswith("test: row 8, column start_date: '31-02-2024'") for p in problems)
    assert len(problems) == 6
    for model in (Contract, Supplier, Organisation, StaffUser, AuditLog):
        assert count(session, model) == 0


def test_empty_file_is_refused_with_a_clear_message(session):
    for data in (b"", b"\xef\xbb\xbf", b"\r\n  \r\n"):
        with pytest.raises(RegisterError, match="the file is empty"):
            import_register(session, data=data, now=NOW, actor="test", source="leeg.csv")
    with pytest.raises(RegisterError, match="has a header but no contract rows"):
        import_register(session, data=excel_file([HEADER_NL]), now=NOW, actor="test")


def test_missing_required_columns_are_named(session):
    header = "Gemeente;Leverancier;Contractnummer;Contractnaam;Startdatum"
    with pytest.raises(RegisterError) as caught:
        import_register(session, data=excel_file([header, "A;B;C;D;01-01-2025"]), now=NOW, actor="test")
    message = str(caught.value)
    for column in ("supplier_kvk", "supplier_email", "owner_name", "owner_email", "risk_tier", "personal_data"):
        assert column in message
    assert "end_date" not in message.split("(found")[0]  # optional
    assert count(session, Contract) == 0


def test_duplicate_reference_within_one_file_is_reported():
    with pytest.raises(RegisterError, match=r"row 3, column contract_ref: 'HR-001' appears twice .*row 2"):
        parse_register(excel_file([HEADER_NL, ROWS_NL[0], ROWS_NL[0]]), source="test")
