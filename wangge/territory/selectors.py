"""Reads of the territory that other apps and pages use.

Reads on behalf of a user start from `for_user`. Two kinds do not, on purpose: what a notice board publishes
(grid leaders, responsible persons, the leadership group: public facts, 公示) and the point-in-grid lookup.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.territory.geo import GridLocator
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    BuildingKind,
    Compound,
    Dwelling,
    LeadershipGroup,
    LeadershipMember,
    PartnerUnit,
    Shop,
    community_path_of,
)

# How long a process trusts its grid tree before asking the database whether a boundary changed. A change saved
# in this process drops the trees at once (see `forget_grid_locators`); one made elsewhere (`wangge import grids`,
# another app server) is seen within this many seconds. Asking on every call cost more than the look-up itself.
LOCATOR_RECHECK_SECONDS = 30.0


@dataclass
class _Locator:
    stamp: tuple
    locator: GridLocator
    checked: float  # time.monotonic() of the last look at the stamp


_locators: dict[str, _Locator] = {}


def locate_grid(lng: float, lat: float, *, within: Area | None = None) -> Area | None:
    """The grid containing a WGS-84 point (optionally only among one area's grids), or None.

    The STRtree is built once per process and rebuilt when a grid changes: at once when this process saved it,
    within LOCATOR_RECHECK_SECONDS when another did.
    """
    grids = Area.objects.filter(kind=AreaKind.GRID).exclude(boundary=None)
    if within is not None:
        grids = grids.filter(path__startswith=within.path)
    key = within.path if within is not None else ""
    cached = _locators.get(key)
    now = time.monotonic()
    if cached is None or now - cached.checked > LOCATOR_RECHECK_SECONDS:
        stamp = tuple(grids.aggregate(n=Count("id"), latest=Max("updated_at")).values())
        if cached is None or cached.stamp != stamp:
            cached = _Locator(stamp, GridLocator(grids.values_list("id", "boundary")), now)
            _locators[key] = cached
        cached.checked = now
    grid_id = cached.locator.locate(lng, lat)
    if grid_id is None:
        return None
    grid = Area.objects.filter(pk=grid_id).first()
    if grid is None:
        # Deleted by another process since this one built its tree: build it again and look once more.
        forget_grid_locators()
        return locate_grid(lng, lat, within=within)
    return grid


def forget_grid_locators(**_signal: Any) -> None:
    """Drop this process's grid trees, now and again when the transaction that changed an area commits (until
    then another thread could build a tree from the rows as they were)."""
    _locators.clear()
    if _signal:
        transaction.on_commit(_locators.clear)


def people_for(user: User) -> QuerySet[User]:
    """The people a user may name (as a responsible person, an assignee): those working in or above their areas.

    Anyone else is "not found", so a lookup by user name reveals nobody from another community.
    """
    people = User.objects.filter(is_active=True, memberships__active=True).exclude(memberships__role="resident")
    prefixes = user.area_prefixes(Action.VIEW)
    if prefixes is None:
        return people.distinct()
    if not prefixes:
        return people.none()
    above = {prefix[: i + 1] for prefix in prefixes for i, ch in enumerate(prefix) if ch == "/"}
    condition = Q(memberships__scope_path__in=above)
    for prefix in prefixes:
        condition |= Q(memberships__scope_path__startswith=prefix)
    return people.filter(condition).distinct()


def communities_for(user: User, action: str = Action.VIEW) -> QuerySet[Area]:
    """The communities a user may take `action` in: those in scope, and those holding their grids or compounds."""
    prefixes = user.area_prefixes(action)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    if prefixes is None:
        return communities
    holding = {path for p in prefixes if (path := community_path_of(p))}
    condition = Q(path__in=holding)
    for prefix in prefixes:
        condition |= Q(path__startswith=prefix)
    return communities.filter(condition) if prefixes else communities.none()


def chosen_community(user: User, code: str | None, action: str = Action.VIEW) -> Area | None:
    """The community a page is about: the one `code` names among the user's (for `action`), or their first when
    no code is given; None when there is none (a code of another community is not among theirs: pages say 404)."""
    communities = communities_for(user, action).order_by("path")
    return communities.filter(code=code).first() if code else communities.first()


@dataclass
class Overview:
    """The figures a community office's report opens with, within the user's scope."""

    community: Area
    compounds: int
    unmanaged_compounds: int
    residential_buildings: int
    office_buildings: int
    dwellings: int
    shops: int
    small_trade_shops: int
    partner_units: int
    grids: list[dict] = field(default_factory=list)


def overview(user: User, community: Area) -> Overview:
    """Counts of places in `community` that `user` may see, in total and per grid."""
    under = {"area_path__startswith": community.path}
    compounds = Compound.objects.for_user(user).filter(**under)
    buildings = Building.objects.for_user(user).filter(**under)
    shops = Shop.objects.for_user(user).filter(**under)
    compound_counts = compounds.aggregate(total=Count("id"), unmanaged=Count("id", filter=Q(management="none")))
    building_counts = buildings.aggregate(
        residential=Count("id", filter=Q(kind=BuildingKind.RESIDENTIAL)),
        office=Count("id", filter=Q(kind=BuildingKind.OFFICE)),
    )
    shop_counts = shops.filter(status="open").aggregate(
        total=Count("id"), small=Count("id", filter=Q(trade__small_trade=True))
    )
    grids = (
        Area.objects.for_user(user)
        .filter(kind=AreaKind.GRID, path__startswith=community.path)
        .annotate(
            compound_count=Count("compounds", distinct=True),
            shop_count=Count("shops", distinct=True),
        )
        .order_by("code")
    )
    return Overview(
        community=community,
        compounds=compound_counts["total"],
        unmanaged_compounds=compound_counts["unmanaged"],
        residential_buildings=building_counts["residential"],
        office_buildings=building_counts["office"],
        dwellings=Dwelling.objects.for_user(user).filter(**under).count(),
        shops=shop_counts["total"],
        small_trade_shops=shop_counts["small"],
        partner_units=PartnerUnit.objects.for_user(user).filter(**under).count(),
        grids=list(grids.values("id", "code", "name", "compound_count", "shop_count")),
    )


def _assigned(place_field: str):
    return Exists(Assignment.objects.filter(active=True, **{place_field: OuterRef("pk")}))


@dataclass
class GridCoverage:
    """One grid's places without a responsible person, and how many places it has."""

    grid: Area
    totals: dict[str, int] = field(default_factory=dict)
    unassigned: dict[str, list] = field(default_factory=dict)
    # Other apps' gaps (无死角), by CoverageGap name: e.g. places overdue for a visit.
    gaps: dict[str, list] = field(default_factory=dict)

    @property
    def gap_count(self) -> int:
        return sum(len(rows) for rows in self.gaps.values())

    @property
    def gap_sections(self) -> list[tuple["CoverageGap", list]]:
        """The registered gaps this grid has rows for, in registration order (for templates)."""
        return [(gap, self.gaps[gap.name]) for gap in _gaps if self.gaps.get(gap.name)]

    @property
    def unassigned_count(self) -> int:
        return sum(len(rows) for rows in self.unassigned.values())

    @property
    def place_count(self) -> int:
        return sum(self.totals.values())


