"""`bot import contracts` and `bot export contracts` as an administrator uses them."""

from __future__ import annotations

from sqlmodel import func, select

from bot.models import Contract
from tests.foundation.test_register_import import HEADER_NL, ROWS_NL, excel_file


def test_import_then_export_round_trips(runner, session, tmp_path):
    source = tmp_path / "register.csv"
    source.write_bytes(excel_file([HEADER_NL, *ROWS_NL]))

    result = runner.invoke(args=["import", "contracts", str(source)])
    assert result.exit_code == 0, result.output
    assert "Imported: 3 contracts created" in result.output

    exported = tmp_path / "export.csv"
    result = runner.invoke(args=["export", "contracts", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    data = exported.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data and b"\r\n" in data
    assert data.count(b"\r\n") == 4

    result = runner.invoke(args=["import", "contracts", str(exported)])
    assert result.exit_code == 0, result.output
    assert "0 contracts created, 0 updated, 3 unchanged" in result.output


def test_dry_run_reports_and_changes_nothing(runner, session, tmp_path):
    source = tmp_path / "register.csv"
    source.write_bytes(excel_file([HEADER_NL, *ROWS_NL]))
    result = runner.invoke(args=["import", "contracts", "--dry-run", str(source)])
    assert result.exit_code == 0, result.output
    assert "new contract HR-001 (Zaaksysteem)" in result.output
    assert "Dry run, nothing changed. Would have: 3 contracts created" in result.output
    assert session.exec(select(func.count()).select_from(Contract)).one() == 0


def test_bad_file_exits_non_zero_and_lists_problems(runner, tmp_path):
    source = tmp_path / "fout.csv"
    source.write_bytes(excel_file([HEADER_NL, ROWS_NL[0].replace("12345678", "x")]))
    result = runner.invoke(args=["import", "contracts", str(source)])
    assert result.exit_code == 1
    assert "Nothing was imported: 1 problem(s) in fout.csv" in result.output
    assert "row 2, column supplier_kvk: 'x'" in result.output
