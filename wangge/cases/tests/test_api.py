"""The cases REST API: scoped lists and details, reports and the loop through the services, errors as 400/403/
404/409 with nothing written, no clear reporter data, metrics computed by hand, constant query counts."""

import datetime
import io
import re

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.cases import api, services, workflow
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, State
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts

PHONE = "13912345678"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
HOME_COMPOUND_CODES = ("T-C01", "T-C02")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(name: str = "after.jpg") -> SimpleUploadedFile:
    """A small JPEG, as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.jpg", b"this is not a photo at all", content_type="image/jpeg")


def report(cast, *, code: str = "C04", compound=None, description: str = "楼道里很吵", **extra) -> Case:
    """A case reported by a resident (compound level, 24 hours, no photo needed, by default)."""
    return services.case_report(
        actor=None,
        category=Category.objects.get(code=code),
        description=description,
        source="resident",
        compound=compound or cast.compound1,
        **extra,
    )


def act(case: Case, action: str, actor: User, **extra) -> Case:
    return services.case_act(actor=actor, case=case, action=action, **extra)


def post(client: Client, url: str, data: dict, **kwargs):
    return client.post(url, data, content_type="application/json", **kwargs)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def token_client(user: User) -> Client:
    """A client that signs every request with a new API key of `user`, and has no session."""
    _api_key, key = account_services.api_key_create(actor=None, user=user, name="测试系统")
    return Client(headers={"Authorization": f"Token {key}"})


def written(case: Case) -> tuple[int, int, int, int]:
    """What a refused request must leave as it was: the case's version, its events, photos and audit trail."""
    return (
        Case.objects.get(pk=case.pk).version,
        CaseEvent.objects.filter(case=case).count(),
        CasePhoto.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).count(),
    )


@pytest.fixture
def cases(cast) -> dict[str, Case]:
    """One case in each of home's compounds, one next door."""
    return {
        "home1": report(cast, compound=cast.compound1, reporter_name="甄居民", reporter_phone=PHONE),
        "home2": report(cast, compound=cast.compound2),
        "next": report(cast, compound=cast.next_compound),
    }


class CaseAccessTests:
    def urls(self, case: Case) -> list[str]:
        return [
            "/api/v1/cases/",
            f"/api/v1/cases/{case.number}/",
            "/api/v1/case-categories/",
            "/api/v1/case-categories/C04/",
            "/api/v1/case-metrics/",
        ]

    def test_it_refuses_anonymous_callers(self, cast, cases):
        client = cast.client(None)
        case = cases["home1"]
        seen = {url: client.get(url).status_code for url in self.urls(case)}
        seen["create"] = post(
            client, "/api/v1/cases/", {"category": "C04", "description": "吵", "compound": "T-C01"}
        ).status_code
        seen["register"] = post(client, f"/api/v1/cases/{case.number}/register/", {}).status_code
        assert {key: status in (401, 403) for key, status in seen.items()} == dict.fromkeys(seen, True), seen
        assert Case.objects.count() == 3
        assert Case.objects.get(pk=case.pk).state == State.REPORTED

    def test_it_refuses_a_resident_account(self, cast, cases):
        client = cast.client(cast.resident)
        case = cases["home1"]
        seen = {url: client.get(url).status_code for url in self.urls(case)}
        seen["create"] = post(
            client, "/api/v1/cases/", {"category": "C04", "description": "吵", "compound": "T-C01"}
        ).status_code
        seen["register"] = post(client, f"/api/v1/cases/{case.number}/register/", {}).status_code
        assert seen == dict.fromkeys(seen, 403)
        assert Case.objects.count() == 3

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("director", ["home2", "home1"]),
            ("auditor", ["home2", "home1"]),
            ("grid_leader", ["home1"]),
            ("grid_worker", ["home1"]),
            ("building_leader", ["home1"]),
            ("outsider", ["next"]),
        ],
    )
    def test_it_lists_what_is_in_scope(self, cast, cases, who, expected):
        response = cast.client(getattr(cast, who)).get("/api/v1/cases/")
        assert numbers(response) == [cases[name].number for name in expected]
        assert response.json()["count"] == len(expected)

    def test_it_lists_nothing_of_home_to_the_outsider(self, cast, cases):
        content = cast.client(cast.outsider).get("/api/v1/cases/").content.decode()
        assert cases["home1"].number not in content and cases["home2"].number not in content
        assert not any(code in content for code in HOME_COMPOUND_CODES)

    def test_it_answers_404_for_a_number_that_names_nothing(self, cast, cases):
        # A NUL character must not reach PostgreSQL, which answers it with an error.
        client = cast.client(cast.director)
        for url in ("/api/v1/cases/%00/", "/api/v1/cases/abc/", "/api/v1/case-categories/C%0004/"):
            assert client.get(url).status_code == 404, url
        assert post(client, "/api/v1/cases/1%00/register/", {}).status_code == 404
        assert client.get("/api/v1/cases/", {"search": "a\x00"}).status_code == 400

    def test_it_answers_404_out_of_scope(self, cast, cases):
        home1, home2 = cases["home1"], cases["home2"]
        assert cast.client(cast.outsider).get(f"/api/v1/cases/{home1.number}/").status_code == 404
        assert cast.client(cast.grid_worker).get(f"/api/v1/cases/{home2.number}/").status_code == 404
        assert cast.client(cast.building_leader).get(f"/api/v1/cases/{home2.number}/").status_code == 404
        assert cast.client(cast.director).get("/api/v1/cases/19990101000001/").status_code == 404

    def test_it_shows_a_case_to_the_roles_over_it(self, cast, cases):
        url = f"/api/v1/cases/{cases['home1'].number}/"
        seen = {
            who: cast.client(getattr(cast, who)).get(url).status_code
            for who in ("director", "auditor", "grid_leader", "grid_worker", "building_leader")
        }
        assert seen == dict.fromkeys(seen, 200)


