"""Reads of the floating population (流动人口): registrations due, permits expiring and expired, monthly figures.

Residence permits (居住证暂行条例): a person living here while registered elsewhere registers (居住登记) and
may hold a permit that expires. Every read on behalf of a user starts from `for_user`, narrowed to the office
roles: registrations are the office's work, and a building leader's or volunteer's view of residents is not
meant for it. The stage rules (`stages`) are shared with the sweep, which reminds the responsible persons.
"""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.core.pii import mask_phone
from wangge.people.models import REGISTER_ROLES, Residence, ResidenceRegistration, Resident, ResidentStatus
from wangge.territory.models import Area, AreaKind

# Who registers: everyone living here whose household registration (户籍) is elsewhere.
REGISTRABLE = (Residence.FLOATING, Residence.PERMANENT)


class Stage:
    """Where a resident stands with their residence registration; names are stable (dedupe keys, URLs)."""

    DUE = "due"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    ALL = (DUE, EXPIRING, EXPIRED)


# Scope


def office_prefixes(user: User, action: str = Action.VIEW) -> list[str] | None:
    """Path prefixes under which `user` takes `action` through an office role (None: everywhere)."""
    if user is None or not user.is_authenticated:
        return []
    return user.area_prefixes(action, roles=REGISTER_ROLES)


def may_see(user: User, action: str = Action.VIEW) -> bool:
    """Whether `user` may open the floating-population pages for `action` anywhere."""
    prefixes = office_prefixes(user, action)
    return prefixes is None or bool(prefixes)


def _narrow(queryset: QuerySet, user: User, action: str, field_name: str = "area_path") -> QuerySet:
    # for_user has already scoped the rows; this only drops what the user sees through a non-office role.
    prefixes = office_prefixes(user, action)
    if prefixes is None:
        return queryset
    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= Q(**{f"{field_name}__startswith": prefix})
    return queryset.filter(condition)


def residents_for(user: User, action: str = Action.VIEW) -> QuerySet[Resident]:
    """The residents `user` may see on these pages."""
    return _narrow(Resident.objects.for_user(user, action), user, action)


def registrations_for(user: User, action: str = Action.VIEW) -> QuerySet[ResidenceRegistration]:
    """The residence registrations `user` may see on these pages."""
    return _narrow(ResidenceRegistration.objects.for_user(user, action), user, action)


def grids_for(user: User, action: str = Action.VIEW) -> list[Area]:
    """The grids whose floating population `user` may see, in code order."""
    grids = Area.objects.for_user(user, action).filter(kind=AreaKind.GRID)
    return list(_narrow(grids, user, action, "path").order_by("path"))


def grid_for(user: User, code: str, action: str = Action.VIEW) -> Area | None:
    """One grid by code among `user`'s grids, or None (out of scope looks like unknown)."""
    return next((grid for grid in grids_for(user, action) if grid.code == code), None)


# The three lists


def stages(
    residents: QuerySet[Resident],
    registrations: QuerySet[ResidenceRegistration],
    *,
    today: datetime.date,
) -> dict[str, QuerySet[Resident]]:
    """Living residents due for registration, with a permit expiring soon, and with a permit expired.

    Each resident is annotated with their latest registration (`latest_registration_id`, `latest_registered_on`,
    `latest_expires_on`), taken from `registrations` so that it is scoped like the residents.
    """
    latest = registrations.filter(resident=OuterRef("pk")).order_by("-registered_on", "-id")
    living = residents.filter(status=ResidentStatus.LIVING, residence__in=REGISTRABLE).annotate(
        latest_registration_id=Subquery(latest.values("id")[:1]),
        latest_registered_on=Subquery(latest.values("registered_on")[:1]),
        latest_expires_on=Subquery(latest.values("expires_on")[:1]),
    )
    due_by = today - datetime.timedelta(days=settings.REGISTRATION_DUE_DAYS)
    notice_until = today + datetime.timedelta(days=settings.PERMIT_EXPIRY_NOTICE_DAYS)
    return {
        Stage.DUE: living.filter(latest_registration_id__isnull=True).filter(
            Q(moved_in_on__lte=due_by) | Q(moved_in_on__isnull=True)
        ),
        Stage.EXPIRING: living.filter(latest_expires_on__gte=today, latest_expires_on__lte=notice_until),
        Stage.EXPIRED: living.filter(latest_expires_on__lt=today),
    }


@dataclass
class FloatingRow:
    """One resident in a list, as shown: the name, the masked phone, the dwelling and the dates."""

    resident_id: int
    name: str
    phone: str
    dwelling: str
    moved_in_on: datetime.date | None
    registered_on: datetime.date | None
    expires_on: datetime.date | None


@dataclass
class GridFloating:
    """One grid's residents due for registration, with a permit expiring soon, and with a permit expired."""

    grid: Area
    due: list[FloatingRow] = field(default_factory=list)
    expiring: list[FloatingRow] = field(default_factory=list)
    expired: list[FloatingRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.due) + len(self.expiring) + len(self.expired)


