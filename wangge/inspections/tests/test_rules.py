"""The rules a review found missing: when an inspection may be entered, what it must check, what a failure after
a verified rectification means, offices inside compounds, standards owned per community, two inspectors at once,
and what leaves the office (Open311, Excel)."""

import datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from conftest import Cast
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, State
from wangge.core import ledgers
from wangge.core.testing import race
from wangge.inspections import services
from wangge.inspections.models import Checklist, Finding, Inspection, Reinspection, Result, Severity
from wangge.inspections.services import Answer
from wangge.territory import services as territory_services

from .test_services import T0, answers, custom_checklist, day, english, in_use, inspect, jpeg, media  # noqa: F401


class EntryTimeTests:
    def test_it_refuses_an_inspection_entered_more_than_a_week_after_it(self, cast: Cast, settings) -> None:
        checklist = in_use("compound-sanitation")
        given = answers(checklist, cast.compound1)
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker,
                checklist=checklist,
                place=cast.compound1,
                answers=given,
                inspected_at=T0,
                now=T0 + datetime.timedelta(days=settings.INSPECTION_LATE_ENTRY_DAYS, minutes=1),
            )
        assert error.value.message_dict["inspected_at"] == [
            "An inspection is entered at most 7 days after it took place."
        ]
        services.inspection_record(
            actor=cast.grid_worker,
            checklist=checklist,
            place=cast.compound1,
            answers=given,
            inspected_at=T0,
            now=T0 + datetime.timedelta(days=6),
        )
        assert Inspection.objects.count() == 1

    def test_it_refuses_an_inspection_earlier_than_one_already_entered(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        inspect(cast.grid_worker, checklist, cast.compound1, day(2))
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker,
                checklist=checklist,
                place=cast.compound1,
                answers=answers(checklist, cast.compound1),
                inspected_at=day(1),
                now=day(2, 12),
            )
        assert "enter inspections in the order they took place" in error.value.message_dict["inspected_at"][0]
        assert Inspection.objects.count() == 1

    def test_it_answers_400_not_500_for_a_date_of_year_one_through_the_api(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        body = {
            "target": "compound",
            "place": "T-C01",
            "checklist": checklist.pk,
            "inspected_at": "0001-01-01T00:00:00Z",
            "answers": [
                {"item": item.code, "result": "pass"} for item in services.items_for(checklist, cast.compound1)
            ],
        }
        response = cast.client(cast.grid_worker).post("/api/v1/inspections/", body, content_type="application/json")
        assert response.status_code == 400
        assert not Inspection.objects.exists()


class AnswerRuleTests:
    def test_it_checks_critical_items_always(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        critical = checklist.items.get(severity=Severity.CRITICAL)
        given = answers(checklist, cast.compound1, na=(critical.code,))
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker, checklist=checklist, place=cast.compound1, answers=given, now=T0
            )
        assert error.value.message_dict[f"item_{critical.code}"] == [
            "A critical item is always checked: answer pass or fail."
        ]

    def test_it_refuses_an_inspection_that_checks_nothing(self, cast: Cast) -> None:
        director = cast.director
        checklist = custom_checklist(
            director,
            code="lights",
            items=[{"code": "L1", "text": "路灯完好", "points": 10, "category": Category.objects.get(code="C03")}],
        )
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker,
                checklist=checklist,
                place=cast.compound1,
                answers={"L1": Answer(Result.NOT_APPLICABLE)},
                now=T0,
            )
        assert error.value.message_dict["answers"] == [
            "Every item is marked not applicable: an inspection checks at least one item."
        ]
        assert not Inspection.objects.exists()

    def test_it_judges_passing_on_the_exact_score_not_the_rounded_one(self, cast: Cast) -> None:
        c03 = Category.objects.get(code="C03")
        points = [100, 100, 100, 99, 100]  # 399 of 499 = 79.96: shown as 80.0, short of the mark of 80
        checklist = custom_checklist(
            cast.director,
            code="exact",
            pass_mark=80,
            items=[
                {"code": f"E{n}", "text": f"第{n}项", "points": p, "category": c03, "photo_required": False}
                for n, p in enumerate(points)
            ],
        )
        given = {f"E{n}": Answer(Result.PASS) for n in range(4)} | {"E4": Answer(Result.FAIL, "坏了")}
        inspection = services.inspection_record(
            actor=cast.grid_worker, checklist=checklist, place=cast.compound1, answers=given, inspected_at=T0, now=T0
        )
        assert str(inspection.score) == "80.0" and not inspection.passed

    def test_it_names_the_item_whose_case_category_is_no_longer_in_use(self, cast: Cast, settings) -> None:
        checklist = in_use("compound-sanitation")
        Category.objects.filter(code="E0201").update(active=False)  # HY04's category
        given = answers(checklist, cast.compound1, fail={"HY01": "垃圾", "HY04": "小广告"})
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker, checklist=checklist, place=cast.compound1, answers=given, now=T0
            )
        assert "is no longer in use" in error.value.message_dict["item_HY04"][0]
        assert not Case.objects.exists() and not Inspection.objects.exists()
        assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