class CaseDetailTests:
    def test_it_shows_the_facts_of_a_case(self, cast, cases):
        case = act(cases["home1"], "register", cast.grid_leader)
        case = act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)
        data = cast.client(cast.grid_leader).get(f"/api/v1/cases/{case.number}/").json()
        assert {key: data[key] for key in ("number", "state", "category", "category_name", "level", "grid")} == {
            "number": case.number,
            "state": "dispatched",
            "category": "C04",
            "category_name": "噪声扰民",
            "level": "compound",
            "grid": cast.grid1.code,
        }
        assert (data["compound"], data["shop"], data["assignee"], data["source"]) == (
            "T-C01",
            None,
            "gridworker",
            "resident",
        )
        assert (data["longitude"], data["latitude"]) == (113.6570, 34.7880)  # the compound's point
        assert data["state_label"] and data["level_label"] and data["grid_name"] == "第一网格"
        assert data["deadline_at"] and data["version"] == case.version == 3
        assert (data["rework_count"], data["postponed"], data["reopen_count"], data["overdue"]) == (0, False, 0, False)
        assert data["rating"] is None and data["photos"] == [] and data["attributes"] == {}
        assert [event["action"] for event in data["timeline"]] == ["report", "register", "dispatch"]
        assert data["timeline"][2]["actor"] == "gridleader"
        assert data["timeline"][2]["from_state"] == "registered" and data["timeline"][2]["to_state"] == "dispatched"
        assert "start" in data["actions"] and "verify" not in data["actions"]

    def test_it_masks_the_reporter(self, cast, cases):
        data = cast.client(cast.director).get(f"/api/v1/cases/{cases['home1'].number}/").json()
        assert (data["reporter_name_masked"], data["reporter_phone_masked"]) == ("甄**", "139****5678")
        assert "reporter_phone" not in data and "reporter_name" not in data and "tracking_code" not in data

    def test_it_shows_all_events_to_staff(self, cast, cases):
        case = act(cases["home1"], "register", cast.grid_leader)
        act(case, "urge", cast.director, note="尽快")  # a private step: residents don't see it
        data = cast.client(cast.grid_worker).get(f"/api/v1/cases/{case.number}/").json()
        assert [(e["action"], e["public"]) for e in data["timeline"]] == [
            ("report", True),
            ("register", True),
            ("urge", False),
        ]

    def test_it_lists_photos_with_scoped_urls_and_the_rating(self, cast):
        case = report(cast, photos=[jpeg("before.jpg")])
        for step, actor, extra in [
            ("register", cast.grid_leader, {}),
            ("dispatch", cast.grid_leader, {"assignee": cast.grid_worker}),
            ("handle", cast.grid_worker, {"note": "已劝导", "photos": [jpeg()]}),
            ("verify", cast.grid_leader, {}),
            ("close", cast.grid_leader, {}),
        ]:
            case = act(case, step, actor, **extra)
        services.case_rate(case=case, stars=5, comment="很快")
        data = cast.client(cast.grid_leader).get(f"/api/v1/cases/{case.number}/").json()
        photos = list(CasePhoto.objects.filter(case=case).order_by("kind"))
        assert sorted((p["kind"], p["url"]) for p in data["photos"]) == [
            (photo.kind, f"http://testserver{reverse('cases:case_photo', args=[photo.pk])}") for photo in photos
        ]
        assert all(p["width"] == 64 and p["height"] == 48 for p in data["photos"])
        assert (data["rating"]["stars"], data["rating"]["comment"]) == (5, "很快")

    def test_it_offers_the_actions_the_caller_may_take(self, cast, cases):
        url = f"/api/v1/cases/{cases['home1'].number}/"
        assert cast.client(cast.grid_leader).get(url).json()["actions"] == ["register", "reject"]
        assert cast.client(cast.grid_worker).get(url).json()["actions"] == ["register"]
        assert cast.client(cast.auditor).get(url).json()["actions"] == []


