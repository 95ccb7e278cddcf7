"""Which questionnaires a contract gets."""

from __future__ import annotations

import pytest

from bot.questionnaires.loader import load_all
from bot.questionnaires.selection import questionnaires_for


@pytest.mark.parametrize(
    ("risk_tier", "personal_data", "expected"),
    [
        ("high", False, ["bio2-leverancier"]),
        ("high", True, ["bio2-leverancier", "avg-verwerker"]),
        ("medium", False, ["bio2-leverancier"]),
        ("medium", True, ["bio2-leverancier", "avg-verwerker"]),
        ("low", False, ["bio2-leverancier-licht"]),
        ("low", True, ["bio2-leverancier-licht", "avg-verwerker"]),
    ],
)
def test_contract_gets_questionnaires_by_risk_tier_and_personal_data(
    risk_tier: str, personal_data: bool, expected: list[str]
) -> None:
    facts = {"risk_tier": risk_tier, "personal_data": personal_data, "cloud_hosted": True}
    assert questionnaires_for(facts) == expected
    assert set(expected) <= set(load_all())


def test_unknown_risk_tier_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown risk tier 'extreme'"):
        questionnaires_for({"risk_tier": "extreme", "personal_data": False, "cloud_hosted": False})
