"""Mails read as their recipients expect: one word per concept, and names that say what they are."""

from __future__ import annotations

from datetime import date

from bot.mail.kinds import KINDS
from bot.mail.render import render_mail


def test_the_renewal_request_quotes_the_file_name_and_names_its_question():
    context = dict(
        KINDS["evidence-renewal"],
        document="iso27001-certificate.pdf",
        question="Upload het ISO 27001-certificaat.",
        expires_on=date(2027, 1, 8),
    )
    mail = render_mail("evidence-renewal", "nl", context)
    # The subject is our own text (the question), never the supplier's file name (security finding F1).
    assert mail.subject == (
        "Uw document bij „Upload het ISO 27001-certificaat.” verloopt op 8 januari 2027: graag een nieuwe versie"
    )
    assert (
        "Het document „iso27001-certificate.pdf” dat u aan Gemeente Testdorp hebt gegeven bij „Upload het" in mail.text
    )


def test_two_invitations_in_one_cycle_have_different_subjects():
    bio = render_mail("invitation", "nl", KINDS["invitation"])
    avg = render_mail("invitation", "nl", dict(KINDS["invitation"], questionnaire_title="AVG-verwerkersuitvraag"))
    assert bio.subject != avg.subject and avg.subject.endswith(": AVG-verwerkersuitvraag")
    assert "beoordelingsronde 2026-Q4" in bio.text


def test_receipt_and_sign_in_use_the_words_of_the_pages():
    receipt = render_mail("receipt", "nl", KINDS["receipt"])
    assert "Controlegetal" in receipt.text and "Kenmerk" not in receipt.text
    signin = render_mail("signin-link", "nl", KINDS["signin-link"])
    assert "aanmeldlink" in signin.subject and "inlog" not in signin.text.lower()


def test_the_digest_speaks_of_the_review_cycle_and_its_term():
    mail = render_mail("escalation-digest", "nl", KINDS["escalation-digest"])
    assert "Beoordelingsronde 2026-Q4, termijn tot en met" in mail.text and "deadline" not in mail.text
