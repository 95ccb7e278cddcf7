"""F1: no text a user chooses can add a header to a mail, however it is encoded, on the Python in use.

The email package's folding decodes RFC 2047 words (`=?utf-8?q?=0d=0a?=`) when it refolds a long non-ASCII header
and, on Python before 3.11.10 / 3.12.5 (CVE-2024-6923), writes the decoded CRLF out bare. So a CRLF filter on the
input is not enough: the composer neutralises encoded words and refuses any folded header that would break a line.
"""

from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.mail.delivery import send_due
from bot.mail.kinds import KINDS
from bot.mail.message import Composer, HeaderInjection, check_folded, fold_header, header_text
from bot.mail.render import render_mail
from bot.models import OutboxMessage
from tests.mail.helpers import MAIL_FROM, queue
from tests.support.factories import NOW

ENCODED_CRLF = "=?utf-8?q?=0d=0aBcc:x@evil.example?="
EVIL_FILE_NAME = f"a long long long long long long long long long long name {ENCODED_CRLF} .pdf"
# The headers every composed mail carries, and no others.
HEADERS = {
    "Auto-Submitted",
    "Content-Language",
    "Content-Transfer-Encoding",
    "Content-Type",
    "Date",
    "From",
    "MIME-Version",
    "Message-ID",
    "Subject",
    "To",
    "X-Auto-Response-Suppress",
}


def test_the_reviews_reproducer_folds_without_a_bare_line_break() -> None:
    subject = f"Uw document „{EVIL_FILE_NAME}” verloopt"

    folded = fold_header("Subject", subject)

    assert "\r\nBcc:" not in folded
    assert _continuations_are_folded(folded)
    parsed = email.message_from_string(folded + "\r\n", policy=email.policy.default)
    assert parsed.keys() == ["Subject"]
    assert parsed["Subject"] == header_text(subject)


def test_encoded_words_in_a_name_reach_the_reader_as_the_text_typed_not_decoded() -> None:
    assert "=?" not in header_text(ENCODED_CRLF)
    folded = fold_header("Subject", f"Leverancier „{ENCODED_CRLF}”")
    parsed = email.message_from_string(folded + "\r\n", policy=email.policy.default)
    assert "\r" not in parsed["Subject"] and "\n" not in parsed["Subject"]
    assert "utf-8?q?=0d=0aBcc:x@evil.example?=" in parsed["Subject"]


def test_a_folded_header_that_would_break_a_line_is_refused() -> None:
    with pytest.raises(HeaderInjection, match="Subject"):
        # What the vulnerable folding returns for the reproducer: refused, whoever made it.
        check_folded("Subject", "Subject: name \r\nBcc:x@evil.example =?utf-8?q?=2Epdf?=\r\n")


def test_evidence_renewal_subject_names_the_question_not_the_suppliers_file_name() -> None:
    context = dict(KINDS["evidence-renewal"], document=EVIL_FILE_NAME, question="ISO 27001-certificaat")
    for language in ("nl", "en"):
        rendered = render_mail("evidence-renewal", language, context)
        assert "ISO 27001-certificaat" in rendered.subject
        assert "=?" not in rendered.subject and "long long" not in rendered.subject


def test_an_evil_file_name_delivered_end_to_end_adds_no_header(app, session, smtp) -> None:
    context = dict(
        KINDS["evidence-renewal"],
        document=EVIL_FILE_NAME,
        supplier_name=f"Leverancier „{ENCODED_CRLF}” BV",
        organisation_name=f"Gemeente Ééndorp {ENCODED_CRLF} met een lange naam die gevouwen moet worden",
        expires_on=date(2026, 12, 1),
    )
    queue(session, to="security@leverancier.test", kind="evidence-renewal", context=context)
    session.rollback()

    report = send_due(engine=app.extensions["engine"], config=app.config, now=NOW)

    assert report.sent == 1, session.exec(select(OutboxMessage.last_error)).all()
    (received,) = smtp.handler.received
    assert received.rcpt_tos == ["security@leverancier.test"]
    message = received.message
    assert message["Bcc"] is None and message["Reply-To"] is None
    assert set(message.keys()) == HEADERS - {"Content-Transfer-Encoding"}  # multipart: the parts carry it


names = st.lists(
    st.sampled_from(
        [
            "a",
            "Z",
            " ",
            "é",
            "„",
            "”",
            "\r",
            "\n",
            "\r\n",
            "\u2028",
            "\u2029",
            "\x85",
            "\t",
            "\x0b",
            "\x00",
            ":",
            "Bcc:",
            "=?",
            "?=",
            "=?utf-8?q?",
            "=0d=0a",
            "=?utf-8?b?DQpCY2M6IHg=?=",
            ENCODED_CRLF,
            "long" * 12,
            "ß" * 30,
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=names, supplier=names, sender_name=names)
# Found by this test: a sender name with a ':' and a long word was folded bare, so the ':' began a group.
@example(subject="", supplier="", sender_name=":" + "long" * 24)
@example(subject="", supplier="", sender_name=":" + "long" * 12 + " " + "long" * 12)
@example(subject="", supplier="", sender_name='Gemeente "Veen"; afdeling <ICT>, @dienst.')
def test_every_composed_message_parses_back_to_exactly_the_headers_we_set(subject, supplier, sender_name) -> None:
    text = f"{subject} {supplier}"
    row = OutboxMessage(
        id=1,
        idempotency_key="k",
        message_id="<abc@gemeente.test>",
        kind="signin-link",
        language="nl",
        to_addr="olga@gemeente.test",
        reply_to="owner@gemeente.test",
        subject=text,
        body_text="Hallo\n",
        body_html=None,
        mime_body=None,
        status="pending",
        attempts=0,
        next_attempt_at=NOW,
        created_at=NOW,
    )
    data = Composer(f"{sender_name} <uitvraag@gemeente.test>").compose(row)  # never refused: nothing is decoded

    assert all(line.startswith((b" ", b"\t")) or b":" in line for line in _header_lines(data))
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert set(parsed.keys()) == HEADERS | {"Reply-To"}
    assert parsed["Subject"] == header_text(text)
    assert parsed["To"] == "olga@gemeente.test" and parsed["Reply-To"] == "owner@gemeente.test"
    [sender] = parsed["From"].addresses
    assert sender.addr_spec == "uitvraag@gemeente.test"
    # Python's parser puts a space between two adjacent encoded words of a display name; RFC 2047 drops it.
    assert sender.display_name.replace(" ", "") == header_text(sender_name).strip('" ').replace(" ", "")
    assert parsed.get_content() == "Hallo\r\n"  # the body as built, CRLF as SMTP wants


def test_the_composer_used_by_delivery_writes_the_from_name_as_one_display_name() -> None:
    composer = Composer(MAIL_FROM)
    assert composer.sender == "uitvraag@gemeente.test"


def _header_lines(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def _continuations_are_folded(folded: str) -> bool:
    lines = folded.split("\r\n")
    return (
        lines[-1] == ""
        and all(line.startswith((" ", "\t")) for line in lines[1:-1])
        and "\r" not in "".join(lines)
        and "\n" not in "".join(lines)
    )
