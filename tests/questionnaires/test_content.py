"""The shipped questionnaires: sizes, BIO2 coverage, both languages, and the weaknesses that must be critical."""

from __future__ import annotations

from datetime import date

import pytest

from bot.questionnaires.loader import get_questionnaire, load_all
from bot.questionnaires.measures import is_active, measure_problem
from bot.questionnaires.model import Questionnaire

SIZES = {
    "bio2-leverancier": (45, 100),
    "bio2-leverancier-licht": (12, 20),
    "avg-verwerker": (8, 15),
    "bio2-update": (8, 16),
}

# The control families the full questionnaire must cover, as ISO 27002 control prefixes of BIO2 measure ids.
FAMILIES = {
    "assurance (ISO 27001, ISAE 3402 / SOC 2)": ["5.20.03"],
    "audit right": ["5.20.04"],
    "reporting vulnerabilities and incidents": ["5.20.05"],
    "incident management": ["5.24", "5.25", "5.26"],
    "exit": ["5.20.06"],
    "sub-suppliers": ["5.21"],
    "data location / cloud": ["5.23"],
    "access control and MFA (5.15-5.18)": ["5.15", "5.16", "5.17", "5.18"],
    "privileged and remote access (8.2-8.5)": ["8.02", "8.03", "8.04", "8.05"],
    "the supplier's remote access to the municipality": ["8.05"],
    "passwords and default accounts": ["5.17.03"],
    "patching and pentests": ["8.08.01", "8.08.05"],
    "backups and restore tests": ["8.13.01", "8.13.04"],
    "logging": ["8.15"],
    "security monitoring": ["8.16"],
    "network segmentation": ["8.20", "8.21", "8.22"],
    "cryptography": ["8.24"],
    "secure development": ["8.25", "8.26", "8.27", "8.28", "8.29"],
    "continuity": ["5.29", "5.30"],
    "screening": ["6.01"],
    "awareness": ["6.03"],
}


def questionnaires() -> list[Questionnaire]:
    return list(load_all().values())


def test_the_four_questionnaires_are_shipped_with_their_sizes() -> None:
    shipped = load_all()
    assert set(shipped) == set(SIZES)
    for questionnaire_id, (low, high) in SIZES.items():
        count = sum(1 for _ in shipped[questionnaire_id].questions())
        assert low <= count <= high, f"{questionnaire_id} has {count} questions"


@pytest.mark.parametrize("questionnaire_id", sorted(SIZES))
def test_every_question_cites_a_valid_and_an_active_bio2_measure(questionnaire_id: str) -> None:
    for question in get_questionnaire(questionnaire_id).questions():
        assert question.measures, question.id
        assert [m for m in question.measures if measure_problem(m)] == [], question.id
        assert any(is_active(m) for m in question.measures), question.id


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_full_questionnaire_covers_each_control_family(family: str) -> None:
    cited = {measure for question in get_questionnaire("bio2-leverancier").questions() for measure in question.measures}
    prefixes = FAMILIES[family]
    assert any(measure.startswith(prefix) for measure in cited for prefix in prefixes), family


@pytest.mark.parametrize("questionnaire_id", sorted(SIZES))
def test_everything_a_supplier_reads_is_in_dutch_and_english(questionnaire_id: str) -> None:
    questionnaire = get_questionnaire(questionnaire_id)
    assert questionnaire.title.nl and questionnaire.title.en
    for section in questionnaire.sections:
        assert section.title.nl and section.title.en, section.id
    for question in questionnaire.questions():
        assert question.text.nl and question.text.en, question.id
        assert bool(question.help.nl) == bool(question.help.en), question.id
        for option in question.options:
            assert option.label.nl and option.label.en, (question.id, option.value)
        for rule in question.rules:
            assert rule.reason.nl and rule.reason.en, (question.id, rule.id)


