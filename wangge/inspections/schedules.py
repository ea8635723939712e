"""When a place must be visited again (无死角): periods, due dates and the schedule that applies to a place.

A period is counted from the last visit: `every` days, or to the end of the calendar week or month that lies
`every` weeks or months after the visit's own. A due date that falls on a rest day runs on to the next working
day of the working calendar (holidays and make-up workdays are data, core.calendar), the way a legal time
limit ending on a holiday does (民事诉讼法 第八十五条).
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wangge.core.calendar import WorkingDays
from wangge.inspections.models import Schedule, Target, Unit


@dataclass(frozen=True)
class Period:
    """How often a place is visited: every `every` days, calendar weeks or calendar months."""

    every: int
    unit: str

    def end_after(self, last: datetime.date) -> datetime.date:
        """The last day of the period that follows a visit on `last`, before any rest-day rule."""
        if self.unit == Unit.DAY:
            return last + datetime.timedelta(days=self.every)
        if self.unit == Unit.WEEK:
            sunday = last + datetime.timedelta(days=6 - last.weekday())
            return sunday + datetime.timedelta(weeks=self.every)
        months = last.year * 12 + (last.month - 1) + self.every
        year, month = divmod(months, 12)
        return datetime.date(year, month + 1, calendar.monthrange(year, month + 1)[1])

    def due_after(self, last: datetime.date, days: WorkingDays) -> datetime.date:
        """The day by which the next visit is due: the period's end, or the next working day after it."""
        return days.on_or_after(self.end_after(last))

    def __str__(self) -> str:
        if self.unit == Unit.DAY:
            return _("every %(n)d days") % {"n": self.every} if self.every > 1 else _("every day")
        if self.unit == Unit.WEEK:
            return _("every %(n)d weeks") % {"n": self.every} if self.every > 1 else _("every week")
        return _("every %(n)d months") % {"n": self.every} if self.every > 1 else _("every month")


# Used where a community has set no schedule for a kind of place: each compound every week, each shop every
# two weeks, each office building every month.
DEFAULT_PERIODS = {
    Target.COMPOUND: Period(1, Unit.WEEK),
    Target.SHOP: Period(14, Unit.DAY),
    Target.OFFICE: Period(1, Unit.MONTH),
}


class ScheduleBook:
    """The periods that apply in one community: a schedule for the place's trade first, then one for its kind."""

    def __init__(self, schedules: Iterable[Schedule]) -> None:
        self.by_trade: dict[tuple[str, str], Period] = {}
        self.by_target: dict[str, Period] = {}
        for schedule in schedules:
            if not schedule.active:
                continue
            period = Period(schedule.every, schedule.unit)
            if schedule.trades:
                for trade in schedule.trades:
                    self.by_trade.setdefault((schedule.target, trade), period)
            else:
                self.by_target.setdefault(schedule.target, period)

    @classmethod
    def of(cls, community_path: str) -> "ScheduleBook":
        return cls(Schedule.objects.filter(area_path=community_path).order_by("id"))

    def period(self, target: str, trade: str | None = None) -> Period:
        if trade is not None and (target, trade) in self.by_trade:
            return self.by_trade[(target, trade)]
        return self.by_target.get(target, DEFAULT_PERIODS[target])
