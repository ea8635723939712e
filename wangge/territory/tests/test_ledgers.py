"""The territory's ledgers: compounds, buildings, shops and partner units imported through the services and
exported again; scope, rights, natural keys, masked personal data, and the unchanged round trip."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from wangge.core import ledgers
from wangge.core.models import AuditEvent
from wangge.territory.ledgers import BUILDINGS, COMPOUNDS, PARTNER_UNITS, SHOPS
from wangge.territory.models import Building, Compound, PartnerUnit, Shop


def headers(ledger: ledgers.Ledger) -> list[str]:
    return [str(column.header) for column in ledger.columns if column.imported]


def xlsx(path: Path, ledger: ledgers.Ledger, rows: list[dict[str, Any]]) -> Path:
    """A workbook with the ledger's headers and one row per dict (column key → cell)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    columns = [column for column in ledger.columns if column.imported]
    sheet.append([str(column.header) for column in columns])
    for row in rows:
        sheet.append([row.get(column.key) for column in columns])
    workbook.save(path)
    return path


def run(ledger: ledgers.Ledger, path: Path, actor: Any, scope: Any, **options: Any) -> ledgers.ImportResult:
    return ledgers.run_import(ledger, path, actor=actor, scope=scope, **options)


def messages(result: ledgers.ImportResult) -> str:
    return " | ".join(f"{e.row}:{e.column}:{e.message}" for e in result.errors)


