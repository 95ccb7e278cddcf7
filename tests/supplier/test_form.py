"""The supplier fills in the form without JavaScript: sections, drafts, conditions, uploads, submission."""

from __future__ import annotations

import io
import json

from sqlmodel import select

from bot.models import Answer, AuditLog, EvidenceFile, Finding, OutboxMessage, Submission, Uitvraag, UitvraagStatus
from tests.supplier.helpers import docx_bytes, expiry_in, fetch, pdf_bytes, png_bytes, rows
from tests.support.factories import make_uitvraag


def opened(client, session, **kwargs):
    made = make_uitvraag(session, **kwargs)
    response = client.get(f"/q/{made.token}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/q/uitvraag/{made.id}"
    return made


def post_section(client, made, section, fields, *, action="save", files=None, follow=False):
    data = {"present": list(fields.keys()), "action": action}
    for question_id, value in fields.items():
        if question_id.startswith(("expires-", "remove")):
            data[question_id] = value
        else:
            data[f"q-{question_id}"] = value
    data["present"] = [k for k in fields if not k.startswith(("expires-", "remove"))]
    for name, (content, filename) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    return client.post(
        f"/q/uitvraag/{made.id}/s/{section}", data=data, content_type="multipart/form-data", follow_redirects=follow
    )


def test_the_link_redirects_to_a_page_without_the_token_that_shows_supplier_contract_and_deadline(client, session):
    made = opened(client, session)
    page = client.get(f"/q/uitvraag/{made.id}").get_data(as_text=True)
    assert made.token not in page
    assert "Leverancier BV" in page and "Zaaksysteem" in page and made.contracts[0].reference in page
    assert "Uiterlijk indienen op" in page
    assert "0 van 2 beantwoord" in page  # Zekerheid: has-iso and notice-hours; the upload is hidden until "yes"


def test_english_on_request_and_remembered(client, session):
    made = opened(client, session)
    page = client.get(f"/q/uitvraag/{made.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Submit by" in page and "Test supplier questionnaire" in page
    page = client.get(f"/q/uitvraag/{made.id}/s/toegang").get_data(as_text=True)
    assert "Is MFA required for remote administration?" in page


def test_saving_a_section_keeps_a_draft_and_leaving_it_saves_too(client, session):
    made = opened(client, session)
    response = post_section(client, made, "zekerheid", {"has-iso": "no", "notice-hours": "4,5"}, action="next")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/q/uitvraag/{made.id}/s/toegang"
    answers = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert answers == {"has-iso": "no", "notice-hours": 4.5}
    uitvraag = fetch(session, Uitvraag, made.id)
    assert uitvraag.status == UitvraagStatus.DRAFT and uitvraag.first_saved_at is not None
    # Going to another section with the section list saves this one as well.
    response = post_section(client, made, "toegang", {"mfa": "yes", "controls": ["logging"]}, action="goto:privacy")
    assert response.headers["Location"] == f"/q/uitvraag/{made.id}/s/privacy"
    page = client.get(f"/q/uitvraag/{made.id}").get_data(as_text=True)
    assert "2 van 2 beantwoord" in page


def test_a_conditional_question_appears_after_saving_the_answer_it_depends_on(client, session):
    made = opened(client, session)
    page = client.get(f"/q/uitvraag/{made.id}/s/toegang").get_data(as_text=True)
    assert 'id="wrap-mfa-plan" data-show-if=' in page and "hidden>" in page.split('id="wrap-mfa-plan"')[1][:200]
    response = post_section(client, made, "toegang", {"mfa": "no", "controls": []}, action="next")
    # The answer added a question here: stay on the section and say so.
    assert response.headers["Location"] == f"/q/uitvraag/{made.id}/s/toegang"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "vragen bijgekomen" in page
    assert "hidden>" not in page.split('id="wrap-mfa-plan"')[1][:200]


def test_a_question_for_personal_data_is_asked_only_when_a_contract_processes_it(client, session):
    made = opened(client, session)
    assert "verwerkersovereenkomst" not in client.get(f"/q/uitvraag/{made.id}/s/privacy").get_data(as_text=True)
    client2 = client.application.test_client()
    other = make_uitvraag(session, supplier_name="Privacy BV", personal_data=True)
    client2.get(f"/q/{other.token}")
    assert "verwerkersovereenkomst" in client2.get(f"/q/uitvraag/{other.id}/s/privacy").get_data(as_text=True)


def test_invalid_answers_are_shown_next_to_their_field_with_a_summary_and_nothing_is_lost(client, session):
    made = opened(client, session)
    response = post_section(client, made, "zekerheid", {"has-iso": "yes", "notice-hours": "binnen een dag"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'href="#q-notice-hours"' in page
    assert 'id="err-notice-hours"' in page and "Vul een getal in" in page
    assert 'value="binnen een dag"' in page  # what was typed stays on screen
    stored = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert stored == {"has-iso": "yes"}  # the valid answer was saved


def test_uploads_are_checked_by_content_stored_under_random_names_and_served_as_attachments(client, session, app):
    made = opened(client, session)
    post_section(client, made, "zekerheid", {"has-iso": "yes"})
    # A text file called .pdf is refused, with the reason next to the upload field.
    response = post_section(
        client,
        made,
        "zekerheid",
        {"iso-certificate": ""},
        files={"file-iso-certificate": (b"MZ\x90\x00 not a pdf at all", "certificaat.pdf")},
    )
    assert response.status_code == 422
    assert "is geen geldig .pdf-bestand" in response.get_data(as_text=True)
    # A PNG called .pdf is refused too: the name must match the content.
    response = post_section(
        client, made, "zekerheid", {"iso-certificate": ""}, files={"file-iso-certificate": (png_bytes(), "scan.pdf")}
    )
    assert response.status_code == 422
    response = post_section(
        client,
        made,
        "zekerheid",
        {"iso-certificate": "", "expires-new-iso-certificate": expiry_in(400)},
        files={"file-iso-certificate": (pdf_bytes(), "../../ISO 27001.pdf")},
    )
    assert response.status_code == 303
    row = rows(session, select(EvidenceFile).where(EvidenceFile.uitvraag_id == made.id))[0]
    assert row.original_name == "ISO 27001.pdf" and row.content_type == "application/pdf"
    assert row.expires_on is not None and row.expires_on.isoformat() == expiry_in(400)
    assert row.stored_name not in ("ISO 27001.pdf",) and len(row.stored_name) == 32
    download = client.get(f"/q/uitvraag/{made.id}/evidence/{row.id}")
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_office_documents_are_accepted_and_a_renamed_one_is_not(client, session):
    made = opened(client, session)
    post_section(client, made, "zekerheid", {"has-iso": "yes"})
    ok = post_section(
        client, made, "zekerheid", {"iso-certificate": ""}, files={"file-iso-certificate": (docx_bytes(), "cert.docx")}
    )
    assert ok.status_code == 303
    # Stored; the expiry date it still lacks is asked for at submission, linked to its field.
    page = client.post(f"/q/uitvraag/{made.id}/submit", data={}).get_data(as_text=True)
    assert "Vul de vervaldatum van cert.docx in." in page and "/s/zekerheid#expires-" in page
    assert rows(session, select(EvidenceFile).where(EvidenceFile.uitvraag_id == made.id))[0].original_name == (
        "cert.docx"
    )
    refused = post_section(
        client, made, "zekerheid", {"iso-certificate": ""}, files={"file-iso-certificate": (docx_bytes(), "cert.xlsx")}
    )
    assert refused.status_code == 422 and "geen geldig .xlsx-bestand" in refused.get_data(as_text=True)


def test_a_document_can_be_removed_before_submission(client, session, app):
    made = opened(client, session)
    post_section(client, made, "zekerheid", {"has-iso": "yes"})
    post_section(
        client,
        made,
        "zekerheid",
        {"iso-certificate": "", "expires-new-iso-certificate": expiry_in(400)},
        files={"file-iso-certificate": (pdf_bytes(), "iso.pdf")},
    )
    file_id = rows(session, select(EvidenceFile).where(EvidenceFile.uitvraag_id == made.id))[0].id
    response = post_section(client, made, "zekerheid", {"iso-certificate": "", "remove": str(file_id)})
    assert response.status_code == 303
    assert not rows(session, select(EvidenceFile).where(EvidenceFile.uitvraag_id == made.id))
    assert client.get(f"/q/uitvraag/{made.id}/evidence/{file_id}").status_code == 404


def fill_everything(client, made):
    post_section(client, made, "zekerheid", {"has-iso": "no", "notice-hours": "4"})
    post_section(client, made, "toegang", {"mfa": "yes", "controls": ["logging", "monitoring", "backups"]})
    post_section(client, made, "privacy", {"last-pentest": "2026-06-01"})


ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": "yes"}


def test_submission_needs_every_required_answer_and_the_attestation(client, session):
    made = opened(client, session)
    post_section(client, made, "zekerheid", {"has-iso": "no"})
    response = client.post(f"/q/uitvraag/{made.id}/submit", data={"name": "Sam", "role": "", "email": "geen-adres"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # Each missing answer links to its field on its own section page; the attestation errors to their fields.
    assert f'href="/q/uitvraag/{made.id}/s/zekerheid#q-notice-hours"' in page
    assert f'href="/q/uitvraag/{made.id}/s/toegang#q-mfa"' in page
    assert 'href="#attest-role"' in page and 'href="#attest-email"' in page and 'href="#attest-truthful"' in page
    assert 'value="Sam"' in page and 'value="geen-adres"' in page
    assert not rows(session, select(Submission))


def test_submit_freezes_judges_queues_the_receipt_and_then_shows_answers_read_only(client, session):
    made = opened(client, session)
    fill_everything(client, made)
    post_section(client, made, "toegang", {"mfa": "no", "mfa-plan": "Q1 2027 <script>alert(1)</script>"})
    response = client.post(f"/q/uitvraag/{made.id}/submit", data=ATTESTATION)
    assert response.status_code == 303 and response.headers["Location"] == f"/q/uitvraag/{made.id}/receipt"
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    submission = rows(session, select(Submission).where(Submission.uitvraag_id == made.id))[0]
    assert submission.digest in receipt and "Ontvangstbewijs" in receipt
    uitvraag = fetch(session, Uitvraag, made.id)
    assert uitvraag.status == UitvraagStatus.SUBMITTED and uitvraag.score is not None
    findings = rows(session, select(Finding).where(Finding.uitvraag_id == made.id))
    assert {(f.question_id, f.severity) for f in findings} >= {("mfa", "critical"), ("has-iso", "high")}
    mail = rows(session, select(OutboxMessage).where(OutboxMessage.idempotency_key == f"receipt:{made.id}"))[0]
    assert mail.to_addr == "sam@leverancier.test" and submission.digest in mail.body_text
    assert rows(session, select(AuditLog).where(AuditLog.action == "uitvraag.submitted"))[0].subject_id == made.id
    # Afterwards the link shows the answers, read-only and escaped.
    page = client.get(f"/q/uitvraag/{made.id}").get_data(as_text=True)
    assert "niet meer te wijzigen" in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'name="q-mfa"' not in page
    # Saving once more is refused, and changes nothing.
    response = post_section(client, made, "toegang", {"mfa": "yes"})
    assert response.status_code == 303
    assert rows(session, select(Answer).where(Answer.uitvraag_id == made.id, Answer.question_id == "mfa"))[0].value == (
        "no"
    )
    # The JSON receipt is a download of the canonical document and its digest.
    download = client.get(f"/q/uitvraag/{made.id}/receipt.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(download.data)
    assert document["digest"] == submission.digest and document["canonical"]["answers"]["mfa"] == "no"


def test_three_gets_of_the_link_then_a_submission_succeed(client, session):
    made = make_uitvraag(session)
    for _ in range(3):
        assert client.get(f"/q/{made.token}").status_code == 303
        assert client.application.test_client().get(f"/q/{made.token}").status_code == 303  # a mail scanner
    fill_everything(client, made)
    assert client.post(f"/q/uitvraag/{made.id}/submit", data=ATTESTATION).status_code == 303


def test_a_second_submission_sees_already_submitted(client, session):
    made = opened(client, session)
    fill_everything(client, made)
    assert client.post(f"/q/uitvraag/{made.id}/submit", data=ATTESTATION).status_code == 303
    # A second tab that still shows the submit page posts again.
    again = client.post(f"/q/uitvraag/{made.id}/submit", data=ATTESTATION)
    assert again.status_code == 409
    assert "Ontvangstbewijs" in again.get_data(as_text=True)
    assert len(rows(session, select(Submission))) == 1


def test_carried_over_answers_are_prefilled_and_marked_until_confirmed(client, session):
    made = opened(client, session, carried_answers={"has-iso": "no", "notice-hours": 8})
    page = client.get(f"/q/uitvraag/{made.id}/s/zekerheid").get_data(as_text=True)
    assert page.count("Overgenomen uit uw vorige indiening") == 2
    assert 'value="8"' in page and 'value="no" checked' in page
    post_section(client, made, "zekerheid", {"has-iso": "no", "notice-hours": "8"})
    page = client.get(f"/q/uitvraag/{made.id}/s/zekerheid").get_data(as_text=True)
    assert "Overgenomen uit uw vorige indiening" not in page


def test_every_section_of_every_shipped_questionnaire_renders_in_both_languages(client, session):
    from bot.questionnaires.loader import load_all

    for questionnaire in load_all().values():
        made = make_uitvraag(session, questionnaire=questionnaire, personal_data=True, supplier_name=questionnaire.id)
        assert client.get(f"/q/{made.token}").status_code == 303
        for section in questionnaire.sections:
            for lang in ("nl", "en"):
                response = client.get(f"/q/uitvraag/{made.id}/s/{section.id}?lang={lang}")
                assert response.status_code == 200, (questionnaire.id, section.id, lang)
                assert section.title.get(lang) in response.get_data(as_text=True)
        client.get(f"/q/uitvraag/{made.id}?lang=nl")
        assert client.get(f"/q/uitvraag/{made.id}/submit").status_code == 200


def test_the_deadline_is_named_by_the_same_day_as_in_the_mail(client, session):
    from datetime import UTC, datetime

    # Deadlines are the end of a day in UTC, which is already the next day in Dutch local time.
    made = opened(client, session, deadline=datetime(2099, 12, 29, 23, 59, 59, tzinfo=UTC))
    page = client.get(f"/q/uitvraag/{made.id}").get_data(as_text=True)
    assert "29 december 2099" in page and "30 december 2099" not in page