class CaseFilterTests:
    @pytest.fixture
    def three(self, cast) -> dict[str, Case]:
        a = act(report(cast), "register", cast.director)
        a = act(a, "dispatch", cast.director, assignee=cast.grid_worker)
        b = report(cast, code="E0105", compound=cast.compound2, description="路面有油污")
        c = act(report(cast), "register", cast.director)
        c = act(
            c, "dispatch", cast.director, assignee=cast.grid_worker, now=timezone.now() - datetime.timedelta(days=3)
        )
        return {"a": a, "b": b, "c": c}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("state=reported", ["b"]),
            ("state=dispatched,reported", ["c", "b", "a"]),
            ("category=E0105", ["b"]),
            ("category=C04,E0105", ["c", "b", "a"]),
            ("grid=410105008004002", ["b"]),
            ("compound=T-C01", ["c", "a"]),
            ("assignee=gridworker", ["c", "a"]),
            ("overdue=true", ["c"]),
            ("overdue=false", ["b", "a"]),
            ("search=油污", ["b"]),
            ("state=dispatched&ordering=deadline_at", ["c", "a"]),
            ("state=dispatched&ordering=-deadline_at", ["a", "c"]),
            ("ordering=reported_at", ["a", "b", "c"]),
        ],
    )
    def test_it_filters_and_orders(self, cast, three, query, expected):
        response = cast.client(cast.director).get(f"/api/v1/cases/?{query}")
        assert numbers(response) == [three[name].number for name in expected]

    def test_it_filters_by_number_and_day(self, cast, three):
        client = cast.client(cast.director)
        today = timezone.localdate()
        assert numbers(client.get("/api/v1/cases/", {"search": three["a"].number})) == [three["a"].number]
        assert len(numbers(client.get("/api/v1/cases/", {"created_after": today, "created_before": today}))) == 3
        assert numbers(client.get("/api/v1/cases/", {"created_before": today - datetime.timedelta(days=1)})) == []
        assert numbers(client.get("/api/v1/cases/", {"created_after": today + datetime.timedelta(days=1)})) == []

    def test_it_refuses_a_bad_filter(self, cast, three):
        client = cast.client(cast.director)
        for query, field in [("state=lost", "state"), ("created_after=yesterday", "created_after")]:
            response = client.get(f"/api/v1/cases/?{query}")
            assert response.status_code == 400, query
            assert field in response.json()


def report_data(**overrides) -> dict:
    data = {
        "category": "C03",
        "description": "三号楼楼道灯不亮",
        "compound": "T-C01",
        "attributes": {"facility": "light", "danger": "no"},
        "reporter_name": "甄居民",
        "reporter_phone": PHONE,
    }
    return {**data, **overrides}


