"""The assessment binder (迎检台账): the zip's names in the tree's order, the contents workbook and each item's
workbook, the files as they were filed, minutes and linked records, what each person's binder holds (their grid's,
never withdrawn pieces), names safe for Windows, the download's name, its audit and who may have it."""

import datetime
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from wangge.campaigns import binder, services
from wangge.campaigns.models import Evidence, EvidenceKind, Level, Method
from wangge.campaigns.tests.conftest import Tree, jpeg
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category
from wangge.core.models import AuditEvent
from wangge.inspections import services as inspection_services
from wangge.inspections.models import Checklist, Result

pytestmark = pytest.mark.usefixtures("english")

JULY = datetime.date(2014, 7, 1)
PDF = b"%PDF-1.4\n% minutes of the July meeting\n"


def browser(cast: Cast, who: Any) -> Client:
    """A browser signed in as `who` (None: anonymous) that reads the pages in English."""
    client = cast.client(who)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def pdf(name: str, body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@dataclass
class Ledger:
    minutes: Evidence  # 2.1.2, grid 1: a PDF
    meeting: Evidence  # 2.1.2, grid 1: minutes written out
    again: Evidence  # 2.1.2, grid 1: the same date and title as `minutes`
    other_grid: Evidence  # 2.1.2, grid 2
    photo: Evidence  # 1.1.2, grid 1
    withdrawn: Evidence  # 1.1.2, grid 1, withdrawn
    notice: Evidence  # 1.1.1, grid 1: the compound's notice board
    inspection: Evidence  # 1.1.1, grid 1: an inspection of the compound
    case: Evidence  # 2.1.1, grid 1: a case


def file(cast: Cast, tree_: Tree, indicator: Any, title: str, **fields: Any) -> Evidence:
    values = {"actor": cast.grid_leader, "area": cast.grid1, "kind": EvidenceKind.DOCUMENT, "occurred_on": JULY}
    return services.evidence_file(indicator=indicator, title=title, **{**values, **fields})


@pytest.fixture
def ledger(cast: Cast, tree: Tree) -> Ledger:
    checklist = Checklist.objects.filter(code="compound-sanitation", status="published").order_by("pk").first()
    answers = {
        item.code: inspection_services.Answer(Result.PASS)
        for item in inspection_services.items_for(checklist, cast.compound1)
    }
    inspection = inspection_services.inspection_record(
        actor=cast.grid_leader, checklist=checklist, place=cast.compound1, answers=answers
    )
    case = case_services.case_report(
        actor=None,
        category=Category.objects.get(code="C04"),
        description="楼道堆物\n影响通行",
        source="resident",
        compound=cast.compound1,
    )
    withdrawn = file(cast, tree, tree.bins, "错传的照片", kind=EvidenceKind.PHOTO, upload=jpeg())
    services.evidence_withdraw(actor=cast.grid_leader, evidence=withdrawn, reason="传错了")
    return Ledger(
        minutes=file(cast, tree, tree.ledger, "七月例会纪要", upload=pdf("七月例会纪要.pdf")),
        meeting=file(
            cast, tree, tree.ledger, "议事会记录", kind=EvidenceKind.MEETING, text="到会12人，议定分类桶位置。"
        ),
        again=file(cast, tree, tree.ledger, "七月例会纪要", upload=pdf("补充.pdf", b"%PDF-1.4\n% second\n")),
        other_grid=file(
            cast, tree, tree.ledger, "第二网格台账", actor=cast.director, area=cast.grid2, upload=pdf("二.pdf")
        ),
        photo=file(cast, tree, tree.bins, "分类桶/现场:照片?", kind=EvidenceKind.PHOTO, upload=jpeg()),
        withdrawn=withdrawn,
        notice=file(cast, tree, tree.sweep, "一号院公示牌", kind=EvidenceKind.NOTICE, compound=cast.compound1),
        inspection=file(cast, tree, tree.sweep, "七月巡查", kind=EvidenceKind.INSPECTION, inspection=inspection),
        case=file(cast, tree, tree.closure, "堆物处置", kind=EvidenceKind.CASE, case=case),
    )


def download(cast: Cast, tree: Tree, who: Any) -> zipfile.ZipFile:
    response = browser(cast, who).get(reverse("campaigns:binder", args=[tree.campaign.pk]))
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def rows(archive: zipfile.ZipFile, name: str) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read(name))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