class VerifiedThenFailingTests:
    def test_it_closes_the_verified_case_and_opens_a_new_one_counted_as_a_relapse(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        first = inspect(cast.grid_worker, checklist, cast.compound1, day(0), fail={"HY01": "垃圾堆积"})
        case = first.findings.get(item_code="HY01").case
        case = case_services.case_act(
            actor=cast.grid_worker, case=case, action="handle", note="已清理", photos=[jpeg()], now=day(1)
        )
        case = case_services.case_act(actor=cast.grid_leader, case=case, action="verify", now=day(1, 12))
        assert case.state == State.VERIFIED
        again = inspect(cast.grid_worker, checklist, cast.compound1, day(3), fail={"HY01": "又堆了垃圾"})
        case.refresh_from_db()
        assert case.state == State.CLOSED
        assert Reinspection.objects.get(inspection=again, case=case).fixed is False
        finding = again.findings.get(item_code="HY01")
        assert finding.case is not None and finding.case != case and finding.case.state == State.DISPATCHED
        assert finding.relapse_of == case and again.relapse_count == 1


class SuspendedCaseTests:
    def test_it_files_a_failure_again_under_the_suspended_case_instead_of_opening_another(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        first = inspect(cast.grid_worker, checklist, cast.compound1, day(0), fail={"HY01": "垃圾堆积"})
        case = first.findings.get(item_code="HY01").case
        case_services.case_act(
            actor=cast.director, case=case, action="suspend", note="产权纠纷，待街道协调", now=day(1)
        )
        again = inspect(cast.grid_worker, checklist, cast.compound1, day(8), fail={"HY01": "仍有垃圾"})
        assert again.findings.get(item_code="HY01").case == case
        assert Case.objects.filter(source="inspection").count() == 1
        case.refresh_from_db()
        assert case.state == State.SUSPENDED and not Reinspection.objects.filter(case=case).exists()


class OfficeInCompoundTests:
    def test_it_files_the_case_in_the_compound_and_gives_it_to_its_building_leader(self, cast: Cast) -> None:
        office = territory_services.building_create(
            actor=None, code="T-O2", name="院内写字楼", kind="office", compound=cast.compound1
        )
        territory_services.assignment_create(actor=None, person=cast.building_leader, place=office)
        checklist = in_use("office-building")
        inspection = inspect(cast.grid_worker, checklist, office, T0, fail={"XZ01": "楼前垃圾"})
        case = inspection.findings.get(item_code="XZ01").case
        assert case.compound == cast.compound1 and case.area_path == office.area_path
        assert case.assignee == cast.building_leader  # C01 is a compound-level category: 小事不出楼院


class OwnedStandardTests:
    def test_it_lets_only_administrators_change_the_shared_standard(self, cast: Cast) -> None:
        shared = in_use("shop-standards")
        for director in (cast.director, cast.outsider):
            with pytest.raises(PermissionDenied):
                services.checklist_retire(actor=director, checklist=shared)
        services.checklist_retire(actor=None, checklist=shared)  # the deployment's administrators may
        shared.refresh_from_db()
        assert shared.status == "retired"

    def test_it_refuses_another_community_s_standard_in_an_inspection(self, cast: Cast) -> None:
        own = services.checklist_new_version(
            actor=cast.outsider, checklist=in_use("shop-standards"), community=cast.next_door
        )
        own = services.checklist_publish(actor=cast.outsider, checklist=own, now=T0)
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker, checklist=own, place=cast.shop1, answers=answers(own, cast.shop1), now=T0
            )
        assert error.value.message_dict["checklist"] == ["This checklist version is not in use."]


class PublicationTests:
    def test_it_keeps_rectification_cases_out_of_open311(self, cast: Cast) -> None:
        at = timezone.now() - datetime.timedelta(hours=1)
        inspect(cast.grid_worker, in_use("compound-sanitation"), cast.compound1, at, fail={"HY01": "垃圾"})
        assert Case.objects.filter(source="inspection").exists()
        listed = cast.client(None).get("/open311/v2/requests.json", {"jurisdiction_id": cast.home.code}).json()
        assert listed == []

    def test_it_writes_text_that_looks_like_a_formula_as_text(self, tmp_path) -> None:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("x")
        sheet.append(
            [ledgers.as_text_cell(sheet, '=HYPERLINK("http://example.invalid","点我")'), ledgers.as_text_cell(sheet, 3)]
        )
        workbook.save(tmp_path / "x.xlsx")
        cell = openpyxl.load_workbook(tmp_path / "x.xlsx")["x"]["A1"]
        assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://example.invalid","点我")')


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections and row locks: PostgreSQL")
class ConcurrentReinspectionTests:
    def test_it_lets_two_inspectors_re_inspect_the_same_place_at_once(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        now = timezone.now()
        first = inspect(
            cast.grid_worker, checklist, cast.compound1, now - datetime.timedelta(hours=2), fail={"HY01": "垃圾"}
        )
        case = first.findings.get(item_code="HY01").case
        given = [answers(checklist, cast.compound1) for _ in range(2)]
        outcomes = race(
            lambda: services.inspection_record(
                actor=cast.grid_worker, checklist=checklist, place=cast.compound1, answers=given[0], now=now
            ),
            lambda: services.inspection_record(
                actor=cast.grid_leader, checklist=checklist, place=cast.compound1, answers=given[1], now=now
            ),
        )
        assert all(isinstance(outcome, Inspection) for outcome in outcomes), outcomes
        case.refresh_from_db()
        assert case.state == State.CLOSED
        assert Reinspection.objects.filter(case=case).count() == 1  # the second found it closed already
        assert Finding.objects.filter(inspection__in=outcomes, item_code="HY01", case__isnull=False).count() == 0


class FarDateTests:
    def test_it_answers_the_list_and_its_export_for_days_at_the_ends_of_the_calendar(self, cast: Cast) -> None:
        client = cast.client(cast.director)
        for name, value in (("since", "0001-01-01"), ("until", "9999-12-31")):
            response = client.get("/inspections/", {name: value})
            assert response.status_code == 200
            assert name in response.context["filter"].form.errors
        # The export refuses the same filter and goes back to the list, which says why.
        assert client.get("/inspections/", {"since": "0001-01-01", "format": "xlsx"}).status_code == 302


class SecondReviewTests:
    """What a second review found: another community's standards on our pages, and late entries out of order."""

    def next_door_standard(self, cast: Cast, status: str = "published") -> Checklist:
        own = services.checklist_new_version(
            actor=cast.outsider, checklist=in_use("compound-sanitation"), community=cast.next_door
        )
        services.checklist_item_save(
            actor=cast.outsider, checklist=own, item=own.items.get(code="HY01"), text="邻里专用标准"
        )
        own = services.checklist_publish(actor=cast.outsider, checklist=own, now=T0)
        if status == "retired":
            own = services.checklist_retire(actor=cast.outsider, checklist=own)
        return own

    def test_it_never_shows_another_community_s_retired_standard_on_the_form(self, cast: Cast) -> None:
        theirs = self.next_door_standard(cast, status="retired")
        response = cast.client(cast.grid_worker).post("/inspections/new/compound/T-C01/", {"checklist": theirs.pk})
        assert response.context["checklist"] != theirs
        assert "邻里专用标准" not in response.content.decode()

    def test_it_names_only_the_user_s_standards_in_the_list_filter(self, cast: Cast) -> None:
        services.checklist_create(
            actor=cast.outsider, community=cast.next_door, code="next-door-only", name="邻里自定标准", target="compound"
        )
        theirs = self.next_door_standard(cast)
        assert theirs.code == "compound-sanitation"
        Checklist.objects.filter(code="next-door-only").update(status="published")
        response = cast.client(cast.grid_worker).get("/inspections/")
        codes = [code for code, _name in response.context["filter"].filters["checklist"].extra["choices"]]
        assert "next-door-only" not in codes and "compound-sanitation" in codes

    def test_it_answers_another_community_s_checklist_id_like_a_made_up_one_in_the_api(self, cast: Cast) -> None:
        theirs = self.next_door_standard(cast)
        body = {
            "target": "compound",
            "place": "T-C01",
            "checklist": theirs.pk,
            "answers": [{"item": "HY01", "result": "pass"}],
        }
        response = cast.client(cast.grid_worker).post("/api/v1/inspections/", body, content_type="application/json")
        assert response.status_code == 400 and "checklist" in response.json()
        made_up = dict(body, checklist=999999)
        other = cast.client(cast.grid_worker).post("/api/v1/inspections/", made_up, content_type="application/json")
        # The same words as for an id that does not exist: the answer does not confirm the other's standard exists.
        assert response.json()["checklist"] == [
            message.replace("999999", str(theirs.pk)) for message in other.json()["checklist"]
        ]

    def test_it_refuses_a_late_entry_older_than_the_last_step_of_an_open_case(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        now = timezone.now()
        first = inspect(
            cast.grid_worker, checklist, cast.compound1, now - datetime.timedelta(days=5), fail={"HY01": "垃圾"}
        )
        case = first.findings.get(item_code="HY01").case
        case_services.case_act(
            actor=cast.grid_worker,
            case=case,
            action="handle",
            note="已清理",
            photos=[jpeg()],
            now=now - datetime.timedelta(hours=2),
        )
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker,
                checklist=checklist,
                place=cast.compound1,
                answers=answers(checklist, cast.compound1),
                inspected_at=now - datetime.timedelta(days=3),
                now=now,
            )
        assert "A rectification case of this place changed later" in error.value.message_dict["inspected_at"][0]
        case.refresh_from_db()
        assert case.state == State.HANDLED

    def test_it_does_not_count_a_failure_filed_under_a_suspended_case_as_opened(self, cast: Cast) -> None:
        checklist = in_use("compound-sanitation")
        first = inspect(cast.grid_worker, checklist, cast.compound1, day(0), fail={"HY01": "垃圾堆积"})
        case = first.findings.get(item_code="HY01").case
        case_services.case_act(actor=cast.director, case=case, action="suspend", note="产权纠纷", now=day(1))
        again = inspect(cast.grid_worker, checklist, cast.compound1, day(8), fail={"HY01": "仍有垃圾"})
        from wangge.inspections.views import _outcome

        outcome = _outcome(again, list(again.findings.select_related("case")))
        assert outcome.opened == [] and outcome.closed == [] and outcome.not_fixed == []


class MovedPlaceTests:
    def test_it_moves_a_shop_s_inspections_with_it_to_the_new_grid(self, cast: Cast) -> None:
        inspect(cast.grid_worker, in_use("shop-standards"), cast.shop1, T0, fail={"MD02": "门前油污"})
        territory_services.shop_update(actor=cast.director, shop=cast.shop1, area=cast.grid2)
        inspection = Inspection.objects.get()
        assert (inspection.area, inspection.area_path) == (cast.grid2, cast.shop1.area_path)
        assert not Inspection.objects.for_user(cast.grid_worker).exists()  # grid 001's worker no longer sees it

    def test_it_moves_a_compound_s_inspections_and_its_office_buildings_with_it(self, cast: Cast) -> None:
        office = territory_services.building_create(
            actor=None, code="T-O2", name="院内写字楼", kind="office", compound=cast.compound1
        )
        inspect(cast.grid_worker, in_use("compound-sanitation"), cast.compound1, T0)
        inspect(cast.grid_worker, in_use("office-building"), office, T0)
        territory_services.compound_update(
            actor=cast.director, compound=cast.compound1, area=cast.grid2, longitude=113.6600, latitude=34.7880
        )
        assert set(Inspection.objects.values_list("area", flat=True)) == {cast.grid2.pk}
        assert all(path.startswith(cast.grid2.path) for path in Inspection.objects.values_list("area_path", flat=True))
