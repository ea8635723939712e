"""The territory's REST API: scoped lists and details, writes through the services, errors as 400, no clear PII."""

import re

import pytest

from wangge.accounts import services as account_services
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.territory import services
from wangge.territory.models import Assignment, Building, Compound, PartnerUnit, Shop, Trade

LISTS = [
    "/api/v1/areas/",
    "/api/v1/compounds/",
    "/api/v1/buildings/?kind=office",
    "/api/v1/shops/",
    "/api/v1/partner-units/",
    "/api/v1/assignments/",
    "/api/v1/coverage/",
]

# What each list holds for whom, by code (coverage: by grid code).
HOME_GRIDS = ["410105008004001", "410105008004002"]
EXPECTED = {
    "director": {
        "/api/v1/areas/": ["410105008004", *HOME_GRIDS],
        "/api/v1/compounds/": ["T-C01", "T-C02"],
        "/api/v1/buildings/?kind=office": ["T-O1"],
        "/api/v1/shops/": ["T-S001", "T-S002"],
        "/api/v1/partner-units/": ["T-P1"],
        "/api/v1/coverage/": HOME_GRIDS,
    },
    "grid_worker": {
        "/api/v1/areas/": ["410105008004001"],
        "/api/v1/compounds/": ["T-C01"],
        "/api/v1/buildings/?kind=office": [],
        "/api/v1/shops/": ["T-S001"],
        "/api/v1/partner-units/": [],
        "/api/v1/coverage/": ["410105008004001"],
    },
    "building_leader": {
        "/api/v1/areas/": [],
        "/api/v1/compounds/": ["T-C01"],
        "/api/v1/buildings/?kind=office": [],
        "/api/v1/shops/": [],
        "/api/v1/partner-units/": [],
        "/api/v1/coverage/": [],
    },
    "outsider": {
        "/api/v1/areas/": ["410105008005", "410105008005001"],
        "/api/v1/compounds/": ["N-C01"],
        "/api/v1/buildings/?kind=office": [],
        "/api/v1/shops/": ["N-S001"],
        "/api/v1/partner-units/": [],
        "/api/v1/coverage/": ["410105008005001"],
    },
}

# Details of home's places and areas, which nobody outside home may learn of.
HOME_DETAILS = [
    "/api/v1/areas/410105008004/",
    "/api/v1/areas/410105008004001/",
    "/api/v1/compounds/T-C01/",
    "/api/v1/buildings/T-C01-B1/",
    "/api/v1/buildings/T-O1/",
    "/api/v1/shops/T-S001/",
    "/api/v1/partner-units/T-P1/",
]

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def listed(response) -> list[str]:
    data = response.json()
    if isinstance(data, list):  # the coverage report: one entry per grid
        return [entry["grid"] for entry in data]
    return [row.get("code") or row.get("id") for row in data["results"]]


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def patch(client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


def shop_data(**overrides) -> dict:
    data = {
        "code": "T-S003",
        "name": "测试水果店",
        "trade": "grocery",
        "area": "410105008004001",
        "address": "俭学街3号",
        "contact_name": "王测试",
        "contact_phone": "139 0000 5678",
    }
    return {**data, **overrides}


@pytest.fixture
def assignment(cast) -> Assignment:
    return services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1, duty="巡查")


def statuses(client, urls: list[str]) -> dict[str, int]:
    """The status of each URL for one client: compared as a whole, a failure names every URL that differs."""
    return {url: client.get(url).status_code for url in urls}