class CaseReportTests:
    def test_it_reports_a_case(self, cast):
        response = post(cast.client(cast.grid_worker), "/api/v1/cases/", report_data())
        assert response.status_code == 201, response.content
        data = response.json()
        case = Case.objects.get(number=data["number"])
        assert (case.state, case.source, case.reporter, case.area, case.compound) == (
            State.REPORTED,
            "patrol",
            cast.grid_worker,
            cast.grid1,
            cast.compound1,
        )
        assert case.attributes == {"facility": "light", "danger": "no"} == data["attributes"]
        assert case.reporter_phone == PHONE
        assert [event["action"] for event in data["timeline"]] == ["report"]
        assert AuditEvent.objects.get(action="case.report", object_id=str(case.pk)).actor == cast.grid_worker

    def test_it_finds_the_grid_from_a_point_or_takes_a_grid_or_shop(self, cast):
        client = cast.client(cast.director)
        for overrides, grid in [
            ({"compound": None, "longitude": 113.6600, "latitude": 34.7890}, cast.grid2),
            ({"compound": None, "grid": "410105008004002"}, cast.grid2),
            ({"compound": None, "shop": "T-S001"}, cast.grid1),
        ]:
            response = post(client, "/api/v1/cases/", report_data(**overrides))
            assert response.status_code == 201, response.content
            assert response.json()["grid"] == grid.code

    def test_it_takes_a_building_leaders_report_from_their_compound(self, cast):
        data = report_data(category="C04", attributes={}, source="building_leader")
        response = post(cast.client(cast.building_leader), "/api/v1/cases/", data)
        assert response.status_code == 201, response.content
        assert response.json()["source"] == "building_leader"

    def test_it_takes_photos_and_answers_in_a_multipart_report(self, cast):
        data = {**report_data(attributes='{"facility": "door"}'), "photos": [jpeg("a.jpg"), jpeg("b.jpg")]}
        response = cast.client(cast.grid_worker).post("/api/v1/cases/", data)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["attributes"] == {"facility": "door"}
        assert [photo["kind"] for photo in body["photos"]] == ["before", "before"]
        assert CasePhoto.objects.filter(case__number=body["number"]).count() == 2

    def test_it_answers_a_retried_report_with_the_first_case(self, cast):
        client = cast.client(cast.grid_worker)
        first = post(client, "/api/v1/cases/", report_data(), headers={"Idempotency-Key": "abc-123"})
        again = post(client, "/api/v1/cases/", report_data(), headers={"Idempotency-Key": "abc-123"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["number"] == again.json()["number"]
        assert Case.objects.count() == 1
        assert CaseEvent.objects.count() == 1

    def test_it_keeps_one_callers_key_apart_from_anothers(self, cast):
        # The director's retry must not find the grid worker's case (nor answer with it).
        mine = post(cast.client(cast.grid_worker), "/api/v1/cases/", report_data(), headers={"Idempotency-Key": "k1"})
        theirs = post(cast.client(cast.director), "/api/v1/cases/", report_data(), headers={"Idempotency-Key": "k1"})
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["number"] != theirs.json()["number"]

    @pytest.mark.parametrize("key", ["k" * 65, "键-1", "k\t1"])
    def test_it_refuses_a_long_or_strange_idempotency_key(self, cast, key):
        response = post(cast.client(cast.director), "/api/v1/cases/", report_data(), headers={"Idempotency-Key": key})
        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()
        assert not Case.objects.exists()

    def test_it_refuses_answers_that_are_not_finite_numbers(self, cast):
        # JSON has no NaN, but Python's parser takes it (and 1e999 as infinity); no database stores it.
        client = cast.client(cast.director)
        for text in ('{"persons": NaN}', '{"persons": 1e999}'):
            response = client.post("/api/v1/cases/", {**report_data(category="C05"), "attributes": text})
            assert response.status_code == 400, response.content
            assert response.json()["attributes"]
        assert not Case.objects.exists()

    def test_it_refuses_a_number_answer_spelled_as_nan(self, cast):
        data = report_data(category="C05", attributes={"persons": "nan"})
        response = post(cast.client(cast.director), "/api/v1/cases/", data)
        assert response.status_code == 400
        assert not Case.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"category": "X99"}, "category"),
            ({"description": None}, "description"),
            ({"description": "   "}, "description"),
            ({"compound": None, "longitude": 120.0, "latitude": 30.0}, "location"),
            ({"compound": None, "longitude": 113.6570}, "location"),
            ({"compound": None, "grid": "410105008004999"}, "grid"),
            ({"compound": None, "grid": "410105008005001"}, "grid"),  # next door's: not among the director's
            ({"compound": None}, "location"),
            ({"compound": "N-C01"}, "compound"),
            ({"attributes": {}}, "attributes"),  # the facility question must be answered
            ({"attributes": {"facility": "roof"}}, "attributes"),
            ({"attributes": ["light"]}, "attributes"),
            ({"reporter_phone": "12345"}, "reporter_phone"),
            ({"source": "rumour"}, "source"),
            # NUL characters, which PostgreSQL would refuse with an error
            ({"category": "C0\x003"}, "category"),
            ({"compound": "T-C01\x00"}, "compound"),
            ({"compound": None, "grid": "\x00"}, "grid"),
            ({"compound": None, "shop": "T-S\x00"}, "shop"),
            ({"description": "灯\x00"}, "description"),
            ({"attributes": {"facility": "light", "note\x00": "x"}}, "attributes"),
        ],
    )
    def test_it_answers_bad_input_with_400_and_writes_nothing(self, cast, overrides, field):
        data = {key: value for key, value in report_data(**overrides).items() if value is not None}
        response = post(cast.client(cast.director), "/api/v1/cases/", data)
        assert response.status_code == 400, response.content
        messages = response.json()[field]
        assert messages and all(isinstance(m, str) and m for m in messages), messages
        assert (Case.objects.count(), AuditEvent.objects.filter(action="case.report").count()) == (0, 0)

    def test_it_refuses_a_file_that_is_not_a_photo(self, cast):
        data = {**report_data(attributes='{"facility": "door"}'), "photos": [jpeg(), not_an_image()]}
        response = cast.client(cast.director).post("/api/v1/cases/", data)
        assert response.status_code == 400, response.content
        assert (Case.objects.count(), CasePhoto.objects.count(), CaseEvent.objects.count()) == (0, 0, 0)

    def test_it_refuses_a_report_into_an_area_the_caller_does_not_serve(self, cast):
        # A grid worker of grid 1 pointing into grid 2.
        data = report_data(compound=None, longitude=113.6600, latitude=34.7890)
        response = post(cast.client(cast.grid_worker), "/api/v1/cases/", data)
        assert response.status_code == 403
        assert not Case.objects.exists()

    def test_it_refuses_a_report_by_the_read_only_auditor(self, cast):
        response = post(cast.client(cast.auditor), "/api/v1/cases/", report_data())
        assert response.status_code == 403
        assert not Case.objects.exists()


# For each action: the state to bring the case to, who may take it, and a body that satisfies it.
PREPARE = {
    "reported": [],
    "registered": [("register", {})],
    "dispatched": [("register", {}), ("dispatch", {"assignee": "grid_worker"})],
    "in_progress": [("register", {}), ("dispatch", {"assignee": "grid_worker"}), ("start", {})],
    "handled": [("register", {}), ("dispatch", {"assignee": "grid_worker"}), ("handle", {"note": "已劝导"})],
    "verified": [
        ("register", {}),
        ("dispatch", {"assignee": "grid_worker"}),
        ("handle", {"note": "已劝导"}),
        ("verify", {}),
    ],
    "closed": [
        ("register", {}),
        ("dispatch", {"assignee": "grid_worker"}),
        ("handle", {"note": "已劝导"}),
        ("verify", {}),
        ("close", {}),
    ],
    "suspended": [("register", {}), ("suspend", {"note": "等待业主回来"})],
    "postponement_asked": [
        ("register", {}),
        ("dispatch", {"assignee": "grid_worker"}),
        ("request_postponement", {"reason": "等配件", "hours": 24}),
    ],
}
ACTIONS = {
    "register": ("reported", "grid_worker", {}),
    "reject": ("reported", "grid_leader", {"reason": "duplicate", "note": "与前一件重复"}),
    "dispatch": ("registered", "grid_leader", {"assignee": "gridworker"}),
    "start": ("dispatched", "grid_worker", {}),
    "handle": ("in_progress", "grid_worker", {"note": "已劝导"}),
    "verify": ("handled", "grid_leader", {}),
    "rework": ("handled", "grid_leader", {"note": "仍有噪声"}),
    "close": ("verified", "grid_leader", {}),
    "suspend": ("registered", "director", {"note": "等待业主回来"}),
    "resume": ("suspended", "director", {}),
    "escalate": ("in_progress", "grid_worker", {"note": "楼院解决不了"}),
    "urge": ("dispatched", "grid_leader", {"note": "抓紧"}),
    "request_postponement": ("in_progress", "grid_worker", {"reason": "等配件", "hours": 24}),
    "decide_postponement": ("postponement_asked", "director", {"approve": True}),
    "reopen": ("closed", "director", {"note": "又吵了"}),
}


