"""The working calendar: working days, deadlines in working hours, and the calendar files and command.

Hand-computed cases use China's 2014 calendar (the shipped data file) and the default working hours,
08:30–12:00 and 14:00–17:30, in Asia/Shanghai.
"""

import datetime
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wangge.core.calendar import (
    DATA_DIR,
    add_hours,
    calendar_import,
    is_working_day,
    read_calendar_file,
    working_hours_between,
)
from wangge.core.models import AuditEvent, CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """A moment in Shanghai local time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar_2014(db) -> None:
    """China's 2014 holidays and make-up workdays, from the file the demo imports."""
    calendar_import(actor=None, days=read_calendar_file(DATA_DIR / "calendar-2014.csv"))


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.csv"
    path.write_text(text, encoding="utf-8")
    return path


class WorkingDayTests:
    def test_it_works_on_weekdays(self, calendar_2014):
        assert is_working_day(datetime.date(2014, 3, 3))  # Monday
        assert is_working_day(datetime.date(2014, 3, 7))  # Friday

    def test_it_rests_at_weekends(self, calendar_2014):
        assert not is_working_day(datetime.date(2014, 3, 8))
        assert not is_working_day(datetime.date(2014, 10, 18))

    def test_it_rests_on_a_holiday_weekday(self, calendar_2014):
        assert not is_working_day(datetime.date(2014, 10, 1))
        assert not is_working_day(datetime.date(2014, 1, 31))

    def test_it_works_on_a_make_up_weekend_day(self, calendar_2014):
        assert is_working_day(datetime.date(2014, 10, 11))  # Saturday
        assert is_working_day(datetime.date(2014, 9, 28))  # Sunday

    def test_it_follows_the_week_without_a_calendar(self, db):
        assert not CalendarDay.objects.exists()
        assert is_working_day(datetime.date(2014, 10, 1))  # a Wednesday, a holiday only when the calendar says so
        assert not is_working_day(datetime.date(2014, 10, 11))


