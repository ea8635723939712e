"""The inspecting pages: the phone form, an inspection's record and photos, the list and its export, the start
page, a place's history, and the links from the territory pages. Who may open what, what gets written, what the
pages show, and what the lists cost in queries."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.cases.models import Case, Source, State
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.inspections import selectors, services
from wangge.inspections.models import Checklist, Inspection, Result, Target
from wangge.territory import services as territory_services
from wangge.territory.models import Shop, ShopStatus

COMPOUND_FORM = "/inspections/new/compound/T-C01/"
INSPECTORS = ("director", "grid_leader", "grid_worker")
READERS = ("director", "grid_leader", "grid_worker", "building_leader", "auditor")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos land in a temporary folder; rate-limit counters start from zero."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def checklist_for(target: str) -> Checklist:
    return Checklist.objects.get(target=target, status="published")


def record(cast, place, *, fails: dict[str, str] | None = None, actor=None, at=None, na=()) -> Inspection:
    """An inspection through the service: every item passes but those failed (with note and photo) or not applicable."""
    target = selectors.target_of(place)
    checklist = checklist_for(target)
    answers = {}
    for item in services.items_for(checklist, place):
        if item.code in (fails or {}):
            answers[item.code] = services.Answer(Result.FAIL, fails[item.code], jpeg())
        elif item.code in na:
            answers[item.code] = services.Answer(Result.NOT_APPLICABLE)
        else:
            answers[item.code] = services.Answer(Result.PASS)
    return services.inspection_record(
        actor=actor or cast.grid_worker, checklist=checklist, place=place, answers=answers, inspected_at=at, now=at
    )


def form_data(place, *, fails: dict[str, str] | None = None, skip=(), photos=None, **extra) -> dict:
    """What the form posts: every item passed but those failed (with their notes) or skipped."""
    checklist = checklist_for(selectors.target_of(place))
    data = {"checklist": str(checklist.pk), "note": "", "idempotency_key": ""}
    for item in services.items_for(checklist, place):
        if item.code in skip:
            continue
        if item.code in (fails or {}):
            data[f"result_{item.code}"] = "fail"
            data[f"note_{item.code}"] = fails[item.code]
        else:
            data[f"result_{item.code}"] = "pass"
    for code, upload in (photos or {}).items():
        data[f"photo_{code}"] = upload
    data.update(extra)
    return data


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


class InspectionFormAccessTests:
    def test_it_shows_the_form_to_the_roles_that_inspect(self, cast):
        for who in INSPECTORS:
            response = cast.client(getattr(cast, who)).get(COMPOUND_FORM)
            assert response.status_code == 200, who
            codes = [row.item.code for row in response.context["form"].rows()]
            assert codes == [f"HY0{i}" for i in range(1, 10)], who

    def test_it_refuses_roles_that_only_read(self, cast):
        for who in ("auditor", "building_leader"):
            client = cast.client(getattr(cast, who))
            assert client.get(COMPOUND_FORM).status_code == 403, who
            assert client.post(COMPOUND_FORM, form_data(cast.compound1)).status_code == 403, who
        assert cast.client(cast.resident).get(COMPOUND_FORM).status_code == 403
        assert not Inspection.objects.exists()

    def test_it_hides_places_out_of_scope_or_of_another_kind(self, cast):
        assert cast.client(cast.outsider).get(COMPOUND_FORM).status_code == 404
        worker = cast.client(cast.grid_worker)
        assert worker.get("/inspections/new/office/T-O1/").status_code == 404  # grid 2
        assert worker.get("/inspections/new/office/T-C01-B1/").status_code == 404  # a residential building
        assert worker.get("/inspections/new/shop/T-C01/").status_code == 404  # a compound's code as a shop
        assert worker.get("/inspections/new/dwelling/T-C01/").status_code == 404
        assert cast.client(cast.director).get("/inspections/new/office/T-O1/").status_code == 200

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast):
        client = cast.client(None)
        assert is_login_redirect(client.get(COMPOUND_FORM))
        assert is_login_redirect(client.post(COMPOUND_FORM, form_data(cast.compound1)))
        assert not Inspection.objects.exists()


class InspectionCreateTests:
    def test_it_records_an_inspection_and_says_how_it_went(self, cast):
        client = english(cast.client(cast.grid_worker))
        key = client.get(COMPOUND_FORM).context["form"].initial["idempotency_key"]
        data = form_data(cast.compound1, note="雨后检查", idempotency_key=key)
        response = client.post(COMPOUND_FORM, data, follow=True)
        inspection = Inspection.objects.get()
        assert response.redirect_chain == [(f"/inspections/{inspection.pk}/", 302)]
        assert (inspection.compound, inspection.inspector, inspection.note) == (
            cast.compound1,
            cast.grid_worker,
            "雨后检查",
        )
        assert (inspection.score, inspection.passed, inspection.findings.count()) == (100, True, 9)
        assert messages_of(response) == [
            "Inspection recorded: 100.0 points, passed. Rectification cases opened: 0; closed by re-inspection: 0."
        ]

    def test_it_opens_rectification_cases_for_failures_with_their_photos(self, cast):
        client = english(cast.client(cast.grid_worker))
        data = form_data(
            cast.compound1,
            fails={"HY03": "楼道堆放纸箱", "HY09": "楼道飞线充电"},
            photos={"HY03": jpeg(), "HY09": jpeg()},
        )
        response = client.post(COMPOUND_FORM, data, follow=True)
        inspection = Inspection.objects.get()
        assert not inspection.passed  # HY09 is critical
        assert inspection.failed_count == 2
        failed = inspection.findings.filter(result=Result.FAIL).order_by("item_code")
        assert [(f.item_code, f.note, bool(f.photo), f.case.source) for f in failed] == [
            ("HY03", "楼道堆放纸箱", True, Source.INSPECTION),
            ("HY09", "楼道飞线充电", True, Source.INSPECTION),
        ]
        assert Case.objects.count() == 2
        assert "Rectification cases opened: 2; closed by re-inspection: 0." in messages_of(response)[0]

    def test_it_records_failures_without_photo_where_the_item_needs_none(self, cast):
        # HY07 files under 设施报修, whose reporters must say which facility; HY08 under a category that wants photos.
        data = form_data(cast.compound1, fails={"HY07": "楼道灯不亮", "HY08": "公示牌缺失"})
        response = cast.client(cast.grid_worker).post(COMPOUND_FORM, data)
        inspection = Inspection.objects.get()
        assert response["Location"] == f"/inspections/{inspection.pk}/"
        failed = inspection.findings.filter(result=Result.FAIL).order_by("item_code")
        assert [(f.item_code, bool(f.photo), f.case.is_open) for f in failed] == [
            ("HY07", False, True),
            ("HY08", False, True),
        ]

    def test_it_shows_refusals_under_their_items_and_keeps_the_answers(self, cast):
        client = english(cast.client(cast.grid_worker))
        data = form_data(cast.compound1, fails={"HY01": "", "HY03": "楼道堆放纸箱"}, skip=("HY02",))
        data["photo_HY03"] = jpeg()
        response = client.post(COMPOUND_FORM, data)
        assert response.status_code == 200
        assert not Inspection.objects.exists()
        assert not Case.objects.exists()
        rows = {row.item.code: row for row in response.context["form"].rows()}
        assert rows["HY01"].errors == ["Say what is wrong.", "This item needs a photo of the failure."]
        assert rows["HY02"].errors == ["Answer this item: pass, fail or not applicable."]
        assert rows["HY03"].errors == []
        assert (rows["HY03"].result.value(), rows["HY03"].note.value()) == ("fail", "楼道堆放纸箱")
        assert rows["HY04"].result.value() == "pass"
        content = text(response)
        assert "choose the photos of failed items again" in content
        assert 'value="fail" class="btn-check" autocomplete="off" id="id_result_HY03_1" checked' in content

    def test_it_makes_one_inspection_of_a_retried_submission(self, cast):
        client = cast.client(cast.grid_worker)
        key = client.get(COMPOUND_FORM).context["form"].initial["idempotency_key"]
        first = client.post(
            COMPOUND_FORM,
            form_data(cast.compound1, fails={"HY03": "杂物"}, photos={"HY03": jpeg()}, idempotency_key=key),
        )
        second = client.post(
            COMPOUND_FORM,
            form_data(cast.compound1, fails={"HY03": "杂物"}, photos={"HY03": jpeg()}, idempotency_key=key),
        )
        assert Inspection.objects.count() == 1
        assert Case.objects.count() == 1
        assert first["Location"] == second["Location"]

    def test_it_refuses_a_body_too_large_before_reading_it(self, cast, settings):
        settings.PHOTO_MAX_BYTES = 1024
        big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024), content_type="image/jpeg")
        data = form_data(cast.compound1, fails={"HY03": "杂物"}, photos={"HY03": big})
        response = english(cast.client(cast.grid_worker)).post(COMPOUND_FORM, data)
        assert response.status_code == 413
        assert "The upload is too large" in text(response)
        assert not Inspection.objects.exists()

    def test_it_refuses_a_photo_too_large_under_its_item(self, cast, settings):
        settings.PHOTO_MAX_BYTES = 2 * 1024 * 1024
        big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024 + 1), content_type="image/jpeg")
        data = form_data(cast.compound1, fails={"HY03": "杂物"}, photos={"HY03": big})
        response = english(cast.client(cast.grid_worker)).post(COMPOUND_FORM, data)
        assert response.status_code == 200
        rows = {row.item.code: row for row in response.context["form"].rows()}
        assert rows["HY03"].errors == ["This photo is too large (at most 2 MB)."]
        assert not Inspection.objects.exists()

    def test_it_marks_and_closes_the_open_cases_it_re_inspects(self, cast):
        first = record(cast, cast.compound1, fails={"HY03": "楼道堆放纸箱"})
        case = first.findings.get(item_code="HY03").case
        client = english(cast.client(cast.grid_worker))
        page = client.get(COMPOUND_FORM)
        rows = {row.item.code: row for row in page.context["form"].rows()}
        assert rows["HY03"].cases == [case]
        assert [code for code, row in rows.items() if row.cases] == ["HY03"]
        assert f"re-inspection {case.number}" in " ".join(text(page).split())
        response = client.post(COMPOUND_FORM, form_data(cast.compound1), follow=True)
        case.refresh_from_db()
        assert case.state == State.CLOSED
        assert "Rectification cases opened: 0; closed by re-inspection: 1." in messages_of(response)[0]
        assert response.context["outcome"].closed == [case]

    def test_it_keeps_a_case_open_that_fails_again(self, cast):
        first = record(cast, cast.compound1, fails={"HY03": "楼道堆放纸箱"})
        case = first.findings.get(item_code="HY03").case
        data = form_data(cast.compound1, fails={"HY03": "还在"}, photos={"HY03": jpeg()})
        response = english(cast.client(cast.grid_worker)).post(COMPOUND_FORM, data, follow=True)
        assert Case.objects.count() == 1
        assert Case.objects.get().is_open
        second = Inspection.objects.exclude(pk=first.pk).get()
        assert second.findings.get(item_code="HY03").case == case
        assert "Rectification cases opened: 0; closed by re-inspection: 0." in messages_of(response)[0]
        assert response.context["outcome"].not_fixed == [case]

    def test_it_inspects_against_the_checklist_chosen(self, cast):
        director = cast.director
        other = services.checklist_create(
            actor=director, community=cast.home, code="night-check", name="夜间巡查表", target=Target.COMPOUND
        )
        category = checklist_for(Target.COMPOUND).items.get(code="HY01").category
        services.checklist_item_save(
            actor=director, checklist=other, code="YJ01", text="夜间照明正常", category=category, photo_required=False
        )
        services.checklist_publish(actor=director, checklist=other)
        client = cast.client(cast.grid_worker)
        page = client.get(COMPOUND_FORM, {"checklist": other.pk})
        assert [row.item.code for row in page.context["form"].rows()] == ["YJ01"]
        assert len(page.context["checklists"]) == 2
        client.post(f"{COMPOUND_FORM}?checklist={other.pk}", {"checklist": other.pk, "result_YJ01": "pass"})
        assert Inspection.objects.get().checklist == other

    def test_it_says_so_when_the_checklist_was_retired_while_the_form_was_open(self, cast):
        client = english(cast.client(cast.grid_worker))
        data = form_data(cast.compound1)
        # The shared standard, retired by the deployment's administrators (the system here).
        services.checklist_retire(actor=None, checklist=checklist_for(Target.COMPOUND))
        response = client.post(COMPOUND_FORM, data)
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == ["This checklist version is not in use."]
        assert not Inspection.objects.exists()
        assert "No checklist is in use" in text(client.get(COMPOUND_FORM))

    def test_it_says_when_a_shop_has_closed_down(self, cast):
        Shop.objects.filter(pk=cast.shop1.pk).update(status=ShopStatus.CLOSED)
        client = cast.client(cast.grid_worker)
        page = client.get("/inspections/new/shop/T-S001/")
        assert page.context["closed_shop"]
        assert "form" not in page.context
        assert "closed down" in text(english(client).get("/inspections/new/shop/T-S001/"))
        response = client.post("/inspections/new/shop/T-S001/", form_data(cast.shop1))
        assert response.status_code == 200
        assert not Inspection.objects.exists()

    def test_it_shows_the_trades_items_and_the_last_visit(self, cast):
        at = timezone.now() - datetime.timedelta(days=2)
        record(cast, cast.shop1, at=at)
        page = cast.client(cast.grid_worker).get("/inspections/new/shop/T-S001/")
        codes = [row.item.code for row in page.context["form"].rows()]
        assert "XC01" in codes and "MF01" not in codes  # a restaurant, not a salon
        visit = page.context["visit"]
        assert visit.last == timezone.localdate(at)
        # A shop is visited every 14 days by default; a period ending on a rest day runs on to a working day.
        assert visit.last + datetime.timedelta(days=14) <= visit.due <= visit.last + datetime.timedelta(days=17)
        assert not visit.overdue
        assert visit.last.isoformat() in text(page) and visit.due.isoformat() in text(page)


def _failed_then_fixed_then_failed(cast) -> tuple[Inspection, Case, Case]:
    """HY03 fails, is found fixed, fails again: the last inspection's finding is a relapse of the first case."""
    now = timezone.now()
    first = record(cast, cast.compound1, fails={"HY03": "楼道堆放纸箱"}, at=now - datetime.timedelta(hours=3))
    earlier = first.findings.get(item_code="HY03").case
    record(cast, cast.compound1, at=now - datetime.timedelta(hours=2))
    last = record(cast, cast.compound1, fails={"HY03": "又堆上了"}, at=now - datetime.timedelta(hours=1))
    return last, earlier, last.findings.get(item_code="HY03").case


