"""The daily sweep: a reminder to each responsible person of the places overdue for a visit, once a day."""

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from conftest import Cast
from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.core.models import Notification
from wangge.inspections import services
from wangge.inspections.models import Checklist, ChecklistStatus, Result
from wangge.inspections.services import Answer
from wangge.territory import services as territory_services
from wangge.territory.models import Compound

ZONE = ZoneInfo("Asia/Shanghai")
# Tuesday 10 June 2014, 07:00 local time: the sweep's morning run.
MORNING = datetime.datetime(2014, 6, 10, 7, 0, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def visit(cast: Cast, place: Compound, at: datetime.datetime) -> None:
    checklist = Checklist.objects.get(code="compound-sanitation", status=ChecklistStatus.PUBLISHED)
    given = {item.code: Answer(Result.PASS) for item in services.items_for(checklist, place)}
    services.inspection_record(
        actor=cast.director, checklist=checklist, place=place, answers=given, inspected_at=at, now=at
    )


@pytest.fixture
def responsible(cast: Cast) -> None:
    """The grid leader answers for compound 1 and the restaurant (never visited), the director for compound 2
    (visited last week, so on time); shop 2 and the office building have nobody."""
    territory_services.assignment_create(actor=None, person=cast.grid_leader, place=cast.compound1)
    territory_services.assignment_create(actor=None, person=cast.grid_leader, place=cast.shop1)
    territory_services.assignment_create(actor=None, person=cast.director, place=cast.compound2)
    visit(cast, cast.compound2, datetime.datetime(2014, 6, 4, 10, tzinfo=ZONE))


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(event="inspection.overdue").order_by("pk"))


class SweepTests:
    def test_it_reminds_each_responsible_person_once_of_all_their_overdue_places(
        self, cast: Cast, responsible: None
    ) -> None:
        result = services.inspections_sweep(now=MORNING)
        assert result == {"reminded": 1}
        (reminder,) = reminders()
        assert reminder.recipient == cast.grid_leader
        assert reminder.subject == "2 places are overdue for a visit"
        assert "测试一号院" in reminder.body and "测试面馆" in reminder.body
        assert reminder.payload == {"places": 2}
        assert reminder.area_path == cast.home.path
        assert reminder.link.endswith(f"?community={cast.home.code}")

    def test_it_tells_nobody_of_a_place_that_is_on_time(self, cast: Cast, responsible: None) -> None:
        services.inspections_sweep(now=MORNING)
        assert cast.director.notifications.filter(event="inspection.overdue").count() == 0

    def test_it_sends_nothing_new_on_a_second_run_the_same_day(self, cast: Cast, responsible: None) -> None:
        services.inspections_sweep(now=MORNING)
        services.inspections_sweep(now=MORNING.replace(hour=19))
        assert len(reminders()) == 1

    def test_it_reminds_again_the_next_day(self, cast: Cast, responsible: None) -> None:
        services.inspections_sweep(now=MORNING)
        services.inspections_sweep(now=MORNING + datetime.timedelta(days=1))
        assert [n.recipient for n in reminders()] == [cast.grid_leader, cast.grid_leader]

    def test_it_reminds_once_a_place_falls_overdue(self, cast: Cast, responsible: None) -> None:
        # Compound 2 was visited on Wednesday 4 June: due by Monday 16 June, overdue from the 17th.
        services.inspections_sweep(now=datetime.datetime(2014, 6, 16, 7, tzinfo=ZONE))
        assert cast.director.notifications.filter(event="inspection.overdue").count() == 0
        services.inspections_sweep(now=datetime.datetime(2014, 6, 17, 7, tzinfo=ZONE))
        (reminder,) = cast.director.notifications.filter(event="inspection.overdue")
        assert (reminder.payload, reminder.body) == ({"places": 1}, "测试二号院")

    def test_it_reminds_someone_who_answers_in_two_communities_of_each(self, cast: Cast) -> None:
        admin = account_services.user_create(actor=None, username="subadmin", display_name="街道管理员庚")
        territory_services.role_grant(actor=None, user=admin, role=Role.SUBDISTRICT_ADMIN, area=cast.subdistrict)
        territory_services.assignment_create(actor=None, person=admin, place=cast.compound1)
        territory_services.assignment_create(actor=None, person=admin, place=cast.next_compound)
        assert services.inspections_sweep(now=MORNING) == {"reminded": 2}
        assert sorted(n.area_path for n in admin.notifications.filter(event="inspection.overdue")) == sorted(
            [cast.home.path, cast.next_door.path]
        )

    def test_it_reminds_nobody_when_every_place_is_on_time(self, cast: Cast) -> None:
        territory_services.assignment_create(actor=None, person=cast.grid_leader, place=cast.compound1)
        visit(cast, cast.compound1, datetime.datetime(2014, 6, 9, 10, tzinfo=ZONE))
        assert services.inspections_sweep(now=MORNING) == {"reminded": 0}
        assert reminders() == []
