"""Reads of inspections that pages, the API and other apps use. Reads for a user start from `for_user`."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.core.calendar import WorkingDays
from wangge.inspections.models import Checklist, ChecklistStatus, Inspection, Target
from wangge.inspections.schedules import Period, ScheduleBook
from wangge.territory.models import Area, Assignment, Building, BuildingKind, Compound, Shop, ShopStatus

Place = Compound | Shop | Building


def day_end(day: datetime.date) -> datetime.datetime:
    """The first instant after `day`, local time: visits "on or before a day" are those before it."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def checklists_in_use(target: str | None = None) -> QuerySet[Checklist]:
    """The versions inspectors may use now, for one kind of place or all."""
    checklists = Checklist.objects.filter(status=ChecklistStatus.PUBLISHED).order_by("target", "code")
    return checklists.filter(target=target) if target else checklists


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


def _places(user: User | None, community: Area, action: str) -> dict[str, QuerySet]:
    def scoped(model):
        rows = model.objects.all() if user is None else model.objects.for_user(user, action)
        return rows.filter(area_path__startswith=community.path).select_related("area")

    return {
        Target.COMPOUND: scoped(Compound),
        Target.SHOP: scoped(Shop).filter(status=ShopStatus.OPEN).select_related("trade"),
        Target.OFFICE: scoped(Building).filter(kind=BuildingKind.OFFICE),
    }


_PLACE_FIELD = {Target.COMPOUND: "compound", Target.SHOP: "shop", Target.OFFICE: "building"}


def visits_of(
    community: Area, *, as_of: datetime.date, user: User | None = None, action: str = Action.VIEW
) -> list[Visit]:
    """Every compound, open shop and office building of a community (those `user` may see; all for the system),
    with its last visit on or before `as_of` and its due date under the community's schedules.

    A fixed number of queries whatever the number of places.
    """
    book = ScheduleBook.of(community.path)
    end = day_end(as_of)
    days = WorkingDays(as_of - datetime.timedelta(days=400), as_of + datetime.timedelta(days=60))
    visits: list[Visit] = []
    for target, places in _places(user, community, action).items():
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


def place_history(user: User, place: Place) -> QuerySet[Inspection]:
    """A place's inspections, newest first, that `user` may see."""
    name = {"compound": "compound", "shop": "shop", "building": "building"}[place._meta.model_name]
    return (
        Inspection.objects.for_user(user)
        .filter(**{name: place})
        .select_related("checklist", "inspector")
        .order_by("-inspected_at", "-pk")
    )