def prepared(cast, state: str, compound=None) -> Case:
    """A case of compound 1 (or another) brought to `state` by the director; dispatched to someone of its grid."""
    compound = compound or cast.compound1
    case = report(cast, compound=compound)
    assignee = cast.grid_worker if compound.area == cast.grid1 else cast.director
    for step, extra in PREPARE[state]:
        case = act(case, step, cast.director, **{**extra, **({"assignee": assignee} if "assignee" in extra else {})})
    return case


class CaseTransitionTests:
    def test_it_has_one_endpoint_and_one_scenario_per_action_of_the_table(self, cast):
        assert set(ACTIONS) == set(workflow.TRANSITIONS)
        for name, transition in workflow.TRANSITIONS.items():
            assert reverse("case-" + name, kwargs={"number": "1"}) == f"/api/v1/cases/1/{name}/"
            fields = api.action_serializer(name)().fields
            assert {"version", "note"} <= set(fields)
            for need in transition.needs:
                assert {"after_photo": "photos"}.get(need, need) in fields, (name, need)

    @pytest.mark.parametrize("name", list(ACTIONS))
    def test_it_takes_the_action_for_an_allowed_role(self, cast, name):
        state, who, body = ACTIONS[name]
        case = prepared(cast, state)
        response = post(
            cast.client(getattr(cast, who)), f"/api/v1/cases/{case.number}/{name}/", {"version": case.version, **body}
        )
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["version"] == case.version + 1
        assert data["timeline"][-1]["action"] == name
        assert data["timeline"][-1]["actor"] == getattr(cast, who).username
        if workflow.TRANSITIONS[name].target:
            assert data["state"] == workflow.TRANSITIONS[name].target

    @pytest.mark.parametrize("name", list(ACTIONS))
    def test_it_refuses_the_read_only_auditor_with_403(self, cast, name):
        state, _who, body = ACTIONS[name]
        case = prepared(cast, state)
        before = written(case)
        response = post(cast.client(cast.auditor), f"/api/v1/cases/{case.number}/{name}/", body)
        assert response.status_code == 403, response.content
        assert written(case) == before

    @pytest.mark.parametrize("name", list(ACTIONS))
    def test_it_answers_404_out_of_scope_and_refuses_anonymous_callers(self, cast, name):
        state, _who, body = ACTIONS[name]
        case, in_grid2 = prepared(cast, state), prepared(cast, state, compound=cast.compound2)
        before = written(case), written(in_grid2)
        url = f"/api/v1/cases/{case.number}/{name}/"
        assert post(cast.client(cast.outsider), url, body).status_code == 404
        assert post(cast.client(cast.grid_leader), f"/api/v1/cases/{in_grid2.number}/{name}/", body).status_code == 404
        assert post(cast.client(None), url, body).status_code in (401, 403)
        assert (written(case), written(in_grid2)) == before

    def test_it_lets_a_building_leader_act_only_on_compound_level_cases(self, cast):
        small = report(cast)  # 噪声扰民: compound level
        large = report(cast, code="E0105", description="路面有油污")  # community level
        client = cast.client(cast.building_leader)
        before = written(large)
        assert post(client, f"/api/v1/cases/{small.number}/register/", {}).status_code == 200
        response = post(client, f"/api/v1/cases/{large.number}/register/", {})
        assert response.status_code == 403
        assert response.json()["detail"]
        assert written(large) == before

    def test_it_answers_400_for_an_action_the_state_does_not_allow(self, cast):
        case = report(cast)
        before = written(case)
        response = post(cast.client(cast.director), f"/api/v1/cases/{case.number}/close/", {})
        assert response.status_code == 400
        assert response.json()["non_field_errors"][0]
        assert written(case) == before

    @pytest.mark.parametrize(
        ("name", "body", "field"),
        [
            ("reject", {}, "reason"),
            ("reject", {"reason": "boring"}, "reason"),
            ("dispatch", {}, "assignee"),
            ("dispatch", {"assignee": "nobody"}, "assignee"),
            ("dispatch", {"assignee": "outsider"}, "assignee"),  # works next door
            ("dispatch", {"assignee": "grid\x00worker"}, "assignee"),
            ("rework", {}, "note"),
            ("rework", {"note": "   "}, "note"),
            ("request_postponement", {"reason": "等配件"}, "hours"),
            ("request_postponement", {"reason": "等配件", "hours": 0}, "hours"),
            ("request_postponement", {"hours": 24}, "reason"),
            ("decide_postponement", {}, "approve"),
            ("register", {"version": "latest"}, "version"),
        ],
    )
    def test_it_answers_missing_or_wrong_fields_with_400_and_writes_nothing(self, cast, name, body, field):
        state, who, _body = ACTIONS[name]
        case = prepared(cast, state)
        before = written(case)
        response = post(cast.client(cast.director), f"/api/v1/cases/{case.number}/{name}/", body)
        assert response.status_code == 400, response.content
        messages = response.json()[field]
        assert messages and all(isinstance(m, str) and m for m in messages), messages
        assert written(case) == before

    def test_it_answers_409_for_a_stale_version_and_writes_nothing(self, cast):
        case = prepared(cast, "registered")
        act(case, "urge", cast.director, note="尽快")  # someone else, meanwhile
        before = written(case)
        body = {"version": case.version, "assignee": "gridworker"}
        response = post(cast.client(cast.grid_leader), f"/api/v1/cases/{case.number}/dispatch/", body)
        assert response.status_code == 409
        assert response.json()["detail"]
        assert written(case) == before
        assert Case.objects.get(pk=case.pk).state == State.REGISTERED

    def test_it_refuses_a_handling_photo_that_is_not_an_image(self, cast):
        case = prepared(cast, "in_progress")
        before = written(case)
        response = cast.client(cast.grid_worker).post(
            f"/api/v1/cases/{case.number}/handle/", {"note": "已劝导", "photos": [not_an_image()]}
        )
        assert response.status_code == 400
        assert written(case) == before
        assert Case.objects.get(pk=case.pk).state == State.IN_PROGRESS

    def test_it_runs_the_whole_loop_with_api_keys(self, cast):
        leader, worker = token_client(cast.grid_leader), token_client(cast.grid_worker)
        response = post(worker, "/api/v1/cases/", report_data(reporter_phone=""))
        assert response.status_code == 201, response.content
        number = response.json()["number"]
        url = f"/api/v1/cases/{number}"
        version = response.json()["version"]
        for client, name, body in [
            (leader, "register", {}),
            (leader, "dispatch", {"assignee": "gridworker"}),
            (worker, "start", {}),
        ]:
            response = post(client, f"{url}/{name}/", {"version": version, **body})
            assert response.status_code == 200, (name, response.content)
            version = response.json()["version"]
        response = worker.post(f"{url}/handle/", {"version": version, "note": "已换灯泡", "photos": [jpeg()]})
        assert response.status_code == 200, response.content
        assert [photo["kind"] for photo in response.json()["photos"]] == ["after"]
        version = response.json()["version"]
        for name in ("verify", "close"):
            response = post(leader, f"{url}/{name}/", {"version": version})
            assert response.status_code == 200, (name, response.content)
            version = response.json()["version"]
        data = leader.get(f"{url}/").json()
        assert data["state"] == "closed" and data["closed_at"] and data["assignee"] == "gridworker"
        timeline = data["timeline"]
        assert [event["action"] for event in timeline] == [
            "report",
            "register",
            "dispatch",
            "start",
            "handle",
            "verify",
            "close",
        ]
        assert [event["actor"] for event in timeline] == [
            "gridworker",
            "gridleader",
            "gridleader",
            "gridworker",
            "gridworker",
            "gridleader",
            "gridleader",
        ]
        assert [event["at"] for event in timeline] == sorted(event["at"] for event in timeline)
        assert timeline[4]["note"] == "已换灯泡"


