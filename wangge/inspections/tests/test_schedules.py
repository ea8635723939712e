"""When a place is due again: periods over the working calendar, the schedule that applies, and visits per place."""

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from conftest import Cast
from wangge.core.calendar import DATA_DIR, WorkingDays, calendar_import, read_calendar_file
from wangge.core.models import CalendarDay, CalendarDayKind
from wangge.inspections import selectors, services
from wangge.inspections.models import Checklist, ChecklistStatus, Result, Target, Unit
from wangge.inspections.schedules import DEFAULT_PERIODS, Period, ScheduleBook
from wangge.inspections.services import Answer
from wangge.territory import services as territory_services
from wangge.territory.models import Compound, Shop, ShopStatus

ZONE = ZoneInfo("Asia/Shanghai")
D = datetime.date


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def calendar_2014(db) -> None:
    """The 2014 holidays and make-up workdays, imported as an operator would."""
    calendar_import(actor=None, days=read_calendar_file(DATA_DIR / "calendar-2014.csv"))


NEW_YEAR_2014 = D(2014, 1, 1)


def days(first: D = NEW_YEAR_2014) -> WorkingDays:
    """A calendar window deliberately short, so that due dates outside it make it load more."""
    return WorkingDays(first, first)


class PeriodTests:
    def test_it_counts_days_from_the_visit(self) -> None:
        assert Period(14, Unit.DAY).end_after(D(2014, 6, 3)) == D(2014, 6, 17)
        assert Period(1, Unit.DAY).end_after(D(2014, 2, 28)) == D(2014, 3, 1)
        assert Period(1, Unit.DAY).end_after(D(2016, 2, 28)) == D(2016, 2, 29)
        assert Period(7, Unit.DAY).end_after(D(2014, 12, 29)) == D(2015, 1, 5)

    def test_it_ends_on_the_sunday_of_the_calendar_week_after(self) -> None:
        week = Period(1, Unit.WEEK)
        # Monday, Wednesday and Sunday of the week of 2 June 2014: all due by the end of the next week.
        assert week.end_after(D(2014, 6, 2)) == D(2014, 6, 15)
        assert week.end_after(D(2014, 6, 4)) == D(2014, 6, 15)
        assert week.end_after(D(2014, 6, 8)) == D(2014, 6, 15)
        assert week.end_after(D(2014, 6, 9)) == D(2014, 6, 22)
        assert Period(2, Unit.WEEK).end_after(D(2014, 6, 4)) == D(2014, 6, 22)
        assert week.end_after(D(2014, 12, 31)) == D(2015, 1, 11)

    def test_it_ends_on_the_last_day_of_the_calendar_month_after(self) -> None:
        month = Period(1, Unit.MONTH)
        assert month.end_after(D(2014, 1, 31)) == D(2014, 2, 28)
        assert month.end_after(D(2014, 1, 5)) == D(2014, 2, 28)
        assert month.end_after(D(2016, 1, 31)) == D(2016, 2, 29)  # a leap year
        assert month.end_after(D(2014, 3, 31)) == D(2014, 4, 30)
        assert month.end_after(D(2014, 12, 15)) == D(2015, 1, 31)  # across the year end
        assert Period(2, Unit.MONTH).end_after(D(2014, 11, 30)) == D(2015, 1, 31)
        assert Period(12, Unit.MONTH).end_after(D(2014, 3, 10)) == D(2015, 3, 31)
        assert Period(13, Unit.MONTH).end_after(D(2014, 12, 1)) == D(2016, 1, 31)

    def test_it_says_how_often(self) -> None:
        assert str(Period(1, Unit.WEEK)) == "every week"
        assert str(Period(14, Unit.DAY)) == "every 14 days"
        assert str(Period(3, Unit.MONTH)) == "every 3 months"


