"""NUL characters never reach a query (PostgreSQL refuses them: they would end in a 500)."""

import json

import pytest


class NullCharacterTests:
    @pytest.mark.parametrize("url", ["/api/v1/shops/%00/", "/compounds/T-C01%00/", "/api/v1/areas/41%000/"])
    def test_it_finds_nothing_at_a_path_holding_one(self, cast, url):
        assert cast.client(cast.director).get(url).status_code == 404

    @pytest.mark.parametrize("url", ["/api/v1/shops/?search=%00", "/api/v1/compounds/?q=a%00b", "/shops/?q=%00"])
    def test_it_refuses_a_query_holding_one(self, cast, url):
        assert cast.client(cast.director).get(url).status_code == 400

    @pytest.mark.parametrize("field", ["area", "trade", "name"])
    def test_it_refuses_one_in_a_json_field(self, cast, field):
        body = {"code": "X-9", "name": "面馆", "trade": "restaurant", "area": cast.grid1.code, "address": "俭学街9号"}
        body[field] += "\x00"  # json.dumps writes it as \u0000, as a client would send it
        response = cast.client(cast.director).post("/api/v1/shops/", json.dumps(body), content_type="application/json")
        assert response.status_code == 400
        assert field in response.json()

    def test_it_lets_ordinary_requests_through(self, cast):
        assert cast.client(cast.director).get("/api/v1/shops/?search=面").status_code == 200
