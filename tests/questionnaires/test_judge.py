"""Judging answers: scenarios a contract owner would recognise, and properties that hold for any answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.questionnaires.examples import best_answers
from bot.questionnaires.judge import judge
from bot.questionnaires.loader import get_questionnaire, load_all, load_questionnaire, parse_questionnaire
from bot.questionnaires.model import EvidenceRef, Question, Questionnaire

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
HIGH_CLOUD = {"risk_tier": "high", "personal_data": True, "cloud_hosted": True}


def full() -> Questionnaire:
    return get_questionnaire("bio2-leverancier")


def best_with(questionnaire: Questionnaire, facts: dict[str, Any] = HIGH_CLOUD, **changes: Any) -> tuple[dict, dict]:
    answers, evidence = best_answers(questionnaire, TODAY, facts)
    for question_id, value in changes.items():
        question_id = question_id.replace("_", "-")
        if value is None:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    return answers, evidence


def findings_by_question(judgement: Any) -> dict[str, tuple[str, str]]:
    return {f.question_id: (f.rule, f.severity) for f in judgement.findings}


# --- scenarios ----------------------------------------------------------------------------------------------


def test_best_answers_give_no_findings_and_full_marks() -> None:
    for questionnaire in load_all().values():
        answers, evidence = best_answers(questionnaire, TODAY, HIGH_CLOUD)
        judgement = judge(questionnaire, answers, HIGH_CLOUD, NOW, evidence)
        assert judgement.findings == []
        assert judgement.score == 100
        assert set(judgement.section_scores.values()) == {100}


def test_hof_van_twente_weaknesses_are_critical_findings() -> None:
    answers, evidence = best_with(
        full(),
        mfa_remote="no",
        admin_interfaces_exposed="exposed",
        default_passwords="some-remain",
        backup_protection="yes",
        security_monitoring="nobody",
    )
    evidence["mfa-remote"] = (EvidenceRef("mitigatie.pdf", "a" * 64),)

    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)

    assert findings_by_question(judgement) == {
        "mfa-remote": ("option:no", "critical"),
        "admin-interfaces-exposed": ("option:exposed", "critical"),
        "default-passwords": ("option:some-remain,unknown", "critical"),
        "backup-protection": ("option:yes,no-backups", "critical"),
        "security-monitoring": ("option:nobody", "critical"),
    }
    assert judgement.worst_severity == "critical"
    assert judgement.counts["critical"] == 5
    assert judgement.section_scores["backups"] < 100 and judgement.score < 100


def test_incident_notification_later_than_24_hours_is_high_and_later_than_72_critical() -> None:
    for hours, expected in ((24, None), (36, ("above:24", "high")), (100, ("above:72", "critical"))):
        answers, evidence = best_with(full(), incident_notice_hours=hours)
        judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
        assert findings_by_question(judgement).get("incident-notice-hours") == expected
        assert len(judgement.findings_for("incident-notice-hours")) == (0 if expected is None else 1)


@pytest.mark.parametrize(
    ("days_left", "finding"),
    [(-10, ("expires-within:60", "high")), (30, ("expires-within:60", "high")), (60, None), (400, None)],
)
def test_certificate_that_expired_or_expires_within_60_days_is_high(days_left: int, finding: Any) -> None:
    answers, evidence = best_with(full())
    expires_on = TODAY + timedelta(days=days_left)
    evidence["iso27001-certificate"] = (EvidenceRef("iso.pdf", "b" * 64, expires_on),)

    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)

    assert findings_by_question(judgement).get("iso27001-certificate") == finding
    if finding:
        reason = judgement.findings_for("iso27001-certificate")[0].reason
        assert expires_on.isoformat() in reason.nl and expires_on.isoformat() in reason.en


def test_newest_certificate_counts_when_a_renewal_is_uploaded() -> None:
    answers, evidence = best_with(full())
    evidence["iso27001-certificate"] = (
        EvidenceRef("oud.pdf", "c" * 64, TODAY - timedelta(days=5)),
        EvidenceRef("nieuw.pdf", "d" * 64, TODAY + timedelta(days=700)),
    )
    assert judge(full(), answers, HIGH_CLOUD, NOW, evidence).findings == []


def test_certificate_without_expiry_date_is_a_finding() -> None:
    answers, evidence = best_with(full())
    evidence["iso27001-certificate"] = (EvidenceRef("iso.pdf", "e" * 64, None),)
    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
    assert findings_by_question(judgement) == {"iso27001-certificate": ("expiry-missing", "high")}


def test_missing_required_answer_and_missing_evidence_are_findings() -> None:
    answers, evidence = best_with(full(), audit_right=None)
    del evidence["pentest-summary"]

    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)

    assert findings_by_question(judgement) == {
        "audit-right": ("missing", "high"),
        "pentest-summary": ("evidence-missing", "high"),
    }
    missing = judgement.findings_for("audit-right")[0]
    assert missing.reason.nl and missing.reason.en and missing.measures == ("5.20.04",)


def test_weak_answer_that_needs_evidence_when_weak_without_a_document_gives_two_findings() -> None:
    answers, evidence = best_with(full(), mfa_remote="no")
    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
    assert [(f.rule, f.severity) for f in judgement.findings_for("mfa-remote")] == [
        ("option:no", "critical"),
        ("evidence-missing", "medium"),
    ]


def test_restore_test_longer_than_a_year_ago_is_high() -> None:
    old = (TODAY - timedelta(days=400)).isoformat()
    answers, evidence = best_with(full(), restore_test_date=old)
    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
    assert findings_by_question(judgement) == {"restore-test-date": ("older-than:365", "high")}


def test_answer_that_is_not_a_possible_value_is_invalid() -> None:
    answers, evidence = best_with(full(), mfa_admin="misschien", log_retention_days="veel")
    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
    assert findings_by_question(judgement) == {
        "mfa-admin": ("invalid", "critical"),
        "log-retention-days": ("invalid", "medium"),
    }


def test_questions_hidden_by_a_contract_fact_are_not_judged() -> None:
    on_premises = {"risk_tier": "high", "personal_data": False, "cloud_hosted": False}
    answers, evidence = best_with(full(), on_premises, data_location="unknown")
    judgement = judge(full(), answers, on_premises, NOW, evidence)
    assert judgement.findings == []
    assert "data-location" not in {q.id for q in full().visible_questions(answers, on_premises)}


def test_follow_up_questions_are_judged_only_when_shown() -> None:
    answers, evidence = best_with(full(), has_access_to_municipality="no", municipality_access_method="no-mfa")
    assert judge(full(), answers, HIGH_CLOUD, NOW, evidence).findings == []

    answers["has-access-to-municipality"] = "yes"
    judgement = judge(full(), answers, HIGH_CLOUD, NOW, evidence)
    assert findings_by_question(judgement)["municipality-access-method"] == ("option:no-mfa", "critical")


SMALL = """
id = "klein"
version = "1"
title_nl = "Klein"