class CasePersonalDataTests:
    def test_it_never_answers_with_the_reporters_phone(self, cast):
        client = cast.client(cast.director)
        created = post(client, "/api/v1/cases/", report_data(reporter_email="zhen@example.com"))
        number = created.json()["number"]
        responses = [
            created,
            client.get("/api/v1/cases/"),
            client.get(f"/api/v1/cases/{number}/"),
            post(client, f"/api/v1/cases/{number}/register/", {}),
            post(client, f"/api/v1/cases/{number}/reject/", {}),  # 400: the state no longer allows it
            post(client, "/api/v1/cases/", report_data(category="X99")),
        ]
        for response in responses:
            content = response.content.decode()
            assert not MOBILE.search(content), content
            assert PHONE not in content and "zhen@example.com" not in content and "甄居民" not in content
        assert created.json()["reporter_email_masked"] == "******"

    def test_it_describes_no_clear_reporter_data_in_the_schema(self, cast):
        schema = cast.client(cast.director).get("/api/schema/", {"format": "json"}).json()
        detail = schema["components"]["schemas"]["CaseDetail"]["properties"]
        assert {"reporter_phone_masked", "reporter_name_masked", "reporter_email_masked"} <= set(detail)
        assert not {"reporter_phone", "reporter_name", "reporter_email", "tracking_code"} & set(detail)


class CategoryApiTests:
    def test_it_lists_active_categories_with_their_questions(self, cast):
        Category.objects.filter(code="E0102").update(active=False)
        rows = cast.client(cast.grid_worker).get("/api/v1/case-categories/", {"page_size": 100}).json()["results"]
        codes = [row["code"] for row in rows]
        assert "C03" in codes and "E0102" not in codes
        facility = next(row for row in rows if row["code"] == "C03")["questions"][0]
        assert (facility["code"], facility["datatype"], facility["required"]) == ("facility", "single", True)
        assert {"key": "light", "label": "楼道灯"} in facility["choices"]

    def test_it_shows_one_category_by_code(self, cast):
        client = cast.client(cast.auditor)
        data = client.get("/api/v1/case-categories/C04/").json()
        assert (data["name"], data["level"], data["deadline_hours"]) == ("噪声扰民", "compound", 24)
        Category.objects.filter(code="C04").update(active=False)
        assert client.get("/api/v1/case-categories/C04/").status_code == 404
        assert client.get("/api/v1/case-categories/X99/").status_code == 404