def floating_lists(
    user: User, *, grid: Area | None = None, today: datetime.date | None = None, action: str = Action.VIEW
) -> list[GridFloating]:
    """Per grid in `user`'s scope (or only `grid`), the three lists; four queries whatever the numbers."""
    today = today or timezone.localdate()
    grids = [grid] if grid is not None else grids_for(user, action)
    report = {g.pk: GridFloating(grid=g) for g in grids}
    residents = (
        residents_for(user, action)
        .filter(dwelling__building__area__in=list(report))
        .select_related("dwelling__building")
        # Only the phone is shown (masked): the other encrypted values are not even decrypted.
        .defer("id_number", "sensitive_tags")
    )
    orders = {
        # Without a moved-in date nobody knows how long it has been: those come first, on every database.
        Stage.DUE: (F("moved_in_on").asc(nulls_first=True), "area_path", "id"),
        Stage.EXPIRING: ("latest_expires_on", "area_path", "id"),
        Stage.EXPIRED: ("latest_expires_on", "area_path", "id"),
    }
    for stage, queryset in stages(residents, registrations_for(user, action), today=today).items():
        for resident in queryset.order_by(*orders[stage]):
            row = FloatingRow(
                resident_id=resident.pk,
                name=resident.name,
                phone=mask_phone(resident.phone),
                dwelling=str(resident.dwelling),
                moved_in_on=resident.moved_in_on,
                registered_on=resident.latest_registered_on,
                expires_on=resident.latest_expires_on,
            )
            getattr(report[resident.dwelling.building.area_id], stage).append(row)
    return list(report.values())


# Monthly figures


@dataclass
class MonthFigures:
    """One month of one grid; the end-of-month figures are None for months that have not begun."""

    month: int
    floating: int | None = None  # floating residents living here at the month's end
    registered: int = 0  # registrations made in the month
    expiring: int = 0  # permits whose expiry date falls in the month
    expired: int | None = None  # residents living here whose latest permit had expired at the month's end


@dataclass
class GridMonthly:
    """The twelve months of one grid (grid None: the sum over the grids shown)."""

    grid: Area | None
    months: list[MonthFigures]


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def monthly_figures(
    user: User,
    *,
    year: int,
    grid: Area | None = None,
    today: datetime.date | None = None,
    action: str = Action.VIEW,
) -> list[GridMonthly]:
    """For each grid in scope (or only `grid`) and each month of `year`: living, registered, expiring, expired.

    The current month is counted as of today, as the lists show it. Three queries whatever the numbers.
    """
    today = today or timezone.localdate()
    grids = [grid] if grid is not None else grids_for(user, action)
    grid_ids = [g.pk for g in grids]
    residents = residents_for(user, action).filter(residence__in=REGISTRABLE, dwelling__building__area__in=grid_ids)
    people = {
        row["id"]: row
        for row in residents.values(
            "id", "residence", "moved_in_on", "moved_out_on", "created_at", "dwelling__building__area_id"
        )
    }
    registrations = defaultdict(list)
    for row in (
        registrations_for(user, action)
        .filter(resident__in=residents)
        .order_by("registered_on", "id")
        .values("resident_id", "registered_on", "expires_on")
    ):
        registrations[row["resident_id"]].append(row)
    for person in people.values():
        # Without a moved-in date, the record's creation is the best evidence of when they came.
        person["since"] = person["moved_in_on"] or timezone.localtime(person["created_at"]).date()

    figures = {g.pk: [MonthFigures(month=m) for m in range(1, 13)] for g in grids}
    for month in range(1, 13):
        first, last = datetime.date(year, month, 1), _month_end(year, month)
        on = min(last, today)
        begun = first <= today
        if begun:
            for months in figures.values():
                months[month - 1].floating = months[month - 1].expired = 0
        for person in people.values():
            entry = figures[person["dwelling__building__area_id"]][month - 1]
            own = registrations[person["id"]]
            entry.registered += sum(1 for r in own if first <= r["registered_on"] <= last)
            entry.expiring += sum(1 for r in own if r["expires_on"] and first <= r["expires_on"] <= last)
            if not begun:
                continue
            living = person["since"] <= on and (person["moved_out_on"] is None or person["moved_out_on"] > on)
            if not living:
                continue
            if person["residence"] == Residence.FLOATING:
                entry.floating += 1
            latest = next((r for r in reversed(own) if r["registered_on"] <= on), None)
            if latest is not None and latest["expires_on"] is not None and latest["expires_on"] < on:
                entry.expired += 1
    return [GridMonthly(grid=g, months=figures[g.pk]) for g in grids]


def monthly_total(rows: list[GridMonthly]) -> GridMonthly:
    """The sum of several grids' months."""
    months = []
    for index in range(12):
        entries = [row.months[index] for row in rows]
        begun = any(e.floating is not None for e in entries)
        months.append(
            MonthFigures(
                month=index + 1,
                floating=sum(e.floating or 0 for e in entries) if begun else None,
                registered=sum(e.registered for e in entries),
                expiring=sum(e.expiring for e in entries),
                expired=sum(e.expired or 0 for e in entries) if begun else None,
            )
        )
    return GridMonthly(grid=None, months=months)
