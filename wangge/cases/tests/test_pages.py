"""The staff pages of cases: who may open what, the closed loop through the pages, bad input, and what the
queue and metrics pages cost in queries."""

import datetime
import io
import struct
import zlib
from pathlib import Path

import openpyxl
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import ExifTags, Image

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, Rating, State
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts

VIEWERS = ("director", "grid_leader", "grid_worker", "building_leader", "auditor")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos land in a temporary folder; rate-limit counters start from zero."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def jpeg(name: str = "photo.jpg", *, gps: bool = True) -> SimpleUploadedFile:
    """A small real JPEG, with the GPS position a phone would write into its EXIF."""
    image = Image.new("RGB", (64, 48), (200, 80, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (34.0, 47.0, 18.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (113.0, 39.0, 25.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def png_bomb() -> SimpleUploadedFile:
    """A PNG whose header claims 50000×50000 pixels (a decompression bomb), with hardly any data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("bomb.png", data, content_type="image/png")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho this is not a photo\n", content_type="image/jpeg")


def report(cast, *, code: str = "C04", actor=None, **fields) -> Case:
    """A case reported by the grid worker in compound 1 (noise: handled at compound level, no photo needed)."""
    data = {"description": "夜间装修噪声", "source": "patrol", "compound": cast.compound1, **fields}
    return services.case_report(actor=actor or cast.grid_worker, category=Category.objects.get(code=code), **data)


def act(case: Case, action: str, actor, **fields) -> Case:
    return services.case_act(actor=actor, case=case, action=action, **fields)


def dispatched(cast, **fields) -> Case:
    case = report(cast, **fields)
    case = act(case, "register", cast.grid_leader)
    return act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)


def text(response) -> str:
    return response.content.decode()


def statuses(client, urls) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


class PageAccessTests:
    @pytest.fixture
    def case(self, cast) -> Case:
        return report(cast, photos=[jpeg()])

    def pages(self, case: Case) -> dict[str, tuple[str, ...]]:
        """Every staff page about cases, with the roles that may open it."""
        photo = case.photos.get()
        return {
            "/cases/": VIEWERS,
            "/cases/?queue=new": VIEWERS,
            "/cases/new/": tuple(who for who in VIEWERS if who != "auditor"),
            "/cases/metrics/": VIEWERS,
            "/cases/metrics.xlsx": ("director", "grid_leader", "auditor"),
            f"/cases/{case.number}/": VIEWERS,
            f"/cases/{case.number}/act/register/": ("director", "grid_leader", "grid_worker", "building_leader"),
            f"/cases/{case.number}/act/reject/": ("director", "grid_leader"),
            f"/cases/photos/{photo.pk}/": VIEWERS,
        }

    def test_it_opens_the_pages_to_the_allowed_roles(self, cast, case):
        for url, roles in self.pages(case).items():
            seen = {who: cast.client(getattr(cast, who)).get(url).status_code for who in roles}
            assert seen == dict.fromkeys(roles, 200), url

    def test_it_refuses_a_role_without_the_action(self, cast, case):
        refused = {
            "auditor": ["/cases/new/", f"/cases/{case.number}/act/register/", f"/cases/{case.number}/act/reject/"],
            "grid_worker": [f"/cases/{case.number}/act/reject/", "/cases/metrics.xlsx"],
            "building_leader": [f"/cases/{case.number}/act/reject/", "/cases/metrics.xlsx"],
        }
        for who, urls in refused.items():
            assert statuses(cast.client(getattr(cast, who)), urls) == dict.fromkeys(urls, 403), who

    def test_it_refuses_an_action_by_post_to_the_auditor(self, cast, case):
        response = cast.client(cast.auditor).post(f"/cases/{case.number}/act/register/", {"version": case.version})
        assert response.status_code == 403
        assert Case.objects.get(pk=case.pk).state == State.REPORTED

    def test_it_hides_a_case_from_the_outsider(self, cast, case):
        urls = [url for url in self.pages(case) if case.number in url or "/photos/" in url]
        client = cast.client(cast.outsider)
        assert statuses(client, urls) == dict.fromkeys(urls, 404)
        response = client.post(f"/cases/{case.number}/act/register/", {"version": case.version})
        assert response.status_code == 404
        assert Case.objects.get(pk=case.pk).state == State.REPORTED

    def test_it_hides_a_case_of_another_grid(self, cast):
        other = report(cast, compound=cast.compound2, actor=cast.director, photos=[jpeg()])
        urls = [f"/cases/{other.number}/", f"/cases/photos/{other.photos.get().pk}/"]
        for who in ("grid_worker", "building_leader"):
            assert statuses(cast.client(getattr(cast, who)), urls) == dict.fromkeys(urls, 404), who

    def test_it_lists_nothing_of_home_to_the_outsider(self, cast, case):
        response = cast.client(cast.outsider).get("/cases/?queue=all")
        assert list(response.context["page_obj"]) == []
        assert case.number not in text(response)

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast, case):
        client = cast.client(None)
        for url in self.pages(case):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url
        response = client.post(f"/cases/{case.number}/act/register/", {"version": case.version})
        assert response["Location"].startswith("/accounts/login/")
        assert Case.objects.get(pk=case.pk).state == State.REPORTED

    def test_it_refuses_the_office_pages_to_a_resident_account(self, cast, case):
        urls = list(self.pages(case))
        assert statuses(cast.client(cast.resident), urls) == dict.fromkeys(urls, 403)

    def test_it_answers_404_for_an_unknown_case_or_action(self, cast, case):
        client = cast.client(cast.director)
        urls = ["/cases/19990101000001/", f"/cases/{case.number}/act/fly/", "/cases/photos/999999/"]
        assert statuses(client, urls) == dict.fromkeys(urls, 404)

    def test_it_serves_a_photo_privately(self, cast, case):
        response = cast.client(cast.grid_worker).get(f"/cases/photos/{case.photos.get().pk}/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"].startswith("private")


class CaseListTests:
    def test_it_shows_the_queues_with_their_counts(self, cast):
        fresh = report(cast)
        mine = dispatched(cast)
        response = cast.client(cast.grid_worker).get("/cases/", {"queue": "mine"})
        assert [case.number for case in response.context["page_obj"]] == [mine.number]
        counts = {tab["name"]: tab["count"] for tab in response.context["queues"]}
        assert counts == {"mine": 1, "grid": 1, "new": 1, "overdue": 0, "verify": 0, "all": None}
        new = cast.client(cast.grid_worker).get("/cases/", {"queue": "new"})
        assert [case.number for case in new.context["page_obj"]] == [fresh.number]

    def test_it_filters_by_category_state_grid_and_text(self, cast):
        noise = report(cast)
        litter = report(cast, code="C01", description="楼下堆放垃圾", photos=[jpeg()])
        elsewhere = report(cast, compound=cast.compound2, actor=cast.director, description="二号院噪声")
        client = cast.client(cast.director)

        def numbers(**params) -> list[str]:
            return sorted(case.number for case in client.get("/cases/", {"queue": "all", **params}).context["page_obj"])

        assert numbers(category="C01") == [litter.number]
        assert numbers(state="reported") == sorted([noise.number, litter.number, elsewhere.number])
        assert numbers(grid=cast.grid2.code) == [elsewhere.number]
        assert numbers(q="垃圾") == [litter.number]
        assert numbers(q=noise.number) == [noise.number]

    def test_it_returns_only_the_rows_to_htmx(self, cast):
        report(cast)
        response = cast.client(cast.director).get("/cases/", {"queue": "all"}, headers={"HX-Request": "true"})
        assert [t.name for t in response.templates][0] == "cases/partials/case_rows.html"
        assert "<html" not in text(response)
        assert "噪声扰民" in text(response)

    def test_it_marks_a_passed_deadline(self, cast):
        case = dispatched(cast)
        Case.objects.filter(pk=case.pk).update(deadline_at=timezone.now() - datetime.timedelta(hours=1))
        response = cast.client(cast.grid_worker).get("/cases/", {"queue": "overdue"})
        assert [c.number for c in response.context["page_obj"]] == [case.number]
        assert "text-danger" in text(response)

    def test_it_pages_through_many_cases(self, cast):
        for _number in range(27):
            report(cast)
        client = cast.client(cast.grid_worker)
        first = client.get("/cases/", {"queue": "new"})
        assert len(first.context["page_obj"]) == 25
        assert len(client.get("/cases/", {"queue": "new", "page": 2}).context["page_obj"]) == 2


class CaseCreateTests:
    def data(self, cast, **overrides) -> dict:
        data = {
            "category": "C04",
            "description": "三号楼夜间施工噪声",
            "source": "patrol",
            "compound": "T-C01",
            "q_hours": ["night"],
        }
        return {**data, **overrides}

    def test_it_reports_a_case_and_opens_it(self, cast):
        response = cast.client(cast.grid_worker).post("/cases/new/", self.data(cast))
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/cases/{case.number}/"
        assert (case.reporter, case.compound, case.area) == (cast.grid_worker, cast.compound1, cast.grid1)
        assert case.state == State.REPORTED
        assert case.attributes == {"hours": ["night"]}
        assert (case.reporter_name, case.reporter_phone) == ("", "")

    def test_it_keeps_a_callers_contact_only_for_phone_reports(self, cast):
        client = cast.client(cast.grid_worker)
        contact = {"reporter_name": "张三", "reporter_phone": "13812345678"}
        client.post("/cases/new/", self.data(cast, source="hotline", **contact))
        client.post("/cases/new/", self.data(cast, source="patrol", **contact))
        by_source = {case.source: case for case in Case.objects.all()}
        assert (by_source["hotline"].reporter_name, by_source["hotline"].reporter_phone) == ("张三", "13812345678")
        assert (by_source["patrol"].reporter_name, by_source["patrol"].reporter_phone) == ("", "")
        detail = text(client.get(f"/cases/{by_source['hotline'].number}/"))
        assert "138****5678" in detail
        assert "13812345678" not in detail

    def test_it_stores_photos_without_their_metadata(self, cast, settings):
        upload = jpeg()
        assert has_gps(upload.read())
        upload.seek(0)
        response = cast.client(cast.grid_worker).post("/cases/new/", self.data(cast, photos=[upload]))
        assert response.status_code == 302
        photo = CasePhoto.objects.get()
        with Image.open(photo.image.path) as stored:
            assert not stored.getexif()
        assert "photo" not in photo.image.name

    def test_it_offers_only_places_in_scope(self, cast):
        form = cast.client(cast.grid_worker).get("/cases/new/").context["form"]
        assert list(form.fields["compound"].queryset) == [cast.compound1]
        assert list(form.fields["shop"].queryset) == [cast.shop1]
        assert list(form.fields["area"].queryset) == [cast.grid1]
        response = cast.client(cast.grid_worker).post("/cases/new/", self.data(cast, compound="T-C02"))
        assert "compound" in response.context["form"].errors
        assert not Case.objects.exists()

    def test_it_asks_the_categorys_questions_through_htmx(self, cast):
        response = cast.client(cast.grid_worker).get("/cases/new/", {"category": "C03"}, headers={"HX-Request": "true"})
        assert [t.name for t in response.templates][0] == "cases/partials/questions.html"
        content = text(response)
        assert 'name="q_facility"' in content
        assert "单元门禁" in content
        assert "<html" not in content

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"category": "X99"}, "category"),
            ({"category": "C03", "q_facility": ""}, "q_facility"),
            ({"category": "C03", "q_facility": "rocket"}, "q_facility"),
            ({"description": ""}, "description"),
            ({"photos": "not-an-image"}, "photos"),
            ({"photos": "bomb"}, "photos"),
            ({"compound": "", "area": "410105008004001", "longitude": "116.40", "latitude": "39.90"}, "__all__"),
            ({"compound": "", "longitude": "113.6570", "latitude": ""}, "__all__"),
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(self, cast, settings, overrides, field):
        uploads = {"not-an-image": [not_an_image()], "bomb": [png_bomb()]}
        if "photos" in overrides:
            overrides = {**overrides, "photos": uploads[overrides["photos"]]}
        events = AuditEvent.objects.count()
        response = cast.client(cast.grid_worker).post("/cases/new/", self.data(cast, **overrides))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors, overrides
        assert field in form.errors, form.errors
        assert not Case.objects.exists()
        assert AuditEvent.objects.count() == events
        assert stored_files(Path(settings.MEDIA_ROOT)) == []

    def test_it_says_why_a_location_is_refused(self, cast):
        data = self.data(cast, compound="", area="410105008004001", longitude="116.40", latitude="39.90")
        response = cast.client(cast.grid_worker).post("/cases/new/", data)
        assert "俭学街社区" in " ".join(response.context["form"].non_field_errors())

    def test_it_makes_one_case_of_a_retried_submission(self, cast):
        client = cast.client(cast.grid_worker)
        key = client.get("/cases/new/").context["form"].initial["idempotency_key"]
        first = client.post("/cases/new/", self.data(cast, idempotency_key=key))
        second = client.post("/cases/new/", self.data(cast, idempotency_key=key))
        assert Case.objects.count() == 1
        assert first["Location"] == second["Location"]

    def test_it_refuses_a_body_too_large(self, cast, settings):
        settings.PHOTO_MAX_BYTES = 1024
        big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024), content_type="image/jpeg")
        response = cast.client(cast.grid_worker).post("/cases/new/", self.data(cast, photos=[big]))
        assert response.status_code == 413
        assert not Case.objects.exists()


class CaseDetailTests:
    def test_it_shows_facts_answers_photos_timeline_and_actions(self, cast):
        case = report(cast, code="C03", compound=cast.compound1, attributes={"facility": "door"}, photos=[jpeg()])
        response = cast.client(cast.grid_leader).get(f"/cases/{case.number}/")
        content = text(response)
        assert ("报修设施", "单元门禁") in response.context["answers"]
        assert [t.action for t in response.context["actions"]] == ["register", "reject"]
        assert f"/cases/photos/{case.photos.get().pk}/" in content
        assert response.context["point"] is not None  # the compound's point
        assert 'id="case-map"' in content
        assert [event.action for event in response.context["timeline"]] == ["report"]

    def test_it_offers_a_building_leader_only_compound_level_actions(self, cast):
        compound_level = report(cast)  # noise: compound level
        community_level = report(cast, code="C03", attributes={"facility": "door"})
        client = cast.client(cast.building_leader)
        assert [t.action for t in client.get(f"/cases/{compound_level.number}/").context["actions"]] == ["register"]
        assert client.get(f"/cases/{community_level.number}/").context["actions"] == []
        assert client.get(f"/cases/{community_level.number}/act/register/").status_code == 403

    def test_it_offers_a_postponement_decision_only_when_one_waits(self, cast):
        case = dispatched(cast)
        client = cast.client(cast.director)
        actions = [t.action for t in client.get(f"/cases/{case.number}/").context["actions"]]
        assert "request_postponement" in actions
        assert "decide_postponement" not in actions
        act(case, "request_postponement", cast.grid_worker, reason="材料未到", hours=24)
        actions = [t.action for t in client.get(f"/cases/{case.number}/").context["actions"]]
        assert "decide_postponement" in actions
        assert "request_postponement" not in actions

    def test_it_shows_no_actions_to_the_auditor(self, cast):
        case = report(cast)
        assert cast.client(cast.auditor).get(f"/cases/{case.number}/").context["actions"] == []


class CaseActTests:
    def test_it_renders_the_short_form_as_a_partial_for_htmx(self, cast):
        case = report(cast)
        client = cast.client(cast.grid_leader)
        response = client.get(f"/cases/{case.number}/act/reject/", headers={"HX-Request": "true"})
        assert [t.name for t in response.templates][0] == "cases/partials/action_form.html"
        content = text(response)
        assert "<html" not in content
        assert 'name="reason"' in content
        assert f'name="version" value="{case.version}"' in content
        assert "<html" in text(client.get(f"/cases/{case.number}/act/reject/"))

    def test_it_offers_the_people_who_work_there_for_dispatch(self, cast):
        case = act(report(cast), "register", cast.grid_leader)
        form = cast.client(cast.grid_leader).get(f"/cases/{case.number}/act/dispatch/").context["form"]
        people = set(form.fields["assignee"].queryset)
        assert {cast.director, cast.grid_leader, cast.grid_worker, cast.building_leader} <= people
        assert not people & {cast.outsider, cast.resident, cast.auditor}

    def test_it_rejects_with_a_reason(self, cast):
        case = report(cast)
        response = cast.client(cast.grid_leader).post(
            f"/cases/{case.number}/act/reject/", {"version": case.version, "reason": "duplicate"}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert (case.state, case.reject_reason) == ("rejected", "duplicate")

    def test_it_asks_for_what_the_action_needs(self, cast):
        case = report(cast)
        client = cast.client(cast.grid_leader)
        response = client.post(f"/cases/{case.number}/act/reject/", {"version": case.version, "reason": "bored"})
        assert "reason" in response.context["form"].errors
        response = client.post(f"/cases/{case.number}/act/escalate/", {"version": case.version, "note": ""})
        assert "note" in response.context["form"].errors
        case.refresh_from_db()
        assert (case.state, case.version, case.level) == ("reported", 1, "compound")

    def test_it_refuses_a_transition_from_the_wrong_state(self, cast):
        case = report(cast)
        client = cast.client(cast.grid_leader)
        events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
        response = client.post(f"/cases/{case.number}/act/close/", {"version": case.version}, follow=True)
        assert response.redirect_chain == [(f"/cases/{case.number}/", 302)]
        with translation.override("zh-hans"):
            expected = _("A case that is %(state)s cannot be given this action.") % {"state": State.REPORTED.label}
        assert [str(m) for m in response.context["messages"]] == [expected]
        case.refresh_from_db()
        assert (case.state, case.version) == ("reported", 1)
        assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)
        assert client.get(f"/cases/{case.number}/act/close/").status_code == 302

    def test_it_tells_of_a_change_made_meanwhile(self, cast):
        case = report(cast)
        seen = case.version
        act(case, "register", cast.grid_worker)
        client = cast.client(cast.grid_leader)
        events = CaseEvent.objects.count()
        response = client.post(
            f"/cases/{case.number}/act/escalate/", {"version": seen, "note": "上报社区"}, follow=True
        )
        with translation.override("zh-hans"):
            expected = services.CaseChanged().messages[0]
        assert [str(m) for m in response.context["messages"]] == [expected]
        response = client.post(
            f"/cases/{case.number}/act/escalate/", {"version": seen, "note": "上报社区"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 409
        assert expected in text(response)
        case.refresh_from_db()
        assert (case.level, case.version, CaseEvent.objects.count()) == ("compound", 2, events)

    def test_it_sends_htmx_to_the_case_after_an_action(self, cast):
        case = report(cast)
        response = cast.client(cast.grid_leader).post(
            f"/cases/{case.number}/act/register/", {"version": case.version}, headers={"HX-Request": "true"}
        )
        assert response["HX-Redirect"] == f"/cases/{case.number}/"
        assert Case.objects.get(pk=case.pk).state == "registered"

    def test_it_refuses_a_bad_after_photo(self, cast):
        case = dispatched(cast, code="C01", photos=[jpeg()])
        response = cast.client(cast.grid_worker).post(
            f"/cases/{case.number}/act/handle/", {"version": case.version, "note": "已清理", "photos": [not_an_image()]}
        )
        assert "photos" in response.context["form"].errors
        case.refresh_from_db()
        assert (case.state, case.photos.count()) == ("dispatched", 1)

    def test_it_decides_a_postponement(self, cast):
        case = act(dispatched(cast), "request_postponement", cast.grid_worker, reason="材料未到", hours=24)
        deadline = case.deadline_at
        client = cast.client(cast.director)
        page = client.get(f"/cases/{case.number}/act/decide_postponement/")
        assert "材料未到" in text(page)
        response = client.post(
            f"/cases/{case.number}/act/decide_postponement/", {"version": case.version, "approve": "yes"}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.postponed and case.deadline_at > deadline


class ClosedLoopTests:
    """A resident's report through every step on the pages, to the resident's rating."""

    def test_it_goes_round_the_loop_on_the_pages(self, cast, settings):
        resident, leader, worker = cast.client(None), cast.client(cast.grid_leader), cast.client(cast.grid_worker)
        form = resident.get("/p/c/T-C01/report/").context["form"]
        before = jpeg("IMG_0001.jpg")
        response = resident.post(
            "/p/c/T-C01/report/",
            {
                "category": "C01",
                "description": "三号楼门口堆放建筑垃圾",
                "photos": [before],
                "idempotency_key": form.initial["idempotency_key"],
            },
        )
        case = Case.objects.get()
        assert response["Location"] == f"/p/t/{case.tracking_code}/"
        assert (case.source, case.compound, case.reporter) == ("resident", cast.compound1, None)
        stored = Path(case.photos.get().image.path).read_bytes()
        assert not has_gps(stored)
        with Image.open(io.BytesIO(stored)) as image:
            assert not image.getexif()

        def step(client, action: str, **data) -> None:
            version = Case.objects.get(pk=case.pk).version
            response = client.post(f"/cases/{case.number}/act/{action}/", {"version": version, **data})
            assert response.status_code == 302, (action, response.context and response.context["form"].errors)

        assert "register" in [t.action for t in leader.get(f"/cases/{case.number}/").context["actions"]]
        step(leader, "register")
        step(leader, "dispatch", assignee=cast.grid_worker.pk)
        assert [c.number for c in worker.get("/cases/", {"queue": "mine"}).context["page_obj"]] == [case.number]
        step(worker, "start")
        step(worker, "handle", note="已清运", photos=[jpeg("after.jpg")])
        assert [c.number for c in leader.get("/cases/", {"queue": "verify"}).context["page_obj"]] == [case.number]
        step(leader, "verify")
        step(leader, "close")
        case.refresh_from_db()
        assert case.state == State.CLOSED
        assert [p.kind for p in case.photos.order_by("kind")] == ["after", "before"]

        page = resident.get(f"/p/t/{case.tracking_code}/")
        assert page.context["case"].state == State.CLOSED
        assert [step["done"] for step in page.context["steps"]] == [True] * 6
        assert str(State.CLOSED.label) in text(page)
        assert page.context["may_rate"]
        response = resident.post(f"/p/t/{case.tracking_code}/", {"form": "rate", "stars": "5", "comment": "很快"})
        assert response.status_code == 302
        rating = Rating.objects.get(case=case)
        assert (rating.stars, rating.comment) == (5, "很快")
        assert not resident.get(f"/p/t/{case.tracking_code}/").context["may_rate"]


def _cases(cast, count: int) -> None:
    """`count` cases in every state of interest, with ratings, in grid 1."""
    for number in range(count):
        case = dispatched(cast, description=f"批量{number}")
        if number % 2:
            case = act(case, "handle", cast.grid_worker, note="好了")
            case = act(case, "verify", cast.grid_leader)
            case = act(case, "close", cast.grid_leader)
            services.case_rate(case=case, stars=4)


MEASURED = [
    "/cases/?queue=all",
    "/cases/?queue=grid",
    "/cases/?queue=mine&q=批量",
    "/cases/metrics/?by=grid",
    "/cases/metrics/?by=person",
    "/cases/metrics/?by=month",
    "/cases/metrics.xlsx?by=category",
]


class QueryCountTests:
    def test_it_uses_as_many_queries_for_many_cases_as_for_few(self, cast):
        client = cast.client(cast.grid_leader)
        _cases(cast, 2)
        few = query_counts(client, MEASURED)
        _cases(cast, 12)
        many = query_counts(client, MEASURED)
        assert many == few


class MetricsPageTests:
    def test_it_shows_the_rates_of_the_cases_in_scope(self, cast):
        _cases(cast, 2)
        report(cast, compound=cast.compound2, actor=cast.director)
        response = cast.client(cast.grid_worker).get("/cases/metrics/", {"by": "grid"})
        rows = response.context["rows"]
        assert [row.key for row in rows] == [cast.grid1.code]
        assert (rows[0].reported, rows[0].closed) == (2, 1)
        assert response.context["total"].shown["satisfaction"] == "100.0%"
        content = text(response)
        assert 'id="metrics-data"' in content
        assert "echarts.min.js" in content

    def test_it_shows_an_undefined_rate_as_a_dash(self, cast):
        report(cast)
        response = cast.client(cast.director).get("/cases/metrics/")
        assert response.context["total"].shown["closure"] == "—"

    def test_it_limits_the_period(self, cast):
        report(cast)
        response = cast.client(cast.director).get("/cases/metrics/", {"since": "2001-01-01", "until": "2001-12-31"})
        assert response.context["total"].reported == 0

    def test_it_exports_a_workbook_with_chinese_headers(self, cast):
        _cases(cast, 2)
        response = cast.client(cast.auditor).get("/cases/metrics.xlsx", {"by": "category"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = list(workbook["案件指标"].iter_rows(values_only=True))
        assert rows[0][:4] == ("类别编码", "类别", "上报数", "立案数")
        assert "结案率" in rows[0]
        assert rows[1][:3] == ("C04", "噪声扰民", 2)
        assert rows[-1][1] == "合计"
        closure = rows[1][rows[0].index("结案率")]
        assert closure == pytest.approx(1.0)  # both due cases: one closed, and the open one not yet due
