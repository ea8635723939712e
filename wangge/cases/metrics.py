"""Case metrics (评价指标) exactly as domain.md defines them, each in one place.

Never called "indicators" in code: that name belongs to the campaign's indicator tree.

A set of cases is usually those reported in a period; each is judged as of `now` (the period's end, or
today). Definitions:
- reported (上报数): every case in the set; registered (立案数): those ever registered.
- due (应结案数): registered cases whose deadline has passed or that are closed.
- closure rate (结案率) = closed / (due − suspended); on-time closure rate (按期结案率) = closed on time /
  (due − suspended); rework rate (返工率) = due cases reworked at least once / due; postponement rate
  (延期率) = due cases postponed / due; overdue rate (超期率) = overdue open cases / due; satisfaction
  (满意率) = ratings of 4–5 stars / ratings; reporter accuracy = registered / reported.
- composite (综合得分, Chengdu Jinniu weights by default, configurable in CASE_METRIC_WEIGHTS):
  30·closure + 20·on-time + 20·(1 − rework) + 20·(1 − overdue) + 10·(1 − postponement).
A rate whose denominator is 0 is None (shown as "—"), never 0 or 100%.
"""

import datetime
from dataclasses import dataclass, field, fields

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wangge.cases.models import State

DEFAULT_WEIGHTS = {"closure": 30, "on_time": 20, "rework": 20, "overdue": 20, "postponement": 10}

# Group keys: the field each grouping reads.
GROUPS = {
    "grid": ("area__code", "area__name"),
    "person": ("assignee__username", "assignee__display_name"),
    "category": ("category__code", "category__name"),
    "month": ("month", "month"),
}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


@dataclass
class Metrics:
    """The counts and rates of one group of cases."""

    key: str = ""
    label: str = ""
    reported: int = 0
    registered: int = 0
    due: int = 0
    suspended: int = 0
    closed: int = 0
    closed_on_time: int = 0
    reworked: int = 0
    postponed: int = 0
    overdue_open: int = 0
    ratings: int = 0
    satisfied: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)

    def compute(self, weights: dict[str, float]) -> "Metrics":
        """Fill `rates` from the counts."""
        effective = self.due - self.suspended
        rates = {
            "closure": _ratio(self.closed, effective),
            "on_time": _ratio(self.closed_on_time, effective),
            "rework": _ratio(self.reworked, self.due),
            "postponement": _ratio(self.postponed, self.due),
            "overdue": _ratio(self.overdue_open, self.due),
            "satisfaction": _ratio(self.satisfied, self.ratings),
            "reporter_accuracy": _ratio(self.registered, self.reported),
        }
        parts = {
            "closure": rates["closure"],
            "on_time": rates["on_time"],
            "rework": None if rates["rework"] is None else 1 - rates["rework"],
            "overdue": None if rates["overdue"] is None else 1 - rates["overdue"],
            "postponement": None if rates["postponement"] is None else 1 - rates["postponement"],
        }
        rates["composite"] = (
            None if any(v is None for v in parts.values()) else sum(weights[k] * v for k, v in parts.items())
        )
        self.rates = rates
        return self


def _counts(now: datetime.datetime) -> dict:
    # One row per case (a case has at most one rating, one-to-one), so plain counts: COUNT(DISTINCT ...) made the
    # database sort every group. Judged by timestamps up to `now`, so a past period is read as it stood then
    # (suspension is read as it is today: its history is on the timeline, not in a column; ratings count whenever
    # they came).
    reported = Q(reported_at__lte=now)
    registered = Q(registered_at__lte=now)
    closed = Q(closed_at__lte=now)
    due = registered & (closed | Q(deadline_at__lt=now))
    still_open = due & ~closed & ~Q(state__in=[State.REJECTED, State.SUSPENDED])
    return {
        "reported": Count("id", filter=reported),
        "registered": Count("id", filter=registered),
        "due": Count("id", filter=due),
        "suspended": Count("id", filter=due & Q(state=State.SUSPENDED)),
        "closed": Count("id", filter=due & closed),
        "closed_on_time": Count(
            "id",
            filter=due & closed & (Q(deadline_at__isnull=True) | Q(closed_at__lte=F("deadline_at"))),
        ),
        "reworked": Count("id", filter=due & Q(rework_count__gt=0)),
        "postponed": Count("id", filter=due & Q(postponed=True)),
        "overdue_open": Count("id", filter=still_open & Q(deadline_at__lt=now)),
        # Ratings count whenever they came: a rating is the reporter's verdict on the case, not an event of a period.
        "ratings": Count("rating"),
        "satisfied": Count("rating", filter=Q(rating__stars__gte=4)),
    }


def total_of(rows: list[Metrics]) -> Metrics:
    """The metrics of all the cases of `rows`, from their counts: every grouping puts each case in exactly one row
    (cases without an assignee form a row of their own), so the total needs no second pass over the cases."""
    weights = {**DEFAULT_WEIGHTS, **getattr(settings, "CASE_METRIC_WEIGHTS", {})}
    counts = [f.name for f in fields(Metrics) if f.type in ("int", int)]
    return Metrics(**{name: sum(getattr(row, name) for row in rows) for name in counts}).compute(weights)


def case_metrics(cases: QuerySet, *, by: str | None = None, now: datetime.datetime | None = None) -> list[Metrics]:
    """The metrics of `cases` in total (by=None) or per grid, person, category or month; one query."""
    now = now or timezone.now()
    weights = {**DEFAULT_WEIGHTS, **getattr(settings, "CASE_METRIC_WEIGHTS", {})}
    counts = _counts(now)
    names = list(counts)
    if by is None:
        row = cases.order_by().aggregate(**counts)
        return [Metrics(**{n: row[n] or 0 for n in names}).compute(weights)]
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    key_field, label_field = GROUPS[by]
    if by == "month":
        cases = cases.annotate(month=TruncMonth("reported_at", tzinfo=timezone.get_current_timezone()))
    rows = cases.order_by().values(*dict.fromkeys((key_field, label_field))).annotate(**counts).order_by(key_field)
    result = []
    for row in rows:
        key = row[key_field]
        label = row[label_field]
        if by == "month" and key is not None:
            key = label = f"{key:%Y-%m}"
        result.append(
            Metrics(key=str(key or ""), label=str(label or ""), **{n: row[n] or 0 for n in names}).compute(weights)
        )
    return result
