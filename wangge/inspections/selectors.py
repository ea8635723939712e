"""Reads of inspections that pages, the API and other apps use. Reads for a user start from `for_user`."""

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.cases.models import OPEN_STATES, Case, Source, State
from wangge.core.calendar import WorkingDays
from wangge.inspections.models import (
    Checklist,
    ChecklistItem,
    ChecklistStatus,
    Finding,
    Inspection,
    Result,
    Schedule,
    Target,
)
from wangge.inspections.schedules import Period, ScheduleBook
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    BuildingKind,
    Compound,
    Shop,
    ShopStatus,
    Trade,
    community_path_of,
)

Place = Compound | Shop | Building


def day_end(day: datetime.date) -> datetime.datetime:
    """The first instant after `day`, local time: visits "on or before a day" are those before it."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def checklists_in_use(community: Area | None, target: str | None = None) -> QuerySet[Checklist]:
    """The versions inspectors of `community` may use now (for one kind of place, or all): the community's own
    version of a standard where it has one in use, else the shared standard."""
    published = Checklist.objects.filter(status=ChecklistStatus.PUBLISHED)
    own = published.filter(community=community) if community is not None else published.none()
    checklists = (own | published.filter(community__isnull=True).exclude(code__in=own.values("code"))).order_by(
        "target", "code"
    )
    return checklists.filter(target=target) if target else checklists


def checklists_for(user: User) -> QuerySet[Checklist]:
    """Every version `user` may read: the shared standards and those of their communities (a grid worker's too:
    the standards are the community's, above the grid)."""
    return Checklist.objects.filter(
        Q(community__isnull=True) | Q(community__in=territory_selectors.communities_for(user))
    )


def community_of(place: Place) -> Area:
    """The community a place lies in."""
    return place.area.parent


@dataclass
class Visit:
    """One place's visits as of a day: when it was last inspected, by when the next visit is due."""

    place: Place
    target: str
    grid: Area
    period: Period
    last: datetime.date | None
    due: datetime.date | None
    as_of: datetime.date
    responsible: list[User] = field(default_factory=list)
    last_score: Any = None

    def __str__(self) -> str:
        return str(self.place)

    @property
    def code(self) -> str:
        return self.place.code

    @property
    def never(self) -> bool:
        return self.last is None

    @property
    def overdue(self) -> bool:
        """Never visited, or its due day has passed."""
        return self.due is None or self.as_of > self.due

    @property
    def days_since(self) -> int | None:
        return None if self.last is None else (self.as_of - self.last).days

    @property
    def days_overdue(self) -> int | None:
        return None if self.due is None or not self.overdue else (self.as_of - self.due).days


def _places(user: User | None, community: Area, action: str, responsible: User | None) -> dict[str, QuerySet]:
    def scoped(model):
        rows = model.objects.all() if user is None else model.objects.for_user(user, action)
        if responsible is not None:
            rows = rows.filter(assignments__active=True, assignments__person=responsible).distinct()
        return rows.filter(area_path__startswith=community.path).select_related("area")

    return {
        Target.COMPOUND: scoped(Compound),
        Target.SHOP: scoped(Shop).filter(status=ShopStatus.OPEN).select_related("trade"),
        Target.OFFICE: scoped(Building).filter(kind=BuildingKind.OFFICE),
    }


_PLACE_FIELD = {Target.COMPOUND: "compound", Target.SHOP: "shop", Target.OFFICE: "building"}


def target_of(place: Place) -> str:
    """The kind of checklist a place is inspected against; only compounds, shops and office buildings are."""
    if isinstance(place, Compound):
        return Target.COMPOUND
    if isinstance(place, Shop):
        return Target.SHOP
    if isinstance(place, Building) and place.kind == BuildingKind.OFFICE:
        return Target.OFFICE
    raise ValidationError(_("Only compounds, street shops and office buildings are inspected."))


def place_lookup(place: Place, prefix: str = "") -> dict[str, Place]:
    """The filter that finds rows about `place` (an inspection's compound, shop or building), under `prefix`."""
    return {f"{prefix}{_PLACE_FIELD[target_of(place)]}": place}


def visits_of(
    community: Area,
    *,
    as_of: datetime.date,
    user: User | None = None,
    action: str = Action.VIEW,
    responsible: User | None = None,
) -> list[Visit]:
    """Every compound, open shop and office building of a community (those `user` may see; all for the system;
    only those `responsible` answers for, when given), with its last visit on or before `as_of` and its due
    date under the community's schedules.

    A fixed number of queries whatever the number of places.
    """
    book = ScheduleBook.of(community.path)
    end = day_end(as_of)
    days = WorkingDays(as_of - datetime.timedelta(days=400), as_of + datetime.timedelta(days=60))
    visits: list[Visit] = []
    for target, places in _places(user, community, action, responsible).items():
        name = _PLACE_FIELD[target]
        places = list(places.order_by("area_path", "code"))
        if not places:
            continue
        ids = [place.pk for place in places]
        latest = {
            row[name]: row["last"]
            for row in Inspection.objects.filter(**{f"{name}__in": ids}, inspected_at__lt=end)
            .values(name)
            .annotate(last=Max("inspected_at"))
        }
        responsible: dict[int, list[User]] = {}
        for assignment in Assignment.objects.filter(active=True, **{f"{name}__in": ids}).select_related("person"):
            responsible.setdefault(getattr(assignment, f"{name}_id"), []).append(assignment.person)
        for place in places:
            period = book.period(target, place.trade.code if target == Target.SHOP else None)
            last_at = latest.get(place.pk)
            last = timezone.localdate(last_at) if last_at else None
            visits.append(
                Visit(
                    place=place,
                    target=target,
                    grid=place.area,
                    period=period,
                    last=last,
                    due=period.due_after(last, days) if last else None,
                    as_of=as_of,
                    responsible=responsible.get(place.pk, []),
                )
            )
    return visits


def visit_of(place: Place, *, as_of: datetime.date) -> Visit:
    """One place's last visit on or before `as_of` and the day its next one is due (the place's own pages)."""
    target = target_of(place)
    last_at = (
        Inspection.objects.filter(**place_lookup(place), inspected_at__lt=day_end(as_of))
        .aggregate(last=Max("inspected_at"))
        .get("last")
    )
    book = ScheduleBook.of(community_path_of(place.area_path) or "")
    period = book.period(target, place.trade.code if isinstance(place, Shop) else None)
    last = timezone.localdate(last_at) if last_at else None
    due = None
    if last is not None:
        end = period.end_after(last)
        due = period.due_after(last, WorkingDays(end, end + datetime.timedelta(days=14)))
    return Visit(place=place, target=target, grid=place.area, period=period, last=last, due=due, as_of=as_of)


def open_rectifications(place: Place, states: Collection[str] = OPEN_STATES) -> dict[Case, set[str]]:
    """The place's open rectification cases (or those in `states`), each with the item codes it was opened for:
    an inspection that answers all of them re-inspects the case (services.inspection_record)."""
    rows = Finding.objects.filter(
        case__source=Source.INSPECTION, case__state__in=states, **place_lookup(place, "inspection__")
    ).values_list("case_id", "item_code")
    codes: dict[int, set[str]] = {}
    for case_id, code in rows:
        codes.setdefault(case_id, set()).add(code)
    cases = Case.objects.select_related("assignee").in_bulk(list(codes))
    return {cases[case_id]: codes[case_id] for case_id in sorted(codes)}


def place_history(user: User, place: Place) -> QuerySet[Inspection]:
    """A place's inspections, newest first, that `user` may see."""
    name = {"compound": "compound", "shop": "shop", "building": "building"}[place._meta.model_name]
    return (
        Inspection.objects.for_user(user)
        .filter(**{name: place})
        .select_related("checklist", "inspector")
        .order_by("-inspected_at", "-pk")
    )


# Reports (report_views): the month by grid, overdue visits, relapses, rankings, the visit map, the red/black list

# A visit due within this many days shows amber on the visit map.
DUE_SOON_DAYS = 2


def inspections_in(user: User | None, community: Area) -> QuerySet[Inspection]:
    """The community's inspections that `user` may see (every one of them for the system, user None)."""
    rows = Inspection.objects.all() if user is None else Inspection.objects.for_user(user)
    return rows.filter(area_path__startswith=community.path)


def rectification_cases(user: User | None, community: Area) -> QuerySet[Case]:
    """The community's rectification cases (opened by an inspection's findings) that `user` may see."""
    rows = Case.objects.all() if user is None else Case.objects.for_user(user)
    return rows.filter(source=Source.INSPECTION, area_path__startswith=community.path).filter(
        Exists(Finding.objects.filter(case=OuterRef("pk")))
    )


def report_grids(user: User, community: Area) -> QuerySet[Area]:
    """The community's grids `user` may see, or that hold a place they may see (a building leader's compound)."""
    holds = Q(pk__in=Area.objects.for_user(user).values("pk"))
    for model in (Compound, Shop, Building):
        holds |= Q(Exists(model.objects.for_user(user).filter(area=OuterRef("pk"))))
    return Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path).filter(holds).order_by("code")


