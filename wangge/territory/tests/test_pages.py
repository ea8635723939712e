"""The staff pages of the territory and the public compound page: who may open what, what they show, and
what they cost in queries."""

import io
import re

import openpyxl
import pytest

from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.territory import services
from wangge.territory.models import Assignment, Compound, Trade

HOME = "410105008004"

# Every staff page, with the roles that may open it (all in scope of the home community's places).
VIEWERS = ("director", "grid_leader", "grid_worker", "building_leader", "auditor")
PAGES: dict[str, tuple[str, ...]] = {
    "/": VIEWERS,
    "/map/": VIEWERS,
    "/map/data.geojson": VIEWERS,
    "/compounds/": VIEWERS,
    "/compounds/T-C01/": VIEWERS,
    "/compounds/new/": ("director", "grid_leader"),
    "/compounds/T-C01/edit/": ("director", "grid_leader", "grid_worker"),
    "/buildings/": VIEWERS,
    "/buildings/T-C01-B1/": VIEWERS,
    "/shops/": VIEWERS,
    "/shops/T-S001/": ("director", "grid_leader", "grid_worker", "auditor"),
    "/partner-units/": VIEWERS,
    "/partner-units/T-P1/": ("director", "auditor"),  # filed under the community, above any grid
    "/coverage/": VIEWERS,
    "/coverage.xlsx": ("director", "grid_leader", "auditor"),
    "/compounds/T-C01/notice-board/": VIEWERS,
    "/assignments/new/compound/T-C01/": ("director", "grid_leader"),
}

# Roles that see the place but may not take the page's action.
FORBIDDEN: list[tuple[str, str]] = [
    ("/compounds/new/", "grid_worker"),
    ("/compounds/new/", "building_leader"),
    ("/compounds/new/", "auditor"),
    ("/compounds/T-C01/edit/", "building_leader"),
    ("/compounds/T-C01/edit/", "auditor"),
    ("/coverage.xlsx", "grid_worker"),
    ("/coverage.xlsx", "building_leader"),
    ("/assignments/new/compound/T-C01/", "grid_worker"),
    ("/assignments/new/compound/T-C01/", "building_leader"),
    ("/assignments/new/compound/T-C01/", "auditor"),
]

# Pages of one home place: out of scope they do not exist.
HOME_PLACE_PAGES = [
    "/compounds/T-C01/",
    "/compounds/T-C01/edit/",
    "/buildings/T-C01-B1/",
    "/shops/T-S001/",
    "/partner-units/T-P1/",
    "/compounds/T-C01/notice-board/",
    "/assignments/new/compound/T-C01/",
]

# Pages about a whole community: asking for one that is not yours finds nothing.
COMMUNITY_PAGES = ["/", "/map/", "/map/data.geojson", "/coverage/", "/coverage.xlsx"]

# Pages that list or sum up places (no one place in the URL).
SURVEY_PAGES = [
    "/",
    "/map/",
    "/map/data.geojson",
    "/compounds/",
    "/buildings/",
    "/shops/",
    "/partner-units/",
    "/coverage/",
]

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}")


def codes(response) -> list[str]:
    return [place.code for place in response.context["object_list"]]


def text(response) -> str:
    return response.content.decode()


def statuses(client, urls, **params) -> dict[str, int]:
    """The status of each page for one client: compared as a whole, a failure names every page that differs."""
    return {url: client.get(url, params).status_code for url in urls}