@pytest.mark.django_db
class DueDateTests:
    def test_it_keeps_a_due_date_on_a_working_day(self) -> None:
        assert Period(14, Unit.DAY).due_after(D(2014, 6, 4), days()) == D(2014, 6, 18)  # a Wednesday

    def test_it_runs_a_weekend_on_to_monday(self) -> None:
        assert Period(1, Unit.WEEK).due_after(D(2014, 6, 4), days()) == D(2014, 6, 16)  # Sunday 15th → Monday
        assert Period(1, Unit.MONTH).due_after(D(2014, 7, 10), days()) == D(2014, 9, 1)  # Sunday 31 August

    def test_it_runs_a_holiday_on_to_the_next_working_day(self, calendar_2014: None) -> None:
        # 国庆节: 1-7 October 2014 are holidays; the week of 24 September ends on Sunday 5 October.
        assert Period(1, Unit.WEEK).due_after(D(2014, 9, 24), days()) == D(2014, 10, 8)
        # 端午节: Saturday 31 May to Monday 2 June.
        assert Period(1, Unit.MONTH).due_after(D(2014, 4, 10), days()) == D(2014, 6, 3)
        # 中秋节 on Monday 8 September: a 14-day period from 25 August ends on it.
        assert Period(14, Unit.DAY).due_after(D(2014, 8, 25), days()) == D(2014, 9, 9)

    def test_it_counts_a_make_up_workday_as_working(self, calendar_2014: None) -> None:
        # Sunday 28 September and Saturday 11 October 2014 were worked (调休).
        assert Period(1, Unit.WEEK).due_after(D(2014, 9, 17), days()) == D(2014, 9, 28)
        assert Period(14, Unit.DAY).due_after(D(2014, 9, 27), days()) == D(2014, 10, 11)

    def test_it_reads_the_calendar_past_the_year_end(self) -> None:
        for date, kind in [
            (D(2015, 1, 1), CalendarDayKind.HOLIDAY),
            (D(2015, 1, 2), CalendarDayKind.HOLIDAY),
            (D(2015, 1, 3), CalendarDayKind.HOLIDAY),
            (D(2015, 1, 4), CalendarDayKind.WORKDAY),
        ]:
            CalendarDay.objects.create(date=date, kind=kind, name="元旦")
        assert Period(1, Unit.DAY).due_after(D(2014, 12, 31), days(D(2014, 12, 1))) == D(2015, 1, 4)
        assert Period(1, Unit.WEEK).due_after(D(2014, 12, 24), days(D(2014, 12, 1))) == D(2015, 1, 4)
        assert Period(1, Unit.MONTH).due_after(D(2014, 12, 24), days(D(2014, 12, 1))) == D(2015, 2, 2)


class ScheduleBookTests:
    def test_it_uses_the_defaults_where_a_community_has_set_nothing(self, cast: Cast) -> None:
        book = ScheduleBook.of(cast.home.path)
        assert book.period(Target.COMPOUND) == DEFAULT_PERIODS[Target.COMPOUND] == Period(1, Unit.WEEK)
        assert book.period(Target.SHOP, "restaurant") == Period(14, Unit.DAY)
        assert book.period(Target.OFFICE) == Period(1, Unit.MONTH)

    def test_it_prefers_a_trade_schedule_to_the_kinds(self, cast: Cast) -> None:
        services.schedule_save(actor=cast.director, community=cast.home, target=Target.SHOP, every=10, unit=Unit.DAY)
        services.schedule_save(
            actor=cast.director,
            community=cast.home,
            target=Target.SHOP,
            trades=["restaurant", "food"],
            every=3,
            unit=Unit.DAY,
        )
        book = ScheduleBook.of(cast.home.path)
        assert book.period(Target.SHOP, "restaurant") == book.period(Target.SHOP, "food") == Period(3, Unit.DAY)
        assert book.period(Target.SHOP, "salon") == book.period(Target.SHOP) == Period(10, Unit.DAY)
        assert book.period(Target.COMPOUND) == Period(1, Unit.WEEK)  # untouched: still the default

    def test_it_ignores_an_inactive_schedule(self, cast: Cast) -> None:
        services.schedule_save(
            actor=cast.director, community=cast.home, target=Target.SHOP, trades=["salon"], every=2, unit=Unit.DAY
        )
        services.schedule_save(
            actor=cast.director, community=cast.home, target=Target.COMPOUND, every=2, unit=Unit.WEEK, active=False
        )
        book = ScheduleBook.of(cast.home.path)
        assert book.period(Target.SHOP, "salon") == Period(2, Unit.DAY)
        assert book.period(Target.COMPOUND) == Period(1, Unit.WEEK)

    def test_it_keeps_each_communitys_schedules_to_itself(self, cast: Cast) -> None:
        services.schedule_save(
            actor=cast.outsider, community=cast.next_door, target=Target.OFFICE, every=2, unit=Unit.MONTH
        )
        assert ScheduleBook.of(cast.home.path).period(Target.OFFICE) == Period(1, Unit.MONTH)
        assert ScheduleBook.of(cast.next_door.path).period(Target.OFFICE) == Period(2, Unit.MONTH)


