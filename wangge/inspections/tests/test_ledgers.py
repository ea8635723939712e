"""The inspections' ledgers: the checklists imported into drafts through the services (never into a used
version; an export imported again changes nothing; every problem listed with its row and column; only those who
write standards import), and the streamed, scoped export of inspections."""

import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from wangge.accounts.roles import Action
from wangge.cases.models import Case
from wangge.core import ledgers
from wangge.core.models import AuditEvent, ImportJob
from wangge.inspections import services
from wangge.inspections.ledgers import CHECKLIST_ITEMS, INSPECTIONS
from wangge.inspections.models import Checklist, ChecklistItem, Inspection, Result, Severity, Target

HOME = "410105008004"
ITEM_KEYS = [column.key for column in CHECKLIST_ITEMS.columns if column.imported]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)},
    }


def in_use(code: str) -> Checklist:
    return Checklist.objects.get(code=code, status="published")


def workbook(rows: list[dict[str, Any]]) -> bytes:
    """A checklists ledger with the template's headers and one row per dict (column key → cell)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([str(column.header) for column in CHECKLIST_ITEMS.columns if column.imported])
    for row in rows:
        sheet.append([row.get(key) for key in ITEM_KEYS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(workbook(rows))
    return path


def exported(code: str) -> list[dict[str, Any]]:
    """The version in use of a checklist as the export writes it, read back as row dicts."""
    items = ChecklistItem.objects.filter(checklist=in_use(code))
    path = ledgers.export(CHECKLIST_ITEMS, CHECKLIST_ITEMS.export_queryset(items).iterator(), reveal=False)
    rows = list(openpyxl.load_workbook(path, read_only=True).active.values)
    path.unlink()
    # A read-only sheet leaves out the empty cells at the end of a row.
    return [dict(zip(ITEM_KEYS, [*row, *[None] * len(ITEM_KEYS)], strict=False)) for row in rows[1:]]


def run(path: Path, actor: Any, scope: Any, **options: Any) -> ledgers.ImportResult:
    return ledgers.run_import(CHECKLIST_ITEMS, path, actor=actor, scope=scope, **options)


def problems(result: ledgers.ImportResult) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.errors]


def state() -> tuple[list[tuple], list[tuple], int]:
    """Every checklist and item as stored, and the audit log's length: what a refused import leaves alone."""
    checklists = list(Checklist.objects.order_by("pk").values_list("pk", "code", "version", "name", "status"))
    items = list(ChecklistItem.objects.order_by("pk").values_list(*["pk", "checklist_id", "code", "points", "order"]))
    return checklists, items, AuditEvent.objects.count()


def row(**values: Any) -> dict[str, Any]:
    base = {
        "checklist": "night-market",
        "name": "夜市检查表",
        "target": label(Target.SHOP),
        "code": "YS01",
        "section": "卫生",
        "text": "摊位周边无垃圾",
        "points": 10,
        "severity": "minor",
        "category": "C02",
        "trades": "",
        "photo_required": "是",
        "rectify_hours": None,
    }
    return {**base, **values}


