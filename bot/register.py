"""The contract register: import from CSV (as municipalities save it from Excel) and export back out.

Import is all-or-nothing: every bad row is reported with its row number, column and value, and then nothing is
written. Re-importing updates contracts in place, keyed by organisation + contract reference.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from bot import audit, emails
from bot.csvfile import excel_csv
from bot.db import get_session
from bot.models import Contract, Organisation, Role, Service, StaffUser, Supplier
from bot.register_xlsx import XlsxError, is_xlsx, xlsx_records
from bot.staff.users import create_staff_user
from bot.text import strip_bidi
from bot.timeutil import utcnow

COLUMNS = (
    "organisation",
    "supplier_name",
    "supplier_kvk",
    "supplier_email",
    "contract_ref",
    "contract_name",
    "owner_name",
    "owner_email",
    "risk_tier",
    "personal_data",
    "start_date",
    "end_date",
)
OPTIONAL_COLUMNS = ("service", "cloud_hosted", "active")
TEXT_OPTIONAL_COLUMNS = ("service",)
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c != "end_date")

# Header spellings seen in registers, normalised (lower case, spaces and hyphens as underscores).
ALIASES: dict[str, str] = {
    **{c: c for c in COLUMNS + OPTIONAL_COLUMNS},
    "organisatie": "organisation",
    "organization": "organisation",
    "gemeente": "organisation",
    "leverancier": "supplier_name",
    "leverancier_naam": "supplier_name",
    "leveranciersnaam": "supplier_name",
    "supplier": "supplier_name",
    "kvk": "supplier_kvk",
    "kvk_nummer": "supplier_kvk",
    "kvknummer": "supplier_kvk",
    "kvk_leverancier": "supplier_kvk",
    "leverancier_kvk": "supplier_kvk",
    "leverancier_email": "supplier_email",
    "leverancier_e_mail": "supplier_email",
    "e_mail_leverancier": "supplier_email",
    "email_leverancier": "supplier_email",
    "contractnummer": "contract_ref",
    "contract_nummer": "contract_ref",
    "contractreferentie": "contract_ref",
    "contract_referentie": "contract_ref",
    "referentie": "contract_ref",
    "contract_reference": "contract_ref",
    "contractnaam": "contract_name",
    "contract_naam": "contract_name",
    "omschrijving": "contract_name",
    "contracteigenaar": "owner_name",
    "eigenaar": "owner_name",
    "contract_owner": "owner_name",
    "eigenaar_email": "owner_email",
    "eigenaar_e_mail": "owner_email",
    "e_mail_eigenaar": "owner_email",
    "contracteigenaar_email": "owner_email",
    "contracteigenaar_e_mail": "owner_email",
    "risico": "risk_tier",
    "risiconiveau": "risk_tier",
    "risicoklasse": "risk_tier",
    "risico_niveau": "risk_tier",
    "persoonsgegevens": "personal_data",
    "verwerkt_persoonsgegevens": "personal_data",
    "startdatum": "start_date",
    "ingangsdatum": "start_date",
    "begindatum": "start_date",
    "einddatum": "end_date",
    "cloud": "cloud_hosted",
    "cloud_gehost": "cloud_hosted",
    "actief": "active",
    "dienst": "service",
    "dienstnaam": "service",
    "dienst_naam": "service",
    "dienstcode": "service",
    "service_name": "service",
    "service_code": "service",
}

RISK_TIERS = {
    "low": "low",
    "laag": "low",
    "medium": "medium",
    "midden": "medium",
    "middel": "medium",
    "gemiddeld": "medium",
    "high": "high",
    "hoog": "high",
}
TRUE_WORDS = {"ja", "j", "yes", "y", "true", "waar", "1", "x"}
FALSE_WORDS = {"nee", "n", "no", "false", "onwaar", "0", ""}
SERVICE_NAME_MAX = 300
# The longest text each column's database field holds (bot/models.py).
TEXT_MAX = {"organisation": 200, "supplier_name": 200, "contract_ref": 100, "contract_name": 300, "owner_name": 200}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")


class RegisterError(ValueError):
    """The file cannot be imported; `problems` lists every reason, each naming row, column and value."""

    def __init__(self, problems: list[str], fields: list[str] | None = None) -> None:
        self.problems = problems
        self.fields = fields or []  # a form's fields the problems are about, in order (empty for a file)
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class RegisterRow:
    line: int  # the row number as a spreadsheet shows it (header = 1)
    organisation: str
    supplier_name: str
    supplier_kvk: str
    supplier_email: str
    contract_ref: str
    contract_name: str
    owner_name: str
    owner_email: str
    risk_tier: str
    personal_data: bool
    start_date: date
    end_date: date | None
    service: str | None = None  # None: the file does not name one
    cloud_hosted: bool | None = None
    active: bool | None = None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_created: int = 0
    suppliers_created: int = 0
    services_created: int = 0
    staff_created: int = 0
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The counts in a sentence, in the page's language (English in the CLI and the audit log)."""
        return _(
            "%(created)d contracts created, %(updated)d updated, %(unchanged)d unchanged; "
            "%(organisations)d organisations, %(suppliers)d suppliers, %(services)d services "
            "and %(staff)d contract managers added",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            organisations=self.organisations_created,
            suppliers=self.suppliers_created,
            services=self.services_created,
            staff=self.staff_created,
        )