@pytest.mark.parametrize(
    ("question_id", "weak_answer"),
    [
        ("mfa-admin", "no"),
        ("mfa-remote", "no"),
        ("admin-interfaces-exposed", "exposed"),
        ("municipality-access-method", "no-mfa"),
        ("default-passwords", "some-remain"),
        ("backup-protection", "yes"),
        ("security-monitoring", "nobody"),
    ],
)
def test_hof_van_twente_weaknesses_are_critical(question_id: str, weak_answer: str) -> None:
    question = get_questionnaire("bio2-leverancier").question(question_id)
    severities = {rule.severity for rule in question.rules if weak_answer in rule.options}
    assert severities == {"critical"}


@pytest.mark.parametrize("questionnaire_id", ["bio2-leverancier", "bio2-leverancier-licht"])
def test_certificates_and_reports_ask_for_an_expiry_and_flag_60_days_as_high(questionnaire_id: str) -> None:
    documents = [
        q for q in get_questionnaire(questionnaire_id).questions() if q.type == "evidence" and "5.20.03" in q.measures
    ]
    assert documents
    for question in documents:
        assert question.expiry, question.id
        assert [(r.within_days, r.severity) for r in question.rules] == [(60, "high")], question.id


def test_monitoring_covers_password_guessing_and_privileged_account_changes() -> None:
    full = get_questionnaire("bio2-leverancier")
    assert "5.18.01" in full.question("detect-privileged-changes").measures
    assert "8.16.02" in full.question("detect-password-guessing").measures


def test_processor_questionnaire_covers_the_gdpr_topics() -> None:
    avg = get_questionnaire("avg-verwerker")
    ids = {question.id for question in avg.questions()}
    for topic in (
        "dpa-signed",
        "dpa-document",
        "sub-processors",
        "processing-location",
        "breach-notice-hours",
        "dpia-support",
        "end-of-contract",
    ):
        assert topic in ids
    assert {r.above for r in avg.question("breach-notice-hours").rules} == {24, 72}  # as the incident notice


# The measures the December 2026 review lists as high priority, each a supplier can answer for.
HIGH_PRIORITY_MEASURES = ("5.24.05", "5.27.02", "5.21.05", "8.30.01", "8.01.01", "8.01.02", "5.14.04")


@pytest.mark.parametrize("measure", HIGH_PRIORITY_MEASURES)
def test_every_high_priority_measure_of_the_review_is_cited_by_the_full_questionnaire(measure: str) -> None:
    cited = {m for q in get_questionnaire("bio2-leverancier").questions() for m in q.measures}
    assert measure in cited


def test_not_applicable_is_not_offered_for_admin_mfa_and_dates_and_durations_have_their_limits() -> None:
    full, light = get_questionnaire("bio2-leverancier"), get_questionnaire("bio2-leverancier-licht")
    assert not full.question("mfa-admin").allow_na and not light.question("mfa-remote-admin").allow_na
    for questionnaire, question_id in (
        (full, "pentest-date"),
        (full, "restore-test-date"),
        (full, "continuity-test-date"),
        (light, "restore-test-date"),
    ):
        assert questionnaire.question(question_id).not_future, question_id
    for questionnaire in load_all().values():
        for question in questionnaire.questions():
            if question.type == "number":
                assert question.positive, (questionnaire.id, question.id)


def test_never_having_had_a_pentest_can_be_said_and_is_high() -> None:
    from bot.questionnaires.judge import judge_question

    full = get_questionnaire("bio2-leverancier")
    findings, _ = judge_question(full.question("pentest-done"), "never", (), date(2026, 12, 3))
    assert [f.severity for f in findings] == ["high"]
    assert not full.question("pentest-date").is_shown({"pentest-done": "never"}, {})


def test_approved_mitigations_for_remote_mfa_are_an_answer_of_their_own_at_medium_with_evidence() -> None:
    from bot.questionnaires.judge import judge_question

    question = get_questionnaire("bio2-leverancier").question("mfa-remote")
    findings, _ = judge_question(question, "approved-mitigation", (), date(2026, 12, 3))
    assert [(f.rule, f.severity) for f in findings][0][1] == "medium"
    assert ("evidence-missing", "medium") in [(f.rule, f.severity) for f in findings]


