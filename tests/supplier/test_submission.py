"""The frozen record: canonical JSON and digest, `bot receipt verify`, and follow-up requests."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.models import Answer, AuditLog, Finding, FindingStatus, Submission, UitvraagKind
from bot.supplier.submission import canonical_json, digest_of
from tests.supplier.helpers import fetch, rows
from tests.support.factories import make_uitvraag

ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": True}


def api(client, made, method, path, body=None):
    return client.open(
        f"/api/v1/uitvraag{path}", method=method, json=body, headers={"Authorization": f"Bearer {made.token}"}
    )


def submitted(client, session, answers, **kwargs):
    made = make_uitvraag(session, **kwargs)
    assert api(client, made, "PATCH", "/answers", {"answers": answers}).status_code == 200
    response = api(client, made, "POST", "/submit", {"attestation": ATTESTATION})
    assert response.status_code == 201, response.get_json()
    return made, response.get_json()


def test_the_digest_is_sha256_over_sorted_compact_utf8_json(client, session):
    made, receipt = submitted(
        client, session, {"has-iso": "no", "notice-hours": 4, "mfa": "yes", "controls": ["backups"]}
    )
    stored = rows(session, select(Submission))[0]
    canonical = receipt["canonical"]
    assert stored.canonical == json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert receipt["digest"] == stored.digest == digest_of(stored.canonical)
    assert canonical["questionnaire"] == {
        "id": "test-leverancier",
        "version": "1",
        "content_hash": canonical["questionnaire"]["content_hash"],
    }
    assert canonical["attestation"] == {k: v for k, v in ATTESTATION.items()}
    assert canonical["answers"] == {"has-iso": "no", "notice-hours": 4, "mfa": "yes", "controls": ["backups"]}
    assert canonical["uitvraag"] == made.id and canonical["submitted_at"].endswith("+00:00")
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


def test_bot_receipt_verify_recomputes_and_compares_with_the_database(client, session, runner, tmp_path):
    _, receipt = submitted(client, session, {"has-iso": "no", "notice-hours": 4, "mfa": "yes", "controls": ["backups"]})
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt, indent=2), encoding="utf-8")
    result = runner.invoke(args=["receipt", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and receipt["digest"] in result.output

    # Someone edits an answer in the file: the digest no longer matches.
    tampered = json.loads(good.read_text())
    tampered["canonical"]["answers"]["mfa"] = "no"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    result = runner.invoke(args=["receipt", "verify", str(bad)])
    assert result.exit_code == 1 and "INVALID" in result.output

    # ... and recomputing the digest in the file too does not help: the database disagrees.
    tampered["digest"] = digest_of(canonical_json(tampered["canonical"]))
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    result = runner.invoke(args=["receipt", "verify", str(bad)])
    assert result.exit_code == 1 and "does not match the submission" in result.output

    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\xff not json")
    assert runner.invoke(args=["receipt", "verify", str(junk)]).exit_code == 2


def test_a_follow_up_asks_only_the_chosen_questions_starts_from_the_parent_and_resolves_its_findings(client, session):
    parent, _ = submitted(
        client,
        session,
        {"has-iso": "no", "notice-hours": 48, "mfa": "no", "mfa-plan": "Later.", "controls": ["logging"]},
    )
    open_before = {f.question_id for f in rows(session, select(Finding).where(Finding.uitvraag_id == parent.id))}
    assert {"mfa", "notice-hours"} <= open_before
    follow_up = make_uitvraag(
        session,
        contracts=parent.contracts,
        kind=UitvraagKind.FOLLOW_UP,
        parent=fetch(session, type(parent.uitvraag), parent.id),
        question_ids=["mfa", "notice-hours"],
        remark="Graag toelichten hoe MFA nu is ingericht.",
    )
    client.get(f"/q/{follow_up.token}")
    overview = client.get(f"/q/uitvraag/{follow_up.id}").get_data(as_text=True)
    assert "Graag toelichten hoe MFA nu is ingericht." in overview and "Aanvullende vragen" in overview
    assert "Zekerheid" in overview and "Toegang" in overview and "Privacy" not in overview
    page = client.get(f"/q/uitvraag/{follow_up.id}/s/toegang").get_data(as_text=True)
    assert 'name="q-mfa"' in page and 'name="q-controls"' not in page
    assert 'value="no" checked' in page and "Overgenomen uit uw vorige indiening" in page  # the parent's answer

    body = api(client, follow_up, "GET", "").get_json()
    asked = [q["id"] for s in body["questionnaire"]["sections"] for q in s["questions"]]
    assert asked == ["notice-hours", "mfa"]
    assert api(client, follow_up, "PATCH", "/answers", {"answers": {"controls": ["backups"]}}).status_code == 422
    api(client, follow_up, "PATCH", "/answers", {"answers": {"mfa": "yes", "notice-hours": 4}})
    assert api(client, follow_up, "POST", "/submit", {"attestation": ATTESTATION}).status_code == 201

    parent_findings = rows(session, select(Finding).where(Finding.uitvraag_id == parent.id))
    status = {f.question_id: f.status for f in parent_findings}
    assert status["mfa"] == FindingStatus.RESOLVED and status["notice-hours"] == FindingStatus.RESOLVED
    assert status["has-iso"] == FindingStatus.OPEN  # not asked again, so not resolved
    assert rows(session, select(Finding).where(Finding.uitvraag_id == follow_up.id)) == []
    own = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == follow_up.id))}
    assert own == {"mfa": "yes", "notice-hours": 4}


def test_a_follow_up_answered_still_weak_carries_the_finding_over_instead_of_resolving_it(client, session):
    parent, _ = submitted(
        client,
        session,
        {"has-iso": "no", "notice-hours": 48, "mfa": "no", "mfa-plan": "Later.", "controls": ["logging"]},
    )
    follow_up = make_uitvraag(
        session,
        contracts=parent.contracts,
        kind=UitvraagKind.FOLLOW_UP,
        parent=fetch(session, type(parent.uitvraag), parent.id),
        question_ids=["mfa", "notice-hours"],
    )
    client.get(f"/q/{follow_up.token}")
    # MFA is still "no" (the carried answer, confirmed); the notice time is fixed.
    api(client, follow_up, "PATCH", "/answers", {"answers": {"mfa": "no", "notice-hours": 4}})
    assert api(client, follow_up, "POST", "/submit", {"attestation": ATTESTATION}).status_code == 201

    status = {f.question_id: f.status for f in rows(session, select(Finding).where(Finding.uitvraag_id == parent.id))}
    assert status["mfa"] == FindingStatus.CARRIED and status["notice-hours"] == FindingStatus.RESOLVED
    assert status["has-iso"] == FindingStatus.OPEN
    still = rows(session, select(Finding).where(Finding.uitvraag_id == follow_up.id))
    assert [(f.question_id, f.severity, f.status) for f in still] == [("mfa", "critical", FindingStatus.OPEN)]
    logged = rows(session, select(AuditLog).where(AuditLog.action.in_(["finding.resolved", "finding.carried-over"])))
    assert sorted((e.action, e.detail["question_id"], e.detail["follow_up_id"]) for e in logged) == [
        ("finding.carried-over", "mfa", follow_up.id),
        ("finding.resolved", "notice-hours", follow_up.id),
    ]
