"""F6: every route of the URL map, with hostile ids, numbers and values in its path, query and form, as a visitor,
a signed-in staff member and a supplier: no answer is a 5xx.

The query and form field names are read from the code (`request.args.get("...")` etc.), so a new parameter is walked
as soon as it exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.access import issue_token
from tests.staff.world import build_world, sign_in

ROOT = Path(__file__).resolve().parents[2]
# Non-ASCII digits ("²" and "①" pass str.isdigit, "٣" passes int()), ids past every integer type, signs, spaces,
# NUL, and text a parser may trip over.
HOSTILE = [
    "²",
    "①",
    "٣",
    "9999999999999999999999999",
    str(2**63),
    str(2**31),
    "-1",
    "0",
    " 1",
    "1e3",
    "0x10",
    "\x00",
    "%",
    "a" * 300,
    "\u202e1",
    "'\"<x>",
]
_PARAM = re.compile(r"request\.(args|form)\.(?:get|getlist)\(\"([A-Za-z_]+)\"")


def _parameters() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"args": set(), "form": set()}
    for path in (ROOT / "bot").rglob("*.py"):
        for where, name in _PARAM.findall(path.read_text(encoding="utf-8")):
            found[where].add(name)
    return found


def _paths(rule: Any, value: str) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?" + argument + ">", value.replace("%", "%25"), path)
    return path


@pytest.fixture
def visitors(app, session, tmp_path):
    from bot.timeutil import utcnow

    now = utcnow().replace(microsecond=0)
    world = build_world(session, now=now, upload_dir=tmp_path / "uploads")
    staff = app.test_client()
    sign_in(staff, world.ciso, now)
    supplier = app.test_client()
    token = issue_token(session, uitvraag=world.overdue, now=now, grace_days=3650)
    session.commit()
    assert supplier.get(f"/q/{token}").status_code in (302, 303)
    api = {"Authorization": f"Bearer {token}"}
    return {
        "visitor": (app.test_client(), {}),
        "staff": (staff, {}),
        "supplier": (supplier, {}),
        "api": (app.test_client(), api),
    }


def test_hostile_values_in_every_route_never_answer_5xx(app, visitors) -> None:
    parameters = _parameters()
    assert {"supplier", "uitvraag"} <= parameters["args"] and "remove" in parameters["form"]
    failures = []
    requests = 0
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    for who, (client, headers) in visitors.items():
        for rule in rules:
            if rule.endpoint == "staff.signout" and who == "staff":
                continue  # it would end the session the rest of the walk uses; walked by the others
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for value in HOSTILE:
                    path = _paths(rule, value) if rule.arguments else rule.rule
                    query = {name: value for name in parameters["args"]}
                    form = {name: value for name in parameters["form"]}
                    kwargs: dict[str, Any] = {"query_string": query, "headers": headers}
                    if method != "GET":
                        kwargs["data"] = form
                    response = client.open(path, method=method, **kwargs)
                    requests += 1
                    # A readiness probe says 503 "not ready" (no worker here) by contract, whatever it is asked.
                    probe = rule.rule.startswith("/readyz") and response.status_code == 503
                    if response.status_code >= 500 and not probe:
                        failures.append((who, method, path, value, response.status_code))
    assert requests > 1000
    assert failures == []


@pytest.mark.parametrize("depth", [33, 10_000, 200_000])
def test_deeply_nested_json_is_refused_with_a_clear_error(app, visitors, depth) -> None:
    body = '{"answers": {"q": ' + "[" * depth + "]" * depth + "}}"
    client, headers = visitors["api"]
    response = client.patch(
        "/api/v1/uitvraag/answers", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "nested more than 32 levels" in response.get_json()["message"]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    from bot.supplier.api import json_depth

    assert json_depth('{"a": "[[[[{{{{\\"]]]", "b": [[1]]}') == 3