class CaseMetricsApiTests:
    @pytest.fixture
    def four(self, cast) -> dict[str, Case]:
        """One closed on time, one closed late, one open past its deadline (both in grid 1), one rejected (grid 2)."""
        now = timezone.now()
        ago = {days: now - datetime.timedelta(days=days) for days in (1, 3)}

        def closed(dispatched_at: datetime.datetime, closed_at: datetime.datetime) -> Case:
            case = act(report(cast), "register", cast.director, now=dispatched_at)
            case = act(case, "dispatch", cast.director, assignee=cast.grid_worker, now=dispatched_at)
            for step in ("handle", "verify", "close"):
                case = act(case, step, cast.director, note="已处理", now=closed_at)
            return case

        on_time = closed(now - datetime.timedelta(hours=2), now - datetime.timedelta(hours=1))
        late = closed(ago[3], ago[1])
        overdue = act(report(cast, compound=cast.compound2), "register", cast.director)
        overdue = act(overdue, "dispatch", cast.director, assignee=cast.director, now=ago[3])
        rejected = act(report(cast, compound=cast.compound2), "reject", cast.director, reason="duplicate")
        return {"on_time": on_time, "late": late, "overdue": overdue, "rejected": rejected}

    def test_it_computes_the_metrics_by_hand(self, cast, four):
        response = cast.client(cast.director).get("/api/v1/case-metrics/")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["by"], body["since"], body["until"]) == (None, None, None)
        [row] = body["results"]
        counts = {
            key: row[key] for key in ("reported", "registered", "due", "closed", "closed_on_time", "overdue_open")
        }
        assert counts == {"reported": 4, "registered": 3, "due": 3, "closed": 2, "closed_on_time": 1, "overdue_open": 1}
        rates = row["rates"]
        assert rates["closure"] == pytest.approx(2 / 3)
        assert rates["on_time"] == pytest.approx(1 / 3)
        assert rates["overdue"] == pytest.approx(1 / 3)
        assert (rates["rework"], rates["postponement"], rates["satisfaction"]) == (0.0, 0.0, None)
        assert rates["reporter_accuracy"] == pytest.approx(3 / 4)
        assert rates["composite"] == pytest.approx(30 * 2 / 3 + 20 / 3 + 20 + 20 * 2 / 3 + 10)

    def test_it_groups_by_grid_within_the_callers_scope(self, cast, four):
        rows = cast.client(cast.director).get("/api/v1/case-metrics/", {"by": "grid"}).json()["results"]
        by_key = {row["key"]: row for row in rows}
        assert set(by_key) == {cast.grid1.code, cast.grid2.code}
        grid1, grid2 = by_key[cast.grid1.code], by_key[cast.grid2.code]
        assert (grid1["label"], grid1["due"], grid1["rates"]["closure"], grid1["rates"]["on_time"]) == (
            "第一网格",
            2,
            1.0,
            0.5,
        )
        assert (grid2["reported"], grid2["due"], grid2["rates"]["overdue"], grid2["rates"]["closure"]) == (
            2,
            1,
            1.0,
            0.0,
        )
        worker_rows = cast.client(cast.grid_worker).get("/api/v1/case-metrics/", {"by": "grid"}).json()["results"]
        assert [row["key"] for row in worker_rows] == [cast.grid1.code]
        assert cast.client(cast.outsider).get("/api/v1/case-metrics/", {"by": "grid"}).json()["results"] == []

    def test_it_groups_by_person_category_and_month(self, cast, four):
        client = cast.client(cast.director)
        people = {r["key"]: r["reported"] for r in client.get("/api/v1/case-metrics/?by=person").json()["results"]}
        assert people == {"": 1, "director": 1, "gridworker": 2}
        [category] = client.get("/api/v1/case-metrics/?by=category").json()["results"]
        assert (category["key"], category["label"], category["reported"]) == ("C04", "噪声扰民", 4)
        [month] = client.get("/api/v1/case-metrics/?by=month").json()["results"]
        assert month["key"] == f"{timezone.localdate():%Y-%m}"

    def test_it_counts_only_cases_created_in_the_period(self, cast, four):
        client = cast.client(cast.director)
        today = timezone.localdate()
        rows = client.get("/api/v1/case-metrics/", {"since": today, "until": today}).json()["results"]
        assert rows[0]["reported"] == 4
        [row] = client.get("/api/v1/case-metrics/", {"until": today - datetime.timedelta(days=1)}).json()["results"]
        assert (row["reported"], row["due"], row["rates"]["closure"]) == (0, 0, None)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"by": "street"}, "by"),
            ({"since": "2024-13-01"}, "since"),
            ({"until": "yesterday"}, "until"),
            ({"since": "2024-06-02", "until": "2024-06-01"}, "until"),
        ],
    )
    def test_it_refuses_a_bad_query(self, cast, query, field):
        response = cast.client(cast.director).get("/api/v1/case-metrics/", query)
        assert response.status_code == 400
        messages = response.json()[field]
        assert messages and all(isinstance(m, str) and m for m in messages)