class PageAccessTests:
    @pytest.mark.parametrize("url", PAGES)
    def test_it_opens_the_page_to_the_allowed_roles(self, cast, url):
        seen = {who: cast.client(getattr(cast, who)).get(url).status_code for who in PAGES[url]}
        assert seen == dict.fromkeys(PAGES[url], 200)

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast):
        client = cast.client(None)
        for url in [*PAGES, "/assignments/1/end/"]:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url

    def test_it_sends_anonymous_writes_to_sign_in(self, cast):
        client = cast.client(None)
        for url in ["/compounds/new/", "/compounds/T-C01/edit/", "/assignments/new/compound/T-C01/"]:
            response = client.post(url, {"code": "T-C03", "name": "匿名", "person": cast.grid_worker.pk})
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url
        assert not Compound.objects.filter(code="T-C03").exists()
        assert Compound.objects.get(code="T-C01").name == "测试一号院"
        assert not Assignment.objects.exists()

    @pytest.mark.parametrize("who", sorted({who for _url, who in FORBIDDEN}))
    def test_it_refuses_a_role_without_the_action(self, cast, who):
        urls = [url for url, forbidden in FORBIDDEN if forbidden == who]
        assert statuses(cast.client(getattr(cast, who)), urls) == dict.fromkeys(urls, 403)

    def test_it_hides_home_places_from_the_outsider(self, cast):
        client = cast.client(cast.outsider)
        assert statuses(client, HOME_PLACE_PAGES) == dict.fromkeys(HOME_PLACE_PAGES, 404)
        assert "测试" not in text(client.get(HOME_PLACE_PAGES[0]))

    def test_it_hides_the_home_community_from_the_outsider(self, cast):
        seen = statuses(cast.client(cast.outsider), COMMUNITY_PAGES, community=HOME)
        assert seen == dict.fromkeys(COMMUNITY_PAGES, 404)

    @pytest.mark.parametrize(
        ("who", "urls"),
        [
            ("grid_worker", ["/shops/T-S002/", "/shops/T-S002/edit/", "/buildings/T-O1/"]),
            ("grid_leader", ["/compounds/T-C02/", "/compounds/T-C02/edit/", "/assignments/new/compound/T-C02/"]),
            ("building_leader", ["/compounds/T-C02/notice-board/", "/shops/T-S001/", "/buildings/T-O1/"]),
        ],
    )
    def test_it_hides_places_of_another_grid(self, cast, who, urls):
        assert statuses(cast.client(getattr(cast, who)), urls) == dict.fromkeys(urls, 404)

    def test_it_shows_a_resident_account_no_place(self, cast):
        # Refused before any lookup, so the answer says nothing about whether the place exists.
        seen = statuses(cast.client(cast.resident), HOME_PLACE_PAGES)
        assert seen == dict.fromkeys(HOME_PLACE_PAGES, 403)

    def test_it_refuses_the_office_pages_to_a_resident_account(self, cast):
        # A resident's role takes no action in the office: like the audit log, these pages say "not allowed"
        # (403), rather than an empty list on some and "not found" on others.
        seen = statuses(cast.client(cast.resident), SURVEY_PAGES)
        assert seen == dict.fromkeys(SURVEY_PAGES, 403)

    def test_it_sends_the_outsider_to_their_own_community(self, cast):
        response = cast.client(cast.outsider).get("/")
        assert response.status_code == 200
        assert response.context["overview"].community == cast.next_door

    def test_it_answers_404_for_unknown_places(self, cast):
        client = cast.client(cast.director)
        for url in ("/compounds/NOPE/", "/shops/NOPE/edit/", "/assignments/new/castle/T-C01/", "/p/c/NOPE/"):
            assert client.get(url).status_code == 404