class AddHoursTests:
    def test_it_adds_plain_hours_when_not_working(self, db):
        start = at(2014, 10, 1, 9)
        assert add_hours(start, 30, working=False) == at(2014, 10, 2, 15)
        assert add_hours(start, 1.5, working=False) == at(2014, 10, 1, 10, 30)

    def test_it_counts_within_a_morning(self, calendar_2014):
        assert add_hours(at(2014, 3, 3, 8, 30), 2, working=True) == at(2014, 3, 3, 10, 30)

    def test_it_skips_the_lunch_break(self, calendar_2014):
        assert add_hours(at(2014, 3, 4, 11), 2, working=True) == at(2014, 3, 4, 15)

    def test_it_ends_at_closing_time_when_a_period_is_used_up(self, calendar_2014):
        assert add_hours(at(2014, 3, 4, 11), 1, working=True) == at(2014, 3, 4, 12)
        assert add_hours(at(2014, 3, 4, 8, 30), 7, working=True) == at(2014, 3, 4, 17, 30)

    def test_it_skips_a_weekend(self, calendar_2014):
        # Friday 16:30–17:30 is one hour; the second is Monday 08:30–09:30.
        assert add_hours(at(2014, 3, 7, 16, 30), 2, working=True) == at(2014, 3, 10, 9, 30)

    def test_it_skips_national_day(self, calendar_2014):
        # Tuesday 30 September 17:00–17:30, then 1–7 October off, then Wednesday the 8th: 3.5 h + 3 h.
        assert add_hours(at(2014, 9, 30, 17), 7, working=True) == at(2014, 10, 8, 17)

    def test_it_works_on_the_make_up_saturday(self, calendar_2014):
        # Friday 10 October 16:30–17:30, then Saturday the 11th is a workday.
        assert add_hours(at(2014, 10, 10, 16, 30), 2, working=True) == at(2014, 10, 11, 9, 30)

    def test_it_works_on_the_make_up_sunday(self, calendar_2014):
        assert add_hours(at(2014, 9, 27, 10), 1, working=True) == at(2014, 9, 28, 9, 30)

    def test_it_starts_before_opening_at_opening(self, calendar_2014):
        assert add_hours(at(2014, 3, 3, 7), 1, working=True) == at(2014, 3, 3, 9, 30)

    def test_it_starts_after_closing_the_next_morning(self, calendar_2014):
        assert add_hours(at(2014, 3, 3, 18), 1, working=True) == at(2014, 3, 4, 9, 30)

    def test_it_starts_in_the_lunch_break_at_two(self, calendar_2014):
        assert add_hours(at(2014, 3, 3, 12, 30), 1, working=True) == at(2014, 3, 3, 15)

    def test_it_starts_on_a_holiday_at_the_next_working_day(self, calendar_2014):
        # Thursday 1 May is Labour Day, 2–3 May too; Sunday the 4th is worked.
        assert add_hours(at(2014, 5, 1, 10), 1, working=True) == at(2014, 5, 4, 9, 30)

    def test_it_counts_fractions_of_an_hour(self, calendar_2014):
        assert add_hours(at(2014, 3, 3, 8, 30), 0.25, working=True) == at(2014, 3, 3, 8, 45)
        assert add_hours(at(2014, 3, 3, 11), 1.75, working=True) == at(2014, 3, 3, 14, 45)
        assert add_hours(at(2014, 3, 3, 9), 1 / 60, working=True) == at(2014, 3, 3, 9, 1)

    def test_it_crosses_spring_festival(self, calendar_2014):
        # Thursday 30 January, all 7 hours; 31 Jan – 6 Feb off; Friday 7 Feb 7 h; Saturday 8 Feb is worked.
        assert add_hours(at(2014, 1, 30, 8, 30), 15, working=True) == at(2014, 2, 8, 9, 30)

    def test_it_returns_zero_hours_unchanged(self, calendar_2014):
        start = at(2014, 10, 1, 3)
        assert add_hours(start, 0, working=True) == start

    def test_it_answers_in_local_time_for_a_utc_start(self, calendar_2014):
        start = datetime.datetime(2014, 3, 3, 0, 30, tzinfo=datetime.UTC)  # 08:30 in Shanghai
        result = add_hours(start, 1, working=True)
        assert result == at(2014, 3, 3, 9, 30)
        assert result.utcoffset() == datetime.timedelta(hours=8)

    def test_it_refuses_naive_and_negative_input(self, calendar_2014):
        with pytest.raises(ValueError, match="aware"):
            add_hours(datetime.datetime(2014, 3, 3, 9), 1, working=True)
        with pytest.raises(ValueError, match="negative"):
            add_hours(at(2014, 3, 3, 9), -1, working=True)

    def test_it_reads_the_working_hours_setting(self, calendar_2014, settings):
        settings.WORKING_HOURS = ["09:00-17:00"]
        assert add_hours(at(2014, 3, 3, 16), 2, working=True) == at(2014, 3, 4, 10)

    def test_it_refuses_nonsense_working_hours(self, calendar_2014, settings):
        for spec in (["8:30 to 12"], ["12:00-08:30"], ["08:30-12:00", "11:00-13:00"], []):
            settings.WORKING_HOURS = spec
            with pytest.raises(ImproperlyConfigured):
                add_hours(at(2014, 3, 3, 9), 1, working=True)

    def test_it_reads_the_calendar_once_for_a_month(self, calendar_2014, django_assert_max_num_queries):
        with django_assert_max_num_queries(1):
            end = add_hours(at(2014, 9, 15, 9), 22 * 7, working=True)
        assert end.date() > datetime.date(2014, 10, 15)
        with django_assert_max_num_queries(1):
            working_hours_between(at(2014, 9, 15, 9), end)

    def test_it_reads_a_long_span_in_few_queries(self, calendar_2014, django_assert_max_num_queries):
        # A year of working hours (2014 had 250 working days): the first read covers the estimated span.
        with django_assert_max_num_queries(4):
            end = add_hours(at(2014, 1, 2, 9), 249 * 7, working=True)
        assert end.year == 2014


class WorkingHoursBetweenTests:
    def test_it_counts_across_a_weekend(self, calendar_2014):
        assert working_hours_between(at(2014, 3, 7, 16, 30), at(2014, 3, 10, 9, 30)) == 2

    def test_it_counts_across_national_day(self, calendar_2014):
        assert working_hours_between(at(2014, 9, 30, 17), at(2014, 10, 8, 17)) == 7

    def test_it_counts_nothing_outside_working_time(self, calendar_2014):
        assert working_hours_between(at(2014, 10, 1, 8), at(2014, 10, 7, 20)) == 0
        assert working_hours_between(at(2014, 3, 3, 12), at(2014, 3, 3, 14)) == 0

    def test_it_is_negative_backwards(self, calendar_2014):
        assert working_hours_between(at(2014, 3, 10, 9, 30), at(2014, 3, 7, 16, 30)) == -2

    def test_it_undoes_add_hours(self, calendar_2014):
        for start, hours in [
            (at(2014, 3, 7, 16, 30), 2),
            (at(2014, 9, 30, 17), 7),
            (at(2014, 10, 10, 16, 30), 2),
            (at(2014, 5, 1, 10), 1),
            (at(2014, 3, 3, 11), 1.75),
        ]:
            assert working_hours_between(start, add_hours(start, hours, working=True)) == pytest.approx(hours)

    @hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        start=st.datetimes(
            min_value=datetime.datetime(2014, 1, 1),
            max_value=datetime.datetime(2014, 11, 30),
            timezones=st.just(SHANGHAI),
        ),
        hours=st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False),
    )
    def test_it_is_the_inverse_of_add_hours(self, calendar_2014, start, hours):
        end = add_hours(start, hours, working=True)
        assert end >= start
        assert abs(working_hours_between(start, end) - hours) < 1 / 3600


