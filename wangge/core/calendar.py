"""The working calendar: which days are worked, and deadlines counted in working hours.

Monday to Friday are working days unless the calendar (`CalendarDay`, imported per deployment with
`wangge calendar import`) makes one a holiday; a Saturday or Sunday is one when the calendar makes it a
make-up workday (调休上班日). Working time is the periods of `settings.WORKING_HOURS` on working days, in
the local time zone (`settings.TIME_ZONE`, Asia/Shanghai).
"""

import csv
import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.models import CalendarDay, CalendarDayKind

DEFAULT_WORKING_HOURS = ["08:30-12:00", "14:00-17:30"]
DATA_DIR = Path(__file__).resolve().parent / "data"

# The calendar is read a window of days at a time: one query covers a typical deadline, and a long one
# costs a query per quarter, never one per day.
_WINDOW_DAYS = 92
# A computation that finds no working time within this many days is looking at a broken calendar.
_GIVE_UP_DAYS = 3660

Period = tuple[datetime.time, datetime.time]


def working_periods() -> list[Period]:
    """The configured working periods of a day, in order; nonsense in the setting is an error."""
    spec = getattr(settings, "WORKING_HOURS", DEFAULT_WORKING_HOURS)
    periods: list[Period] = []
    for item in spec:
        try:
            start_text, end_text = item.split("-")
            start = datetime.time.fromisoformat(start_text.strip())
            end = datetime.time.fromisoformat(end_text.strip())
        except ValueError:
            raise ImproperlyConfigured(f"WORKING_HOURS: {item!r} is not like 08:30-12:00") from None
        if start >= end or (periods and start < periods[-1][1]):
            raise ImproperlyConfigured(f"WORKING_HOURS: {item!r} is empty, reversed or overlaps the period before")
        periods.append((start, end))
    if not periods:
        raise ImproperlyConfigured("WORKING_HOURS names no working period")
    return periods


def _local_zone() -> ZoneInfo:
    return timezone.get_default_timezone()


def _weekday_rule(day: datetime.date, kind: str | None) -> bool:
    if kind == CalendarDayKind.HOLIDAY:
        return False
    if kind == CalendarDayKind.WORKDAY:
        return True
    return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    """Whether `day` is worked: Monday to Friday unless a holiday; Saturday or Sunday only as a make-up workday."""
    kind = CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()
    return _weekday_rule(day, kind)


class WorkingDays:
    """Which days are worked, for one computation: the calendar's exceptions read a window at a time."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        self.kinds: dict[datetime.date, str] = {}
        self.first = first
        self.last = first - datetime.timedelta(days=1)  # nothing loaded yet
        self._load(first, max(first, last))

    def _load(self, first: datetime.date, last: datetime.date) -> None:
        rows = CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind")
        self.kinds.update(rows)
        self.first = min(self.first, first)
        self.last = max(self.last, last)

    def is_working(self, day: datetime.date) -> bool:
        if day > self.last:
            self._load(self.last + datetime.timedelta(days=1), max(day, self.last + datetime.timedelta(_WINDOW_DAYS)))
        elif day < self.first:
            self._load(min(day, self.first - datetime.timedelta(_WINDOW_DAYS)), self.first - datetime.timedelta(days=1))
        return _weekday_rule(day, self.kinds.get(day))

    def on_or_after(self, day: datetime.date) -> datetime.date:
        """`day` if it is worked, else the next working day (a period ending on a rest day runs on to it)."""
        for _step in range(_GIVE_UP_DAYS):
            if self.is_working(day):
                return day
            day += datetime.timedelta(days=1)
        raise ImproperlyConfigured(f"the working calendar has no working day for {_GIVE_UP_DAYS} days")


def _periods_of(day: datetime.date, periods: list[Period], zone: ZoneInfo) -> Iterable[tuple[datetime.datetime, ...]]:
    """The working periods of one day as aware UTC instants (arithmetic in UTC is right across any DST change)."""
    for start, end in periods:
        yield (
            datetime.datetime.combine(day, start, tzinfo=zone).astimezone(datetime.UTC),
            datetime.datetime.combine(day, end, tzinfo=zone).astimezone(datetime.UTC),
        )


def _require_aware(value: datetime.datetime, name: str) -> None:
    if timezone.is_naive(value):
        raise ValueError(f"{name} must be an aware datetime")


def add_hours(start: datetime.datetime, hours: float, *, working: bool) -> datetime.datetime:
    """The moment `hours` after `start`: plain hours, or with `working` only working time counts.

    A working-hours deadline from a start outside working time counts from the next working period, and
    one that uses up a period exactly ends at that period's close (12:00, not 14:00). Zero hours is `start`.
    """
    _require_aware(start, "start")
    if not working:
        return start + datetime.timedelta(hours=hours)
    if hours < 0:
        raise ValueError("working hours cannot be negative")
    remaining = datetime.timedelta(hours=hours)
    if not remaining:
        return start
    zone = _local_zone()
    periods = working_periods()
    cursor = start.astimezone(datetime.UTC)
    day = cursor.astimezone(zone).date()
    # Guess the span (5 working days in 7, plus room for holidays) so that one query usually covers it.
    per_day = sum(
        (datetime.datetime.combine(day, end) - datetime.datetime.combine(day, begin) for begin, end in periods),
        datetime.timedelta(),
    )
    span = math.ceil(remaining / per_day * 7 / 5) + 31
    days = WorkingDays(day, day + datetime.timedelta(days=span))
    for _offset in range(_GIVE_UP_DAYS):
        if days.is_working(day):
            for period_start, period_end in _periods_of(day, periods, zone):
                if period_end <= cursor:
                    continue
                begin = max(cursor, period_start)
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(zone)
                remaining -= available
                cursor = period_end
        day += datetime.timedelta(days=1)
    raise ValueError(f"the calendar has no working time within {_GIVE_UP_DAYS} days of {start:%Y-%m-%d}")


def working_hours_between(a: datetime.datetime, b: datetime.datetime) -> float:
    """The working hours from `a` to `b` (negative when `b` is before `a`); the inverse of `add_hours`."""
    _require_aware(a, "a")
    _require_aware(b, "b")
    if b < a:
        return -working_hours_between(b, a)
    zone = _local_zone()
    periods = working_periods()
    a, b = a.astimezone(datetime.UTC), b.astimezone(datetime.UTC)
    first, last = a.astimezone(zone).date(), b.astimezone(zone).date()
    days = WorkingDays(first, last)
    total = datetime.timedelta()
    day = first
    while day <= last:
        if days.is_working(day):
            for period_start, period_end in _periods_of(day, periods, zone):
                overlap = min(b, period_end) - max(a, period_start)
                if overlap > datetime.timedelta():
                    total += overlap
        day += datetime.timedelta(days=1)
    return total.total_seconds() / 3600


# Import and listing (the `wangge calendar` command).


class CalendarFileError(Exception):
    """A calendar file that cannot be imported; `problems` names every bad row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class CalendarImport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    days: list[CalendarDay] = field(default_factory=list)