def month_of(day: datetime.date) -> datetime.date:
    """The month a day lies in, as its first day."""
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    """The first day of the month after `month`."""
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def first_of_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the earliest of the `months` months that end with the month of `day`."""
    first = month_of(day)
    for _step in range(months - 1):
        first = month_of(first - datetime.timedelta(days=1))
    return first


def day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of `day`, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _local_day(value: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def inspection_months(user: User, community: Area) -> list[datetime.date]:
    """The months (as their first days) in which the community has inspections `user` may see, newest first."""
    months = inspections_in(user, community).datetimes("inspected_at", "month", order="DESC")
    return sorted({_local_day(month) for month in months}, reverse=True)


def latest_inspection_day(
    user: User | None, community: Area, *, target: str | None = None, until: datetime.date | None = None
) -> datetime.date | None:
    """The day of the community's latest inspection in scope (of one kind of place, on or before `until`), if any."""
    rows = inspections_in(user, community)
    if target:
        rows = rows.filter(target=target)
    if until:
        rows = rows.filter(inspected_at__lt=day_end(until))
    latest = rows.aggregate(latest=Max("inspected_at"))["latest"]
    return timezone.localdate(latest) if latest else None


@dataclass
class GridMonth:
    """One grid's month of patrols: what was inspected and failed, what was fixed, what relapsed or went unvisited.

    `grid` is None for the community's total.
    """

    grid: Area | None
    places: int = 0  # compounds, open shops and office buildings
    inspected: int = 0  # of them, visited in the month
    inspections: int = 0
    failed: int = 0  # inspections that did not pass
    findings: int = 0  # items failed
    opened: int = 0  # rectification cases opened in the month
    fixed: int = 0  # rectification cases closed in the month
    still_open: int = 0  # rectification cases open at the month's end
    relapses: int = 0  # failed items that undid a verified rectification
    never: int = 0  # places never visited up to the month's end
    overdue: int = 0  # places visited before, whose next visit was overdue at the month's end

    def add(self, other: "GridMonth") -> None:
        for name in MONTH_FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# The figures of a grid's month, in the order the report shows them; each opens its list.