class InspectionFormTextTests:
    def test_it_explains_the_score_and_waits_for_every_answer(self, cast):
        content = text(cast.client(cast.grid_worker).get(COMPOUND_FORM))
        assert "得分 = 合格项分值 ÷ 已检查项总分 × 100（不适用项不计）" in content
        assert 'data-msg-unanswered="尚有 {n} 项未填写"' in content

    def test_it_lists_the_cases_it_re_inspects_without_stray_punctuation(self, cast):
        case = record(cast, cast.compound1, fails={"HY03": "楼道堆放纸箱"}).findings.get(item_code="HY03").case
        content = text(cast.client(cast.grid_worker).get(COMPOUND_FORM))
        assert f'href="/cases/{case.number}/" class="text-nowrap">{case.number}</a></div>' in content
        assert f"{case.number}</a>." not in content


class InspectionDetailTests:
    def test_it_opens_to_the_readers_of_the_place(self, cast):
        inspection = record(cast, cast.compound1)
        url = f"/inspections/{inspection.pk}/"
        for who in READERS:
            assert cast.client(getattr(cast, who)).get(url).status_code == 200, who
        assert cast.client(cast.outsider).get(url).status_code == 404
        assert cast.client(cast.resident).get(url).status_code == 403
        assert is_login_redirect(cast.client(None).get(url))

    def test_it_shows_findings_in_order_with_photos_cases_and_relapses(self, cast):
        inspection, earlier, case = _failed_then_fixed_then_failed(cast)
        response = english(cast.client(cast.grid_leader)).get(f"/inspections/{inspection.pk}/")
        findings = response.context["findings"]
        assert [f.item_code for f in findings] == [f"HY0{i}" for i in range(1, 10)]
        failed = next(f for f in findings if f.item_code == "HY03")
        assert (failed.case, failed.relapse_of) == (case, earlier)
        content = text(response)
        assert f'href="/inspections/findings/{failed.pk}/photo/"' in content
        assert f'href="/cases/{case.number}/"' in content
        assert f'href="/cases/{earlier.number}/"' in content
        assert "relapse" in content
        assert "楼院环境卫生检查表" in content and "v1" in content
        assert f'href="/inspections/places/compound/{cast.compound1.code}/"' in content
        assert response.context["outcome"].opened == [case]

    def test_it_tells_the_case_an_inspection_opened_from_one_it_found_again(self, cast):
        now = timezone.now()
        first = record(cast, cast.compound1, fails={"HY03": "杂物"}, at=now - datetime.timedelta(hours=2))
        second = record(cast, cast.compound1, fails={"HY03": "还在"}, at=now - datetime.timedelta(hours=1))
        case = first.findings.get(item_code="HY03").case
        client = cast.client(cast.grid_leader)
        outcome = client.get(f"/inspections/{first.pk}/").context["outcome"]
        assert (outcome.opened, outcome.not_fixed, outcome.closed) == ([case], [], [])
        outcome = client.get(f"/inspections/{second.pk}/").context["outcome"]
        assert (outcome.opened, outcome.not_fixed, outcome.closed) == ([], [case], [])


