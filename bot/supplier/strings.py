"""The words of the supplier's pages, in Dutch (the default) and English. Templates call `t("key")`."""

from __future__ import annotations

LANGUAGES = ("nl", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app": ("BIO leveranciersuitvraag", "BIO supplier questionnaire"),
    "switch_language": ("English", "Nederlands"),
    "switch_language_label": ("Read this page in English", "Lees deze pagina in het Nederlands"),
    "supplier": ("Leverancier", "Supplier"),
    "organisation": ("Gemeente", "Municipality"),
    "contracts": ("Contract(en)", "Contract(s)"),
    "deadline": ("Uiterlijk indienen op", "Submit by"),
    "cycle": ("Beoordelingsronde", "Review cycle"),
    "contact": ("Vragen? Neem contact op met", "Questions? Contact"),
    "sections": ("Onderdelen", "Sections"),
    "answered_of": ("{answered} van {total} beantwoord", "{answered} of {total} answered"),
    "overview": ("Overzicht", "Overview"),
    "step_of": ("Onderdeel {here} van {total}", "Section {here} of {total}"),
    "goto_section": ("Opslaan en naar onderdeel", "Save and go to section"),
    "start": ("Beginnen", "Start"),
    "continue": ("Verder met invullen", "Continue"),
    "to_submit": ("Controleren en indienen", "Review and submit"),
    "save": ("Concept opslaan", "Save draft"),
    "save_next": ("Opslaan en volgende onderdeel", "Save and next section"),
    "save_prev": ("Opslaan en vorige onderdeel", "Save and previous section"),
    "save_submit": ("Opslaan en naar indienen", "Save and go to submission"),
    "saved": ("Uw antwoorden zijn opgeslagen als concept.", "Your answers have been saved as a draft."),
    "autosaved": ("Concept automatisch opgeslagen om {time}.", "Draft saved automatically at {time}."),
    "autosave_failed": (
        "Automatisch opslaan lukte niet; gebruik de knop Concept opslaan.",
        "Saving automatically failed; use the Save draft button.",
    ),
    "new_questions": (
        "Door uw antwoord zijn er vragen bijgekomen in dit onderdeel. Vul ze in en ga dan verder.",
        "Your answer added questions to this section. Answer them, then continue.",
    ),
    "carried": (
        "Overgenomen uit uw vorige indiening: controleer of dit nog klopt.",
        "Carried over from your previous submission: check that it is still correct.",
    ),
    "carried_intro": (
        "Antwoorden uit uw vorige indiening zijn al ingevuld en gemarkeerd. Controleer ze en pas aan wat veranderd is.",
        "Answers from your previous submission are filled in and marked. Check them and change what has changed.",
    ),
    "optional": ("(niet verplicht)", "(optional)"),
    "yes": ("Ja", "Yes"),
    "no": ("Nee", "No"),
    "na": ("Niet van toepassing", "Not applicable"),
    "number_hint": ("Een getal, bijvoorbeeld 24 of 4,5.", "A number, for example 24 or 4.5."),
    "date_hint": ("Datum, bijvoorbeeld 2026-12-31.", "Date, for example 2026-12-31."),
    "evidence_needed": ("Bewijsstuk gevraagd.", "Evidence requested."),
    "evidence_when_weak": (
        "Lever een bewijsstuk aan als uw antwoord niet volledig aan de eis voldoet.",
        "Upload evidence if your answer does not fully meet the requirement.",
    ),
    "upload": ("Document toevoegen", "Add a document"),
    "upload_hint": (
        "PDF, PNG, JPEG, Word, Excel of PowerPoint; hoogstens {mb} MB.",
        "PDF, PNG, JPEG, Word, Excel or PowerPoint; at most {mb} MB.",
    ),
    "expires_on": ("Geldig tot (vervaldatum)", "Valid until (expiry date)"),
    "expires_hint": ("Van het document, bijvoorbeeld 2027-06-30.", "Of the document, for example 2027-06-30."),
    "files": ("Aangeleverde documenten", "Documents provided"),
    "no_files": ("Nog geen document aangeleverd.", "No document provided yet."),
    "remove_on_save": ("Verwijderen bij opslaan", "Remove when saving"),
    "download": ("Downloaden", "Download"),
    "from_previous": ("uit de vorige indiening", "from the previous submission"),
    "uploaded": ("Het document is toegevoegd.", "The document has been added."),
    "removed": ("Het document is verwijderd.", "The document has been removed."),
    "error_summary": ("Er is iets niet goed ingevuld", "There is a problem"),
    "error_summary_intro": (
        "Verbeter het volgende. Uw andere antwoorden zijn bewaard.",
        "Please correct the following. Your other answers have been kept.",
    ),
    "error_prefix": ("Fout:", "Error:"),
    "follow_up": ("Aanvullende vragen", "Follow-up questions"),
    "follow_up_intro": (
        "De gemeente vraagt u onderstaande vragen opnieuw te beantwoorden.",
        "The municipality asks you to answer the questions below again.",
    ),
    "evidence_renewal": ("Nieuw bewijsstuk gevraagd", "Renewed document requested"),
    "evidence_renewal_intro": (
        "Een document dat u eerder aanleverde verloopt binnenkort. Upload de vernieuwde versie en vul in tot "
        "wanneer die geldig is.",
        "A document you supplied earlier expires soon. Upload the renewed version and enter until when it is valid.",
    ),
    "remark": ("Toelichting van de gemeente", "Remark from the municipality"),
    "submit_title": ("Controleren en indienen", "Review and submit"),
    "submit_intro": (
        "Na het indienen liggen uw antwoorden vast. U ontvangt een ontvangstbewijs per e-mail.",
        "After submission your answers are final. You will receive a receipt by e-mail.",
    ),
    "still_open": ("Nog niet beantwoord", "Not answered yet"),
    "all_answered": ("Alle vragen zijn beantwoord.", "All questions have been answered."),
    "attestation": ("Verklaring", "Declaration"),
    "attest_name": ("Uw naam", "Your name"),
    "attest_role": ("Uw functie", "Your role"),
    "attest_email": ("Uw e-mailadres", "Your e-mail address"),
    "attest_email_hint": (
        "Hierheen sturen wij het ontvangstbewijs.",
        "We send the receipt to this address.",
    ),
    "attest_truthful": (
        "Ik verklaar dat ik de vragen naar waarheid en naar beste weten heb beantwoord, namens {supplier}.",
        "I declare that I have answered the questions truthfully and to the best of my knowledge, on behalf of "
        "{supplier}.",
    ),
    "submit": ("Definitief indienen", "Submit"),
    "already_submitted": ("Al ingediend", "Already submitted"),
    "already_submitted_text": (
        "Deze uitvraag is al ingediend. Een tweede indiening is niet mogelijk; hieronder staat het ontvangstbewijs.",
        "This questionnaire has already been submitted. It cannot be submitted twice; the receipt is below.",
    ),
    "receipt": ("Ontvangstbewijs", "Receipt"),
    "receipt_intro": (
        "Uw antwoorden zijn ontvangen en vastgelegd. Bewaar dit ontvangstbewijs.",
        "Your answers have been received and recorded. Keep this receipt.",
    ),
    "submitted_at": ("Ingediend op", "Submitted on"),
    "respondent": ("Ingediend door", "Submitted by"),
    "questionnaire": ("Vragenlijst", "Questionnaire"),
    "version": ("versie", "version"),
    "digest": ("Controlegetal (SHA-256)", "Digest (SHA-256)"),
    "digest_hint": (
        "Met dit controlegetal kan later worden aangetoond wat er precies is ingediend.",
        "This digest can later prove exactly what was submitted.",
    ),
    "download_receipt": ("Ontvangstbewijs downloaden (JSON)", "Download receipt (JSON)"),
    "your_answers": ("Uw ingediende antwoorden bekijken", "View your submitted answers"),
    "read_only": (
        "Deze uitvraag is ingediend; de antwoorden zijn niet meer te wijzigen.",
        "This questionnaire has been submitted; the answers can no longer be changed.",
    ),
    "no_answer": ("Geen antwoord", "No answer"),
    "view_receipt": ("Bekijk het ontvangstbewijs", "View the receipt"),
    "status_submitted": ("Ingediend", "Submitted"),
    # Link problems
    "unknown_title": ("Deze link is niet bekend", "This link is not known"),
    "unknown_text": (
        "Controleer of u de hele link uit de e-mail hebt gebruikt. Werkt het niet, vraag dan de gemeente die u de "
        "e-mail stuurde om een nieuwe link.",
        "Check that you used the whole link from the e-mail. If it still does not work, ask the municipality that sent "
        "you the e-mail for a new link.",
    ),
    "expired_title": ("Deze link is verlopen", "This link has expired"),
    "expired_text": (
        "De termijn van deze uitvraag is voorbij. Neem contact op met de contracteigenaar als u nog wilt antwoorden "
        "of uw ingediende antwoorden wilt inzien; die kan de termijn verlengen en u een nieuwe link sturen.",
        "The period of this questionnaire is over. Contact the contract owner if you still want to answer or see "
        "your submitted answers; they can extend the deadline and send you a new link.",
    ),
    "revoked_title": ("Deze link is ingetrokken", "This link has been withdrawn"),
    "revoked_text": (
        "De gemeente heeft deze link ingetrokken. Neem contact op met de contracteigenaar als u denkt dat dit niet "
        "klopt.",
        "The municipality has withdrawn this link. Contact the contract owner if you think this is a mistake.",
    ),
    "superseded_title": ("Er is een nieuwere link", "There is a newer link"),
    "superseded_text": (
        "U hebt een nieuwere e-mail met een nieuwe link ontvangen; deze oude link werkt niet meer. Gebruik de link "
        "uit de meest recente e-mail. Uw opgeslagen antwoorden blijven bewaard.",
        "You have received a newer e-mail with a new link; this old link no longer works. Use the link from the "
        "most recent e-mail. Your saved answers are kept.",
    ),
    "rate_limited_title": ("Te veel pogingen", "Too many attempts"),
    "rate_limited_text": (
        "Vanaf uw adres zijn te veel onbekende links geprobeerd. Wacht tien minuten en gebruik dan de link uit de "
        "e-mail.",
        "Too many unknown links were tried from your address. Wait ten minutes, then use the link from the e-mail.",
    ),
    "no_session_title": ("Open de link uit uw e-mail", "Open the link from your e-mail"),
    "no_session_text": (
        "Deze pagina opent alleen in de browser waarin u de persoonlijke link uit de uitnodiging of herinnering "
        "van de gemeente hebt geopend. Open die link opnieuw; uw opgeslagen antwoorden blijven bewaard.",
        "This page only opens in the browser in which you opened the personal link from the municipality's "
        "invitation or reminder. Open that link again; your saved answers are kept.",
    ),
    "csrf_title": ("Uw formulier is verlopen", "Your form has expired"),
    "csrf_text": (
        "Om uw gegevens te beschermen kon dit formulier niet worden verwerkt (de beveiligingscode ontbrak of was "
        "verlopen). Open de link uit uw e-mail opnieuw en probeer het nog eens.",
        "To protect your data this form could not be processed (its security code was missing or had expired). "
        "Open the link from your e-mail again and try once more.",
    ),
    "too_large_title": ("Het bestand is te groot", "The file is too large"),
    "too_large_text": (
        "Wat u verstuurde is groter dan {mb} MB en is niet verwerkt. Ga terug, kies een kleiner bestand (of een "
        "samenvatting) en sla opnieuw op.",
        "What you sent is larger than {mb} MB and was not processed. Go back, choose a smaller file (or a summary) "
        "and save again.",
    ),
    "not_found_title": ("Pagina niet gevonden", "Page not found"),
    "not_found_text": ("Deze pagina bestaat niet (meer).", "This page does not exist (any more)."),
    "contact_owner": ("Contracteigenaar", "Contract owner"),
    "contact_unknown": (
        "Weet u niet wie u kunt benaderen? Beantwoord dan de e-mail waarin u de link kreeg.",
        "Not sure whom to contact? Reply to the e-mail in which you received the link.",
    ),
    "back_to_overview": ("Terug naar het overzicht", "Back to the overview"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "language_menu": ("Taal", "Language"),
    "cancelled_title": ("Deze uitvraag is ingetrokken", "This questionnaire has been withdrawn"),
    "cancelled_text": (
        "De gemeente heeft deze uitvraag ingetrokken; u hoeft niets meer te doen.",
        "The municipality has withdrawn this questionnaire; you need not do anything.",
    ),
}


def translate(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (Dutch unless English is asked), with `{name}` placeholders filled in."""
    nl, en = STRINGS[key]
    text = en if lang == "en" else nl
    return text.format(**values) if values else text
