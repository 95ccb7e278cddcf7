"""Walkthrough point 1: a follow-up or evidence-renewal form shows and takes exactly the questions it asks for.

The question asked (a certificate upload) depends on an answer (`has-iso`) that is not on the follow-up's form: the
condition is judged by the answer in the uitvraag it follows up, in the browser with and without JavaScript.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.evidence import store_upload
from bot.models import Answer, EvidenceFile, UitvraagKind
from bot.timeutil import utcnow
from tests.supplier.helpers import expiry_in, pdf_bytes, rows
from tests.support.factories import make_uitvraag

pytestmark = pytest.mark.browser


def _renewal(session, app_config, *, kind=UitvraagKind.EVIDENCE, question_ids=("iso-certificate",)):
    """A submitted-looking regular uitvraag with has-iso = yes and a certificate that ends in 20 days, and a
    follow-up of kind `kind` asking only `question_ids`."""
    now = utcnow()
    parent = make_uitvraag(session, carried_answers={"has-iso": "yes", "mfa": "no", "notice-hours": 4})
    store_upload(
        session,
        uitvraag_id=parent.id,
        question_id="iso-certificate",
        stream=io.BytesIO(pdf_bytes("oud certificaat")),
        filename="iso27001-certificate.pdf",
        expires_on=date.today() + timedelta(days=20),
        upload_dir=app_config["UPLOAD_DIR"],
        max_bytes=10 * 1024 * 1024,
        now=now,
    )
    session.commit()
    return make_uitvraag(
        session,
        contracts=parent.contracts,
        kind=kind,
        parent=parent.uitvraag,
        question_ids=list(question_ids),
    )


def _open(browser, live_server, made, *, javascript):
    context = browser.new_context(locale="nl-NL", java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/q/{made.token}")
    page.goto(f"{live_server.url}/q/uitvraag/{made.id}/s/zekerheid")
    return context, page


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_renewal_form_shows_the_upload_it_asks_for_and_takes_the_new_certificate(
    browser, live_server, session, app_config, tmp_path, javascript
):
    made = _renewal(session, app_config)
    context, page = _open(browser, live_server, made, javascript=javascript)
    try:
        upload = page.locator("#q-iso-certificate")
        assert upload.is_visible(), "the upload the renewal asks for is hidden"
        assert page.locator("#expires-new-iso-certificate").is_visible()
        # Only the question asked is on the form: not its parent, not the other questions of the section.
        assert page.locator("[name=q-has-iso]").count() == 0
        assert page.locator("[name=q-notice-hours]").count() == 0
        # The expiring document of the parent is shown, but does not count as the renewal's answer.
        assert page.get_by_text("iso27001-certificate.pdf").is_visible()
        assert "0 van 1 beantwoord" in page.locator("#section-progress").inner_text()

        renewed = tmp_path / "iso27001-certificate-2027.pdf"
        renewed.write_bytes(pdf_bytes("nieuw certificaat"))
        upload.set_input_files(str(renewed))
        page.locator("#expires-new-iso-certificate").fill(expiry_in(700))
        page.get_by_role("button", name="Opslaan en naar indienen").click()
        assert page.get_by_role("heading", name="Controleren en indienen").is_visible()
    finally:
        context.close()
    stored = rows(session, select(EvidenceFile).where(EvidenceFile.uitvraag_id == made.id))
    assert [f.original_name for f in stored] == ["iso27001-certificate-2027.pdf"]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_improvement_follow_up_on_a_conditional_question_shows_it_without_its_parent(
    browser, live_server, session, app_config, javascript
):
    made = _renewal(session, app_config, kind=UitvraagKind.FOLLOW_UP, question_ids=("iso-certificate", "mfa"))
    context, page = _open(browser, live_server, made, javascript=javascript)
    try:
        assert page.locator("#q-iso-certificate").is_visible()
        page.get_by_role("button", name="Opslaan en volgende onderdeel").click()
        page.get_by_label("Ja", exact=True).check()
        page.get_by_role("button", name="Opslaan en naar indienen").click()
    finally:
        context.close()
    own = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert own == {"mfa": "yes"}
