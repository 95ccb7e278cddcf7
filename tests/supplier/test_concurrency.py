"""Twenty concurrent submissions of one uitvraag (a double click, many tabs, a retrying client): exactly one wins."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlmodel import select

from bot.models import Finding, OutboxMessage, Submission
from tests.supplier.helpers import rows
from tests.support.factories import make_uitvraag

ATTESTATION = {"name": "Sam Leverancier", "role": "CISO", "email": "sam@leverancier.test", "truthful": "yes"}
ANSWERS = {"has-iso": "no", "notice-hours": 4, "mfa": "yes", "controls": ["backups"]}


def run_together(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def one(index):
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.slow
def test_twenty_concurrent_form_submissions_store_exactly_one(live_server, session):
    made = make_uitvraag(session, base_url=live_server.url)
    browsers = []
    for _ in range(20):
        browser = requests.Session()
        assert browser.get(f"{live_server.url}/q/{made.token}", allow_redirects=False, timeout=10).status_code == 303
        browsers.append(browser)
    api = {"Authorization": f"Bearer {made.token}"}
    assert requests.patch(
        f"{live_server.url}/api/v1/uitvraag/answers", json={"answers": ANSWERS}, headers=api, timeout=10
    ).ok

    def submit(index):
        response = browsers[index].post(
            f"{live_server.url}/q/uitvraag/{made.id}/submit", data=ATTESTATION, allow_redirects=False, timeout=60
        )
        return response.status_code, response.text

    results = run_together(20, submit)
    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [409] * 19, statuses
    assert all("Al ingediend" in text for status, text in results if status == 409)
    assert len(rows(session, select(Submission))) == 1
    assert len(rows(session, select(OutboxMessage).where(OutboxMessage.kind == "receipt"))) == 1
    findings = rows(session, select(Finding).where(Finding.uitvraag_id == made.id))
    assert len(findings) == len({(f.question_id, f.rule) for f in findings})


@pytest.mark.slow
def test_twenty_concurrent_api_submissions_store_exactly_one(live_server, session):
    made = make_uitvraag(session, base_url=live_server.url)
    api = {"Authorization": f"Bearer {made.token}"}
    assert requests.patch(
        f"{live_server.url}/api/v1/uitvraag/answers", json={"answers": ANSWERS}, headers=api, timeout=10
    ).ok
    attestation = dict(ATTESTATION, truthful=True)

    def submit(_index):
        return requests.post(
            f"{live_server.url}/api/v1/uitvraag/submit", json={"attestation": attestation}, headers=api, timeout=60
        ).status_code

    statuses = sorted(run_together(20, submit))
    assert statuses == [201] + [409] * 19, statuses
    assert len(rows(session, select(Submission))) == 1