def row_problem(source: str, line: int, column: str, value: str, why: str) -> str:
    """A problem in one cell of a file, naming the file, row, column and value; `why` is a rule's text."""
    return _(
        "%(source)s: row %(row)d, column %(column)s: %(value)s %(why)s",
        source=source,
        row=line,
        column=column,
        value=repr(value),
        why=why,
    )


def english_summary(report: ImportReport) -> str:
    """The summary as the audit log keeps it: in English, whoever's page made it."""
    with force_locale("en"):
        return report.summary()


def decode(data: bytes) -> str:
    """Text from bytes as Excel saves them: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).strip("_")


def _parse_bool(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _parse_date(value: str) -> date | None:
    text = value.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _normalise_kvk(value: str) -> str | None:
    digits = re.sub(r"[\s.]", "", value)
    if not digits.isdigit():
        return None
    # Excel drops leading zeros of numbers; a KvK number is always 8 digits.
    if 6 <= len(digits) <= 8:
        return digits.zfill(8)
    return None


def check_record(
    cell: Callable[[str], str], bad: Callable[[str, str, str], None], *, has_column: Callable[[str], bool]
) -> dict[str, Any]:
    """The register's rules for one contract, wherever it comes from (a file's row, the add-a-contract form).

    `cell(column)` gives the stripped text of a column, `bad(column, value, why)` is told every problem;
    `has_column` says whether an optional column was given at all. Returns the values read (None where bad).
    """
    values: dict[str, Any] = {}
    for column in ("organisation", "supplier_name", "contract_ref", "contract_name", "owner_name"):
        values[column] = cell(column)
        if not values[column]:
            bad(column, "", _("is empty; a value is required"))
        elif len(values[column]) > TEXT_MAX[column]:
            bad(column, values[column], _("is longer than %(max)d characters", max=TEXT_MAX[column]))
    kvk = _normalise_kvk(cell("supplier_kvk"))
    if kvk is None:
        bad("supplier_kvk", cell("supplier_kvk"), _("is not a KvK number (8 digits)"))
    values["supplier_kvk"] = kvk
    for column in ("supplier_email", "owner_email"):
        values[column] = emails.normalise(cell(column))
        if not emails.is_valid(values[column]):
            bad(column, cell(column), _("is not an e-mail address"))
    tier = RISK_TIERS.get(cell("risk_tier").lower())
    if tier is None:
        bad("risk_tier", cell("risk_tier"), _("is not a risk tier (low/laag, medium/midden, high/hoog)"))
    values["risk_tier"] = tier
    personal = _parse_bool(cell("personal_data"))
    if personal is None:
        bad("personal_data", cell("personal_data"), _("is not ja/nee or yes/no"))
    values["personal_data"] = personal
    start = _parse_date(cell("start_date"))
    if start is None:
        bad("start_date", cell("start_date"), _("is not a date (31-12-2026 or 2026-12-31)"))
    end = None
    if cell("end_date"):
        end = _parse_date(cell("end_date"))
        if end is None:
            bad("end_date", cell("end_date"), _("is not a date (31-12-2026 or 2026-12-31)"))
        elif start is not None and end < start:
            bad("end_date", cell("end_date"), _("is before the start date %(start)s", start=start.isoformat()))
    values["service"] = cell("service") or None
    if values["service"] is not None and len(values["service"]) > SERVICE_NAME_MAX:
        bad("service", values["service"], _("is longer than %(max)d characters", max=SERVICE_NAME_MAX))
    for column in OPTIONAL_COLUMNS:
        if column in TEXT_OPTIONAL_COLUMNS:
            continue
        values[column] = None
        if has_column(column) and cell(column):
            values[column] = _parse_bool(cell(column))
            if values[column] is None:
                bad(column, cell(column), _("is not ja/nee or yes/no"))
    values["start_date"], values["end_date"] = start, end
    return values


def parse_register(data: bytes, *, source: str = "file") -> list[RegisterRow]:
    """Parse and validate a register: a CSV as Excel saves it, or an Excel workbook (.xlsx, its first sheet).

    Both go through the same rules. Raises RegisterError listing every problem; returns rows otherwise.
    """
    rows: Iterator[list[str]]
    if is_xlsx(data):
        try:
            rows = iter(xlsx_records(data))
        except XlsxError as error:
            raise RegisterError([f"{source}: {error}"]) from None
    else:
        text = decode(data)
        first_line = text.splitlines()[0] if text.strip() else ""
        delimiter = max((";", ",", "\t"), key=first_line.count)
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Whatever the format, no cell keeps a bidirectional control (a name that displays reversed: F10).
    records = ([strip_bidi(cell) for cell in record] for record in rows)
    header = next(records, None)
    if header is None or not any(h.strip() for h in header):
        raise RegisterError(
            [
                _(
                    "%(source)s: the file is empty; expected a header row with the columns %(columns)s",
                    source=source,
                    columns=", ".join(COLUMNS),
                )
            ]
        )
    reader = records
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(header):
        name = ALIASES.get(_normalise_header(raw))
        if name is None:
            continue  # extra columns (notes, cost centres) are allowed and ignored
        if name in columns:
            problems.append(
                _("%(source)s: column %(raw)s appears twice (as %(name)s)", source=source, raw=repr(raw), name=name)
            )
        columns[name] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(
            _(
                "%(source)s: missing required column(s): %(missing)s (found: %(found)s)",
                source=source,
                missing=", ".join(missing),
                found=", ".join(h.strip() for h in header if h.strip()) or _("none"),
            )
        )
    if problems:
        raise RegisterError(problems)

    rows: list[RegisterRow] = []
    seen: dict[tuple[str, str], int] = {}
    bad_lines: set[int] = set()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # Excel leaves rows of empty cells at the end

        def cell(column: str, record: list[str] = record) -> str:
            index = columns.get(column)
            return record[index].strip() if index is not None and index < len(record) else ""

        def bad(column: str, value: str, why: str, line: int = line) -> None:
            problems.append(row_problem(source, line, column, value, why))
            bad_lines.add(line)

        values = check_record(cell, bad, has_column=lambda column: column in columns)
        start, end = values.pop("start_date"), values.pop("end_date")
        key = (values["organisation"].lower(), values["contract_ref"].lower())
        if values["contract_ref"] and key in seen:
            bad(
                "contract_ref",
                values["contract_ref"],
                _("appears twice for this organisation (also row %(row)d)", row=seen[key]),
            )
        seen.setdefault(key, line)
        if line not in bad_lines:
            rows.append(RegisterRow(line=line, start_date=start, end_date=end, **values))  # type: ignore[arg-type]
    if problems:
        raise RegisterError(problems)
    if not rows:
        raise RegisterError([_("%(source)s: the file has a header but no contract rows", source=source)])
    return rows


def row_from_form(form: Mapping[str, str], *, organisation: Organisation) -> RegisterRow:
    """One contract typed into the add-a-contract form, for `organisation`, checked by the register's own rules.

    Raises RegisterError naming each wrong field (the register's column name) and its value.
    """
    problems: list[str] = []
    fields: list[str] = []

    def cell(column: str) -> str:
        return organisation.name if column == "organisation" else str(form.get(column) or "").strip()

    def bad(column: str, value: str, why: str) -> None:
        problems.append(f"{column}: {value!r} {why}")
        fields.append(column)

    values = check_record(cell, bad, has_column=lambda column: True)
    if problems:
        raise RegisterError(problems, fields)
    return RegisterRow(line=0, **values)


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("gemeente", "")).strip("-")
    return slug or "organisatie"


class _Services:
    """The services of the suppliers in an import, read once per supplier; names match regardless of case."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_supplier: dict[int, dict[str, Service]] = {}

    def _of(self, supplier_id: int) -> dict[str, Service]:
        if supplier_id not in self.by_supplier:
            query = select(Service).where(Service.supplier_id == supplier_id).order_by(Service.id)  # type: ignore[arg-type]
            known: dict[str, Service] = {}
            for service in self.session.exec(query):
                known.setdefault(service.name.casefold(), service)
            self.by_supplier[supplier_id] = known
        return self.by_supplier[supplier_id]

    def find(self, supplier_id: int, name: str) -> Service | None:
        return self._of(supplier_id).get(name.casefold())

    def add(self, supplier_id: int, name: str, now: datetime) -> Service:
        service = Service(supplier_id=supplier_id, name=name, created_at=now)
        self.session.add(service)
        self.session.flush()
        self._of(supplier_id)[name.casefold()] = service
        return service


def only_organisation(rows: list[RegisterRow], organisation: Organisation, *, source: str = "file") -> None:
    """Refuse rows of other organisations (an administrator's upload is for their own municipality only)."""
    names = {organisation.name.lower()}  # apply_register finds organisations by name
    why = _("is not %(organisation)s; this upload is for your own organisation only", organisation=organisation.name)
    problems = [
        row_problem(source, row.line, "organisation", row.organisation, why)
        for row in rows
        if row.organisation.lower() not in names
    ]
    if problems:
        raise RegisterError(problems)


def apply_register(
    session: Session,
    *,
    rows: list[RegisterRow],
    now: datetime,
    actor: str,
    organisation_id: int | None = None,
    audited: bool = True,
) -> ImportReport:
    """Create or update organisations, suppliers, contracts and contract managers from validated rows.

    `organisation_id` files the audit entry under that organisation (a web upload); `audited=False` leaves the
    entry to a caller that records its own (a contract added by hand). The caller commits (or rolls back, for a dry
    run).
    """
    report = ImportReport()
    services = _Services(session)
    organisations = {o.name.lower(): o for o in session.exec(select(Organisation))}
    suppliers: dict[str, Supplier] = {}
    # Per organisation, read once: its contracts by reference and its staff by e-mail.
    contracts: dict[int, dict[str, Contract]] = {}
    staff_users: dict[int, dict[str, StaffUser]] = {}
    for row in rows:
        org = organisations.get(row.organisation.lower())
        if org is None:
            slug = _slugify(row.organisation)
            taken = {o.slug for o in organisations.values()}
            base, n = slug, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            org = Organisation(name=row.organisation, slug=slug, created_at=now)
            session.add(org)
            session.flush()
            organisations[org.name.lower()] = org
            report.organisations_created += 1
            report.changes.append(_("row %(row)d: new organisation %(name)s", row=row.line, name=org.name))
        supplier = (
            suppliers.get(row.supplier_kvk)
            or session.exec(select(Supplier).where(Supplier.kvk == row.supplier_kvk)).first()
        )
        if supplier is None:
            supplier = Supplier(kvk=row.supplier_kvk, name=row.supplier_name, created_at=now, updated_at=now)
            session.add(supplier)
            session.flush()
            report.suppliers_created += 1
            report.changes.append(
                _(
                    "row %(row)d: new supplier %(name)s (KvK %(kvk)s)",
                    row=row.line,
                    name=supplier.name,
                    kvk=supplier.kvk,
                )
            )
        suppliers[row.supplier_kvk] = supplier

        assert org.id is not None and supplier.id is not None
        if org.id not in contracts:
            contracts[org.id] = {
                c.reference: c for c in session.exec(select(Contract).where(Contract.organisation_id == org.id))
            }
            staff_users[org.id] = {
                u.email: u for u in session.exec(select(StaffUser).where(StaffUser.organisation_id == org.id))
            }
        contract = contracts[org.id].get(row.contract_ref)
        wanted: dict[str, Any] = {
            "supplier_id": supplier.id,
            "name": row.contract_name,
            "supplier_email": row.supplier_email,
            "owner_name": row.owner_name,
            "owner_email": row.owner_email,
            "risk_tier": row.risk_tier,
            "personal_data": row.personal_data,
            "start_date": row.start_date,
            "end_date": row.end_date,
        }
        if row.cloud_hosted is not None:
            wanted["cloud_hosted"] = row.cloud_hosted
        if row.active is not None:
            wanted["active"] = row.active
        # A row that names no service keeps the contract's service; a new contract gets one named after it.
        keeps_service = (
            row.service is None
            and contract is not None
            and contract.service_id is not None
            and contract.supplier_id == supplier.id
        )
        if not keeps_service:
            service = services.find(supplier.id, row.service or row.contract_name)
            if service is None:
                service = services.add(supplier.id, row.service or row.contract_name, now)
                report.services_created += 1
                report.changes.append(
                    _(
                        "row %(row)d: new service %(service)s of %(supplier)s",
                        row=row.line,
                        service=service.name,
                        supplier=supplier.name,
                    )
                )
            wanted["service_id"] = service.id
        if contract is None:
            contract = Contract(
                organisation_id=org.id, reference=row.contract_ref, created_at=now, updated_at=now, **wanted
            )
            session.add(contract)
            contracts[org.id][row.contract_ref] = contract
            report.created += 1
            report.changes.append(
                _(
                    "row %(row)d: new contract %(ref)s (%(name)s)",
                    row=row.line,
                    ref=row.contract_ref,
                    name=row.contract_name,
                )
            )
        else:
            changed = [k for k, v in wanted.items() if getattr(contract, k) != v]
            if changed:
                for key in changed:
                    setattr(contract, key, wanted[key])
                contract.updated_at = now
                session.add(contract)
                report.updated += 1
                report.changes.append(
                    _(
                        "row %(row)d: contract %(ref)s changes %(fields)s",
                        row=row.line,
                        ref=row.contract_ref,
                        fields=", ".join(changed),
                    )
                )
            else:
                report.unchanged += 1
        if row.owner_email not in staff_users[org.id]:
            staff = create_staff_user(
                session,
                organisation_id=org.id,
                email=row.owner_email,
                name=row.owner_name,
                role=Role.CONTRACT_MANAGER,
                now=now,
                actor=actor,
            )
            staff_users[org.id][row.owner_email] = staff
            report.staff_created += 1
            report.changes.append(_("row %(row)d: new contract manager %(email)s", row=row.line, email=row.owner_email))
    if not audited:
        return report
    audit.record(
        session,
        now=now,
        actor=actor,
        action="register.import",
        organisation_id=organisation_id,
        detail={"summary": english_summary(report), "rows": len(rows)},
    )
    return report


def import_register(
    session: Session, *, data: bytes, now: datetime, actor: str, source: str = "file", dry_run: bool = False
) -> ImportReport:
    """Parse, validate and apply a register file in one transaction; a dry run rolls everything back."""
    rows = parse_register(data, source=source)
    try:
        report = apply_register(session, rows=rows, now=now, actor=actor)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def export_rows(session: Session, *, organisation_id: int | None = None) -> list[dict[str, str]]:
    """The register as rows with the import's column names, so that an export can be imported again."""
    query = (
        select(Contract, Organisation, Supplier, Service)
        .join(Organisation, Organisation.id == Contract.organisation_id)  # type: ignore[arg-type]
        .join(Supplier, Supplier.id == Contract.supplier_id)  # type: ignore[arg-type]
        .outerjoin(Service, Service.id == Contract.service_id)  # type: ignore[arg-type]
        .order_by(Organisation.name, Contract.reference, Contract.id)
    )
    if organisation_id is not None:
        query = query.where(Contract.organisation_id == organisation_id)
    rows = []
    for contract, org, supplier, service in session.exec(query):
        rows.append(
            {
                "organisation": org.name,
                "supplier_name": supplier.name,
                "supplier_kvk": supplier.kvk,
                "supplier_email": contract.supplier_email,
                "contract_ref": contract.reference,
                "contract_name": contract.name,
                "owner_name": contract.owner_name,
                "owner_email": contract.owner_email,
                "risk_tier": contract.risk_tier,
                "personal_data": "ja" if contract.personal_data else "nee",
                "start_date": contract.start_date.isoformat(),
                "end_date": contract.end_date.isoformat() if contract.end_date else "",
                "service": service.name if service is not None else "",
                "cloud_hosted": "ja" if contract.cloud_hosted else "nee",
                "active": "ja" if contract.active else "nee",
            }
        )
    return rows


def write_excel_csv(rows: list[dict[str, Any]], columns: list[str] | tuple[str, ...], *, raw: bool = False) -> bytes:
    """The register as CSV for Excel in the columns the import reads (bot/csvfile.py; `raw` for a round trip)."""
    return excel_csv(list(columns), rows, raw=raw)


@click.group("import")
def import_group() -> None:
    """Import data."""


@import_group.command("contracts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change, and change nothing.")
@with_appcontext
def import_contracts_command(file: Path, dry_run: bool) -> None:
    """Import or update the contract register from a CSV FILE (semicolons or commas; Excel's Dutch format)."""
    try:
        with force_locale("en"):  # the command line speaks English, as its other messages do
            report = import_register(
                get_session(), data=file.read_bytes(), now=utcnow(), actor="cli", source=file.name, dry_run=dry_run
            )
            summary = report.summary()
    except RegisterError as error:
        click.echo(f"Nothing was imported: {len(error.problems)} problem(s) in {file.name}:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    for change in report.changes:
        click.echo(f"  {change}")
    prefix = "Dry run, nothing changed. Would have: " if dry_run else "Imported: "
    click.echo(prefix + summary + ".")


@click.group("export")
def export_group() -> None:
    """Export data."""


@export_group.command("contracts")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.option("--organisation", help="Only this organisation (its name or slug).")
@click.option(
    "--raw",
    is_flag=True,
    help="Write cells exactly as stored, for a file that only goes back into 'bot import' (no apostrophe before "
    "cells starting with = + - @; do not open such a file in a spreadsheet).",
)
@with_appcontext
def export_contracts_command(output: Path | None, organisation: str | None, raw: bool) -> None:
    """Write the contract register as CSV for Excel (the same columns the import reads), formula cells defused."""
    session = get_session()
    organisation_id = None
    if organisation:
        org = session.exec(
            select(Organisation)
            .where((Organisation.slug == organisation) | (Organisation.name == organisation))
            # One organisation's slug may be another's name: the slug wins, then the oldest.
            .order_by(sa.case((Organisation.slug == organisation, 0), else_=1), Organisation.id)  # type: ignore[arg-type]
        ).first()
        if org is None:
            raise click.UsageError(f"No organisation named {organisation!r}.")
        organisation_id = org.id
    data = write_excel_csv(export_rows(session, organisation_id=organisation_id), COLUMNS + OPTIONAL_COLUMNS, raw=raw)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"Wrote {output}.", err=True)
