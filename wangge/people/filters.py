"""Filters of the people register, shared by the list pages, their Excel exports and the API lists."""

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Role
from wangge.people import search, selectors
from wangge.people import tags as care_tags
from wangge.people.models import Household, Residence, Resident, ResidentStatus
from wangge.territory.models import Area, AreaKind, Compound

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
    """A full document or phone number as a blind-index lookup; else None (see `search.parse_number`)."""
    parsed = search.parse_number(value)
    return None if parsed is None else Q(**{f"{parsed[0]}_index": parsed[1]})


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
    """Name search, place, residence type, care tag, age band and status: the API's filters.

    A full ID or phone number is never taken from `q` (it would sit in URLs and server logs): it comes as
    `criteria` (`search.Criteria`), posted. A sensitive tag needs a `reason`; the caller writes the audit
    event (`search.record_tag_filter`). Whoever sees the register only as a building leader is offered the
    name search and the compound only, and sees living residents only; any other filter they send is refused
    (`strict`, the API) or ignored (the pages). Rows someone sees only as a building leader are never matched
    by residence type, care tag, age band or status.
    """

    NARROW = ("q", "compound")
    strict = True
    sensitive_in_tag = True
    number_message = _(
        "A full ID or phone number must not go into a URL: use POST /api/v1/residents/search/ with the number "
        "in the JSON body."
    )

    q = django_filters.CharFilter(
        label=_("Name"), method="search", help_text=_("A name or part of it; never an ID or phone number.")
    )
    residence = django_filters.ChoiceFilter(label=_("Residence type"), choices=Residence.choices, empty_label=_("All"))
    tag = django_filters.ChoiceFilter(label=_("Care tag"), method="by_tag", empty_label=_("All"))
    reason = django_filters.CharFilter(
        label=_("Reason"), method="no_filter", help_text=_("Required with a sensitive care tag; logged.")
    )
    age = django_filters.ChoiceFilter(label=_("Age"), choices=AGE_CHOICES, method="by_age", empty_label=_("All"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="by_status", empty_label=None
    )

    class Meta:
        model = Resident
        fields = ["q", "grid", "compound", "residence", "tag", "reason", "age", "status"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, criteria=None) -> None:
        raw = data
        if data is not None:
            data = with_default_status(data)
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = _user(request)
        self.user = user if user is not None and user.is_authenticated else None
        self.criteria = criteria
        self.narrow = self.user is not None and selectors.building_leader_only(self.user)
        self.refused: list[str] = []
        if self.narrow:
            for name in [name for name in self.filters if name not in self.NARROW]:
                value = raw.get(name) if raw is not None else None
                if value and not (name == "status" and value == "living"):
                    self.refused.append(name)
                del self.filters[name]
        if not self.sensitive_in_tag:
            self.filters.pop("reason", None)
        if "tag" in self.filters:
            # Sensitive tags are offered only to those who may reveal personal data somewhere (PIPL).
            sensitive = self.sensitive_in_tag and self.user is not None and selectors.may_filter_sensitive(self.user)
            self.filters["tag"].extra["choices"] = care_tags.choices(sensitive=None if sensitive else False)

    def get_form_class(self):
        filterset = self
        base = super().get_form_class()

        class Form(base):
            def clean(self):
                cleaned = super().clean()
                filterset.check(self, cleaned)
                return cleaned

        return Form

    def check(self, form, cleaned: dict) -> None:
        """Refuse what the caller may not ask: another filter than a building leader's, a number in `q`, a
        sensitive tag without a reason."""
        if self.refused and self.strict:
            form.add_error(
                None,
                _("As a building leader you may search by name and compound only (not by %(names)s).")
                % {"names": ", ".join(self.refused)},
            )
        if search.looks_like_number(cleaned.get("q") or ""):
            form.add_error("q", self.number_message)
        if self.sensitive_tag_of(cleaned) and len(search.clean_reason(cleaned.get("reason"))) < 2:
            form.add_error(
                "reason" if "reason" in self.filters else "tag", _("Say why you filter by a sensitive care tag.")
            )

    @staticmethod
    def sensitive_tag_of(cleaned: dict) -> str:
        code = cleaned.get("tag") or ""
        return code if code in care_tags.BY_CODE and care_tags.BY_CODE[code].sensitive else ""

    @property
    def sensitive_tag(self) -> str:
        """The sensitive tag this (valid) filter applied, for the caller's audit event; else ""."""
        return self.sensitive_tag_of(self.form.cleaned_data) if self.is_valid() else ""

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        user = self.user
        if self.narrow:
            queryset = queryset.filter(status=ResidentStatus.LIVING)
        elif user is not None and not user.is_superuser and Role.BUILDING_LEADER in user.roles():
            cleaned = self.form.cleaned_data
            if any(cleaned.get(name) for name in ("residence", "tag", "age")) or cleaned.get("status") != "living":
                queryset = selectors.office_rows(queryset, user)
        if self.criteria is not None and user is not None:
            queryset = self.criteria.apply(queryset, user)
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset

    def no_filter(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def by_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        tag = care_tags.BY_CODE[value]
        if not tag.sensitive:
            return queryset.filter(tags__contains=f",{value},")
        return search.Criteria(tag=value).apply(queryset, self.request.user)

    def by_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.age_band_condition(value))

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "living":
            return queryset.filter(status=ResidentStatus.LIVING)
        if value == "archived":
            return queryset.exclude(status=ResidentStatus.LIVING)
        return queryset


class ResidentPageFilter(ResidentFilter):
    """The resident list page's filters (sent by GET): plain tags only, refused filters simply not offered.

    A number and a sensitive tag are posted through `forms.ResidentSearchForm` instead."""

    strict = False
    sensitive_in_tag = False
    number_message = _("Look up a full ID or phone number with the number search below (it is not put into the URL).")


class HouseholdFilter(PlaceFilterSet):
    """Household number or dwelling, and place."""

    q = django_filters.CharFilter(label=_("Household number"), method="search")

    class Meta:
        model = Household
        fields = ["q", "grid", "compound"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(note__icontains=value)) if value else queryset
