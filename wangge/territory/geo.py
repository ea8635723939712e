"""Grid geometry: GeoJSON checks on import and point-in-grid lookup (Shapely, WGS-84 degrees).

Areas are computed on a local equirectangular projection, which is accurate to well under 1% at the size
of a community; good enough to report gaps and overlaps, never used for legal measurements.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import explain_validity

# Overlaps or gaps smaller than this (in m²) are drawing noise from shared edges, not errors.
TOLERANCE_M2 = 1.0


class GeometryError(ValueError):
    """A boundary that cannot be accepted, with a message for the user."""


def parse_boundary(geojson: dict) -> Polygon | MultiPolygon:
    """A valid polygon from a GeoJSON geometry (or Feature) in WGS-84, or GeometryError."""
    if not isinstance(geojson, dict):
        raise GeometryError(_("GeoJSON must be an object."))
    if geojson.get("type") == "Feature":
        geojson = geojson.get("geometry") or {}
    if geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise GeometryError(_("A boundary must be a GeoJSON Polygon or MultiPolygon."))
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise GeometryError(_("This is not readable GeoJSON: check the type and the coordinates.")) from None
    if geometry.is_empty:
        raise GeometryError(_("The boundary is empty."))
    min_x, min_y, max_x, max_y = geometry.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise GeometryError(_("Coordinates must be longitude, latitude in WGS-84 degrees."))
    if not geometry.is_valid:
        raise GeometryError(_("The polygon is invalid: %(reason)s") % {"reason": _validity_reason(geometry)})
    return geometry


def _validity_reason(geometry: BaseGeometry) -> str:
    """GEOS's reason in the user's language, with the place where it happens."""
    reason = explain_validity(geometry)
    name, _bracket, where = reason.partition("[")
    reasons = {
        "Self-intersection": _("the boundary crosses itself"),
        "Ring Self-intersection": _("a ring touches itself"),
        "Too few points": _("too few points"),
        "Hole lies outside shell": _("a hole lies outside the outer ring"),
        "Nested shells": _("one outer ring lies inside another"),
        "Interior is disconnected": _("the inside is cut in two"),
        "Invalid Coordinate": _("a coordinate is not a number"),
    }
    text = str(reasons.get(name.strip(), _("the shape is not a simple polygon")))
    return f"{text} ({where.rstrip(']')})" if where else text


def square_metres(geometry: BaseGeometry) -> float:
    """The area of a WGS-84 geometry in m², on a local equirectangular projection."""
    if geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y
    kx = 111_320.0 * math.cos(math.radians(lat))
    ky = 110_574.0
    return geometry.area * kx * ky


@dataclass(frozen=True)
class GridCheck:
    """What checking a set of grids against their community found."""

    errors: list[str]
    gap_m2: float


def _outside_message(name: str, geometry: BaseGeometry, community: BaseGeometry) -> str | None:
    outside = square_metres(geometry.difference(community.buffer(1e-6)))
    if outside <= TOLERANCE_M2:
        return None
    return _("%(name)s: %(m2).0f m² lie outside the community.") % {"name": name, "m2": outside}


def _overlap_message(name: str, geometry: BaseGeometry, other_name: str, other: BaseGeometry) -> str | None:
    overlap = square_metres(geometry.intersection(other))
    if overlap <= TOLERANCE_M2:
        return None
    return _("%(name)s and %(other)s overlap by %(m2).0f m².") % {"name": name, "other": other_name, "m2": overlap}


def grid_problems(
    name: str, geometry: BaseGeometry, community: BaseGeometry | None, others: dict[str, BaseGeometry]
) -> list[str]:
    """What is wrong with one grid: lying outside its community, overlapping another grid."""
    problems = [_outside_message(name, geometry, community)] if community is not None else []
    problems += [_overlap_message(name, geometry, other_name, other) for other_name, other in others.items()]
    return [p for p in problems if p]


def check_grids(community: BaseGeometry | None, grids: dict[str, BaseGeometry]) -> GridCheck:
    """Grids must lie inside their community and not overlap; gaps are measured, not refused."""
    names = list(grids)
    errors = [m for n in names if community is not None and (m := _outside_message(n, grids[n], community))]
    tree = STRtree([grids[n] for n in names])
    for i, name in enumerate(names):
        for j in sorted(tree.query(grids[name])):
            if j > i and (message := _overlap_message(name, grids[name], names[j], grids[names[j]])):
                errors.append(message)
    gap = 0.0
    if community is not None and grids:
        gap = square_metres(community.difference(shapely.union_all(list(grids.values()))))
    return GridCheck(errors=errors, gap_m2=gap if gap > TOLERANCE_M2 else 0.0)


class GridLocator:
    """Point-in-grid lookup over an STRtree of grid polygons."""

    def __init__(self, grids: Iterable[tuple[int, dict]]) -> None:
        self.ids: list[int] = []
        geometries: list[BaseGeometry] = []
        for grid_id, boundary in grids:
            if boundary:
                self.ids.append(grid_id)
                geometries.append(shape(boundary))
        self.geometries = geometries
        self.tree = STRtree(geometries)

    def locate(self, lng: float, lat: float) -> int | None:
        """The id of the grid containing the point (on a shared edge: the first by id), or None."""
        point = Point(lng, lat)
        hits = [self.ids[i] for i in self.tree.query(point, predicate="intersects")]
        return min(hits) if hits else None