_COLUMNS = ["date", "kind", "name"]


def read_calendar_file(path: Path) -> list[CalendarDay]:
    """The days of a CSV file (columns date,kind,name), all validated; any bad row raises `CalendarFileError`."""
    problems: list[str] = []
    days: list[CalendarDay] = []
    seen: dict[datetime.date, int] = {}
    max_name = CalendarDay._meta.get_field("name").max_length
    # utf-8-sig: files saved by Excel start with a byte-order mark.
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [column.strip().lower() for column in next(reader, [])]
        if header != _COLUMNS:
            raise CalendarFileError([_("row 1: the columns must be date,kind,name, not %s") % ",".join(header)])
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 3:
                problems.append(_("row %(row)d: expected 3 columns, found %(n)d") % {"row": number, "n": len(row)})
                continue
            date_text, kind, name = (cell.strip() for cell in row)
            try:
                date = datetime.date.fromisoformat(date_text)
            except ValueError:
                problems.append(
                    _("row %(row)d: %(value)r is not a date like 2014-10-01") % {"row": number, "value": date_text}
                )
                continue
            if kind not in CalendarDayKind.values:
                problems.append(
                    _("row %(row)d: unknown kind %(value)r (holiday or workday)") % {"row": number, "value": kind}
                )
                continue
            if kind == CalendarDayKind.WORKDAY and date.weekday() < 5:
                # Monday to Friday are worked anyway: a make-up workday there is a mistyped date.
                problems.append(
                    _("row %(row)d: %(date)s is a weekday, not a make-up workday") % {"row": number, "date": date}
                )
                continue
            if len(name) > max_name:
                problems.append(
                    _("row %(row)d: the name is longer than %(n)d characters") % {"row": number, "n": max_name}
                )
                continue
            if date in seen:
                problems.append(
                    _("row %(row)d: %(date)s already appears in row %(first)d")
                    % {"row": number, "date": date, "first": seen[date]}
                )
                continue
            seen[date] = number
            days.append(CalendarDay(date=date, kind=kind, name=name))
    if problems:
        raise CalendarFileError(problems)
    return days


def calendar_import(*, actor: object | None, days: list[CalendarDay]) -> CalendarImport:
    """Upsert `days` by date, all or nothing, auditing every created or changed day."""
    result = CalendarImport()
    with transaction.atomic():
        existing = {day.date: day for day in CalendarDay.objects.filter(date__in=[day.date for day in days])}
        for day in days:
            current = existing.get(day.date)
            if current is None:
                day.save()
                audit.record(
                    actor=actor, action="calendar_day.create", instance=day, after=audit.snapshot(day), area_path=""
                )
                result.created += 1
                result.days.append(day)
            elif (current.kind, current.name) != (day.kind, day.name):
                before = audit.snapshot(current)
                current.kind, current.name = day.kind, day.name
                current.save(update_fields=["kind", "name"])
                audit.record(
                    actor=actor,
                    action="calendar_day.update",
                    instance=current,
                    before=before,
                    after=audit.snapshot(current),
                    area_path="",
                )
                result.updated += 1
                result.days.append(current)
            else:
                result.unchanged += 1
                result.days.append(current)
    return result