MONTH_FIGURES = (
    "places",
    "inspected",
    "inspections",
    "failed",
    "findings",
    "opened",
    "fixed",
    "still_open",
    "relapses",
    "never",
    "overdue",
)


@dataclass
class MonthReport:
    """The month report of a community: a row per grid in scope, their total, and the day visits are judged on."""

    month: datetime.date
    as_of: datetime.date
    rows: list[GridMonth]
    total: GridMonth


def month_as_of(month: datetime.date, today: datetime.date) -> datetime.date:
    """The day a month's visits are judged on: its last day, or today while it runs."""
    return min(next_month(month) - datetime.timedelta(days=1), today)


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    return day_start(month), day_start(next_month(month))


def month_report(user: User, community: Area, *, month: datetime.date, today: datetime.date) -> MonthReport:
    """Per grid in scope, the month's figures (MONTH_FIGURES). A fixed number of queries, whatever the territory."""
    start, end = _month_bounds(month)
    as_of = month_as_of(month, today)
    rows = {grid.pk: GridMonth(grid=grid) for grid in report_grids(user, community)}
    for visit in visits_of(community, as_of=as_of, user=user):
        row = rows.get(visit.grid.pk)
        if row is None:
            continue
        row.places += 1
        row.inspected += bool(visit.last and visit.last >= month)
        row.never += visit.never
        row.overdue += visit.overdue and not visit.never
    inspections = inspections_in(user, community).filter(inspected_at__gte=start, inspected_at__lt=end)
    counted = (
        inspections.values("area_id").annotate(n=Count("id"), failed=Count("id", filter=Q(passed=False))).order_by()
    )
    for counts in counted:
        if counts["area_id"] in rows:
            rows[counts["area_id"]].inspections = counts["n"]
            rows[counts["area_id"]].failed = counts["failed"]
    findings = (
        Finding.objects.filter(inspection__in=inspections.values("pk"), result=Result.FAIL)
        .values("inspection__area_id")
        .annotate(n=Count("id"), relapses=Count("id", filter=Q(relapse_of__isnull=False)))
        .order_by()
    )
    for counts in findings:
        if counts["inspection__area_id"] in rows:
            rows[counts["inspection__area_id"]].findings = counts["n"]
            rows[counts["inspection__area_id"]].relapses = counts["relapses"]
    cases = (
        rectification_cases(user, community)
        .values("area_id")
        .annotate(
            opened=Count("id", filter=Q(reported_at__gte=start, reported_at__lt=end)),
            fixed=Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end)),
            still_open=Count("id", filter=_open_at(end)),
        )
        .order_by()
    )
    for counts in cases:
        if counts["area_id"] in rows:
            for name in ("opened", "fixed", "still_open"):
                setattr(rows[counts["area_id"]], name, counts[name])
    total = GridMonth(grid=None)
    for row in rows.values():
        total.add(row)
    return MonthReport(month=month, as_of=as_of, rows=list(rows.values()), total=total)


