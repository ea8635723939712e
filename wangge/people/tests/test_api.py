"""The people register's REST API: scoped lists and details, the pages' field visibility, writes through the
services, errors as 400, personal data never in clear."""

import json
import re

import pytest

from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.people import services
from wangge.people.models import Household, Resident
from wangge.people.tests.conftest import ADULT_ID, ADULT_PHONE, id_number

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RESIDENTS = "/api/v1/residents/"
SEARCH = "/api/v1/residents/search/"
HOUSEHOLDS = "/api/v1/households/"


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


class AccessTests:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("director", {"王大明", "王乐乐", "赵邻居", "孙二"}),
            ("auditor", {"王大明", "王乐乐", "赵邻居", "孙二"}),
            ("grid_worker", {"王大明", "王乐乐", "赵邻居"}),
            ("building_leader", {"王大明", "王**"}),
            ("outsider", {"钱外"}),
        ],
    )
    def test_it_lists_each_role_its_residents(self, cast, people, who, expected):
        response = cast.client(getattr(cast, who)).get(RESIDENTS)
        assert response.status_code == 200
        assert names(response) == expected

    def test_it_refuses_anonymous_callers_and_resident_accounts(self, cast, people):
        for url in (RESIDENTS, HOUSEHOLDS, f"{RESIDENTS}{people.adult.pk}/"):
            assert cast.client(None).get(url).status_code in (401, 403), url
            assert cast.client(cast.resident).get(url).status_code == 403, url

    def test_it_hides_out_of_scope_rows(self, cast, people):
        assert cast.client(cast.outsider).get(f"{RESIDENTS}{people.adult.pk}/").status_code == 404
        assert cast.client(cast.outsider).get(f"{HOUSEHOLDS}{people.household.pk}/").status_code == 404
        assert cast.client(cast.building_leader).get(f"{RESIDENTS}{people.neighbour.pk}/").status_code == 404
        response = cast.client(cast.outsider).patch(
            f"{RESIDENTS}{people.adult.pk}/", {"name": "改"}, content_type="application/json"
        )
        assert response.status_code == 404


class VisibilityTests:
    def test_it_shows_the_office_masked_data_only(self, cast, people):
        response = cast.client(cast.director).get(f"{RESIDENTS}{people.adult.pk}/")
        data = response.json()
        assert data["id_number_masked"] == ADULT_ID[:6] + "********" + ADULT_ID[-4:]
        assert data["phone_masked"] == "138****5678"
        assert data["tags"] == ["veteran"] and data["sensitive_tag_count"] == 1
        assert "id_number" not in data and "phone" not in data and "sensitive_tags" not in data
        body = json.dumps(cast.client(cast.director).get(RESIDENTS).json(), ensure_ascii=False)
        assert not MOBILE.search(body) and ADULT_ID not in body and "disabled" not in body

    def test_it_shows_a_building_leader_what_the_page_shows(self, cast, people):
        data = cast.client(cast.building_leader).get(f"{RESIDENTS}{people.child.pk}/").json()
        assert data["name"] == "王**"
        hidden = ["birth_date", "age", "id_type", "id_number_masked", "residence", "household", "tags", "sex", "status"]
        assert {key: data[key] for key in hidden} == dict.fromkeys(hidden, None)
        assert set(data) >= {"dwelling", "dwelling_name", "phone_masked", "sex"}

    def test_it_filters_like_the_page(self, cast, people):
        client = cast.client(cast.director)
        assert names(client.post(SEARCH, {"number": ADULT_PHONE}, content_type="application/json")) == {"王大明"}
        assert names(client.get(RESIDENTS, {"q": "王"})) == {"王大明", "王乐乐"}
        assert names(client.get(RESIDENTS, {"age": "0-13"})) == {"王乐乐"}
        assert names(client.get(RESIDENTS, {"tag": "disabled", "reason": "助残补贴"})) == {"王大明"}
        assert cast.client(cast.grid_leader).get(RESIDENTS, {"tag": "disabled", "reason": "看看"}).status_code == 400

    def test_it_takes_as_many_queries_for_many_residents_as_for_few(self, cast, people):
        client = cast.client(cast.director)
        before = query_counts(client, [RESIDENTS, HOUSEHOLDS])
        for index in range(10):
            household = services.household_create(actor=None, dwelling=cast.dwellings[1], number=f"Y{index}")
            services.resident_create(
                actor=None,
                name=f"接口居民{index}",
                id_number=id_number("19910101", f"{index + 600:03d}"),
                residence="registered",
                dwelling=cast.dwellings[1],
                household=household,
                relation="head",
            )
        assert query_counts(client, [RESIDENTS, HOUSEHOLDS]) == before


