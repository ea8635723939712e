"""Reads of the people register, and the one place that decides what each viewer sees of a resident.

Every read starts from `for_user` (the register's narrowed scoping rule). What a page, an API response or a
card shows of a resident comes from `ResidentCard`, never from the model's fields directly, so that field
visibility is decided once:

- office roles (director, subdistrict administrator, grid leader, grid worker, auditor): name, sex, age,
  masked ID and phone, residence type, dwelling, household, plain care tags, and only the number of
  sensitive tags until a permitted user reveals them. The birth date only to those who may reveal personal
  data over the resident (REVEAL_PII): the masked ID hides exactly its eight birth-date digits, so the clear
  birth date next to it would give the number back;
- building leaders (the buildings they answer for): name, dwelling and masked phone; the name of a child
  under 14 masked as well.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from wangge.accounts.models import User
from wangge.accounts.roles import Action, Role, allows
from wangge.core.pii import mask_name, masked
from wangge.people import tags as care_tags
from wangge.people.models import REGISTER_ROLES, Household, ResidenceRegistration, Resident, ResidentStatus
from wangge.territory.models import Assignment, Dwelling
from wangge.territory.selectors import responsible_for

# The age bands of the resident list (whole years, both ends included; None: open-ended).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "0-13": (0, 13),
    "14-17": (14, 17),
    "18-59": (18, 59),
    "60-79": (60, 79),
    "80+": (80, None),
}


def residents_for(user: User, action: str = Action.VIEW) -> QuerySet[Resident]:
    """The residents `user` may take `action` on, with what a list row shows loaded in the same query."""
    return Resident.objects.for_user(user, action).select_related(
        "dwelling__building__compound", "dwelling__building__area", "household"
    )


def households_for(user: User, action: str = Action.VIEW) -> QuerySet[Household]:
    """The households `user` may take `action` on, with their dwelling and their living members counted."""
    return (
        Household.objects.for_user(user, action)
        .select_related("dwelling__building__compound", "dwelling__building__area", "community")
        .annotate(member_count=Count("members", filter=Q(members__status=ResidentStatus.LIVING)))
        .order_by("area_path", "number")
    )


def registrations_of(user: User, resident: Resident) -> list[ResidenceRegistration]:
    """A resident's residence registrations that `user` may see (building leaders see none), newest first."""
    return list(ResidenceRegistration.objects.for_user(user).filter(resident=resident))


def household_members(user: User, household: Household) -> list[Resident]:
    """The living members of a household that `user` may see, the head first."""
    members = residents_for(user).filter(household=household, status=ResidentStatus.LIVING)
    return sorted(members, key=lambda member: (member.relation != "head", member.pk))


def responsible_persons(dwelling: Dwelling) -> list[Assignment]:
    """Who answers for a dwelling: its own responsible persons, then its building's (公示 facts, not PII)."""
    return responsible_for(dwelling) + responsible_for(dwelling.building)


def dwellings_for(user: User, action: str = Action.VIEW) -> QuerySet[Dwelling]:
    """The dwellings a form may offer `user` (by building and room)."""
    return (
        Dwelling.objects.for_user(user, action).select_related("building").order_by("building__code", "unit", "number")
    )