def _open_at(moment: datetime.datetime) -> Q:
    """Cases reported before `moment` and not closed by then (rejected ones never were open)."""
    return Q(reported_at__lt=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment)) & ~Q(state=State.REJECTED)


def month_detail(
    user: User, community: Area, *, month: datetime.date, today: datetime.date, figure: str, grid: Area | None
) -> list[Any]:
    """The rows behind one figure of the month report (one grid, or every grid in scope): inspections,
    findings, cases or visits. A fixed number of queries."""
    start, end = _month_bounds(month)
    if figure in ("places", "inspected", "never", "overdue"):
        visits = visits_of(community, as_of=month_as_of(month, today), user=user)
        if grid is not None:
            visits = [visit for visit in visits if visit.grid.pk == grid.pk]
        if figure == "inspected":
            visits = [visit for visit in visits if visit.last and visit.last >= month]
        elif figure == "never":
            visits = [visit for visit in visits if visit.never]
        elif figure == "overdue":
            visits = sorted((v for v in visits if v.overdue and not v.never), key=lambda v: (v.due, v.code))
        return visits
    inspections = inspections_in(user, community).filter(inspected_at__gte=start, inspected_at__lt=end)
    if grid is not None:
        inspections = inspections.filter(area=grid)
    if figure in ("inspections", "failed"):
        rows = inspections.filter(passed=False) if figure == "failed" else inspections
        return list(
            rows.select_related("checklist", "area", "compound", "shop", "building").order_by("-inspected_at", "-pk")
        )
    if figure in ("findings", "relapses"):
        findings = Finding.objects.filter(inspection__in=inspections.values("pk"), result=Result.FAIL)
        if figure == "relapses":
            findings = findings.filter(relapse_of__isnull=False)
        return list(
            findings.select_related(
                "item",
                "case",
                "relapse_of",
                "inspection__area",
                "inspection__compound",
                "inspection__shop",
                "inspection__building",
            ).order_by("-inspection__inspected_at", "inspection_id", "item__order", "pk")
        )
    if figure in ("opened", "fixed", "still_open"):
        cases = rectification_cases(user, community)
        if grid is not None:
            cases = cases.filter(area=grid)
        condition = {
            "opened": Q(reported_at__gte=start, reported_at__lt=end),
            "fixed": Q(closed_at__gte=start, closed_at__lt=end),
            "still_open": _open_at(end),
        }[figure]
        return list(
            cases.filter(condition)
            .select_related("category", "area", "compound", "shop", "assignee")
            .order_by("reported_at", "pk")
        )
    raise ValueError(f"not a figure of the month report: {figure!r}")


# Overdue visits, per grid and per responsible person


@dataclass
class PersonVisits:
    """The overdue visits of the places one person answers for (person None: places nobody answers for)."""

    person: User | None
    visits: list[Visit]


@dataclass
class GridVisits:
    """One grid's overdue visits, per responsible person."""

    grid: Area
    people: list[PersonVisits]
    places: int  # overdue places of the grid (a place two people answer for counts once)


