"""`bot backup` and `bot restore`: a copy of the database and the evidence files, restored into an empty database and
upload folder, holds the same rows and files, and its receipts verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot import create_app
from bot.backup import BackupError, backup, restore
from bot.db import make_engine
from bot.evidence import stored_path
from bot.models import EvidenceFile, Submission
from bot.supplier.submission import receipt_document, verify_receipt
from bot.timeutil import utcnow
from tests.conftest import make_test_config
from tests.support.databases import is_postgres
from tests.support.factories import make_uitvraag, supplier_submits


@pytest.fixture
def empty_database(tmp_path: Path, app):
    """A second, freshly migrated and empty database on the same kind of server, to restore into."""
    from bot import migrate

    if not is_postgres():
        url = f"sqlite:///{tmp_path / 'restored' / 'bot.sqlite3'}"
        (tmp_path / "restored").mkdir()
        migrate.upgrade(url)
        yield url
        return
    base = sa.make_url(app.config["DATABASE_URL"])
    name = f"{base.database}_restore"
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_a_backup_restores_into_an_empty_database_with_its_files_and_receipts(app, session, tmp_path, empty_database):
    now = utcnow()
    made = make_uitvraag(session, now=now)
    supplier_submits(session, made.uitvraag, now=now, upload_dir=app.config["UPLOAD_DIR"])
    receipt = receipt_document(session.exec(select(Submission)).one())
    files = {f.stored_name: f.sha256 for f in session.exec(select(EvidenceFile)).all()}
    assert files
    session.commit()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    assert f"{len(files)} files" in result.output
    [folder] = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["submission"] == 1 and manifest["tables"]["evidencefile"] == len(files)
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == files

    uploads = tmp_path / "restored-uploads"
    restored = create_app(make_test_config(empty_database, tmp_path, UPLOAD_DIR=str(uploads)))
    result = restored.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Restored and checked" in result.output
    with Session(restored.extensions["engine"]) as copy:
        assert verify_receipt(copy, receipt).ok
        for row in copy.exec(select(EvidenceFile)).all():
            assert stored_path(uploads, row).read_bytes() == stored_path(app.config["UPLOAD_DIR"], row).read_bytes()
    # Restoring again over the data is refused unless asked for.
    again = restored.test_cli_runner().invoke(args=["restore", str(folder)])
    assert again.exit_code != 0 and "--replace" in again.output
    assert restored.test_cli_runner().invoke(args=["restore", str(folder), "--replace"]).exit_code == 0
    restored.extensions["engine"].dispose()


def test_a_damaged_backup_is_refused_before_anything_is_restored(app, session, tmp_path, empty_database):
    now = utcnow()
    made = make_uitvraag(session, now=now)
    supplier_submits(session, made.uitvraag, now=now, upload_dir=app.config["UPLOAD_DIR"])
    session.commit()
    report = backup(
        database_url=app.config["DATABASE_URL"], upload_dir=app.config["UPLOAD_DIR"], destination=tmp_path, now=now
    )
    damaged = next((report.folder / "uploads").iterdir())
    damaged.write_bytes(b"not the certificate")
    with pytest.raises(BackupError, match="does not match its manifest; nothing restored"):
        restore(folder=report.folder, database_url=empty_database, upload_dir=str(tmp_path / "u"))
    engine = make_engine(empty_database)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM submission")).scalar_one() == 0
    engine.dispose()
