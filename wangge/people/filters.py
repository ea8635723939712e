"""Filters of the people register, shared by the list pages, their Excel exports and the API lists."""

import re

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Action
from wangge.core.pii import blind_index, blind_token
from wangge.core.validators import normalize_id_number, validate_phone
from wangge.people import selectors
from wangge.people import tags as care_tags
from wangge.people.models import REGISTER_ROLES, Household, Residence, Resident, ResidentStatus
from wangge.territory.models import Area, AreaKind, Compound

TAG_NAMESPACE = "people.resident.tag"
# What a search box holds when it is a document number rather than a name: 15 to 18 letters and digits.
_DOCUMENT = re.compile(r"^[0-9A-Z]{15,18}$", re.ASCII)

STATUS_CHOICES = [("living", _("living here")), ("archived", _("moved out or deceased")), ("all", _("all"))]
AGE_CHOICES = [
    ("0-13", _("0–13 (children)")),
    ("14-17", _("14–17")),
    ("18-59", _("18–59")),
    ("60-79", _("60–79")),
    ("80+", _("80 and over")),
]


def _user(request):
    return getattr(request, "user", None)


def _grids(request) -> QuerySet[Area]:
    if _user(request) is None:
        return Area.objects.none()
    return Area.objects.for_user(request.user).filter(kind=AreaKind.GRID).order_by("code")


def _compounds(request) -> QuerySet[Compound]:
    if _user(request) is None:
        return Compound.objects.none()
    return Compound.objects.for_user(request.user).order_by("code")


def with_default_status(data: QueryDict | None) -> QueryDict:
    """The list shows residents living here unless asked otherwise."""
    data = data.copy() if data is not None else QueryDict(mutable=True)
    if not data.get("status"):
        data["status"] = "living"
    return data


def exact_lookup(value: str) -> Q | None:
    """A full document number or phone number typed into the search box, as a blind-index lookup; else None."""
    number = normalize_id_number(value)
    if _DOCUMENT.match(number):
        return Q(id_number_index=blind_index(number))
    try:
        phone = validate_phone(value)
    except ValidationError:
        return None
    return Q(phone_index=blind_index(phone))


class PlaceFilterSet(django_filters.FilterSet):
    """Grid and compound, for anything that lives in a dwelling."""

    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), queryset=_grids, to_field_name="code", empty_label=_("All grids"), method="in_grid"
    )
    compound = django_filters.ModelChoiceFilter(
        label=_("Compound"),
        queryset=_compounds,
        to_field_name="code",
        empty_label=_("All compounds"),
        field_name="dwelling__building__compound",
    )

    def in_grid(self, queryset: QuerySet, name: str, value: Area) -> QuerySet:
        return queryset.filter(area_path__startswith=value.path)


class ResidentFilter(PlaceFilterSet):
    """Name search (or an exact ID or phone number), place, residence type, care tag, age band and status."""

    q = django_filters.CharFilter(
        label=_("Name, ID or phone number"), method="search", help_text=_("A full ID or phone number finds one person.")
    )
    residence = django_filters.ChoiceFilter(label=_("Residence type"), choices=Residence.choices, empty_label=_("All"))
    tag = django_filters.ChoiceFilter(label=_("Care tag"), method="by_tag", empty_label=_("All"))
    age = django_filters.ChoiceFilter(label=_("Age"), choices=AGE_CHOICES, method="by_age", empty_label=_("All"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="by_status", empty_label=None
    )

    class Meta:
        model = Resident
        fields = ["q", "grid", "compound", "residence", "tag", "age", "status"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        if data is not None:
            data = with_default_status(data)
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = _user(request)
        # Sensitive tags are offered only to those who may reveal personal data somewhere (PIPL).
        sensitive = user is not None and user.is_authenticated and selectors.may_filter_sensitive(user)
        self.filters["tag"].extra["choices"] = care_tags.choices(sensitive=None if sensitive else False)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        exact = exact_lookup(value)
        if exact is None:
            return queryset.filter(name__icontains=value)
        user = _user(self.request)
        if user is not None and "id_number_index" in dict(exact.children) and not user.is_superuser:
            # A building leader does not see ID numbers, so may not test one against their neighbours either.
            office = Q(pk__in=[])
            for prefix in user.area_prefixes(Action.VIEW, roles=REGISTER_ROLES):
                office |= Q(area_path__startswith=prefix)
            queryset = queryset.filter(office)
        return queryset.filter(exact)

    def by_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        tag = care_tags.BY_CODE[value]
        if not tag.sensitive:
            return queryset.filter(tags__contains=f",{value},")
        # Only where the user may reveal personal data: elsewhere the filter would reveal the tag itself.
        queryset = queryset.for_user(self.request.user, Action.REVEAL_PII)
        return queryset.filter(sensitive_tags_index__contains=blind_token(value, TAG_NAMESPACE))

    def by_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.age_band_condition(value))

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "living":
            return queryset.filter(status=ResidentStatus.LIVING)
        if value == "archived":
            return queryset.exclude(status=ResidentStatus.LIVING)
        return queryset


class HouseholdFilter(PlaceFilterSet):
    """Household number or dwelling, and place."""

    q = django_filters.CharFilter(label=_("Household number"), method="search")

    class Meta:
        model = Household
        fields = ["q", "grid", "compound"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(note__icontains=value)) if value else queryset