def years_ago(today: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (29 February becomes 28 February in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_band_condition(band: str, today: datetime.date | None = None) -> Q:
    """The birth dates of residents whose age lies in `band` today."""
    today = today or timezone.localdate()
    youngest, oldest = AGE_BANDS[band]
    condition = Q(birth_date__lte=years_ago(today, youngest))
    if oldest is not None:
        condition &= Q(birth_date__gt=years_ago(today, oldest + 1))
    return condition


def sees_full_record(user: User, path: str) -> bool:
    """Whether `user` sees a resident at `path` as the office does, rather than as a building leader."""
    return user.is_superuser or bool(user.roles_at(path) & REGISTER_ROLES)


def may_reveal(user: User, path: str) -> bool:
    """Whether `user` may reveal personal data of a row at `path` (REVEAL_PII through a role over it)."""
    return user.is_superuser or any(allows(role, Action.REVEAL_PII) for role in user.roles_at(path))


def may_filter_sensitive(user: User) -> bool:
    """Whether `user` may filter by sensitive tags anywhere (the rows are then limited to where they may)."""
    return user.can(Action.REVEAL_PII)


def may_search_numbers(user: User) -> bool:
    """Whether `user` may look a resident up by a full ID or phone number: office roles only (the rows are then
    limited to their office areas), never a building leader, who could otherwise test guessed numbers."""
    return user.is_superuser or bool(user.area_prefixes(Action.VIEW, roles=REGISTER_ROLES))


def office_rows(queryset: QuerySet, user: User) -> QuerySet:
    """The rows of `queryset` the user sees through an office role (not merely as a building leader)."""
    if user.is_superuser:
        return queryset
    condition = Q(pk__in=[])
    for prefix in user.area_prefixes(Action.VIEW, roles=REGISTER_ROLES):
        condition |= Q(area_path__startswith=prefix)
    return queryset.filter(condition)


def sees_birth_dates(user: User) -> bool:
    """Whether `user` may see the birth date of every resident they see (REVEAL_PII wherever they see the
    register): only then may a list be sorted by birth date, which would otherwise leak it."""
    if user.is_superuser:
        return True
    seen = user.area_prefixes(Action.VIEW, roles=REGISTER_ROLES | {Role.BUILDING_LEADER}) or []
    revealing = user.area_prefixes(Action.REVEAL_PII) or []
    return bool(seen) and all(any(path.startswith(prefix) for prefix in revealing) for path in seen)


@dataclass(frozen=True)
class ResidentCard:
    """What one viewer sees of one resident: the one place where field visibility is decided.

    A field the viewer may not see is None (or empty), never the stored value. Personal data is masked.
    """

    resident: Resident
    full: bool
    revealable: bool
    name: str
    phone: str
    dwelling: str
    sex: str | None = None
    birth_date: datetime.date | None = None
    age: int | None = None
    id_type: str | None = None
    id_number: str | None = None
    residence: str | None = None
    residence_label: str | None = None
    household: Household | None = None
    relation_label: str | None = None
    tags: list[str] = field(default_factory=list)
    tag_labels: list[str] = field(default_factory=list)
    sensitive_count: int = 0

    @classmethod
    def of(cls, resident: Resident, viewer: User) -> "ResidentCard":
        """The card of `resident` as `viewer` (who can see the resident: callers start from residents_for)."""
        common = {
            "resident": resident,
            "phone": masked(resident, "phone"),
            "dwelling": str(resident.dwelling),
        }
        if not sees_full_record(viewer, resident.area_path):
            # A building leader knows the neighbours by name, not a child's (PIPL art. 28: children's data).
            name = mask_name(resident.name) if resident.is_child else resident.name
            return cls(full=False, revealable=False, name=name, **common)
        revealable = may_reveal(viewer, resident.area_path)
        return cls(
            full=True,
            revealable=revealable,
            name=resident.name,
            sex=resident.get_sex_display(),
            # The masked ID hides the birth date: only who may reveal the ID may see it (else: the age).
            birth_date=resident.birth_date if revealable else None,
            age=resident.age(),
            id_type=resident.get_id_type_display(),
            id_number=masked(resident, "id_number"),
            residence=resident.residence,
            residence_label=resident.get_residence_display(),
            household=resident.household,
            relation_label=resident.get_relation_display() if resident.relation else "",
            tags=care_tags.unpack(resident.tags),
            tag_labels=care_tags.labels(resident.tags),
            sensitive_count=len(care_tags.unpack(resident.sensitive_tags)),
            **common,
        )

    @property
    def sensitive_summary(self) -> str:
        """ "2 项敏感标签（已隐藏）": that there are sensitive tags, not which."""
        if not self.sensitive_count:
            return ""
        return ngettext("%(n)d sensitive tag (hidden)", "%(n)d sensitive tags (hidden)", self.sensitive_count) % {
            "n": self.sensitive_count
        }

    @property
    def status_label(self) -> str:
        """The resident's status, for the office only (a building leader sees living residents only)."""
        return self.resident.get_status_display() if self.full else ""


def cards(residents: list[Resident] | QuerySet[Resident], viewer: User) -> list[ResidentCard]:
    """The cards of several residents for one viewer (no query per row: the viewer's roles are read once)."""
    return [ResidentCard.of(resident, viewer) for resident in residents]


def building_leader_only(user: User) -> bool:
    """Whether the user reaches the register only as a building leader (the narrow view everywhere)."""
    return not user.is_superuser and not (user.roles() & REGISTER_ROLES) and Role.BUILDING_LEADER in user.roles()


def households_with_members(user: User, households: QuerySet[Household]) -> QuerySet[Household]:
    """Households with their living members the user may see, prefetched (one query for all)."""
    members = residents_for(user).filter(status=ResidentStatus.LIVING).order_by("id")
    return households.prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"))