class ListPageTests:
    def test_it_lists_a_grid_workers_shops_only(self, cast):
        response = cast.client(cast.grid_worker).get("/shops/")
        assert codes(response) == ["T-S001"]
        assert "T-S002" not in text(response)
        assert "N-S001" not in text(response)

    def test_it_lists_a_building_leaders_compound_only(self, cast):
        response = cast.client(cast.building_leader).get("/compounds/")
        assert codes(response) == ["T-C01"]

    def test_it_lists_the_directors_community(self, cast):
        client = cast.client(cast.director)
        assert codes(client.get("/compounds/")) == ["T-C01", "T-C02"]
        assert codes(client.get("/shops/")) == ["T-S001", "T-S002"]
        assert codes(client.get("/buildings/")) == ["T-C01-B1", "T-O1"]
        assert codes(client.get("/partner-units/")) == ["T-P1"]

    def test_it_lists_nothing_of_home_to_the_outsider(self, cast):
        client = cast.client(cast.outsider)
        assert codes(client.get("/compounds/")) == ["N-C01"]
        assert codes(client.get("/shops/")) == ["N-S001"]
        assert codes(client.get("/buildings/")) == []
        assert codes(client.get("/partner-units/")) == []

    def test_it_filters_by_kind_and_grid(self, cast):
        client = cast.client(cast.director)
        assert codes(client.get("/buildings/", {"kind": "office"})) == ["T-O1"]
        assert codes(client.get("/shops/", {"grid": cast.grid2.code})) == ["T-S002"]
        assert codes(client.get("/compounds/", {"management": "none"})) == ["T-C01"]

    def test_it_ignores_a_grid_filter_out_of_scope(self, cast):
        response = cast.client(cast.grid_worker).get("/shops/", {"grid": cast.grid2.code})
        assert "T-S002" not in codes(response)

    def test_it_searches_in_chinese(self, cast):
        assert codes(cast.client(cast.director).get("/shops/", {"q": "面"})) == ["T-S001"]

    def test_it_returns_only_the_rows_to_htmx(self, cast):
        response = cast.client(cast.director).get("/shops/", {"q": "面"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "territory/partials/shop_rows.html"
        content = text(response)
        assert "<html" not in content
        assert "测试面馆" in content
        assert "测试理发店" not in content

    def test_it_returns_the_whole_page_to_a_boosted_request(self, cast):
        headers = {"HX-Request": "true", "HX-Boosted": "true"}
        response = cast.client(cast.director).get("/shops/", headers=headers)
        assert "<html" in text(response)

    def test_it_offers_add_only_to_roles_that_may_add(self, cast):
        assert cast.client(cast.director).get("/compounds/").context["can_add"]
        assert not cast.client(cast.grid_worker).get("/compounds/").context["can_add"]


class OverviewAndMapTests:
    def test_it_counts_the_places_in_scope(self, cast):
        overview = cast.client(cast.director).get("/").context["overview"]
        assert (overview.compounds, overview.unmanaged_compounds, overview.shops) == (2, 1, 2)
        assert (overview.residential_buildings, overview.office_buildings, overview.dwellings) == (1, 1, 2)
        assert [grid["code"] for grid in overview.grids] == [cast.grid1.code, cast.grid2.code]

    def test_it_counts_only_a_grid_workers_grid(self, cast):
        overview = cast.client(cast.grid_worker).get("/").context["overview"]
        assert (overview.compounds, overview.shops) == (1, 1)
        assert [grid["code"] for grid in overview.grids] == [cast.grid1.code]

    def test_it_draws_the_grids_and_compounds_in_scope(self, cast):
        data = cast.client(cast.director).get("/map/data.geojson").json()
        features = {(f["properties"]["kind"], f["properties"]["code"]) for f in data["features"]}
        # Only T-C01 has a location; T-C02 is not drawn.
        assert features == {("grid", cast.grid1.code), ("grid", cast.grid2.code), ("compound", "T-C01")}

    def test_it_draws_only_the_outsiders_community(self, cast):
        data = cast.client(cast.outsider).get("/map/data.geojson").json()
        assert [f["properties"]["code"] for f in data["features"]] == [cast.next_grid.code]


class ShopDetailTests:
    def test_it_shows_the_contact_phone_masked(self, cast):
        response = cast.client(cast.grid_worker).get("/shops/T-S001/")
        content = text(response)
        assert "138****1234" in content
        assert "13800001234" not in content
        assert "甄测试" not in content

    def test_it_offers_editing_to_a_grid_worker(self, cast):
        assert cast.client(cast.grid_worker).get("/shops/T-S001/").context["can_change"]
        assert not cast.client(cast.auditor).get("/shops/T-S001/").context["can_change"]

    def test_it_keeps_the_contact_out_of_the_list(self, cast):
        content = text(cast.client(cast.grid_worker).get("/shops/"))
        assert "13800001234" not in content
        assert "甄测试" not in content

    @pytest.mark.parametrize("who", ["grid_worker", "grid_leader"])
    def test_it_keeps_the_clear_contact_out_of_the_edit_form(self, cast, who):
        # Neither role may reveal personal data (roles.py); the edit form is no back door to it.
        response = cast.client(getattr(cast, who)).get("/shops/T-S001/edit/")
        assert response.status_code == 200
        content = text(response)
        assert "13800001234" not in content
        assert "甄测试" not in content


class PlaceFormTests:
    def data(self, cast, **overrides) -> dict:
        data = {
            "code": "T-C03",
            "name": "测试三号院",
            "area": cast.grid1.pk,
            "address": "俭学街5号",
            "management": "property_company",
            "management_name": "测试物业",
            "longitude": "113.6575",
            "latitude": "34.7890",
        }
        return {**data, **overrides}

    def test_it_creates_a_compound_and_records_it(self, cast):
        response = cast.client(cast.director).post("/compounds/new/", self.data(cast))
        assert response.status_code == 302
        assert response["Location"] == "/compounds/T-C03/"
        compound = Compound.objects.get(code="T-C03")
        assert (compound.area, compound.area_path) == (cast.grid1, f"{cast.grid1.path}T-C03/")
        event = AuditEvent.objects.get(action="compound.create", object_id=str(compound.pk))
        assert event.actor == cast.director
        assert event.request_id

    def test_it_shows_errors_in_chinese_and_writes_nothing(self, cast):
        client = cast.client(cast.director)
        compounds, events = Compound.objects.count(), AuditEvent.objects.count()
        for overrides, expected in [
            ({"code": "T-C01"}, "已存在"),  # Django's: 具有 编码 的 楼院 已存在。
            ({"longitude": "113.6610", "latitude": "34.7900"}, "不在第一网格范围内"),  # a point in grid 2
            ({"name": ""}, "该字段是必填项"),
            ({"code": "T C03"}, "连字符"),  # 请使用 2 至 32 位字母、数字或连字符……
            ({"longitude": "113.6575", "latitude": ""}, "经度和纬度"),  # half a point
        ]:
            response = client.post("/compounds/new/", self.data(cast, **overrides))
            assert response.status_code == 200, overrides
            assert response.context["form"].errors, overrides
            assert expected in text(response), (overrides, response.context["form"].errors)
        assert (Compound.objects.count(), AuditEvent.objects.count()) == (compounds, events)

    def test_it_offers_a_grid_leader_only_their_grid(self, cast):
        client = cast.client(cast.grid_leader)
        form = client.get("/compounds/new/").context["form"]
        assert list(form.fields["area"].queryset) == [cast.grid1]
        response = client.post("/compounds/new/", self.data(cast, area=cast.grid2.pk, longitude="", latitude=""))
        assert response.status_code == 200
        assert "area" in response.context["form"].errors
        assert not Compound.objects.filter(code="T-C03").exists()

    def test_it_edits_a_compound_with_before_and_after(self, cast):
        data = self.data(cast, code="T-C01", name="测试一号院（改）", longitude="113.6570", latitude="34.7880")
        response = cast.client(cast.grid_worker).post("/compounds/T-C01/edit/", data)
        assert response.status_code == 302
        assert Compound.objects.get(code="T-C01").name == "测试一号院（改）"
        event = AuditEvent.objects.get(action="compound.update", object_id=str(cast.compound1.pk))
        assert (event.before["name"], event.after["name"]) == ("测试一号院", "测试一号院（改）")
        assert event.actor == cast.grid_worker

    @pytest.mark.parametrize(("who", "status"), [("building_leader", 403), ("auditor", 403), ("outsider", 404)])
    def test_it_refuses_an_edit_by_post(self, cast, who, status):
        data = self.data(cast, code="T-C01", name="被改了")
        response = cast.client(getattr(cast, who)).post("/compounds/T-C01/edit/", data)
        assert response.status_code == status
        assert Compound.objects.get(code="T-C01").name == "测试一号院"

    def test_it_refuses_a_create_by_post_to_a_grid_worker(self, cast):
        response = cast.client(cast.grid_worker).post("/compounds/new/", self.data(cast))
        assert response.status_code == 403
        assert not Compound.objects.filter(code="T-C03").exists()

    def test_it_creates_a_shop_with_a_masked_phone_in_the_log(self, cast):
        data = {
            "code": "T-S003",
            "name": "测试水果店",
            "trade": Trade.objects.get(code="grocery").pk,
            "area": cast.grid1.pk,
            "address": "俭学街3号",
            "contact_name": "王测试",
            "contact_phone": "139 0000 5678",
            "status": "open",
        }
        response = cast.client(cast.grid_leader).post("/shops/new/", data)
        assert response.status_code == 302
        event = AuditEvent.objects.get(action="shop.create", object_repr="测试水果店")
        assert event.after["contact_phone"] == "139****5678"
        assert "13900005678" not in str(event.after)

    def test_it_shows_a_bad_phone_on_the_shop_form(self, cast):
        data = {
            "code": "T-S003",
            "name": "测试水果店",
            "trade": Trade.objects.get(code="grocery").pk,
            "area": cast.grid1.pk,
            "address": "俭学街3号",
            "contact_phone": "12345",
            "status": "open",
        }
        response = cast.client(cast.grid_leader).post("/shops/new/", data)
        assert response.status_code == 200
        assert "contact_phone" in response.context["form"].errors
        assert "手机号码" in text(response)


class AssignmentPageTests:
    def test_it_offers_the_people_who_work_there(self, cast):
        form = cast.client(cast.grid_leader).get("/assignments/new/compound/T-C01/").context["form"]
        people = set(form.fields["person"].queryset)
        assert {cast.director, cast.grid_leader, cast.grid_worker, cast.building_leader} <= people
        assert cast.outsider not in people
        assert cast.resident not in people

    def test_it_names_a_responsible_person(self, cast):
        response = cast.client(cast.grid_leader).post(
            "/assignments/new/compound/T-C01/",
            {"person": cast.grid_worker.pk, "duty": "巡查", "next": "/compounds/T-C01/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/compounds/T-C01/"
        assignment = Assignment.objects.get(compound=cast.compound1)
        assert (assignment.person, assignment.duty, assignment.active) == (cast.grid_worker, "巡查", True)

    def test_it_refuses_someone_outside_the_area(self, cast):
        response = cast.client(cast.director).post("/assignments/new/compound/T-C01/", {"person": cast.outsider.pk})
        assert response.status_code == 200
        assert "person" in response.context["form"].errors
        assert not Assignment.objects.exists()

    def test_it_shows_a_duplicate_as_an_error(self, cast):
        services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        response = cast.client(cast.director).post("/assignments/new/compound/T-C01/", {"person": cast.grid_worker.pk})
        assert response.status_code == 200
        assert "已经是该地点的责任人" in text(response)
        assert Assignment.objects.count() == 1

    def test_it_does_not_follow_a_next_address_off_site(self, cast):
        response = cast.client(cast.director).post(
            "/assignments/new/shop/T-S001/", {"person": cast.grid_worker.pk, "next": "https://example.invalid/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/coverage/"

    def test_it_ends_an_assignment(self, cast):
        assignment = services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        response = cast.client(cast.grid_leader).post(f"/assignments/{assignment.pk}/end/")
        assert response.status_code == 302
        assignment.refresh_from_db()
        assert not assignment.active

    @pytest.mark.parametrize(("who", "status"), [("grid_worker", 403), ("auditor", 403), ("outsider", 404)])
    def test_it_refuses_to_end_an_assignment(self, cast, who, status):
        assignment = services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        response = cast.client(getattr(cast, who)).post(f"/assignments/{assignment.pk}/end/")
        assert response.status_code == status
        assert Assignment.objects.get(pk=assignment.pk).active

    def test_it_ends_only_by_post(self, cast):
        assignment = services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        assert cast.client(cast.director).get(f"/assignments/{assignment.pk}/end/").status_code == 405
        assert Assignment.objects.get(pk=assignment.pk).active


class CoverageTests:
    def test_it_lists_the_places_nobody_answers_for(self, cast):
        report = cast.client(cast.director).get("/coverage/").context["report"]
        unassigned = {
            entry.grid.code: {k: [str(p) for p in v] for k, v in entry.unassigned.items()} for entry in report
        }
        assert unassigned[cast.grid1.code]["compound"] == ["测试一号院"]
        assert unassigned[cast.grid2.code]["building"] == ["测试写字楼"]
        assert len(unassigned[cast.grid1.code]["dwelling"]) == 2

    def test_it_counts_a_dwelling_covered_by_its_building(self, cast):
        services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)
        report = cast.client(cast.director).get("/coverage/").context["report"]
        grid1 = next(entry for entry in report if entry.grid == cast.grid1)
        assert grid1.unassigned["building"] == []
        assert grid1.unassigned["dwelling"] == []

    def test_it_exports_the_unassigned_places_to_excel(self, cast):
        services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1)
        response = cast.client(cast.auditor).get("/coverage.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert f"coverage-{HOME}-" in response["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        summary, places, visits = workbook.worksheets
        summary_rows = list(summary.iter_rows(values_only=True))
        assert [row[0] for row in summary_rows[1:]] == [cast.grid1.code, cast.grid2.code]
        rows = list(places.iter_rows(values_only=True))[1:]
        listed = {row[3] for row in rows if row[3]}
        assert listed == {"T-C01", "T-C02", "T-C01-B1", "T-O1", "T-S002"}
        assert sum(1 for row in rows if row[2] == "房屋") == 2  # the two dwellings, by their Chinese kind
        assert not any(str(row[3]).startswith("N-") for row in rows)
        # Nothing has been inspected yet: every compound, open shop and office building is overdue for a visit.
        overdue = {row[2] for row in list(visits.iter_rows(values_only=True))[1:]}
        assert overdue == {"T-C01", "T-C02", "T-O1", "T-S001", "T-S002"}


class NoticeBoardTests:
    def test_it_prints_a_qr_code_to_the_public_page(self, cast):
        response = cast.client(cast.building_leader).get("/compounds/T-C01/notice-board/")
        content = text(response)
        assert "<svg" in content
        assert response.context["public_url"].endswith("/p/c/T-C01/")
        assert "网格长乙" in content


class PublicCompoundPageTests:
    @pytest.fixture
    def phones(self, cast):
        """The people shown on the page have mobile numbers on record; none may appear."""
        for user, phone in ((cast.grid_leader, "13911112222"), (cast.grid_worker, "13933334444")):
            user.phone = phone
            user.save()
        services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1, duty="巡查")

    def test_it_is_open_to_anonymous_visitors(self, cast, phones):
        response = cast.client(None).get("/p/c/T-C01/")
        assert response.status_code == 200
        content = text(response)
        assert "测试一号院" in content
        assert "网格长乙" in content
        assert "网格员丙" in content

    def test_it_shows_no_phone_number_of_any_person(self, cast, phones):
        content = text(cast.client(None).get("/p/c/T-C01/"))
        assert not MOBILE.search(content), MOBILE.findall(content)
        assert not MASKED_MOBILE.search(content)
        assert "13800001234" not in content

    def test_it_shows_the_office_phone(self, cast):
        assert "0371-60000000" in text(cast.client(None).get("/p/c/T-C01/"))

    def test_it_shows_no_staff_navigation(self, cast):
        content = text(cast.client(None).get("/p/c/T-C01/"))
        assert "/coverage/" not in content
        assert "/shops/" not in content

    def test_it_names_the_grid_worker_and_who_answers_for_each_building(self, cast):
        services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1, duty="楼栋长")
        content = text(cast.client(None).get("/p/c/T-C01/"))
        assert "网格员丙" in content
        assert "各楼栋责任人" in content and "一号楼：楼栋长丁（楼栋长）" in content

    def test_it_names_nobody_who_has_left_and_never_a_login_name(self, cast):
        services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1, duty="楼栋长")
        services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1, duty="巡查")
        cast.building_leader.is_active = False
        cast.building_leader.save()
        cast.grid_worker.display_name = ""
        cast.grid_worker.save()
        content = text(cast.client(None).get("/p/c/T-C01/"))
        assert "楼栋长丁" not in content and "各楼栋责任人" not in content
        assert cast.grid_worker.username not in content
        assert "网格长乙" in content

    def test_it_says_so_when_nobody_answers_for_the_compound(self, cast):
        content = text(cast.client(None).get("/p/c/T-C02/"))
        assert "暂未落实，请联系社区居委会" in content
        # No building of T-C02 has anyone, so the building line is left out rather than printed empty.
        assert "各楼栋责任人" not in content


def _add_places(cast, start: int, count: int) -> None:
    """`count` more of every kind of place in grid 1, numbered from `start`."""
    grocery = Trade.objects.get(code="grocery")
    for number in range(start, start + count):
        compound = services.compound_create(
            actor=None, code=f"Q-C{number:03}", name=f"批量院{number}", area=cast.grid1, management="none"
        )
        building = services.building_create(actor=None, code=f"Q-C{number:03}-B1", name="一号楼", compound=compound)
        services.dwelling_create(actor=None, building=building, number="101")
        services.shop_create(
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


MEASURED_PAGES = [
    "/",
    "/map/data.geojson",
    "/compounds/",
    "/buildings/",
    "/shops/",
    "/shops/?q=批量",
    "/partner-units/",
    "/coverage/",
    "/coverage.xlsx",
]


class QueryCountTests:
    @pytest.mark.parametrize("who", ["director", "grid_leader"])
    def test_it_uses_as_many_queries_for_many_rows_as_for_few(self, cast, who):
        client = cast.client(getattr(cast, who))
        _add_places(cast, 1, 5)
        few = query_counts(client, MEASURED_PAGES)
        _add_places(cast, 6, 30)
        many = query_counts(client, MEASURED_PAGES)
        assert many == few

    def test_it_keeps_the_shop_list_small(self, cast, django_assert_max_num_queries):
        client = cast.client(cast.grid_worker)
        _add_places(cast, 1, 30)
        client.get("/shops/")
        with django_assert_max_num_queries(10):
            response = client.get("/shops/")
        assert len(response.context["object_list"]) == 25
