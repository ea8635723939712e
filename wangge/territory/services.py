"""Writes of the territory: areas and grids, places, responsibility, leadership groups, role grants.

Every function is atomic, validates before writing, re-checks the actor's scope after the write (inside the
transaction) and records an audit event. `actor=None` is the system (demo loader, imports run by operators).
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from wangge.accounts import services as account_services
from wangge.accounts.models import Membership, User
from wangge.accounts.roles import SCOPE_KINDS, Action, Role
from wangge.core import audit
from wangge.core.coords import validate_wgs84
from wangge.core.scoping import check_actor_may, ensure_in_scope
from wangge.core.validators import validate_phone
from wangge.territory import geo, selectors, signals
from wangge.territory.models import (
    CODE_LENGTH,
    PARENT_KIND,
    Area,
    AreaKind,
    Assignment,
    Building,
    Compound,
    Dwelling,
    LeadershipGroup,
    LeadershipMember,
    PartnerUnit,
    Shop,
)

# How far (in degrees, about 50 m) a place's point may lie outside its grid's drawn boundary.
POINT_TOLERANCE_DEG = 0.0005

Place = Compound | Building | Dwelling | Shop


def _save(instance: models.Model, *, actor: User | None, action: str, verb: str, before: dict | None) -> Any:
    """Validate, save, re-check scope and audit one row: the common tail of every place service."""
    instance.full_clean()
    instance.save()
    ensure_in_scope(instance, actor=actor, action=action)
    audit.record(
        actor=actor,
        action=f"{instance._meta.model_name}.{verb}",
        instance=instance,
        before=before,
        after=audit.snapshot(instance),
    )
    return instance


def _apply(instance: models.Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if not hasattr(instance, name) and not hasattr(instance, f"{name}_id"):
            raise ValidationError(_("Unknown field: %(name)s") % {"name": name})
        setattr(instance, name, value)


def _grid_from_point(instance: Any) -> None:
    """A place given a point but no grid is put in the grid that contains the point."""
    if getattr(instance, "area_id", None) or instance.longitude is None or instance.latitude is None:
        return
    grid = selectors.locate_grid(instance.longitude, instance.latitude)
    if grid is not None:
        instance.area = grid


def _require_grid(area: Area | None, field: str = "area") -> None:
    if area is None or area.kind != AreaKind.GRID:
        raise ValidationError({field: _("Choose a grid.")})


def _check_point(instance: Any, grid: Area) -> None:
    """A place's point, when given, is a real coordinate and lies in (or right next to) its grid."""
    lng, lat = instance.longitude, instance.latitude
    if lng is None and lat is None:
        return
    if lng is None or lat is None:
        raise ValidationError(_("Give both longitude and latitude, or neither."))
    try:
        validate_wgs84(lng, lat)
    except ValueError:
        raise ValidationError(_("Longitude must be within ±180 and latitude within ±90.")) from None
    if grid.boundary and not shape(grid.boundary).buffer(POINT_TOLERANCE_DEG).contains(Point(lng, lat)):
        raise ValidationError(_("This location lies outside grid %(grid)s.") % {"grid": grid.name})


def _normalise_phone(instance: Any, field: str = "contact_phone") -> None:
    value = getattr(instance, field)
    if value:
        try:
            setattr(instance, field, validate_phone(value))
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None


def _move_subtree(old_prefix: str, new_prefix: str, *, actor: User | None) -> None:
    """After a compound moves: everything filed under its old path follows it; moved roles are audited."""
    if old_prefix == new_prefix:
        return
    tail = Substr("area_path", len(old_prefix) + 1)
    for model in (Building, Dwelling, Assignment):
        model.objects.filter(area_path__startswith=old_prefix).update(area_path=Concat(Value(new_prefix), tail))
    for membership in Membership.objects.filter(scope_path__startswith=old_prefix):
        before = audit.snapshot(membership)
        membership.scope_path = new_prefix + membership.scope_path[len(old_prefix) :]
        membership.save(update_fields=["scope_path", "updated_at"])
        audit.record(
            actor=actor,
            action="membership.move",
            instance=membership,
            before=before,
            after=audit.snapshot(membership),
            area_path=membership.scope_path,
        )


