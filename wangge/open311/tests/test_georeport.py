"""Open311 GeoReport v2: every endpoint in both formats, every parameter and error, and a request followed to closed."""

import datetime
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.cases import services as case_services
from wangge.cases.models import Case, CaseEvent, Category, Question, State
from wangge.territory import services as territory_services

BASE = "/open311/v2"
HOME = "410105008004"
NEXT_DOOR = "410105008005"
IN_GRID1 = {"lat": "34.7880", "long": "113.6570"}
FORMATS = ["json", "xml"]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    """Photos land in a temporary folder; rate-limit counters start from zero."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def integrator(username: str = "integrator", **scope) -> tuple[User, str]:
    """An integrator's account with a partner role in an area, and its API key."""
    user = account_services.user_create(actor=None, username=username, display_name=username, password="x-7d1c-pass")
    if scope:
        territory_services.role_grant(actor=None, user=user, role=Role.PARTNER_REP, **scope)
    _api_key, key = account_services.api_key_create(actor=None, user=user, name=f"{username} system")
    return user, key


@pytest.fixture
def key(cast) -> str:
    return integrator(area=cast.home)[1]


def get(fmt: str, path: str, **params) -> tuple[int, object]:
    """GET an endpoint; the parsed body (JSON value or XML root) after checking the content type."""
    response = Client().get(f"{BASE}/{path}.{fmt}", params)
    return response.status_code, parse(fmt, response)


def post(fmt: str, **data) -> tuple[int, object]:
    data.setdefault("jurisdiction_id", HOME)
    response = Client().post(f"{BASE}/requests.{fmt}", data)
    return response.status_code, parse(fmt, response)


def parse(fmt: str, response) -> object:
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return json.loads(response.content.decode("utf-8"))
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, not untrusted input


def rows(fmt: str, body: object, root: str, item: str) -> list[dict]:
    """The items of a list answer as dicts of text, checking the XML structure root/item/field."""
    if fmt == "json":
        assert isinstance(body, list)
        return body
    assert body.tag == root
    assert all(child.tag == item for child in body)
    return [{field.tag: field.text or "" for field in child} for child in body]


def error_of(fmt: str, body: object) -> dict:
    (error,) = rows(fmt, body, "errors", "error")
    assert set(error) == {"code", "description"}
    assert error["description"]
    return error


def report(cast, *, category: str = "C06", **fields) -> Case:
    """A case reported on the public page (not through Open311)."""
    return case_services.case_report(
        actor=None,
        category=Category.objects.get(code=category),
        description="邻居噪声，我的电话 13800005678",
        source="resident",
        compound=fields.pop("compound", cast.compound1),
        reporter_name="王小明",
        reporter_phone="13800005678",
        reporter_email="wang@example.com",
        **fields,
    )


def act(case: Case, action: str, actor: User, **kwargs) -> Case:
    return case_services.case_act(actor=actor, case=case, action=action, **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
class DiscoveryTests:
    def test_it_describes_the_endpoint(self, db, fmt):
        status, body = get(fmt, "discovery")
        assert status == 200
        if fmt == "json":
            endpoint = body["endpoints"][0]
            assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
            assert endpoint["formats"] == ["text/xml", "application/json"]
            assert endpoint["url"] == "http://testserver/open311/v2"
        else:
            assert body.tag == "discovery"
            assert [child.tag for child in body] == ["changeset", "contact", "key_service", "endpoints"]
            endpoint = body.find("endpoints/endpoint")
            assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
            assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
            assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"

    def test_it_refuses_a_post(self, db, fmt):
        response = Client().post(f"{BASE}/discovery.{fmt}")
        assert response.status_code == 405
        assert error_of(fmt, parse(fmt, response))["code"] in (405, "405")


@pytest.mark.parametrize("fmt", FORMATS)
class ServiceListTests:
    def test_it_lists_the_public_categories_in_chinese(self, cast, fmt):
        status, body = get(fmt, "services", jurisdiction_id=HOME)
        assert status == 200
        services = rows(fmt, body, "services", "service")
        codes = [s["service_code"] for s in services]
        assert codes == list(Category.objects.filter(public=True, active=True).values_list("code", flat=True))
        assert "C05" not in codes
        noise = next(s for s in services if s["service_code"] == "C04")
        assert noise["service_name"] == "噪声扰民"
        assert noise["group"] == "社区事务"
        assert noise["type"] == "realtime"
        assert noise["metadata"] in (True, "true")
        road = next(s for s in services if s["service_code"] == "E0105")
        assert road["metadata"] in (False, "false")
        assert set(noise) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}

    def test_it_needs_the_jurisdiction_when_it_serves_several(self, cast, fmt):
        status, body = get(fmt, "services")
        assert status == 400
        assert error_of(fmt, body)["code"] in (400, "400")

    def test_it_answers_404_for_an_unknown_jurisdiction(self, cast, fmt):
        status, body = get(fmt, "services", jurisdiction_id="999999999999")
        assert status == 404
        assert error_of(fmt, body)["code"] in (404, "404")

    def test_it_treats_an_empty_jurisdiction_as_absent(self, cast, fmt):
        assert get(fmt, "services", jurisdiction_id="")[0] == 400


