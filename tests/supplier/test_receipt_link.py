"""The receipt mail's signed, read-only link: works in any browser, shows one submission only, grants nothing else."""

from __future__ import annotations

import json
import re

from sqlmodel import select

from bot.models import OutboxMessage, Submission
from bot.supplier.receipt_links import sign_receipt
from tests.supplier.helpers import rows
from tests.support.factories import make_uitvraag
from tests.support.mail import sent_html, sent_text

ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": True}
ANSWERS = {"has-iso": "no", "notice-hours": 4, "mfa": "yes", "controls": ["backups"]}
UNKNOWN = "Deze link is niet bekend"


def submitted(client, session, **kwargs):
    """An uitvraag submitted through the API (no browser session anywhere); returns it and its stored digest.

    Plain values only: touching an expired row would open a transaction, and SQLite's lock would stall the app."""
    made = make_uitvraag(session, **kwargs)
    headers = {"Authorization": f"Bearer {made.token}"}
    assert client.patch("/api/v1/uitvraag/answers", json={"answers": ANSWERS}, headers=headers).status_code == 200
    response = client.post("/api/v1/uitvraag/submit", json={"attestation": ATTESTATION}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return made, rows(session, select(Submission.digest).where(Submission.uitvraag_id == made.id))[0]


def mailed_path(session, uitvraag_id):
    """The receipt link's path, as the receipt mail (text and HTML) carries it."""
    mail = rows(session, select(OutboxMessage).where(OutboxMessage.idempotency_key == f"receipt:{uitvraag_id}"))[0]
    paths = re.findall(r"/q/receipt/[A-Za-z0-9_.\-]+", sent_text(mail))
    assert len(paths) == 1, sent_text(mail)
    assert paths[0] in sent_html(mail)
    assert "browser" not in mail.body_text and "ingediend;" not in mail.body_text
    return paths[0]


def test_the_mailed_receipt_link_works_in_a_fresh_browser_and_its_json_verifies(app, client, session, runner, tmp_path):
    made, digest = submitted(client, session)
    path = mailed_path(session, made.id)

    elsewhere = app.test_client()  # another computer: never opened the invitation link
    response = elsewhere.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert digest in page and "Sam Leverancier" in page and "Gemeente Testdorp" in page
    assert "Ontvangstbewijs" in page and "Testvragenlijst leveranciers" in page
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    assert f"/q/uitvraag/{made.id}" not in page  # no links into the form: they need the invitation's session

    # The download is offered through a signed URL too, and `bot receipt verify` accepts it.
    download_path = re.search(r'href="(/q/receipt/[^"]+\.json)"', page).group(1)
    download = elsewhere.get(download_path)
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(download.data)
    assert document["digest"] == digest and document["uitvraag"] == made.id
    saved = tmp_path / "ontvangstbewijs.json"
    saved.write_bytes(download.data)
    result = runner.invoke(args=["receipt", "verify", str(saved)])
    assert result.exit_code == 0 and "INVALID" not in result.output, result.output

    # Reading the receipt gave no access: the form and the session's receipt still ask for the invitation link.
    for form_path in ["", "/s/zekerheid", "/receipt", "/receipt.json"]:
        assert elsewhere.get(f"/q/uitvraag/{made.id}{form_path}").status_code == 403, form_path
    assert elsewhere.post(path).status_code == 405

    # In English on request.
    assert "Receipt" in elsewhere.get(f"{path}?lang=en").get_data(as_text=True)


def test_a_one_character_change_of_the_signature_is_an_unknown_link(app, client, session):
    made, _ = submitted(client, session)
    path = mailed_path(session, made.id)
    # Not the last character: in base64 it may carry only padding bits, and decode to the very same signature.
    at = len(path) - 5
    changed = path[:at] + ("A" if path[at] != "A" else "B") + path[at + 1 :]
    fresh = app.test_client()
    for bad in [
        changed,
        path[:-1],
        changed + "/receipt.json",
        "/q/receipt/nonsense",
        "/q/receipt/nonsense/receipt.json",
    ]:
        response = fresh.get(bad)
        assert response.status_code == 404, bad
        page = response.get_data(as_text=True)
        assert UNKNOWN in page and "Sam Leverancier" not in page, bad


def test_a_signed_link_for_uitvraag_a_never_shows_b(app, client, session):
    a, digest_a = submitted(client, session, supplier_name="Alfa BV")
    b, digest_b = submitted(client, session, supplier_name="Beta BV", organisation_name="Gemeente Anders")
    fresh = app.test_client()
    page = fresh.get(mailed_path(session, a.id)).get_data(as_text=True)
    assert "Alfa BV" in page and digest_a in page
    assert "Beta BV" not in page and digest_b not in page

    secret = app.config["SECRET_KEY"]
    # Mixing ids and digests, even correctly signed, names no stored submission.
    for uitvraag_id, digest in [(a.id, digest_b), (b.id, digest_a), (b.id + 1000, digest_b)]:
        signed = sign_receipt(secret, uitvraag_id=uitvraag_id, digest=digest)
        assert fresh.get(f"/q/receipt/{signed}").status_code == 404
        assert fresh.get(f"/q/receipt/{signed}/receipt.json").status_code == 404
    # B's content under A's signature, or a link signed with another key: unknown.
    payload_b = sign_receipt(secret, uitvraag_id=b.id, digest=digest_b).rsplit(".", 1)[0]
    signature_a = mailed_path(session, a.id).rsplit(".", 1)[1]
    assert fresh.get(f"/q/receipt/{payload_b}.{signature_a}").status_code == 404
    foreign = sign_receipt("another-key-" + "x" * 32, uitvraag_id=b.id, digest=digest_b)
    assert fresh.get(f"/q/receipt/{foreign}").status_code == 404


def test_the_link_stops_working_if_the_stored_digest_no_longer_matches(app, client, session):
    made, digest = submitted(client, session)
    path = mailed_path(session, made.id)
    stored = session.exec(select(Submission).where(Submission.uitvraag_id == made.id)).one()
    stored.digest = "0" * 64
    session.add(stored)
    session.commit()
    assert app.test_client().get(path).status_code == 404
