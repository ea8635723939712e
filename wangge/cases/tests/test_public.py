"""The residents' pages: reporting from a compound's QR code, following a case, rating it, and what none of
them may show or accept."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wangge.cases import services, views
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, Rating, State
from wangge.cases.tests.test_pages import act, dispatched, jpeg, not_an_image, png_bomb, report, text
from wangge.core.models import AuditEvent

REPORT = "/p/c/T-C01/report/"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}")
STAFF_NAMES = ("主任甲", "网格长乙", "网格员丙", "楼栋长丁", "gridworker", "gridleader")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos land in a temporary folder; rate-limit counters start from zero."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def data(**overrides) -> dict:
    return {"category": "C04", "description": "楼上每晚装修到十二点", "q_hours": ["night"], **overrides}


def closed(cast, **fields) -> Case:
    case = dispatched(cast, **fields)
    for action, actor in (("handle", cast.grid_worker), ("verify", cast.grid_leader), ("close", cast.grid_leader)):
        case = act(case, action, actor, note="已处理" if action == "handle" else "")
    return case


class PublicReportTests:
    def test_it_is_open_to_anonymous_visitors(self, cast):
        response = cast.client(None).get(REPORT)
        assert response.status_code == 200
        content = text(response)
        assert "测试一号院" in content
        assert 'capture="environment"' in content
        assert 'accept="image/*"' in content
        assert "/coverage/" not in content  # no staff navigation

    def test_it_answers_404_for_an_unknown_compound(self, cast):
        assert cast.client(None).get("/p/c/NOPE/report/").status_code == 404

    def test_it_offers_only_the_public_categories(self, cast):
        form = cast.client(None).get(REPORT).context["form"]
        codes = {category.code for category in form.fields["category"].queryset}
        assert "C04" in codes
        assert "C05" not in codes  # registering floating residents is the office's business
        response = cast.client(None).post(REPORT, data(category="C05", q_persons="3"))
        assert "category" in response.context["form"].errors
        assert not Case.objects.exists()

    def test_it_files_a_report_and_sends_the_resident_to_follow_it(self, cast):
        response = cast.client(None).post(REPORT, data(reporter_name="李四", reporter_phone="139 1234 5678"))
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/p/t/{case.tracking_code}/"
        assert (case.source, case.compound, case.area, case.reporter) == ("resident", cast.compound1, cast.grid1, None)
        assert (case.reporter_name, case.reporter_phone) == ("李四", "13912345678")
        assert case.attributes == {"hours": ["night"]}

    def test_it_accepts_an_anonymous_report_at_the_devices_location(self, cast):
        response = cast.client(None).post(REPORT, data(longitude="113.6580", latitude="34.7890"))
        assert response.status_code == 302
        case = Case.objects.get()
        assert (case.longitude, case.latitude, case.reporter_name, case.reporter_phone) == (113.658, 34.789, "", "")

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"category": "NOPE"}, "category"),
            ({"category": "C03", "q_facility": ""}, "q_facility"),
            ({"description": ""}, "description"),
            ({"photos": "text"}, "photos"),
            ({"photos": "bomb"}, "photos"),
            ({"photos": "seven"}, "photos"),
            ({"longitude": "116.40", "latitude": "39.90"}, "__all__"),
            ({"reporter_phone": "12345"}, "reporter_phone"),
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(self, cast, settings, overrides, field):
        uploads = {
            "text": lambda: [not_an_image()],
            "bomb": lambda: [png_bomb()],
            "seven": lambda: [jpeg(f"{n}.jpg") for n in range(7)],
        }
        if "photos" in overrides:
            overrides = {**overrides, "photos": uploads[overrides["photos"]]()}
        audits = AuditEvent.objects.count()
        response = cast.client(None).post(REPORT, data(**overrides))
        assert response.status_code == 200
        assert field in response.context["form"].errors, response.context["form"].errors
        assert (Case.objects.count(), CasePhoto.objects.count(), AuditEvent.objects.count()) == (0, 0, audits)
        assert not list(settings.MEDIA_ROOT.rglob("*.jpg"))

    def test_it_keeps_the_form_when_a_photo_is_refused(self, cast):
        response = cast.client(None).post(REPORT, data(photos=[not_an_image()]))
        assert "楼上每晚装修到十二点" in text(response)

    def test_it_keeps_nothing_a_robot_sends(self, cast):
        response = cast.client(None).post(REPORT, data(website="http://spam.invalid/"))
        assert response.status_code == 302
        assert response["Location"] == "/p/c/T-C01/"
        assert not Case.objects.exists()

    def test_it_limits_reports_per_client(self, cast, settings):
        settings.REPORT_RATE_LIMIT = 2
        client = cast.client(None)
        assert [client.post(REPORT, data()).status_code for _n in range(2)] == [302, 302]
        response = client.post(REPORT, data())
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "请几分钟后再试" in text(response)
        assert Case.objects.count() == 2
        other = cast.client(None).post(REPORT, data(), REMOTE_ADDR="203.0.113.9")
        assert other.status_code == 302

    def test_it_makes_one_case_of_a_retried_submission(self, cast, settings):
        settings.REPORT_RATE_LIMIT = 1
        client = cast.client(None)
        key = client.get(REPORT).context["form"].initial["idempotency_key"]
        first = client.post(REPORT, data(idempotency_key=key))
        second = client.post(REPORT, data(idempotency_key=key))
        assert (first.status_code, second.status_code) == (302, 302)
        assert first["Location"] == second["Location"]
        assert Case.objects.count() == 1

    def test_it_ignores_a_made_up_idempotency_key(self, cast):
        cast.client(None).post(REPORT, data(idempotency_key="'; drop table"))
        assert Case.objects.get().idempotency_key is None

    def test_it_refuses_a_body_too_large_with_a_clear_message(self, cast, settings):
        settings.PHOTO_MAX_BYTES = 1024
        big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024), content_type="image/jpeg")
        response = cast.client(None).post(REPORT, data(photos=[big]))
        assert response.status_code == 413
        assert "MB" in text(response)
        assert not Case.objects.exists()

    def test_it_still_checks_the_csrf_token(self, cast):
        # The size check runs before CSRF (so that nothing large is read first); CSRF must still follow it.
        client = Client(enforce_csrf_checks=True)
        assert client.post(REPORT, data()).status_code == 403
        token = client.get(REPORT).context["csrf_token"]
        assert client.post(REPORT, data(csrfmiddlewaretoken=str(token))).status_code == 302
        assert Case.objects.count() == 1

    def test_it_offers_to_follow_an_open_case_of_the_same_kind(self, cast):
        earlier = report(cast)
        report(cast, compound=cast.compound2, actor=cast.director)  # another compound: not offered
        response = cast.client(None).get(REPORT, {"category": "C04"}, headers={"HX-Request": "true"})
        assert [t.name for t in response.templates][0] == "cases/partials/public_category.html"
        assert [case.pk for case in response.context["similar"]] == [earlier.pk]
        assert f"/p/cases/{earlier.number}/" in text(response)
        assert 'name="q_hours"' in text(response)

    def test_it_offers_an_open_case_near_the_devices_location(self, cast):
        near = report(cast, compound=None, area=cast.grid2, longitude=113.6595, latitude=34.7890, actor=cast.director)
        far = {"longitude": "113.6570", "latitude": "34.7910"}
        params = {"category": "C04", "longitude": "113.6596", "latitude": "34.7891"}
        client = cast.client(None)
        htmx = {"HX-Request": "true"}
        assert [c.pk for c in client.get(REPORT, params, headers=htmx).context["similar"]] == [near.pk]
        assert client.get(REPORT, {**params, **far}, headers=htmx).context["similar"] == []

    def test_it_does_not_offer_a_closed_case(self, cast):
        closed(cast)
        assert cast.client(None).get(REPORT, {"category": "C04"}).context["similar"] == []


class PublicTrackTests:
    @pytest.fixture
    def case(self, cast) -> Case:
        """A resident's report with a phone number, dispatched to the grid worker, who has a phone on record."""
        for user, phone in ((cast.grid_leader, "13911112222"), (cast.grid_worker, "13933334444")):
            user.phone = phone
            user.save()
        case = services.case_report(
            actor=None,
            category=Category.objects.get(code="C04"),
            description="楼上装修噪声",
            source="resident",
            compound=cast.compound1,
            reporter_name="李四",
            reporter_phone="13912345678",
            photos=[jpeg()],
        )
        case = act(case, "register", cast.grid_leader, note="已核实")
        case = act(case, "dispatch", cast.grid_leader, assignee=cast.grid_worker)
        return act(case, "urge", cast.director, note="内部督办：网格员丙13933334444")

    def test_it_shows_the_progress_to_anyone_with_the_code(self, cast, case):
        response = cast.client(None).get(f"/p/t/{case.tracking_code}/")
        assert response.status_code == 200
        assert [(str(s["label"]), s["done"], s["current"]) for s in response.context["steps"]][1:4] == [
            (str(views.STEPS[1]), True, False),
            (str(views.STEPS[2]), True, True),
            (str(views.STEPS[3]), False, False),
        ]
        assert [event.action for event in response.context["timeline"]] == ["report", "register", "dispatch"]
        assert "已核实" in text(response)

    def test_it_shows_nobodys_personal_data(self, cast, case):
        content = text(cast.client(None).get(f"/p/t/{case.tracking_code}/"))
        assert not MOBILE.search(content), MOBILE.findall(content)
        assert not MASKED_MOBILE.search(content)
        assert "李四" not in content
        assert not [name for name in STAFF_NAMES if name in content]
        assert "内部督办" not in content  # urging is not a public step

    def test_it_answers_404_for_an_unknown_code(self, cast, case):
        client = cast.client(None)
        for code in ("nope", "x" * 40, case.tracking_code[:-1]):
            assert client.get(f"/p/t/{code}/").status_code == 404

    def test_it_shows_only_public_photos(self, cast, case):
        hidden = case.photos.get()
        other = services.case_report(
            actor=None, category=case.category, description="x", source="resident", compound=cast.compound1
        )
        CasePhoto.objects.filter(pk=hidden.pk).update(public=False)
        client = cast.client(None)
        response = client.get(f"/p/t/{case.tracking_code}/")
        assert list(response.context["photos"]) == []
        assert f"/photos/{hidden.pk}/" not in text(response)
        assert client.get(f"/p/t/{case.tracking_code}/photos/{hidden.pk}/").status_code == 404
        CasePhoto.objects.filter(pk=hidden.pk).update(public=True)
        served = client.get(f"/p/t/{case.tracking_code}/photos/{hidden.pk}/")
        assert (served.status_code, served["Content-Type"]) == (200, "image/jpeg")
        # The photo of one case is not reachable through another case's code.
        assert client.get(f"/p/t/{other.tracking_code}/photos/{hidden.pk}/").status_code == 404

    def test_it_lets_the_reporter_rate_a_closed_case_once(self, cast):
        case = closed(cast)
        client = cast.client(None)
        assert client.get(f"/p/t/{case.tracking_code}/").context["may_rate"]
        response = client.post(
            f"/p/t/{case.tracking_code}/", {"form": "rate", "stars": "2", "comment": "慢"}, follow=True
        )
        assert response.redirect_chain == [(f"/p/t/{case.tracking_code}/", 302)]
        assert not response.context["may_rate"]
        again = client.post(f"/p/t/{case.tracking_code}/", {"form": "rate", "stars": "5"}, follow=True)
        with translation.override("zh-hans"):
            assert [str(m) for m in again.context["messages"]] == [_("This case has already been rated.")]
        assert Rating.objects.get(case=case).stars == 2

    def test_it_refuses_a_rating_before_closure(self, cast, case):
        response = cast.client(None).post(f"/p/t/{case.tracking_code}/", {"form": "rate", "stars": "5"})
        assert response.status_code == 302
        assert not Rating.objects.exists()
        assert not cast.client(None).get(f"/p/t/{case.tracking_code}/").context["may_rate"]

    def test_it_refuses_stars_out_of_range(self, cast):
        case = closed(cast)
        response = cast.client(None).post(f"/p/t/{case.tracking_code}/", {"form": "rate", "stars": "9"})
        assert response.status_code == 200
        assert "stars" in response.context["rating_form"].errors
        assert not Rating.objects.exists()

    def test_it_reopens_a_case_the_reporter_says_is_not_fixed(self, cast):
        case = closed(cast)
        client = cast.client(None)
        assert client.get(f"/p/t/{case.tracking_code}/").context["may_say_not_fixed"]
        response = client.post(f"/p/t/{case.tracking_code}/", {"form": "not_fixed", "note": "晚上还在施工"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert (case.state, case.reopen_count) == (State.IN_PROGRESS, 1)
        assert CaseEvent.objects.filter(case=case, action="not_fixed", note="晚上还在施工").exists()

    def test_it_keeps_a_case_closed_after_seven_days(self, cast):
        case = closed(cast)
        Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=8))
        client = cast.client(None)
        assert not client.get(f"/p/t/{case.tracking_code}/").context["may_say_not_fixed"]
        client.post(f"/p/t/{case.tracking_code}/", {"form": "not_fixed", "note": "还在"})
        assert Case.objects.get(pk=case.pk).state == State.CLOSED


class PublicCasePageTests:
    def test_it_shows_the_progress_without_the_reporters_part(self, cast):
        case = closed(cast)
        services.case_rate(case=case, stars=1, comment="隔壁王五家太吵")
        response = cast.client(None).get(f"/p/cases/{case.number}/")
        assert response.status_code == 200
        content = text(response)
        assert case.tracking_code not in content
        assert case.description not in content
        assert "rating_form" not in response.context
        assert not [name for name in STAFF_NAMES if name in content]
        assert 'name="stars"' not in content
        assert "王五" not in content
        assert "★" in content

    def test_it_hides_cases_of_office_only_categories(self, cast):
        case = report(cast, code="C05", attributes={"persons": 2})
        assert cast.client(None).get(f"/p/cases/{case.number}/").status_code == 404
        assert cast.client(None).get("/p/cases/19990101000001/").status_code == 404