LISTS = [
    "/api/v1/cases/",
    "/api/v1/cases/?state=reported,dispatched&ordering=-deadline_at",
    "/api/v1/cases/?search=批量&category=C04,E0105",
    "/api/v1/case-categories/",
    "/api/v1/case-metrics/?by=grid",
]


def _add_cases(cast, count: int) -> None:
    """`count` more cases in home: half reported, half dispatched to the grid worker."""
    for number in range(count):
        case = report(cast, description=f"批量{number}", reporter_phone=PHONE)
        if number % 2:
            case = act(case, "register", cast.director)
            act(case, "dispatch", cast.director, assignee=cast.grid_worker)


class CaseQueryCountTests:
    @pytest.mark.parametrize("who", ["director", "grid_worker"])
    def test_it_uses_as_many_queries_for_many_cases_as_for_few(self, cast, who):
        client = cast.client(getattr(cast, who))
        _add_cases(cast, 5)
        few = query_counts(client, LISTS)
        _add_cases(cast, 30)
        many = query_counts(client, LISTS)
        assert many == few
        assert len(numbers(client.get("/api/v1/cases/"))) == 35


class CaseSchemaTests:
    def test_it_documents_every_endpoint(self, cast):
        schema = cast.client(cast.director).get("/api/schema/", {"format": "json"}).json()
        paths = schema["paths"]
        for path in ("/api/v1/cases/", "/api/v1/cases/{number}/", "/api/v1/case-categories/", "/api/v1/case-metrics/"):
            assert path in paths, path
        for name in workflow.TRANSITIONS:
            operation = paths[f"/api/v1/cases/{{number}}/{name}/"]["post"]
            assert {"200", "400", "403", "404", "409"} <= set(operation["responses"]), name
        handle = paths["/api/v1/cases/{number}/handle/"]["post"]["requestBody"]["content"]
        photos = handle["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][photos]["properties"]["photos"]["type"] == "array"
        create = paths["/api/v1/cases/"]["post"]
        assert {"200", "201", "400"} <= set(create["responses"])
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
        metrics = paths["/api/v1/case-metrics/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert metrics["$ref"].endswith("/MetricsReport")

    def test_it_answers_as_the_schema_says(self, cast):
        client = cast.client(cast.grid_leader)
        schema = client.get("/api/schema/", {"format": "json"}).json()
        case = prepared(cast, "closed")
        services.case_rate(case=case, stars=4)
        rejected = act(report(cast, photos=[jpeg()]), "reject", cast.director, reason="duplicate")
        urge = f"/api/v1/cases/{prepared(cast, 'registered').number}/urge/"
        reopen = f"/api/v1/cases/{case.number}/reopen/"
        checks = [
            ("/api/v1/cases/", "get", client.get("/api/v1/cases/")),
            ("/api/v1/cases/{number}/", "get", client.get(f"/api/v1/cases/{case.number}/")),
            ("/api/v1/cases/{number}/", "get", client.get(f"/api/v1/cases/{rejected.number}/")),
            ("/api/v1/cases/{number}/", "get", client.get("/api/v1/cases/19990101000001/")),
            ("/api/v1/cases/", "post", post(client, "/api/v1/cases/", report_data())),
            ("/api/v1/cases/", "post", post(client, "/api/v1/cases/", report_data(attributes=[]))),
            ("/api/v1/cases/{number}/urge/", "post", post(client, urge, {"note": "快"})),
            ("/api/v1/cases/{number}/urge/", "post", post(client, urge, {})),
            ("/api/v1/cases/{number}/urge/", "post", post(client, urge, {"version": 1, "note": "快"})),
            ("/api/v1/cases/{number}/reopen/", "post", post(client, reopen, {"note": "又吵了"})),  # 403: office only
            ("/api/v1/case-categories/", "get", client.get("/api/v1/case-categories/")),
            ("/api/v1/case-categories/{code}/", "get", client.get("/api/v1/case-categories/C03/")),
            ("/api/v1/case-metrics/", "get", client.get("/api/v1/case-metrics/?by=person")),
            ("/api/v1/case-metrics/", "get", client.get("/api/v1/case-metrics/?by=month&until=2000-01-01")),
            ("/api/v1/case-metrics/", "get", client.get("/api/v1/case-metrics/?by=street")),
            ("/api/v1/cases/", "get", cast.client(None).get("/api/v1/cases/")),
            ("/api/v1/cases/", "get", cast.client(cast.resident).get("/api/v1/cases/")),
        ]
        components = _json_schema(schema["components"])
        seen = set()
        for path, method, response in checks:
            responses = schema["paths"][path][method]["responses"]
            assert str(response.status_code) in responses, (path, response.status_code)
            expected = _json_schema(responses[str(response.status_code)]["content"]["application/json"]["schema"])
            jsonschema.validate(response.json(), {**expected, "components": components})
            seen.add(response.status_code)
        assert seen == {200, 201, 400, 401, 403, 404, 409}


def _json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node