ITEM1 = "01 市容环境"
ITEM2 = "02 为民服务"
DAY = JULY.isoformat()


class BinderTests:
    def test_it_lays_out_the_zip_in_the_trees_order(self, cast: Cast, tree: Tree, ledger: Ledger):
        archive = download(cast, tree, cast.director)
        assert archive.namelist() == [
            "00 Contents.xlsx",
            f"{ITEM1}/{ITEM1}.xlsx",
            f"{ITEM1}/1.1.2 垃圾桶配置到位/{DAY} 分类桶_现场_照片_.jpg",
            f"{ITEM2}/{ITEM2}.xlsx",
            f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf",
            f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要 (2).pdf",
            f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 第二网格台账.pdf",
        ]
        # Chinese names are marked UTF-8, so that Windows Explorer and unzip read them right.
        assert all(info.flag_bits & 0x800 for info in archive.infolist() if not info.filename.isascii())

    def test_it_copies_the_files_as_they_were_filed(self, cast: Cast, tree: Tree, ledger: Ledger):
        archive = download(cast, tree, cast.director)
        for evidence, name in [
            (ledger.minutes, f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf"),
            (ledger.again, f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要 (2).pdf"),
            (ledger.photo, f"{ITEM1}/1.1.2 垃圾桶配置到位/{DAY} 分类桶_现场_照片_.jpg"),
        ]:
            with evidence.file.open("rb") as stored:
                assert archive.read(name) == stored.read()
        assert archive.read(f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf") == PDF

    def test_it_lists_the_whole_tree_with_scores_and_evidence_in_the_contents(
        self, cast: Cast, tree: Tree, ledger: Ledger
    ):
        services.assignment_save(actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        assignment = tree.bins.assignments.get()
        services.assignment_score(actor=cast.director, assignment=assignment, score="2.5")
        table = rows(download(cast, tree, cast.director), "00 Contents.xlsx")
        assert table[0] == [
            "Number", "Level", "Text", "Assessment method", "Points", "Self-assessed score",
            "Evidence (filed / required)", "Complete", "Responsible persons", "In this binder",
        ]  # fmt: skip
        assert [row[0] for row in table[1:]] == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "2", "2.1", "2.1.1"] + [
            "2.1.2"
        ]
        by_code = {row[0]: row for row in table[1:]}
        assert by_code["1.1.2"] == [
            "1.1.2", str(Level.STANDARD.label), "垃圾桶配置到位", str(Method.FIELD.label), 3, 2.5, "1/1", "是",
            "第一网格 网格员丙", 1,
        ]  # fmt: skip
        assert by_code["2.1.2"][6:8] == ["4/2", "是"] and by_code["2.1.2"][9] == 4
        assert by_code["1.2.1"][6:10] == ["0/1", "否", None, 0]
        assert by_code["1"][:3] == ["1", str(Level.ITEM.label), "市容环境"] and by_code["1"][4] == 12

    def test_it_lists_each_items_evidence_under_its_standards(self, cast: Cast, tree: Tree, ledger: Ledger):
        archive = download(cast, tree, cast.director)
        table = rows(archive, f"{ITEM2}/{ITEM2}.xlsx")
        assert table[0][0] == "2 为民服务"
        assert [row[:2] for row in table[2:]] == [
            ["2.1", "问题办理"],
            ["2.1.1", "群众反映问题按期办结"],
            [None, "· 堆物处置"],
            ["2.1.2", "工作台账齐全"],
            [None, "· 七月例会纪要"],
            [None, "· 议事会记录"],
            [None, "· 七月例会纪要"],
            [None, "· 第二网格台账"],
        ]
        case_row, minutes_row, meeting_row, again_row, other_row = (table[i] for i in (4, 6, 7, 8, 9))
        assert case_row[8:12] == ["case", DAY, "第一网格", "网格长乙"]
        assert case_row[12] is None
        assert case_row[13] == f"Case {ledger.case.case.number}: 噪声扰民 (reported)"
        assert minutes_row[8:14] == [
            "document", DAY, "第一网格", "网格长乙", f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf", None,
        ]  # fmt: skip
        assert meeting_row[8] == "meeting record" and meeting_row[12:14] == [None, "到会12人，议定分类桶位置。"]
        assert again_row[12].endswith("七月例会纪要 (2).pdf")
        assert other_row[10:13] == ["第二网格", "主任甲", f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 第二网格台账.pdf"]
        sheet = openpyxl.load_workbook(io.BytesIO(archive.read(f"{ITEM2}/{ITEM2}.xlsx"))).active
        assert sheet.cell(row=7, column=13).hyperlink.target == f"2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf"
        first = rows(archive, f"{ITEM1}/{ITEM1}.xlsx")
        linked = {row[1]: row[13] for row in first if row[1] and row[1].startswith("· ")}
        inspection = ledger.inspection.inspection
        assert linked["· 一号院公示牌"] == "Notice board of 测试一号院 (T-C01)"
        assert linked["· 七月巡查"] == (
            f"Inspection of 测试一号院 (T-C01) on {timezone.localtime(inspection.inspected_at).date().isoformat()}: "
            f"{inspection.score} points, pass"
        )
        assert "· 错传的照片" not in linked

    def test_it_names_a_linked_case_without_its_description_or_tracking_code(
        self, cast: Cast, tree: Tree, ledger: Ledger
    ):
        # A description may name residents; the tracking code opens the reporter's page (rate, reopen).
        case = ledger.case.case
        Case.objects.filter(pk=case.pk).update(description="张三家门口堆物 电话13900000000", number=None)
        archive = download(cast, tree, cast.director)
        cells = [
            str(cell)
            for name in archive.namelist()
            if name.endswith(".xlsx")
            for row in rows(archive, name)
            for cell in row
            if cell is not None
        ]
        assert "Case not yet registered: 噪声扰民 (reported)" in cells
        assert not any("张三" in cell or "13900000000" in cell or case.tracking_code in cell for cell in cells)

    def test_it_holds_only_the_evidence_the_person_sees(self, cast: Cast, tree: Tree, ledger: Ledger):
        names = download(cast, tree, cast.grid_leader).namelist()
        assert not any("第二网格台账" in name for name in names)
        assert f"{ITEM2}/2.1.2 工作台账齐全/{DAY} 七月例会纪要.pdf" in names
        made = binder.build(cast.grid_worker, tree.campaign)
        with zipfile.ZipFile(made.path) as archive:
            table = rows(archive, f"{ITEM2}/{ITEM2}.xlsx")
            assert not any("第二网格" in str(cell) for row in table for cell in row)
            assert not any("第二网格台账" in name for name in archive.namelist())
        made.path.unlink()
        assert (made.evidence, made.files) == (7, 3)

    def test_it_leaves_withdrawn_evidence_out(self, cast: Cast, tree: Tree, ledger: Ledger):
        archive = download(cast, tree, cast.director)
        assert not any("错传" in name for name in archive.namelist())
        cells = [
            cell for name in archive.namelist() if name.endswith(".xlsx") for row in rows(archive, name) for cell in row
        ]
        assert not any("错传的照片" in str(cell) for cell in cells)

    def test_it_names_the_download_in_chinese_and_audits_it(self, cast: Cast, tree: Tree, ledger: Ledger):
        response = browser(cast, cast.director).get(reverse("campaigns:binder", args=[tree.campaign.pk]))
        disposition = response["Content-Disposition"]
        assert response["Content-Type"] == "application/zip"
        assert disposition.startswith(f'attachment; filename="binder-{tree.campaign.pk}-')
        assert "filename*=utf-8''%E5%9B%9B%E5%9F%8E%E8%81%94%E5%88%9B%20assessment%20binder%20" in disposition
        event = AuditEvent.objects.get(action="export.campaign_binder")
        assert (event.actor, event.area_path, event.after) == (
            cast.director, tree.campaign.area_path, {"campaign": tree.campaign.pk, "evidence": 8, "files": 4},
        )  # fmt: skip

    def test_it_costs_as_many_queries_for_many_pieces_as_for_few(self, cast: Cast, tree: Tree, ledger: Ledger):
        def queries() -> int:
            with CaptureQueriesContext(connection) as context:
                binder.build(cast.director, tree.campaign).path.unlink()
            return len(context.captured_queries)

        before = queries()
        for index in range(5):
            file(cast, tree, tree.shops, f"门店巡查{index}", kind=EvidenceKind.MEETING, text="记录")
            file(cast, tree, tree.sweep, f"公示{index}", kind=EvidenceKind.NOTICE, compound=cast.compound1)
        assert queries() == before


class BinderAccessTests:
    @pytest.mark.parametrize(("who", "status"), [("director", 200), ("grid_leader", 200), ("auditor", 200)])
    def test_it_gives_the_binder_to_those_with_the_export_right(self, cast: Cast, tree: Tree, who: str, status: int):
        url = reverse("campaigns:binder", args=[tree.campaign.pk])
        assert browser(cast, getattr(cast, who)).get(url).status_code == status

    @pytest.mark.parametrize("who", ["grid_worker", "building_leader", "resident"])
    def test_it_answers_403_without_the_export_right(self, cast: Cast, tree: Tree, who: str):
        url = reverse("campaigns:binder", args=[tree.campaign.pk])
        assert browser(cast, getattr(cast, who)).get(url).status_code == 403
        assert not AuditEvent.objects.filter(action="export.campaign_binder").exists()

    def test_it_answers_404_outside_the_community_and_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree):
        url = reverse("campaigns:binder", args=[tree.campaign.pk])
        assert browser(cast, cast.outsider).get(url).status_code == 404
        response = browser(cast, None).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


class NameTests:
    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ('会议/纪要:第1次?"草稿"', "会议_纪要_第1次__草稿_"),
            ("CON", "_CON"),
            ("aux.txt", "_aux.txt"),
            ("纪要. . ", "纪要"),
            ("  多个   空格\n换行 ", "多个 空格 换行"),
            ("", "_"),
            ("长" * 80, "长" * 40),
        ],
    )
    def test_it_makes_a_name_windows_accepts(self, text: str, name: str):
        assert binder.safe_name(text, 40) == name

    def test_it_keeps_names_unique_in_a_folder_ignoring_case(self):
        folder = binder.Folder("01 项目")
        assert [folder.take("Plan", ".pdf"), folder.take("plan", ".PDF"), folder.take("Plan", ".pdf")] == [
            "01 项目/Plan.pdf",
            "01 项目/plan (2).PDF",
            "01 项目/Plan (3).pdf",
        ]


class DownloadLinkTests:
    """The tree's export and the binder are offered only to those the download would answer."""

    @pytest.mark.parametrize(("who", "offered"), [("director", True), ("grid_leader", True), ("grid_worker", False)])
    def test_it_offers_the_downloads_to_those_with_the_export_right(
        self, cast: Cast, tree: Tree, who: str, offered: bool
    ):
        client = cast.client(getattr(cast, who))
        pages = {
            reverse("campaigns:indicator_tree", args=[tree.campaign.pk]): reverse(
                "campaigns:indicator_export", args=[tree.campaign.pk]
            ),
            reverse("campaigns:evidence_list", args=[tree.campaign.pk]): reverse(
                "campaigns:binder", args=[tree.campaign.pk]
            ),
        }
        for page, download in pages.items():
            response = client.get(page)
            assert response.status_code == 200
            assert (download in response.content.decode()) is offered
            assert client.get(download).status_code == (200 if offered else 403)