COVERAGE_KINDS = ("compound", "building", "dwelling", "shop")


@dataclass(frozen=True)
class CoverageKind:
    """Something else that needs a responsible person, added by another app (households, by the people app).

    `count(user, action, grid_ids)` returns, per grid id, how many there are and which have nobody.
    """

    kind: str
    label: Any
    count: Callable[[User, str, set[int]], tuple[dict[int, int], dict[int, list]]]


_extra_kinds: list[CoverageKind] = []


def register_coverage_kind(kind: CoverageKind) -> None:
    """Add a kind to the coverage report (from an AppConfig.ready); territory does not import the others."""
    if all(known.kind != kind.kind for known in _extra_kinds):
        _extra_kinds.append(kind)


def coverage_kinds() -> list[CoverageKind]:
    return list(_extra_kinds)


@dataclass(frozen=True)
class CoverageGap:
    """Another way a place can fall through (无死角), added by another app: e.g. not visited within its period.

    `find(user, action, community, grid_ids)` returns, per grid id, the rows to list (each with a `code` and
    a `str()`); `template` renders one grid's rows (it gets `rows` and `gap`).
    """

    name: str
    label: Any
    find: Callable[[User, str, Area, set[int]], dict[int, list]]
    template: str


_gaps: list[CoverageGap] = []


