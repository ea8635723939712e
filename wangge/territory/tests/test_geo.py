"""Grid geometry: reading boundaries, measuring them, checking a community's grids and finding a point's grid."""

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from conftest import box
from wangge.territory import geo, selectors
from wangge.territory.models import Area

# The home community of the cast and its two grids (west and east of 113.6590).
COMMUNITY = (113.6560, 34.7865, 113.6625, 34.7920)
GRID1 = (113.6560, 34.7865, 113.6590, 34.7920)
GRID2 = (113.6590, 34.7865, 113.6625, 34.7920)

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[113.656, 34.7865], [113.659, 34.792], [113.659, 34.7865], [113.656, 34.792], [113.656, 34.7865]]],
}


def polygon(bounds: tuple[float, float, float, float]):
    return shape(box(*bounds))


def inside(bounds: tuple[float, float, float, float], lng: float, lat: float) -> bool:
    west, south, east, north = bounds
    return west <= lng <= east and south <= lat <= north


class ParseBoundaryTests:
    def test_it_accepts_a_polygon(self):
        geometry = geo.parse_boundary(box(*GRID1))
        assert geometry.geom_type == "Polygon"
        assert geometry.bounds == pytest.approx(GRID1)

    def test_it_accepts_a_feature(self):
        feature = {"type": "Feature", "properties": {"code": "410105008004001"}, "geometry": box(*GRID1)}
        assert geo.parse_boundary(feature).bounds == pytest.approx(GRID1)

    def test_it_accepts_a_multipolygon(self):
        apart = (113.6600, 34.7865, 113.6625, 34.7920)  # two pieces that do not touch
        multi = {"type": "MultiPolygon", "coordinates": [box(*GRID1)["coordinates"], box(*apart)["coordinates"]]}
        assert geo.parse_boundary(multi).geom_type == "MultiPolygon"

    def test_it_rejects_a_multipolygon_whose_pieces_share_an_edge(self):
        multi = {"type": "MultiPolygon", "coordinates": [box(*GRID1)["coordinates"], box(*GRID2)["coordinates"]]}
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary(multi)

    @pytest.mark.parametrize(
        "geojson",
        [
            {"type": "Point", "coordinates": [113.657, 34.788]},
            {"type": "LineString", "coordinates": [[113.656, 34.7865], [113.659, 34.792]]},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.657, 34.788]}},
            {"type": "Feature", "geometry": None},
            {"coordinates": box(*GRID1)["coordinates"]},
        ],
        ids=["point", "linestring", "feature-of-a-point", "feature-without-geometry", "no-type"],
    )
    def test_it_rejects_what_is_not_a_polygon(self, geojson):
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary(geojson)

    @pytest.mark.parametrize("value", [None, "POLYGON((0 0, 1 0, 1 1, 0 0))", [1, 2], 42])
    def test_it_rejects_what_is_not_an_object(self, value):
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary(value)

    @pytest.mark.parametrize(
        "bounds",
        [(113.656, 134.7865, 113.659, 134.792), (213.656, 34.7865, 213.659, 34.792), (-190.0, 10.0, -185.0, 12.0)],
        ids=["latitude-over-90", "longitude-over-180", "longitude-under-minus-180"],
    )
    def test_it_rejects_coordinates_out_of_range(self, bounds):
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary(box(*bounds))

    def test_it_rejects_swapped_latitude_and_longitude(self):
        # A frequent mistake in hand-made files: [lat, lng] puts 113 in the latitude.
        swapped = {"type": "Polygon", "coordinates": [[[lat, lng] for lng, lat in box(*GRID1)["coordinates"][0]]]}
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary(swapped)

    def test_it_rejects_a_self_intersecting_bow_tie(self):
        with pytest.raises(geo.GeometryError, match="自相交"):
            geo.parse_boundary(BOW_TIE)

    def test_it_rejects_unreadable_coordinates(self):
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary({"type": "Polygon", "coordinates": [[["a", "b"], [1]]]})

    def test_it_rejects_an_empty_polygon(self):
        with pytest.raises(geo.GeometryError):
            geo.parse_boundary({"type": "Polygon", "coordinates": []})


class SquareMetresTests:
    def test_it_measures_the_community_at_about_036_square_kilometres(self):
        # 0.0065° × 0.0055° at latitude 34.79: about 593 m × 608 m.
        assert geo.square_metres(polygon(COMMUNITY)) == pytest.approx(360_000, rel=0.03)

    def test_it_adds_up_the_parts(self):
        parts = geo.square_metres(polygon(GRID1)) + geo.square_metres(polygon(GRID2))
        assert parts == pytest.approx(geo.square_metres(polygon(COMMUNITY)), rel=1e-6)

    def test_it_measures_nothing_as_zero(self):
        assert geo.square_metres(polygon(GRID1).intersection(polygon((0, 0, 1, 1)))) == 0.0