class ApiAccessTests:
    def test_it_refuses_anonymous_callers(self, cast):
        seen = statuses(cast.client(None), [*LISTS, *HOME_DETAILS])
        assert {url: status in (401, 403) for url, status in seen.items()} == dict.fromkeys(seen, True), seen

    def test_it_refuses_anonymous_writes(self, cast):
        response = post(cast.client(None), "/api/v1/compounds/", {"code": "T-C03"})
        assert response.status_code in (401, 403)
        assert not Compound.objects.filter(code="T-C03").exists()

    @pytest.mark.parametrize("url", [url for url in LISTS if url != "/api/v1/assignments/"])
    def test_it_lists_what_is_in_scope(self, cast, url):
        seen, counts = {}, {}
        for who in EXPECTED:
            response = cast.client(getattr(cast, who)).get(url)
            assert response.status_code == 200, who
            seen[who] = listed(response)
            if url != "/api/v1/coverage/":
                counts[who] = response.json()["count"]
        assert seen == {who: EXPECTED[who][url] for who in EXPECTED}
        if counts:
            assert counts == {who: len(EXPECTED[who][url]) for who in EXPECTED}

    def test_it_lists_nothing_of_home_to_the_outsider(self, cast, assignment):
        client = cast.client(cast.outsider)
        for url in LISTS:
            response = client.get(url)
            assert response.status_code == 200, url
            content = response.content.decode()
            assert "T-" not in content, url
            assert "410105008004" not in content, url

    def test_it_refuses_a_resident_account(self, cast, assignment):
        # A resident's role takes no action in the office API: 403, as on the office pages.
        client = cast.client(cast.resident)
        for url in LISTS:
            assert client.get(url).status_code == 403, url

    def test_it_lists_assignments_in_scope(self, cast, assignment):
        services.assignment_create(actor=None, person=cast.director, place=cast.shop2)
        ids = {who: listed(cast.client(getattr(cast, who)).get("/api/v1/assignments/")) for who in EXPECTED}
        assert ids["director"] == sorted(ids["director"]) and len(ids["director"]) == 2
        assert ids["grid_worker"] == [assignment.pk]
        assert ids["building_leader"] == [assignment.pk]
        assert ids["outsider"] == []

    def test_it_shows_home_details_to_the_director(self, cast):
        assert statuses(cast.client(cast.director), HOME_DETAILS) == dict.fromkeys(HOME_DETAILS, 200)

    def test_it_answers_404_to_the_outsider_for_home_details(self, cast):
        assert statuses(cast.client(cast.outsider), HOME_DETAILS) == dict.fromkeys(HOME_DETAILS, 404)

    @pytest.mark.parametrize(
        ("who", "urls"),
        [
            ("grid_worker", ["/api/v1/shops/T-S002/", "/api/v1/buildings/T-O1/"]),
            (
                "grid_leader",
                ["/api/v1/compounds/T-C02/", "/api/v1/areas/410105008004002/", "/api/v1/partner-units/T-P1/"],
            ),
            ("building_leader", ["/api/v1/shops/T-S001/", "/api/v1/areas/410105008004001/"]),
        ],
    )
    def test_it_answers_404_for_another_grids_detail(self, cast, who, urls):
        assert statuses(cast.client(getattr(cast, who)), urls) == dict.fromkeys(urls, 404)

    def test_it_answers_404_to_the_outsider_for_a_home_assignment(self, cast, assignment):
        url = f"/api/v1/assignments/{assignment.pk}/"
        assert cast.client(cast.director).get(url).status_code == 200
        assert cast.client(cast.outsider).get(url).status_code == 404

    def test_it_accepts_an_api_key(self, cast):
        api_key, key = account_services.api_key_create(actor=None, user=cast.grid_worker, name="测试系统")
        client = cast.client(None)
        response = client.get("/api/v1/shops/", headers={"Authorization": f"Token {key}"})
        assert listed(response) == ["T-S001"]
        account_services.api_key_revoke(actor=None, api_key=api_key)
        assert client.get("/api/v1/shops/", headers={"Authorization": f"Token {key}"}).status_code == 401


