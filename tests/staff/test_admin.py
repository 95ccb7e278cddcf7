"""Web administration: the register upload (CSV and .xlsx, preview then confirm, nothing written on bad rows),
contracts (find, show with history, change, audited), staff users, the attention page, and who may do what."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.models import AuditLog, Contract, Service, StaffUser, Supplier, Uitvraag
from bot.register import parse_register
from tests.staff.world import sign_in
from tests.support.factories import make_contract, make_staff

HEADER = [
    "Gemeente", "Leverancier", "KvK-nummer", "E-mail leverancier", "Contractnummer", "Contractnaam",
    "Contracteigenaar", "E-mail eigenaar", "Risiconiveau", "Persoonsgegevens", "Startdatum", "Einddatum",
]  # fmt: skip
ROWS: list[list[Any]] = [
    ["Gemeente Testdorp", "Archiefwerk BV", "01234567", "security@archiefwerk.nl", "TD-100", "E-depot",
     "Olga Eigenaar", "olga@testdorp.nl", "hoog", "ja", "01-01-2025", "31-12-2028"],
    ["Gemeente Testdorp", "Archiefwerk BV", "01234567", "security@archiefwerk.nl", "TD-101", "Scanstraat",
     "Ben Nieuw", "ben@testdorp.nl", "laag", "nee", "2025-06-01", ""],
]  # fmt: skip
# The same register as Excel keeps it: real dates, the KvK number as a number (leading zero lost), booleans.
XLSX_ROWS: list[list[Any]] = [
    ["Gemeente Testdorp", "Archiefwerk BV", 1234567, "security@archiefwerk.nl", "TD-100", "E-depot",
     "Olga Eigenaar", "olga@testdorp.nl", "hoog", True, datetime(2025, 1, 1), date(2028, 12, 31)],
    ["Gemeente Testdorp", "Archiefwerk BV", 1234567, "security@archiefwerk.nl", "TD-101", "Scanstraat",
     "Ben Nieuw", "ben@testdorp.nl", "laag", False, date(2025, 6, 1), None],
]  # fmt: skip


def csv_bytes(rows: list[list[Any]]) -> bytes:
    return ("\r\n".join(";".join(map(str, r)) for r in [HEADER, *rows]) + "\r\n").encode("utf-8-sig")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin(session: Any, world: Any) -> StaffUser:
    return make_staff(session, organisation=world.organisation, email="ada@testdorp.nl", role="admin", name="Ada")


def contracts_of(session: Any, organisation_id: int) -> list[tuple[Any, ...]]:
    session.expire_all()
    rows = session.exec(
        select(Contract).where(Contract.organisation_id == organisation_id).order_by(Contract.reference)
    ).all()
    result = [
        (c.reference, c.name, c.owner_email, c.risk_tier, c.personal_data, c.start_date, c.end_date) for c in rows
    ]
    session.commit()
    return result


def count(page: str) -> int:
    return int(re.search(r'id="contracts-count">(\d+) ', page).group(1))


def upload(client: Any, data: bytes, filename: str) -> Any:
    return client.post(
        "/staff/admin/register",
        data={"register": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def confirm(client: Any, preview: Any) -> Any:
    page = preview.get_data(as_text=True)
    data = re.search(r'name="data" value="([^"]+)"', page).group(1)
    filename = re.search(r'name="filename" value="([^"]+)"', page).group(1)
    return client.post("/staff/admin/register/confirm", data={"data": data, "filename": filename})


def test_an_xlsx_and_a_csv_of_the_same_register_give_identical_rows():
    assert parse_register(xlsx_bytes(XLSX_ROWS), source="r.xlsx") == parse_register(csv_bytes(ROWS), source="r.csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_upload_shows_a_preview_writes_nothing_until_confirmed_then_imports(client, session, world, admin, now, kind):
    sign_in(client, admin, now)
    before = contracts_of(session, world.organisation.id)
    data = csv_bytes(ROWS) if kind == "csv" else xlsx_bytes(XLSX_ROWS)
    preview = upload(client, data, f"register.{kind}")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Voorbeeld: er is nog niets gewijzigd" in page
    assert "rij 2: nieuw contract TD-100 (E-depot)" in page and "nieuwe contractmanager ben@testdorp.nl" in page
    assert contracts_of(session, world.organisation.id) == before  # a preview changes nothing
    response = confirm(client, preview)
    assert response.status_code == 302
    after = contracts_of(session, world.organisation.id)
    assert ("TD-100", "E-depot", "olga@testdorp.nl", "high", True, date(2025, 1, 1), date(2028, 12, 31)) in after
    assert ("TD-101", "Scanstraat", "ben@testdorp.nl", "low", False, date(2025, 6, 1), None) in after
    entry = session.exec(select(AuditLog).where(AuditLog.action == "register.import")).one()
    assert (entry.actor, entry.organisation_id) == ("staff:ada@testdorp.nl", world.organisation.id)
    session.commit()


def test_a_file_with_bad_rows_lists_every_one_and_writes_nothing(client, session, world, admin, now):
    sign_in(client, admin, now)
    bad = [list(ROWS[0]), list(ROWS[1])]
    bad[0][7] = "olga-at-testdorp"
    bad[1][8] = "extreem"
    bad[1][10] = "31-02-2025"
    before = contracts_of(session, world.organisation.id)
    for data, name in ((csv_bytes(bad), "bad.csv"), (xlsx_bytes([bad[0], bad[1]]), "bad.xlsx")):
        response = upload(client, data, name)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Er is niets ingelezen" in page
        assert f"{name}: rij 2, kolom owner_email: &#39;olga-at-testdorp&#39; is geen e-mailadres" in page
        assert f"{name}: rij 3, kolom risk_tier: &#39;extreem&#39;" in page
        assert f"{name}: rij 3, kolom start_date: &#39;31-02-2025&#39;" in page
        assert 'name="data"' not in page  # nothing to confirm
    assert contracts_of(session, world.organisation.id) == before
    assert not session.exec(select(AuditLog).where(AuditLog.action == "register.import")).all()
    session.commit()


def test_register_problems_and_preview_speak_the_staff_users_language(client, session, world, admin, now):
    admin.language = "en"
    session.add(admin)
    session.commit()
    sign_in(client, admin, now)
    bad = [list(ROWS[0])]
    bad[0][7] = "olga-at-testdorp"
    page = upload(client, csv_bytes(bad), "bad.csv").get_data(as_text=True)
    assert "bad.csv: row 2, column owner_email: &#39;olga-at-testdorp&#39; is not an e-mail address" in page
    page = upload(client, csv_bytes(ROWS), "register.csv").get_data(as_text=True)
    assert "row 2: new contract TD-100 (E-depot)" in page and "rij 2" not in page


def test_an_upload_naming_another_organisation_is_refused(client, session, world, other, admin, now):
    sign_in(client, admin, now)
    rows = [list(ROWS[0])]
    rows[0][0] = "Gemeente Anderdorp"
    response = upload(client, csv_bytes(rows), "register.csv")
    assert response.status_code == 422
    assert "rij 2, kolom organisation: &#39;Gemeente Anderdorp&#39; is niet Gemeente Testdorp" in response.get_data(
        as_text=True
    )
    assert "TD-100" not in [r[0] for r in contracts_of(session, other.organisation.id)]


def test_a_tampered_confirmation_is_checked_again(client, session, world, admin, now):
    sign_in(client, admin, now)
    rows = [list(ROWS[0])]
    rows[0][0] = "Gemeente Anderdorp"
    forged = base64.b64encode(csv_bytes(rows)).decode()
    response = client.post("/staff/admin/register/confirm", data={"data": forged, "filename": "x.csv"})
    assert response.status_code == 422


def test_contracts_are_searched_filtered_and_paged(client, session, world, other, admin, now):
    for n in range(30):
        ended = date(2020, 1, 1) if n < 3 else None
        make_contract(session, organisation=world.organisation, supplier=world.supplier, reference=f"P-{n:03d}",
                      owner_email="piet@testdorp.nl", risk_tier="low", end_date=ended)  # fmt: skip
    sign_in(client, admin, now)
    first = client.get("/staff/admin/contracts").get_data(as_text=True)
    assert count(first) == 32 and "Pagina 1 van 2" in first
    assert "Anders Cloud BV" not in first
    second = client.get("/staff/admin/contracts?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/staff/admin/contracts/\d', second)) == 32 - 25
    assert count(client.get("/staff/admin/contracts?state=ended").get_data(as_text=True)) == 3
    found = client.get(f"/staff/admin/contracts?q={world.contract.reference.lower()}").get_data(as_text=True)
    assert count(found) == 1
    by_supplier = client.get(f"/staff/admin/contracts?supplier={world.supplier_b.id}").get_data(as_text=True)
    assert count(by_supplier) == 1 and world.contract_b.reference in by_supplier
    owner = client.get("/staff/admin/contracts?owner=piet@testdorp.nl&tier=low&state=in-force").get_data(as_text=True)
    assert count(owner) == 27


def test_a_contract_page_shows_its_history_and_a_change_is_audited(client, session, world, admin, now):
    sign_in(client, admin, now)
    page = client.get(f"/staff/admin/contracts/{world.contract.id}").get_data(as_text=True)
    assert world.cycle.name in page and world.previous_cycle.name in page
    assert "Geen MFA op beheertoegang op afstand." in page
    form = {
        "owner_name": "Nina Nieuw",
        "owner_email": "Nina@Testdorp.nl",
        "risk_tier": "medium",
        "personal_data": "yes",
        "end_date": "",
        "active": "yes",
    }
    response = client.post(f"/staff/admin/contracts/{world.contract.id}", data=form)
    assert response.status_code == 302
    session.expire_all()
    contract = session.get(Contract, world.contract.id)
    assert (contract.owner_email, contract.risk_tier) == ("nina@testdorp.nl", "medium")
    entry = session.exec(select(AuditLog).where(AuditLog.action == "contract.updated")).one()
    assert entry.detail["changes"]["owner_email"] == {"from": "olga@testdorp.nl", "to": "nina@testdorp.nl"}
    assert session.exec(select(StaffUser).where(StaffUser.email == "nina@testdorp.nl")).one().role == "contract-manager"
    session.commit()
    audit_page = client.get("/staff/audit").get_data(as_text=True)
    assert "contract.updated" in audit_page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("owner_email", "nina", "is geen e-mailadres"),
        ("owner_name", "", "Vul de naam van de contracteigenaar in."),
        ("end_date", "2001-01-01", "De einddatum ligt voor de ingangsdatum"),
        ("end_date", "morgen", "is geen datum"),
        ("risk_tier", "extreme", "Kies een risiconiveau."),
    ],
)
def test_a_wrong_contract_change_is_refused_and_changes_nothing(
    client, session, world, admin, now, field, value, message
):
    sign_in(client, admin, now)
    form = {"owner_name": "Nina", "owner_email": "nina@testdorp.nl", "risk_tier": "high", "personal_data": "no",
            "end_date": "", "active": "yes", field: value}  # fmt: skip
    response = client.post(f"/staff/admin/contracts/{world.contract.id}", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Contract, world.contract.id).owner_email == world.contract.owner_email
    assert not session.exec(select(AuditLog).where(AuditLog.action == "contract.updated")).all()
    session.commit()


def test_staff_users_are_added_given_roles_and_deactivated_audited(client, session, world, admin, now):
    sign_in(client, admin, now)
    page = client.get("/staff/admin/users").get_data(as_text=True)
    assert "olga@testdorp.nl" in page and "anderdorp" not in page
    client.post("/staff/admin/users", data={"email": "Kim@Testdorp.nl", "name": "Kim", "role": "ciso"})
    client.post(f"/staff/admin/users/{world.manager.id}/role", data={"role": "ciso"})
    client.post(f"/staff/admin/users/{world.other_manager.id}/deactivate")
    refused = client.post(f"/staff/admin/users/{admin.id}/role", data={"role": "ciso"}, follow_redirects=True)
    assert "last active admin" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(StaffUser).where(StaffUser.email == "kim@testdorp.nl")).one().role == "ciso"
    assert session.get(StaffUser, world.manager.id).role == "ciso"
    assert session.get(StaffUser, world.other_manager.id).active is False
    assert session.get(StaffUser, admin.id).role == "admin"
    actions = session.exec(
        select(AuditLog.action).where(AuditLog.actor == "staff:ada@testdorp.nl").order_by(AuditLog.id)
    ).all()
    # Deactivating ends the person's sessions first (F4), then records the deactivation.
    assert actions == [
        "staff.user-added",
        "staff.user-role-changed",
        "staff.sessions-ended",
        "staff.user-deactivated",
    ]
    session.commit()


def test_the_attention_page_lists_what_needs_doing_with_links(client, world, other, now):
    sign_in(client, world.ciso, now)
    page = client.get("/staff/attention").get_data(as_text=True)
    assert f'href="/staff/uitvragen/{world.uitvraag.id}#finding-{world.finding.id}"' in page
    assert f'href="/staff/uitvragen/{world.overdue.id}"' in page
    assert "Anders Cloud BV" not in page
    sign_in(client, world.manager, now)  # Olga owns `contract` only, not the overdue `contract_b`
    own = client.get("/staff/attention").get_data(as_text=True)
    assert f'href="/staff/uitvragen/{world.overdue.id}"' not in own
    assert "Alleen uw eigen contracten worden getoond." in own


def admin_urls(app: Any, world: Any) -> list[tuple[str, str]]:
    values = {"contract_id": world.contract.id, "user_id": world.manager.id, "supplier_id": world.supplier.id}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/admin"):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(values[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


def test_a_contract_manager_and_a_ciso_get_403_on_every_administration_page(app, client, world, now):
    urls = admin_urls(app, world)
    assert len(urls) >= 9
    for user in (world.manager, world.ciso):
        sign_in(client, user, now)
        for method, url in urls:
            assert client.open(url, method=method).status_code == 403, f"{user.role}: {method} {url}"


def test_an_admin_gets_404_for_every_administration_route_with_another_organisations_ids(
    app, client, session, world, other, admin, now
):
    sign_in(client, admin, now)
    form = {"role": "admin", "old_email": "security@wolk.test", "new_email": "x@x.test",
            "owner_name": "x", "owner_email": "x@testdorp.nl", "risk_tier": "low",
            "personal_data": "no", "active": "no"}  # fmt: skip
    with_ids = [(m, u) for m, u in admin_urls(app, other) if "<" not in u and re.search(r"/\d+", u)]
    assert len(with_ids) >= 4
    for method, url in with_ids:
        assert client.open(url, method=method, data=form).status_code == 404, f"{method} {url}"
    session.expire_all()
    assert session.get(StaffUser, other.manager.id).role == "contract-manager"
    assert session.get(StaffUser, other.manager.id).active
    assert session.get(Contract, other.contract.id).owner_email == other.contract.owner_email
    assert session.get(Contract, other.contract.id).supplier_email == "security@wolk.test"
    session.commit()
    for method, url in admin_urls(app, world):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_the_supplier_list_shows_only_own_suppliers_and_searches_name_and_kvk(client, world, other, admin, now):
    sign_in(client, admin, now)
    page = client.get("/staff/admin/suppliers").get_data(as_text=True)
    assert "Wolk Hosting BV" in page and "Zaakwijs BV" in page and "Anders Cloud BV" not in page
    assert 'id="suppliers-count">2 ' in page
    by_kvk = client.get(f"/staff/admin/suppliers?q={world.supplier_b.kvk}").get_data(as_text=True)
    assert "Zaakwijs BV" in by_kvk and "Wolk Hosting BV" not in by_kvk
    assert "Zaakwijs" in client.get("/staff/admin/suppliers?q=zaakWIJS").get_data(as_text=True)
    # An id-like query argument that is no id (F6) is ignored, not a 500.
    assert client.get("/staff/admin/suppliers?page=%C2%B2").status_code == 200
    assert client.get("/staff/admin/contracts?supplier=%C2%B2&page=%E2%91%A0").status_code == 200


def test_a_supplier_page_shows_contacts_language_services_contracts_and_history(client, world, admin, now):
    sign_in(client, admin, now)
    page = client.get(f"/staff/admin/suppliers/{world.supplier.id}").get_data(as_text=True)
    contacts = page.split('id="supplier-contacts"')[1].split("</table>")[0]
    assert "security@wolk.test" in contacts and f'href="/staff/admin/contracts/{world.contract.id}"' in contacts
    assert world.supplier.kvk in page and "Nederlands" in page
    history = page.split('id="supplier-history"')[1].split("</table>")[0]
    # Every cycle, newest first: the current one, Q3, and the one three years back.
    cycles = re.findall(r'href="/staff/uitvragen/\d+">([^<]+)</a>', history)
    assert cycles[:2] == ["2026-Q4", "2026-Q3"] and len(cycles) == 3
    assert "Zaakwijs" not in page.split('id="contracts"')[1]


def test_a_contact_change_moves_contracts_and_open_uitvragen_and_is_audited(client, session, world, admin, now):
    sign_in(client, admin, now)
    response = client.post(
        f"/staff/admin/suppliers/{world.supplier_b.id}/contacts",
        data={"old_email": "security@zaak.test", "new_email": "Nieuw@Zaak.test"},
        follow_redirects=True,
    )
    assert "1 contracten en 1 openstaande uitvragen" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Contract, world.contract_b.id).supplier_email == "nieuw@zaak.test"
    assert session.get(Contract, world.contract.id).supplier_email == "security@wolk.test"
    overdue = session.get(Uitvraag, world.overdue.id)
    assert overdue.recipient_email == "nieuw@zaak.test"  # reminders and a resent link go to the new contact
    answered = session.exec(
        select(Uitvraag).where(Uitvraag.supplier_id == world.supplier_b.id, Uitvraag.status == "reviewed")
    ).one()
    assert answered.recipient_email == "security@zaak.test"  # what was sent stays as it was
    entry = session.exec(select(AuditLog).where(AuditLog.action == "supplier.contact-changed")).one()
    assert (entry.actor, entry.organisation_id, entry.subject_id) == (
        "staff:ada@testdorp.nl",
        world.organisation.id,
        world.supplier_b.id,
    )
    assert entry.detail["from"] == "security@zaak.test" and entry.detail["to"] == "nieuw@zaak.test"
    assert entry.detail["contracts"] == [world.contract_b.reference]
    session.commit()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("security@zaak.test", "nieuw-at-zaak", "&#39;nieuw-at-zaak&#39; is geen e-mailadres."),
        ("iemand@elders.test", "nieuw@zaak.test", "&#39;iemand@elders.test&#39; is geen contactpersoon van Zaakwijs"),
    ],
)
def test_a_wrong_contact_change_names_field_and_value_and_changes_nothing(
    client, session, world, admin, now, old, new, message
):
    sign_in(client, admin, now)
    response = client.post(
        f"/staff/admin/suppliers/{world.supplier_b.id}/contacts", data={"old_email": old, "new_email": new}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Contract, world.contract_b.id).supplier_email == "security@zaak.test"
    assert session.get(Uitvraag, world.overdue.id).recipient_email == "security@zaak.test"
    assert not session.exec(select(AuditLog).where(AuditLog.action == "supplier.contact-changed")).all()
    session.commit()


NEW_CONTRACT = {
    "contract_ref": "TD-200", "contract_name": "Parkeervergunningen", "service": "", "risk_tier": "high",
    "personal_data": "yes", "cloud_hosted": "yes", "start_date": "2026-01-01", "end_date": "", "active": "yes",
    "supplier_kvk": "7654321", "supplier_name": "Parkeren BV", "supplier_email": "Security@Parkeren.test",
    "owner_name": "Nora Nieuw", "owner_email": "nora@testdorp.nl",
}  # fmt: skip


def test_a_contract_added_by_hand_is_created_with_supplier_service_and_manager_and_audited(
    client, session, world, admin, now
):
    sign_in(client, admin, now)
    assert client.get("/staff/admin/contracts/new").status_code == 200
    response = client.post("/staff/admin/contracts/new", data=NEW_CONTRACT)
    assert response.status_code == 302
    session.expire_all()
    contract = session.exec(select(Contract).where(Contract.reference == "TD-200")).one()
    assert response.headers["Location"].endswith(f"/staff/admin/contracts/{contract.id}")
    assert (contract.organisation_id, contract.supplier_email, contract.risk_tier) == (
        world.organisation.id,
        "security@parkeren.test",
        "high",
    )
    assert contract.personal_data and contract.cloud_hosted and contract.active and contract.end_date is None
    assert session.get(Supplier, contract.supplier_id).kvk == "07654321"  # Excel's lost leading zero, as the import
    assert session.get(Service, contract.service_id).name == "Parkeervergunningen"
    nora = session.exec(select(StaffUser).where(StaffUser.email == "nora@testdorp.nl")).one()
    assert (nora.role, nora.organisation_id) == ("contract-manager", world.organisation.id)
    entry = session.exec(select(AuditLog).where(AuditLog.action == "contract.added")).one()
    assert (entry.actor, entry.subject_id, entry.detail["reference"]) == (
        "staff:ada@testdorp.nl",
        contract.id,
        "TD-200",
    )
    assert not session.exec(select(AuditLog).where(AuditLog.action == "register.import")).all()
    session.commit()
    page = client.get(f"/staff/admin/contracts/{contract.id}").get_data(as_text=True)
    assert "Parkeren BV" in page and "Het contract TD-200 is toegevoegd." in page


def test_adding_a_contract_with_a_known_suppliers_kvk_uses_that_supplier(client, session, world, admin, now):
    sign_in(client, admin, now)
    form = client.get(f"/staff/admin/contracts/new?supplier={world.supplier.id}").get_data(as_text=True)
    assert f'value="{world.supplier.kvk}"' in form and 'value="Wolk Hosting BV"' in form
    data = NEW_CONTRACT | {"supplier_kvk": world.supplier.kvk, "supplier_name": "Wolk"}
    assert client.post("/staff/admin/contracts/new", data=data).status_code == 302
    session.expire_all()
    contract = session.exec(select(Contract).where(Contract.reference == "TD-200")).one()
    assert (
        contract.supplier_id == world.supplier.id and session.get(Supplier, world.supplier.id).name == "Wolk Hosting BV"
    )
    session.commit()


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"owner_email": "nora-at-testdorp"}, ["owner_email: &#39;nora-at-testdorp&#39; is geen e-mailadres"]),
        (
            {"supplier_kvk": "12ab", "start_date": "morgen", "contract_name": ""},
            ["supplier_kvk: &#39;12ab&#39; is geen KvK-nummer", "start_date: &#39;morgen&#39; is geen datum",
             "contract_name: &#39;&#39; is leeg"],
        ),
        ({"end_date": "2025-01-01"}, ["end_date: &#39;2025-01-01&#39; ligt vóór de begindatum 2026-01-01"]),
        ({"contract_ref": "x" * 101}, ["is langer dan 100 tekens"]),
        ({"risk_tier": "extreem"}, ["risk_tier: &#39;extreem&#39; is geen risicoklasse"]),
        ({"contract_ref": "ref-WOLK"}, ["contract_ref: &#39;ref-WOLK&#39; is al de referentie van een contract"]),
    ],
)  # fmt: skip
def test_a_wrong_new_contract_names_each_field_and_value_and_writes_nothing(
    client, session, world, admin, now, changes, messages
):
    world.contract.reference = "REF-wolk"
    session.add(world.contract)
    session.commit()
    sign_in(client, admin, now)
    before = contracts_of(session, world.organisation.id)
    response = client.post("/staff/admin/contracts/new", data=NEW_CONTRACT | changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in messages:
        assert message in page
    for field in changes:
        assert f'href="#{field}"' in page and f'id="{field}"' in page  # each problem links to its field
    assert contracts_of(session, world.organisation.id) == before
    assert not session.exec(select(Supplier).where(Supplier.name == "Parkeren BV")).all()
    assert not session.exec(select(StaffUser).where(StaffUser.email == "nora@testdorp.nl")).all()
    assert not session.exec(select(AuditLog).where(AuditLog.action == "contract.added")).all()
    session.commit()
