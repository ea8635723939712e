"""A URL under /api/ that names no operation answers 404 in the API's shape (JSON), found by the API fuzzer
(test_api_fuzz.py): the routers' lookup pattern takes no dot, so `/api/v1/campaigns/1.5/` fell through to the staff
pages' HTML 404, and a POST with a session cookie to Django's HTML CSRF failure page (403)."""

from django.test import Client


def test_it_answers_json_404_for_a_path_the_routers_do_not_match(cast):
    client = cast.client(cast.director)
    for path in ("/api/v1/campaigns/3.26e-84/", "/api/v1/inspections/1.5/", "/api/v1/nothing/", "/api/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert set(response.json()) == {"detail"}, path


def test_it_answers_json_404_to_a_post_with_a_session_but_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.director)
    response = client.post("/api/v1/assignments/-5.75e-18/end/", {})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_still_adds_the_missing_slash(cast):
    response = cast.client(cast.director).get("/api/v1/compounds")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/compounds/"


def test_it_leaves_the_pages_404_alone(cast):
    response = cast.client(cast.director).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