class ApiCreateTests:
    @pytest.mark.parametrize(
        ("url", "data", "model"),
        [
            (
                "/api/v1/compounds/",
                {"code": "T-C03", "name": "测试三号院", "area": "410105008004002", "management": "none"},
                Compound,
            ),
            ("/api/v1/buildings/", {"code": "T-C02-B1", "name": "二号院一号楼", "compound": "T-C02"}, Building),
            (
                "/api/v1/buildings/",
                {"code": "T-O2", "name": "测试大厦", "kind": "office", "area": "410105008004001"},
                Building,
            ),
            ("/api/v1/shops/", shop_data(), Shop),
            (
                "/api/v1/partner-units/",
                {"code": "T-P2", "name": "测试医院", "kind": "institution", "area": "410105008004"},
                PartnerUnit,
            ),
        ],
        ids=["compound", "building-in-compound", "office-building", "shop", "partner-unit"],
    )
    def test_it_creates_a_place_and_records_it(self, cast, url, data, model):
        response = post(cast.client(cast.director), url, data)
        assert response.status_code == 201, response.content
        assert response.json()["code"] == data["code"]
        place = model.objects.get(code=data["code"])
        event = AuditEvent.objects.get(action=f"{model._meta.model_name}.create", object_id=str(place.pk))
        assert event.actor == cast.director
        assert event.request_id == response["X-Request-ID"]

    def test_it_files_a_building_under_its_compounds_grid(self, cast):
        response = post(
            cast.client(cast.director),
            "/api/v1/buildings/",
            {"code": "T-C02-B1", "name": "二号院一号楼", "compound": "T-C02", "area": "410105008004001"},
        )
        assert response.status_code == 201
        assert response.json()["area"] == "410105008004002"

    def test_it_refuses_roles_that_may_not_add(self, cast):
        # Refused for the role, whatever the input: 403, not a 400 about a grid the role cannot see.
        data = {"code": "T-C03", "name": "测试三号院", "area": "410105008004001", "management": "none"}
        roles = ["grid_worker", "building_leader", "auditor", "resident"]
        seen = {who: post(cast.client(getattr(cast, who)), "/api/v1/compounds/", data).status_code for who in roles}
        assert seen == dict.fromkeys(roles, 403)
        assert not Compound.objects.filter(code="T-C03").exists()

    def test_it_refuses_a_grid_leader_a_compound_in_another_grid(self, cast):
        data = {"code": "T-C03", "name": "测试三号院", "area": "410105008004002", "management": "none"}
        response = post(cast.client(cast.grid_leader), "/api/v1/compounds/", data)
        assert response.status_code == 400
        assert "area" in response.json()
        assert not Compound.objects.filter(code="T-C03").exists()

    def test_it_answers_bad_input_with_400_and_writes_nothing(self, cast):
        client = cast.client(cast.director)
        shops, events = Shop.objects.count(), AuditEvent.objects.count()
        for data, field in [
            (shop_data(contact_phone="12345"), "contact_phone"),
            (shop_data(area="410105008004999"), "area"),  # no such grid
            (shop_data(area="410105008005001"), "area"),  # next door's grid: not among the director's
            (shop_data(code="T-S001"), "code"),  # taken
            (shop_data(code="T S003"), "code"),
            (shop_data(trade="casino"), "trade"),
            (shop_data(longitude=113.6610, latitude=34.7900), "non_field_errors"),  # in grid 2
            (shop_data(longitude=113.6570), "non_field_errors"),  # half a point
            (shop_data(licence_number="91410105TEST00001"), "licence_number"),  # taken
        ]:
            response = post(client, "/api/v1/shops/", data)
            assert response.status_code == 400, (data, response.content)
            messages = response.json()[field]
            assert messages and all(isinstance(m, str) and m for m in messages), messages
        assert (Shop.objects.count(), AuditEvent.objects.count()) == (shops, events)

    def test_it_explains_errors_in_chinese(self, cast):
        response = post(cast.client(cast.director), "/api/v1/shops/", shop_data(contact_phone="12345"))
        assert "手机号码" in response.json()["contact_phone"][0]
        response = post(cast.client(cast.director), "/api/v1/shops/", shop_data(longitude=113.6610, latitude=34.79))
        assert "不在第一网格范围内" in response.json()["non_field_errors"][0]