class FindingPhotoTests:
    def test_it_serves_the_photo_only_within_scope(self, cast):
        inspection = record(cast, cast.compound1, fails={"HY03": "杂物"})
        finding = inspection.findings.get(item_code="HY03")
        url = f"/inspections/findings/{finding.pk}/photo/"
        for who in READERS:
            response = cast.client(getattr(cast, who)).get(url)
            assert response.status_code == 200, who
            assert response["Content-Type"] == "image/jpeg"
            assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
            assert response["Cache-Control"] == "private, max-age=3600"
        assert cast.client(cast.outsider).get(url).status_code == 404
        assert cast.client(cast.resident).get(url).status_code == 403
        assert is_login_redirect(cast.client(None).get(url))

    def test_it_answers_404_for_a_finding_without_photo(self, cast):
        inspection = record(cast, cast.compound1)
        finding = inspection.findings.first()
        assert cast.client(cast.director).get(f"/inspections/findings/{finding.pk}/photo/").status_code == 404


class InspectionListTests:
    def test_it_lists_the_inspections_in_scope_newest_first(self, cast):
        now = timezone.now()
        older = record(cast, cast.compound1, at=now - datetime.timedelta(days=1))
        newer = record(cast, cast.shop1, at=now - datetime.timedelta(hours=1))
        office = record(cast, cast.office, actor=cast.director)
        assert list(cast.client(cast.director).get("/inspections/").context["page_obj"]) == [office, newer, older]
        for who in ("grid_leader", "grid_worker"):
            assert list(cast.client(getattr(cast, who)).get("/inspections/").context["page_obj"]) == [newer, older]
        assert list(cast.client(cast.building_leader).get("/inspections/").context["page_obj"]) == [older]
        assert list(cast.client(cast.outsider).get("/inspections/").context["page_obj"]) == []
        assert cast.client(cast.resident).get("/inspections/").status_code == 403
        assert is_login_redirect(cast.client(None).get("/inspections/"))

    def test_it_filters_by_grid_kind_result_checklist_dates_and_inspector(self, cast):
        now = timezone.now()
        compound = record(cast, cast.compound1, fails={"HY09": "飞线"}, at=now - datetime.timedelta(days=3))
        shop = record(cast, cast.shop1, actor=cast.grid_leader)
        office = record(cast, cast.office, actor=cast.director)
        client = cast.client(cast.director)

        def shown(**query) -> list[Inspection]:
            response = client.get("/inspections/", query)
            assert response.status_code == 200
            return list(response.context["page_obj"])

        assert shown(grid=cast.grid2.code) == [office]
        assert shown(target="shop") == [shop]
        assert shown(passed="no") == [compound]
        assert shown(passed="yes") == [office, shop]
        assert shown(checklist="compound-sanitation") == [compound]
        today = timezone.localdate()
        assert shown(since=today.isoformat()) == [office, shop]
        assert shown(until=(today - datetime.timedelta(days=1)).isoformat()) == [compound]
        assert shown(inspector=cast.grid_leader.username) == [shop]
        partial = client.get("/inspections/", {"target": "office"}, headers={"HX-Request": "true"})
        assert "<html" not in text(partial) and f"/inspections/{office.pk}/" in text(partial)

    def test_it_filters_by_inspector_under_its_own_name(self, cast):
        content = text(cast.client(cast.director).get("/inspections/"))
        assert "全部巡查人" in content and "全部责任人" not in content

    def test_it_uses_as_many_queries_for_many_inspections_as_for_few(self, cast):
        client = cast.client(cast.director)
        urls = ["/inspections/", "/inspections/?passed=no&target=compound", f"/inspections/?grid={cast.grid1.code}"]
        record(cast, cast.compound1, fails={"HY03": "杂物"})
        record(cast, cast.shop1)
        few = query_counts(client, urls)
        for _ in range(3):
            record(cast, cast.compound1, fails={"HY03": "杂物"})
            record(cast, cast.shop1)
            record(cast, cast.office, actor=cast.director)
        assert query_counts(client, urls) == few

    def test_it_exports_what_it_shows(self, cast):
        record(cast, cast.compound1, fails={"HY03": "杂物"})
        record(cast, cast.shop1)
        response = cast.client(cast.director).get("/inspections/", {"target": "compound", "format": "xlsx"})
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        codes = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell in ("T-C01", "T-S001")]
        assert codes == ["T-C01"]
        event = AuditEvent.objects.get(action="export.inspections")
        assert event.after["rows"] == 1 and event.after["filters"] == {"target": "compound"}

    def test_it_refuses_the_export_without_the_right(self, cast):
        record(cast, cast.compound1)
        assert cast.client(cast.grid_worker).get("/inspections/", {"format": "xlsx"}).status_code == 403
        assert not AuditEvent.objects.filter(action__startswith="export").exists()


