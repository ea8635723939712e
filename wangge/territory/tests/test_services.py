"""Writes of the territory: areas and grid boundaries, places, responsibility and role grants.

Every refused write must leave the database as it was: `written()` counts the rows a service could touch.
"""

from collections.abc import Callable
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from conftest import box
from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Action, Role
from wangge.core.models import AuditEvent
from wangge.territory import geo, services
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    Compound,
    Dwelling,
    PartnerUnit,
    Shop,
    Trade,
)

WRITABLE: tuple[type[models.Model], ...] = (
    Area,
    Compound,
    Building,
    Dwelling,
    Shop,
    PartnerUnit,
    Assignment,
    Membership,
    AuditEvent,
)

# A community east of home, without grids: 0.0065° × 0.0055°, split at 113.6655 into two halves.
EAST = (113.6625, 34.7865, 113.6690, 34.7920)
EAST_WEST_HALF = (113.6625, 34.7865, 113.6655, 34.7920)
EAST_EAST_HALF = (113.6655, 34.7865, 113.6690, 34.7920)

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[113.656, 34.7865], [113.659, 34.792], [113.659, 34.7865], [113.656, 34.792], [113.656, 34.7865]]],
}


def written() -> dict[str, int]:
    """How many rows each table a territory service writes holds."""
    return {model.__name__: model.objects.count() for model in WRITABLE}


def refuses(write: Callable[[], object], field: str | None = None) -> str:
    """Run a write that must fail with a ValidationError (on `field`) and leave every table as it was."""
    before = written()
    with pytest.raises(ValidationError) as error:
        write()
    if field is not None:
        assert field in error.value.message_dict, (write, error.value)
    assert written() == before, write
    return " ".join(error.value.messages)


