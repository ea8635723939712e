"""Filters shared by the list pages and the API lists."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    BuildingKind,
    Compound,
    Management,
    PartnerKind,
    PartnerUnit,
    PlaceKind,
    Shop,
    ShopStatus,
    Trade,
)


def _grids(request) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return Area.objects.for_user(request.user).filter(kind=AreaKind.GRID).order_by("code")


class SearchFilterSet(django_filters.FilterSet):
    """A free-text `q` over each model's search fields, plus the grid it lies in."""

    search_fields: tuple[str, ...] = ("code", "name")
    q = django_filters.CharFilter(label=_("Search"), method="search")
    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), field_name="area", queryset=_grids, to_field_name="code", empty_label=_("All grids")
    )

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(condition)


class CompoundFilter(SearchFilterSet):
    search_fields = ("code", "name", "address")
    management = django_filters.ChoiceFilter(label=_("Management"), choices=Management.choices, empty_label=_("All"))

    class Meta:
        model = Compound
        fields = ["q", "grid", "management"]


class BuildingFilter(SearchFilterSet):
    search_fields = ("code", "name", "address")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=BuildingKind.choices, empty_label=_("All"))
    compound = django_filters.CharFilter(label=_("Compound code"), field_name="compound__code")

    class Meta:
        model = Building
        fields = ["q", "grid", "kind", "compound"]


class ShopFilter(SearchFilterSet):
    search_fields = ("code", "name", "address", "licence_number")
    trade = django_filters.ModelChoiceFilter(
        label=_("Trade"), queryset=Trade.objects.all(), to_field_name="code", empty_label=_("All trades")
    )
    small_trade = django_filters.ChoiceFilter(
        label=_("Small trade (五小)"),
        choices=[("yes", _("Small trades only")), ("no", _("Other trades"))],
        empty_label=_("All"),
        method="by_small_trade",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ShopStatus.choices, empty_label=_("All"))

    class Meta:
        model = Shop
        fields = ["q", "grid", "trade", "small_trade", "status"]

    def by_small_trade(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(trade__small_trade=(value == "yes"))


class PartnerUnitFilter(SearchFilterSet):
    search_fields = ("code", "name", "address")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartnerKind.choices, empty_label=_("All"))

    class Meta:
        model = PartnerUnit
        fields = ["q", "kind"]


class AreaFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AreaKind.choices)
    parent = django_filters.CharFilter(label=_("Parent code"), field_name="parent__code")

    class Meta:
        model = Area
        fields = ["kind", "parent"]


class AssignmentFilter(django_filters.FilterSet):
    place_kind = django_filters.ChoiceFilter(label=_("Kind of place"), choices=PlaceKind.choices, method="by_kind")
    person = django_filters.CharFilter(label=_("Person (user name)"), field_name="person__username")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Assignment
        fields = ["place_kind", "person", "active"]

    def by_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"{value}__isnull": False})