class CheckGridsTests:
    def test_it_accepts_grids_that_tile_the_community(self):
        result = geo.check_grids(polygon(COMMUNITY), {"第一网格": polygon(GRID1), "第二网格": polygon(GRID2)})
        assert result.errors == []
        assert result.gap_m2 == 0.0

    def test_it_finds_an_overlap(self):
        wide = (113.6560, 34.7865, 113.6600, 34.7920)  # 0.0010° into grid 2
        result = geo.check_grids(polygon(COMMUNITY), {"第一网格": polygon(wide), "第二网格": polygon(GRID2)})
        assert len(result.errors) == 1
        assert "第一网格" in result.errors[0]
        assert "第二网格" in result.errors[0]

    def test_it_measures_a_gap(self):
        narrow = (113.6560, 34.7865, 113.6580, 34.7920)  # leaves 0.0010° × 0.0055° uncovered
        result = geo.check_grids(polygon(COMMUNITY), {"第一网格": polygon(narrow), "第二网格": polygon(GRID2)})
        assert result.errors == []
        expected = geo.square_metres(polygon((113.6580, 34.7865, 113.6590, 34.7920)))
        assert result.gap_m2 == pytest.approx(expected, rel=0.01)
        assert 50_000 < result.gap_m2 < 60_000

    def test_it_finds_a_grid_outside_its_community(self):
        north = (113.6560, 34.7900, 113.6590, 34.7940)
        result = geo.check_grids(polygon(COMMUNITY), {"第一网格": polygon(north)})
        assert any("第一网格" in error for error in result.errors)

    def test_it_ignores_shared_edges(self):
        # Grids drawn edge to edge touch; that is not an overlap.
        result = geo.check_grids(None, {"a": polygon(GRID1), "b": polygon(GRID2)})
        assert result.errors == []

    def test_it_reports_each_overlapping_pair_once(self):
        grids = {"a": polygon(COMMUNITY), "b": polygon(GRID1), "c": polygon(GRID2)}
        result = geo.check_grids(polygon(COMMUNITY), grids)
        assert len(result.errors) == 2


class GridLocatorTests:
    @pytest.fixture
    def locator(self) -> geo.GridLocator:
        return geo.GridLocator([(1, box(*GRID1)), (2, box(*GRID2)), (3, None)])

    def test_it_finds_a_point_in_grid_1(self, locator):
        assert locator.locate(113.6570, 34.7880) == 1

    def test_it_finds_a_point_in_grid_2(self, locator):
        assert locator.locate(113.6610, 34.7900) == 2

    def test_it_finds_nothing_outside_all_grids(self, locator):
        assert locator.locate(113.6700, 34.7880) is None
        assert locator.locate(113.6570, 34.8000) is None

    def test_it_gives_a_point_on_a_shared_edge_to_the_first_grid(self, locator):
        assert locator.locate(113.6590, 34.7900) == 1

    def test_it_skips_grids_without_a_boundary(self, locator):
        assert locator.ids == [1, 2]

    @settings(max_examples=200, deadline=None)
    @given(
        lng=st.floats(min_value=COMMUNITY[0], max_value=COMMUNITY[2]),
        lat=st.floats(min_value=COMMUNITY[1], max_value=COMMUNITY[3]),
    )
    def test_it_locates_every_point_of_the_community_in_the_grid_that_holds_it(self, lng, lat):
        locator = geo.GridLocator([(1, box(*GRID1)), (2, box(*GRID2))])
        found = locator.locate(lng, lat)
        assert found in (1, 2)
        assert inside({1: GRID1, 2: GRID2}[found], lng, lat)

    @settings(max_examples=100, deadline=None)
    @given(
        lng=st.floats(min_value=113.60, max_value=113.72),
        lat=st.floats(min_value=34.70, max_value=34.88),
    )
    def test_it_locates_points_outside_the_community_nowhere(self, lng, lat):
        locator = geo.GridLocator([(1, box(*GRID1)), (2, box(*GRID2))])
        found = locator.locate(lng, lat)
        if inside(COMMUNITY, lng, lat):
            assert inside({1: GRID1, 2: GRID2}[found], lng, lat)
        else:
            assert found is None


class LocateGridCacheTests:
    """`selectors.locate_grid` keeps a tree per process: a change saved here is seen at once, one written
    elsewhere (here: a bulk update, which sends no signal) after the re-check interval, and a grid deleted behind
    the tree's back is never returned."""

    POINT = (113.6575, 34.7890)  # in grid 001 (west half of the home community)

    def test_it_sees_a_boundary_saved_in_this_process_at_once(self, cast):
        assert selectors.locate_grid(*self.POINT) == cast.grid1
        cast.grid1.boundary = box(113.6500, 34.7800, 113.6510, 34.7810)
        cast.grid1.save()
        assert selectors.locate_grid(*self.POINT) is None

    def test_it_sees_a_change_made_elsewhere_after_the_recheck_interval(self, cast, monkeypatch):
        assert selectors.locate_grid(*self.POINT) == cast.grid1
        Area.objects.filter(pk=cast.grid1.pk).update(
            boundary=box(113.6500, 34.7800, 113.6510, 34.7810), updated_at=timezone.now()
        )
        assert selectors.locate_grid(*self.POINT) == cast.grid1  # trusted for the interval
        monkeypatch.setattr(selectors, "LOCATOR_RECHECK_SECONDS", 0.0)
        assert selectors.locate_grid(*self.POINT) is None

    def test_it_never_returns_a_grid_deleted_behind_its_back(self, cast):
        # A grid far from the others, written and then deleted by "another process" (plain SQL: no signals).
        far = Area.objects.create(
            kind="grid",
            code="410105008004009",
            name="远处网格",
            parent=cast.grid1.parent,
            path="410105/008/004/009/",
            boundary=box(114.0, 35.0, 114.01, 35.01),
        )
        assert selectors.locate_grid(114.005, 35.005) == far
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM territory_area WHERE id = %s", [far.pk])
        assert selectors.locate_grid(114.005, 35.005) is None
        assert selectors.locate_grid(*self.POINT) == cast.grid1
