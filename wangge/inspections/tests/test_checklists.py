"""The checklist pages: every office role reads the shared standards; the director writes them through the
services (drafts, items inline with htmx, new versions, putting in use, retiring); a version inspections used
stays as it was, a forged change shows the service's message and writes nothing; the export is audited."""

import datetime
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from wangge.accounts import services as account_services
from wangge.cases.models import Category
from wangge.core.models import AuditEvent
from wangge.inspections import services
from wangge.inspections.models import Checklist, ChecklistItem, Inspection, Result
from wangge.territory import services as territory_services

LIST = "/inspections/checklists/"
READERS = ["director", "grid_leader", "grid_worker", "auditor", "outsider"]
NON_EDITORS = ["grid_leader", "grid_worker", "auditor", "building_leader"]
HTMX = {"HX-Request": "true"}


def in_use(code: str = "compound-sanitation") -> Checklist:
    # A community's own version in use comes before the shared one (the tests' only community with one is home).
    return Checklist.objects.filter(code=code, status="published").order_by(F("community").asc(nulls_last=True))[0]


def inspect(cast: Any, place: Any, code: str = "compound-sanitation", *, failing: str = "") -> Inspection:
    """An inspection of `place` by the director, every item passing but `failing` (failed without a photo)."""
    checklist = in_use(code)
    answers = {item.code: services.Answer(Result.PASS) for item in services.items_for(checklist, place)}
    if failing:
        answers[failing] = services.Answer(Result.FAIL, note="有垃圾")
        ChecklistItem.objects.filter(checklist=checklist, code=failing).update(photo_required=False)
    return services.inspection_record(
        actor=cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=timezone.now() - datetime.timedelta(hours=1),
    )


def refusal(call: Callable[[], Any]) -> list[str]:
    """The messages with which a service refuses (in the interface's language), to find them on the page."""
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


def written() -> tuple[list[tuple], int, int]:
    """What a refused write must leave alone: checklists, items and the audit log."""
    checklists = list(Checklist.objects.order_by("pk").values_list("pk", "name", "status", "pass_mark"))
    return checklists, ChecklistItem.objects.count(), AuditEvent.objects.count()


def item_data(**extra: Any) -> dict[str, Any]:
    return {
        "code": "HY10",
        "section": "环境卫生",
        "text": "楼前无积水",
        "points": 5,
        "severity": "minor",
        "category": Category.objects.get(code="C01").pk,
        "photo_required": "on",
        "rectify_hours": "",
        **extra,
    }


def draft_of(cast: Any, code: str = "compound-sanitation") -> Checklist:
    """俭学街社区's own draft of a standard (a new version of what it uses now)."""
    return services.checklist_new_version(actor=cast.director, checklist=in_use(code), community=cast.home)


def own_in_use(cast: Any, code: str = "compound-sanitation") -> Checklist:
    """俭学街社区's own version of a shared standard, put in use there: its director may change and retire it."""
    return services.checklist_publish(actor=cast.director, checklist=draft_of(cast, code))