class BirthDateTests:
    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor"])
    def test_it_gives_the_age_not_the_birth_date_to_who_may_not_reveal(self, cast, people, who):
        # 410105********1234 hides exactly the birth date: both together would give the ID number back.
        client = cast.client(getattr(cast, who))
        for data in (client.get(f"{RESIDENTS}{people.adult.pk}/").json(), client.get(RESIDENTS).json()["results"][0]):
            assert data["birth_date"] is None and isinstance(data["age"], int)
        body = json.dumps(client.get(RESIDENTS).json())
        assert "1980-05-01" not in body and "2018-08-08" not in body

    def test_it_gives_the_birth_date_to_a_director(self, cast, people):
        data = cast.client(cast.director).get(f"{RESIDENTS}{people.adult.pk}/").json()
        assert data["birth_date"] == "1980-05-01" and data["age"] >= 40

    def test_it_sorts_by_birth_date_only_for_who_sees_birth_dates(self, cast, people):
        assert cast.client(cast.director).get(RESIDENTS, {"ordering": "-birth_date"}).status_code == 200
        for who in ("grid_worker", "auditor", "building_leader"):
            response = cast.client(getattr(cast, who)).get(RESIDENTS, {"ordering": "name,-birth_date"})
            assert response.status_code == 400 and "ordering" in response.json(), who
            assert cast.client(getattr(cast, who)).get(RESIDENTS, {"ordering": "name"}).status_code == 200, who


class BuildingLeaderTests:
    @pytest.mark.parametrize(
        "params", [{"age": "0-13"}, {"residence": "registered"}, {"tag": "veteran"}, {"status": "archived"}]
    )
    def test_it_refuses_the_filters_a_building_leader_may_not_use(self, cast, people, params):
        response = cast.client(cast.building_leader).get(RESIDENTS, params)
        assert response.status_code == 400
        assert "building leader" in json.dumps(response.json()) or "楼栋长" in json.dumps(
            response.json(), ensure_ascii=False
        )

    def test_it_takes_a_building_leaders_name_and_compound(self, cast, people):
        client = cast.client(cast.building_leader)
        assert names(client.get(RESIDENTS, {"q": "大明", "compound": "T-C01", "status": "living"})) == {"王大明"}


