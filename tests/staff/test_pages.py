"""Staff pages show a municipality its own uitvragen, with weak answers and findings highlighted."""

from __future__ import annotations

from tests.staff.world import sign_in


def test_overview_counts_and_lists_the_cycle(client, world, now):
    sign_in(client, world.ciso, now)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Overzicht 2026-Q4" in page
    assert "Wolk Hosting BV" in page and "Zaakwijs BV" in page
    # one submitted, one opened that is overdue and escalated
    assert '<li class="card-submitted"><a' in page
    counts = page.split('id="counts"')[1].split("</ul>")[0]
    assert "<strong>1</strong> Ingediend" in counts
    assert "<strong>1</strong> Te laat" in counts
    assert "<strong>1</strong> Geëscaleerd" in counts
    assert "<svg" in page and "Score per ronde: 2023-Q4: 55, 2026-Q3: 72, 2026-Q4: 41" in page


def test_uitvraag_page_shows_answers_findings_measures_and_receipt(client, world, now):
    sign_in(client, world.ciso, now)
    page = client.get(f"/staff/uitvragen/{world.uitvraag.id}").get_data(as_text=True)
    assert "Is meerfactorauthenticatie verplicht voor beheer op afstand?" in page
    assert "staff-answer-weak" in page
    assert "Geen MFA op beheertoegang op afstand." in page
    assert "8.05.01" in page and "5.20.05" in page
    assert "48 uur" in page
    assert world_digest(world) in page
    assert f"/staff/evidence/{world.evidence.id}" in page


def world_digest(world):
    import hashlib

    return hashlib.sha256(b"testdorp.nl-submission").hexdigest()