def test_the_citation_errors_of_the_review_are_fixed() -> None:
    full, light = get_questionnaire("bio2-leverancier"), get_questionnaire("bio2-leverancier-licht")
    processor = get_questionnaire("avg-verwerker")
    assert full.question("mfa-admin").measures == ("5.17.01",)
    assert light.question("mfa-remote-admin").measures == ("5.17.01",)
    assert "5.30.02" not in full.question("rto-hours").measures
    assert "8.31.02" not in full.question("no-testing-in-production").measures
    assert full.question("incident-notice-hours").measures == ("5.20.05",)
    assert "5.20.05" in processor.question("breach-notice-hours").measures
    assert processor.question("staff-confidentiality").measures[0] == "6.06.01"
    assert processor.question("dpia-support").measures[0] == "5.34.01"
    assert full.question("admin-passwords-unique").measures == ("5.17.02",)
    assert full.question("joiners-leavers").measures == ("5.16.01",)
    assert full.question("municipality-access-on-demand").measures == ("8.05.01",)
    assert "5.34.01" in full.question("data-location").measures


def test_reasons_are_declarations_and_name_no_incident_or_password() -> None:
    for questionnaire in load_all().values():
        for question in questionnaire.questions():
            for rule in question.rules:
                text = rule.reason.nl + rule.reason.en
                assert "Hof van Twente" not in text and "Welkom2020" not in text, question.id
    full = get_questionnaire("bio2-leverancier")
    for question_id in ("mfa-admin", "mfa-remote", "pentest-done", "internet-facing-register"):
        assert all(r.reason.nl.startswith("De leverancier geeft aan") for r in full.question(question_id).rules)


# The topics a municipality asks in 2026 (review of December 2026, section 5), each asked by the full questionnaire.
TOPICS_2026 = {
    "Cyberbeveiligingswet (NIS2) status": ["nis2-status", "nis2-registered", "nis2-early-warning"],
    "change of control and foreign jurisdiction": [
        "parent-company",
        "control-change-notice",
        "key-custody",
        "foreign-government-requests",
    ],
    "SBOM and Cyber Resilience Act": ["supply-chain-security", "cra-readiness"],
    "GIBIT applicability": ["gibit-applies"],
    "escrow or a SaaS continuity arrangement": ["continuity-arrangement"],
    "insurance": ["insurance"],
    "municipal data used for AI": ["data-for-ai"],
    "shared responsibility and the duty to warn": [
        "responsibility-matrix",
        "duty-to-warn",
        "municipality-admin-accounts",
    ],
    "security monitoring versus functional monitoring": ["monitoring-in-contract"],
    "Dutch assurance practice": [
        "assurance-criteria",
        "assurance-user-controls",
        "iso27001-edition",
        "iso27001-last-audit",
    ],
}


@pytest.mark.parametrize("topic", sorted(TOPICS_2026))
def test_the_full_questionnaire_asks_each_2026_topic(topic: str) -> None:
    asked = {question.id for question in get_questionnaire("bio2-leverancier").questions()}
    assert [q for q in TOPICS_2026[topic] if q not in asked] == [], topic


def test_an_iso_27001_2013_certificate_is_a_high_finding() -> None:
    from bot.questionnaires.judge import judge

    questionnaire = get_questionnaire("bio2-leverancier")
    result = judge(questionnaire, {"iso27001-certified": "yes", "iso27001-edition": "2013"}, {}, date(2026, 12, 3))
    [finding] = [f for f in result.findings if f.question_id == "iso27001-edition"]
    assert finding.severity == "high" and finding.reason.nl.startswith("De leverancier geeft aan")


@pytest.mark.parametrize("measure", ["5.20.01", "5.20.04"])
def test_the_light_questionnaire_asks_what_bio2_asks_of_every_contract(measure: str) -> None:
    cited = {m for question in get_questionnaire("bio2-leverancier-licht").questions() for m in question.measures}
    assert measure in cited