class ApiUpdateTests:
    def test_it_lets_a_grid_worker_change_a_shop_of_their_grid(self, cast):
        response = patch(cast.client(cast.grid_worker), "/api/v1/shops/T-S001/", {"status": "closed"})
        assert response.status_code == 200, response.content
        assert Shop.objects.get(code="T-S001").status == "closed"
        event = AuditEvent.objects.get(action="shop.update", object_id=str(cast.shop1.pk))
        assert (event.before["status"], event.after["status"], event.actor) == ("open", "closed", cast.grid_worker)

    def test_it_answers_404_for_a_shop_of_another_grid(self, cast):
        response = patch(cast.client(cast.grid_worker), "/api/v1/shops/T-S002/", {"status": "closed"})
        assert response.status_code == 404
        assert Shop.objects.get(code="T-S002").status == "open"

    def test_it_refuses_to_move_a_shop_out_of_the_callers_grid(self, cast):
        response = patch(cast.client(cast.grid_worker), "/api/v1/shops/T-S001/", {"area": "410105008004002"})
        assert response.status_code in (400, 403)
        assert Shop.objects.get(code="T-S001").area == cast.grid1

    def test_it_refuses_a_change_to_a_role_that_sees_but_may_not_change(self, cast):
        for who in ("building_leader", "auditor"):
            response = patch(cast.client(getattr(cast, who)), "/api/v1/compounds/T-C01/", {"name": "改名"})
            assert response.status_code == 403
        assert Compound.objects.get(code="T-C01").name == "测试一号院"

    def test_it_answers_404_to_the_outsider_for_a_change(self, cast):
        response = patch(cast.client(cast.outsider), "/api/v1/compounds/T-C01/", {"name": "改名"})
        assert response.status_code == 404
        assert Compound.objects.get(code="T-C01").name == "测试一号院"

    def test_it_refuses_a_bad_phone_on_change(self, cast):
        response = patch(cast.client(cast.grid_worker), "/api/v1/shops/T-S001/", {"contact_phone": "0000"})
        assert response.status_code == 400
        assert Shop.objects.get(code="T-S001").contact_phone == "13800001234"

    def test_it_keeps_a_compounds_code(self, cast):
        response = patch(cast.client(cast.director), "/api/v1/compounds/T-C01/", {"code": "T-C99"})
        assert response.status_code == 400
        assert Compound.objects.filter(code="T-C01").exists()

    def test_it_offers_no_delete(self, cast):
        response = cast.client(cast.director).delete("/api/v1/shops/T-S001/")
        assert response.status_code == 405
        assert Shop.objects.filter(code="T-S001").exists()


class ApiPersonalDataTests:
    def test_it_shows_the_contact_masked_in_lists_and_details(self, cast):
        client = cast.client(cast.director)
        row = client.get("/api/v1/shops/").json()["results"][0]
        detail = client.get("/api/v1/shops/T-S001/").json()
        for data in (row, detail):
            assert data["contact_phone_masked"] == "138****1234"
            assert data["contact_name_masked"] == "甄**"
            assert "contact_phone" not in data
            assert "contact_name" not in data

    def test_it_never_answers_with_the_clear_phone(self, cast):
        client = cast.client(cast.director)
        responses = [
            client.get("/api/v1/shops/"),
            client.get("/api/v1/shops/T-S001/"),
            patch(client, "/api/v1/shops/T-S001/", {"name": "测试面馆二店"}),
            post(client, "/api/v1/shops/", shop_data()),
            post(
                client,
                "/api/v1/partner-units/",
                {
                    "code": "T-P2",
                    "name": "单位",
                    "kind": "institution",
                    "area": "410105008004",
                    "contact_phone": "13700001111",
                },
            ),
        ]
        for response in responses:
            assert response.status_code in (200, 201), response.content
            assert not MOBILE.search(response.content.decode()), response.content

    def test_it_keeps_the_phone_when_a_change_leaves_it_out(self, cast):
        patch(cast.client(cast.grid_worker), "/api/v1/shops/T-S001/", {"name": "测试面馆二店"})
        assert Shop.objects.get(code="T-S001").contact_phone == "13800001234"


