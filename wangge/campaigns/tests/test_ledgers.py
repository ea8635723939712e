"""The indicator system in Excel: the export in the import's layout, the import that replaces a campaign's tree
(round trip, merged and blank cells, numbering, every refusal writing nothing), the template, and the pages."""

import datetime
import io
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Choices
from django.http import multipartparser
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import Cast
from wangge.campaigns import ledgers, services
from wangge.campaigns.models import Campaign, EvidenceKind, Indicator, IndicatorAssignment, Level, Method, Scoring
from wangge.campaigns.tests.conftest import END, START, Tree
from wangge.core.ledgers import LedgerFileError
from wangge.core.models import AuditEvent, ImportJob
from wangge.inspections.models import Target

pytestmark = pytest.mark.usefixtures("english")

HEADERS = [
    "测评项目",
    "测评内容",
    "测评标准",
    "测评方法",
    "分值",
    "编号",
    "项目分值",
    "内容分值",
    "计分方式",
    "巡查对象",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def workbook(rows: list[list[Any]], headers: list[str] = HEADERS, merges: tuple[str, ...] = (), above=()) -> bytes:
    """A workbook with `headers` (after the `above` rows, a title say), one list per row, cells merged."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in above:
        sheet.append(row)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_merges(content: bytes, refs: list[str]) -> bytes:
    """The workbook with merged ranges written straight into its sheet's XML, as a crafted file would have them
    (openpyxl would make a cell object for every cell of a range down to row 1048576)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>", f'</sheetData><mergeCells count="{len(refs)}">{merges}</mergeCells>'.encode()
                )
            target.writestr(info, data)
    return buffer.getvalue()


def write(tmp: Path, rows: list[list[Any]], **options: Any) -> Path:
    path = tmp / "indicators.xlsx"
    path.write_bytes(workbook(rows, **options))
    return path


# The conftest tree (20 points) as a file in the national layout, items and contents left blank below; choices
# are written as their labels.
TREE_ROWS = [
    ["市容环境", "楼院卫生", "楼院无卫生死角", Method.FIELD, 5, "1.1.1", 12, 8, Scoring.INSPECTIONS, Target.COMPOUND],
    [None, None, "垃圾桶配置到位", Method.FIELD, 3, "1.1.2"],
    [None, "门店秩序", "门店无店外经营", Method.FIELD, 4, "1.2.1", None, 4, Scoring.INSPECTIONS, Target.SHOP],
    ["为民服务", "问题办理", "群众反映问题按期办结", Method.DATA, 6, "2.1.1", 8, 8, Scoring.CASE_ON_TIME],
    [None, None, "工作台账齐全", Method.MATERIALS, 2, "2.1.2"],
]  # fmt: skip


def label(value: Any) -> Any:
    """A choice as the sheet shows it: its label in the active language."""
    return str(value.label) if isinstance(value, Choices) else value


def tree_rows(**changes: Any) -> list[list[Any]]:
    """TREE_ROWS with cells changed: {"r2c5": value} sets row 2 (1-based, below the header), column 5."""
    rows = [[label(cell) for cell in row] + [None] * (len(HEADERS) - len(row)) for row in TREE_ROWS]
    for key, value in changes.items():
        row, column = key[1:].split("c")
        rows[int(row) - 1][int(column) - 1] = value
    return rows


def stored(campaign: Campaign) -> list[tuple]:
    """The campaign's tree as stored, field by field."""
    return list(
        Indicator.objects.filter(campaign=campaign)
        .order_by("order", "pk")
        .values_list(
            "pk", "level", "code", "text", "points", "method", "parent__code", "order", "public", "scoring",
            "inspection_target", "evidence_required", "case_category_id",
        )
    )  # fmt: skip


def shape(campaign: Campaign) -> list[tuple]:
    """The tree without ids or orders: what two campaigns with the same system have in common."""
    return [row[1:7] + row[8:12] for row in stored(campaign)]