# Areas and grids


def _area_validate(area: Area) -> None:
    expected = CODE_LENGTH.get(area.kind)
    if expected is None:
        raise ValidationError({"kind": _("Unknown kind of area.")})
    if not (area.code.isdigit() and len(area.code) == expected):
        raise ValidationError(
            {"code": _("The code of a %(kind)s has %(n)d digits.") % {"kind": area.get_kind_display(), "n": expected}}
        )
    parent_kind = PARENT_KIND.get(area.kind)
    if parent_kind is None:
        if area.parent_id:
            raise ValidationError({"parent": _("A district has no parent area here.")})
    else:
        if area.parent is None or area.parent.kind != parent_kind:
            raise ValidationError(
                {"parent": _("The parent of this area must be a %(kind)s.") % {"kind": AreaKind(parent_kind).label}}
            )
        if not area.code.startswith(area.parent.code):
            raise ValidationError(
                {"code": _("The code must begin with the parent area's code %(code)s.") % {"code": area.parent.code}}
            )


def _boundary_validate(area: Area, *, siblings_check: bool = True) -> None:
    """The boundary is a valid polygon; a grid's lies inside its community and overlaps no sibling grid."""
    if not area.boundary:
        return
    try:
        geometry = geo.parse_boundary(area.boundary)
    except geo.GeometryError as error:
        raise ValidationError({"boundary": str(error)}) from None
    if area.kind != AreaKind.GRID or not siblings_check:
        return
    community = geo.parse_boundary(area.parent.boundary) if area.parent and area.parent.boundary else None
    others = {
        sibling.name: shape(sibling.boundary)
        for sibling in area.parent.children.exclude(pk=area.pk).exclude(boundary=None)
    }
    problems = geo.grid_problems(area.name, geometry, community, others)
    if problems:
        raise ValidationError({"boundary": problems})


@transaction.atomic
def area_create(
    *, actor: User | None, kind: str, code: str, name: str, parent: Area | None = None, **fields: Any
) -> Area:
    """A new area under `parent`; its path is derived from its code."""
    return _area_create(actor=actor, kind=kind, code=code, name=name, parent=parent, siblings_check=True, **fields)


def _area_create(
    *, actor: User | None, kind: str, code: str, name: str, parent: Area | None, siblings_check: bool, **fields: Any
) -> Area:
    area = Area(kind=kind, code=code.strip(), name=name.strip(), parent=parent)
    _apply(area, fields)
    _area_validate(area)
    area.path = Area.path_for(area.code, area.kind)
    if parent is not None:
        check_actor_may(actor, Action.ADD, parent.path)
    elif actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only an administrator can create a top-level area."))
    _boundary_validate(area, siblings_check=siblings_check)
    return _save(area, actor=actor, action=Action.VIEW, verb="create", before=None)


@transaction.atomic
def area_update(*, actor: User | None, area: Area, **fields: Any) -> Area:
    """Change an area's name, boundary or office details (its code and place in the tree stay)."""
    return _area_update(actor=actor, area=area, siblings_check=True, **fields)


def _area_update(*, actor: User | None, area: Area, siblings_check: bool, **fields: Any) -> Area:
    for frozen in ("code", "kind", "parent", "path"):
        if frozen in fields:
            raise ValidationError({frozen: _("The code and the place of an area in the tree cannot be changed.")})
    check_actor_may(actor, Action.CHANGE, area.path)
    before = audit.snapshot(area)
    _apply(area, fields)
    _boundary_validate(area, siblings_check=siblings_check)
    return _save(area, actor=actor, action=Action.CHANGE, verb="update", before=before)


