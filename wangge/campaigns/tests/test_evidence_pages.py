"""The evidence ledger pages: the ledger and its filters, filing a piece (every kind, every refusal writing nothing),
one piece, its download, and withdrawing it. Who may open what, what gets written, and what the list costs."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import multipartparser
from django.test import Client
from django.utils import timezone

from conftest import Cast
from wangge.campaigns import services
from wangge.campaigns.evidence_forms import EvidenceForm
from wangge.campaigns.models import Evidence, EvidenceKind, Indicator
from wangge.campaigns.tests.conftest import Tree, files_in, jpeg
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category
from wangge.core.testing import query_counts
from wangge.inspections import services as inspection_services
from wangge.inspections.models import Checklist, Inspection, Result
from wangge.territory.models import Area

DAY = datetime.date(2014, 7, 1)


def browser(cast: Cast, who: str | None) -> Client:
    """A browser signed in as one of the cast (None: anonymous), reading English."""
    client = cast.client(getattr(cast, who) if who else None)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def pdf(name: str = "会议纪要.pdf", body: bytes = b"%PDF-1.4\n% minutes of the meeting\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def file(cast: Cast, indicator: Indicator, area: Area, title: str, *, actor=None, kind=EvidenceKind.DOCUMENT, **extra):
    """A piece of evidence through the service (a PDF unless said otherwise)."""
    if kind == EvidenceKind.DOCUMENT and "upload" not in extra:
        extra["upload"] = pdf()
    return services.evidence_file(
        actor=actor or cast.director,
        indicator=indicator,
        area=area,
        kind=kind,
        title=title,
        occurred_on=DAY,
        **extra,
    )


def list_url(tree: Tree, query: str = "") -> str:
    return f"/campaigns/{tree.campaign.pk}/evidence/{query}"


def new_url(tree: Tree, query: str = "") -> str:
    return f"/campaigns/{tree.campaign.pk}/evidence/new/{query}"


def form(tree: Tree, indicator: Indicator, area: Area, **extra) -> dict:
    """What the filing form posts: a photo of the standard in the area, unless `extra` says otherwise."""
    data = {
        "indicator": str(indicator.pk),
        "area": str(area.pk),
        "kind": EvidenceKind.PHOTO,
        "title": "楼道清理现场",
        "occurred_on": DAY.isoformat(),
    }
    data.update(extra)
    return data


def spy_on_parsing(monkeypatch) -> list[int]:
    """How many multipart bodies get parsed (read, their files spooled to disk) from now on."""
    calls: list[int] = []
    parse = multipartparser.MultiPartParser.parse

    def spy(self):
        calls.append(1)
        return parse(self)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", spy)
    return calls


def standards_shown(response) -> list[str]:
    return [
        row.indicator.code for _item, groups in response.context["ledger"].items for g in groups for row in g.standards
    ]


def inspect(cast: Cast, place, actor) -> Inspection:
    """A passed inspection of a compound through the inspections service."""
    checklist = Checklist.objects.get(target="compound", status="published")
    answers = {
        item.code: inspection_services.Answer(Result.PASS) for item in inspection_services.items_for(checklist, place)
    }
    return inspection_services.inspection_record(actor=actor, checklist=checklist, place=place, answers=answers)


def report(cast: Cast, compound) -> Case:
    """A case reported by a resident in a compound: it gets its number at once."""
    return case_services.case_report(
        actor=None,
        category=Category.objects.get(code="C04"),
        description="楼道堆物",
        source="resident",
        compound=compound,
    )


class EvidenceListTests:
    def test_it_shows_every_standard_in_the_trees_order_with_its_completeness(self, cast: Cast, tree: Tree) -> None:
        file(cast, tree.bins, cast.grid1, "垃圾桶配置照片")
        file(cast, tree.ledger, cast.home, "台账目录")
        response = browser(cast, "director").get(list_url(tree))
        assert response.status_code == 200
        assert standards_shown(response) == ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]
        content = text(response)
        assert 'data-standard="1.1.2" data-complete="yes"' in content
        assert 'data-standard="2.1.2" data-complete="no"' in content
        assert "1 / 2 required" in content
        assert "垃圾桶配置照片" in content and "台账目录" in content
        ledger = response.context["ledger"]
        assert (ledger.standards, ledger.complete, ledger.pieces) == (5, 1, 2)

    def test_it_shows_a_grid_worker_the_pieces_of_their_grid_only(self, cast: Cast, tree: Tree) -> None:
        file(cast, tree.bins, cast.grid1, "第一网格的照片", actor=cast.grid_worker)
        file(cast, tree.bins, cast.grid2, "第二网格的照片")
        worker = text(browser(cast, "grid_worker").get(list_url(tree)))
        assert "第一网格的照片" in worker and "第二网格的照片" not in worker
        director = text(browser(cast, "director").get(list_url(tree)))
        assert "第一网格的照片" in director and "第二网格的照片" in director

    def test_it_filters_by_item_area_kind_and_incomplete_standards(self, cast: Cast, tree: Tree) -> None:
        file(cast, tree.bins, cast.grid1, "垃圾桶配置照片", kind=EvidenceKind.PHOTO, upload=jpeg())
        file(cast, tree.ledger, cast.grid1, "台账目录")
        file(cast, tree.ledger, cast.grid2, "第二网格台账")
        client = browser(cast, "director")
        assert standards_shown(client.get(list_url(tree, f"?item={tree.item2.pk}"))) == ["2.1.1", "2.1.2"]
        by_kind = client.get(list_url(tree, "?kind=photo"))
        assert standards_shown(by_kind) == ["1.1.2"]
        assert "台账目录" not in text(by_kind)
        # Overall the ledger standard has its two pieces; in grid 1 it has one of the two it needs.
        assert "2.1.2" not in standards_shown(client.get(list_url(tree, "?incomplete=on")))
        in_grid1 = client.get(list_url(tree, f"?area={cast.grid1.pk}&incomplete=on"))
        assert standards_shown(in_grid1) == ["1.1.1", "1.2.1", "2.1.1", "2.1.2"]
        assert "第二网格台账" not in text(in_grid1)

    def test_it_ignores_a_filter_it_does_not_understand(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast, "director").get(list_url(tree, f"?kind=selfie&area={cast.next_grid.pk}&item=x"))
        assert response.status_code == 200
        assert len(standards_shown(response)) == 5

    def test_it_leaves_withdrawn_evidence_out(self, cast: Cast, tree: Tree) -> None:
        piece = file(cast, tree.bins, cast.grid1, "拍错了的照片")
        services.evidence_withdraw(actor=cast.director, evidence=piece, reason="拍错了")
        response = browser(cast, "director").get(list_url(tree))
        assert "拍错了的照片" not in text(response)
        assert 'data-standard="1.1.2" data-complete="no"' in text(response)

    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker", "auditor"])
    def test_it_opens_for_the_campaigns_staff(self, cast: Cast, tree: Tree, who: str) -> None:
        assert browser(cast, who).get(list_url(tree)).status_code == 200

    @pytest.mark.parametrize("who", ["building_leader", "resident"])
    def test_it_refuses_roles_that_do_not_work_on_campaigns(self, cast: Cast, tree: Tree, who: str) -> None:
        assert browser(cast, who).get(list_url(tree)).status_code == 403

    def test_it_does_not_confirm_another_communitys_campaign(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast, "outsider").get(list_url(tree)).status_code == 404

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree) -> None:
        assert is_login_redirect(browser(cast, None).get(list_url(tree)))

    def test_it_offers_filing_to_the_field_roles_and_the_binder_to_all(self, cast: Cast, tree: Tree) -> None:
        worker = text(browser(cast, "grid_worker").get(list_url(tree)))
        assert "data-file-evidence" in worker
        auditor = text(browser(cast, "auditor").get(list_url(tree)))
        assert "data-file-evidence" not in auditor
        assert f'href="/campaigns/{tree.campaign.pk}/binder.zip"' in auditor

    def test_it_answers_htmx_with_the_ledger_alone(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast, "director").get(list_url(tree, "?kind=photo"), headers={"HX-Request": "true"})
        assert [t.name for t in response.templates][0] == "campaigns/partials/evidence_ledger.html"
        assert "<html" not in text(response)

    def test_its_queries_do_not_grow_with_the_pieces(self, cast: Cast, tree: Tree) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        file(cast, tree.bins, cast.grid1, "一")
        client = browser(cast, "director")
        urls = [list_url(tree), list_url(tree, f"?area={cast.grid1.pk}")]
        before = query_counts(client, urls)
        for n in range(6):
            file(cast, [tree.bins, tree.ledger, tree.sweep][n % 3], [cast.grid1, cast.grid2][n % 2], f"第{n}份")
        assert query_counts(client, urls) == before


class EvidenceCreateTests:
    def test_it_files_a_photo_for_the_grid_workers_grid(self, cast: Cast, tree: Tree, media: Path) -> None:
        data = form(tree, tree.bins, cast.grid1, file=jpeg())
        response = browser(cast, "grid_worker").post(new_url(tree), data)
        piece = Evidence.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/campaigns/evidence/{piece.pk}/"
        assert (piece.kind, piece.area, piece.filed_by) == ("photo", cast.grid1, cast.grid_worker)
        assert (piece.content_type, piece.file_name) == ("image/jpeg", "现场.jpg")
        assert len(files_in(media)) == 1

    def test_it_files_a_document(self, cast: Cast, tree: Tree) -> None:
        data = form(tree, tree.ledger, cast.home, kind="document", title="工作方案", file=pdf("工作方案.pdf"))
        assert browser(cast, "director").post(new_url(tree), data).status_code == 302
        piece = Evidence.objects.get()
        assert (piece.kind, piece.content_type, piece.file_name) == ("document", "application/pdf", "工作方案.pdf")

    def test_it_files_the_minutes_of_a_meeting_without_a_file(self, cast: Cast, tree: Tree, media: Path) -> None:
        data = form(tree, tree.ledger, cast.grid1, kind="meeting", title="网格例会", text="一、部署创建工作")
        assert browser(cast, "grid_worker").post(new_url(tree), data).status_code == 302
        piece = Evidence.objects.get()
        assert (piece.kind, piece.text, piece.file.name) == ("meeting", "一、部署创建工作", "")
        assert files_in(media) == []

    def test_it_links_a_case_by_its_number(self, cast: Cast, tree: Tree) -> None:
        case = report(cast, cast.compound1)
        data = form(tree, tree.closure, cast.grid1, kind="case", title="办结案件", case=case.number)
        assert browser(cast, "grid_worker").post(new_url(tree), data).status_code == 302
        assert Evidence.objects.get().case == case

    def test_it_links_an_inspection_chosen_from_the_areas_latest(self, cast: Cast, tree: Tree) -> None:
        inspection = inspect(cast, cast.compound1, cast.grid_worker)
        page = browser(cast, "grid_worker").get(new_url(tree, f"?kind=inspection&area={cast.grid1.pk}"))
        assert [pk for pk, _label in page.context["form"].fields["inspection"].choices[1:]] == [inspection.pk]
        data = form(tree, tree.sweep, cast.grid1, kind="inspection", title="巡查记录", inspection=str(inspection.pk))
        assert browser(cast, "grid_worker").post(new_url(tree), data).status_code == 302
        assert Evidence.objects.get().inspection == inspection

    def test_it_links_an_inspection_by_its_number(self, cast: Cast, tree: Tree) -> None:
        inspection = inspect(cast, cast.compound1, cast.grid_worker)
        data = form(tree, tree.sweep, cast.grid1, kind="inspection", title="巡查", inspection_number=str(inspection.pk))
        assert browser(cast, "grid_worker").post(new_url(tree), data).status_code == 302
        assert Evidence.objects.get().inspection == inspection

    def test_it_links_a_compounds_notice_board(self, cast: Cast, tree: Tree) -> None:
        data = form(tree, tree.ledger, cast.grid1, kind="notice", title="公示牌", compound=str(cast.compound1.pk))
        assert browser(cast, "grid_worker").post(new_url(tree), data).status_code == 302
        assert Evidence.objects.get().compound == cast.compound1

    def test_it_offers_a_grid_worker_only_their_grid(self, cast: Cast, tree: Tree) -> None:
        page = browser(cast, "grid_worker").get(new_url(tree))
        assert list(page.context["form"].fields["area"].queryset) == [cast.grid1]
        director = browser(cast, "director").get(new_url(tree))
        assert list(director.context["form"].fields["area"].queryset) == [cast.home, cast.grid1, cast.grid2]

    def test_it_refuses_a_grid_worker_filing_for_another_grid(self, cast: Cast, tree: Tree, media: Path) -> None:
        response = browser(cast, "grid_worker").post(new_url(tree), form(tree, tree.bins, cast.grid2, file=jpeg()))
        assert response.status_code == 200
        assert "Choose an area taking part in this campaign where you work." in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_an_area_not_taking_part(self, cast: Cast, tree: Tree, media: Path) -> None:
        services.campaign_update(actor=None, campaign=tree.campaign, areas=[cast.grid1])
        response = browser(cast, "director").post(new_url(tree), form(tree, tree.bins, cast.grid2, file=jpeg()))
        assert "Choose an area taking part in this campaign where you work." in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_a_file_whose_content_is_not_its_type(self, cast: Cast, tree: Tree, media: Path) -> None:
        script = pdf("方案.pdf", b"#!/bin/sh\nrm -rf /\n")
        data = form(tree, tree.ledger, cast.home, kind="document", file=script)
        response = browser(cast, "director").post(new_url(tree), data)
        assert response.status_code == 200
        assert "The file&#x27;s content is not a PDF file." in text(response)
        assert "choose the file again" in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_a_type_it_does_not_take(self, cast: Cast, tree: Tree, media: Path) -> None:
        data = form(tree, tree.ledger, cast.home, kind="document", file=SimpleUploadedFile("run.exe", b"MZ\x90"))
        response = browser(cast, "director").post(new_url(tree), data)
        assert "This type of file is not accepted." in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_a_file_larger_than_the_limit(self, cast: Cast, tree: Tree, media: Path, settings) -> None:
        settings.EVIDENCE_MAX_BYTES = 1024 * 1024
        big = pdf("大文件.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024))
        response = browser(cast, "director").post(
            new_url(tree), form(tree, tree.ledger, cast.home, kind="document", file=big)
        )
        assert "This file is too large (at most 1 MB)." in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_a_body_too_large_before_reading_it(self, cast: Cast, tree: Tree, settings, monkeypatch) -> None:
        settings.EVIDENCE_MAX_BYTES = settings.PHOTO_MAX_BYTES = 1024
        parsed = spy_on_parsing(monkeypatch)
        big = pdf("大文件.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
        response = browser(cast, "director").post(
            new_url(tree), form(tree, tree.ledger, cast.home, kind="document", file=big)
        )
        assert response.status_code == 413
        assert parsed == [] and not Evidence.objects.exists()

    def test_it_refuses_a_date_in_the_future(self, cast: Cast, tree: Tree, media: Path) -> None:
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        data = form(tree, tree.bins, cast.grid1, file=jpeg(), occurred_on=tomorrow.isoformat())
        response = browser(cast, "grid_worker").post(new_url(tree), data)
        assert "The date cannot be in the future." in text(response)
        assert not Evidence.objects.exists() and files_in(media) == []

    def test_it_refuses_a_case_outside_the_users_areas(self, cast: Cast, tree: Tree) -> None:
        case = report(cast, cast.compound2)
        data = form(tree, tree.closure, cast.grid1, kind="case", title="别的网格的案件", case=case.number)
        response = browser(cast, "grid_worker").post(new_url(tree), data)
        assert "No case with this number in your areas." in text(response)
        assert not Evidence.objects.exists()

    def test_it_refuses_an_inspection_outside_the_users_areas(self, cast: Cast, tree: Tree) -> None:
        inspection = inspect(cast, cast.compound2, cast.director)
        data = form(tree, tree.sweep, cast.grid1, kind="inspection", title="巡查", inspection_number=str(inspection.pk))
        response = browser(cast, "grid_worker").post(new_url(tree), data)
        assert "No inspection with this number in your areas." in text(response)
        assert not Evidence.objects.exists()

    def test_it_refuses_a_case_of_another_grid_than_the_evidences(self, cast: Cast, tree: Tree) -> None:
        # The director sees both grids; grid 1's ledger may only point to grid 1's records.
        case = report(cast, cast.compound2)
        data = form(tree, tree.closure, cast.grid1, kind="case", title="第二网格的案件", case=case.number)
        response = browser(cast, "director").post(new_url(tree), data)
        assert response.status_code == 200
        assert response.context["form"].errors["case"] == [f"No case with this number in {cast.grid1.name}."]
        assert not Evidence.objects.exists()
        data = form(tree, tree.closure, cast.home, kind="case", title="社区的案件", case=case.number)
        assert browser(cast, "director").post(new_url(tree), data).status_code == 302

    def test_it_refuses_an_inspection_of_another_grid_than_the_evidences(self, cast: Cast, tree: Tree) -> None:
        inspection = inspect(cast, cast.compound2, cast.director)
        data = form(tree, tree.sweep, cast.grid1, kind="inspection", title="巡查", inspection_number=str(inspection.pk))
        response = browser(cast, "director").post(new_url(tree), data)
        assert response.context["form"].errors["inspection_number"] == [
            f"No inspection with this number in {cast.grid1.name}."
        ]
        assert not Evidence.objects.exists()
        page = browser(cast, "director").get(new_url(tree, f"?kind=inspection&area={cast.grid1.pk}"))
        assert page.context["form"].fields["inspection"].choices == [("", "---------")]

    @pytest.mark.usefixtures("english")
    def test_it_refuses_a_date_no_office_means(self, cast: Cast, tree: Tree) -> None:
        for day in ("0001-07-01", "1899-12-31"):
            data = form(tree, tree.bins, cast.grid1, kind="meeting", text="纪要", occurred_on=day)
            evidence_form = EvidenceForm(data, user=cast.grid_worker, campaign=tree.campaign)
            assert not evidence_form.is_valid()
            assert evidence_form.errors["occurred_on"] == ["Choose a date between 1900 and 2100."]

    def test_it_refuses_a_link_outside_the_campaigns_community(self, cast: Cast, tree: Tree, settings) -> None:
        # A subdistrict administrator sees both communities; the service keeps the link inside this one.
        from conftest import _user

        admin = _user("subadmin", "街道管理员", "subdistrict_admin", area=cast.subdistrict)
        inspection = inspect(cast, cast.next_compound, cast.outsider)
        client = cast.client(admin)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        data = form(tree, tree.sweep, cast.home, kind="inspection", title="巡查", inspection_number=str(inspection.pk))
        response = client.post(new_url(tree), data)
        assert response.context["form"].errors["inspection_number"] == [
            f"No inspection with this number in {cast.home.name}."
        ]
        assert not Evidence.objects.exists()

    def test_it_asks_for_what_each_kind_needs(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast, "grid_worker")
        assert "Attach the file." in text(client.post(new_url(tree), form(tree, tree.bins, cast.grid1)))
        meeting = form(tree, tree.ledger, cast.grid1, kind="meeting")
        assert "Write the minutes of the meeting, or attach them." in text(client.post(new_url(tree), meeting))
        assert "Enter the case number." in text(
            client.post(new_url(tree), form(tree, tree.ledger, cast.grid1, kind="case"))
        )
        inspection = form(tree, tree.sweep, cast.grid1, kind="inspection")
        assert "Choose the inspection, or enter its number." in text(client.post(new_url(tree), inspection))
        assert not Evidence.objects.exists()

    def test_it_preselects_the_standard_and_the_users_area_it_is_assigned_to(self, cast: Cast, tree: Tree) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        response = browser(cast, "director").get(new_url(tree, f"?indicator={tree.bins.pk}"))
        assert response.context["form"]["indicator"].value() == str(tree.bins.pk)
        assert str(response.context["form"]["area"].value()) == str(cast.grid2.pk)
        assert f'<option value="{tree.bins.pk}" selected>' in text(response)

    def test_it_swaps_in_the_fields_of_the_kind_chosen(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast, "grid_worker").get(
            new_url(tree, f"?kind=notice&area={cast.grid1.pk}"), headers={"HX-Request": "true"}
        )
        assert [t.name for t in response.templates][0] == "campaigns/partials/evidence_kind_fields.html"
        assert 'name="compound"' in text(response) and 'name="file"' not in text(response)
        assert list(response.context["form"].fields["compound"].queryset) == [cast.compound1]

    def test_it_offers_the_camera_or_the_phones_photos(self, cast: Cast, tree: Tree) -> None:
        content = text(browser(cast, "grid_worker").get(new_url(tree)))
        assert 'accept="image/*"' in content and 'type="file"' in content

    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker"])
    def test_it_opens_for_the_field_roles(self, cast: Cast, tree: Tree, who: str) -> None:
        assert browser(cast, who).get(new_url(tree)).status_code == 200

    @pytest.mark.parametrize("who", ["auditor", "building_leader", "resident"])
    def test_it_refuses_roles_that_do_not_file(self, cast: Cast, tree: Tree, who: str) -> None:
        response = browser(cast, who).post(new_url(tree), form(tree, tree.bins, cast.grid1, file=jpeg()))
        assert response.status_code == 403
        assert not Evidence.objects.exists()

    def test_it_does_not_confirm_another_communitys_campaign(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast, "outsider").get(new_url(tree)).status_code == 404

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree) -> None:
        assert is_login_redirect(browser(cast, None).get(new_url(tree)))

    def test_it_checks_the_csrf_token_after_the_size(self, cast: Cast, tree: Tree) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.director)
        response = client.post(new_url(tree), form(tree, tree.bins, cast.grid1, file=jpeg()))
        assert response.status_code == 403
        assert not Evidence.objects.exists()


@pytest.fixture
def pieces(cast: Cast, tree: Tree) -> dict[str, Evidence]:
    """A PDF filed by the grid worker for grid 1, a photo filed by the director for grid 2."""
    return {
        "grid1": file(cast, tree.ledger, cast.grid1, "第一网格会议纪要", actor=cast.grid_worker),
        "grid2": file(cast, tree.bins, cast.grid2, "第二网格照片", kind=EvidenceKind.PHOTO, upload=jpeg()),
    }


class EvidenceDetailTests:
    def test_it_links_a_case_only_for_those_who_may_open_it(self, cast: Cast, tree: Tree) -> None:
        # Filed before links had to lie in the evidence's area: grid 1's piece points to grid 2's case.
        mine, theirs = report(cast, cast.compound1), report(cast, cast.compound2)
        piece = file(cast, tree.closure, cast.grid1, "办结案件", kind=EvidenceKind.CASE, case=mine)
        Evidence.objects.filter(pk=piece.pk).update(case=theirs)
        url = f"/campaigns/evidence/{piece.pk}/"
        leader = text(browser(cast, "grid_leader").get(url))
        assert theirs.number in leader and f"/cases/{theirs.number}/" not in leader
        assert "楼道堆物" not in leader and "reported" in leader
        assert f'href="/cases/{theirs.number}/"' in text(browser(cast, "director").get(url))

    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker", "auditor"])
    def test_it_shows_a_piece_to_those_who_see_its_area(self, cast: Cast, pieces: dict, who: str) -> None:
        response = browser(cast, who).get(f"/campaigns/evidence/{pieces['grid1'].pk}/")
        assert response.status_code == 200
        assert "第一网格会议纪要" in text(response) and "会议纪要.pdf" in text(response)

    def test_it_hides_another_grids_piece_from_a_grid_worker(self, cast: Cast, pieces: dict) -> None:
        assert browser(cast, "grid_worker").get(f"/campaigns/evidence/{pieces['grid2'].pk}/").status_code == 404

    def test_it_does_not_confirm_a_piece_to_an_outsider(self, cast: Cast, pieces: dict) -> None:
        assert browser(cast, "outsider").get(f"/campaigns/evidence/{pieces['grid1'].pk}/").status_code == 404

    @pytest.mark.parametrize("who", ["building_leader", "resident"])
    def test_it_refuses_roles_that_do_not_work_on_campaigns(self, cast: Cast, pieces: dict, who: str) -> None:
        assert browser(cast, who).get(f"/campaigns/evidence/{pieces['grid1'].pk}/").status_code == 403

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast, pieces: dict) -> None:
        assert is_login_redirect(browser(cast, None).get(f"/campaigns/evidence/{pieces['grid1'].pk}/"))

    def test_it_shows_a_photo_from_its_download(self, cast: Cast, pieces: dict) -> None:
        content = text(browser(cast, "director").get(f"/campaigns/evidence/{pieces['grid2'].pk}/"))
        assert f'<img class="img-fluid rounded border" src="/campaigns/evidence/{pieces["grid2"].pk}/file/"' in content

    def test_it_offers_withdrawal_to_the_filer_and_the_director_only(self, cast: Cast, pieces: dict) -> None:
        url = f"/campaigns/evidence/{pieces['grid1'].pk}/"
        assert "data-withdraw-form" in text(browser(cast, "grid_worker").get(url))
        assert "data-withdraw-form" in text(browser(cast, "director").get(url))
        assert "data-withdraw-form" not in text(browser(cast, "grid_leader").get(url))


class EvidenceDownloadTests:
    def test_it_serves_the_file_as_an_attachment_under_its_name(self, cast: Cast, pieces: dict) -> None:
        response = browser(cast, "grid_worker").get(f"/campaigns/evidence/{pieces['grid1'].pk}/file/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            "attachment; filename*=utf-8''%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.pdf"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == b"%PDF-1.4\n% minutes of the meeting\n"

    def test_it_serves_a_photo_as_a_jpeg(self, cast: Cast, pieces: dict) -> None:
        response = browser(cast, "director").get(f"/campaigns/evidence/{pieces['grid2'].pk}/file/")
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("attachment;")

    def test_it_keeps_another_grids_file_from_a_grid_worker(self, cast: Cast, pieces: dict) -> None:
        assert browser(cast, "grid_worker").get(f"/campaigns/evidence/{pieces['grid2'].pk}/file/").status_code == 404

    def test_it_does_not_confirm_a_file_to_an_outsider(self, cast: Cast, pieces: dict) -> None:
        assert browser(cast, "outsider").get(f"/campaigns/evidence/{pieces['grid1'].pk}/file/").status_code == 404

    def test_it_refuses_a_building_leader_and_sends_anonymous_visitors_to_sign_in(self, cast: Cast, pieces) -> None:
        url = f"/campaigns/evidence/{pieces['grid1'].pk}/file/"
        assert browser(cast, "building_leader").get(url).status_code == 403
        assert is_login_redirect(browser(cast, None).get(url))

    def test_it_says_not_found_when_the_stored_file_is_gone(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        piece.file.storage.delete(piece.file.name)
        assert browser(cast, "director").get(f"/campaigns/evidence/{piece.pk}/file/").status_code == 404

    def test_it_has_no_file_for_a_link(self, cast: Cast, tree: Tree) -> None:
        piece = file(cast, tree.ledger, cast.grid1, "公示牌", kind=EvidenceKind.NOTICE, compound=cast.compound1)
        assert browser(cast, "director").get(f"/campaigns/evidence/{piece.pk}/file/").status_code == 404


class EvidenceWithdrawTests:
    def test_it_lets_the_filer_withdraw_their_piece(self, cast: Cast, tree: Tree, pieces: dict) -> None:
        piece = pieces["grid1"]
        client = browser(cast, "grid_worker")
        response = client.post(f"/campaigns/evidence/{piece.pk}/withdraw/", {"reason": "传错了文件"})
        assert response.status_code == 302 and response["Location"] == list_url(tree)
        piece.refresh_from_db()
        assert (piece.withdrawn_by, piece.withdrawn_reason) == (cast.grid_worker, "传错了文件")
        ledger = text(client.get(list_url(tree)))
        assert "Evidence withdrawn: 第一网格会议纪要" in ledger
        assert f'data-evidence="{piece.pk}"' not in ledger

    def test_it_lets_the_director_withdraw_anyones_piece(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        browser(cast, "director").post(f"/campaigns/evidence/{piece.pk}/withdraw/", {"reason": "不符合要求"})
        piece.refresh_from_db()
        assert piece.withdrawn_by == cast.director

    def test_it_refuses_someone_who_neither_filed_nor_runs_it(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        response = browser(cast, "grid_leader").post(f"/campaigns/evidence/{piece.pk}/withdraw/", {"reason": "x"})
        assert response.status_code == 403
        piece.refresh_from_db()
        assert piece.withdrawn_at is None

    def test_it_asks_for_a_reason(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        response = browser(cast, "grid_worker").post(f"/campaigns/evidence/{piece.pk}/withdraw/", {"reason": "  "})
        assert response.status_code == 400
        assert "This field is required." in text(response)
        piece.refresh_from_db()
        assert piece.withdrawn_at is None

    def test_it_says_so_when_the_piece_was_already_withdrawn(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        services.evidence_withdraw(actor=cast.director, evidence=piece, reason="重复")
        response = browser(cast, "director").post(f"/campaigns/evidence/{piece.pk}/withdraw/", {"reason": "再撤"})
        assert response.status_code == 400
        assert "This evidence was already withdrawn." in text(response)
        piece.refresh_from_db()
        assert piece.withdrawn_reason == "重复"

    def test_it_keeps_a_withdrawn_piece_readable_with_who_and_why(self, cast: Cast, pieces: dict) -> None:
        piece = pieces["grid1"]
        services.evidence_withdraw(actor=cast.director, evidence=piece, reason="不符合要求")
        content = text(browser(cast, "grid_worker").get(f"/campaigns/evidence/{piece.pk}/"))
        assert "data-withdrawn-note" in content and "不符合要求" in content and "主任甲" in content
        assert "data-withdraw-form" not in content

    def test_it_takes_only_a_post(self, cast: Cast, pieces: dict) -> None:
        assert browser(cast, "director").get(f"/campaigns/evidence/{pieces['grid1'].pk}/withdraw/").status_code == 405

    def test_it_does_not_confirm_a_piece_to_an_outsider(self, cast: Cast, pieces: dict) -> None:
        response = browser(cast, "outsider").post(
            f"/campaigns/evidence/{pieces['grid1'].pk}/withdraw/", {"reason": "x"}
        )
        assert response.status_code == 404

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast, pieces: dict) -> None:
        response = browser(cast, None).post(f"/campaigns/evidence/{pieces['grid1'].pk}/withdraw/", {"reason": "x"})
        assert is_login_redirect(response)