class PlaceChooseTests:
    def test_it_lists_my_places_overdue_or_due_soon_most_overdue_first(self, cast):
        worker = cast.grid_worker
        for place in (cast.compound1, cast.shop1):
            territory_services.assignment_create(actor=None, person=worker, place=place)
        territory_services.assignment_create(actor=None, person=cast.grid_leader, place=cast.building1)
        record(cast, cast.shop1)  # visited today: due in two weeks
        response = cast.client(worker).get("/inspections/new/")
        assert [visit.place for visit in response.context["visits"]] == [cast.compound1]
        assert 'href="/inspections/new/compound/T-C01/"' in text(response)
        # Visited long ago, the shop is overdue too; the never-visited compound still comes first.
        Inspection.objects.update(inspected_at=timezone.now() - datetime.timedelta(days=40))
        response = cast.client(worker).get("/inspections/new/")
        assert [visit.place for visit in response.context["visits"]] == [cast.compound1, cast.shop1]

    def test_it_finds_places_to_inspect_by_name_or_code(self, cast):
        territory_services.shop_create(
            actor=None, code="T-S003", name="测试旧店", trade=cast.shop1.trade, area=cast.grid1, address="俭学街9号"
        )
        Shop.objects.filter(code="T-S003").update(status=ShopStatus.CLOSED)
        client = cast.client(cast.director)
        response = client.get("/inspections/new/", {"q": "测试"}, headers={"HX-Request": "true"})
        assert "<html" not in text(response)
        found = [(row["target"], row["place"].code) for row in response.context["results"]]
        assert found == [
            ("compound", "T-C01"),
            ("compound", "T-C02"),
            ("shop", "T-S001"),
            ("shop", "T-S002"),
            ("office", "T-O1"),
        ]
        worker = cast.client(cast.grid_worker).get("/inspections/new/", {"q": "T-"})
        assert [row["place"].code for row in worker.context["results"]] == ["T-C01", "T-S001"]
        assert cast.client(cast.outsider).get("/inspections/new/", {"q": "测试"}).context["results"] == []

    def test_it_puts_the_search_first_and_says_when_nothing_is_due(self, cast):
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        record(cast, cast.compound1)  # visited today: due next week at the earliest
        response = cast.client(cast.grid_worker).get("/inspections/new/")
        assert response.context["visits"] == []
        content = text(response)
        assert content.index('id="place-search"') < content.index("data-due")
        assert 'placeholder="场所名称或编码"' in content
        assert f"您负责的场所都没有逾期，{selectors.DUE_SOON_DAYS} 天内也没有到期的巡查。" in content

    def test_it_sends_someone_who_answers_for_no_place_to_the_overdue_list(self, cast):
        response = cast.client(cast.director).get("/inspections/new/")
        assert (response.context["visits"], response.context["answers_for_places"]) == ([], False)
        content = text(response)
        assert "您在本社区没有负责的场所。" in content
        assert 'href="/inspections/overdue/?community=410105008004"' in content

    def test_it_lists_what_is_due_within_the_days_of_the_visit_map(self, cast):
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        record(cast, cast.compound1, at=timezone.now() - datetime.timedelta(days=60))
        due = selectors.visit_of(cast.compound1, as_of=timezone.localdate()).due
        client = cast.client(cast.grid_worker)
        soon = due - datetime.timedelta(days=selectors.DUE_SOON_DAYS)
        response = client.get("/inspections/new/", {"day": soon.isoformat()})
        assert [visit.place for visit in response.context["visits"]] == [cast.compound1]
        assert f"截至 {soon.isoformat()}" in text(response)
        earlier = soon - datetime.timedelta(days=1)
        assert client.get("/inspections/new/", {"day": earlier.isoformat()}).context["visits"] == []

    def test_it_judges_as_of_the_day_asked(self, cast):
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1)
        visited = timezone.now() - datetime.timedelta(days=40)
        record(cast, cast.shop1, at=visited)
        client = cast.client(cast.grid_worker)
        assert [visit.place for visit in client.get("/inspections/new/").context["visits"]] == [cast.shop1]
        day = timezone.localdate(visited) + datetime.timedelta(days=1)
        response = client.get("/inspections/new/", {"day": day.isoformat()})
        assert (response.context["as_of"], response.context["visits"]) == (day, [])
        bad = client.get("/inspections/new/", {"day": "2014-13-01"})
        assert bad.context["as_of"] == timezone.localdate()
        assert messages_of(bad) == ["无法识别“2014-13-01”，已忽略。"]
        assert [visit.place for visit in bad.context["visits"]] == [cast.shop1]

    def test_it_refuses_roles_that_do_not_inspect(self, cast):
        for who in ("auditor", "building_leader", "resident"):
            assert cast.client(getattr(cast, who)).get("/inspections/new/").status_code == 403, who
        assert is_login_redirect(cast.client(None).get("/inspections/new/"))

    def test_it_uses_as_many_queries_for_many_places_as_for_few(self, cast):
        worker = cast.grid_worker
        territory_services.assignment_create(actor=None, person=worker, place=cast.compound1)
        client = cast.client(worker)
        urls = ["/inspections/new/", "/inspections/new/?q=测试"]
        few = query_counts(client, urls)
        for number in range(3, 8):
            compound = territory_services.compound_create(
                actor=None, code=f"T-C0{number}", name=f"测试{number}号院", area=cast.grid1, management="none"
            )
            territory_services.assignment_create(actor=None, person=worker, place=compound)
            record(cast, compound, at=timezone.now() - datetime.timedelta(days=30))
        assert len(client.get("/inspections/new/").context["visits"]) == 6
        assert query_counts(client, urls) == few


