"""The territory's commands: `wangge import grids` and `wangge role grant|list|revoke`."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import box
from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.core.models import AuditEvent
from wangge.territory import services
from wangge.territory.models import Area, AreaKind, Compound

EAST = (113.6625, 34.7865, 113.6690, 34.7920)


@pytest.fixture
def east(cast) -> Area:
    """A community of the subdistrict without grids yet."""
    return services.area_create(
        actor=None,
        kind=AreaKind.COMMUNITY,
        code="410105008006",
        name="东邻社区",
        parent=cast.subdistrict,
        boundary=box(*EAST),
    )


def geojson(tmp_path: Path, *grids: tuple[str, str, tuple[float, float, float, float]]) -> Path:
    path = tmp_path / "grids.geojson"
    features = [
        {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": box(*bounds)}
        for code, name, bounds in grids
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows() -> tuple[int, int]:
    return Area.objects.count(), AuditEvent.objects.count()


class ImportGridsTests:
    def test_it_imports_grids_that_cover_the_community(self, east, tmp_path):
        path = geojson(
            tmp_path,
            ("410105008006001", "东邻第一网格", (113.6625, 34.7865, 113.6655, 34.7920)),
            ("410105008006002", "东邻第二网格", (113.6655, 34.7865, 113.6690, 34.7920)),
        )
        out, err = run("import", "grids", str(path), "--community", east.code)
        assert "imported 2 grids into 东邻社区" in out
        assert "warning" not in out
        assert err == ""
        grids = Area.objects.filter(parent=east).order_by("code")
        assert [(g.code, g.name, g.kind) for g in grids] == [
            ("410105008006001", "东邻第一网格", AreaKind.GRID),
            ("410105008006002", "东邻第二网格", AreaKind.GRID),
        ]
        assert (
            AuditEvent.objects.filter(
                action="area.create", actor=None, object_id__in=[str(g.pk) for g in grids]
            ).count()
            == 2
        )

    def test_it_warns_of_a_gap(self, east, tmp_path):
        path = geojson(tmp_path, ("410105008006001", "东邻第一网格", (113.6625, 34.7865, 113.6655, 34.7920)))
        out, _err = run("import", "grids", str(path), "--community", east.code)
        assert "warning:" in out
        gap = int(out.split("warning: ")[1].split(" ")[0])
        assert 185_000 < gap < 205_000  # the eastern 0.0035° × 0.0055°
        assert Area.objects.filter(parent=east).count() == 1

    def test_it_refuses_overlapping_grids_and_writes_nothing(self, east, tmp_path):
        path = geojson(
            tmp_path,
            ("410105008006001", "东邻第一网格", (113.6625, 34.7865, 113.6665, 34.7920)),
            ("410105008006002", "东邻第二网格", (113.6655, 34.7865, 113.6690, 34.7920)),
        )
        before = rows()
        err = io.StringIO()
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import", "grids", str(path), "--community", east.code, stdout=io.StringIO(), stderr=err)
        assert "东邻第一网格" in err.getvalue()
        assert "东邻第二网格" in err.getvalue()
        assert rows() == before

    def test_it_refuses_a_grid_overlapping_an_existing_one(self, cast, tmp_path):
        path = geojson(tmp_path, ("410105008004003", "第三网格", (113.6580, 34.7865, 113.6600, 34.7900)))
        before = rows()
        with pytest.raises(CommandError):
            run("import", "grids", str(path), "--community", cast.home.code)
        assert rows() == before

    def test_it_refuses_an_unknown_community(self, cast, tmp_path):
        path = geojson(tmp_path, ("410105008009001", "无", (113.6625, 34.7865, 113.6655, 34.7920)))
        for code in ("410105008009", cast.grid1.code):
            with pytest.raises(CommandError, match="no community"):
                run("import", "grids", str(path), "--community", code)

    def test_it_refuses_a_file_that_is_not_a_feature_collection(self, east, tmp_path):
        unreadable = tmp_path / "bad.geojson"
        unreadable.write_text("{not json", encoding="utf-8")
        with pytest.raises(CommandError, match="cannot read"):
            run("import", "grids", str(unreadable), "--community", east.code)
        polygon = tmp_path / "polygon.geojson"
        polygon.write_text(json.dumps(box(*EAST)), encoding="utf-8")
        with pytest.raises(CommandError, match="FeatureCollection"):
            run("import", "grids", str(polygon), "--community", east.code)
        with pytest.raises(CommandError, match="cannot read"):
            run("import", "grids", str(tmp_path / "missing.geojson"), "--community", east.code)


class RoleCommandTests:
    def test_it_grants_a_role_in_an_area(self, cast):
        out, _err = run("role", "grant", "--user", "gridworker", "--role", "grid_leader", "--area", cast.grid2.code)
        assert out.startswith("granted:")
        membership = Membership.objects.get(user=cast.grid_worker, role=Role.GRID_LEADER)
        assert (membership.scope_path, membership.active) == (cast.grid2.path, True)
        assert AuditEvent.objects.filter(action="membership.grant", object_id=str(membership.pk), actor=None).exists()
        worker = User.objects.get(pk=cast.grid_worker.pk)
        assert Compound.objects.for_user(worker).filter(code="T-C02").exists()

    def test_it_grants_a_building_leader_a_compound(self, cast):
        run("role", "grant", "--user", "gridworker", "--role", "building_leader", "--compound", "T-C02")
        membership = Membership.objects.get(user=cast.grid_worker, role=Role.BUILDING_LEADER)
        assert membership.scope_path == cast.compound2.area_path

    @pytest.mark.parametrize(
        "args",
        [
            ("--user", "gridworker", "--role", "building_leader", "--area", "410105008004001"),
            ("--user", "gridworker", "--role", "grid_worker", "--compound", "T-C01"),
            ("--user", "nobody", "--role", "grid_worker", "--area", "410105008004001"),
            ("--user", "gridworker", "--role", "grid_worker", "--area", "410105008004999"),
            ("--user", "gridworker", "--role", "grid_worker", "--compound", "T-C99"),
        ],
        ids=[
            "building-leader-on-an-area",
            "grid-worker-on-a-compound",
            "unknown-user",
            "unknown-area",
            "unknown-compound",
        ],
    )
    def test_it_refuses_a_bad_grant(self, cast, args):
        before = Membership.objects.count()
        with pytest.raises(CommandError):
            run("role", "grant", *args)
        assert Membership.objects.count() == before

    def test_it_refuses_an_unknown_role(self, cast):
        with pytest.raises(CommandError):
            run("role", "grant", "--user", "gridworker", "--role", "mayor", "--area", cast.grid1.code)

    def test_it_lists_roles(self, cast):
        out, _err = run("role", "list")
        lines = out.strip().splitlines()
        assert len(lines) == Membership.objects.filter(active=True).count() == 7
        assert f"gridleader\tgrid_leader\t第一网格\t{cast.grid1.path}" in lines

    def test_it_lists_one_users_roles(self, cast):
        out, _err = run("role", "list", "--user", "buildingleader")
        assert out.strip().splitlines() == [f"buildingleader\tbuilding_leader\t测试一号院\t{cast.compound1.area_path}"]

    def test_it_revokes_a_role(self, cast):
        out, _err = run("role", "revoke", "--user", "gridleader", "--role", "grid_leader", "--area", cast.grid1.code)
        assert out.startswith("revoked:")
        membership = Membership.objects.get(user=cast.grid_leader, role=Role.GRID_LEADER)
        assert not membership.active
        assert AuditEvent.objects.filter(action="membership.revoke", object_id=str(membership.pk)).exists()
        leader = User.objects.get(pk=cast.grid_leader.pk)
        assert not Compound.objects.for_user(leader).exists()
        listing, _err = run("role", "list", "--user", "gridleader")
        assert listing == ""

    def test_it_revokes_a_building_leaders_compound(self, cast):
        run("role", "revoke", "--user", "buildingleader", "--role", "building_leader", "--compound", "T-C01")
        assert not Membership.objects.get(user=cast.building_leader).active

    def test_it_refuses_to_revoke_a_role_not_held(self, cast):
        with pytest.raises(CommandError, match="no such active role"):
            run("role", "revoke", "--user", "gridworker", "--role", "grid_leader", "--area", cast.grid1.code)

    def test_it_grants_a_revoked_role_again(self, cast):
        run("role", "revoke", "--user", "gridleader", "--role", "grid_leader", "--area", cast.grid1.code)
        run("role", "grant", "--user", "gridleader", "--role", "grid_leader", "--area", cast.grid1.code)
        assert Membership.objects.filter(user=cast.grid_leader, role=Role.GRID_LEADER, active=True).count() == 1