class NumberSearchTests:
    def post(self, client, number, **query):
        url = SEARCH + (f"?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else "")
        return client.post(url, {"number": number}, content_type="application/json")

    def test_it_refuses_a_number_in_the_query_string(self, cast, people):
        for number in (ADULT_ID, ADULT_PHONE, "0371-60000000"):
            response = cast.client(cast.director).get(RESIDENTS, {"q": number})
            assert response.status_code == 400 and "/api/v1/residents/search/" in json.dumps(response.json())
        assert not AuditEvent.objects.filter(action="pii.search").exists()

    def test_it_finds_one_person_by_a_posted_number_and_logs_it_masked(self, cast, people):
        client = cast.client(cast.grid_worker)
        assert names(self.post(client, ADULT_ID)) == {"王大明"}
        assert names(self.post(client, ADULT_PHONE)) == {"王大明"}
        assert names(self.post(client, "13900000009")) == set()
        events = list(AuditEvent.objects.filter(action="pii.search").order_by("id"))
        assert [(e.actor, e.after["kind"], e.after["number"], e.after["rows"]) for e in events] == [
            (cast.grid_worker, "id_number", ADULT_ID[:6] + "********" + ADULT_ID[-4:], 1),
            (cast.grid_worker, "phone", "138****5678", 1),
            (cast.grid_worker, "phone", "139****0009", 0),
        ]
        assert ADULT_ID not in str([e.after for e in events]) and ADULT_PHONE not in str([e.after for e in events])

    def test_it_masks_a_landline_as_a_phone_number(self, cast, people):
        services.resident_update(actor=None, resident=people.neighbour, phone="0371-60001234")
        assert names(self.post(cast.client(cast.director), "0371-60001234")) == {"赵邻居"}
        event = AuditEvent.objects.get(action="pii.search")
        assert event.after["kind"] == "phone" and event.after["number"] == "037********34"

    def test_it_keeps_the_scope_and_the_other_filters(self, cast, people):
        assert names(self.post(cast.client(cast.outsider), ADULT_ID)) == set()
        assert names(self.post(cast.client(cast.director), ADULT_ID, status="archived")) == set()

    def test_it_refuses_building_leaders_and_bad_numbers(self, cast, people):
        assert self.post(cast.client(cast.building_leader), ADULT_PHONE).status_code == 403
        response = self.post(cast.client(cast.director), "王大明")
        assert response.status_code == 400 and "number" in response.json()
        assert not AuditEvent.objects.filter(action="pii.search").exists()

    def test_it_limits_number_searches_per_user(self, cast, people, settings):
        settings.PEOPLE_NUMBER_SEARCH_LIMIT = 3
        client = cast.client(cast.director)
        assert [self.post(client, ADULT_PHONE).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert (
            cast.client(cast.grid_worker)
            .post(SEARCH, {"number": ADULT_PHONE}, content_type="application/json")
            .status_code
            == 200
        )
        assert AuditEvent.objects.filter(action="pii.search").count() == 4


class SensitiveTagTests:
    def test_it_needs_a_reason_and_logs_each_filter(self, cast, people):
        client = cast.client(cast.director)
        response = client.get(RESIDENTS, {"tag": "disabled"})
        assert response.status_code == 400 and "reason" in response.json()
        assert not AuditEvent.objects.filter(action="pii.filter").exists()
        assert names(client.get(RESIDENTS, {"tag": "disabled", "reason": "助残补贴"})) == {"王大明"}
        event = AuditEvent.objects.get(action="pii.filter")
        assert (event.actor, event.after["tag"], event.after["rows"], event.reason) == (
            cast.director,
            "disabled",
            1,
            "助残补贴",
        )
        client.get(RESIDENTS, {"tag": "veteran"})
        assert AuditEvent.objects.filter(action="pii.filter").count() == 1  # plain tags are not logged


class WriteTests:
    def payload(self, cast, **changes) -> dict:
        data = {
            "name": "接口新人",
            "id_number": id_number("19950505", "135"),
            "phone": "13977778888",
            "residence": "floating",
            "dwelling": cast.dwellings[1].pk,
            "tags": ["party_member"],
            "sensitive_tags": ["subsistence"],
        }
        data.update(changes)
        return data

    def test_it_creates_through_the_service(self, cast, people):
        response = cast.client(cast.grid_leader).post(RESIDENTS, self.payload(cast), content_type="application/json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["phone_masked"] == "139****8888" and data["sex"] == "male"
        resident = Resident.objects.get(pk=data["id"])
        assert resident.sensitive_tags == ",subsistence,"
        assert AuditEvent.objects.filter(action="resident.create", object_id=str(resident.pk)).exists()

    def test_it_answers_bad_input_with_400_and_writes_nothing(self, cast, people):
        client = cast.client(cast.director)
        bad = self.payload(cast, id_number=ADULT_ID)  # already registered
        response = client.post(RESIDENTS, bad, content_type="application/json")
        assert response.status_code == 400 and "id_number" in response.json()
        response = client.post(RESIDENTS, self.payload(cast, birth_date="1990-01-01"), content_type="application/json")
        assert response.status_code == 400 and "birth_date" in response.json()
        assert not Resident.objects.filter(name="接口新人").exists()

    def test_it_refuses_roles_without_the_action(self, cast, people):
        for who in ("grid_worker", "building_leader", "auditor"):
            response = cast.client(getattr(cast, who)).post(
                RESIDENTS, self.payload(cast), content_type="application/json"
            )
            assert response.status_code == 403, who
        for who in ("building_leader", "auditor"):
            response = cast.client(getattr(cast, who)).patch(
                f"{RESIDENTS}{people.adult.pk}/", {"name": "改"}, content_type="application/json"
            )
            assert response.status_code == 403, who
        assert Resident.objects.get(pk=people.adult.pk).name == "王大明"

    def test_it_updates_part_of_a_resident_and_keeps_the_rest(self, cast, people):
        response = cast.client(cast.grid_worker).patch(
            f"{RESIDENTS}{people.adult.pk}/", {"registered_address": "河南省郑州市"}, content_type="application/json"
        )
        assert response.status_code == 200, response.json()
        adult = Resident.objects.get(pk=people.adult.pk)
        assert adult.registered_address == "河南省郑州市"
        assert (adult.id_number, adult.phone, adult.sensitive_tags) == (ADULT_ID, ADULT_PHONE, ",disabled,")

    def test_it_refuses_a_dwelling_out_of_scope(self, cast, people):
        response = cast.client(cast.grid_leader).post(
            RESIDENTS, self.payload(cast, dwelling=people.next_door.dwelling_id), content_type="application/json"
        )
        assert response.status_code == 400 and "dwelling" in response.json()

    def test_it_creates_and_updates_households(self, cast, people):
        client = cast.client(cast.grid_leader)
        response = client.post(HOUSEHOLDS, {"number": "H9", "dwelling": cast.dwellings[1].pk})
        assert response.status_code == 201, response.json()
        assert response.json()["community"] == "410105008004" and response.json()["member_count"] == 0
        pk = response.json()["id"]
        response = client.patch(f"{HOUSEHOLDS}{pk}/", {"note": "二楼"}, content_type="application/json")
        assert response.status_code == 200 and Household.objects.get(pk=pk).note == "二楼"
        response = client.post(HOUSEHOLDS, {"number": "H9", "dwelling": cast.dwellings[1].pk})
        assert response.status_code == 400


class SchemaTests:
    def test_it_documents_the_endpoints(self, cast):
        schema = cast.client(cast.director).get("/api/schema/", HTTP_ACCEPT="application/json").json()
        assert {"/api/v1/residents/", "/api/v1/residents/{id}/", "/api/v1/households/"} <= set(schema["paths"])
        resident = schema["components"]["schemas"]["Resident"]["properties"]
        assert "id_number_masked" in resident and "id_number" not in resident

    def test_it_documents_the_number_search(self, cast):
        schema = cast.client(cast.director).get("/api/schema/", HTTP_ACCEPT="application/json").json()
        operation = schema["paths"]["/api/v1/residents/search/"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith("/NumberSearchRequest")
        assert "number" in schema["components"]["schemas"]["NumberSearchRequest"]["properties"]
        listed = schema["paths"]["/api/v1/residents/"]["get"]["parameters"]
        assert {"q", "tag", "reason"} <= {parameter["name"] for parameter in listed}