@transaction.atomic
def grids_import(*, actor: User | None, community: Area, features: list[dict]) -> geo.GridCheck:
    """Create or update a community's grids from GeoJSON features (properties: code, name).

    All features are checked first (valid polygons, inside the community, no overlaps among themselves or
    with the community's other grids); any error writes nothing. Gaps are measured and returned.
    """
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("Grids are imported into a community."))
    check_actor_may(actor, Action.CHANGE, community.path)
    errors: list[str] = []
    parsed: dict[str, tuple[str, dict, Any]] = {}
    for number, feature in enumerate(features, start=1):
        properties = (feature or {}).get("properties") or {}
        code = str(properties.get("code", "")).strip()
        name = str(properties.get("name", "")).strip()
        label = name or code or f"#{number}"
        if not (code.isdigit() and len(code) == CODE_LENGTH[AreaKind.GRID] and code.startswith(community.code)):
            errors.append(
                _("%(label)s: the grid code must be 15 digits beginning with %(code)s.")
                % {"label": label, "code": community.code}
            )
            continue
        if not name:
            errors.append(_("%(label)s: the grid needs a name.") % {"label": label})
            continue
        if code in parsed:
            errors.append(_("%(label)s: code %(code)s appears twice.") % {"label": label, "code": code})
            continue
        try:
            geometry = geo.parse_boundary(feature.get("geometry") or {})
        except geo.GeometryError as error:
            errors.append(f"{label}: {error}")
            continue
        parsed[code] = (name, feature["geometry"], geometry)
    if errors:
        raise ValidationError(errors)
    existing = {g.code: g for g in community.children.filter(kind=AreaKind.GRID)}
    shapes = {name: geometry for (name, _, geometry) in parsed.values()}
    for code, grid in existing.items():
        if code not in parsed and grid.boundary:
            shapes[grid.name] = shape(grid.boundary)
    community_shape = geo.parse_boundary(community.boundary) if community.boundary else None
    result = geo.check_grids(community_shape, shapes)
    if result.errors:
        raise ValidationError(result.errors)
    # The set was checked as a whole; checking grid by grid against the old neighbours would refuse a border
    # that moves between two of them.
    for code, (name, boundary, _geometry) in sorted(parsed.items()):
        if code in existing:
            _area_update(actor=actor, area=existing[code], siblings_check=False, name=name, boundary=boundary)
        else:
            _area_create(
                actor=actor,
                kind=AreaKind.GRID,
                code=code,
                name=name,
                parent=community,
                siblings_check=False,
                boundary=boundary,
            )
    return result


# Places