def label(choice: Any) -> str:
    """A choice's label as the interface shows it (the ledger takes it in either language, or its code)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def header(key: str) -> str:
    with translation.override("zh-hans"):
        return str(next(column.header for column in CHECKLIST_ITEMS.columns if column.key == key))


def inspect(cast: Any, place: Any, code: str, *, failing: str = "", days_ago: int = 0) -> Inspection:
    checklist = in_use(code)
    answers = {item.code: services.Answer(Result.PASS) for item in services.items_for(checklist, place)}
    if failing:
        ChecklistItem.objects.filter(checklist=checklist, code=failing).update(photo_required=False)
        answers[failing] = services.Answer(Result.FAIL, note="不合格")
    return services.inspection_record(
        actor=cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=timezone.now() - datetime.timedelta(days=days_ago, minutes=5),
        now=timezone.now() - datetime.timedelta(days=days_ago, minutes=5),  # entered at the time
    )


class ChecklistImportTests:
    def test_it_creates_a_new_checklist_as_a_draft_through_the_services(self, cast, tmp_path) -> None:
        rows = [
            row(code="YS01", severity=label(Severity.CRITICAL)),
            row(
                code="YS02",
                text="不占道经营",
                points="15",
                trades="小餐饮、hotel",
                photo_required="否",
                rectify_hours=12,
            ),
        ]
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert result.applied, result.errors
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (2, 0, 0)
        checklist = Checklist.objects.get(code="night-market")
        assert (checklist.version, checklist.status, checklist.target, checklist.name) == (
            1,
            "draft",
            "shop",
            "夜市检查表",
        )
        items = list(checklist.items.order_by("order"))
        assert [(i.code, i.points, i.severity, i.order) for i in items] == [
            ("YS01", 10, "critical", 1),
            ("YS02", 15, "minor", 2),
        ]
        assert (items[1].trades, items[1].photo_required, items[1].rectify_hours) == (
            ["hotel", "restaurant"],
            False,
            12,
        )
        actions = list(AuditEvent.objects.filter(actor=cast.director).values_list("action", flat=True))
        assert sorted(actions) == ["checklist.create", "checklist.item_save", "checklist.item_save"]

    def test_it_imports_an_exported_checklist_unchanged(self, cast, tmp_path) -> None:
        inspect(cast, cast.shop1, "shop-standards")
        rows = exported("compound-sanitation") + exported("shop-standards") + exported("office-building")
        before = state()
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert result.applied, result.errors
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 0, 27)
        assert state() == before

    def test_it_puts_a_changed_checklist_into_a_new_draft_never_into_the_used_version(self, cast, tmp_path) -> None:
        used = in_use("shop-standards")
        inspect(cast, cast.shop1, "shop-standards")
        rows = [row for row in exported("shop-standards") if row["code"] != "LG01"]  # an item left out
        rows[1]["points"] = 20  # MD02 changed
        rows.insert(0, {**rows[0], "code": "MD00", "text": "门头牌匾安全牢固"})  # a new item, first
        used_items = list(used.items.order_by("pk").values_list("code", "points", "order"))
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert result.applied, result.errors
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (1, 1, 11)
        draft = Checklist.objects.get(code="shop-standards", version=2)
        assert (draft.status, draft.name) == ("draft", used.name)
        codes = list(draft.items.order_by("order").values_list("code", flat=True))
        assert codes[:3] == ["MD00", "MD01", "MD02"] and "LG01" not in codes and len(codes) == 13
        assert draft.items.get(code="MD02").points == 20
        used.refresh_from_db()
        assert used.status == "published"
        assert list(used.items.order_by("pk").values_list("code", "points", "order")) == used_items
        # The director puts the draft in use on the checklist's page; the same file then changes nothing.
        services.checklist_publish(actor=cast.director, checklist=draft)
        again = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert again.counts.unchanged == 13 and not Checklist.objects.filter(code="shop-standards", version=3).exists()

    def test_it_puts_a_new_name_into_a_draft_too(self, cast, tmp_path) -> None:
        rows = [{**row, "name": "写字楼检查表（2025版）"} for row in exported("office-building")]
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 5, 0)
        draft = Checklist.objects.get(code="office-building", status="draft")
        assert draft.name == "写字楼检查表（2025版）" and in_use("office-building").name == "写字楼检查表"
        assert draft.items.count() == 5

    def test_it_writes_into_the_open_draft(self, cast, tmp_path) -> None:
        draft = services.checklist_new_version(
            actor=cast.director, checklist=in_use("office-building"), community=cast.home
        )
        rows = exported("office-building")
        rows[0]["points"] = 25
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert result.applied
        assert Checklist.objects.filter(code="office-building").count() == 2
        assert draft.items.get(code="XZ01").points == 25
        assert in_use("office-building").items.get(code="XZ01").points == 20

    def test_it_lists_every_problem_with_its_row_and_column_and_writes_nothing(self, cast, tmp_path) -> None:
        rows = [
            row(code="YS01"),
            row(code="YS02", category="Z99"),
            row(code="YS03", trades="小餐饮、烧烤摊"),
            row(code="YS04", points=0),
            row(code="YS05", points=101),
            row(code="YS01"),
            row(code="YS06", text=""),
            row(code="YS07", name="另一个名字"),
            row(checklist="compound-sanitation", name="楼院环境卫生检查表", code="HY01"),
            row(code="YS08", target="游乐场"),
            row(code="YS09", checklist="坏 代码"),
        ]
        before = state()
        error_path = tmp_path / "errors.xlsx"
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home, error_path=error_path)
        assert not result.applied
        assert problems(result) == [
            (3, header("category")),
            (4, header("trades")),
            (5, header("points")),
            (6, header("points")),
            (7, ""),
            (8, header("text")),
            (9, header("name")),
            (10, header("target")),
            (11, header("target")),
            (12, header("checklist")),
        ]
        assert "Z99" in result.errors[0].message and "烧烤摊" in result.errors[1].message
        assert state() == before
        lines = list(openpyxl.load_workbook(error_path).active.values)
        assert [line[0] for line in lines[1:]] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]

    def test_it_gives_trades_to_shop_checklists_only(self, cast, tmp_path) -> None:
        rows = [row(checklist="office-x", name="写字楼附加", target="office", trades="小餐饮")]
        result = run(write(tmp_path / "c.xlsx", rows), cast.director, cast.home)
        assert problems(result) == [(2, header("trades"))]

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor"])
    def test_it_lets_only_those_who_write_standards_import_it(self, cast, tmp_path, who) -> None:
        before = state()
        with pytest.raises(ledgers.LedgerFileError):
            run(write(tmp_path / "c.xlsx", [row()]), getattr(cast, who), cast.home)
        assert state() == before


class ChecklistLedgerPageTests:
    def upload(self, client: Any, rows: list[dict[str, Any]]) -> Any:
        file = SimpleUploadedFile("检查表.xlsx", workbook(rows))
        return client.post("/ledgers/checklist_items/import/", {"community": HOME, "file": file})

    def test_it_offers_the_template_with_drop_downs(self, cast) -> None:
        page = cast.client(cast.grid_worker).get("/ledgers/").content.decode()
        assert "/ledgers/checklist_items/template.xlsx" in page
        assert "/ledgers/inspections/template.xlsx" not in page  # export only
        response = cast.client(cast.director).get("/ledgers/checklist_items/template.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        assert [cell.value for cell in sheet[1]][:4] == [
            f"{header(k)}*" for k in ("checklist", "name", "target", "code")
        ]
        validated = {str(v.sqref).split(":")[0][0] for v in sheet.data_validations.dataValidation}
        assert validated == {"C", "H", "K"}  # place kind, severity, photo required

    def test_it_lets_the_director_import_through_the_page(self, cast) -> None:
        response = self.upload(cast.client(cast.director), [row()])
        job = ImportJob.objects.get()
        assert response.status_code == 302 and (job.status, job.created) == ("done", 1)
        assert Checklist.objects.filter(code="night-market", status="draft").exists()

    def test_it_tells_a_grid_leader_only_the_director_imports_it(self, cast) -> None:
        self.upload(cast.client(cast.grid_leader), [row()])
        job = ImportJob.objects.get()
        assert job.status == "failed" and job.message
        assert not Checklist.objects.filter(code="night-market").exists()

    def test_it_keeps_anonymous_visitors_and_the_outsider_from_importing_here(self, cast) -> None:
        assert self.upload(cast.client(None), [row()]).status_code == 302
        # The outsider may not import into this community (their own is next door).
        assert self.upload(cast.client(cast.outsider), [row()]).status_code == 400
        assert not ImportJob.objects.exists()


class InspectionLedgerTests:
    def test_it_exports_one_row_per_inspection(self, cast) -> None:
        first = inspect(cast, cast.compound1, "compound-sanitation", failing="HY03", days_ago=6)
        case = Case.objects.get(findings__inspection=first)
        Case.objects.filter(pk=case.pk).update(state="closed", verified_at=timezone.now() - datetime.timedelta(days=3))
        again = inspect(cast, cast.compound1, "compound-sanitation", failing="HY03")
        new_case = Case.objects.exclude(pk=case.pk).get(findings__inspection=again)
        inspect(cast, cast.office, "office-building", days_ago=1)
        queryset = Inspection.objects.for_user(cast.director, Action.EXPORT)
        path = ledgers.export(
            INSPECTIONS, INSPECTIONS.export_queryset(queryset).iterator(chunk_size=2000), reveal=False
        )
        rows = list(openpyxl.load_workbook(path, read_only=True).active.values)
        path.unlink()
        with translation.override("zh-hans"):
            assert rows[0] == tuple(str(column.header) for column in INSPECTIONS.columns)
        assert len(rows) == 4
        latest = rows[1]
        assert latest[0] == timezone.localtime(again.inspected_at).strftime("%Y-%m-%d %H:%M")
        assert latest[1:] == (
            cast.grid1.name,
            str(Target.COMPOUND.label),
            "T-C01",
            "测试一号院",
            "compound-sanitation",
            1,
            cast.director.display_name,
            float(again.score),
            "是",
            "HY03",
            1,
            new_case.number,
        )
        assert rows[2][3] == "T-O1" and rows[2][10] is None and rows[2][12] is None
        assert rows[3][12] == case.number

    def test_it_exports_only_the_rows_it_is_given(self, cast) -> None:
        inspect(cast, cast.compound1, "compound-sanitation")
        queryset = Inspection.objects.for_user(cast.outsider, Action.EXPORT)
        path = ledgers.export(
            INSPECTIONS, INSPECTIONS.export_queryset(queryset).iterator(chunk_size=2000), reveal=False
        )
        rows = list(openpyxl.load_workbook(path, read_only=True).active.values)
        path.unlink()
        assert len(rows) == 1

    def test_it_streams_with_as_many_queries_for_many_rows_as_for_few(self, cast) -> None:
        def count() -> int:
            queryset = Inspection.objects.for_user(cast.director, Action.EXPORT)
            with CaptureQueriesContext(connection) as context:
                rows = INSPECTIONS.export_queryset(queryset).iterator(chunk_size=2000)
                ledgers.export(INSPECTIONS, rows, reveal=False).unlink()
            return len(context.captured_queries)

        inspect(cast, cast.compound1, "compound-sanitation", failing="HY01")
        few = count()
        for days in range(7, 0, -1):  # in the order they took place
            inspect(cast, cast.compound2, "compound-sanitation", failing="HY02", days_ago=days)
            inspect(cast, cast.shop1, "shop-standards", days_ago=days)
        assert count() == few

    def test_it_is_registered_as_an_export_only_ledger(self) -> None:
        assert ledgers.get("inspections") is INSPECTIONS
        assert not any(column.imported for column in INSPECTIONS.columns)