class Untouched:
    """The campaign's tree and the audit log's length, to show a refused import wrote nothing."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.before = (stored(campaign), Indicator.objects.count(), AuditEvent.objects.count())

    def check(self) -> None:
        assert (stored(self.campaign), Indicator.objects.count(), AuditEvent.objects.count()) == self.before


def exported(campaign: Campaign, tmp: Path) -> Path:
    path, _standards = ledgers.export_tree(campaign)
    target = tmp / "export.xlsx"
    path.rename(target)
    return target


def another_campaign(cast: Cast, total: Any = 20) -> Campaign:
    return services.campaign_create(
        actor=None, community=cast.home, name="文明城市创建", starts_on=START, ends_on=END, total_points=total
    )


def browser(cast: Cast, who: Any) -> Client:
    """A browser signed in as `who` (None: anonymous) that reads the pages in English."""
    client = cast.client(who)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def problems(result: ledgers.TreeImport) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.message) for error in result.errors]


class IndicatorExportTests:
    def test_it_writes_one_row_per_standard_with_items_and_contents_merged(self, tree: Tree, media: Path):
        sheet = openpyxl.load_workbook(exported(tree.campaign, media)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0] == [
            "Assessment item", "Assessment content", "Assessment standard", "Assessment method", "Points", "Number",
            "Item points", "Content points", "Scoring", "Inspected places", "Public", "Evidence required",
        ]  # fmt: skip
        assert rows[1] == [
            "市容环境", "楼院卫生", "楼院无卫生死角", label(Method.FIELD), 5, "1.1.1", 12, 8,
            label(Scoring.INSPECTIONS), label(Target.COMPOUND), "是", 1,
        ]  # fmt: skip
        assert rows[2] == [None, None, "垃圾桶配置到位", label(Method.FIELD), 3, "1.1.2", None, None] + [
            label(Scoring.MANUAL), None, "否", 1,
        ]  # fmt: skip
        assert [row[5] for row in rows[1:]] == ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]
        assert rows[5][3:] == [label(Method.MATERIALS), 2, "2.1.2", None, None, label(Scoring.MANUAL), None, "否", 2]
        assert sorted(str(cells) for cells in sheet.merged_cells.ranges) == sorted(
            ["A2:A4", "G2:G4", "B2:B3", "H2:H3", "A5:A6", "G5:G6", "B5:B6", "H5:H6"]
        )

    def test_it_keeps_a_text_that_looks_like_a_formula_a_text(self, cast: Cast, media: Path):
        campaign = another_campaign(cast, total=None)
        item = services.indicator_save(actor=None, campaign=campaign, level=Level.ITEM, code="1", text="=1+1", points=1)
        sheet = openpyxl.load_workbook(exported(campaign, media)).active
        assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=1+1"
        assert item.text == "=1+1"


class IndicatorImportTests:
    def test_it_imports_its_own_export_without_changing_anything(self, cast: Cast, tree: Tree, media: Path):
        untouched = Untouched(tree.campaign)
        result = ledgers.import_tree(tree.campaign, exported(tree.campaign, media), actor=cast.director)
        assert result.applied and problems(result) == []
        assert (result.counts.created, result.counts.updated, result.counts.unchanged, result.counts.deleted) == (
            0, 0, 10, 0,
        )  # fmt: skip
        untouched.check()

    def test_it_builds_the_same_tree_in_another_campaign_and_changes_nothing_the_second_time(
        self, cast: Cast, tree: Tree, media: Path
    ):
        path = exported(tree.campaign, media)
        campaign = another_campaign(cast)
        first = ledgers.import_tree(campaign, path, actor=cast.director)
        assert (first.applied, first.counts.created) == (True, 10)
        assert shape(campaign) == shape(tree.campaign)
        assert AuditEvent.objects.filter(action="indicator.create", actor=cast.director).count() == 10
        untouched = Untouched(campaign)
        second = ledgers.import_tree(campaign, path, actor=cast.director)
        assert (second.applied, second.counts.unchanged, second.counts.created, second.counts.updated) == (
            True, 10, 0, 0,
        )  # fmt: skip
        untouched.check()

    def test_it_keeps_what_a_file_with_fewer_columns_does_not_say(self, cast: Cast, tree: Tree, media: Path):
        untouched = Untouched(tree.campaign)
        five = [row[:5] for row in tree_rows()]  # the national minimum: no scoring, public flag or evidence count
        result = ledgers.import_tree(tree.campaign, write(media, five, headers=HEADERS[:5]), actor=cast.director)
        assert problems(result) == [] and (result.counts.unchanged, result.counts.updated) == (10, 0)
        untouched.check()
        # A blank cell in a column the file has means the default.
        rows = tree_rows(r5c9=label(Scoring.MANUAL))
        rows[0][8] = None  # 1.1.1: scored by hand now, so no inspected places either
        rows[0][9] = None
        result = ledgers.import_tree(tree.campaign, write(media, rows), actor=cast.director)
        assert problems(result) == [] and result.counts.updated == 1
        tree.sweep.refresh_from_db()
        assert (tree.sweep.scoring, tree.sweep.inspection_target, tree.sweep.public) == (Scoring.MANUAL, "", True)

    def test_it_reads_merged_and_blank_cells_as_the_same_as_above(self, cast: Cast, media: Path):
        rows = tree_rows(r2c1=None, r5c2="问题办理")
        # Items merged over their rows (A2:A4, A5:A6), the first content merged over two rows, the second's blank.
        path = write(media, rows, merges=("A2:A4", "A5:A6", "B2:B3", "D2:D3", "G2:G4"))
        campaign = another_campaign(cast)
        result = ledgers.import_tree(campaign, path, actor=cast.director)
        assert problems(result) == []
        by_code = {i.code: i for i in Indicator.objects.filter(campaign=campaign).select_related("parent")}
        parents = [(c, i.level, i.parent.code if i.parent else None) for c, i in sorted(by_code.items())]
        assert parents == [
            ("1", Level.ITEM, None), ("1.1", Level.CONTENT, "1"), ("1.1.1", Level.STANDARD, "1.1"),
            ("1.1.2", Level.STANDARD, "1.1"), ("1.2", Level.CONTENT, "1"), ("1.2.1", Level.STANDARD, "1.2"),
            ("2", Level.ITEM, None), ("2.1", Level.CONTENT, "2"), ("2.1.1", Level.STANDARD, "2.1"),
            ("2.1.2", Level.STANDARD, "2.1"),
        ]  # fmt: skip
        # The merged method holds for the row it covers; items and contents add up their standards.
        assert by_code["1.1.2"].method == Method.FIELD
        assert [by_code[c].points for c in ("1", "1.1", "1.2", "2")] == [12, 8, 4, 8]

    def test_it_numbers_by_position_and_keeps_a_numbered_text_as_it_is(self, cast: Cast, media: Path):
        rows = [
            ["一、组织领导", "（一）领导机制", "成立创建工作领导小组", "材料审核", 2],
            [None, None, "制定年度创建工作计划", "查阅资料", 1],
            [None, "（二）宣传发动", "宣传栏覆盖主要路段", "实地考察", 1],
            ["1 市容环境", "环境卫生", "背街小巷干净整洁", "实地查看", 6, None, None, None, "巡查合格率", "楼院"],
        ]
        campaign = another_campaign(cast, total=10)
        result = ledgers.import_tree(campaign, write(media, rows), actor=cast.director)
        assert problems(result) == []
        assert [(i.code, i.text) for i in Indicator.objects.filter(campaign=campaign).order_by("order")] == [
            ("1", "一、组织领导"), ("1.1", "（一）领导机制"), ("1.1.1", "成立创建工作领导小组"),
            ("1.1.2", "制定年度创建工作计划"), ("1.2", "（二）宣传发动"), ("1.2.1", "宣传栏覆盖主要路段"),
            ("2", "1 市容环境"), ("2.1", "环境卫生"), ("2.1.1", "背街小巷干净整洁"),
        ]  # fmt: skip
        last = Indicator.objects.get(campaign=campaign, code="2.1.1")
        assert (last.method, last.scoring, last.inspection_target) == (Method.FIELD, Scoring.INSPECTIONS, "compound")

    def test_it_takes_the_numbers_of_items_and_contents_from_the_standards(self, cast: Cast, media: Path):
        rows = [
            ["组织领导", "领导机制", "成立领导小组", "材料审核", 2, "3.2.1"],
            [None, None, "制定计划", "材料审核", 1],
        ]
        campaign = another_campaign(cast, total=None)
        assert problems(ledgers.import_tree(campaign, write(media, rows), actor=cast.director)) == []
        codes = list(Indicator.objects.filter(campaign=campaign).order_by("order").values_list("code", flat=True))
        assert codes == ["3", "3.2", "3.2.1", "3.2.2"]

    def test_it_finds_the_header_under_a_title_and_leaves_out_columns_it_does_not_know(self, cast: Cast, media: Path):
        rows = [[*row[:5], "备注"] for row in tree_rows()]
        headers = ["测评项目", "测评内容", "测评标准", "测评方法", "分值", "备注"]
        path = write(media, rows, headers=headers, above=[["俭学街社区四城联创测评体系"]])
        campaign = another_campaign(cast)
        result = ledgers.import_tree(campaign, path, actor=cast.director)
        assert problems(result) == [] and result.ignored == ["备注"]
        assert Indicator.objects.filter(campaign=campaign, level=Level.STANDARD).count() == 5

    @pytest.mark.parametrize(
        ("changes", "row", "column", "message"),
        [
            ({"r1c1": None}, 2, "Assessment item", "There is no item above this row"),
            ({"r1c2": None}, 2, "Assessment content", "There is no content above this row under its item"),
            ({"r4c2": "门店秩序"}, 5, "Assessment content", "“门店秩序” is already under the item “市容环境” (row 4)"),
            ({"r4c1": None, "r4c2": "楼院卫生"}, 5, "Assessment content", "“楼院卫生” already appeared in row 2"),
            ({"r4c1": "市容环境", "r3c1": "为民服务"}, 5, "Assessment item", "“市容环境” already appeared in row 2"),
            ({"r2c4": None}, 3, "Assessment method", "Say how the standard is assessed."),
            ({"r2c5": None}, 3, "Points", "Give the standard's points."),
            ({"r2c5": "三分"}, 3, "Points", "Enter a number."),
            ({"r2c5": -3, "r1c5": 11}, 3, "Points", "Points cannot be negative."),
            ({"r2c6": "1.1.1"}, 3, "Number", "The number 1.1.1 is used twice (rows 2 and 3)."),
            ({"r2c6": "1.2.1"}, 3, "Number", "The number 1.2.1 does not fit under its content, numbered 1.1."),
            ({"r1c7": 13}, 2, "Item points", "市容环境 has 13 points, but the indicators under it add up to 12."),
            ({"r3c8": 4.5}, 4, "Content points", "门店秩序 has 4.5 points, but the indicators under it add up to 4."),
            ({"r2c7": 11}, 3, "Item points", "Row 2 gives 12 points here"),
            (
                {"r5c5": 1, "r4c7": None, "r4c8": None},
                0,
                "Item points",
                "The items add up to 19 points, but the campaign's full score is 20.",
            ),
            ({"r1c4": "拍照片"}, 2, "Assessment method", "“拍照片” is not one of: "),
            ({"r2c9": "按感觉"}, 3, "Scoring", "“按感觉” is not one of: "),
            ({"r2c10": "楼院"}, 3, "Inspected places", "only for a standard scored from inspections"),
            ({"r2c3": None}, 3, "Assessment standard", "Give the standard's text."),
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(
        self, cast: Cast, tree: Tree, media: Path, changes, row, column, message
    ):
        rows = tree_rows(**changes)
        untouched = Untouched(tree.campaign)
        result = ledgers.import_tree(
            tree.campaign, write(media, rows), actor=cast.director, error_path=media / "e.xlsx"
        )
        assert not result.applied
        assert any(r == row and c == column and message in m for r, c, m in problems(result)), problems(result)
        untouched.check()
        errors = list(openpyxl.load_workbook(media / "e.xlsx").active.values)
        assert errors[0] == ("Row", "Column", "Problem") and any(message in e[2] for e in errors[1:])

    @pytest.mark.parametrize("record", ["assignment", "withdrawn evidence", "plan task"])
    def test_it_keeps_a_standard_with_records_missing_from_the_file_and_says_so(
        self, cast: Cast, tree: Tree, media: Path, record: str
    ):
        if record == "assignment":
            services.assignment_save(actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        elif record == "withdrawn evidence":
            evidence = services.evidence_file(
                actor=cast.grid_leader, indicator=tree.bins, area=cast.grid1, kind=EvidenceKind.MEETING,
                title="分类桶配置会", occurred_on=START, text="到会8人",
            )  # fmt: skip
            services.evidence_withdraw(actor=cast.grid_leader, evidence=evidence, reason="重复")
        else:
            plan = services.work_plan_create(actor=cast.director, campaign=tree.campaign, name="工作计划")
            phase = services.phase_save(actor=cast.director, plan=plan, name="集中整治", starts_on=START, ends_on=END)
            services.task_save(
                actor=cast.director, plan=plan, phase=phase, title="配齐分类桶", owner=cast.grid_leader,
                area=cast.grid1, starts_on=START, due_on=END, indicators=[tree.bins],
            )  # fmt: skip
        rows = tree_rows(r1c7=None, r1c8=None, r4c7=None, r4c8=None, r5c5=5)  # 2.1.2 takes over the 3 points
        del rows[1]  # 1.1.2
        untouched = Untouched(tree.campaign)
        result = ledgers.import_tree(tree.campaign, write(media, rows), actor=cast.director)
        assert problems(result) == [
            (
                0,
                "Number",
                "Standard 1.1.2 “垃圾桶配置到位” has assignments, evidence or tasks but is not in the file: "
                "add it back, or take its records off first.",
            )
        ]
        untouched.check()

    def test_it_reads_heading_rows_for_items_and_contents(self, cast: Cast, media: Path):
        rows = [
            ["一、组织领导", None, None, None, None, None, 3],
            [None, "（一）领导机制", None, None, None, None, None, 3],
            [None, None, "成立创建工作领导小组", "材料审核", 2],
            [None, None, "制定年度创建工作计划", "材料审核", 1],
            ["二、市容环境", None, None, None, None, None, 0],
        ]
        campaign = another_campaign(cast, total=3)
        assert problems(ledgers.import_tree(campaign, write(media, rows), actor=cast.director)) == []
        assert list(Indicator.objects.filter(campaign=campaign).order_by("order").values_list("code", "points")) == [
            ("1", 3), ("1.1", 3), ("1.1.1", 2), ("1.1.2", 1), ("2", 0),
        ]  # fmt: skip

    def test_it_replaces_the_tree_removing_what_has_no_records(self, cast: Cast, tree: Tree, media: Path):
        services.assignment_save(actor=cast.director, indicator=tree.sweep, area=cast.grid1, person=cast.grid_leader)
        rows = [
            ["市容环境", "楼院卫生", "楼院无卫生死角（含楼道）", label(Method.FIELD), 9, "1.1.1", None, None,
             label(Scoring.INSPECTIONS), label(Target.COMPOUND)],
            [None, None, "门前三包落实", "实地考察", 3, "1.1.3"],
            ["为民服务", "问题办理", "工作台账齐全", label(Method.MATERIALS), 8, "2.1.2"],
        ]  # fmt: skip
        result = ledgers.import_tree(tree.campaign, write(media, rows), actor=cast.director)
        assert problems(result) == []
        counts = result.counts
        assert (counts.created, counts.updated, counts.unchanged, counts.deleted) == (1, 5, 1, 4)
        now = Indicator.objects.filter(campaign=tree.campaign).order_by("order")
        assert [(i.code, i.text, i.points) for i in now] == [
            ("1", "市容环境", 12), ("1.1", "楼院卫生", 12), ("1.1.1", "楼院无卫生死角（含楼道）", 9),
            ("1.1.3", "门前三包落实", 3), ("2", "为民服务", 8), ("2.1", "问题办理", 8), ("2.1.2", "工作台账齐全", 8),
        ]  # fmt: skip
        # The standard with an assignment kept its identity and its assignment.
        assert Indicator.objects.get(code="1.1.1", campaign=tree.campaign).pk == tree.sweep.pk
        assert IndicatorAssignment.objects.get().indicator_id == tree.sweep.pk
        assert set(AuditEvent.objects.filter(action="indicator.delete").values_list("object_id", flat=True)) == {
            str(i.pk) for i in (tree.bins, tree.content12, tree.shops, tree.closure)
        }

    def test_it_gives_a_number_to_a_node_of_another_level(self, cast: Cast, media: Path):
        campaign = another_campaign(cast, total=None)
        item = services.indicator_save(
            actor=None, campaign=campaign, level=Level.ITEM, code="1", text="旧项目", points=1
        )
        content = services.indicator_save(
            actor=None, campaign=campaign, level=Level.CONTENT, code="1.1.1", text="旧内容", points=1, parent=item
        )
        rows = [["组织领导", "领导机制", "成立领导小组", "材料审核", 1]]
        result = ledgers.import_tree(campaign, write(media, rows), actor=cast.director)
        assert problems(result) == []
        assert list(Indicator.objects.filter(campaign=campaign).values_list("code", "level").order_by("order")) == [
            ("1", Level.ITEM), ("1.1", Level.CONTENT), ("1.1.1", Level.STANDARD),
        ]  # fmt: skip
        assert not Indicator.objects.filter(pk=content.pk).exists()

    def test_it_lets_only_those_who_run_the_campaign_import(self, cast: Cast, tree: Tree, media: Path):
        path = exported(tree.campaign, media)
        for who in (cast.grid_leader, cast.grid_worker, cast.auditor, cast.outsider):
            with pytest.raises(PermissionDenied):
                ledgers.import_tree(tree.campaign, path, actor=who)

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"not a workbook", "This file is not an Excel workbook (.xlsx)."),
            (workbook([["组织领导"]], headers=["测评项目", "测评标准"]), "Missing columns: Assessment content"),
            (workbook([], headers=HEADERS), "The sheet has no indicators under its header row."),
            (workbook([], headers=["测评项目", "项目", *HEADERS[1:]]), "appears twice"),
        ],
    )
    def test_it_refuses_a_file_it_cannot_read(self, cast: Cast, tree: Tree, media: Path, content, message):
        path = media / "bad.xlsx"
        path.write_bytes(content)
        untouched = Untouched(tree.campaign)
        with pytest.raises(LedgerFileError) as caught:
            ledgers.import_tree(tree.campaign, path, actor=cast.director)
        assert message in str(caught.value)
        untouched.check()

    def test_it_fills_a_merge_in_only_for_the_rows_and_columns_it_reads(self, cast: Cast, media: Path):
        # A few kilobytes: the second item merged down to Excel's last row, and a column no header names.
        path = media / "merged.xlsx"
        path.write_bytes(with_merges(workbook(tree_rows()), ["A5:A1048576", "T2:T1048576"]))
        tracemalloc.start()
        try:
            sheet = ledgers.read_sheet(path)
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"
        assert [(row.number, row.raw["item"], "item" in row.shared) for row in sheet.rows] == [
            (2, "市容环境", False), (3, None, False), (4, None, False), (5, "为民服务", False), (6, "为民服务", True),
        ]  # fmt: skip
        result = ledgers.import_tree(another_campaign(cast), path, actor=cast.director)
        assert result.applied, problems(result)

    @pytest.mark.parametrize(
        "refs",
        [["AAAA1:AAAA2"], ["A2:A99999999999"], ["A2:A4", "A3:A5"]],
        ids=["column-past-xfd", "row-past-1048576", "overlapping"],
    )
    def test_it_refuses_merged_ranges_no_spreadsheet_program_writes(self, cast: Cast, media: Path, refs: list[str]):
        path = media / "crafted.xlsx"
        path.write_bytes(with_merges(workbook(tree_rows()), refs))
        campaign = another_campaign(cast)
        with pytest.raises(LedgerFileError) as caught:
            ledgers.import_tree(campaign, path, actor=cast.director)
        assert str(caught.value) == "This file is not an Excel workbook (.xlsx), or it is damaged."
        assert not Indicator.objects.filter(campaign=campaign).exists()

    def test_it_counts_blank_rows_towards_the_limit(self, cast: Cast, media: Path, monkeypatch):
        monkeypatch.setattr(ledgers, "MAX_ROWS", 5)
        rows = tree_rows()
        path = write(media, [*rows[:4], [None] * len(HEADERS), rows[4]])
        with pytest.raises(LedgerFileError) as caught:
            ledgers.read_sheet(path)
        assert str(caught.value) == "The sheet has more than 5 rows: that is not one indicator system."
        assert [row.number for row in ledgers.read_sheet(write(media, rows)).rows] == [2, 3, 4, 5, 6]

    def test_it_keeps_a_formula_out_of_the_error_workbook(self, cast: Cast, tree: Tree, media: Path):
        # A leading space hid the formula from the check; the problem then quoted the text into the workbook.
        evil = ' =HYPERLINK("http://evil.example/x","点击")'
        path = write(media, tree_rows(r1c1=evil))
        errors = media / "errors.xlsx"
        result = ledgers.import_tree(another_campaign(cast), path, actor=cast.director, error_path=errors)
        assert not result.applied
        formula = "This cell holds a formula; paste its value instead (Paste Special → Values)."
        assert (2, "Assessment item", formula) in problems(result)
        with zipfile.ZipFile(errors) as archive:
            assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()

    def test_it_refuses_a_standards_own_cells_merged_over_two_rows(self, cast: Cast, media: Path):
        campaign = another_campaign(cast, total=None)
        path = write(media, tree_rows(r1c7=None, r1c8=None, r3c8=None), merges=("E2:E3",))
        result = ledgers.import_tree(campaign, path, actor=cast.director)
        assert (3, "Points", "This cell is merged with the row above: every standard has its own Points.") in problems(
            result
        )
        assert not Indicator.objects.filter(campaign=campaign).exists()


class IndicatorTemplateTests:
    def test_it_has_the_headers_drop_downs_and_an_example_that_imports_as_it_is(self, cast: Cast, media: Path):
        book = ledgers.template_workbook()
        sheet = book.worksheets[0]
        assert [cell.value for cell in sheet[1]][:6] == [
            "Assessment item*", "Assessment content*", "Assessment standard*", "Assessment method*", "Points*",
            "Number",
        ]  # fmt: skip
        validated = {
            str(ref) for validation in sheet.data_validations.dataValidation for ref in validation.sqref.ranges
        }
        assert {"D2:D100000", "I2:I100000", "J2:J100000", "K2:K100000"} <= validated
        path = media / "template.xlsx"
        book.save(path)
        campaign = another_campaign(cast, total=10)
        result = ledgers.import_tree(campaign, path, actor=cast.director)
        assert problems(result) == []
        assert list(
            Indicator.objects.filter(campaign=campaign).order_by("order").values_list("code", "level", "points")
        ) == [
            ("1", "item", 4), ("1.1", "content", 3), ("1.1.1", "standard", 2), ("1.1.2", "standard", 1),
            ("1.2", "content", 1), ("1.2.1", "standard", 1), ("2", "item", 6), ("2.1", "content", 4),
            ("2.1.1", "standard", 3), ("2.1.2", "standard", 1), ("2.2", "content", 2), ("2.2.1", "standard", 2),
        ]  # fmt: skip
        shops = Indicator.objects.get(campaign=campaign, code="2.2.1")
        assert (shops.scoring, shops.inspection_target, shops.public) == (Scoring.INSPECTIONS, "shop", True)

    def test_it_imports_in_chinese_too(self, cast: Cast, media: Path):
        with translation.override("zh-hans"):
            path = media / "template.xlsx"
            ledgers.template_workbook().save(path)
            campaign = another_campaign(cast, total=None)
            assert problems(ledgers.import_tree(campaign, path, actor=cast.director)) == []
        assert Indicator.objects.filter(campaign=campaign).count() == 12


class IndicatorPageTests:
    def url(self, tree: Tree) -> str:
        return reverse("campaigns:indicator_import", args=[tree.campaign.pk])

    def upload(self, cast: Cast, tree: Tree, content: bytes, who=None):
        return browser(cast, who or cast.director).post(
            self.url(tree), {"file": SimpleUploadedFile("测评体系.xlsx", content, content_type=XLSX)}
        )

    def test_it_shows_the_form_with_the_template_to_the_director(self, cast: Cast, tree: Tree):
        response = browser(cast, cast.director).get(self.url(tree))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'type="file"' in page and reverse("campaigns:indicator_template") in page
        assert reverse("campaigns:indicator_export", args=[tree.campaign.pk]) in page

    def test_it_imports_a_good_file_and_shows_the_counts(self, cast: Cast, tree: Tree, media: Path):
        content = exported(tree.campaign, media).read_bytes()
        response = self.upload(cast, tree, content)
        assert response.status_code == 200
        assert "0 created, 0 updated, 10 unchanged, 0 deleted." in response.content.decode()
        job = ImportJob.objects.get()
        assert (job.ledger, job.status, job.actor, job.unchanged, job.area_path) == (
            "campaign_indicators", "done", cast.director, 10, tree.campaign.area_path,
        )  # fmt: skip
        # The run is listed among the director's imports, and its page opens.
        assert browser(cast, cast.director).get(reverse("ledgers:job", args=[job.pk])).status_code == 200

    def test_it_lists_the_problems_with_the_error_workbook_and_writes_nothing(self, cast: Cast, tree: Tree):
        untouched = Untouched(tree.campaign)
        response = self.upload(cast, tree, workbook(tree_rows(r2c4=None, r2c5="三分")))
        assert response.status_code == 400
        page = response.content.decode()
        assert "Say how the standard is assessed." in page and "Enter a number." in page
        job = ImportJob.objects.get()
        assert job.status == "rejected" and reverse("ledgers:job_errors", args=[job.pk]) in page
        errors = browser(cast, cast.director).get(reverse("ledgers:job_errors", args=[job.pk]))
        assert errors.status_code == 200
        rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active.values)
        assert (3, "Assessment method", "Say how the standard is assessed.") in rows
        untouched.check()

    def test_it_refuses_a_body_too_large_before_reading_it(self, cast: Cast, tree: Tree, settings, monkeypatch):
        settings.IMPORT_MAX_MB = 1
        parsed: list[int] = []
        parse = multipartparser.MultiPartParser.parse
        monkeypatch.setattr(multipartparser.MultiPartParser, "parse", lambda self: parsed.append(1) or parse(self))
        untouched = Untouched(tree.campaign)
        response = self.upload(cast, tree, b"PK" + b"0" * (2 * 2**20))
        assert response.status_code == 413
        assert "The file is too large: at most 1 MB can be imported at once." in response.content.decode()
        assert parsed == [] and not ImportJob.objects.exists()
        untouched.check()

    def test_it_checks_the_csrf_token_after_the_size(self, cast: Cast, tree: Tree):
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.director)
        response = client.post(self.url(tree), {"file": SimpleUploadedFile("测评体系.xlsx", workbook(tree_rows()))})
        assert response.status_code == 403 and not ImportJob.objects.exists()

    def test_it_says_why_a_file_cannot_be_read(self, cast: Cast, tree: Tree):
        response = self.upload(cast, tree, b"plain text")
        assert response.status_code == 400
        assert "This file is not an Excel workbook (.xlsx)." in response.content.decode()
        response = browser(cast, cast.director).post(self.url(tree), {})
        assert response.status_code == 400 and "This field is required." in response.content.decode()

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor"])
    def test_it_answers_403_to_those_who_do_not_run_the_campaign(self, cast: Cast, tree: Tree, who: str):
        client = browser(cast, getattr(cast, who))
        assert client.get(self.url(tree)).status_code == 403
        assert self.upload(cast, tree, workbook(tree_rows()), who=getattr(cast, who)).status_code == 403
        assert not ImportJob.objects.exists()

    def test_it_answers_404_outside_the_community_and_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree):
        assert browser(cast, cast.outsider).get(self.url(tree)).status_code == 404
        response = browser(cast, None).get(self.url(tree))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


class IndicatorDownloadTests:
    def test_it_exports_the_tree_audited_with_a_chinese_file_name(self, cast: Cast, tree: Tree):
        response = browser(cast, cast.director).get(reverse("campaigns:indicator_export", args=[tree.campaign.pk]))
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        assert "filename*=utf-8''%E5%9B%9B%E5%9F%8E%E8%81%94%E5%88%9B" in response["Content-Disposition"]
        assert 'filename="indicators-' in response["Content-Disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert sheet["F2"].value == "1.1.1"
        event = AuditEvent.objects.get(action="export.campaign_indicators")
        assert (event.actor, event.area_path, event.after["standards"]) == (cast.director, tree.campaign.area_path, 5)

    @pytest.mark.parametrize(("who", "status"), [("grid_leader", 200), ("auditor", 200), ("grid_worker", 403)])
    def test_it_exports_to_those_with_the_export_right(self, cast: Cast, tree: Tree, who: str, status: int):
        url = reverse("campaigns:indicator_export", args=[tree.campaign.pk])
        assert browser(cast, getattr(cast, who)).get(url).status_code == status

    def test_it_answers_404_outside_the_community_and_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree):
        url = reverse("campaigns:indicator_export", args=[tree.campaign.pk])
        assert browser(cast, cast.outsider).get(url).status_code == 404
        assert browser(cast, None).get(url).status_code == 302
        assert not AuditEvent.objects.filter(action="export.campaign_indicators").exists()

    def test_it_gives_the_template_to_campaign_staff(self, cast: Cast):
        url = reverse("campaigns:indicator_template")
        response = browser(cast, cast.grid_worker).get(url)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        assert openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]["C2"].value.startswith("成立")
        assert browser(cast, cast.resident).get(url).status_code == 403
        assert browser(cast, None).get(url).status_code == 302


def test_the_example_adds_up() -> None:
    assert sum(Decimal(row[4]) for row in ledgers.EXAMPLE) == 10
    assert datetime.date(2014, 6, 1) == START
