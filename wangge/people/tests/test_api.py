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
        hidden = ["birth_date", "age", "id_type", "id_number_masked", "residence", "household", "tags"]
        assert {key: data[key] for key in hidden} == dict.fromkeys(hidden, None)
        assert set(data) >= {"dwelling", "dwelling_name", "phone_masked", "sex"}

    def test_it_filters_like_the_page(self, cast, people):
        client = cast.client(cast.director)
        assert names(client.get(RESIDENTS, {"q": ADULT_PHONE})) == {"王大明"}
        assert names(client.get(RESIDENTS, {"age": "0-13"})) == {"王乐乐"}
        assert names(client.get(RESIDENTS, {"tag": "disabled"})) == {"王大明"}
        assert client.get(RESIDENTS, {"tag": "disabled"}, HTTP_ACCEPT="application/json").status_code == 200
        assert cast.client(cast.grid_leader).get(RESIDENTS, {"tag": "disabled"}).status_code == 400

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
