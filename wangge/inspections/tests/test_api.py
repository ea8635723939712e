"""The inspections REST API: the shared checklists for every office role; inspections scoped to the caller's
areas with their findings and filters; POST through the service (JSON, or multipart with photos), its refusals
as 400/403/404 with nothing written; constant query counts; responses as the schema says."""

import datetime
import io
import json
from typing import Any

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.cases.models import Case
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.inspections import services
from wangge.inspections.models import Checklist, Finding, Inspection, Result
from wangge.territory import services as territory_services

CHECKLISTS = "/api/v1/checklists/"
INSPECTIONS = "/api/v1/inspections/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(name: str = "failure.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (160, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def in_use(code: str) -> Checklist:
    # A community's own version in use comes before the shared one (the tests' only community with one is home).
    return Checklist.objects.filter(code=code, status="published").order_by(F("community").asc(nulls_last=True))[0]


def inspect(cast: Any, place: Any, code: str, *, days_ago: int = 0, failing: tuple[str, ...] = ()) -> Inspection:
    """An inspection of `place` by the director; `failing` items fail with a note and a photo."""
    checklist = in_use(code)
    answers = {item.code: services.Answer(Result.PASS) for item in services.items_for(checklist, place)}
    for item_code in failing:
        answers[item_code] = services.Answer(Result.FAIL, note="不合格", photo=jpeg())
    return services.inspection_record(
        actor=cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=timezone.now() - datetime.timedelta(days=days_ago, minutes=5),
        now=timezone.now() - datetime.timedelta(days=days_ago, minutes=5),  # entered at the time
    )


def body(cast: Any, at: Any, code: str, **extra: Any) -> dict[str, Any]:
    """A JSON request body inspecting the place `at`, every item that applies answered as passed."""
    checklist = in_use(code)
    answers = [{"item": item.code, "result": "pass"} for item in services.items_for(checklist, at)]
    target = {"compound-sanitation": "compound", "shop-standards": "shop", "office-building": "office"}[code]
    return {"target": target, "place": at.code, "checklist": checklist.pk, "answers": answers, **extra}


def post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(INSPECTIONS, data, content_type="application/json")


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def written() -> tuple[int, int, int, int]:
    return Inspection.objects.count(), Finding.objects.count(), Case.objects.count(), AuditEvent.objects.count()


def user_with(username: str, *grants: tuple[str, Any]) -> User:
    user = account_services.user_create(actor=None, username=username, display_name=username)
    for role, area in grants:
        territory_services.role_grant(actor=None, user=user, role=role, area=area)
    return user


class ChecklistApiTests:
    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker", "auditor", "outsider"])
    def test_it_gives_every_office_role_the_standards_with_their_items(self, cast, who) -> None:
        response = cast.client(getattr(cast, who)).get(CHECKLISTS)
        assert response.status_code == 200
        rows = {row["code"]: row for row in response.json()["results"]}
        assert sorted(rows) == ["compound-sanitation", "office-building", "shop-standards"]
        shop = rows["shop-standards"]
        assert (shop["version"], shop["status"], shop["target"], shop["total_points"]) == (1, "published", "shop", 145)
        xc01 = next(item for item in shop["items"] if item["code"] == "XC01")
        assert xc01["trades"] == ["restaurant", "food"] and xc01["category"] == "C08"
        assert [item["code"] for item in rows["office-building"]["items"]] == ["XZ01", "XZ02", "XZ03", "XZ04", "XZ05"]

    def test_it_filters_by_kind_status_and_code(self, cast) -> None:
        services.checklist_new_version(actor=cast.director, checklist=in_use("shop-standards"), community=cast.home)
        client = cast.client(cast.grid_worker)
        assert [r["code"] for r in client.get(CHECKLISTS, {"target": "office"}).json()["results"]] == [
            "office-building"
        ]
        drafts = client.get(CHECKLISTS, {"status": "draft"}).json()["results"]
        assert [(r["code"], r["version"]) for r in drafts] == [("shop-standards", 2)]
        versions = client.get(CHECKLISTS, {"code": "shop-standards"}).json()["results"]
        assert [r["version"] for r in versions] == [2, 1]
        assert client.get(CHECKLISTS, {"status": "lost"}).status_code == 400

    def test_it_gives_one_version_by_id(self, cast) -> None:
        checklist = in_use("compound-sanitation")
        response = cast.client(cast.auditor).get(f"{CHECKLISTS}{checklist.pk}/")
        assert response.json()["name"] == checklist.name and len(response.json()["items"]) == 9
        assert cast.client(cast.auditor).get(f"{CHECKLISTS}999999/").status_code == 404

    def test_it_refuses_anonymous_callers_and_residents(self, cast) -> None:
        assert cast.client(None).get(CHECKLISTS).status_code in (401, 403)
        assert cast.client(cast.resident).get(CHECKLISTS).status_code == 403

    def test_it_is_read_only(self, cast) -> None:
        response = cast.client(cast.director).post(CHECKLISTS, {"code": "x"}, content_type="application/json")
        assert response.status_code == 405

    def test_it_uses_as_many_queries_for_many_versions_as_for_few(self, cast) -> None:
        client = cast.client(cast.director)
        few = query_counts(client, [CHECKLISTS])
        for code in ("compound-sanitation", "shop-standards", "office-building"):
            draft = services.checklist_new_version(actor=cast.director, checklist=in_use(code), community=cast.home)
            services.checklist_publish(actor=cast.director, checklist=draft)
            services.checklist_new_version(actor=cast.director, checklist=draft, community=cast.home)
        many = query_counts(client, [CHECKLISTS])
        assert client.get(CHECKLISTS).json()["count"] == 9
        assert many == few


class InspectionListTests:
    def test_it_lists_the_inspections_in_the_callers_areas(self, cast) -> None:
        mine = inspect(cast, cast.compound1, "compound-sanitation")
        other_grid = inspect(cast, cast.shop2, "shop-standards")
        next_door = services.inspection_record(
            actor=cast.outsider,
            checklist=in_use("compound-sanitation"),
            place=cast.next_compound,
            answers={
                item.code: services.Answer(Result.PASS)
                for item in services.items_for(in_use("compound-sanitation"), cast.next_compound)
            },
        )
        assert sorted(ids(cast.client(cast.director).get(INSPECTIONS))) == sorted([mine.pk, other_grid.pk])
        assert sorted(ids(cast.client(cast.auditor).get(INSPECTIONS))) == sorted([mine.pk, other_grid.pk])
        assert ids(cast.client(cast.grid_worker).get(INSPECTIONS)) == [mine.pk]
        assert ids(cast.client(cast.outsider).get(INSPECTIONS)) == [next_door.pk]

    def test_it_gives_the_findings_with_their_cases_and_relapses(self, cast) -> None:
        inspection = inspect(cast, cast.compound1, "compound-sanitation", failing=("HY02",))
        case = Case.objects.get(findings__inspection=inspection)
        response = cast.client(cast.grid_leader).get(f"{INSPECTIONS}{inspection.pk}/")
        row = response.json()
        assert (row["place"], row["place_name"], row["grid"], row["target"]) == (
            "T-C01",
            "测试一号院",
            cast.grid1.code,
            "compound",
        )
        assert (row["checklist_code"], row["checklist_version"], row["inspector"]) == (
            "compound-sanitation",
            1,
            "director",
        )
        assert row["score"] == 85.0 and row["passed"] is True and row["failed_count"] == 1
        findings = {finding["item"]: finding for finding in row["findings"]}
        assert len(findings) == 9
        failed = findings["HY02"]
        assert (failed["result"], failed["note"], failed["case"], failed["relapse"]) == (
            "fail",
            "不合格",
            case.number,
            False,
        )
        assert failed["photo"].endswith(f"/inspections/findings/{inspection.findings.get(item_code='HY02').pk}/photo/")
        assert findings["HY01"]["case"] is None and findings["HY01"]["photo"] is None

    def test_it_marks_a_relapse(self, cast) -> None:
        first = inspect(cast, cast.compound1, "compound-sanitation", days_ago=5, failing=("HY02",))
        case = Case.objects.get(findings__inspection=first)
        Case.objects.filter(pk=case.pk).update(state="closed", verified_at=timezone.now() - datetime.timedelta(days=2))
        again = inspect(cast, cast.compound1, "compound-sanitation", failing=("HY02",))
        finding = next(
            f
            for f in cast.client(cast.director).get(f"{INSPECTIONS}{again.pk}/").json()["findings"]
            if f["item"] == "HY02"
        )
        assert finding["relapse"] is True and finding["relapse_of"] == case.number

    def test_it_answers_404_for_an_inspection_out_of_scope(self, cast) -> None:
        inspection = inspect(cast, cast.shop2, "shop-standards")
        assert cast.client(cast.outsider).get(f"{INSPECTIONS}{inspection.pk}/").status_code == 404
        assert cast.client(cast.grid_worker).get(f"{INSPECTIONS}{inspection.pk}/").status_code == 404
        assert cast.client(cast.director).get(f"{INSPECTIONS}abc/").status_code == 404

    def test_it_refuses_anonymous_callers_and_residents(self, cast) -> None:
        inspection = inspect(cast, cast.compound1, "compound-sanitation")
        for url in (INSPECTIONS, f"{INSPECTIONS}{inspection.pk}/"):
            assert cast.client(None).get(url).status_code in (401, 403)
            assert cast.client(cast.resident).get(url).status_code == 403

    def test_it_filters_by_grid_kind_place_result_and_day(self, cast) -> None:
        old = inspect(cast, cast.compound1, "compound-sanitation", days_ago=10, failing=("HY09",))
        shop = inspect(cast, cast.shop1, "shop-standards", days_ago=3)
        office = inspect(cast, cast.office, "office-building")
        client = cast.client(cast.director)
        today = timezone.localdate()
        assert ids(client.get(INSPECTIONS, {"grid": cast.grid2.code})) == [office.pk]
        assert ids(client.get(INSPECTIONS, {"target": "shop"})) == [shop.pk]
        assert ids(client.get(INSPECTIONS, {"place": "T-C01"})) == [old.pk]
        assert ids(client.get(INSPECTIONS, {"passed": "false"})) == [old.pk]  # a critical item failed
        assert ids(client.get(INSPECTIONS, {"checklist": "office-building"})) == [office.pk]
        since = (today - datetime.timedelta(days=4)).isoformat()
        assert ids(client.get(INSPECTIONS, {"inspected_from": since})) == [office.pk, shop.pk]
        until = (today - datetime.timedelta(days=4)).isoformat()
        assert ids(client.get(INSPECTIONS, {"inspected_to": until})) == [old.pk]
        assert client.get(INSPECTIONS, {"inspected_from": "2014-13-01"}).status_code == 400

    def test_it_uses_as_many_queries_for_many_inspections_as_for_few(self, cast) -> None:
        client = cast.client(cast.director)
        inspect(cast, cast.compound1, "compound-sanitation", failing=("HY01",))
        urls = [INSPECTIONS, f"{INSPECTIONS}?target=compound&passed=true"]
        few = query_counts(client, urls)
        for days in range(5, 0, -1):  # in the order they took place
            inspect(cast, cast.compound2, "compound-sanitation", days_ago=days, failing=("HY02",))
            inspect(cast, cast.shop1, "shop-standards", days_ago=days)
            inspect(cast, cast.office, "office-building", days_ago=days)
        many = query_counts(client, urls)
        assert client.get(INSPECTIONS).json()["count"] == 16
        assert many == few


class InspectionCreateTests:
    def test_it_records_an_inspection_through_the_service(self, cast) -> None:
        response = post(cast.client(cast.grid_worker), body(cast, cast.compound1, "compound-sanitation", note="例行"))
        assert response.status_code == 201, response.content
        row = response.json()
        inspection = Inspection.objects.get(pk=row["id"])
        assert (inspection.inspector, inspection.compound, inspection.note) == (
            cast.grid_worker,
            cast.compound1,
            "例行",
        )
        assert row["score"] == 100.0 and row["passed"] is True and len(row["findings"]) == 9
        assert AuditEvent.objects.filter(action="inspection.record", actor=cast.grid_worker).count() == 1

    def test_it_takes_photos_of_failures_as_multipart_fields(self, cast) -> None:
        data = body(cast, cast.shop1, "shop-standards")
        for answer in data["answers"]:
            if answer["item"] in ("MD02", "MD05"):
                answer.update(result="fail", note="门前有油污")
        form = {**data, "answers": json.dumps(data["answers"]), "photo_MD02": jpeg(), "photo_MD05": jpeg("b.jpg")}
        response = cast.client(cast.grid_leader).post(INSPECTIONS, form)
        assert response.status_code == 201, response.content
        inspection = Inspection.objects.get(pk=response.json()["id"])
        failed = inspection.findings.filter(result="fail").order_by("item_code")
        assert [f.item_code for f in failed] == ["MD02", "MD05"]
        assert all(f.photo for f in failed) and all(f.case_id for f in failed)
        assert inspection.shop == cast.shop1 and inspection.failed_count == 2

    def test_it_answers_400_with_the_services_field_errors_and_writes_nothing(self, cast) -> None:
        data = body(cast, cast.compound1, "compound-sanitation")
        data["answers"][0].update(result="fail", note="")  # HY01: no note, no photo
        data["answers"] = data["answers"][:-1]  # HY09 left unanswered
        before = written()
        response = post(cast.client(cast.director), data)
        assert response.status_code == 400
        errors = response.json()
        assert set(errors) == {"item_HY01", "item_HY09"} and len(errors["item_HY01"]) == 2
        assert written() == before

    def test_it_answers_400_for_a_checklist_not_in_use_or_for_another_kind(self, cast) -> None:
        draft = services.checklist_new_version(
            actor=cast.director, checklist=in_use("compound-sanitation"), community=cast.home
        )
        client = cast.client(cast.director)
        before = written()
        assert "checklist" in post(client, body(cast, cast.compound1, "compound-sanitation", checklist=draft.pk)).json()
        wrong = body(cast, cast.compound1, "compound-sanitation", checklist=in_use("office-building").pk)
        assert post(client, wrong).status_code == 400
        assert post(client, body(cast, cast.compound1, "compound-sanitation", checklist=999999)).status_code == 400
        assert written() == before

    def test_it_checks_the_body_before_the_service(self, cast) -> None:
        client = cast.client(cast.director)
        data = body(cast, cast.compound1, "compound-sanitation")
        twice = {**data, "answers": [*data["answers"], data["answers"][0]]}
        assert "answers" in post(client, twice).json()
        assert "answers" in post(client, {**data, "answers": []}).json()
        assert "target" in post(client, {**data, "target": "castle"}).json()
        form = {**data, "answers": "not json"}
        assert "answers" in client.post(INSPECTIONS, form).json()
        stray = {**data, "answers": json.dumps(data["answers"]), "photo_ZZ99": jpeg()}
        assert "photo_ZZ99" in client.post(INSPECTIONS, stray).json()
        assert Inspection.objects.count() == 0

    @pytest.mark.parametrize("who", ["auditor", "building_leader", "resident"])
    def test_it_answers_403_to_roles_that_do_not_inspect(self, cast, who) -> None:
        before = written()
        response = post(cast.client(getattr(cast, who)), body(cast, cast.compound1, "compound-sanitation"))
        assert response.status_code == 403
        assert written() == before

    def test_it_refuses_anonymous_callers(self, cast) -> None:
        response = post(cast.client(None), body(cast, cast.compound1, "compound-sanitation"))
        assert response.status_code in (401, 403)
        assert Inspection.objects.count() == 0

    def test_it_answers_404_for_a_place_out_of_scope(self, cast) -> None:
        before = written()
        assert post(cast.client(cast.outsider), body(cast, cast.compound1, "compound-sanitation")).status_code == 404
        assert post(cast.client(cast.grid_worker), body(cast, cast.shop2, "shop-standards")).status_code == 404
        missing = body(cast, cast.compound1, "compound-sanitation", place="NO-SUCH")
        assert post(cast.client(cast.director), missing).status_code == 404
        office_as_compound = body(cast, cast.compound1, "compound-sanitation", target="office")
        assert post(cast.client(cast.director), office_as_compound).status_code == 404
        assert written() == before

    def test_it_answers_the_services_403_to_a_role_that_inspects_elsewhere_only(self, cast) -> None:
        # An auditor here who is a grid worker next door: sees the place, may not inspect it.
        both = user_with("mixed", ("auditor", cast.home), ("grid_worker", cast.next_grid))
        before = written()
        response = post(cast.client(both), body(cast, cast.compound1, "compound-sanitation"))
        assert response.status_code == 403
        assert written() == before

    def test_it_answers_a_repeated_idempotency_key_with_the_first_inspection(self, cast) -> None:
        client = cast.client(cast.grid_worker)
        data = body(cast, cast.compound1, "compound-sanitation", idempotency_key="phone-7f3a")
        first = post(client, data)
        again = post(client, data)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert Inspection.objects.count() == 1
        assert post(client, {**data, "idempotency_key": "键"}).status_code == 400


class InspectionSchemaTests:
    def test_it_documents_the_endpoints_and_the_multipart_photos(self, cast) -> None:
        schema = cast.client(cast.director).get("/api/schema/", {"format": "json"}).json()
        paths = schema["paths"]
        for path in (CHECKLISTS, f"{CHECKLISTS}{{id}}/", INSPECTIONS, f"{INSPECTIONS}{{id}}/"):
            assert path in paths, path
        create = paths[INSPECTIONS]["post"]
        assert {"200", "201", "400", "403", "404"} <= set(create["responses"])
        content = create["requestBody"]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith("/InspectionCreateRequest")
        multipart = content["multipart/form-data"]
        assert multipart["schema"]["additionalProperties"]["format"] == "binary"
        assert multipart["encoding"]["answers"]["contentType"] == "application/json"
        parameters = {p["name"] for p in paths[INSPECTIONS]["get"]["parameters"]}
        assert {"grid", "target", "place", "passed", "inspected_from", "inspected_to", "page"} <= parameters
        assert {"target", "status", "code"} <= {p["name"] for p in paths[CHECKLISTS]["get"]["parameters"]}

    def test_it_answers_as_the_schema_says(self, cast) -> None:
        client = cast.client(cast.director)
        schema = client.get("/api/schema/", {"format": "json"}).json()
        inspection = inspect(cast, cast.compound1, "compound-sanitation", failing=("HY02",))
        checks = [
            (CHECKLISTS, "get", client.get(CHECKLISTS)),
            ("/api/v1/checklists/{id}/", "get", client.get(f"{CHECKLISTS}{in_use('shop-standards').pk}/")),
            ("/api/v1/checklists/{id}/", "get", client.get(f"{CHECKLISTS}999999/")),
            (INSPECTIONS, "get", client.get(INSPECTIONS)),
            ("/api/v1/inspections/{id}/", "get", client.get(f"{INSPECTIONS}{inspection.pk}/")),
            (INSPECTIONS, "post", post(client, body(cast, cast.shop1, "shop-standards", idempotency_key="k1"))),
            (INSPECTIONS, "post", post(client, body(cast, cast.shop1, "shop-standards", idempotency_key="k1"))),
            (INSPECTIONS, "post", post(client, body(cast, cast.shop1, "shop-standards", answers=[]))),
            (INSPECTIONS, "post", post(client, body(cast, cast.next_shop, "shop-standards"))),
            (INSPECTIONS, "post", post(cast.client(cast.auditor), body(cast, cast.shop1, "shop-standards"))),
            (INSPECTIONS, "get", cast.client(None).get(INSPECTIONS)),
        ]
        components = _json_schema(schema["components"])
        seen = set()
        for path, method, response in checks:
            responses = schema["paths"][path][method]["responses"]
            assert str(response.status_code) in responses, (path, response.status_code)
            expected = _json_schema(responses[str(response.status_code)]["content"]["application/json"]["schema"])
            jsonschema.validate(response.json(), {**expected, "components": components})
            seen.add(response.status_code)
        assert seen == {200, 201, 400, 401, 403, 404}


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node