class CalendarFileTests:
    @pytest.fixture(autouse=True)
    def english(self):
        """Messages are translated; these tests read the English ones, whatever an earlier test activated."""
        with translation.override("en"):
            yield

    def test_it_ships_valid_files(self, db):
        for name, holidays, workdays in [("calendar-2014.csv", 27, 5), ("calendar-2026.csv", 33, 6)]:
            days = read_calendar_file(DATA_DIR / name)
            assert sum(day.kind == "holiday" for day in days) == holidays, name
            assert sum(day.kind == "workday" for day in days) == workdays, name

    def test_it_knows_2026(self, db):
        calendar_import(actor=None, days=read_calendar_file(DATA_DIR / "calendar-2026.csv"))
        assert not is_working_day(datetime.date(2026, 2, 23))  # 正月初七, a Monday
        assert is_working_day(datetime.date(2026, 2, 28))  # Saturday worked for the Spring Festival
        assert is_working_day(datetime.date(2026, 9, 20))  # Sunday worked for National Day
        assert not is_working_day(datetime.date(2026, 5, 5))

    def test_it_imports_and_counts(self, db):
        out = io.StringIO()
        call_command("calendar", "import", str(DATA_DIR / "calendar-2014.csv"), stdout=out)
        assert "created 32, updated 0, unchanged 0" in out.getvalue()
        assert CalendarDay.objects.filter(date__year=2014).count() == 32
        assert AuditEvent.objects.filter(action="calendar_day.create").count() == 32

    def test_it_upserts_by_date(self, db, tmp_path):
        call_command("calendar", "import", str(DATA_DIR / "calendar-2014.csv"), stdout=io.StringIO())
        path = write_csv(
            tmp_path, "date,kind,name\n2014-10-11,holiday,国庆节\n2014-12-27,workday,测试\n2014-01-01,holiday,元旦\n"
        )
        out = io.StringIO()
        call_command("calendar", "import", str(path), stdout=out)
        assert "created 1, updated 1, unchanged 1" in out.getvalue()
        assert CalendarDay.objects.get(date=datetime.date(2014, 10, 11)).kind == "holiday"
        update = AuditEvent.objects.get(action="calendar_day.update")
        assert (update.before["kind"], update.after["kind"]) == ("workday", "holiday")

    def test_it_names_every_bad_row_and_writes_nothing(self, db, tmp_path):
        path = write_csv(
            tmp_path,
            "date,kind,name\n"
            "2014-10-01,holiday,国庆节\n"
            "2014-13-01,holiday,bad month\n"
            "2014-10-02,holiday,国庆节\n"
            "2014-10-03,vacation,国庆节\n"
            "2014-10-08,workday,a Wednesday\n"
            "2014-10-02,holiday,again\n"
            "2014-10-04,holiday\n",
        )
        with pytest.raises(CommandError) as raised:
            call_command("calendar", "import", str(path), stdout=io.StringIO())
        message = str(raised.value)
        assert "nothing imported" in message
        for row in ("row 3:", "row 5:", "row 6:", "row 7:", "row 8:"):
            assert row in message
        assert "row 2:" not in message and "row 4:" not in message
        assert not CalendarDay.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="calendar_day").exists()

    def test_it_refuses_a_file_without_the_header(self, db, tmp_path):
        path = write_csv(tmp_path, "2014-10-01,holiday,国庆节\n")
        with pytest.raises(CommandError, match="row 1"):
            call_command("calendar", "import", str(path), stdout=io.StringIO())

    def test_it_refuses_a_missing_file(self, db, tmp_path):
        with pytest.raises(CommandError, match="no such file"):
            call_command("calendar", "import", str(tmp_path / "missing.csv"), stdout=io.StringIO())

    def test_it_accepts_a_byte_order_mark(self, db, tmp_path):
        path = tmp_path / "excel.csv"
        path.write_text("date,kind,name\n2014-10-01,holiday,国庆节\n", encoding="utf-8-sig")
        assert [day.date for day in read_calendar_file(path)] == [datetime.date(2014, 10, 1)]

    def test_it_lists_a_year(self, db):
        call_command("calendar", "import", str(DATA_DIR / "calendar-2014.csv"), stdout=io.StringIO())
        call_command("calendar", "import", str(DATA_DIR / "calendar-2026.csv"), stdout=io.StringIO())
        out = io.StringIO()
        call_command("calendar", "list", "--year", "2014", stdout=out)
        lines = out.getvalue().splitlines()
        assert len(lines) == 32
        assert "2014-10-11\tSat\tworkday\t国庆节" in lines
        assert not any(line.startswith("2026") for line in lines)