class ApiAssignmentTests:
    def data(self, **overrides) -> dict:
        return {"person": "gridworker", "place_kind": "compound", "place": "T-C01", "duty": "巡查", **overrides}

    def test_it_names_a_responsible_person(self, cast):
        response = post(cast.client(cast.grid_leader), "/api/v1/assignments/", self.data())
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["person"], body["person_name"], body["place"], body["place_name"]) == (
            "gridworker",
            "网格员丙",
            "T-C01",
            "测试一号院",
        )
        assignment = Assignment.objects.get(pk=body["id"])
        assert AuditEvent.objects.filter(action="assignment.create", object_id=str(assignment.pk)).exists()

    def test_it_names_one_for_a_dwelling_by_its_id(self, cast):
        dwelling = cast.dwellings[0]
        response = post(
            cast.client(cast.director), "/api/v1/assignments/", self.data(place_kind="dwelling", place=str(dwelling.pk))
        )
        assert response.status_code == 201, response.content
        assert response.json()["place"] == str(dwelling.pk)

    def test_it_refuses_a_person_outside_the_area(self, cast):
        response = post(cast.client(cast.director), "/api/v1/assignments/", self.data(person="outsider"))
        assert response.status_code == 400
        assert response.json()["person"]
        assert not Assignment.objects.exists()

    def test_it_refuses_bad_input(self, cast):
        client = cast.client(cast.director)
        for overrides, field in [
            ({"person": "resident"}, "person"),
            ({"person": "nobody"}, "person"),
            ({"place": "N-C01"}, "place"),  # next door's compound: no such place for the director
            ({"place": "T-C99"}, "place"),
            ({"place_kind": "castle"}, "place_kind"),
            ({"place_kind": "dwelling", "place": "abc"}, "place"),
        ]:
            response = post(client, "/api/v1/assignments/", self.data(**overrides))
            assert response.status_code == 400, overrides
            assert field in response.json(), response.json()
        assert not Assignment.objects.exists()

    def test_it_refuses_a_duplicate(self, cast, assignment):
        response = post(cast.client(cast.director), "/api/v1/assignments/", self.data())
        assert response.status_code == 400
        assert Assignment.objects.count() == 1

    def test_it_refuses_roles_that_may_not_assign(self, cast):
        roles = ["grid_worker", "building_leader", "auditor"]
        seen = {
            who: post(cast.client(getattr(cast, who)), "/api/v1/assignments/", self.data()).status_code for who in roles
        }
        assert seen == dict.fromkeys(roles, 403)
        assert not Assignment.objects.exists()

    def test_it_ends_an_assignment(self, cast, assignment):
        # The viewset's documentation promises `POST {id}/end/`.
        response = post(cast.client(cast.grid_leader), f"/api/v1/assignments/{assignment.pk}/end/", {})
        assert response.status_code == 200, response.status_code
        assignment.refresh_from_db()
        assert not assignment.active

    def test_it_filters_by_kind_and_person(self, cast, assignment):
        other = services.assignment_create(actor=None, person=cast.director, place=cast.shop2)
        client = cast.client(cast.director)
        assert listed(client.get("/api/v1/assignments/", {"place_kind": "shop"})) == [other.pk]
        assert listed(client.get("/api/v1/assignments/", {"person": "gridworker"})) == [assignment.pk]


class ApiCoverageTests:
    def test_it_reports_the_unassigned_places_per_grid(self, cast, assignment):
        entries = {e["grid"]: e for e in cast.client(cast.director).get("/api/v1/coverage/").json()}
        grid1 = entries["410105008004001"]
        assert grid1["unassigned"]["compound"] == []
        assert grid1["unassigned"]["shop"] == ["T-S001"]
        assert grid1["unassigned"]["building"] == ["T-C01-B1"]
        assert grid1["places"] == 1 + 1 + 2 + 1
        assert grid1["unassigned_count"] == 4
        assert entries["410105008004002"]["unassigned"]["compound"] == ["T-C02"]