def visit(actor, place: Compound | Shop, at: datetime.datetime) -> None:
    """An inspection where everything passes."""
    checklist = Checklist.objects.get(target=selectors.target_of(place), status=ChecklistStatus.PUBLISHED)
    given = {item.code: Answer(Result.PASS) for item in services.items_for(checklist, place)}
    services.inspection_record(actor=actor, checklist=checklist, place=place, answers=given, inspected_at=at, now=at)


def by_code(visits: list[selectors.Visit]) -> dict[str, selectors.Visit]:
    return {v.code: v for v in visits}


class VisitsTests:
    def test_it_lists_every_place_and_calls_the_never_visited_overdue(self, cast: Cast) -> None:
        visits = by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 10)))
        assert set(visits) == {"T-C01", "T-C02", "T-S001", "T-S002", "T-O1"}
        assert all(v.never and v.overdue and v.due is None and v.days_overdue is None for v in visits.values())
        assert visits["T-O1"].target == Target.OFFICE and visits["T-S001"].grid == cast.grid1

    def test_it_dates_the_next_visit_from_the_last(self, cast: Cast, calendar_2014: None) -> None:
        visit(cast.grid_worker, cast.compound1, datetime.datetime(2014, 6, 4, 10, tzinfo=ZONE))
        visit(cast.grid_worker, cast.shop1, datetime.datetime(2014, 6, 4, 10, tzinfo=ZONE))
        on_due = by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 16)))
        compound = on_due["T-C01"]
        assert (compound.last, compound.due, compound.period) == (D(2014, 6, 4), D(2014, 6, 16), Period(1, Unit.WEEK))
        assert (compound.overdue, compound.days_since, compound.days_overdue) == (False, 12, None)
        assert on_due["T-S001"].due == D(2014, 6, 18) and not on_due["T-S001"].overdue
        late = by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 17)))["T-C01"]
        assert (late.overdue, late.days_overdue) == (True, 1)

    def test_it_follows_the_communitys_schedule(self, cast: Cast) -> None:
        services.schedule_save(
            actor=cast.director, community=cast.home, target=Target.SHOP, trades=["restaurant"], every=7, unit="day"
        )
        visit(cast.grid_worker, cast.shop1, datetime.datetime(2014, 6, 4, 10, tzinfo=ZONE))
        shop = by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 12)))["T-S001"]
        assert (shop.period, shop.due, shop.overdue) == (Period(7, Unit.DAY), D(2014, 6, 11), True)

    def test_it_counts_only_visits_on_or_before_the_day(self, cast: Cast) -> None:
        visit(cast.grid_worker, cast.compound1, datetime.datetime(2014, 6, 4, 10, tzinfo=ZONE))
        # Late in the evening of the 20th, local time (15:30 UTC): still the 20th.
        visit(cast.grid_worker, cast.compound1, datetime.datetime(2014, 6, 20, 23, 30, tzinfo=ZONE))
        assert by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 3)))["T-C01"].never
        assert by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 19)))["T-C01"].last == D(2014, 6, 4)
        assert by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 20)))["T-C01"].last == D(2014, 6, 20)

    def test_it_names_the_responsible_persons(self, cast: Cast) -> None:
        territory_services.assignment_create(actor=None, person=cast.grid_leader, place=cast.compound1)
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        territory_services.assignment_create(actor=None, person=cast.director, place=cast.office)
        visits = by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 10)))
        assert set(visits["T-C01"].responsible) == {cast.grid_leader, cast.grid_worker}
        assert visits["T-O1"].responsible == [cast.director]
        assert visits["T-C02"].responsible == []

    def test_it_keeps_to_what_a_user_may_see(self, cast: Cast) -> None:
        mine = selectors.visits_of(cast.home, as_of=D(2014, 6, 10), user=cast.grid_worker)
        assert {v.code for v in mine} == {"T-C01", "T-S001"}  # grid 1 only
        assert selectors.visits_of(cast.home, as_of=D(2014, 6, 10), user=cast.outsider) == []
        assert len(selectors.visits_of(cast.home, as_of=D(2014, 6, 10), user=cast.director)) == 5

    def test_it_leaves_out_shops_that_closed_down(self, cast: Cast) -> None:
        Shop.objects.filter(pk=cast.shop2.pk).update(status=ShopStatus.CLOSED)
        assert "T-S002" not in by_code(selectors.visits_of(cast.home, as_of=D(2014, 6, 10)))
