"""Backup and restore: a consistent copy of the database and of the evidence files it refers to, and its restore.

A backup is a folder `bot-backup-<UTC time>/` with:
- `database.sqlite3` (SQLite, by SQLite's online backup: a consistent copy while web and worker keep running) or
  `database.dump` (PostgreSQL, `pg_dump --format=custom`: one consistent snapshot, taken in one transaction);
- `uploads/`: every evidence file that database copy refers to, checked against the SHA-256 stored in its row;
- `manifest.json`: when, which database kind and schema revision, the row count of every table, and each file's
  name, size and SHA-256.
The database is copied first and the files after it: files are written before their rows and never changed, so
every row in the copy has its file, unless retention removed it in between (reported as missing).

Restore (`bot restore`) goes into the configured DATABASE_URL and UPLOAD_DIR, refuses a database that holds data
unless told to replace it, and checks the result against the manifest (row counts, file digests).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.db import make_engine

MANIFEST = "manifest.json"
FORMAT = "bio-supplier-bot backup 1"


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass
class BackupReport:
    folder: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file to back up or restore")
    return Path(url.database)


def _pg_env(url: sa.URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection arguments, with the password in the environment (never on the command line)."""
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--username", url.username or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed; on Debian: apt-get install postgresql-client")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


_EVIDENCE = sa.table("evidencefile", sa.column("stored_name"), sa.column("sha256"))


@dataclass
class _Snapshot:
    database_file: str
    tables: dict[str, int]
    revision: list[str]
    stored: list[tuple[str, str]]  # (stored name, sha256) of every evidence file in the copy


def _read(connection: Any) -> tuple[dict[str, int], list[str], list[tuple[str, str]]]:
    """Row counts, schema revision and evidence files, as one connection (and its snapshot) sees them."""
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    revision = sorted(row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version")))
    stored = connection.execute(
        sa.select(_EVIDENCE.c.stored_name, _EVIDENCE.c.sha256).order_by(_EVIDENCE.c.stored_name)
    ).all()
    return counts, revision, [(name, sha256) for name, sha256 in stored]


def _copy_database(url: sa.URL, database_url: str, folder: Path) -> _Snapshot:
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(folder / "database.sqlite3")
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        engine = make_engine(f"sqlite:///{folder / 'database.sqlite3'}")
        try:
            with engine.connect() as connection:
                return _Snapshot("database.sqlite3", *_read(connection))
        finally:
            engine.dispose()
    if url.get_backend_name() == "postgresql":
        # pg_dump works in the snapshot this transaction exports, so the counts and the file list read here describe
        # exactly what the dump holds.
        args, env = _pg_env(url)
        engine = make_engine(database_url)
        try:
            with (
                engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
                connection.begin(),
            ):
                connection.execute(sa.text("SET TRANSACTION READ ONLY"))
                snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                tables, revision, stored = _read(connection)
                command = ["pg_dump", *args, "--format=custom", "--no-owner", "--no-privileges"]
                command += ["--snapshot", snapshot, "--file", str(folder / "database.dump"), url.database or ""]
                _run(command, env, "pg_dump")
        finally:
            engine.dispose()
        return _Snapshot("database.dump", tables, revision, stored)
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def backup(*, database_url: str, upload_dir: str, destination: str | Path, now: datetime) -> BackupReport:
    """Write a backup folder under `destination`: the database first, then the files its copy refers to."""
    url = sa.make_url(database_url)
    folder = Path(destination) / f"bot-backup-{now:%Y%m%dT%H%M%SZ}"
    if folder.exists():
        raise BackupError(f"{folder} exists already; choose another destination or wait a second")
    (folder / "uploads").mkdir(parents=True)
    snapshot = _copy_database(url, database_url, folder)
    report = BackupReport(folder, tables=snapshot.tables)
    files = []
    for name, sha256 in snapshot.stored:
        source = Path(upload_dir) / name
        if not source.exists():
            report.missing.append(name)
            continue
        target = folder / "uploads" / name
        shutil.copy2(source, target)
        actual = _sha256(target)
        if actual != sha256:
            raise BackupError(
                f"evidence file {name} does not match the SHA-256 in its row (file {actual[:12]}, row {sha256[:12]})"
            )
        files.append({"name": name, "size": target.stat().st_size, "sha256": actual})
    report.files = len(files)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": {"kind": url.get_backend_name(), "file": snapshot.database_file, "revision": snapshot.revision},
        "tables": report.tables,
        "files": files,
        "missing_files": report.missing,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return report


@dataclass
class RestoreReport:
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
    except ValueError as error:
        raise BackupError(f"{path} is not readable JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup of this service (format {manifest.get('format')!r})")
    return manifest


def _holds_data(engine: Any) -> bool:
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        for table in SQLModel.metadata.sorted_tables:
            if table.name in tables and connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
                return True
    return False


def restore(*, folder: str | Path, database_url: str, upload_dir: str, replace: bool = False) -> RestoreReport:
    """Restore backup `folder` into `database_url` and `upload_dir`, then check both against its manifest.

    Stop the web and the worker first. A database that holds data is refused unless `replace`.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    url = sa.make_url(database_url)
    kind = manifest["database"]["kind"]
    if kind != url.get_backend_name():
        raise BackupError(f"the backup holds a {kind} database; DATABASE_URL is {url.get_backend_name()}")
    for entry in manifest["files"]:
        if _sha256(folder / "uploads" / entry["name"]) != entry["sha256"]:
            raise BackupError(
                f"the backup's file uploads/{entry['name']} does not match its manifest; nothing restored"
            )
    engine = make_engine(database_url)
    try:
        if _holds_data(engine) and not replace:
            raise BackupError("the database holds data; restore with --replace to overwrite it (nothing restored)")
    finally:
        engine.dispose()
    source = folder / manifest["database"]["file"]
    if kind == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(target_path)
        try:
            with target:
                backup_db.backup(target)  # replaces the whole database in one step
        finally:
            target.close()
            backup_db.close()
    else:
        args, env = _pg_env(url)
        command = [
            "pg_restore",
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
        ]
        _run([*command, "--dbname", url.database or "", str(source)], env, "pg_restore")
    uploads = Path(upload_dir)
    uploads.mkdir(parents=True, exist_ok=True)
    for entry in manifest["files"]:
        shutil.copy2(folder / "uploads" / entry["name"], uploads / entry["name"])
        if _sha256(uploads / entry["name"]) != entry["sha256"]:
            raise BackupError(f"restored file {entry['name']} does not match the backup")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            tables, revision, _stored = _read(connection)
    finally:
        engine.dispose()
    if tables != manifest["tables"] or revision != manifest["database"]["revision"]:
        raise BackupError(f"the restored database differs from the backup: {tables} vs {manifest['tables']}")
    return RestoreReport(tables=tables, files=len(manifest["files"]))