class SingleJurisdictionTests:
    def test_it_needs_no_jurisdiction_when_it_serves_one(self, db):
        territory_services.area_create(actor=None, kind="district", code="410105", name="金水区")
        status, body = get("json", "services")
        assert status == 400  # no community at all yet
        district = territory_services.area_create(actor=None, kind="district", code="410106", name="某区")
        sub = territory_services.area_create(
            actor=None, kind="subdistrict", code="410106001", name="某街道", parent=district
        )
        territory_services.area_create(actor=None, kind="community", code="410106001001", name="某社区", parent=sub)
        status, body = get("json", "services")
        assert status == 200
        assert body


@pytest.mark.parametrize("fmt", FORMATS)
class ServiceDefinitionTests:
    def test_it_gives_the_attributes_of_a_category(self, cast, fmt):
        category = Category.objects.get(code="C03")
        Question.objects.create(category=category, code="when", label="发现日期", datatype="date", order=3)
        Question.objects.create(category=category, code="floor", label="楼层", datatype="number", order=4)
        Question.objects.create(category=category, code="remark", label="补充", datatype="text", order=5)
        status, body = get(fmt, "services/C03", jurisdiction_id=HOME)
        assert status == 200
        if fmt == "xml":
            assert body.tag == "service_definition"
            assert body.findtext("service_code") == "C03"
            attributes = body.findall("attributes/attribute")
            assert [c.tag for c in attributes[0]] == [
                "variable",
                "code",
                "datatype",
                "required",
                "datatype_description",
                "order",
                "description",
                "values",
            ]
            facility = attributes[0]
            assert facility.findtext("variable") == "true"
            assert facility.findtext("required") == "true"
            assert facility.findtext("datatype") == "singlevaluelist"
            assert facility.findtext("description") == "报修设施"
            values = [(v.findtext("key"), v.findtext("name")) for v in facility.findall("values/value")]
            assert values[:2] == [("light", "楼道灯"), ("water", "水管")]
            assert [a.findtext("datatype") for a in attributes] == [
                "singlevaluelist",
                "singlevaluelist",
                "datetime",
                "number",
                "string",
            ]
        else:
            assert body["service_code"] == "C03"
            facility = body["attributes"][0]
            assert facility["variable"] is True and facility["required"] is True
            assert facility["values"][0] == {"key": "light", "name": "楼道灯"}
            assert [a["datatype"] for a in body["attributes"]] == [
                "singlevaluelist",
                "singlevaluelist",
                "datetime",
                "number",
                "string",
            ]

    def test_it_gives_multivaluelist_for_a_multiple_choice(self, cast, fmt):
        status, body = get(fmt, "services/C04", jurisdiction_id=HOME)
        assert status == 200
        datatype = (
            body["attributes"][0]["datatype"] if fmt == "json" else body.findtext("attributes/attribute/datatype")
        )
        assert datatype == "multivaluelist"

    @pytest.mark.parametrize("code", ["NOPE", "C05"])
    def test_it_answers_404_for_an_unknown_or_non_public_service(self, cast, fmt, code):
        status, body = get(fmt, f"services/{code}", jurisdiction_id=HOME)
        assert status == 404
        error_of(fmt, body)

    def test_it_answers_404_for_an_unknown_jurisdiction(self, cast, fmt):
        assert get(fmt, "services/C03", jurisdiction_id="410105008099")[0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
class PostRequestTests:
    def test_it_files_a_case_from_a_point(self, cast, key, fmt):
        status, body = post(
            fmt,
            api_key=key,
            service_code="C03",
            description="三号楼楼道灯不亮",
            **{"attribute[facility]": "light", "attribute[danger]": "no"},
            first_name="小明",
            last_name="王",
            phone="13800005678",
            email="wang@example.com",
            device_id="dev-1",
            account_id="acc-1",
            **IN_GRID1,
        )
        assert status == 201
        (created,) = rows(fmt, body, "service_requests", "request")
        assert set(created) == {"service_request_id", "service_notice", "account_id"}
        case = Case.objects.get()
        assert created["service_request_id"] == case.number
        assert case.number in created["service_notice"]
        assert case.source == "open311"
        assert case.state == State.REPORTED
        assert case.area == cast.grid1
        assert case.attributes == {"facility": "light", "danger": "no"}
        assert case.description == "三号楼楼道灯不亮"
        assert (case.reporter_name, case.reporter_phone, case.reporter_email) == (
            "王小明",
            "13800005678",
            "wang@example.com",
        )
        assert case.reporter is None
        assert (case.longitude, case.latitude) == (113.6570, 34.7880)

    def test_it_files_a_case_at_a_compound_by_address_id(self, cast, key, fmt):
        status, _body = post(
            fmt,
            api_key=key,
            service_code="C04",
            description="夜里装修",
            address_id="T-C01",
            **{"attribute[hours][]": ["evening", "night"]},
        )
        assert status == 201
        case = Case.objects.get()
        assert case.compound == cast.compound1
        assert case.attributes == {"hours": ["evening", "night"]}

    def test_it_files_a_case_at_a_compound_named_in_address_string(self, cast, key, fmt):
        status, _body = post(fmt, api_key=key, service_code="C06", description="邻里纠纷", address_string="测试二号院")
        assert status == 201
        assert Case.objects.get().compound == cast.compound2

    def test_it_keeps_media_url_as_a_link_and_never_fetches_it(self, cast, key, fmt):
        status, _body = post(
            fmt, api_key=key, service_code="C06", description="纠纷", media_url="https://example.org/p.jpg", **IN_GRID1
        )
        assert status == 201
        case = Case.objects.get()
        assert case.description.endswith("media_url: https://example.org/p.jpg")
        assert not case.photos.exists()

    def test_it_accepts_the_key_and_jurisdiction_in_the_query_string(self, cast, key, fmt):
        response = Client().post(
            f"{BASE}/requests.{fmt}?jurisdiction_id={HOME}&api_key={key}",
            {"service_code": "C06", "description": "纠纷", **IN_GRID1},
        )
        assert response.status_code == 201

    @pytest.mark.parametrize(
        "fields",
        [
            {"api_key": ""},
            {"api_key": "wg_nope_nope"},
        ],
    )
    def test_it_refuses_a_missing_or_bad_key(self, cast, key, fmt, fields):
        status, body = post(fmt, service_code="C06", description="纠纷", **IN_GRID1, **fields)
        assert status == 403
        error_of(fmt, body)
        assert not Case.objects.exists()

    def test_it_refuses_a_revoked_key(self, cast, fmt):
        user, key = integrator(area=cast.home)
        account_services.api_key_revoke(actor=None, api_key=user.api_keys.get())
        status, body = post(fmt, api_key=key, service_code="C06", description="纠纷", **IN_GRID1)
        assert status == 403
        assert not Case.objects.exists()

    def test_it_refuses_a_key_outside_the_jurisdiction(self, cast, fmt):
        _user, key = integrator(area=cast.next_door)
        status, body = post(fmt, api_key=key, service_code="C06", description="纠纷", **IN_GRID1)
        assert status == 403
        error_of(fmt, body)
        assert not Case.objects.exists()

    def test_it_refuses_a_key_without_any_membership(self, cast, fmt):
        _user, key = integrator()
        assert post(fmt, api_key=key, service_code="C06", description="纠纷", **IN_GRID1)[0] == 403

    def test_it_lets_a_key_of_the_subdistrict_file_in_its_communities(self, cast, fmt):
        user = account_services.user_create(actor=None, username="city", display_name="city", password="x-7d1c-pass")
        territory_services.role_grant(actor=None, user=user, role=Role.AUDITOR, area=cast.subdistrict)
        _row, key = account_services.api_key_create(actor=None, user=user, name="city")
        assert post(fmt, api_key=key, service_code="C06", description="纠纷", **IN_GRID1)[0] == 201

    def test_it_answers_404_for_an_unknown_jurisdiction(self, cast, key, fmt):
        status, body = post(
            fmt, api_key=key, jurisdiction_id="410105008099", service_code="C06", description="纠纷", **IN_GRID1
        )
        assert status == 404
        assert not Case.objects.exists()

    @pytest.mark.parametrize("code", ["NOPE", "C05"])
    def test_it_answers_404_for_an_unknown_service(self, cast, key, fmt, code):
        status, body = post(fmt, api_key=key, service_code=code, description="纠纷", **IN_GRID1)
        assert status == 404
        error_of(fmt, body)
        assert not Case.objects.exists()

    @pytest.mark.parametrize(
        "fields",
        [
            {"service_code": ""},
            {"description": ""},
            {"description": "长" * 4001},
            {"lat": "91", "long": "113.6570"},
            {"lat": "34.788", "long": "181"},
            {"lat": "north", "long": "113.6570"},
            {"lat": "34.788", "long": ""},
            {"lat": "", "long": ""},
            {"lat": "34.7950", "long": "113.6570"},  # next door
            {"lat": "39.9", "long": "116.4"},  # elsewhere
            {"address_id": "N-C01"},  # a compound of next door
            {"address_id": "NOPE"},
            {"address_string": "不存在的地方"},
            {"attribute[nope]": "x"},
            {"attribute[facility]": "rocket"},
            {"attribute[facility][]": ["light", "water"]},
            {"attribute[facility]": "", "attribute[danger]": "no"},  # the required facility is missing (empty = absent)
            {"phone": "12345"},
            {"email": "not-an-address"},
            {"media_url": "file:///etc/passwd"},
            {"service_code": "E0102"},  # needs a photo, which GeoReport cannot send
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(self, cast, key, fmt, fields):
        data = {"api_key": key, "service_code": "C03", "description": "灯不亮", "attribute[facility]": "light"}
        data.update(IN_GRID1)
        if "address_id" in fields or "address_string" in fields:
            data.pop("lat"), data.pop("long")
        data.update(fields)
        events_before = CaseEvent.objects.count()
        status, body = post(fmt, **data)
        assert status == 400, fields
        assert error_of(fmt, body)["code"] in (400, "400")
        assert not Case.objects.exists()
        assert CaseEvent.objects.count() == events_before

    def test_it_accepts_one_value_of_a_single_choice_in_list_form(self, cast, key, fmt):
        data = {"api_key": key, "service_code": "C03", "description": "灯不亮", **IN_GRID1}
        assert post(fmt, **data, **{"attribute[facility][]": "water"})[0] == 201
        assert Case.objects.get().attributes == {"facility": "water"}

    def test_it_refuses_the_key_of_a_disabled_account(self, cast, fmt):
        user, key = integrator(area=cast.home)
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert post(fmt, api_key=key, service_code="C06", description="纠纷", **IN_GRID1)[0] == 403
        assert not Case.objects.exists()

    def test_it_refuses_other_methods(self, cast, fmt):
        response = Client().put(f"{BASE}/requests.{fmt}")
        assert response.status_code == 405
        assert response["Allow"] == "GET, POST"
        error_of(fmt, parse(fmt, response))

    def test_it_accepts_a_description_of_exactly_4000_characters(self, cast, key, fmt):
        assert post(fmt, api_key=key, service_code="C06", description="长" * 4000, **IN_GRID1)[0] == 201

    def test_it_limits_posts_per_key(self, cast, key, fmt, settings):
        settings.OPEN311_RATE_LIMIT = 2
        data = {"api_key": key, "service_code": "C06", "description": "纠纷", **IN_GRID1}
        assert [post(fmt, **data)[0] for _n in range(2)] == [201, 201]
        status, body = post(fmt, **data)
        assert status == 429
        error_of(fmt, body)
        assert Case.objects.count() == 2
        _user, other_key = integrator("other", area=cast.home)
        assert post(fmt, **{**data, "api_key": other_key})[0] == 201


@pytest.mark.parametrize("fmt", FORMATS)
class GetRequestsTests:
    def test_it_lists_recent_requests_without_personal_data(self, cast, fmt):
        case = report(cast)
        response = Client().get(f"{BASE}/requests.{fmt}", {"jurisdiction_id": HOME})
        assert response.status_code == 200
        raw = response.content.decode("utf-8")
        for secret in ("王小明", "13800005678", "wang@example.com", case.tracking_code, "我的电话"):
            assert secret not in raw
        (row,) = rows(fmt, parse(fmt, response), "service_requests", "request")
        assert list(row) == REQUEST_FIELDS
        assert row["service_request_id"] == case.number
        assert row["status"] == "open"
        assert row["status_notes"] == "已上报"
        assert row["service_name"] == "邻里纠纷"
        assert row["agency_responsible"] == "第一网格"
        assert row["address_id"] == "T-C01"
        assert row["address"].startswith("测试一号院")
        assert row["requested_datetime"] == timezone.localtime(case.reported_at).isoformat(timespec="seconds")
        assert row["requested_datetime"].endswith("+08:00")
        assert row["expected_datetime"] in (None, "")

    def test_it_shows_only_the_jurisdictions_cases(self, cast, fmt):
        report(cast)
        report(cast, compound=cast.next_compound)
        (home,) = rows(fmt, get(fmt, "requests", jurisdiction_id=HOME)[1], "service_requests", "request")
        (away,) = rows(fmt, get(fmt, "requests", jurisdiction_id=NEXT_DOOR)[1], "service_requests", "request")
        assert home["address_id"] == "T-C01" and away["address_id"] == "N-C01"

    def test_it_hides_cases_of_non_public_categories(self, cast, fmt):
        case = report(cast)
        Category.objects.filter(pk=case.category_id).update(public=False)
        assert rows(fmt, get(fmt, "requests", jurisdiction_id=HOME)[1], "service_requests", "request") == []

    def test_it_filters_by_id_which_overrides_the_rest(self, cast, fmt):
        first, second, _third = report(cast), report(cast, category="C04"), report(cast)
        status, body = get(
            fmt,
            "requests",
            jurisdiction_id=HOME,
            service_request_id=f"{first.number}, {second.number}",
            service_code="E0105",
            status="closed",
            start_date="2001-01-01T00:00:00Z",
            end_date="2001-01-02T00:00:00Z",
        )
        assert status == 200
        ids = {r["service_request_id"] for r in rows(fmt, body, "service_requests", "request")}
        assert ids == {first.number, second.number}

    def test_it_filters_by_service_codes(self, cast, fmt):
        report(cast)
        noise = report(cast, category="C04")
        ids = [
            r["service_request_id"]
            for r in rows(
                fmt, get(fmt, "requests", jurisdiction_id=HOME, service_code="C04")[1], "service_requests", "request"
            )
        ]
        assert ids == [noise.number]
        both = get(fmt, "requests", jurisdiction_id=HOME, service_code="C04,C06")[1]
        assert len(rows(fmt, both, "service_requests", "request")) == 2

    def test_it_answers_404_for_an_unknown_service_code(self, cast, fmt):
        status, body = get(fmt, "requests", jurisdiction_id=HOME, service_code="C04,NOPE")
        assert status == 404
        assert "NOPE" in error_of(fmt, body)["description"]

    def test_it_filters_by_status(self, cast, fmt):
        open_case = report(cast)
        rejected = act(report(cast), "reject", cast.grid_leader, reason="duplicate")
        by_status = {
            status: [
                r["service_request_id"]
                for r in rows(
                    fmt, get(fmt, "requests", jurisdiction_id=HOME, status=status)[1], "service_requests", "request"
                )
            ]
            for status in ("open", "closed", "open,closed")
        }
        assert by_status["open"] == [open_case.number]
        assert by_status["closed"] == [rejected.number]
        assert sorted(by_status["open,closed"]) == sorted([open_case.number, rejected.number])

    def test_it_filters_by_period_and_defaults_to_90_days(self, cast, fmt):
        now = timezone.now()
        old = report(cast, now=now - datetime.timedelta(days=100))
        recent = report(cast, now=now - datetime.timedelta(days=10))
        listed = lambda **p: [  # noqa: E731
            r["service_request_id"]
            for r in rows(fmt, get(fmt, "requests", jurisdiction_id=HOME, **p)[1], "service_requests", "request")
        ]
        assert listed() == [recent.number]
        start = timezone.localtime(now - datetime.timedelta(days=120)).isoformat()
        end = timezone.localtime(now - datetime.timedelta(days=50)).isoformat()
        assert listed(start_date=start, end_date=end) == [old.number]
        assert listed(start_date=start) == [old.number]  # 90 days from the start
        assert listed(end_date=(now - datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%S")) == [recent.number]
        assert listed(start_date="", end_date="") == [recent.number]

    @pytest.mark.parametrize(
        "params",
        [
            {"start_date": "yesterday"},
            {"end_date": "2026-13-45T00:00:00Z"},
            {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
            {"status": "pending"},
            {"page": "0"},
            {"page": "x"},
            {"page_size": "-3"},
        ],
    )
    def test_it_refuses_bad_parameters(self, cast, fmt, params):
        status, body = get(fmt, "requests", jurisdiction_id=HOME, **params)
        assert status == 400
        error_of(fmt, body)

    def test_it_pages(self, cast, fmt):
        cases = [report(cast) for _n in range(3)]
        newest_first = [c.number for c in reversed(cases)]
        page = lambda n, size: [  # noqa: E731
            r["service_request_id"]
            for r in rows(
                fmt,
                get(fmt, "requests", jurisdiction_id=HOME, page=n, page_size=size)[1],
                "service_requests",
                "request",
            )
        ]
        assert page(1, 2) == newest_first[:2]
        assert page(2, 2) == newest_first[2:]
        assert page(3, 2) == []
        assert page(1, 5000) == newest_first  # at most 1000 a page

    def test_it_needs_a_jurisdiction(self, cast, fmt):
        assert get(fmt, "requests")[0] == 400
        assert get(fmt, "requests", jurisdiction_id="000000000000")[0] == 404

    def test_it_reads_a_list_in_a_fixed_number_of_queries(self, cast, fmt, django_assert_max_num_queries):
        for _n in range(5):
            report(cast)
        with django_assert_max_num_queries(4):
            status, _body = get(fmt, "requests", jurisdiction_id=HOME)
        assert status == 200


@pytest.mark.parametrize("fmt", FORMATS)
class RequestDetailAndTokenTests:
    def test_it_shows_one_request(self, cast, fmt):
        case = report(cast)
        status, body = get(fmt, f"requests/{case.number}", jurisdiction_id=HOME)
        assert status == 200
        (row,) = rows(fmt, body, "service_requests", "request")
        assert row["service_request_id"] == case.number

    def test_it_answers_404_for_an_unknown_request_or_one_of_another_jurisdiction(self, cast, fmt):
        case = report(cast, compound=cast.next_compound)
        assert get(fmt, "requests/20990101000001", jurisdiction_id=HOME)[0] == 404
        status, body = get(fmt, f"requests/{case.number}", jurisdiction_id=HOME)
        assert status == 404
        error_of(fmt, body)

    def test_it_resolves_a_token_to_the_request(self, cast, fmt):
        case = report(cast)
        status, body = get(fmt, f"tokens/{case.number}", jurisdiction_id=HOME)
        assert status == 200
        (row,) = rows(fmt, body, "service_requests", "request")
        assert row == {"service_request_id": case.number, "token": case.number}

    def test_it_never_resolves_a_tracking_code(self, cast, fmt):
        case = report(cast)
        status, body = get(fmt, f"tokens/{case.tracking_code}", jurisdiction_id=HOME)
        assert status == 404
        error_of(fmt, body)


@pytest.mark.parametrize("fmt", FORMATS)
class RoundTripTests:
    def test_a_posted_request_is_followed_to_closed(self, cast, key, fmt):
        status, body = post(
            fmt,
            api_key=key,
            service_code="C03",
            description="楼道灯不亮",
            **{"attribute[facility]": "light"},
            **IN_GRID1,
        )
        assert status == 201
        number = rows(fmt, body, "service_requests", "request")[0]["service_request_id"]
        case = Case.objects.get(number=number)

        def current() -> dict:
            return rows(fmt, get(fmt, f"requests/{number}", jurisdiction_id=HOME)[1], "service_requests", "request")[0]

        assert (current()["status"], current()["status_notes"]) == ("open", "已上报")
        case = act(case, "register", cast.grid_worker)
        case = act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)
        row = current()
        assert (row["status"], row["status_notes"]) == ("open", "已派遣")
        assert row["expected_datetime"] == timezone.localtime(case.deadline_at).isoformat(timespec="seconds")
        case = act(case, "start", cast.grid_worker)
        case = act(case, "urge", cast.grid_leader, note="内部督办")  # not public
        case = act(case, "handle", cast.grid_worker, note="已更换灯泡")
        case = act(case, "verify", cast.grid_leader)
        case = act(case, "close", cast.grid_leader)
        row = current()
        assert (row["status"], row["status_notes"]) == ("closed", "已结案")
        assert row["updated_datetime"].endswith("+08:00")

        status, body = get(fmt, "servicerequestupdates", jurisdiction_id=HOME)
        assert status == 200
        updates = rows(fmt, body, "service_request_updates", "request_update")
        assert [u["service_request_id"] for u in updates] == [number] * 7
        assert list(updates[0]) == [
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        ]
        assert [u["status"] for u in updates] == ["open"] * 6 + ["closed"]
        text = " ".join(u["description"] for u in updates)
        assert "已更换灯泡" in text
        assert "内部督办" not in text


@pytest.mark.parametrize("fmt", FORMATS)
class UpdatesTests:
    def test_it_filters_updates_by_period(self, cast, fmt):
        now = timezone.now()
        report(cast, now=now - datetime.timedelta(days=30))
        recent = report(cast)
        status, body = get(
            fmt,
            "servicerequestupdates",
            jurisdiction_id=HOME,
            start_date=timezone.localtime(now - datetime.timedelta(days=1)).isoformat(),
        )
        assert status == 200
        assert [u["service_request_id"] for u in rows(fmt, body, "service_request_updates", "request_update")] == [
            recent.number
        ]

    def test_it_hides_the_reporters_words_when_they_say_not_fixed(self, cast, fmt):
        case = act(report(cast), "register", cast.grid_worker)
        case = act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)
        case = act(case, "handle", cast.grid_worker, note="调解完毕")
        case = act(case, "verify", cast.grid_leader)
        case = act(case, "close", cast.grid_leader)
        case_services.case_not_fixed(case=case, note="还是很吵，我是王小明")
        body = get(fmt, "servicerequestupdates", jurisdiction_id=HOME)[1]
        text = json.dumps(body, ensure_ascii=False) if fmt == "json" else ET.tostring(body, encoding="unicode")
        assert "王小明" not in text
        assert "调解完毕" in text

    def test_it_refuses_a_malformed_date(self, cast, fmt):
        status, body = get(fmt, "servicerequestupdates", jurisdiction_id=HOME, end_date="31/01/2026")
        assert status == 400
        error_of(fmt, body)

    def test_it_needs_a_known_jurisdiction(self, cast, fmt):
        assert get(fmt, "servicerequestupdates", jurisdiction_id="123")[0] == 404


def jpeg(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.mark.parametrize("fmt", FORMATS)
class MediaTests:
    def test_it_links_the_public_photo_after_handling_and_never_the_reporters(self, cast, fmt):
        case = report(cast, category="C06", photos=[jpeg("before.jpg")])
        case = act(case, "register", cast.grid_worker)
        case = act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)
        case = act(case, "handle", cast.grid_worker, note="调解完毕", photos=[jpeg("after.jpg")])
        before, after = case.photos.get(kind="before"), case.photos.get(kind="after")
        (row,) = rows(fmt, get(fmt, f"requests/{case.number}", jurisdiction_id=HOME)[1], "service_requests", "request")
        assert row["media_url"] == f"http://testserver{BASE}/media/{after.pk}.jpg"
        response = Client().get(row["media_url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert Client().get(f"{BASE}/media/{before.pk}.jpg").status_code == 404
        type(after).objects.filter(pk=after.pk).update(public=False)
        assert Client().get(row["media_url"]).status_code == 404
        (row,) = rows(fmt, get(fmt, f"requests/{case.number}", jurisdiction_id=HOME)[1], "service_requests", "request")
        assert row["media_url"] in ("", None)
