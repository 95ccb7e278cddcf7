"""Rules without loopholes: "not applicable" needs a reason and only where offered; a date that has to lie in the
past and a duration that has to be above 0 are refused otherwise. One check (answers.check_value) for the form, the
JSON API and submission, each error naming the question."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.i18n import in_each_language
from bot.models import Answer
from bot.questionnaires.judge import judge
from bot.questionnaires.loader import parse_questionnaire
from bot.questionnaires.parser import QuestionnaireError
from bot.staff.texts import format_answer
from bot.supplier.answers import InvalidAnswer, check_value
from bot.timeutil import local_time, utcnow
from tests.supplier.helpers import rows
from tests.support.factories import make_uitvraag

RULES = """
id = "rules-test"
version = "1"
title_nl = "Regels"
title_en = "Rules"

[[sections]]
id = "s"
title_nl = "Vragen"
title_en = "Questions"

[[sections.questions]]
id = "mfa-admin"
type = "yes-no"
measures = ["5.17.01"]
text_nl = "Is MFA verplicht voor alle beheeraccounts?"
text_en = "Is MFA required for every administrator account?"

[[sections.questions]]
id = "mfa-users"
type = "yes-no"
allow_na = true
measures = ["5.17.01"]
text_nl = "Is MFA verplicht voor gebruikers van buiten het netwerk?"
text_en = "Is MFA required for users from outside the network?"

[[sections.questions.rules]]
options = ["no"]
severity = "high"
reason_nl = "De leverancier geeft aan dat gebruikers zonder MFA inloggen."
reason_en = "The supplier states that users sign in without MFA."

[[sections.questions]]
id = "pentest-date"
type = "date"
not_future = true
measures = ["8.08.05"]
text_nl = "Wanneer was de laatste penetratietest?"
text_en = "When was the last penetration test?"

[[sections.questions]]
id = "incident-notice-hours"
type = "number"
positive = true
max = 8760
measures = ["5.20.05"]
unit_nl = "uur"
unit_en = "hours"
text_nl = "Binnen hoeveel uur meldt u een beveiligingsincident?"
text_en = "Within how many hours do you report a security incident?"
"""

TODAY = date(2026, 12, 3)
ATTESTATION = {"name": "Sam", "role": "CISO", "email": "sam@leverancier.test", "truthful": True}


@pytest.fixture
def questionnaire():
    return parse_questionnaire(RULES, name="rules-test")


def auth(token):
    return {"Authorization": f"Bearer {token}"}


class Refusal:
    """A refused answer's message read in both languages."""

    def __init__(self, message):
        self.nl, self.en = message["nl"], message["en"]


@pytest.fixture
def refused(app):
    """Check an answer that must be refused; its message in both languages."""

    def check(questionnaire, question_id, value, today=TODAY):
        with pytest.raises(InvalidAnswer) as error:
            check_value(questionnaire.question(question_id), value, today=today)
        with app.app_context():
            return Refusal(in_each_language(error.value.message))

    return check


def test_not_applicable_needs_a_reason_and_is_refused_where_it_is_not_offered(questionnaire, refused):
    assert "leg uit waarom" in refused(questionnaire, "mfa-users", "na").nl
    assert "explain why" in refused(questionnaire, "mfa-users", {"value": "na", "reason": "   "}).en
    assert "kan bij deze vraag niet" in refused(questionnaire, "mfa-admin", {"value": "na", "reason": "geen beheer"}).nl
    stored = check_value(
        questionnaire.question("mfa-users"), {"value": "na", "reason": " Alleen intern gebruik "}, today=TODAY
    )
    assert stored == {"value": "na", "reason": "Alleen intern gebruik"}


def test_a_date_that_has_happened_cannot_lie_in_the_future(questionnaire, refused):
    question = questionnaire.question("pentest-date")
    assert check_value(question, TODAY.isoformat(), today=TODAY) == "2026-12-03"
    error = refused(questionnaire, "pentest-date", (TODAY + timedelta(days=1)).isoformat())
    assert "2026-12-04 ligt in de toekomst" in error.nl and "is in the future" in error.en


@pytest.mark.parametrize("value, text", [(-5, "-5 kan niet"), (0, "0 kan niet"), ("0,0", "0 kan niet")])
def test_a_duration_must_be_above_zero(questionnaire, refused, value, text):
    assert text in refused(questionnaire, "incident-notice-hours", value).nl


def test_a_number_above_its_maximum_is_refused(questionnaire, refused):
    assert "hoogstens 8760" in refused(questionnaire, "incident-notice-hours", 9000).nl
    assert check_value(questionnaire.question("incident-notice-hours"), "4,5", today=TODAY) == 4.5


def test_a_reasoned_not_applicable_is_judged_as_not_applicable_and_shown_with_its_reason(app, questionnaire):
    answers = {
        "mfa-admin": "yes",
        "mfa-users": {"value": "na", "reason": "Alleen intern"},
        "pentest-date": "2026-06-01",
        "incident-notice-hours": 4,
    }
    assert judge(questionnaire, answers, {}, TODAY).findings == []
    with app.app_context():
        shown = format_answer(questionnaire.question("mfa-users"), answers["mfa-users"], "nl")
    assert shown == "Niet van toepassing: Alleen intern"


