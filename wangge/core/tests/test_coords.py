"""Conversions between WGS-84 (stored), GCJ-02 (AMap, Tencent) and BD-09 (Baidu)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.core.coords import (
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    validate_wgs84,
    wgs84_to_gcj02,
)

WENHUA_ROAD = (113.6590, 34.7890)  # WGS-84, in 俭学街社区

# Points well inside the box where GCJ-02 applies (its edges are sea and desert, and a point near an edge
# may be shifted across it).
china_points = st.tuples(
    st.floats(min_value=74.0, max_value=135.0, allow_nan=False),
    st.floats(min_value=4.0, max_value=53.0, allow_nan=False),
)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The distance between two nearby points (equirectangular approximation, good to well under 1%)."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat) * 6371000
    dy = math.radians(b[1] - a[1]) * 6371000
    return math.hypot(dx, dy)


class GcjTests:
    def test_it_shifts_wenhua_road_by_about_570_metres(self):
        shifted = wgs84_to_gcj02(*WENHUA_ROAD)
        assert 500 <= metres(WENHUA_ROAD, shifted) <= 650

    def test_it_shifts_wenhua_road_east_and_a_little_south(self):
        lng, lat = wgs84_to_gcj02(*WENHUA_ROAD)
        assert lng > WENHUA_ROAD[0]
        assert lat < WENHUA_ROAD[1]

    def test_it_matches_the_published_reference_values(self):
        # The worked example of the widely used public implementation (coordtransform), Tiananmen.
        assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)

    def test_it_inverts_the_shift_at_wenhua_road(self):
        back = gcj02_to_wgs84(*wgs84_to_gcj02(*WENHUA_ROAD))
        assert back == pytest.approx(WENHUA_ROAD, abs=1e-6)

    @settings(max_examples=300, deadline=None)
    @given(point=china_points)
    def test_it_round_trips_any_point_in_china(self, point):
        assert in_china(*point)
        back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
        assert abs(back[0] - point[0]) < 1e-6
        assert abs(back[1] - point[1]) < 1e-6

    @pytest.mark.parametrize("point", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (0.0, 0.0)])
    def test_it_leaves_points_outside_china_unchanged(self, point):
        assert not in_china(*point)
        assert wgs84_to_gcj02(*point) == point
        assert gcj02_to_wgs84(*point) == point


class BaiduTests:
    def test_it_shifts_gcj_by_about_890_metres_more_at_wenhua_road(self):
        gcj = wgs84_to_gcj02(*WENHUA_ROAD)
        assert 800 <= metres(gcj, gcj02_to_bd09(*gcj)) <= 950

    def test_it_matches_the_published_reference_values(self):
        assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
        assert bd09_to_gcj02(116.404, 39.915) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)

    @settings(max_examples=300, deadline=None)
    @given(point=china_points)
    def test_it_round_trips_bd09(self, point):
        back = bd09_to_gcj02(*gcj02_to_bd09(*point))
        assert abs(back[0] - point[0]) < 1e-5
        assert abs(back[1] - point[1]) < 1e-5


class DispatchTests:
    @pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
    def test_it_round_trips_through_every_system(self, system):
        there = from_wgs84(*WENHUA_ROAD, system)
        assert to_wgs84(*there, system) == pytest.approx(WENHUA_ROAD, abs=1e-5)

    def test_it_leaves_wgs84_alone(self):
        assert from_wgs84(*WENHUA_ROAD, "wgs84") == WENHUA_ROAD
        assert to_wgs84(*WENHUA_ROAD, "wgs84") == WENHUA_ROAD

    def test_it_dispatches_to_the_named_conversion(self):
        gcj = wgs84_to_gcj02(*WENHUA_ROAD)
        assert from_wgs84(*WENHUA_ROAD, "gcj02") == gcj
        assert from_wgs84(*WENHUA_ROAD, "bd09") == gcj02_to_bd09(*gcj)
        assert to_wgs84(*gcj, "gcj02") == gcj02_to_wgs84(*gcj)
        bd = gcj02_to_bd09(*gcj)
        assert to_wgs84(*bd, "bd09") == gcj02_to_wgs84(*bd09_to_gcj02(*bd))

    @pytest.mark.parametrize("system", ["", "WGS84", "cgcs2000", "epsg:4326"])
    def test_it_refuses_an_unknown_system(self, system):
        with pytest.raises(ValueError, match="unknown coordinate system"):
            to_wgs84(*WENHUA_ROAD, system)
        with pytest.raises(ValueError, match="unknown coordinate system"):
            from_wgs84(*WENHUA_ROAD, system)


class ValidateWgs84Tests:
    @pytest.mark.parametrize("point", [WENHUA_ROAD, (-180.0, -90.0), (180.0, 90.0), (0.0, 0.0)])
    def test_it_accepts_a_point(self, point):
        assert validate_wgs84(*point) is None

    @pytest.mark.parametrize(
        "point",
        [
            (math.nan, 34.0),
            (113.0, math.nan),
            (math.inf, 34.0),
            (113.0, -math.inf),
            (180.0001, 34.0),
            (-180.0001, 34.0),
            (113.0, 90.0001),
            (113.0, -90.0001),
            (34.789, 113.659),
        ],
        ids=["nan-lng", "nan-lat", "inf-lng", "inf-lat", "lng>180", "lng<-180", "lat>90", "lat<-90", "swapped"],
    )
    def test_it_rejects_what_is_not_a_point(self, point):
        with pytest.raises(ValueError):
            validate_wgs84(*point)
