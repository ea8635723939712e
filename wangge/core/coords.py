"""Conversions between WGS-84 (stored), GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

We store WGS-84 and convert at the edge: inputs and tile layers declare their system. The formulas are the
public ones (Krasovsky ellipsoid a = 6378245.0, ee = 0.00669342162296594323); GCJ-02 → WGS-84 has no closed
form, so it iterates until the round trip is within 1e-7 degrees.
"""

import math
from typing import Literal

CoordinateSystem = Literal["wgs84", "gcj02", "bd09"]

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def in_china(lng: float, lat: float) -> bool:
    """Whether GCJ-02 applies: outside this box the offset is not used."""
    return 72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (unchanged outside China)."""
    if not in_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float, *, tolerance: float = 1e-7) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration: find the point whose forward transform is the input."""
    if not in_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        if abs(dlng) < tolerance and abs(dlat) < tolerance:
            break
        wlng, wlat = wlng - dlng, wlat - dlat
    return wlng, wlat


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09."""
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def to_wgs84(lng: float, lat: float, system: CoordinateSystem) -> tuple[float, float]:
    """A point in any supported system, as WGS-84."""
    if system == "wgs84":
        return lng, lat
    if system == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    raise ValueError(f"unknown coordinate system {system!r}")


def from_wgs84(lng: float, lat: float, system: CoordinateSystem) -> tuple[float, float]:
    """A WGS-84 point, in any supported system."""
    if system == "wgs84":
        return lng, lat
    if system == "gcj02":
        return wgs84_to_gcj02(lng, lat)
    if system == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))
    raise ValueError(f"unknown coordinate system {system!r}")


def validate_wgs84(lng: float, lat: float) -> None:
    """Raise ValueError for a point that is not a longitude/latitude pair."""
    if not (math.isfinite(lng) and math.isfinite(lat)) or not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError("longitude must be within ±180 and latitude within ±90")


def polygon_from_wgs84(geometry: dict | None, system: CoordinateSystem) -> dict | None:
    """A GeoJSON Polygon or MultiPolygon (stored WGS-84) in another system, e.g. a map tile layer's."""
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None

    def ring(points: list) -> list:
        return [list(from_wgs84(lng, lat, system)) for lng, lat, *_rest in points]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]]}