def snapshot(model: type) -> list[tuple]:
    """Every stored row of a model, with personal data in clear, for before/after comparisons."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("updated_at",)]
    return [tuple(getattr(row, f) for f in fields) for row in model.objects.order_by("pk")]


class CompoundLedgerTests:
    def test_it_creates_and_updates_through_the_services(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "T-C09", "name": "新建院", "area": cast.grid2.code, "management": "none"},
                {
                    "code": "T-C01",
                    "name": "测试一号院（改）",
                    "area": cast.grid1.code,
                    "management": "none",
                    "longitude": 113.6570,
                    "latitude": 34.7880,
                },
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert result.applied, messages(result)
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (1, 1, 0)
        created = Compound.objects.get(code="T-C09")
        assert created.area == cast.grid2
        assert Compound.objects.get(code="T-C01").name == "测试一号院（改）"
        actions = set(AuditEvent.objects.filter(object_type="territory.compound").values_list("action", flat=True))
        assert {"compound.create", "compound.update"} <= actions

    def test_it_accepts_management_by_its_label_or_code(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "T-C09", "name": "院", "area": cast.grid2.code, "management": "property_company"},
                {"code": "T-C10", "name": "院", "area": cast.grid2.code, "management": "unmanaged (no managing body)"},
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert result.applied, messages(result)
        assert Compound.objects.get(code="T-C10").management == "none"

    def test_it_refuses_a_grid_of_another_community(self, cast, tmp_path) -> None:
        before = Compound.objects.count()
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "T-C09", "name": "院", "area": cast.next_grid.code, "management": "none"},
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert not result.applied
        assert result.errors[0].row == 2
        assert cast.next_grid.code in result.errors[0].message
        assert Compound.objects.count() == before

    def test_it_refuses_to_pull_a_compound_over_from_next_door(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "N-C01", "name": "邻里一号院", "area": cast.grid1.code, "management": "none"},
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert not result.applied
        assert Compound.objects.get(code="N-C01").area == cast.next_grid

    def test_it_limits_a_grid_leader_to_their_grid(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "T-C09", "name": "一格院", "area": cast.grid1.code, "management": "none"},
                {"code": "T-C10", "name": "二格院", "area": cast.grid2.code, "management": "none"},
            ],
        )
        result = run(COMPOUNDS, path, cast.grid_leader, cast.home)
        assert result.error_rows == {3}
        assert not Compound.objects.filter(code__in=["T-C09", "T-C10"]).exists()
        result = run(COMPOUNDS, path, cast.grid_leader, cast.home, apply_valid=True)
        assert result.counts.created == 1
        assert list(Compound.objects.filter(code__in=["T-C09", "T-C10"]).values_list("code", flat=True)) == ["T-C09"]

    def test_it_refuses_a_point_outside_the_grid(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {
                    "code": "T-C09",
                    "name": "院",
                    "area": cast.grid1.code,
                    "management": "none",
                    "longitude": 113.6620,
                    "latitude": 34.7900,
                },
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert not result.applied
        assert result.errors[0].column == str(COMPOUNDS.columns[6].header)

    def test_it_refuses_a_bad_code(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "c.xlsx",
            COMPOUNDS,
            [
                {"code": "院/1", "name": "院", "area": cast.grid1.code, "management": "none"},
            ],
        )
        result = run(COMPOUNDS, path, cast.director, cast.home)
        assert not result.applied
        assert result.errors[0].column == str(COMPOUNDS.columns[0].header)


class BuildingLedgerTests:
    def test_it_puts_a_building_in_its_compound_grid(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "b.xlsx",
            BUILDINGS,
            [
                {"code": "T-C02-B1", "name": "二号院1号楼", "compound": cast.compound2.code, "floors": 6},
                {"code": "T-O2", "name": "写字楼二", "kind": "office building", "area": cast.grid1.code},
            ],
        )
        result = run(BUILDINGS, path, cast.director, cast.home)
        assert result.applied, messages(result)
        building = Building.objects.get(code="T-C02-B1")
        assert (building.area, building.compound, building.floors) == (cast.grid2, cast.compound2, 6)
        assert Building.objects.get(code="T-O2").kind == "office"

    def test_it_refuses_a_compound_of_another_community_and_a_contradicting_grid(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "b.xlsx",
            BUILDINGS,
            [
                {"code": "T-X1", "name": "楼", "compound": cast.next_compound.code},
                {"code": "T-X2", "name": "楼", "compound": cast.compound2.code, "area": cast.grid1.code},
                {"code": "T-X3", "name": "楼"},
            ],
        )
        result = run(BUILDINGS, path, cast.director, cast.home)
        assert result.error_rows == {2, 3, 4}
        assert not Building.objects.filter(code__startswith="T-X").exists()


class ShopLedgerTests:
    def shop_row(self, cast, **fields: Any) -> dict[str, Any]:
        return {
            "code": "T-S009",
            "name": "新店",
            "trade": "小餐饮",
            "area": cast.grid1.code,
            "address": "俭学街9号",
            **fields,
        }

    def test_it_creates_a_shop_with_its_trade_and_contact(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "s.xlsx", SHOPS, [self.shop_row(cast, contact_name="王五", contact_phone="139 0000 5678")]
        )
        result = run(SHOPS, path, cast.director, cast.home)
        assert result.applied, messages(result)
        shop = Shop.objects.get(code="T-S009")
        assert (shop.trade.code, shop.contact_name, shop.contact_phone, shop.status) == (
            "restaurant",
            "王五",
            "13900005678",
            "open",
        )

    def test_it_knows_a_shop_by_its_licence_under_a_new_number(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "s.xlsx",
            SHOPS,
            [
                self.shop_row(
                    cast, code="T-S101", name="测试面馆", licence_number=cast.shop1.licence_number, address="俭学街1号"
                ),
            ],
        )
        result = run(SHOPS, path, cast.director, cast.home)
        assert result.counts.updated == 1, messages(result)
        cast.shop1.refresh_from_db()
        assert cast.shop1.code == "T-S101"
        assert not Shop.objects.filter(code="T-S001").exists()

    def test_it_refuses_a_number_that_another_shop_holds(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "s.xlsx",
            SHOPS,
            [
                self.shop_row(cast, code="T-S002", licence_number=cast.shop1.licence_number),
            ],
        )
        result = run(SHOPS, path, cast.director, cast.home)
        assert not result.applied
        assert Shop.objects.get(pk=cast.shop1.pk).code == "T-S001"

    def test_it_counts_the_same_licence_twice_as_a_duplicate(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "s.xlsx",
            SHOPS,
            [
                self.shop_row(cast, code="T-S201", licence_number="L-1"),
                self.shop_row(cast, code="T-S202", licence_number="L-1"),
                self.shop_row(cast, code="T-S201", licence_number="L-2"),
            ],
        )
        result = run(SHOPS, path, cast.director, cast.home)
        assert result.error_rows == {3, 4}
        assert not Shop.objects.filter(code__in=["T-S201", "T-S202"]).exists()

    def test_a_masked_contact_keeps_the_stored_one(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "s.xlsx",
            SHOPS,
            [
                {
                    "code": "T-S001",
                    "name": "测试面馆",
                    "trade": "小餐饮",
                    "area": cast.grid1.code,
                    "address": "俭学街1号",
                    "licence_number": cast.shop1.licence_number,
                    "contact_name": "甄**",
                    "contact_phone": "138****1234",
                },
            ],
        )
        result = run(SHOPS, path, cast.director, cast.home)
        assert result.counts.unchanged == 1, messages(result)
        cast.shop1.refresh_from_db()
        assert (cast.shop1.contact_name, cast.shop1.contact_phone) == ("甄测试", "13800001234")

    def test_a_masked_contact_cannot_start_a_new_shop(self, cast, tmp_path) -> None:
        path = xlsx(tmp_path / "s.xlsx", SHOPS, [self.shop_row(cast, contact_phone="138****1234")])
        result = run(SHOPS, path, cast.director, cast.home)
        assert not result.applied
        assert result.errors[0].column == str(SHOPS.columns[7].header)

    def test_it_refuses_an_unknown_trade_and_a_bad_phone(self, cast, tmp_path) -> None:
        path = xlsx(tmp_path / "s.xlsx", SHOPS, [self.shop_row(cast, trade="炼钢", contact_phone="12345")])
        result = run(SHOPS, path, cast.director, cast.home)
        assert {e.column for e in result.errors} == {str(SHOPS.columns[2].header)}
        path = xlsx(tmp_path / "s.xlsx", SHOPS, [self.shop_row(cast, contact_phone="12345")])
        result = run(SHOPS, path, cast.director, cast.home)
        assert {e.column for e in result.errors} == {str(SHOPS.columns[7].header)}

    def test_it_exports_contacts_masked_unless_revealed(self, cast) -> None:
        masked = SHOPS.export_row(cast.shop1, reveal=False)
        clear = SHOPS.export_row(cast.shop1, reveal=True)
        assert masked[6:8] == ["甄**", "138****1234"]
        assert clear[6:8] == ["甄测试", "13800001234"]


class PartnerUnitLedgerTests:
    def test_it_files_a_unit_under_the_community_or_one_of_its_grids(self, cast, tmp_path) -> None:
        path = xlsx(
            tmp_path / "p.xlsx",
            PARTNER_UNITS,
            [
                {
                    "code": "T-P2",
                    "name": "某小学",
                    "kind": "public institution",
                    "area": cast.home.code,
                    "contact_phone": "13700001111",
                    "joint_work": "共建书屋",
                },
                {"code": "T-P3", "name": "某公司", "kind": "state_enterprise", "area": cast.grid2.code},
                {"code": "T-P4", "name": "邻里单位", "kind": "government", "area": cast.next_door.code},
            ],
        )
        result = run(PARTNER_UNITS, path, cast.director, cast.home, apply_valid=True)
        assert result.error_rows == {4}
        assert PartnerUnit.objects.get(code="T-P2").area == cast.home
        assert PartnerUnit.objects.get(code="T-P3").area == cast.grid2
        assert not PartnerUnit.objects.filter(code="T-P4").exists()


class RoundTripTests:
    @pytest.mark.parametrize(
        ("ledger", "model"),
        [(COMPOUNDS, Compound), (BUILDINGS, Building), (SHOPS, Shop), (PARTNER_UNITS, PartnerUnit)],
        ids=["compounds", "buildings", "shops", "partner_units"],
    )
    def test_an_exported_ledger_imports_unchanged(self, cast, ledger, model) -> None:
        rows = ledger.export_queryset(model.objects.filter(area_path__startswith=cast.home.path))
        path = ledgers.export(ledger, rows, reveal=False)
        before, events = snapshot(model), AuditEvent.objects.count()
        try:
            result = run(ledger, path, cast.director, cast.home)
        finally:
            path.unlink()
        assert result.errors == []
        assert result.counts.unchanged == rows.count() > 0
        assert (result.counts.created, result.counts.updated) == (0, 0)
        assert snapshot(model) == before
        assert AuditEvent.objects.count() == events


def read_xlsx(response: Any) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values)


class ListExportTests:
    """`?format=xlsx` on the place lists: what the list shows, filters applied, for roles that may export."""

    def test_it_exports_the_filtered_list_in_scope_masked_and_audited(self, cast) -> None:
        response = cast.client(cast.director).get("/shops/?format=xlsx&grid=" + cast.grid1.code)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        rows = read_xlsx(response)
        assert rows[0][0] == str(SHOPS.columns[0].header)
        assert [row[0] for row in rows[1:]] == ["T-S001"]
        assert rows[1][6:8] == ("甄**", "138****1234")
        event = AuditEvent.objects.get(action="export.shops")
        assert event.actor == cast.director
        assert event.after["rows"] == 1 and event.after["filters"] == {"grid": cast.grid1.code}

    def test_out_of_scope_rows_never_appear(self, cast) -> None:
        rows = read_xlsx(cast.client(cast.director).get("/compounds/?format=xlsx"))
        codes = {row[0] for row in rows[1:]}
        assert codes == {"T-C01", "T-C02"}
        rows = read_xlsx(cast.client(cast.grid_leader).get("/compounds/?format=xlsx"))
        assert {row[0] for row in rows[1:]} == {"T-C01"}
        rows = read_xlsx(cast.client(cast.outsider).get("/compounds/?format=xlsx"))
        assert {row[0] for row in rows[1:]} == {"N-C01"}

    @pytest.mark.parametrize("url", ["/compounds/", "/buildings/", "/shops/", "/partner-units/"])
    def test_roles_without_the_export_right_get_403(self, cast, url) -> None:
        for user in (cast.grid_worker, cast.building_leader):
            assert cast.client(user).get(url + "?format=xlsx").status_code == 403
        assert cast.client(None).get(url + "?format=xlsx").status_code == 302
        assert not AuditEvent.objects.filter(action__startswith="export.").exists()

    @pytest.mark.parametrize("url", ["/compounds/", "/buildings/", "/shops/", "/partner-units/"])
    def test_the_list_offers_the_button_to_those_who_may_export(self, cast, url) -> None:
        assert "format=xlsx" in cast.client(cast.auditor).get(url + "?q=T").content.decode()
        assert "format=xlsx" not in cast.client(cast.grid_worker).get(url).content.decode()
        assert cast.client(cast.auditor).get(url + "?format=xlsx").status_code == 200

    def test_the_export_leaves_no_temporary_file(self, cast, tmp_path, monkeypatch) -> None:
        import tempfile

        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        cast.client(cast.director).get("/buildings/?format=xlsx")
        assert list(tmp_path.iterdir()) == []