class ChecklistListTests:
    @pytest.mark.parametrize("who", READERS)
    def test_it_shows_every_office_role_the_shared_standards(self, cast, who) -> None:
        response = cast.client(getattr(cast, who)).get(LIST)
        assert response.status_code == 200
        codes = [standard["code"] for standard in response.context["standards"]]
        assert sorted(codes) == ["compound-sanitation", "office-building", "shop-standards"]

    def test_it_gives_each_version_its_items_points_and_inspections(self, cast) -> None:
        inspect(cast, cast.compound1)
        inspect(cast, cast.compound2)
        draft = draft_of(cast)
        standards = cast.client(cast.director).get(LIST).context["standards"]
        # Two rows: the shared standard first, then the community's own versions of it.
        rows = [s for s in standards if s["code"] == "compound-sanitation"]
        assert [row["current"].community for row in rows] == [None, cast.home]
        assert [
            [(v.version, v.status, v.item_count, v.total_points, v.used) for v in row["versions"]] for row in rows
        ] == [
            [(1, "published", 9, 100, 2)],
            [(2, "draft", 9, 100, 0)],
        ]
        assert (rows[0]["in_use"], rows[1]["in_use"]) == (in_use(), None)
        assert rows[1]["current"].pk == draft.pk

    def test_it_filters_by_the_kind_of_place(self, cast) -> None:
        standards = cast.client(cast.director).get(LIST, {"target": "shop"}).context["standards"]
        assert [standard["code"] for standard in standards] == ["shop-standards"]

    def test_it_offers_the_writes_only_to_those_who_write_standards(self, cast) -> None:
        assert "/inspections/checklists/new/" in cast.client(cast.director).get(LIST).content.decode()
        assert "/inspections/checklists/new/" not in cast.client(cast.grid_leader).get(LIST).content.decode()

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast) -> None:
        response = cast.client(None).get(LIST)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_it_refuses_a_resident_account(self, cast) -> None:
        assert cast.client(cast.resident).get(LIST).status_code == 403

    def test_it_uses_as_many_queries_for_many_versions_as_for_few(self, cast) -> None:
        client = cast.client(cast.director)
        client.get(LIST)
        with CaptureQueriesContext(connection) as few:
            client.get(LIST)
        for code in ("compound-sanitation", "shop-standards", "office-building"):
            services.checklist_publish(actor=cast.director, checklist=draft_of(cast, code))
            draft_of(cast, code)
        inspect(cast, cast.compound1)
        with CaptureQueriesContext(connection) as many:
            response = client.get(LIST)
        assert sum(len(s["versions"]) for s in response.context["standards"]) == 9
        assert len(many.captured_queries) == len(few.captured_queries)