class PlaceHistoryTests:
    URL = "/inspections/places/compound/T-C01/"

    def test_it_opens_to_the_readers_of_the_place(self, cast):
        record(cast, cast.compound1)
        for who in READERS:
            assert cast.client(getattr(cast, who)).get(self.URL).status_code == 200, who
        assert cast.client(cast.outsider).get(self.URL).status_code == 404
        assert cast.client(cast.grid_worker).get("/inspections/places/office/T-O1/").status_code == 404
        assert cast.client(cast.resident).get(self.URL).status_code == 403
        assert is_login_redirect(cast.client(None).get(self.URL))

    def test_it_shows_scores_failures_relapses_and_open_cases(self, cast):
        last, earlier, case = _failed_then_fixed_then_failed(cast)
        record(cast, cast.office, actor=cast.director)  # another place: not counted
        response = cast.client(cast.grid_leader).get(self.URL)
        assert [i.pk for i in response.context["page_obj"]] == list(
            Inspection.objects.filter(compound=cast.compound1).order_by("-inspected_at").values_list("pk", flat=True)
        )
        trend = response.context["trend"]
        assert [str(p["inspection"].score) for p in trend["points"]] == ["90.0", "100.0", "90.0"]
        assert [(t.code, t.failed, t.relapses) for t in response.context["tallies"]] == [("HY03", 2, 1)]
        assert response.context["open_cases"] == [case]
        assert Case.objects.get(pk=earlier.pk).state == State.CLOSED
        assert response.context["visit"].last == timezone.localdate(last.inspected_at)
        content = text(response)
        assert f'href="/cases/{case.number}/"' in content
        assert 'href="/inspections/new/compound/T-C01/"' in content  # the grid leader may inspect
        auditor = cast.client(cast.auditor).get(self.URL)
        assert 'href="/inspections/new/compound/T-C01/"' not in text(auditor)

    def test_it_tells_failed_items_from_failed_inspections_in_chinese(self, cast):
        _failed_then_fixed_then_failed(cast)
        content = text(cast.client(cast.grid_leader).get(self.URL))
        assert "不合格项次" in content and "不合格次数" not in content
        assert "（HY03）" in content and "(HY03)" not in content

    def test_it_uses_as_many_queries_for_a_long_history_as_for_a_short_one(self, cast):
        client = cast.client(cast.director)
        record(cast, cast.compound1, fails={"HY03": "杂物"})
        few = query_counts(client, [self.URL])
        for _ in range(4):
            record(cast, cast.compound1)
            record(cast, cast.compound1, fails={"HY03": "杂物", "HY04": "小广告"})
        assert query_counts(client, [self.URL]) == few


class TerritoryLinkTests:
    def test_it_offers_inspecting_to_those_who_may_and_the_history_to_all(self, cast):
        links = {
            "/compounds/T-C01/": "/inspections/new/compound/T-C01/",
            "/shops/T-S001/": "/inspections/new/shop/T-S001/",
        }
        for page, form in links.items():
            history = form.replace("/new/", "/places/")
            worker = text(cast.client(cast.grid_worker).get(page))
            auditor = text(cast.client(cast.auditor).get(page))
            assert f'href="{form}"' in worker and f'href="{history}"' in worker, page
            assert f'href="{form}"' not in auditor and f'href="{history}"' in auditor, page

    def test_it_links_office_buildings_only(self, cast):
        office = text(cast.client(cast.director).get("/buildings/T-O1/"))
        assert 'href="/inspections/new/office/T-O1/"' in office
        residential = text(cast.client(cast.director).get("/buildings/T-C01-B1/"))
        assert "/inspections/" not in residential.split("<main")[1]