@transaction.atomic
def compound_create(*, actor: User | None, **fields: Any) -> Compound:
    """A new compound in a grid."""
    compound = Compound()
    _apply(compound, fields)
    _grid_from_point(compound)
    _require_grid(compound.area if compound.area_id else None)
    check_actor_may(actor, Action.ADD, compound.area.path)
    _check_point(compound, compound.area)
    return _save(compound, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def compound_update(*, actor: User | None, compound: Compound, **fields: Any) -> Compound:
    """Change a compound; moving it to another grid moves its buildings, dwellings and assignments too."""
    check_actor_may(actor, Action.CHANGE, compound.area_path)
    before = audit.snapshot(compound)
    old_path = compound.area_path
    _apply(compound, fields)
    if "code" in fields and fields["code"] != before["code"]:
        raise ValidationError({"code": _("A compound's code is printed on its notice board and cannot change.")})
    _require_grid(compound.area)
    _check_point(compound, compound.area)
    _save(compound, actor=actor, action=Action.CHANGE, verb="update", before=before)
    if compound.area_path != old_path:
        Building.objects.filter(compound=compound).update(area=compound.area)
        _move_subtree(old_path, compound.area_path, actor=actor)
        signals.place_moved.send(sender=Compound, place=compound, old_path=old_path)
    return compound


def _building_prepare(building: Building) -> None:
    if building.compound_id:
        building.area = building.compound.area
    _grid_from_point(building)
    _require_grid(building.area if building.area_id else None)
    _check_point(building, building.area)


def _follow_building(building: Building) -> None:
    """After a building moves: its dwellings and the assignments of both follow."""
    Dwelling.objects.filter(building=building).update(area_path=building.area_path)
    Assignment.objects.filter(Q(building=building) | Q(dwelling__building=building)).update(
        area_path=building.area_path
    )


@transaction.atomic
def building_create(*, actor: User | None, **fields: Any) -> Building:
    """A new residential building in a compound, or an office building in a grid."""
    building = Building()
    _apply(building, fields)
    _building_prepare(building)
    check_actor_may(actor, Action.ADD, building.compute_area_path())
    return _save(building, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def building_update(*, actor: User | None, building: Building, **fields: Any) -> Building:
    """Change a building."""
    check_actor_may(actor, Action.CHANGE, building.area_path)
    before = audit.snapshot(building)
    old_path = building.area_path
    _apply(building, fields)
    _building_prepare(building)
    _save(building, actor=actor, action=Action.CHANGE, verb="update", before=before)
    if building.area_path != old_path:
        _follow_building(building)
    return building


@transaction.atomic
def dwelling_create(*, actor: User | None, building: Building, number: str, unit: str = "") -> Dwelling:
    """A new dwelling in a building."""
    check_actor_may(actor, Action.ADD, building.area_path)
    dwelling = Dwelling(building=building, unit=unit.strip(), number=number.strip())
    return _save(dwelling, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def shop_create(*, actor: User | None, **fields: Any) -> Shop:
    """A new street shop in a grid."""
    shop = Shop()
    _apply(shop, fields)
    _grid_from_point(shop)
    shop.licence_number = (shop.licence_number or "").strip() or None
    _require_grid(shop.area if shop.area_id else None)
    check_actor_may(actor, Action.ADD, shop.area.path)
    _normalise_phone(shop)
    _check_point(shop, shop.area)
    return _save(shop, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def shop_update(*, actor: User | None, shop: Shop, **fields: Any) -> Shop:
    """Change a shop; its assignments follow it to another grid."""
    check_actor_may(actor, Action.CHANGE, shop.area_path)
    before = audit.snapshot(shop)
    old_path = shop.area_path
    _apply(shop, fields)
    shop.licence_number = (shop.licence_number or "").strip() or None
    _require_grid(shop.area)
    _normalise_phone(shop)
    _check_point(shop, shop.area)
    _save(shop, actor=actor, action=Action.CHANGE, verb="update", before=before)
    if shop.area_path != old_path:
        Assignment.objects.filter(shop=shop).update(area_path=shop.area_path)
        signals.place_moved.send(sender=Shop, place=shop, old_path=old_path)
    return shop


def _partner_prepare(unit: PartnerUnit) -> None:
    if not unit.area_id or unit.area.kind not in (AreaKind.COMMUNITY, AreaKind.GRID):
        raise ValidationError({"area": _("Choose the community or grid of this partner unit.")})
    _normalise_phone(unit)


@transaction.atomic
def partner_unit_create(*, actor: User | None, **fields: Any) -> PartnerUnit:
    """A new partner unit of a community."""
    unit = PartnerUnit()
    _apply(unit, fields)
    _partner_prepare(unit)
    check_actor_may(actor, Action.ADD, unit.area.path)
    return _save(unit, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def partner_unit_update(*, actor: User | None, partner_unit: PartnerUnit, **fields: Any) -> PartnerUnit:
    """Change a partner unit."""
    check_actor_may(actor, Action.CHANGE, partner_unit.area_path)
    before = audit.snapshot(partner_unit)
    _apply(partner_unit, fields)
    _partner_prepare(partner_unit)
    return _save(partner_unit, actor=actor, action=Action.CHANGE, verb="update", before=before)


# Responsibility


def person_covers(person: User, path: str) -> bool:
    """Whether `person` holds a working role whose scope contains `path` (a resident account does not count)."""
    return person.is_active and any(
        path.startswith(scope)
        for role, scopes in person._paths_by_role().items()
        if role != Role.RESIDENT
        for scope in scopes
    )


def person_works_in(person: User, path: str) -> bool:
    """Whether `person` holds a working role over `path` or inside it (a grid leader works in the community)."""
    return person.is_active and any(
        path.startswith(scope) or scope.startswith(path)
        for role, scopes in person._paths_by_role().items()
        if role != Role.RESIDENT
        for scope in scopes
    )


@transaction.atomic
def assignment_create(*, actor: User | None, person: User, place: Place, duty: str = "") -> Assignment:
    """`person` answers for `place` (包干到人). The person must work in the place's area."""
    check_actor_may(actor, Action.ASSIGN, place.area_path)
    if not person_covers(person, place.area_path):
        raise ValidationError(
            {"person": _("%(person)s does not work in the area of %(place)s.") % {"person": person, "place": place}}
        )
    kind = place._meta.model_name
    if Assignment.objects.filter(active=True, person=person, **{kind: place}).exists():
        raise ValidationError({"person": _("%(person)s is already responsible for this place.") % {"person": person}})
    assignment = Assignment(person=person, duty=duty.strip(), **{kind: place})
    return _save(assignment, actor=actor, action=Action.ASSIGN, verb="create", before=None)


@transaction.atomic
def assignment_end(*, actor: User | None, assignment: Assignment) -> Assignment:
    """The person no longer answers for the place (kept for history)."""
    check_actor_may(actor, Action.ASSIGN, assignment.area_path)
    before = audit.snapshot(assignment)
    assignment.active = False
    return _save(assignment, actor=actor, action=Action.ASSIGN, verb="end", before=before)


# Leadership groups


@transaction.atomic
def leadership_group_create(*, actor: User | None, area: Area, name: str, published: bool = True) -> LeadershipGroup:
    """A community's leadership group (领导小组)."""
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"area": _("A leadership group belongs to a community.")})
    check_actor_may(actor, Action.ASSIGN, area.path)
    group = LeadershipGroup(area=area, name=name.strip(), published=published)
    return _save(group, actor=actor, action=Action.ASSIGN, verb="create", before=None)


@transaction.atomic
def leadership_member_add(
    *, actor: User | None, group: LeadershipGroup, person: User, position: str, duty: str = "", order: int = 0
) -> LeadershipMember:
    """Add a person to a leadership group; they must work in its community."""
    check_actor_may(actor, Action.ASSIGN, group.area_path)
    if not person_works_in(person, group.area_path):
        raise ValidationError({"person": _("%(person)s does not work in this community.") % {"person": person}})
    member = LeadershipMember(group=group, person=person, position=position, duty=duty.strip(), order=order)
    return _save(member, actor=actor, action=Action.ASSIGN, verb="add", before=None)


# Roles in areas


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, role: str, area: Area | None = None, compound: Compound | None = None
) -> Membership:
    """Give `user` a role in an area, or (building leaders) in a compound, checking the role fits the scope."""
    if (area is None) == (compound is None):
        raise ValidationError(_("Grant a role in exactly one area or compound."))
    scope_kind = "compound" if compound is not None else area.kind
    if scope_kind not in SCOPE_KINDS.get(role, ()):
        raise ValidationError({"role": _("This role cannot be granted at this level.")})
    path = compound.area_path if compound is not None else area.path
    name = compound.name if compound is not None else area.name
    check_actor_may(actor, Action.MANAGE_MEMBERS, path)
    return account_services.membership_grant(actor=actor, user=user, role=role, scope_path=path, scope_name=name)