def register_coverage_gap(gap: CoverageGap) -> None:
    """Add a section to every grid of the coverage report (from an AppConfig.ready)."""
    if all(known.name != gap.name for known in _gaps):
        _gaps.append(gap)


def coverage_gaps() -> list[CoverageGap]:
    return list(_gaps)


def coverage(user: User, *, community: Area | None = None, action: str = Action.VIEW) -> list[GridCoverage]:
    """Per grid in scope: compounds, buildings, dwellings and open shops that nobody answers for.

    A dwelling is covered by an assignment of its own or of its building (a building leader or worker who
    answers for the whole building answers for each household in it). Compounds, buildings and shops need
    their own. `action` is what the user needs (EXPORT for the ledger). A fixed number of queries, whatever the
    size of the territory.
    """
    grids = Area.objects.for_user(user, action).filter(kind=AreaKind.GRID)
    if community is not None:
        grids = grids.filter(path__startswith=community.path)
    report = {grid.pk: GridCoverage(grid=grid) for grid in grids.order_by("code")}
    querysets = {
        "compound": (Compound.objects.for_user(user, action).annotate(covered=_assigned("compound")), "area_id"),
        "building": (Building.objects.for_user(user, action).annotate(covered=_assigned("building")), "area_id"),
        "dwelling": (
            Dwelling.objects.for_user(user, action)
            .select_related("building")
            .annotate(
                covered=_assigned("dwelling")
                | Exists(Assignment.objects.filter(active=True, building=OuterRef("building_id")))
            ),
            "building__area_id",
        ),
        "shop": (
            Shop.objects.for_user(user, action).filter(status="open").annotate(covered=_assigned("shop")),
            "area_id",
        ),
    }
    for kind, (queryset, grid_field) in querysets.items():
        for entry in report.values():
            entry.totals[kind] = 0
            entry.unassigned[kind] = []
        for row in queryset.values(grid_field).annotate(n=Count("id")):
            if row[grid_field] in report:
                report[row[grid_field]].totals[kind] = row["n"]
        for place in queryset.filter(covered=False).order_by("area_path", "pk"):
            grid_id = getattr(place, "area_id", None) or place.building.area_id
            if grid_id in report:
                report[grid_id].unassigned[kind].append(place)
    for extra in _extra_kinds:
        totals, unassigned = extra.count(user, action, set(report))
        for grid_id, entry in report.items():
            entry.totals[extra.kind] = totals.get(grid_id, 0)
            entry.unassigned[extra.kind] = unassigned.get(grid_id, [])
    communities = Area.objects.filter(pk__in={entry.grid.parent_id for entry in report.values()}).order_by("path")
    for gap in _gaps:
        for community in communities:
            found = gap.find(
                user, action, community, {pk for pk, e in report.items() if e.grid.parent_id == community.pk}
            )
            for grid_id, rows in found.items():
                report[grid_id].gaps[gap.name] = rows
    return list(report.values())


def buildings_of(compound: Compound) -> list[Building]:
    """A compound's buildings with their dwelling counts."""
    return list(compound.buildings.annotate(dwelling_count=Count("dwellings")).order_by("code"))


def dwellings_of(building: Building) -> list[Dwelling]:
    """A building's dwellings, each marked `covered` when it or its building has a responsible person."""
    building_covered = Assignment.objects.filter(active=True, building=building).exists()
    dwellings = list(building.dwellings.annotate(covered=_assigned("dwelling")).order_by("unit", "number"))
    if building_covered:
        for dwelling in dwellings:
            dwelling.covered = True
    return dwellings