[[sections]]
id = "a"
title_nl = "A"

[[sections.questions]]
id = "licht"
type = "yes-no"
measures = ["5.17.01"]
text_nl = "Lichte vraag?"

[[sections.questions]]
id = "zwaar"
type = "yes-no"
weight = 3
measures = ["5.17.01"]
text_nl = "Zware vraag?"

[[sections.questions.rules]]
options = ["no"]
severity = "high"
reason_nl = "Nee."

[[sections.questions]]
id = "vrij"
type = "text"
required = false
measures = ["5.17.01"]
text_nl = "Opmerking?"

[[sections]]
id = "b"
title_nl = "B"

[[sections.questions]]
id = "kritiek"
type = "yes-no"
measures = ["5.17.01"]
text_nl = "Kritieke vraag?"

[[sections.questions.rules]]
options = ["no"]
severity = "critical"
reason_nl = "Nee."
"""


def test_scores_are_weighted_per_section_and_overall() -> None:
    questionnaire = parse_questionnaire(SMALL)
    answers = {"licht": "yes", "zwaar": "no", "kritiek": "no"}

    judgement = judge(questionnaire, answers, {}, NOW)

    # a: (1 x 1 + 3 x 0.25) / 4 = 43.75; b: 0 / 1; overall: 1.75 / 5 = 35. The open optional question does not count.
    assert judgement.section_scores == {"a": 44, "b": 0}
    assert judgement.score == 35


def test_multi_choice_that_lacks_a_required_option_is_weak() -> None:
    questionnaire = load_questionnaire(ALL_FEATURES)
    answers, evidence = best_answers(questionnaire, TODAY, {"risk_tier": "high", "personal_data": True})
    assert judge(questionnaire, answers, {"risk_tier": "high", "personal_data": True}, NOW, evidence).findings == []

    answers["alerts"] = ["failed-logins"]
    judgement = judge(questionnaire, answers, {}, NOW, evidence)
    assert findings_by_question(judgement) == {"alerts": ("lacks:failed-logins,admin-changes", "high")}

    answers["alerts"] = ["none"]
    judgement = judge(questionnaire, answers, {}, NOW, evidence)
    assert findings_by_question(judgement) == {"alerts": ("option:none", "critical")}


def test_when_weak_evidence_with_expiry_is_judged_on_its_document() -> None:
    questionnaire = load_questionnaire(ALL_FEATURES)
    answers, evidence = best_answers(questionnaire, TODAY, {})
    answers["certified"] = "no"
    evidence["certified"] = (EvidenceRef("plan.pdf", "1" * 64, TODAY + timedelta(days=10)),)

    judgement = judge(questionnaire, answers, {}, NOW, evidence)

    assert findings_by_question(judgement) == {"certified": ("option:no", "high")}


# --- properties ---------------------------------------------------------------------------------------------

ALL_FEATURES = Path(__file__).with_name("all_features.toml")
QUESTIONNAIRES = [*load_all().values(), load_questionnaire(ALL_FEATURES)]
JUNK = st.sampled_from(["", "bogus", 3, None, ["x"], True, "2026-13-45"])


def answer_values(question: Question) -> st.SearchStrategy[Any]:
    if question.type in ("choice", "yes-no"):
        valid: st.SearchStrategy[Any] = st.sampled_from(question.option_values())
    elif question.type == "multi-choice":
        valid = st.lists(st.sampled_from(question.option_values()), unique=True)
    elif question.type == "number":
        valid = st.one_of(st.integers(-5, 500), st.floats(-1e6, 1e6, allow_nan=False))
    elif question.type == "date":
        valid = st.dates(date(2020, 1, 1), date(2032, 12, 31)).map(date.isoformat)
    else:
        valid = st.text(max_size=10)
    return st.one_of(valid, valid, JUNK)


EVIDENCE_REFS = st.lists(
    st.builds(
        EvidenceRef,
        name=st.just("bewijs.pdf"),
        sha256=st.just("f" * 64),
        expires_on=st.none() | st.dates(date(2024, 1, 1), date(2032, 12, 31)),
    ),
    max_size=2,
)
FACTS = st.fixed_dictionaries(
    {
        "personal_data": st.booleans(),
        "cloud_hosted": st.booleans(),
        "risk_tier": st.sampled_from(["low", "medium", "high"]),
    }
)


@st.composite
def situations(draw: st.DrawFn) -> tuple[Questionnaire, dict, dict, datetime, dict]:
    questionnaire = draw(st.sampled_from(QUESTIONNAIRES))
    answers = draw(
        st.fixed_dictionaries(
            {}, optional={q.id: answer_values(q) for q in questionnaire.questions() if q.type != "evidence"}
        )
    )
    evidence = draw(
        st.fixed_dictionaries(
            {}, optional={q.id: EVIDENCE_REFS for q in questionnaire.questions() if q.accepts_evidence()}
        )
    )
    now = datetime.combine(draw(st.dates(date(2025, 1, 1), date(2030, 12, 31))), datetime.min.time(), tzinfo=UTC)
    return questionnaire, answers, draw(FACTS), now, evidence


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(situations())
def test_any_answers_give_findings_only_for_shown_questions(situation: tuple) -> None:
    questionnaire, answers, facts, now, evidence = situation
    shown = {q.id for q in questionnaire.visible_questions(answers, facts)}
    judgement = judge(questionnaire, answers, facts, now, evidence)
    assert {f.question_id for f in judgement.findings} <= shown


@PROPERTY_SETTINGS
@given(situations())
def test_scores_stay_within_0_and_100(situation: tuple) -> None:
    questionnaire, answers, facts, now, evidence = situation
    judgement = judge(questionnaire, answers, facts, now, evidence)
    assert 0 <= judgement.score <= 100
    assert all(0 <= score <= 100 for score in judgement.section_scores.values())
    assert set(judgement.section_scores) <= {section.id for section in questionnaire.sections}


@PROPERTY_SETTINGS
@given(st.sampled_from(QUESTIONNAIRES), FACTS, st.dates(date(2025, 1, 1), date(2035, 12, 31)))
def test_all_best_answers_give_no_findings(questionnaire: Questionnaire, facts: dict, today: date) -> None:
    answers, evidence = best_answers(questionnaire, today, facts)
    judgement = judge(questionnaire, answers, facts, today, evidence)
    assert judgement.findings == []
    assert judgement.score == 100


@PROPERTY_SETTINGS
@given(situations(), st.data())
def test_removing_an_answer_never_lowers_the_findings_for_a_required_question(situation: tuple, data: Any) -> None:
    questionnaire, answers, facts, now, evidence = situation
    shown_required = [q.id for q in questionnaire.visible_questions(answers, facts) if q.required and q.id in answers]
    if not shown_required:
        return
    question_id = data.draw(st.sampled_from(shown_required))
    before = judge(questionnaire, answers, facts, now, evidence).findings_for(question_id)

    fewer = {key: value for key, value in answers.items() if key != question_id}
    after = judge(questionnaire, fewer, facts, now, evidence).findings_for(question_id)

    assert len(after) >= len(before)