NOBODY = 0  # the person filter's value for places nobody answers for


def overdue_key(visit: Visit) -> tuple:
    """Never visited first, then the most overdue first."""
    return (not visit.never, visit.due or visit.as_of, visit.grid.code, visit.code)


def overdue_report(
    visits: list[Visit], *, grid: Area | None = None, person: int | None = None, target: str | None = None
) -> list[GridVisits]:
    """The overdue visits among `visits`, per grid and per responsible person, each list never visited first
    and then most overdue first; places nobody answers for come last in their grid."""
    chosen = [
        visit
        for visit in visits
        if visit.overdue
        and (grid is None or visit.grid.pk == grid.pk)
        and (target is None or visit.target == target)
        and (
            person is None
            or (person == NOBODY and not visit.responsible)
            or any(someone.pk == person for someone in visit.responsible)
        )
    ]
    chosen.sort(key=overdue_key)
    grids: dict[int, tuple[Area, dict[int, PersonVisits]]] = {}
    for visit in chosen:
        _grid, people = grids.setdefault(visit.grid.pk, (visit.grid, {}))
        for someone in visit.responsible or [None]:
            key = someone.pk if someone is not None else NOBODY
            if person is not None and key != person:
                continue
            people.setdefault(key, PersonVisits(person=someone, visits=[])).visits.append(visit)
    report = []
    for grid_area, people in sorted(grids.values(), key=lambda entry: entry[0].code):
        ordered = sorted(
            people.values(),
            key=lambda entry: (entry.person is None, str(entry.person or ""), entry.person and entry.person.pk),
        )
        places = len({(v.target, v.place.pk) for entry in ordered for v in entry.visits})
        report.append(GridVisits(grid=grid_area, people=ordered, places=places))
    return report


def responsible_people(visits: list[Visit]) -> list[User]:
    """Everyone answering for one of `visits`' places, by name."""
    people = {someone.pk: someone for visit in visits for someone in visit.responsible}
    return sorted(people.values(), key=lambda someone: (str(someone), someone.pk))


def visit_status(visit: Visit) -> str:
    """The visit map's colour: "never" visited, "overdue", "due_soon" (within DUE_SOON_DAYS) or "ok"."""
    if visit.never:
        return "never"
    if visit.overdue:
        return "overdue"
    if (visit.due - visit.as_of).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "ok"


# Relapses (易反复): the repeat offenders and the monthly trend


@dataclass
class PlaceRelapses:
    """One place's relapses in a period: how many, which items, the last one, and its failed inspections."""

    place: Place
    target: str
    grid: Area
    relapses: int = 0
    items: list[tuple[str, str]] = field(default_factory=list)  # (item code, standard), by code
    last: datetime.datetime | None = None
    failed: int = 0


@dataclass
class GridRelapses:
    """One grid's repeat offenders, worst first."""

    grid: Area
    places: list[PlaceRelapses]

    @property
    def relapses(self) -> int:
        return sum(place.relapses for place in self.places)


_PLACE_MODELS = {Target.COMPOUND: Compound, Target.SHOP: Shop, Target.OFFICE: Building}
_INSPECTION_PLACE = {"compound_id": Target.COMPOUND, "shop_id": Target.SHOP, "building_id": Target.OFFICE}


def _place_key(row: dict[str, Any], prefix: str = "") -> tuple[str, int]:
    for name, target in _INSPECTION_PLACE.items():
        if row.get(prefix + name):
            return target, row[prefix + name]
    raise ValueError("an inspection without a place")


def _load_places(keys: set[tuple[str, int]]) -> dict[tuple[str, int], Place]:
    """The places named by (target, pk), with their grids: a query per kind of place."""
    places: dict[tuple[str, int], Place] = {}
    for target, model in _PLACE_MODELS.items():
        ids = [pk for kind, pk in keys if kind == target]
        for place in model.objects.filter(pk__in=ids).select_related("area"):
            places[(target, place.pk)] = place
    return places


def _period(since: datetime.date, until: datetime.date) -> Q:
    return Q(inspected_at__gte=day_start(since), inspected_at__lt=day_end(until))


