"""F7: the web export and `bot export contracts` write CSV through one writer that defuses formula cells;
`--raw` writes cells as stored, for a file that only goes back into `bot import`."""

from __future__ import annotations

import csv
import io

import pytest

from bot.csvfile import excel_csv
from tests.staff.world import sign_in
from tests.support.factories import make_contract, make_organisation, make_staff, make_supplier

HOSTILE = ['=HYPERLINK("http://evil.example","klik")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1", "\r=1"]


def _cells(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def hostile_register(session):
    organisation = make_organisation(session)
    for number, value in enumerate(HOSTILE):
        make_contract(
            session,
            organisation=organisation,
            supplier=make_supplier(session, name=f"Leverancier {number}"),
            reference=f"C-{number}",
            name=value,
        )
    return organisation


def test_the_cli_export_defuses_every_formula_cell(runner, session, hostile_register, tmp_path):
    exported = tmp_path / "export.csv"
    result = runner.invoke(args=["export", "contracts", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    rows = _cells(exported.read_bytes())
    names = [row[rows[0].index("contract_name")] for row in rows[1:]]
    assert sorted(names) == sorted("'" + value for value in HOSTILE)


def test_raw_export_round_trips_through_the_import(runner, session, hostile_register, tmp_path):
    exported = tmp_path / "export.csv"
    for _ in range(2):  # the first import gives the factory's contracts a service and trims "\t=1" and "\r=1"
        result = runner.invoke(args=["export", "contracts", "--raw", "--output", str(exported)])
        assert result.exit_code == 0, result.output
        assert not any(cell.startswith("'") for row in _cells(exported.read_bytes()) for cell in row)
        result = runner.invoke(args=["import", "contracts", str(exported)])
        assert result.exit_code == 0, result.output
        assert "0 contracts created" in result.output
    assert "0 contracts created, 0 updated, 6 unchanged" in result.output


def test_the_web_export_writes_through_the_same_writer(app, client, session, hostile_register):
    from bot.timeutil import utcnow

    user = make_staff(session, organisation=hostile_register, email="ciso@testdorp.nl", role="ciso")
    sign_in(client, user, utcnow())
    response = client.get("/staff/export/register.csv")
    assert response.status_code == 200
    cells = {cell for row in _cells(response.data) for cell in row}
    assert {"'" + value for value in HOSTILE} <= cells and not cells & set(HOSTILE)


def test_a_plain_cell_is_left_alone_and_booleans_read_ja_nee():
    data = excel_csv(["a", "b", "c"], [{"a": "Zaaksysteem", "b": True, "c": None}])
    assert _cells(data) == [["a", "b", "c"], ["Zaaksysteem", "ja", ""]]