class ChecklistDetailTests:
    @pytest.mark.parametrize("who", READERS)
    def test_it_shows_the_items_by_section_with_their_totals(self, cast, who) -> None:
        response = cast.client(getattr(cast, who)).get(f"{LIST}{in_use('shop-standards').pk}/")
        assert response.status_code == 200
        sections = response.context["sections"]
        assert [section.name for section in sections][:3] == ["证照", "门前三包", "店外经营"]
        assert [item.code for item in sections[1].items] == ["MD02", "MD03", "MD04"]
        assert sections[1].points == 40
        assert (response.context["item_count"], response.context["total_points"]) == (13, 145)
        page = response.content.decode()
        assert "小餐饮、小食品店" in page  # the trades an item applies to, by name
        assert "MD07" in page

    def test_it_says_which_version_is_in_use(self, cast) -> None:
        draft = draft_of(cast)
        response = cast.client(cast.grid_worker).get(f"{LIST}{draft.pk}/")
        assert response.context["in_use"] == in_use()
        assert [v.version for v in response.context["versions"]] == [2, 1]

    def test_it_answers_404_for_no_such_checklist(self, cast) -> None:
        assert cast.client(cast.director).get(f"{LIST}999999/").status_code == 404

    def test_it_shows_a_used_version_read_only_with_a_new_version_button(self, cast) -> None:
        checklist = in_use()
        inspect(cast, cast.compound1)
        response = cast.client(cast.director).get(f"{LIST}{checklist.pk}/")
        page = response.content.decode()
        assert response.context["editable"] is False
        assert f"/inspections/checklists/{checklist.pk}/new-version/" in page
        assert f"/inspections/checklists/{checklist.pk}/edit/" not in page
        assert "/inspections/checklists/items/" not in page

    def test_it_offers_no_writes_to_the_other_roles(self, cast) -> None:
        draft = draft_of(cast)
        page = cast.client(cast.grid_leader).get(f"{LIST}{draft.pk}/").content.decode()
        assert "/publish/" not in page and "/items/new/" not in page and "/edit/" not in page

    def test_it_answers_htmx_with_the_items_only(self, cast) -> None:
        response = cast.client(cast.director).get(f"{LIST}{in_use().pk}/", headers=HTMX)
        page = response.content.decode()
        assert page.lstrip().startswith('<section id="items"')
        assert "<html" not in page

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast) -> None:
        response = cast.client(None).get(f"{LIST}{in_use().pk}/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class ChecklistWriteTests:
    def test_it_creates_a_checklist_as_a_draft(self, cast) -> None:
        data = {"code": "night-market", "name": "夜市检查表", "target": "shop", "description": "", "pass_mark": 85}
        response = cast.client(cast.director).post(f"{LIST}new/", {**data, "grouping": "inspection"})
        checklist = Checklist.objects.get(code="night-market")
        assert response.status_code == 302 and response["Location"] == f"{LIST}{checklist.pk}/"
        assert (checklist.version, checklist.status, checklist.pass_mark, checklist.grouping) == (
            1,
            "draft",
            85,
            "inspection",
        )
        assert AuditEvent.objects.filter(action="checklist.create", actor=cast.director).count() == 1

    def test_it_shows_the_service_message_for_a_code_in_use(self, cast) -> None:
        data = {"code": "shop-standards", "name": "又一个", "target": "shop", "pass_mark": 80, "grouping": "item"}
        before = written()
        response = cast.client(cast.director).post(f"{LIST}new/", data)
        assert response.status_code == 200
        expected = refusal(lambda: services.checklist_create(actor=cast.director, community=cast.home, **data))
        assert response.context["form"].errors["code"] == expected
        assert written() == before

    def test_it_changes_a_drafts_fields(self, cast) -> None:
        draft = draft_of(cast)
        data = {"name": "楼院环境卫生检查表（2025版）", "description": "新版", "pass_mark": 85, "grouping": "item"}
        response = cast.client(cast.director).post(f"{LIST}{draft.pk}/edit/", data)
        assert response.status_code == 302
        draft.refresh_from_db()
        assert (draft.name, draft.pass_mark, draft.code, draft.target) == (data["name"], 85, draft.code, "compound")

    def test_it_refuses_a_pass_mark_above_100(self, cast) -> None:
        draft = draft_of(cast)
        data = {"name": "x", "pass_mark": 120, "grouping": "item"}
        response = cast.client(cast.director).post(f"{LIST}{draft.pk}/edit/", data)
        assert "pass_mark" in response.context["form"].errors
        assert Checklist.objects.get(pk=draft.pk).pass_mark == 80

    def test_it_shows_the_service_message_for_a_forged_change_of_a_used_version(self, cast) -> None:
        checklist = own_in_use(cast)
        inspect(cast, cast.compound1)
        client = cast.client(cast.director)
        item = checklist.items.get(code="HY01")
        expected = refusal(lambda: services.checklist_update(actor=cast.director, checklist=checklist, name="改"))
        before = written()
        edit = client.post(f"{LIST}{checklist.pk}/edit/", {"name": "改", "pass_mark": 60, "grouping": "item"})
        assert edit.status_code == 200 and edit.context["locked"]
        assert edit.context["form"].non_field_errors() == expected
        add = client.post(f"{LIST}{checklist.pk}/items/new/", item_data(), headers=HTMX)
        assert add.context["item_form"].non_field_errors() == expected
        change = client.post(f"{LIST}items/{item.pk}/edit/", item_data(points=1), headers=HTMX)
        assert change.context["item_form"].non_field_errors() == expected
        delete = client.post(f"{LIST}items/{item.pk}/delete/", headers=HTMX)
        assert delete.context["problem"] == " ".join(expected)
        assert expected[0] in delete.content.decode()
        assert written() == before

    def test_it_shows_a_refused_delete_on_the_page_without_htmx(self, cast) -> None:
        checklist = in_use()
        inspect(cast, cast.compound1)
        item = checklist.items.get(code="HY01")
        response = cast.client(cast.director).post(f"{LIST}items/{item.pk}/delete/", follow=True)
        messages = [str(message) for message in response.context["messages"]]
        assert messages == refusal(lambda: services.checklist_item_delete(actor=cast.director, item=item))
        assert ChecklistItem.objects.filter(pk=item.pk).exists()

    def test_it_makes_a_new_version_changes_it_and_puts_it_in_use(self, cast) -> None:
        old = own_in_use(cast)
        inspect(cast, cast.compound1)
        client = cast.client(cast.director)
        response = client.post(f"{LIST}{old.pk}/new-version/")
        draft = Checklist.objects.get(code=old.code, version=3)
        assert response["Location"] == f"{LIST}{draft.pk}/" and draft.status == "draft"
        assert client.post(f"{LIST}{old.pk}/new-version/")["Location"] == f"{LIST}{draft.pk}/"  # the draft reused
        client.post(f"{LIST}items/{draft.items.get(code='HY01').pk}/edit/", item_data(points=20))
        response = client.post(f"{LIST}{draft.pk}/publish/")
        assert response["Location"] == f"{LIST}{draft.pk}/"
        old.refresh_from_db()
        draft.refresh_from_db()
        assert (old.status, draft.status) == ("retired", "published")
        assert draft.items.get(code="HY01").points == 20
        assert old.items.get(code="HY01").points == 15  # the inspection keeps what it was scored on

    def test_it_shows_why_a_draft_cannot_be_put_in_use(self, cast) -> None:
        checklist = services.checklist_create(
            actor=cast.director, community=cast.home, code="empty", name="空表", target="office"
        )
        response = cast.client(cast.director).post(f"{LIST}{checklist.pk}/publish/", follow=True)
        messages = [str(message) for message in response.context["messages"]]
        assert messages == refusal(lambda: services.checklist_publish(actor=cast.director, checklist=checklist))
        assert Checklist.objects.get(pk=checklist.pk).status == "draft"

    def test_it_retires_a_version(self, cast) -> None:
        checklist = own_in_use(cast, "office-building")
        retired_before = AuditEvent.objects.filter(action="checklist.retire").count()
        cast.client(cast.director).post(f"{LIST}{checklist.pk}/retire/")
        assert Checklist.objects.get(pk=checklist.pk).status == "retired"
        assert AuditEvent.objects.filter(action="checklist.retire").count() == retired_before + 1

    def test_it_keeps_directors_from_retiring_the_shared_standard(self, cast) -> None:
        shared = in_use("office-building")
        for director in (cast.director, cast.outsider):
            assert cast.client(director).post(f"{LIST}{shared.pk}/retire/").status_code == 403
        assert Checklist.objects.get(pk=shared.pk).status == "published"

    def test_it_makes_the_community_s_own_version_of_a_shared_standard(self, cast) -> None:
        shared = in_use("office-building")
        client = cast.client(cast.director)
        client.post(f"{LIST}{shared.pk}/new-version/")
        own = Checklist.objects.get(code=shared.code, community=cast.home)
        client.post(f"{LIST}{own.pk}/publish/")
        own.refresh_from_db()
        shared.refresh_from_db()
        assert (own.status, shared.status) == ("published", "published")  # the shared one stays in use elsewhere
        # The director next door neither sees nor touches it.
        assert cast.client(cast.outsider).get(f"{LIST}{own.pk}/").status_code == 404
        assert cast.client(cast.outsider).post(f"{LIST}{own.pk}/retire/").status_code == 404

    def test_it_lets_the_subdistrict_administrator_and_a_superuser_write(self, cast) -> None:
        admin = account_services.user_create(actor=None, username="subadmin", display_name="街道管理员")
        territory_services.role_grant(actor=None, user=admin, role="subdistrict_admin", area=cast.subdistrict)
        root = account_services.user_create(actor=None, username="root", display_name="系统管理员")
        root.is_superuser = True
        root.save()
        for user in (admin, root):
            assert cast.client(user).post(f"{LIST}{in_use('office-building').pk}/new-version/").status_code == 302
        drafts = Checklist.objects.filter(code="office-building", status="draft")
        # The subdistrict administrator drafts a community's own version (its first community); the superuser, the
        # deployment's administrator, drafts the next version of the shared standard itself.
        assert sorted(str(draft.community) for draft in drafts) == sorted([str(cast.home), "None"])

    def test_it_gives_a_director_of_another_community_their_own_version_not_the_shared_one(self, cast) -> None:
        response = cast.client(cast.outsider).post(f"{LIST}{in_use('office-building').pk}/new-version/")
        assert response.status_code == 302
        draft = Checklist.objects.get(code="office-building", status="draft")
        assert draft.community == cast.next_door
        assert cast.client(cast.director).get(f"{LIST}{draft.pk}/").status_code == 404

    @pytest.mark.parametrize("who", NON_EDITORS)
    def test_it_answers_403_to_the_other_roles_and_writes_nothing(self, cast, who) -> None:
        draft = draft_of(cast)
        item = draft.items.get(code="HY01")
        client = cast.client(getattr(cast, who))
        before = written()
        new = {"code": "x", "name": "x", "target": "shop", "pass_mark": 80, "grouping": "item"}
        attempts = [
            client.get(f"{LIST}new/"),
            client.post(f"{LIST}new/", new),
            client.get(f"{LIST}{draft.pk}/edit/"),
            client.post(f"{LIST}{draft.pk}/edit/", {"name": "改", "pass_mark": 60, "grouping": "item"}),
            client.get(f"{LIST}{draft.pk}/items/new/"),
            client.post(f"{LIST}{draft.pk}/items/new/", item_data()),
            client.post(f"{LIST}items/{item.pk}/edit/", item_data(points=1)),
            client.post(f"{LIST}items/{item.pk}/delete/"),
            client.post(f"{LIST}{in_use().pk}/new-version/"),
            client.post(f"{LIST}{draft.pk}/publish/"),
            client.post(f"{LIST}{in_use().pk}/retire/"),
        ]
        assert [response.status_code for response in attempts] == [403] * len(attempts)
        assert written() == before

    def test_it_sends_anonymous_writes_to_sign_in_and_writes_nothing(self, cast) -> None:
        draft = draft_of(cast)
        client = cast.client(None)
        before = written()
        responses = [
            client.post(f"{LIST}new/", {"code": "x", "name": "x", "target": "shop"}),
            client.post(f"{LIST}{draft.pk}/items/new/", item_data()),
            client.post(f"{LIST}{draft.pk}/publish/"),
        ]
        assert all(r.status_code == 302 and "/accounts/login/" in r["Location"] for r in responses)
        assert written() == before

    def test_it_takes_the_steps_by_post_only(self, cast) -> None:
        client = cast.client(cast.director)
        assert client.get(f"{LIST}{in_use().pk}/new-version/").status_code == 405
        assert client.get(f"{LIST}{in_use().pk}/retire/").status_code == 405


class ItemInlineTests:
    def test_it_adds_an_item_inline(self, cast) -> None:
        draft = draft_of(cast)
        client = cast.client(cast.director)
        form = client.get(f"{LIST}{draft.pk}/items/new/", headers=HTMX)
        assert "<html" not in form.content.decode() and form.context["item_form"] is not None
        response = client.post(f"{LIST}{draft.pk}/items/new/", item_data(rectify_hours=48), headers=HTMX)
        page = response.content.decode()
        assert "<html" not in page and "HY10" in page
        assert "item_form" not in response.context and response.context["notice"]
        item = draft.items.get(code="HY10")
        assert (item.points, item.rectify_hours, item.order, item.category.code) == (5, 48, 10, "C01")
        assert response.context["total_points"] == 105
        assert AuditEvent.objects.filter(action="checklist.item_save").count() == 1

    def test_it_adds_an_item_without_htmx_too(self, cast) -> None:
        draft = draft_of(cast)
        client = cast.client(cast.director)
        assert "<html" in client.get(f"{LIST}{draft.pk}/items/new/").content.decode()
        response = client.post(f"{LIST}{draft.pk}/items/new/", item_data())
        assert response.status_code == 302 and response["Location"] == f"{LIST}{draft.pk}/#items"
        assert draft.items.filter(code="HY10").exists()

    def test_it_keeps_the_form_with_its_errors(self, cast) -> None:
        draft = draft_of(cast)
        response = cast.client(cast.director).post(
            f"{LIST}{draft.pk}/items/new/", item_data(code="HY01", points=0), headers=HTMX
        )
        errors = response.context["item_form"].errors
        assert "points" in errors
        response = cast.client(cast.director).post(f"{LIST}{draft.pk}/items/new/", item_data(code="HY01"), headers=HTMX)
        assert "code" in response.context["item_form"].errors  # the service: this code is taken
        assert draft.items.count() == 9

    def test_it_edits_an_item_inline_keeping_its_code(self, cast) -> None:
        draft = draft_of(cast)
        item = draft.items.get(code="HY03")
        client = cast.client(cast.director)
        form = client.get(f"{LIST}items/{item.pk}/edit/", headers=HTMX)
        assert form.context["editing"] == item and "code" not in form.context["item_form"].fields
        data = item_data(code="XX99", text="楼道无杂物", severity="major", photo_required="")
        response = client.post(f"{LIST}items/{item.pk}/edit/", data, headers=HTMX)
        assert response.context["notice"]
        item.refresh_from_db()
        assert (item.code, item.text, item.severity, item.photo_required) == ("HY03", "楼道无杂物", "major", False)

    def test_it_sets_the_trades_of_a_shop_item(self, cast) -> None:
        draft = draft_of(cast, "shop-standards")
        item = draft.items.get(code="XC02")
        data = item_data(code="", section="行业附加", text="健康证", trades=["restaurant", "hotel"])
        cast.client(cast.director).post(f"{LIST}items/{item.pk}/edit/", data, headers=HTMX)
        assert ChecklistItem.objects.get(pk=item.pk).trades == ["restaurant", "hotel"]

    def test_it_deletes_an_item_inline(self, cast) -> None:
        draft = draft_of(cast)
        item = draft.items.get(code="HY08")
        response = cast.client(cast.director).post(f"{LIST}items/{item.pk}/delete/", headers=HTMX)
        assert "<html" not in response.content.decode()
        assert response.context["total_points"] == 95
        assert not draft.items.filter(code="HY08").exists()
        assert in_use().items.filter(code="HY08").exists()

    def test_it_answers_404_for_no_such_item(self, cast) -> None:
        assert cast.client(cast.director).post(f"{LIST}items/999999/delete/").status_code == 404


class ChecklistExportTests:
    def test_it_exports_a_version_as_the_ledger_and_audits_it(self, cast) -> None:
        checklist = in_use("shop-standards")
        response = cast.client(cast.director).get(f"{LIST}{checklist.pk}.xlsx")
        assert response.status_code == 200
        rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
        with translation.override("zh-hans"):
            assert rows[0][0] == str(translation.gettext("Checklist code"))
        assert len(rows) == 1 + 13
        assert rows[1][:4] == ("shop-standards", checklist.name, str(checklist.get_target_display()), "MD01")
        xc01 = next(row for row in rows if row[3] == "XC01")
        assert xc01[9] == "小餐饮、小食品店"
        event = AuditEvent.objects.get(action="export.checklist_items")
        assert event.after["filters"] == {"checklist": "shop-standards", "version": 1}
        assert event.after["rows"] == 13

    def test_it_exports_the_versions_in_use_from_the_list(self, cast) -> None:
        draft_of(cast)
        response = cast.client(cast.auditor).get(LIST, {"format": "xlsx", "target": "compound"})
        rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
        assert len(rows) == 1 + 9 and {row[0] for row in rows[1:]} == {"compound-sanitation"}

    @pytest.mark.parametrize("who", ["grid_worker", "building_leader"])
    def test_it_answers_403_to_roles_without_the_export_right(self, cast, who) -> None:
        client = cast.client(getattr(cast, who))
        assert client.get(f"{LIST}{in_use().pk}.xlsx").status_code == 403
        assert client.get(LIST, {"format": "xlsx"}).status_code == 403
        assert not AuditEvent.objects.filter(action__startswith="export.").exists()

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast) -> None:
        assert cast.client(None).get(f"{LIST}{in_use().pk}.xlsx").status_code == 302


class ChecklistAdminTests:
    @pytest.mark.parametrize(
        "model", ["checklist", "schedule", "policy", "inspection"], ids=lambda model: f"admin-{model}"
    )
    def test_it_shows_the_records_read_only(self, cast, admin_client: Client, model) -> None:
        inspect(cast, cast.compound1)
        assert admin_client.get(f"/admin/inspections/{model}/").status_code == 200
        assert admin_client.get(f"/admin/inspections/{model}/add/").status_code == 403

    def test_it_opens_a_checklist_with_its_items(self, cast, admin_client: Client) -> None:
        page = admin_client.get(f"/admin/inspections/checklist/{in_use().pk}/change/").content.decode()
        assert "HY09" in page
