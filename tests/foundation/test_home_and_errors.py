"""The landing page leads suppliers and staff on; error pages speak Dutch (with English) and lead back."""

from __future__ import annotations


def test_the_home_page_links_staff_to_the_sign_in_page(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/staff/signin"' in page and "Aanmelden in de beheeromgeving" in page
    assert 'href="/staff/signin?lang=en"' in page
    assert client.get("/staff/signin").status_code == 200


def test_an_unknown_page_answers_in_dutch_with_a_way_back(client):
    response = client.get("/does-not-exist")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Pagina niet gevonden" in page and 'lang="en"' in page and 'href="/"' in page
    assert "The requested URL was not found on the server" not in page


def test_an_error_with_its_own_explanation_keeps_it(app, client):
    from flask import abort

    @app.get("/_forbidden_for_test")
    def _forbidden():  # type: ignore[no-untyped-def]
        abort(403, "U mag alleen handelen voor uw eigen contracten.")

    page = client.get("/_forbidden_for_test").get_data(as_text=True)
    assert "Geen toegang" in page and "U mag alleen handelen voor uw eigen contracten." in page


def test_api_errors_stay_json(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404 and response.is_json


def test_an_error_on_an_english_page_is_in_english(app, client):
    from flask import abort, g

    @app.get("/_english_page_for_test")
    def _english():  # type: ignore[no-untyped-def]
        g.lang = "en"  # as the supplier form's switch or a staff user's language sets it
        abort(404)

    response = client.get("/_english_page_for_test")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in page and "To the home page" in page and "Error code 404" in page
    assert "Pagina niet gevonden" not in page