def messages_of(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def feature(code: str, name: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


@pytest.fixture
def east(cast) -> Area:
    """A second community of the subdistrict, drawn but not yet divided into grids."""
    return services.area_create(
        actor=None,
        kind=AreaKind.COMMUNITY,
        code="410105008006",
        name="东邻社区",
        parent=cast.subdistrict,
        boundary=box(*EAST),
    )


class AreaTests:
    def test_it_derives_the_path_from_the_code(self, cast):
        grid = services.area_create(
            actor=cast.director, kind=AreaKind.GRID, code="410105008004003", name="三", parent=cast.home
        )
        assert grid.path == "410105/008/004/003/"
        assert AuditEvent.objects.filter(action="area.create", object_id=str(grid.pk), actor=cast.director).exists()

    def test_it_refuses_a_code_of_the_wrong_shape(self, cast):
        for kind, code in [
            (AreaKind.GRID, "41010500800400"),  # 14 digits
            (AreaKind.GRID, "4101050080040012"),  # 16 digits
            (AreaKind.GRID, "41010500800400A"),  # a letter
            (AreaKind.COMMUNITY, "410105008004001"),  # a grid's length for a community
        ]:
            parent = cast.home if kind == AreaKind.GRID else cast.subdistrict
            refuses(partial(services.area_create, actor=None, kind=kind, code=code, name="错", parent=parent), "code")

    def test_it_refuses_a_code_that_does_not_begin_with_the_parents(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.area_create(actor=None, kind=AreaKind.GRID, code="410105008005009", name="错", parent=cast.home)
        assert "code" in error.value.message_dict
        assert cast.home.code in messages_of(error)
        assert written() == before

    def test_it_refuses_the_wrong_kind_of_parent(self, cast):
        for kind, code, parent in [
            (AreaKind.GRID, "410105008004003", cast.subdistrict),
            (AreaKind.GRID, "410105008004003", cast.grid1),
            (AreaKind.COMMUNITY, "410105008009", cast.district),
            (AreaKind.GRID, "410105008004003", None),
        ]:
            refuses(partial(services.area_create, actor=None, kind=kind, code=code, name="错", parent=parent), "parent")

    def test_it_refuses_a_district_with_a_parent(self, cast):
        with pytest.raises(ValidationError) as error:
            services.area_create(actor=None, kind=AreaKind.DISTRICT, code="410106", name="错", parent=cast.district)
        assert "parent" in error.value.message_dict

    def test_it_refuses_a_duplicate_code(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.area_create(
                actor=None, kind=AreaKind.COMMUNITY, code=cast.home.code, name="重复", parent=cast.subdistrict
            )
        assert "code" in error.value.message_dict
        assert written() == before

    def test_it_refuses_to_change_the_code_or_the_parent(self, cast):
        for change in ({"code": "410105008004009"}, {"parent": cast.next_door}):
            with pytest.raises(ValidationError):
                services.area_update(actor=cast.director, area=cast.grid1, **change)
        cast.grid1.refresh_from_db()
        assert (cast.grid1.code, cast.grid1.parent_id) == ("410105008004001", cast.home.pk)

    def test_it_refuses_a_top_level_area_to_anyone_but_an_administrator(self, cast):
        before = written()
        with pytest.raises(PermissionDenied):
            services.area_create(actor=cast.director, kind=AreaKind.DISTRICT, code="410106", name="管城区")
        assert written() == before

    def test_it_refuses_a_grid_leader_a_new_grid(self, cast):
        before = written()
        with pytest.raises(PermissionDenied):
            services.area_create(
                actor=cast.grid_leader, kind=AreaKind.GRID, code="410105008004003", name="三", parent=cast.home
            )
        assert written() == before

    def test_it_refuses_the_outsider_a_grid_in_home(self, cast):
        with pytest.raises(PermissionDenied):
            services.area_create(
                actor=cast.outsider, kind=AreaKind.GRID, code="410105008004003", name="三", parent=cast.home
            )


class GridBoundaryTests:
    def create_grid(self, cast, boundary: dict | None, code: str = "410105008004003") -> Area:
        return services.area_create(
            actor=cast.director, kind=AreaKind.GRID, code=code, name="第三网格", parent=cast.home, boundary=boundary
        )

    def test_it_refuses_an_invalid_boundary(self, cast):
        for boundary in [
            {"type": "Point", "coordinates": [113.657, 34.788]},
            {"type": "Polygon", "coordinates": [[["x", "y"]]]},
            {
                "type": "Polygon",
                "coordinates": [[[34.7865, 113.656], [34.792, 113.656], [34.792, 113.659]]],
            },  # [lat, lng]
            BOW_TIE,
        ]:
            refuses(partial(self.create_grid, cast, boundary), "boundary")

    def test_it_refuses_a_grid_overlapping_its_sibling(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            self.create_grid(cast, box(113.6580, 34.7865, 113.6600, 34.7920))
        assert "boundary" in error.value.message_dict
        assert "第一网格" in messages_of(error)
        assert "第二网格" in messages_of(error)
        assert written() == before

    def test_it_refuses_a_grid_sticking_out_of_its_community(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            # Home ends at 34.7920; this lies north of it, over next door.
            self.create_grid(cast, box(113.6560, 34.7925, 113.6590, 34.7960))
        assert "boundary" in error.value.message_dict
        assert written() == before

    def test_it_refuses_to_widen_a_grid_over_its_sibling(self, cast):
        before = written()
        with pytest.raises(ValidationError):
            services.area_update(
                actor=cast.director, area=cast.grid1, boundary=box(113.6560, 34.7865, 113.6610, 34.7920)
            )
        cast.grid1.refresh_from_db()
        assert cast.grid1.boundary == box(113.6560, 34.7865, 113.6590, 34.7920)
        assert written() == before

    def test_it_accepts_a_grid_touching_its_siblings(self, east):
        west = services.area_create(
            actor=None,
            kind=AreaKind.GRID,
            code="410105008006001",
            name="西",
            parent=east,
            boundary=box(*EAST_WEST_HALF),
        )
        other = services.area_create(
            actor=None,
            kind=AreaKind.GRID,
            code="410105008006002",
            name="东",
            parent=east,
            boundary=box(*EAST_EAST_HALF),
        )
        assert west.path == "410105/008/006/001/"
        assert other.path == "410105/008/006/002/"


class GridsImportTests:
    def test_it_creates_grids_that_cover_the_community(self, east):
        result = services.grids_import(
            actor=None,
            community=east,
            features=[
                feature("410105008006001", "东邻第一网格", box(*EAST_WEST_HALF)),
                feature("410105008006002", "东邻第二网格", box(*EAST_EAST_HALF)),
            ],
        )
        assert result.errors == []
        assert result.gap_m2 == 0.0
        grids = east.children.order_by("code")
        assert [(g.code, g.name, g.kind) for g in grids] == [
            ("410105008006001", "东邻第一网格", AreaKind.GRID),
            ("410105008006002", "东邻第二网格", AreaKind.GRID),
        ]
        assert grids[0].boundary == box(*EAST_WEST_HALF)
        assert AuditEvent.objects.filter(action="area.create", object_id__in=[str(g.pk) for g in grids]).count() == 2

    def test_it_reports_the_gap_in_square_metres(self, east):
        result = services.grids_import(
            actor=None, community=east, features=[feature("410105008006001", "东邻第一网格", box(*EAST_WEST_HALF))]
        )
        expected = geo.square_metres(geo.parse_boundary(box(*EAST_EAST_HALF)))
        assert result.gap_m2 == pytest.approx(expected, rel=0.01)
        assert 185_000 < result.gap_m2 < 205_000  # 0.0035° × 0.0055°
        assert east.children.count() == 1

    def test_it_writes_nothing_when_one_feature_is_bad(self, east):
        good = feature("410105008006001", "东邻第一网格", box(*EAST_WEST_HALF))
        line = {"type": "LineString", "coordinates": [[113.67, 34.79], [113.668, 34.79]]}
        for bad in [
            feature("410105008006002", "坏网格", BOW_TIE),
            feature("410105008006002", "坏网格", line),
            feature("410105008006002", "坏网格", None),
            feature("410105008005002", "错社区", box(*EAST_EAST_HALF)),  # next door's code
            feature("41010500800600", "短编码", box(*EAST_EAST_HALF)),
            feature("410105008006002", "", box(*EAST_EAST_HALF)),  # no name
            feature("410105008006001", "重复编码", box(*EAST_EAST_HALF)),
            feature("410105008006002", "出界", box(113.6655, 34.7865, 113.6720, 34.7920)),  # sticking out
            feature("410105008006002", "重叠", box(113.6640, 34.7865, 113.6690, 34.7920)),  # overlapping
        ]:
            assert refuses(partial(services.grids_import, actor=None, community=east, features=[good, bad]))

    def test_it_refuses_a_grid_overlapping_an_existing_one(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.grids_import(
                actor=cast.director,
                community=cast.home,
                features=[feature("410105008004003", "第三网格", box(113.6580, 34.7865, 113.6600, 34.7900))],
            )
        assert "第一网格" in messages_of(error)
        assert written() == before

    def test_it_moves_the_border_between_two_existing_grids(self, cast):
        # Re-importing a community whose shared border moved east: each grid alone overlaps the other's old
        # boundary, but the file as a whole is consistent and must be accepted.
        result = services.grids_import(
            actor=cast.director,
            community=cast.home,
            features=[
                feature("410105008004001", "第一网格", box(113.6560, 34.7865, 113.6600, 34.7920)),
                feature("410105008004002", "第二网格", box(113.6600, 34.7865, 113.6625, 34.7920)),
            ],
        )
        assert result.errors == []
        cast.grid1.refresh_from_db()
        cast.grid2.refresh_from_db()
        assert cast.grid1.boundary == box(113.6560, 34.7865, 113.6600, 34.7920)
        assert cast.grid2.boundary == box(113.6600, 34.7865, 113.6625, 34.7920)

    def test_it_renames_an_existing_grid(self, cast):
        services.grids_import(
            actor=cast.director,
            community=cast.home,
            features=[feature("410105008004001", "俭学街第一网格", box(113.6560, 34.7865, 113.6590, 34.7920))],
        )
        cast.grid1.refresh_from_db()
        assert cast.grid1.name == "俭学街第一网格"
        assert Area.objects.filter(parent=cast.home).count() == 2

    def test_it_imports_only_into_a_community(self, cast):
        with pytest.raises(ValidationError):
            services.grids_import(actor=None, community=cast.subdistrict, features=[])

    def test_it_refuses_a_grid_leader(self, cast):
        before = written()
        with pytest.raises(PermissionDenied):
            services.grids_import(
                actor=cast.grid_leader,
                community=cast.home,
                features=[feature("410105008004001", "改名", box(113.6560, 34.7865, 113.6590, 34.7920))],
            )
        assert written() == before


class CompoundTests:
    def test_it_creates_a_compound_in_a_grid(self, cast):
        compound = services.compound_create(
            actor=cast.grid_leader, code="T-C03", name="测试三号院", area=cast.grid1, management="property_company"
        )
        assert compound.area_path == f"{cast.grid1.path}T-C03/"
        event = AuditEvent.objects.get(action="compound.create", object_id=str(compound.pk))
        assert event.actor == cast.grid_leader

    def test_it_refuses_a_compound_in_an_area_that_is_not_a_grid(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.compound_create(actor=None, code="T-C03", name="测试三号院", area=cast.home, management="none")
        assert "area" in error.value.message_dict
        assert written() == before

    def test_it_refuses_a_point_outside_its_grid(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.compound_create(
                actor=None,
                code="T-C03",
                name="测试三号院",
                area=cast.grid1,
                management="none",
                longitude=113.6610,  # in grid 2
                latitude=34.7900,
            )
        assert "第一网格" in messages_of(error)
        assert written() == before

    def test_it_accepts_a_point_just_beyond_the_drawn_edge(self, cast):
        # About 18 m east of the shared edge: drawing noise, within the 50 m tolerance.
        compound = services.compound_create(
            actor=None,
            code="T-C03",
            name="测试三号院",
            area=cast.grid1,
            management="none",
            longitude=113.6592,
            latitude=34.79,
        )
        assert compound.pk

    def test_it_refuses_a_half_or_impossible_point(self, cast):
        for longitude, latitude in [(113.657, None), (None, 34.788), (213.657, 34.788), (113.657, 94.788)]:
            create = partial(
                services.compound_create,
                actor=None,
                code="T-C03",
                name="测试三号院",
                area=cast.grid1,
                management="none",
                longitude=longitude,
                latitude=latitude,
            )
            refuses(create)

    def test_it_refuses_a_bad_code(self, cast):
        with pytest.raises(ValidationError) as error:
            services.compound_create(actor=None, code="T C03", name="测试三号院", area=cast.grid1, management="none")
        assert "code" in error.value.message_dict

    def test_it_refuses_a_duplicate_code(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.compound_create(actor=None, code="T-C01", name="又一个", area=cast.grid1, management="none")
        assert "code" in error.value.message_dict
        assert written() == before

    def test_it_refuses_a_grid_leader_a_compound_in_another_grid(self, cast):
        before = written()
        with pytest.raises(PermissionDenied):
            services.compound_create(
                actor=cast.grid_leader, code="T-C03", name="测试三号院", area=cast.grid2, management="none"
            )
        assert written() == before

    def test_it_refuses_a_grid_worker_a_new_compound(self, cast):
        with pytest.raises(PermissionDenied):
            services.compound_create(
                actor=cast.grid_worker, code="T-C03", name="测试三号院", area=cast.grid1, management="none"
            )
        assert not Compound.objects.filter(code="T-C03").exists()

    def test_it_records_before_and_after_of_a_change(self, cast):
        services.compound_update(actor=cast.grid_worker, compound=cast.compound1, name="测试一号院（新）")
        event = AuditEvent.objects.get(action="compound.update", object_id=str(cast.compound1.pk))
        assert event.before["name"] == "测试一号院"
        assert event.after["name"] == "测试一号院（新）"
        assert event.actor == cast.grid_worker

    def test_it_keeps_the_code_printed_on_the_notice_board(self, cast):
        with pytest.raises(ValidationError):
            services.compound_update(actor=cast.director, compound=cast.compound1, code="T-C99")
        assert Compound.objects.filter(code="T-C01").exists()

    def test_it_refuses_a_grid_leader_moving_a_compound_out_of_their_grid(self, cast):
        before = written()
        with pytest.raises(PermissionDenied):
            services.compound_update(
                actor=cast.grid_leader, compound=cast.compound1, area=cast.grid2, longitude=None, latitude=None
            )
        compound = Compound.objects.get(pk=cast.compound1.pk)
        assert (compound.area_id, compound.area_path) == (cast.grid1.pk, f"{cast.grid1.path}T-C01/")
        assert written() == before

    def test_it_moves_everything_filed_under_a_compound_with_it(self, cast):
        dwelling = cast.dwellings[0]
        on_compound = services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        on_building = services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)
        on_dwelling = services.assignment_create(actor=None, person=cast.grid_worker, place=dwelling)

        services.compound_update(
            actor=cast.director, compound=cast.compound1, area=cast.grid2, longitude=113.6610, latitude=34.7900
        )

        new_path = f"{cast.grid2.path}T-C01/"
        assert Compound.objects.get(pk=cast.compound1.pk).area_path == new_path
        building = Building.objects.get(pk=cast.building1.pk)
        assert (building.area_id, building.area_path) == (cast.grid2.pk, new_path)
        assert {d.area_path for d in Dwelling.objects.filter(building=building)} == {new_path}
        for assignment in (on_compound, on_building, on_dwelling):
            assert Assignment.objects.get(pk=assignment.pk).area_path == new_path
        membership = Membership.objects.get(user=cast.building_leader, role=Role.BUILDING_LEADER)
        assert membership.scope_path == new_path
        old_path = f"{cast.grid1.path}T-C01/"
        for model in (Building, Dwelling, Assignment):
            assert not model.objects.filter(area_path__startswith=old_path).exists()
        # The building leader still sees their compound, now in grid 2; grid 1's people no longer do.
        leader = User.objects.get(pk=cast.building_leader.pk)
        assert list(Compound.objects.for_user(leader)) == [cast.compound1]
        assert not Compound.objects.for_user(User.objects.get(pk=cast.grid_leader.pk)).filter(code="T-C01").exists()

    def test_it_moves_nothing_of_a_compound_with_a_similar_code(self, cast):
        twin = services.compound_create(actor=None, code="T-C01X", name="相似院", area=cast.grid1, management="none")
        building = services.building_create(actor=None, code="T-C01X-B1", name="相似楼", compound=twin)
        services.compound_update(
            actor=cast.director, compound=cast.compound1, area=cast.grid2, longitude=None, latitude=None
        )
        assert Building.objects.get(pk=building.pk).area_path == f"{cast.grid1.path}T-C01X/"


class BuildingTests:
    def test_it_takes_the_grid_of_its_compound(self, cast):
        building = services.building_create(
            actor=cast.director, code="T-C02-B1", name="二号院一号楼", compound=cast.compound2, area=cast.grid1
        )
        assert building.area == cast.grid2
        assert building.area_path == cast.compound2.area_path

    def test_it_files_an_office_building_under_its_grid(self, cast):
        assert cast.office.area_path == cast.grid2.path
        assert cast.office.compound is None

    def test_it_refuses_a_building_without_grid_or_compound(self, cast):
        before = written()
        with pytest.raises(ValidationError):
            services.building_create(actor=None, code="T-O2", name="无处楼", kind="office")
        assert written() == before

    def test_it_refuses_a_building_in_a_community(self, cast):
        with pytest.raises(ValidationError):
            services.building_create(actor=None, code="T-O2", name="无处楼", kind="office", area=cast.home)

    def test_it_takes_its_dwellings_along_to_another_compound(self, cast):
        services.building_update(actor=cast.director, building=cast.building1, compound=cast.compound2)
        assert {d.area_path for d in Dwelling.objects.filter(building=cast.building1)} == {cast.compound2.area_path}

    def test_it_refuses_a_building_leader_any_change(self, cast):
        with pytest.raises(PermissionDenied):
            services.building_update(actor=cast.building_leader, building=cast.building1, floors=7)
        assert Building.objects.get(pk=cast.building1.pk).floors is None


class ShopTests:
    def shop_fields(self, cast, **overrides) -> dict:
        fields = {
            "code": "T-S003",
            "name": "测试水果店",
            "trade": Trade.objects.get(code="grocery"),
            "area": cast.grid1,
            "address": "俭学街3号",
            "contact_name": "王测试",
            "contact_phone": "13900005678",
        }
        return {**fields, **overrides}

    def test_it_normalises_the_contact_phone(self, cast):
        shop = services.shop_create(actor=None, **self.shop_fields(cast, contact_phone="+86 139 0000 5678"))
        assert Shop.objects.get(pk=shop.pk).contact_phone == "13900005678"

    def test_it_refuses_a_bad_phone_and_writes_nothing(self, cast):
        for phone in ["12345", "1390000567", "139000056789", "abc", "23900005678"]:
            fields = self.shop_fields(cast, contact_phone=phone)
            refuses(partial(services.shop_create, actor=None, **fields), "contact_phone")

    def test_it_keeps_the_phone_out_of_the_audit_log(self, cast):
        shop = services.shop_create(actor=None, **self.shop_fields(cast))
        event = AuditEvent.objects.get(action="shop.create", object_id=str(shop.pk))
        assert event.after["contact_phone"] == "139****5678"
        assert "13900005678" not in str(event.after)

    def test_it_refuses_a_point_outside_its_grid(self, cast):
        before = written()
        with pytest.raises(ValidationError):
            services.shop_create(actor=None, **self.shop_fields(cast, longitude=113.6700, latitude=34.7900))
        assert written() == before

    def test_it_refuses_a_duplicate_licence_number(self, cast):
        with pytest.raises(ValidationError) as error:
            services.shop_create(actor=None, **self.shop_fields(cast, licence_number="91410105TEST00001"))
        assert "licence_number" in error.value.message_dict

    def test_it_allows_many_shops_without_a_licence_number(self, cast):
        services.shop_create(actor=None, **self.shop_fields(cast, licence_number=""))
        services.shop_create(actor=None, **self.shop_fields(cast, code="T-S004", licence_number="  "))
        assert Shop.objects.filter(licence_number=None).count() == 4

    def test_it_lets_a_grid_worker_change_a_shop_of_their_grid(self, cast):
        services.shop_update(actor=cast.grid_worker, shop=cast.shop1, status="closed")
        assert Shop.objects.get(pk=cast.shop1.pk).status == "closed"

    def test_it_refuses_a_grid_worker_a_shop_of_another_grid(self, cast):
        with pytest.raises(PermissionDenied):
            services.shop_update(actor=cast.grid_worker, shop=cast.shop2, status="closed")
        assert Shop.objects.get(pk=cast.shop2.pk).status == "open"

    def test_it_refuses_an_unknown_field(self, cast):
        with pytest.raises(ValidationError):
            services.shop_create(actor=None, **self.shop_fields(cast, owner="某人"))


class PartnerUnitTests:
    def test_it_belongs_to_a_community_or_grid(self, cast):
        with pytest.raises(ValidationError) as error:
            services.partner_unit_create(
                actor=None, code="T-P2", name="错单位", kind="institution", area=cast.subdistrict
            )
        assert "area" in error.value.message_dict

    def test_it_refuses_a_bad_phone(self, cast):
        before = written()
        with pytest.raises(ValidationError):
            services.partner_unit_create(
                actor=None, code="T-P2", name="测试单位", kind="institution", area=cast.home, contact_phone="0371"
            )
        assert written() == before


class AssignmentTests:
    def test_it_names_a_responsible_person(self, cast):
        assignment = services.assignment_create(
            actor=cast.grid_leader, person=cast.grid_worker, place=cast.compound1, duty="巡查"
        )
        assert assignment.active
        assert assignment.place == cast.compound1
        assert assignment.place_kind == "compound"
        assert assignment.area_path == cast.compound1.area_path
        assert AuditEvent.objects.filter(action="assignment.create", object_id=str(assignment.pk)).exists()

    def test_it_refuses_a_place_assigned_to_someone_outside_its_area(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.assignment_create(actor=cast.director, person=cast.outsider, place=cast.compound1)
        assert "person" in error.value.message_dict
        assert written() == before

    def test_it_refuses_a_grid_worker_of_another_grid(self, cast):
        with pytest.raises(ValidationError):
            services.assignment_create(actor=cast.director, person=cast.grid_worker, place=cast.compound2)

    def test_it_refuses_a_resident_account(self, cast):
        before = written()
        with pytest.raises(ValidationError) as error:
            services.assignment_create(actor=cast.director, person=cast.resident, place=cast.compound1)
        assert "person" in error.value.message_dict
        assert written() == before

    def test_it_refuses_an_inactive_person(self, cast):
        cast.grid_worker.is_active = False
        cast.grid_worker.save()
        with pytest.raises(ValidationError):
            services.assignment_create(actor=cast.director, person=cast.grid_worker, place=cast.compound1)

    def test_it_accepts_a_building_leader_for_a_building_of_their_compound(self, cast):
        assignment = services.assignment_create(actor=cast.director, person=cast.building_leader, place=cast.building1)
        assert assignment.area_path == cast.building1.area_path

    def test_it_accepts_the_director_for_any_place_of_the_community(self, cast):
        for place in (cast.compound2, cast.office, cast.shop1, cast.dwellings[1]):
            services.assignment_create(actor=cast.director, person=cast.director, place=place)
        assert Assignment.objects.filter(person=cast.director, active=True).count() == 4

    def test_it_refuses_a_duplicate(self, cast):
        services.assignment_create(actor=cast.grid_leader, person=cast.grid_worker, place=cast.shop1)
        before = written()
        with pytest.raises(ValidationError) as error:
            services.assignment_create(actor=cast.grid_leader, person=cast.grid_worker, place=cast.shop1)
        assert "person" in error.value.message_dict
        assert written() == before

    def test_it_ends_an_assignment_and_keeps_it(self, cast):
        assignment = services.assignment_create(actor=cast.grid_leader, person=cast.grid_worker, place=cast.shop1)
        services.assignment_end(actor=cast.grid_leader, assignment=assignment)
        assignment.refresh_from_db()
        assert not assignment.active
        event = AuditEvent.objects.get(action="assignment.end", object_id=str(assignment.pk))
        assert (event.before["active"], event.after["active"]) == (True, False)
        # The place is free again for a new assignment of the same person.
        again = services.assignment_create(actor=cast.grid_leader, person=cast.grid_worker, place=cast.shop1)
        assert again.active and again.pk != assignment.pk

    def test_it_refuses_roles_that_may_not_assign(self, cast):
        for actor in (cast.grid_worker, cast.building_leader, cast.auditor):
            with pytest.raises(PermissionDenied):
                services.assignment_create(actor=actor, person=cast.grid_worker, place=cast.compound1)
        assert not Assignment.objects.exists()

    def test_it_refuses_the_outsider_to_assign_in_home(self, cast):
        with pytest.raises(PermissionDenied):
            services.assignment_create(actor=cast.outsider, person=cast.grid_worker, place=cast.compound1)

    def test_it_refuses_a_grid_leader_to_end_an_assignment_in_another_grid(self, cast):
        assignment = services.assignment_create(actor=cast.director, person=cast.director, place=cast.compound2)
        with pytest.raises(PermissionDenied):
            services.assignment_end(actor=cast.grid_leader, assignment=assignment)
        assert Assignment.objects.get(pk=assignment.pk).active


class RoleGrantTests:
    def test_it_grants_a_role_in_a_grid(self, cast):
        membership = services.role_grant(
            actor=cast.director, user=cast.grid_worker, role=Role.GRID_LEADER, area=cast.grid2
        )
        assert (membership.scope_path, membership.scope_name) == (cast.grid2.path, "第二网格")
        worker = User.objects.get(pk=cast.grid_worker.pk)
        assert Compound.objects.for_user(worker, Action.ADD).filter(pk=cast.compound2.pk).exists()

    def test_it_grants_a_building_leader_a_compound(self, cast):
        membership = services.role_grant(
            actor=cast.director, user=cast.grid_worker, role=Role.BUILDING_LEADER, compound=cast.compound2
        )
        assert membership.scope_path == cast.compound2.area_path

    def test_it_refuses_a_role_at_the_wrong_level(self, cast):
        for role, where in [
            (Role.BUILDING_LEADER, {"area": cast.grid1}),
            (Role.BUILDING_LEADER, {"area": cast.home}),
            (Role.GRID_WORKER, {"compound": cast.compound1}),
            (Role.GRID_LEADER, {"area": cast.subdistrict}),
            (Role.DIRECTOR, {"area": cast.grid1}),
            (Role.PARTNER_REP, {"area": cast.grid1}),
            (Role.SUBDISTRICT_ADMIN, {"area": cast.home}),
            (Role.AUDITOR, {"area": cast.grid1}),
        ]:
            refuses(partial(services.role_grant, actor=None, user=cast.grid_worker, role=role, **where), "role")

    def test_it_wants_exactly_one_scope(self, cast):
        with pytest.raises(ValidationError):
            services.role_grant(actor=None, user=cast.grid_worker, role=Role.GRID_WORKER)
        with pytest.raises(ValidationError):
            services.role_grant(
                actor=None, user=cast.grid_worker, role=Role.VOLUNTEER, area=cast.grid1, compound=cast.compound1
            )

    def test_it_refuses_roles_that_may_not_manage_members(self, cast):
        for actor in (cast.grid_leader, cast.auditor, cast.outsider):
            with pytest.raises(PermissionDenied):
                services.role_grant(actor=actor, user=cast.resident, role=Role.GRID_WORKER, area=cast.grid1)
        assert not Membership.objects.filter(user=cast.resident, role=Role.GRID_WORKER).exists()