def relapse_report(user: User, community: Area, *, since: datetime.date, until: datetime.date) -> list[GridRelapses]:
    """Per grid in scope, the places with relapses between `since` and `until` (inclusive), worst first: most
    relapses, then most failed inspections, then the latest relapse. Grids with the most relapses come first."""
    inspections = inspections_in(user, community).filter(_period(since, until))
    found = (
        Finding.objects.filter(inspection__in=inspections.values("pk"), relapse_of__isnull=False)
        .values("inspection__compound_id", "inspection__shop_id", "inspection__building_id", "item_code")
        .annotate(n=Count("id"), last=Max("inspection__inspected_at"))
        .order_by()
    )
    by_place: dict[tuple[str, int], dict[str, Any]] = {}
    for row in found:
        entry = by_place.setdefault(_place_key(row, "inspection__"), {"n": 0, "codes": set(), "last": None})
        entry["n"] += row["n"]
        entry["codes"].add(row["item_code"])
        entry["last"] = max(filter(None, [entry["last"], row["last"]]))
    if not by_place:
        return []
    failed = {
        _place_key(row): row["n"]
        for row in inspections.filter(passed=False)
        .values("compound_id", "shop_id", "building_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    codes = {code for entry in by_place.values() for code in entry["codes"]}
    # The texts of the versions these inspections used (not another community's wording of the same code).
    texts = dict(
        ChecklistItem.objects.filter(code__in=codes, checklist__in=inspections.values("checklist"))
        .order_by("checklist__version", "pk")
        .values_list("code", "text")
    )
    places = _load_places(set(by_place))
    grids: dict[int, GridRelapses] = {}
    for key, entry in by_place.items():
        place = places.get(key)
        if place is None:
            continue
        grid = grids.setdefault(place.area_id, GridRelapses(grid=place.area, places=[]))
        grid.places.append(
            PlaceRelapses(
                place=place,
                target=key[0],
                grid=place.area,
                relapses=entry["n"],
                items=[(code, texts.get(code, "")) for code in sorted(entry["codes"])],
                last=entry["last"],
                failed=failed.get(key, 0),
            )
        )
    for grid in grids.values():
        grid.places.sort(key=lambda p: (-p.relapses, -p.failed, -p.last.timestamp(), p.place.code))
    return sorted(grids.values(), key=lambda grid: (-grid.relapses, grid.grid.code))


@dataclass
class MonthTrend:
    """One month of the relapse trend."""

    month: datetime.date
    inspections: int = 0
    findings: int = 0  # items failed
    relapses: int = 0


def relapse_trend(user: User, community: Area, *, until: datetime.date, months: int = 12) -> list[MonthTrend]:
    """Inspections, failed items and relapses per month, for the `months` months that end with the latest month
    holding an inspection on or before `until` (empty when there is none)."""
    latest = latest_inspection_day(user, community, until=until)
    if latest is None:
        return []
    first = first_of_months(latest, months)
    trend = {first: MonthTrend(month=first)}
    month = first
    while month < month_of(latest):
        month = next_month(month)
        trend[month] = MonthTrend(month=month)
    inspections = inspections_in(user, community).filter(
        inspected_at__gte=day_start(first), inspected_at__lt=day_start(next_month(month_of(latest)))
    )
    for row in inspections.annotate(m=TruncMonth("inspected_at")).values("m").annotate(n=Count("id")).order_by():
        trend[_local_day(row["m"])].inspections = row["n"]
    findings = (
        Finding.objects.filter(inspection__in=inspections.values("pk"), result=Result.FAIL)
        .annotate(m=TruncMonth("inspection__inspected_at"))
        .values("m")
        .annotate(n=Count("id"), relapses=Count("id", filter=Q(relapse_of__isnull=False)))
        .order_by()
    )
    for row in findings:
        trend[_local_day(row["m"])].findings = row["n"]
        trend[_local_day(row["m"])].relapses = row["relapses"]
    return list(trend.values())


# Rankings and the red/black list (红黑榜)


@dataclass
class PlaceScore:
    """One place's inspections in a period: its average score, how many, the items failed, the latest."""

    place: Place
    target: str
    grid: Area
    average: Decimal
    inspections: int
    failed: int  # inspections that did not pass
    failed_items: int
    last: datetime.datetime


def place_scores(
    user: User | None,
    community: Area,
    *,
    target: str,
    since: datetime.date,
    until: datetime.date,
    open_only: bool = False,
) -> list[PlaceScore]:
    """The places of a kind inspected between `since` and `until` (inclusive), best average score first (then
    the most inspected); the average is rounded half up to one decimal. `open_only` leaves out closed shops."""
    name = _PLACE_FIELD[target]
    inspections = inspections_in(user, community).filter(_period(since, until), target=target)
    if open_only and target == Target.SHOP:
        inspections = inspections.filter(shop__status=ShopStatus.OPEN)
    rows = list(
        inspections.values(name)
        .annotate(
            total=Sum("score", output_field=DecimalField(max_digits=12, decimal_places=1)),
            n=Count("id"),
            failed=Count("id", filter=Q(passed=False)),
            failed_items=Sum("failed_count"),
            last=Max("inspected_at"),
        )
        .order_by()
    )
    places = _load_places({(target, row[name]) for row in rows})
    scores = [
        PlaceScore(
            place=places[(target, row[name])],
            target=target,
            grid=places[(target, row[name])].area,
            average=(Decimal(row["total"]) / row["n"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            inspections=row["n"],
            failed=row["failed"],
            failed_items=row["failed_items"] or 0,
            last=row["last"],
        )
        for row in rows
        if (target, row[name]) in places
    ]
    scores.sort(key=lambda s: (-s.average, -s.inspections, s.place.code))
    return scores


def worst_first(scores: list[PlaceScore]) -> list[PlaceScore]:
    """The same places, lowest average first (then the most failed items)."""
    return sorted(scores, key=lambda s: (s.average, -s.failed_items, s.place.code))


@dataclass
class RedBlackList:
    """红黑榜 of one kind of place: the best (红榜) and the worst (黑榜), never the same place on both."""

    target: str
    red: list[PlaceScore]
    black: list[PlaceScore]


def red_black_list(
    community: Area, *, target: str, since: datetime.date, until: datetime.date, size: int
) -> RedBlackList:
    """At most `size` places on each list. The red list: the best of the places that passed every inspection and
    have no open rectification case (a problem still unfixed), and at most the better half of all places ranked;
    the black list: the worst of those that failed an inspection."""
    ranked = place_scores(None, community, target=target, since=since, until=until, open_only=True)
    field = _PLACE_FIELD[target]
    unfixed = set(
        Finding.objects.filter(
            case__source=Source.INSPECTION,
            case__state__in=OPEN_STATES,
            **{f"inspection__{field}__in": [score.place.pk for score in ranked]},
        ).values_list(f"inspection__{field}", flat=True)
    )
    passed = [score for score in ranked if not score.failed and score.place.pk not in unfixed]
    red = passed[: min(size, (len(ranked) + 1) // 2)]
    black = [score for score in worst_first(ranked) if score.failed][:size]
    return RedBlackList(target=target, red=red, black=black)


# The settings page: schedules and the periods they make


def schedules_of(community: Area) -> QuerySet[Schedule]:
    """The community's schedules, active or not, by kind of place."""
    return Schedule.objects.filter(community=community).order_by("target", "-active", "id")


@dataclass
class EffectivePeriod:
    """The period that applies to a kind of place (or to the shops of one trade), and whether it is the default."""

    target: str
    period: Period
    default: bool
    trade: str = ""  # a trade's name, for a period that applies to that trade's shops only


def trade_names() -> dict[str, str]:
    """Every trade's name by its code."""
    return dict(Trade.objects.values_list("code", "name"))


def effective_periods(schedules: list[Schedule], names: dict[str, str]) -> list[EffectivePeriod]:
    """Per kind of place, the period its places are visited by (DEFAULT_PERIODS where the community set none),
    then the periods of the trades that have their own (`names`: trade names by code)."""
    book = ScheduleBook(schedules)
    rows = [
        EffectivePeriod(target=target, period=book.period(target), default=target not in book.by_target)
        for target in Target.values
    ]
    for (target, trade), period in sorted(book.by_trade.items()):
        rows.append(EffectivePeriod(target=target, period=period, default=False, trade=names.get(trade, trade)))
    return rows


def most_photos(target: str | None = None) -> int:
    """The most photos one inspection can carry: one per item of the longest published checklist (for a target, or
    of any), so an upload can be refused by its size before it is read."""
    checklists = Checklist.objects.filter(status=ChecklistStatus.PUBLISHED)
    if target is not None:
        checklists = checklists.filter(target=target)
    return max([1, *checklists.annotate(n=Count("items")).values_list("n", flat=True)])