def _add_places(cast, start: int, count: int) -> None:
    """`count` more of every kind of place in grid 1, each with a responsible person, numbered from `start`."""
    grocery = Trade.objects.get(code="grocery")
    for number in range(start, start + count):
        compound = services.compound_create(
            actor=None, code=f"Q-C{number:03}", name=f"批量院{number}", area=cast.grid1, management="none"
        )
        building = services.building_create(
            actor=None, code=f"Q-O{number:03}", name=f"批量楼{number}", kind="office", area=cast.grid1
        )
        dwelling = services.dwelling_create(actor=None, building=cast.building1, number=f"2{number:02}")
        shop = services.shop_create(
            actor=None,
            code=f"Q-S{number:03}",
            name=f"批量店{number}",
            trade=grocery,
            area=cast.grid1,
            address="俭学街",
            contact_phone=f"139{number:08}",
        )
        services.partner_unit_create(
            actor=None, code=f"Q-P{number:03}", name=f"单位{number}", kind="institution", area=cast.home
        )
        for place in (compound, building, dwelling, shop):
            services.assignment_create(actor=None, person=cast.grid_worker, place=place)


class ApiQueryCountTests:
    @pytest.mark.parametrize("who", ["director", "grid_leader"])
    def test_it_uses_as_many_queries_for_many_rows_as_for_few(self, cast, who):
        urls = [*LISTS, "/api/v1/buildings/", "/api/v1/shops/?search=批量&ordering=-name"]
        client = cast.client(getattr(cast, who))
        _add_places(cast, 1, 5)
        few = query_counts(client, urls)
        _add_places(cast, 6, 30)
        many = query_counts(client, urls)
        assert many == few


class ApiSchemaTests:
    def test_it_serves_an_openapi_document(self, cast):
        response = cast.client(cast.director).get("/api/schema/", {"format": "json"})
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        for path in ("/api/v1/shops/", "/api/v1/shops/{code}/", "/api/v1/assignments/", "/api/v1/coverage/"):
            assert path in schema["paths"]

    def test_it_describes_no_clear_phone_in_shop_responses(self, cast):
        schema = cast.client(cast.director).get("/api/schema/", {"format": "json"}).json()
        shop = schema["components"]["schemas"]["Shop"]["properties"]
        assert "contact_phone_masked" in shop
        assert "contact_phone" not in shop

    def test_it_documents_the_errors_each_operation_answers_with(self, cast):
        # Found by the API fuzzer (core/tests/test_api_fuzz.py): these answered 400/404 with only 200 documented.
        client = cast.client(cast.director)
        paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
        assert client.get("/api/v1/compounds/", {"page": 99}).status_code == 404
        assert client.get("/api/v1/compounds/", {"management": "nonsense"}).status_code == 400
        assert client.get("/api/v1/compounds/NO-SUCH/").status_code == 404
        assert set(paths["/api/v1/compounds/"]["get"]["responses"]) == {"200", "400", "401", "403", "404"}
        assert set(paths["/api/v1/compounds/{code}/"]["get"]["responses"]) == {"200", "401", "403", "404"}
        assert set(paths["/api/v1/compounds/"]["post"]["responses"]) == {"201", "400", "401", "403"}
        assert set(paths["/api/v1/coverage/"]["get"]["responses"]) == {"200", "401", "403"}
        error = paths["/api/v1/compounds/{code}/"]["get"]["responses"]["404"]["content"]["application/json"]
        assert error["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}

    def test_it_serves_the_yaml_document_by_default(self, cast):
        response = cast.client(None).get("/api/schema/")
        assert response.status_code == 200
        assert response.content.decode().startswith("openapi: 3.")

    def test_it_serves_swagger_ui_without_a_cdn(self, cast):
        response = cast.client(cast.director).get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" in html.lower()
        references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
        assert any("swagger-ui" in ref for ref in references)
        off_site = [ref for ref in references if ref.startswith(("http://", "https://", "//"))]
        assert off_site == []
        assert not re.search(r"""["'](https?:)?//[^"']*(cdn|jsdelivr|unpkg|cloudflare)""", html)


class PersonLookupTests:
    def test_it_finds_nobody_from_another_community(self, cast):
        body = {"person": "outsider", "place_kind": "compound", "place": "T-C01"}
        response = cast.client(cast.director).post("/api/v1/assignments/", body, content_type="application/json")
        assert response.status_code == 400
        assert "邻居主任" not in response.content.decode()
