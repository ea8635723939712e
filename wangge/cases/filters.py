"""Filters of the case lists: state, category, place, person, overdue, period and free text."""

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.cases import selectors
from wangge.cases.models import OPEN_STATES, Case, State
from wangge.core.validators import validate_calendar_date


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local (Asia/Shanghai) day, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def created_between(
    cases: QuerySet[Case], since: datetime.date | None = None, until: datetime.date | None = None
) -> QuerySet[Case]:
    """The cases created on local days `since` to `until`, both included (either bound may be left out)."""
    if since is not None:
        cases = cases.filter(reported_at__gte=day_start(since))
    if until is not None:
        cases = cases.filter(reported_at__lt=day_start(until + datetime.timedelta(days=1)))
    return cases


class StateInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """A comma-separated list of states, each checked against the known states."""


class CodeInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """A comma-separated list of codes."""


class CaseFilter(django_filters.FilterSet):
    state = StateInFilter(label=_("State (comma-separated)"), choices=State.choices)
    category = CodeInFilter(label=_("Category codes (comma-separated)"), field_name="category__code")
    grid = django_filters.CharFilter(label=_("Grid code"), field_name="area__code")
    compound = django_filters.CharFilter(label=_("Compound code"), field_name="compound__code")
    assignee = django_filters.CharFilter(label=_("Assigned to (user name)"), field_name="assignee__username")
    overdue = django_filters.BooleanFilter(label=_("Overdue: open past the deadline"), method="by_overdue")
    created_after = django_filters.DateFilter(
        label=_("Created on or after (date)"), method="by_created_after", validators=[validate_calendar_date]
    )
    created_before = django_filters.DateFilter(
        label=_("Created on or before (date)"), method="by_created_before", validators=[validate_calendar_date]
    )
    search = django_filters.CharFilter(label=_("Search number, description, address"), method="by_text")

    class Meta:
        model = Case
        fields = [
            "state",
            "category",
            "grid",
            "compound",
            "assignee",
            "overdue",
            "created_after",
            "created_before",
            "search",
        ]

    def by_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        late = {"state__in": OPEN_STATES, "deadline_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)

    def by_created_after(self, queryset: QuerySet[Case], name: str, value: datetime.date) -> QuerySet[Case]:
        return created_between(queryset, since=value)

    def by_created_before(self, queryset: QuerySet[Case], name: str, value: datetime.date) -> QuerySet[Case]:
        return created_between(queryset, until=value)

    def by_text(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return selectors.search(queryset, value)
