"""The JSON API: a supplier's own system reads the questionnaire, saves answers, uploads evidence and submits."""

from __future__ import annotations

import io

import yaml
from sqlmodel import select

from bot.models import Answer, Submission
from tests.supplier.helpers import expiry_in, pdf_bytes, png_bytes, rows
from tests.support.factories import make_uitvraag

ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": True}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_openapi_description_is_served_and_names_every_api_route(client, app):
    response = client.get("/api/v1/openapi.yaml")
    assert response.status_code == 200
    spec = yaml.safe_load(response.data)
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)


def test_read_save_upload_and_submit_through_the_api(client, session):
    made = make_uitvraag(session)
    response = client.get("/api/v1/uitvraag", headers=auth(made.token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["uitvraag"]["supplier"]["name"] == "Leverancier BV"
    assert [s["id"] for s in body["questionnaire"]["sections"]] == ["zekerheid", "toegang", "privacy"]
    assert body["answers"] == {} and body["submitted"] is False
    # No cookie is set or needed: the token travels with every request.
    assert "Set-Cookie" not in response.headers

    response = client.patch(
        "/api/v1/uitvraag/answers", json={"answers": {"has-iso": "yes", "notice-hours": 12}}, headers=auth(made.token)
    )
    assert response.status_code == 200, response.get_json()
    shown = {q["id"]: q["shown"] for s in response.get_json()["questionnaire"]["sections"] for q in s["questions"]}
    assert shown["iso-certificate"] is True and shown["mfa-plan"] is False

    upload = client.post(
        "/api/v1/uitvraag/evidence/iso-certificate",
        data={"file": (io.BytesIO(pdf_bytes()), "iso.pdf"), "expires_on": expiry_in(500)},
        headers=auth(made.token),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201 and upload.get_json()["name"] == "iso.pdf"

    incomplete = client.post("/api/v1/uitvraag/submit", json={"attestation": ATTESTATION}, headers=auth(made.token))
    assert incomplete.status_code == 422
    assert {e["question_id"] for e in incomplete.get_json()["errors"]} == {"mfa", "controls"}

    client.patch(
        "/api/v1/uitvraag/answers", json={"answers": {"mfa": "yes", "controls": ["backups"]}}, headers=auth(made.token)
    )
    submitted = client.post("/api/v1/uitvraag/submit", json={"attestation": ATTESTATION}, headers=auth(made.token))
    assert submitted.status_code == 201
    receipt = submitted.get_json()
    stored = rows(session, select(Submission))[0]
    assert receipt["digest"] == stored.digest
    assert receipt["canonical"]["evidence"]["iso-certificate"][0]["sha256"] == upload.get_json()["sha256"]

    again = client.post("/api/v1/uitvraag/submit", json={"attestation": ATTESTATION}, headers=auth(made.token))
    assert again.status_code == 409 and again.get_json()["receipt"]["digest"] == stored.digest
    frozen = client.patch("/api/v1/uitvraag/answers", json={"answers": {"mfa": "no"}}, headers=auth(made.token))
    assert frozen.status_code == 409
    assert client.get("/api/v1/uitvraag/receipt", headers=auth(made.token)).get_json()["digest"] == stored.digest


def test_invalid_answers_save_nothing_and_say_which_and_why(client, session):
    made = make_uitvraag(session)
    response = client.patch(
        "/api/v1/uitvraag/answers",
        json={"answers": {"has-iso": "maybe", "notice-hours": "soon", "mfa": "yes", "nope": 1}},
        headers=auth(made.token),
    )
    assert response.status_code == 422
    errors = {e["question_id"]: e["message"]["en"] for e in response.get_json()["errors"]}
    assert set(errors) == {"has-iso", "notice-hours", "nope"}
    assert "not part of this request" in errors["nope"]
    assert rows(session, select(Answer)) == []


def test_put_replaces_all_answers(client, session):
    made = make_uitvraag(session)
    client.patch(
        "/api/v1/uitvraag/answers", json={"answers": {"has-iso": "no", "mfa": "yes"}}, headers=auth(made.token)
    )
    response = client.put("/api/v1/uitvraag/answers", json={"answers": {"mfa": "no"}}, headers=auth(made.token))
    assert response.get_json()["answers"] == {"mfa": "no"}


def test_a_wrong_upload_is_refused_with_the_reason(client, session):
    made = make_uitvraag(session)
    response = client.post(
        "/api/v1/uitvraag/evidence/iso-certificate",
        data={"file": (io.BytesIO(png_bytes()), "iso.pdf")},
        headers=auth(made.token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "not a valid .pdf file" in response.get_json()["message"]


def test_token_problems_have_their_own_status(client, session):
    made = make_uitvraag(session)
    assert client.get("/api/v1/uitvraag").status_code == 401
    assert client.get("/api/v1/uitvraag", headers=auth("x" * 43)).status_code == 401
    assert client.get("/api/v1/uitvraag", headers={"Authorization": f"Basic {made.token}"}).status_code == 401
    assert client.get("/api/v1/uitvraag", headers=auth(made.token)).status_code == 200


def test_bad_json_and_bad_encoding_get_a_clear_400(client, session):
    made = make_uitvraag(session)
    headers = {**auth(made.token), "Content-Type": "application/json"}
    bad = client.patch("/api/v1/uitvraag/answers", data=b'{"answers": {"mfa": "\xff\xfe"}}', headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad-encoding"
    bad = client.patch("/api/v1/uitvraag/answers", data=b"{not json", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad-json"
    nul = client.patch("/api/v1/uitvraag/answers", json={"answers": {"mfa-plan": "a\x00b"}}, headers=auth(made.token))
    assert nul.status_code == 422