def test_the_form_refuses_each_with_a_message_that_names_the_question(client, session, questionnaire):
    made = make_uitvraag(session, questionnaire=questionnaire)
    client.get(f"/q/{made.token}")
    tomorrow = (local_time(utcnow()).date() + timedelta(days=1)).isoformat()
    fields = {"q-mfa-users": "na", "q-pentest-date": tomorrow, "q-incident-notice-hours": "-5", "q-mfa-admin": "yes"}
    data = {"present": ["mfa-admin", "mfa-users", "pentest-date", "incident-notice-hours"], "action": "save", **fields}
    response = client.post(f"/q/uitvraag/{made.id}/s/s", data=data)
    assert response.status_code == 422
    summary = response.get_data(as_text=True).split('class="error-summary"')[1].split("</ul>")[0]
    assert "‘Is MFA verplicht voor gebruikers van buiten het netwerk?’: U koos ‘niet van toepassing’" in summary
    assert "‘Wanneer was de laatste penetratietest?’: De datum " in summary and "ligt in de toekomst" in summary
    assert "‘Binnen hoeveel uur meldt u een beveiligingsincident?’: -5 kan niet" in summary
    stored = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert stored == {"mfa-admin": "yes"}  # the valid answer is saved, the refused ones are not

    data["q-mfa-users-na-reason"] = "Gebruikers werken alleen op het netwerk van de gemeente"
    data["q-pentest-date"], data["q-incident-notice-hours"] = "2026-06-01", "24"
    response = client.post(f"/q/uitvraag/{made.id}/s/s", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    stored = {a.question_id: a.value for a in rows(session, select(Answer).where(Answer.uitvraag_id == made.id))}
    assert stored["mfa-users"] == {"value": "na", "reason": "Gebruikers werken alleen op het netwerk van de gemeente"}
    page = client.get(f"/q/uitvraag/{made.id}/s/s").get_data(as_text=True)
    assert ">Gebruikers werken alleen op het netwerk van de gemeente</textarea>" in page


def test_the_api_refuses_each_with_a_message_that_names_the_question(client, session, questionnaire):
    made = make_uitvraag(session, questionnaire=questionnaire)
    tomorrow = (local_time(utcnow()).date() + timedelta(days=1)).isoformat()
    answers = {"mfa-users": "na", "pentest-date": tomorrow, "incident-notice-hours": -5, "mfa-admin": "yes"}
    response = client.patch("/api/v1/uitvraag/answers", json={"answers": answers}, headers=auth(made.token))
    assert response.status_code == 422
    errors = {e["question_id"]: e["message"] for e in response.get_json()["errors"]}
    assert set(errors) == {"mfa-users", "pentest-date", "incident-notice-hours"}
    assert errors["mfa-users"]["en"].startswith("‘Is MFA required for users from outside the network?’: You chose")
    assert errors["pentest-date"]["nl"].startswith("‘Wanneer was de laatste penetratietest?’: De datum")
    assert errors["incident-notice-hours"]["en"] == (
        "‘Within how many hours do you report a security incident?’: -5 is not possible: enter a number above 0."
    )
    assert rows(session, select(Answer).where(Answer.uitvraag_id == made.id)) == []  # all or nothing

    answers = {**answers, "mfa-users": {"value": "na", "reason": "Alleen intern"}, "pentest-date": "2026-06-01"}
    answers["incident-notice-hours"] = 4
    response = client.patch("/api/v1/uitvraag/answers", json={"answers": answers}, headers=auth(made.token))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["answers"]["mfa-users"] == {"value": "na", "reason": "Alleen intern"}
    limits = {q["id"]: q["limits"] for q in response.get_json()["questionnaire"]["sections"][0]["questions"]}
    assert limits["pentest-date"]["not_future"] and limits["incident-notice-hours"]["positive"]


def test_a_carried_over_answer_the_rules_refuse_must_be_put_right_before_submission(client, session, questionnaire):
    carried = {"mfa-admin": "yes", "mfa-users": "na", "pentest-date": "2026-06-01", "incident-notice-hours": 4}
    made = make_uitvraag(session, questionnaire=questionnaire, carried_answers=carried)
    response = client.post("/api/v1/uitvraag/submit", json={"attestation": ATTESTATION}, headers=auth(made.token))
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["question_id"] == "mfa-users" and "explain why" in error["message"]["en"]


@pytest.mark.parametrize(
    "extra, problem",
    [
        ('type = "number"\nnot_future = true', "only date questions can refuse a date in the future"),
        ('type = "date"\npositive = true', "only number questions can refuse 0 and below"),
        ('type = "number"\nmin = 5\nmax = 1', "min 5 is above max 1"),
        ('type = "number"\nmin = "nul"', 'field "min": must be a number'),
    ],
)
def test_the_file_check_names_a_limit_that_cannot_work(extra, problem):
    text = RULES.replace('type = "date"\nnot_future = true', extra, 1)
    with pytest.raises(QuestionnaireError) as error:
        parse_questionnaire(text, name="rules-test")
    assert problem in str(error.value) and "pentest-date" in str(error.value)
