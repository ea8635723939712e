"""The case services: reporting, the loop's effects, the reporter's loop, the sweep."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, Level, Postponement, Rating, State
from wangge.core.models import AuditEvent
from wangge.core.notifications import Notification


def jpeg(name: str = "photo.jpg", *, gps: bool = True) -> SimpleUploadedFile:
    """A small JPEG with EXIF (camera model and GPS), as a phone would send it."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "TestPhone 1"  # camera model
    if gps:
        exif[0x8825] = {1: "N", 2: (34.0, 47.0, 20.0), 3: "E", 4: (113.0, 39.0, 30.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def noise() -> Category:
    return Category.objects.get(code="C04")  # compound level, 24 h, no photo required


def report(cast, category, **extra) -> Case:
    data = {"actor": None, "category": category, "description": "楼道里很吵", "source": "resident"}
    if "area" not in extra and "longitude" not in extra:
        data["compound"] = cast.compound1
    return services.case_report(**{**data, **extra})


class ReportTests:
    def test_it_files_a_resident_report_in_the_compounds_grid(self, cast, noise):
        case = report(cast, noise, reporter_phone="13800005678")
        assert (case.state, case.area, case.level, case.area_path) == (
            State.REPORTED,
            cast.grid1,
            Level.COMPOUND,
            cast.compound1.area_path,
        )
        assert case.number and len(case.tracking_code) >= 20
        assert CaseEvent.objects.filter(case=case, action="report").exists()
        assert AuditEvent.objects.filter(action="case.report", object_id=str(case.pk)).exists()

    def test_it_keeps_the_reporters_phone_encrypted(self, cast, noise):
        from django.db import connection

        case = report(cast, noise, reporter_phone="13800005678", reporter_name="甄居民")
        with connection.cursor() as cursor:
            cursor.execute("SELECT reporter_phone, reporter_name FROM cases_case WHERE id = %s", [case.pk])
            phone, name = cursor.fetchone()
        assert "13800005678" not in phone and "甄居民" not in name
        event = AuditEvent.objects.get(action="case.report", object_id=str(case.pk))
        assert "13800005678" not in str(event.after)

    def test_it_returns_the_same_case_for_a_retried_submission(self, cast, noise):
        first = report(cast, noise, idempotency_key="k-123")
        again = report(cast, noise, idempotency_key="k-123")
        assert first.pk == again.pk
        assert Case.objects.count() == 1

    def test_it_locates_a_point_in_its_grid(self, cast, noise):
        case = report(cast, noise, longitude=113.6600, latitude=34.7890)
        assert case.area == cast.grid2

    @pytest.mark.parametrize(
        "extra, field",
        [
            ({"description": "   "}, "description"),
            ({"description": "长" * 4001}, "description"),
            ({"longitude": 120.0, "latitude": 30.0}, "location"),
            ({"longitude": 113.66}, "location"),
            ({"reporter_phone": "12345"}, "reporter_phone"),
            ({"attributes": {"colour": "red"}}, "attributes"),
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(self, cast, noise, extra, field):
        with pytest.raises(ValidationError) as error:
            report(cast, noise, **extra)
        assert field in error.value.message_dict
        assert Case.objects.count() == 0 and AuditEvent.objects.filter(action="case.report").count() == 0

    def test_it_checks_the_answers_to_extra_questions(self, cast):
        repair = Category.objects.get(code="C03")  # asks which facility (required, single choice)
        with pytest.raises(ValidationError):
            report(cast, repair)
        with pytest.raises(ValidationError):
            report(cast, repair, attributes={"facility": "spaceship"})
        case = report(cast, repair, attributes={"facility": "light", "danger": "no"})
        assert case.attributes == {"facility": "light", "danger": "no"}

    def test_it_asks_for_a_photo_where_the_category_needs_one(self, cast):
        garbage = Category.objects.get(code="E0102")
        with pytest.raises(ValidationError) as error:
            report(cast, garbage)
        assert "photos" in error.value.message_dict
        case = report(cast, garbage, photos=[jpeg()])
        assert case.photos.count() == 1

    def test_it_strips_metadata_from_photos(self, cast, noise):
        case = report(cast, noise, photos=[jpeg()])
        stored = CasePhoto.objects.get(case=case)
        with stored.image.open("rb") as handle, Image.open(handle) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0

    @pytest.mark.parametrize(
        "upload",
        [
            SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg"),
            # A PNG header that claims 50,000 × 50,000 pixels: a decompression bomb.
            SimpleUploadedFile(
                "bomb.png",
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xc3P\x00\x00\xc3P\x08\x02\x00\x00\x00" + b"\x00" * 64,
                content_type="image/png",
            ),
        ],
    )
    def test_it_refuses_what_is_not_a_safe_image(self, cast, noise, upload):
        with pytest.raises(ValidationError):
            report(cast, noise, photos=[upload])
        assert Case.objects.count() == 0

    def test_it_refuses_a_staff_report_outside_the_reporters_areas(self, cast, noise):
        with pytest.raises(PermissionDenied):
            report(cast, noise, actor=cast.outsider, source="patrol")
        assert Case.objects.count() == 0

    def test_it_keeps_internal_categories_from_residents(self, cast):
        internal = Category.objects.get(code="C05")  # floating-population registration: staff only
        with pytest.raises(ValidationError):
            report(cast, internal, attributes={"persons": 2})


class LoopTests:
    @pytest.fixture
    def dispatched(self, cast, noise) -> Case:
        case = services.case_act(actor=cast.grid_leader, case=report(cast, noise), action="register")
        return services.case_act(actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker)

    def test_it_starts_the_clock_at_dispatch(self, dispatched):
        assert dispatched.deadline_at - dispatched.dispatched_at == datetime.timedelta(hours=24)

    def test_it_keeps_the_deadline_when_dispatched_again(self, cast, dispatched):
        again = services.case_act(actor=cast.director, case=dispatched, action="dispatch", assignee=cast.grid_leader)
        assert again.deadline_at == dispatched.deadline_at and again.assignee == cast.grid_leader

    def test_it_refuses_an_assignee_outside_the_cases_area(self, cast, dispatched):
        with pytest.raises(ValidationError):
            services.case_act(actor=cast.director, case=dispatched, action="dispatch", assignee=cast.outsider)

    def test_it_refuses_a_stale_version_and_writes_nothing(self, cast, dispatched):
        stale = dispatched.version - 1
        with pytest.raises(services.CaseChanged):
            services.case_act(actor=cast.grid_worker, case=dispatched, action="start", version=stale)
        assert Case.objects.get(pk=dispatched.pk).state == State.DISPATCHED

    def test_it_counts_reworks(self, cast, dispatched):
        case = services.case_act(actor=cast.grid_worker, case=dispatched, action="handle", note="已处理")
        case = services.case_act(actor=cast.grid_leader, case=case, action="rework", note="仍有噪声")
        assert (case.state, case.rework_count) == (State.IN_PROGRESS, 1)

    def test_it_needs_a_note_to_report_handling(self, cast, dispatched):
        with pytest.raises(ValidationError) as error:
            services.case_act(actor=cast.grid_worker, case=dispatched, action="handle")
        assert "note" in error.value.message_dict

    def test_it_extends_the_deadline_by_an_approved_postponement(self, cast, dispatched):
        services.case_act(
            actor=cast.grid_worker, case=dispatched, action="request_postponement", reason="等配件", hours=12
        )
        with pytest.raises(ValidationError):  # one request at a time
            services.case_act(
                actor=cast.grid_worker, case=dispatched, action="request_postponement", reason="再等", hours=5
            )
        case = services.case_act(actor=cast.director, case=dispatched, action="decide_postponement", approve=True)
        assert case.deadline_at - dispatched.deadline_at == datetime.timedelta(hours=12) and case.postponed
        assert Postponement.objects.get(case=case).state == "approved"

    def test_it_suspends_and_resumes_where_it_was(self, cast, dispatched):
        case = services.case_act(actor=cast.director, case=dispatched, action="suspend", note="等待法院判决")
        assert case.state == State.SUSPENDED
        case = services.case_act(actor=cast.director, case=case, action="resume")
        assert case.state == State.DISPATCHED

    def test_it_escalates_up_the_ladder_and_stops_at_the_top(self, cast, dispatched):
        case = dispatched
        for level in (Level.COMMUNITY, Level.SUBDISTRICT, Level.DISTRICT):
            case = services.case_act(actor=cast.director, case=case, action="escalate", note="超出能力")
            assert case.level == level
        with pytest.raises(ValidationError):
            services.case_act(actor=cast.director, case=case, action="escalate", note="再上报")

    def test_it_tells_the_assignee_of_a_dispatch(self, cast, dispatched):
        assert Notification.objects.filter(recipient=cast.grid_worker, event="case.dispatched").exists()


class ReporterLoopTests:
    @pytest.fixture
    def closed(self, cast, noise) -> Case:
        case = report(cast, noise)
        for actor, action, extra in [
            (cast.grid_leader, "register", {}),
            (cast.grid_leader, "dispatch", {"assignee": cast.grid_worker}),
            (cast.grid_worker, "handle", {"note": "已处理"}),
            (cast.grid_leader, "verify", {}),
            (cast.grid_leader, "close", {}),
        ]:
            case = services.case_act(actor=actor, case=case, action=action, **extra)
        return case

    def test_it_takes_one_rating_of_a_closed_case(self, closed):
        services.case_rate(case=closed, stars=4, comment="及时")
        with pytest.raises(ValidationError):
            services.case_rate(case=closed, stars=5)
        assert Rating.objects.get(case=closed).stars == 4

    @pytest.mark.parametrize("stars", [0, 6, "5"])
    def test_it_refuses_a_rating_off_the_scale(self, closed, stars):
        with pytest.raises(ValidationError):
            services.case_rate(case=closed, stars=stars)

    def test_it_reopens_within_seven_days_and_tells_the_grid(self, cast, closed):
        case = services.case_not_fixed(
            case=closed, note="晚上还是吵", now=closed.closed_at + datetime.timedelta(days=6)
        )
        assert (case.state, case.reopen_count, case.closed_at) == (State.IN_PROGRESS, 1, None)
        assert Notification.objects.filter(event="case.reopened", recipient=cast.grid_worker).exists()

    def test_it_refuses_to_reopen_after_seven_days(self, closed):
        with pytest.raises(ValidationError):
            services.case_not_fixed(case=closed, note="又吵了", now=closed.closed_at + datetime.timedelta(days=8))
        assert Case.objects.get(pk=closed.pk).state == State.CLOSED


class SweepTests:
    @pytest.fixture
    def late(self, cast, noise) -> Case:
        case = services.case_act(actor=cast.grid_leader, case=report(cast, noise), action="register")
        past = timezone.now() - datetime.timedelta(hours=30)
        return services.case_act(
            actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker, now=past
        )

    def test_it_marks_overdue_escalates_and_tells_once(self, late):
        assert services.cases_sweep()["overdue"] == 1
        case = Case.objects.get(pk=late.pk)
        assert case.overdue_at is not None and case.level == Level.COMMUNITY
        assert services.cases_sweep()["overdue"] == 0  # idempotent
        assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1
        assert Notification.objects.filter(event="case.overdue", channel="in_app").count() == 1

    def test_it_reminds_once_of_a_deadline_within_four_hours(self, cast, noise):
        case = services.case_act(actor=cast.grid_leader, case=report(cast, noise), action="register")
        soon = timezone.now() - datetime.timedelta(hours=21)
        services.case_act(actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker, now=soon)
        services.cases_sweep()
        services.cases_sweep()
        reminders = Notification.objects.filter(event="case.deadline_soon", recipient=cast.grid_worker)
        assert reminders.count() == 1


class ReporterEmailTests:
    def test_it_mails_the_reporter_the_tracking_link_when_closed(self, cast, noise, mailoutbox):
        from wangge.core.notifications import deliver_due

        case = report(cast, noise, reporter_email="resident@example.org")
        for actor, action, extra in [
            (cast.grid_leader, "register", {}),
            (cast.grid_leader, "dispatch", {"assignee": cast.grid_worker}),
            (cast.grid_worker, "handle", {"note": "已处理"}),
            (cast.grid_leader, "verify", {}),
            (cast.grid_leader, "close", {}),
        ]:
            case = services.case_act(actor=actor, case=case, action=action, **extra)
        deliver_due()
        assert [message.to for message in mailoutbox] == [["resident@example.org"]]
        assert f"/p/t/{case.tracking_code}/" in mailoutbox[0].body
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT email, dedupe_key FROM core_notification WHERE channel = 'email'")
            stored, key = cursor.fetchone()
        assert "resident@example.org" not in stored and "resident@example.org" not in key


class FollowPlaceTests:
    def test_it_moves_a_compounds_cases_with_it(self, cast, noise):
        from wangge.territory import services as territory_services

        case = report(cast, noise)
        territory_services.compound_update(
            actor=cast.director, compound=cast.compound1, area=cast.grid2, longitude=None, latitude=None
        )
        moved = Case.objects.get(pk=case.pk)
        assert moved.area == cast.grid2 and moved.area_path.startswith(cast.grid2.path)
        assert Case.objects.for_user(cast.grid_leader).filter(pk=case.pk).count() == 0
        assert Case.objects.for_user(cast.building_leader).filter(pk=case.pk).count() == 1
        assert AuditEvent.objects.filter(action="membership.move").count() >= 1