def responsible_for(place: Compound | Building | Dwelling | Shop) -> list[Assignment]:
    """The active assignments of a place, with their persons."""
    kind = place._meta.model_name
    return list(Assignment.objects.filter(active=True, **{kind: place}).select_related("person"))


# Who may be named in public (notice boards, public pages): people still at work, by their display name; a
# login name is never published, and someone who has left is not shown as answering for anything.
PUBLISHED_PERSON = Q(person__is_active=True) & ~Q(person__display_name="")


def published_responsible_for(compound: Compound) -> list[Assignment]:
    """The compound's active assignments that a notice board names (see PUBLISHED_PERSON)."""
    return list(Assignment.objects.filter(PUBLISHED_PERSON, active=True, compound=compound).select_related("person"))


def responsible_for_compounds(compounds: list[Compound]) -> dict[int, list[Assignment]]:
    """The active assignments of many compounds at once, by compound id (one query, for a public list)."""
    found: dict[int, list[Assignment]] = {compound.pk: [] for compound in compounds}
    assignments = Assignment.objects.filter(PUBLISHED_PERSON, active=True, compound__in=compounds).select_related(
        "person"
    )
    for assignment in assignments.order_by("id"):
        found[assignment.compound_id].append(assignment)
    return found


def grid_leaders(grid: Area) -> list[User]:
    """Who holds the grid-leader role for this grid."""
    return _grid_staff(grid, "grid_leader")


def grid_workers(grid: Area) -> list[User]:
    """Who holds the grid-worker role for this grid."""
    return _grid_staff(grid, "grid_worker")


def _grid_staff(grid: Area, role: str) -> list[User]:
    # Published on notice boards: by display name only (see PUBLISHED_PERSON).
    return list(
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__role=role, memberships__scope_path=grid.path
        )
        .exclude(display_name="")
        .distinct()
        .order_by("id")
    )


def responsible_for_buildings(compound: Compound) -> list[tuple[Building, list[Assignment]]]:
    """Each building of the compound with its active assignments (a building leader, most often) that a notice
    board names (see PUBLISHED_PERSON), in one query; buildings nobody answers for are left out."""
    assignments = (
        Assignment.objects.filter(PUBLISHED_PERSON, active=True, building__compound=compound)
        .select_related("person", "building")
        .order_by("building__code", "id")
    )
    found: dict[int, tuple[Building, list[Assignment]]] = {}
    for assignment in assignments:
        found.setdefault(assignment.building_id, (assignment.building, []))[1].append(assignment)
    return list(found.values())


def published_group(community: Area) -> tuple[LeadershipGroup | None, list[LeadershipMember]]:
    """The community's newest published leadership group and its members, for notice boards."""
    group = LeadershipGroup.objects.filter(area=community, published=True).order_by("-created_at").first()
    if group is None:
        return None, []
    return group, list(group.members.select_related("person").order_by("order", "id"))


@dataclass(frozen=True)
class NoticeSection:
    """A section another app adds to a compound's notice board and public page (公示): a heading and rows of
    (who or what, the facts), e.g. a campaign's responsible persons for the compound's grid."""

    title: str
    rows: list[tuple[str, str]]
    note: str = ""


# fn(compound) -> the sections it publishes about that compound (none: an empty list).
NoticeSource = Callable[[Compound], list[NoticeSection]]
_notice_sources: list[NoticeSource] = []


def register_notice_section(source: NoticeSource) -> None:
    """Add sections to every compound's notice board (from an AppConfig.ready); territory does not import the
    others. Registering the same function twice adds it once."""
    if source not in _notice_sources:
        _notice_sources.append(source)


def notice_sections(compound: Compound) -> list[NoticeSection]:
    """The registered sections about a compound, in registration order."""
    return [section for source in _notice_sources for section in source(compound)]
