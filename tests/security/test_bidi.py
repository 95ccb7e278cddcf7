"""F10: bidirectional control characters never reach the database from a form, the API or a register file (CSV or
Excel)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.models import Contract, Supplier, Uitvraag
from bot.register import import_register
from bot.text import strip_bidi, strip_bidi_deep
from tests.staff.world import build_world, sign_in
from tests.support.factories import NOW

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_every_bidi_control_is_stripped_and_nothing_else():
    assert strip_bidi(f"factuur{BIDI}fdp.exe é „x”") == "factuurfdp.exe é „x”"
    assert strip_bidi_deep({"a\u202e": ["\u2066x", 1, None]}) == {"a": ["x", 1, None]}


def test_a_staff_remark_with_an_override_is_stored_without_it(app, client, session, tmp_path):
    from bot.timeutil import utcnow

    now = utcnow().replace(microsecond=0)
    world = build_world(session, now=now, upload_dir=tmp_path / "uploads")
    sign_in(client, world.ciso, now)
    deadline = (now + timedelta(days=30)).date().isoformat()
    response = client.post(
        f"/staff/uitvragen/{world.uitvraag.id}/improve",
        data={
            "question_ids": "mfa-remote-admin",
            "remark": "Graag \u202eexe.fdp\u202c toelichten",
            "deadline": deadline,
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    session.expire_all()
    follow_up = session.exec(select(Uitvraag).where(Uitvraag.parent_id == world.uitvraag.id)).one()
    assert follow_up.remark == "Graag exe.fdp toelichten"


HEADER = (
    "Gemeente;Leverancier;KvK-nummer;E-mail leverancier;Contractnummer;Contractnaam;Contracteigenaar;"
    "E-mail eigenaar;Risiconiveau;Persoonsgegevens;Startdatum;Einddatum"
)
ROW = (
    "Gemeente Heuvelrug;Zaak\u202ewerk BV;12345678;security@zaakwerk.nl;HR-001;Zaak\u2067systeem;Olga de Vries;"
    "o.devries@heuvelrug.nl;hoog;ja;01-01-2024;31-12-2027"
)


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_register_file_with_bidi_controls_imports_clean_names(session, kind):
    rows = [HEADER.split(";"), ROW.split(";")]
    data = _xlsx(rows) if kind == "xlsx" else "".join(";".join(r) + "\r\n" for r in rows).encode("utf-8-sig")
    import_register(session, data=data, now=NOW, actor="test")
    session.commit()
    assert session.exec(select(Supplier.name)).all() == ["Zaakwerk BV"]
    assert session.exec(select(Contract.name)).all() == ["Zaaksysteem"]
