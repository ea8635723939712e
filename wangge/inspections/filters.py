"""Filters of the inspection records list (and its Excel export, which applies the same ones)."""

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.core.validators import validate_calendar_date
from wangge.inspections import selectors
from wangge.inspections.models import Checklist, ChecklistStatus, Inspection, Target
from wangge.inspections.selectors import day_end
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind


def _grids(request: HttpRequest | None) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return Area.objects.for_user(request.user).filter(kind=AreaKind.GRID).order_by("code")


def _inspectors(request: HttpRequest | None) -> QuerySet[User]:
    """The people the user may name: inspectors of another community are "not found", not merely hidden."""
    if request is None:
        return User.objects.none()
    return territory_selectors.people_for(request.user).order_by("username")


def _checklist_codes(user: User) -> list[tuple[str, str]]:
    """Each standard the user may read that has been in use once, by code, under its newest version's name."""
    names: dict[str, str] = {}
    used = (
        selectors.checklists_for(user).exclude(status=ChecklistStatus.DRAFT).order_by("code", "-version")
        if user.is_authenticated
        else Checklist.objects.none()
    )
    for code, name in used.values_list("code", "name"):
        names.setdefault(code, name)
    return sorted(names.items())


class InspectionFilter(django_filters.FilterSet):
    """Grid, kind of place, result, standard, local dates and inspector."""

    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), field_name="area", queryset=_grids, to_field_name="code", empty_label=_("All grids")
    )
    target = django_filters.ChoiceFilter(label=_("Place kind"), choices=Target.choices, empty_label=_("All"))
    passed = django_filters.ChoiceFilter(
        label=_("Result"),
        choices=[("yes", _("passed")), ("no", _("did not pass"))],
        empty_label=_("All"),
        method="by_result",
    )
    checklist = django_filters.ChoiceFilter(
        label=_("Checklist"), field_name="checklist__code", choices=[], empty_label=_("All checklists")
    )
    # validate_calendar_date: a day like 0001-01-01 or 9999-12-31 is refused before any arithmetic overflows.
    since = django_filters.DateFilter(
        label=_("From"),
        method="from_day",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    until = django_filters.DateFilter(
        label=_("To"),
        method="to_day",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    inspector = django_filters.ModelChoiceFilter(
        label=_("Inspector"), queryset=_inspectors, to_field_name="username", empty_label=_("All inspectors")
    )

    class Meta:
        model = Inspection
        fields = ["grid", "target", "passed", "checklist", "since", "until", "inspector"]

    def __init__(self, *args, request: HttpRequest | None = None, **kwargs) -> None:
        super().__init__(*args, request=request, **kwargs)
        # The standards the user may read only: another community's own are not named here.
        user = getattr(request, "user", None)
        self.filters["checklist"].extra["choices"] = _checklist_codes(user) if user is not None else []

    def by_result(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(passed=value == "yes")

    def from_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """Inspected on or after the day, local time."""
        return queryset.filter(inspected_at__gte=day_end(value - datetime.timedelta(days=1)))

    def to_day(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        """Inspected on or before the day, local time."""
        return queryset.filter(inspected_at__lt=day_end(value))
