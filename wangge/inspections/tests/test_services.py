"""The inspection services on hand-built histories: scores, rectification cases, re-inspection, relapse,
versions of a standard, refusals that write nothing, and idempotency."""

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from conftest import Cast
from wangge.accounts.models import User
from wangge.cases import services as case_services
from wangge.cases import workflow
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, PhotoKind, Source, State
from wangge.core.models import AuditEvent
from wangge.inspections import selectors, services
from wangge.inspections.models import (
    Checklist,
    ChecklistItem,
    ChecklistStatus,
    Finding,
    Grouping,
    Inspection,
    Result,
    Severity,
    Target,
)
from wangge.inspections.services import Answer
from wangge.territory import services as territory_services
from wangge.territory.models import Area, Compound, Shop

ZONE = ZoneInfo("Asia/Shanghai")
# A Tuesday morning; every test dates its visits from here and passes `now`, so nothing depends on the clock.
T0 = datetime.datetime(2014, 6, 3, 9, 0, tzinfo=ZONE)


def jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> SimpleUploadedFile:
    """A tiny JPEG, as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo at all", content_type="image/jpeg")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in their English source form, so the tests can name them."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def in_use(code: str) -> Checklist:
    return Checklist.objects.get(code=code, status=ChecklistStatus.PUBLISHED, community__isnull=True)


@pytest.fixture
def shops(cast: Cast) -> Checklist:
    """The shop standard as 俭学街社区 uses it: its own version (v2) of the shared one, which its director may change,
    retire and replace (the shared standard is the deployment administrators')."""
    own = services.checklist_new_version(actor=cast.director, checklist=in_use("shop-standards"), community=cast.home)
    return services.checklist_publish(actor=cast.director, checklist=own, now=T0 - datetime.timedelta(days=2))


@pytest.fixture
def compounds() -> Checklist:
    return in_use("compound-sanitation")


def answers(
    checklist: Checklist,
    place: Compound | Shop,
    *,
    fail: dict[str, str] | None = None,
    na: tuple[str, ...] = (),
    photos: bool = True,
) -> dict[str, Answer]:
    """Every applicable item passed, but for the failures (code → note, with a photo) and the not-applicable ones."""
    fail = fail or {}
    result: dict[str, Answer] = {}
    for item in services.items_for(checklist, place):
        if item.code in fail:
            result[item.code] = Answer(Result.FAIL, fail[item.code], jpeg() if photos else None)
        elif item.code in na:
            result[item.code] = Answer(Result.NOT_APPLICABLE)
        else:
            result[item.code] = Answer(Result.PASS)
    return result


def inspect(
    actor: User,
    checklist: Checklist,
    place: Compound | Shop,
    at: datetime.datetime = T0,
    *,
    fail: dict[str, str] | None = None,
    na: tuple[str, ...] = (),
    **extra,
) -> Inspection:
    return services.inspection_record(
        actor=actor,
        checklist=checklist,
        place=place,
        answers=answers(checklist, place, fail=fail, na=na),
        inspected_at=at,
        now=at,
        **extra,
    )


def day(n: int, hour: int = 9) -> datetime.datetime:
    """`n` days after T0's day, at `hour`."""
    return T0.replace(hour=hour) + datetime.timedelta(days=n)


def custom_checklist(
    director: User,
    *,
    code: str,
    target: str = Target.COMPOUND,
    grouping: str = Grouping.ITEM,
    pass_mark: int = 80,
    items: list[dict],
) -> Checklist:
    """A standard made and put in use through the services, as a director would."""
    checklist = services.checklist_create(
        actor=director,
        community=Area.objects.get(path=director.memberships.get().scope_path),
        code=code,
        name=f"测试标准 {code}",
        target=target,
        pass_mark=pass_mark,
        grouping=grouping,
    )
    for item in items:
        services.checklist_item_save(actor=director, checklist=checklist, **item)
    return services.checklist_publish(actor=director, checklist=checklist, now=T0 - datetime.timedelta(days=1))


def item(code: str, points: int, category: str = "C01", **extra) -> dict:
    return {
        "code": code,
        "text": f"测试项 {code}",
        "points": points,
        "category": Category.objects.get(code=category),
    } | (extra)


class ScoreTests:
    def test_it_scores_points_passed_out_of_points_answered(self, cast: Cast, shops: Checklist) -> None:
        # A restaurant answers the eight common items (100 points) and its two trade extras (10 + 5).
        inspection = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD01": "营业执照未公示"})
        assert inspection.score == Decimal("91.3")  # 105 / 115
        assert (inspection.passed, inspection.failed_count) == (True, 1)

    def test_it_leaves_not_applicable_items_out_of_the_score(self, cast: Cast, shops: Checklist) -> None:
        inspection = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"}, na=("MD03",))
        assert inspection.score == Decimal("85.7")  # 90 / 105: the 10 points of MD03 are not counted
        assert inspection.findings.get(item_code="MD03").result == Result.NOT_APPLICABLE

    def test_it_rounds_half_up_to_one_decimal(self) -> None:
        one, rest = ChecklistItem(code="A", points=1), ChecklistItem(code="B", points=79)
        assert services.score_of([one, rest], {"A": Result.PASS, "B": Result.FAIL}) == Decimal("1.3")  # 1.25
        three, rest = ChecklistItem(code="A", points=3), ChecklistItem(code="B", points=77)
        assert services.score_of([three, rest], {"A": Result.PASS, "B": Result.FAIL}) == Decimal("3.8")  # 3.75
        two, one_more = ChecklistItem(code="A", points=2), ChecklistItem(code="B", points=1)
        assert services.score_of([two, one_more], {"A": Result.PASS, "B": Result.FAIL}) == Decimal("66.7")

    def test_it_gives_full_marks_when_nothing_was_answered(self) -> None:
        only = ChecklistItem(code="A", points=10)
        assert services.score_of([only], {"A": Result.NOT_APPLICABLE}) == Decimal("100.0")

    def test_it_passes_a_score_equal_to_the_pass_mark(self, cast: Cast) -> None:
        checklist = custom_checklist(
            cast.director,
            code="mark",
            pass_mark=80,
            items=[item("A1", 80), item("A2", 20, "C04", photo_required=False)],
        )
        at_mark = inspect(cast.grid_worker, checklist, cast.compound1, fail={"A2": "缺"})
        below = inspect(cast.grid_worker, checklist, cast.compound1, day(1), fail={"A1": "脏"})
        assert (at_mark.score, at_mark.passed) == (Decimal("80.0"), True)
        assert (below.score, below.passed) == (Decimal("20.0"), False)

    def test_it_fails_an_inspection_with_a_critical_failure_whatever_the_score(
        self, cast: Cast, shops: Checklist
    ) -> None:
        inspection = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD07": "灭火器过期"})
        assert ChecklistItem.objects.get(checklist=shops, code="MD07").severity == Severity.CRITICAL
        assert inspection.score == Decimal("87.0")  # 100 / 115, above the pass mark of 80
        assert inspection.passed is False

    def test_it_asks_a_shop_only_for_the_extras_of_its_trade(self, cast: Cast, shops: Checklist) -> None:
        restaurant = {item.code for item in services.items_for(shops, cast.shop1)}
        salon = {item.code for item in services.items_for(shops, cast.shop2)}
        common = {f"MD0{n}" for n in range(1, 9)}
        assert restaurant == common | {"XC01", "XC02"}
        assert salon == common | {"MF01"}
        # The salon is scored out of 110 points: failing its own extra costs 10 of them.
        inspection = inspect(cast.director, shops, cast.shop2, fail={"MF01": "无消毒记录"})
        assert inspection.score == Decimal("90.9")

    def test_it_refuses_an_answer_to_another_trades_extra(self, cast: Cast, shops: Checklist) -> None:
        given = answers(shops, cast.shop2)
        given["XC01"] = Answer(Result.PASS)
        with pytest.raises(ValidationError) as error:
            services.inspection_record(actor=cast.director, checklist=shops, place=cast.shop2, answers=given, now=T0)
        assert "XC01" in str(error.value.message_dict["answers"])
        assert Inspection.objects.count() == 0


@pytest.fixture
def shop1_to_worker(cast: Cast) -> None:
    territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1, duty="门前三包")


class CaseCreationTests:
    def test_it_opens_one_case_per_failed_item(self, cast: Cast, shops: Checklist, shop1_to_worker: None) -> None:
        inspection = inspect(cast.grid_leader, shops, cast.shop1, fail={"MD02": "门前有油污", "MD05": "桌椅摆上人行道"})
        cases = list(Case.objects.order_by("pk"))
        assert [case.category.code for case in cases] == ["C02", "E0502"]
        for case, code in zip(cases, ["MD02", "MD05"], strict=True):
            assert case.source == Source.INSPECTION
            assert (case.state, case.assignee, case.shop, case.area) == (
                State.DISPATCHED,
                cast.grid_worker,
                cast.shop1,
                cast.grid1,
            )
            assert case.reporter == cast.grid_leader
            assert (case.reported_at, case.dispatched_at) == (T0, T0)
            assert case.deadline_at == T0 + datetime.timedelta(hours=24)  # both categories: 24 plain hours
            assert code in case.description
            assert list(case.findings.values_list("item_code", flat=True)) == [code]
            assert case.photos.filter(kind=PhotoKind.BEFORE).count() == 1
        assert [e.action for e in CaseEvent.objects.filter(case=cases[0]).order_by("pk")] == [
            "report",
            "register",
            "dispatch",
        ]
        audited = set(AuditEvent.objects.values_list("action", flat=True))
        assert {"inspection.record", "case.report", "case.register", "case.dispatch"} <= audited
        assert AuditEvent.objects.filter(action="inspection.record", object_id=str(inspection.pk)).count() == 1
        assert inspection.findings.filter(case__isnull=False).count() == 2

    def test_it_copies_the_findings_photo_to_the_case(self, cast: Cast, shops: Checklist, media: Path) -> None:
        inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"})
        finding = Finding.objects.get(item_code="MD02")
        photo = CasePhoto.objects.get()
        assert finding.photo.name.startswith("inspections/") and photo.image.name.startswith("cases/")
        with finding.photo.open("rb") as one, photo.image.open("rb") as other:
            assert Image.open(one).size == Image.open(other).size == (32, 24)
        assert len(files_in(media)) == 2

    def test_it_takes_the_deadline_from_the_item_before_the_category(self, cast: Cast, compounds: Checklist) -> None:
        inspect(cast.grid_worker, compounds, cast.compound1, fail={"HY01": "院内垃圾", "HY03": "楼道堆物"})
        hy01 = Case.objects.get(findings__item_code="HY01")  # 24 hours to rectify, category C01 says 48
        hy03 = Case.objects.get(findings__item_code="HY03")  # no hours of its own: C01's 48
        assert hy01.deadline_at == T0 + datetime.timedelta(hours=24)
        assert hy03.deadline_at == T0 + datetime.timedelta(hours=48)

    def test_it_falls_back_to_the_inspector_when_the_place_has_nobody(self, cast: Cast, shops: Checklist) -> None:
        inspect(cast.grid_leader, shops, cast.shop1, fail={"MD02": "门前有油污"})
        assert Case.objects.get().assignee == cast.grid_leader

    def test_it_skips_a_responsible_person_who_cannot_handle_the_case(self, cast: Cast, compounds: Checklist) -> None:
        # The building leader answers for compound 1, but handles only compound-level cases (小事不出楼院).
        territory_services.assignment_create(actor=None, person=cast.building_leader, place=cast.compound1)
        inspect(cast.grid_worker, compounds, cast.compound1, fail={"HY03": "楼道堆物", "HY09": "楼道飞线充电"})
        assert Case.objects.get(findings__item_code="HY03").assignee == cast.building_leader  # C01: compound level
        assert Case.objects.get(findings__item_code="HY09").assignee == cast.grid_worker  # C07: community level

    def test_it_opens_no_case_when_everything_passes(self, cast: Cast, shops: Checklist) -> None:
        inspection = inspect(cast.grid_worker, shops, cast.shop1)
        assert (inspection.score, inspection.passed, inspection.failed_count) == (Decimal("100.0"), True, 0)
        assert Case.objects.count() == 0 and inspection.findings.count() == 10

    def test_it_opens_one_case_for_all_failures_when_the_checklist_says_so(self, cast: Cast) -> None:
        checklist = custom_checklist(
            cast.director,
            code="grouped",
            grouping=Grouping.INSPECTION,
            items=[
                item("G1", 40, "C01", rectify_hours=72),
                item("G2", 30, "E0201"),  # no hours of its own: the category's 48
                item("G3", 30, "C01"),
            ],
        )
        inspection = inspect(cast.grid_worker, checklist, cast.compound1, fail={"G1": "院内垃圾", "G2": "小广告"})
        case = Case.objects.get()
        assert case.category.code == "C01"  # the first failing item's
        assert case.deadline_at == T0 + datetime.timedelta(hours=48)  # the shortest of 72 and 48
        assert "G1" in case.description and "G2" in case.description and "G3" not in case.description
        assert case.photos.count() == 2
        assert set(inspection.findings.filter(case=case).values_list("item_code", flat=True)) == {"G1", "G2"}

    def test_it_opens_a_case_for_a_failure_the_item_needs_no_photo_of(self, cast: Cast, compounds: Checklist) -> None:
        # HY08 (notice board) asks no photo of a failure, though its category C01 wants one of every report:
        # the checklist item decides what an inspection's failure needs.
        hy08 = ChecklistItem.objects.get(checklist=compounds, code="HY08")
        assert (hy08.photo_required, hy08.category.photo_required) == (False, True)
        given = answers(compounds, cast.compound1)
        given["HY08"] = Answer(Result.FAIL, "公示牌缺失")
        services.inspection_record(
            actor=cast.grid_worker, checklist=compounds, place=cast.compound1, answers=given, now=T0
        )
        case = Case.objects.get()
        assert (case.category.code, case.state, case.photos.count()) == ("C01", State.DISPATCHED, 0)

    def test_it_opens_a_case_in_a_category_that_asks_extra_questions(self, cast: Cast, compounds: Checklist) -> None:
        # HY07 (facilities) files under C03, whose reporters must say which facility; an inspection answers its
        # checklist, not the category's questions.
        assert Category.objects.get(code="C03").questions.filter(required=True).exists()
        inspect(cast.grid_worker, compounds, cast.compound1, fail={"HY07": "二号楼楼道灯不亮"})
        case = Case.objects.get()
        assert (case.category.code, case.state, case.attributes) == ("C03", State.DISPATCHED, {})
        # A resident's report in the same category still has to answer.
        with pytest.raises(ValidationError):
            case_services.case_report(
                actor=None,
                category=case.category,
                description="灯坏了",
                source=Source.RESIDENT,
                compound=cast.compound1,
            )


@pytest.fixture
def open_case(cast: Cast, shops: Checklist) -> Case:
    """A rectification case for MD02 at the restaurant, opened by the grid worker at T0."""
    inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"})
    return Case.objects.get()


def handle(case: Case, actor: User, at: datetime.datetime) -> Case:
    return case_services.case_act(
        actor=actor, case=case, action="handle", note="已清理", photos=[jpeg((30, 160, 60))], now=at
    )


class ReinspectionTests:
    def test_it_closes_the_case_when_the_item_passes(self, cast: Cast, shops: Checklist, open_case: Case) -> None:
        inspect(cast.grid_worker, shops, cast.shop1, day(2))
        case = Case.objects.get()
        assert case.state == State.CLOSED
        assert (case.handled_at, case.verified_at, case.closed_at) == (day(2), day(2), day(2))
        events = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", "actor"))
        assert events[-3:] == [(a, cast.grid_worker.pk) for a in ("handle", "verify", "close")]
        assert Finding.objects.filter(inspection__inspected_at=day(2), item_code="MD02", case__isnull=True).exists()

    def test_it_lets_a_grid_worker_verify_only_through_an_inspection(self, cast: Cast, open_case: Case) -> None:
        roles = cast.grid_worker.roles_at(open_case.area_path)
        assert not workflow.may("verify", state=State.HANDLED, roles=roles, case_level=open_case.level)
        handled = handle(open_case, cast.grid_worker, day(1))
        with pytest.raises(PermissionDenied):
            case_services.case_act(actor=cast.grid_worker, case=handled, action="verify", now=day(1, 10))
        # by_inspection opens the inspection's actions on rectification cases only, never on an ordinary report.
        noise = case_services.case_report(
            actor=cast.grid_worker,
            category=Category.objects.get(code="C04"),
            description="夜间噪声",
            source=Source.PATROL,
            compound=cast.compound1,
            now=day(1),
        )
        noise = case_services.case_act(actor=cast.grid_leader, case=noise, action="register", now=day(1))
        noise = case_services.case_act(
            actor=cast.grid_leader, case=noise, action="dispatch", assignee=cast.grid_worker, now=day(1)
        )
        noise = case_services.case_act(actor=cast.grid_worker, case=noise, action="handle", note="已劝导", now=day(1))
        with pytest.raises(PermissionDenied):
            case_services.case_act(actor=cast.grid_worker, case=noise, action="verify", by_inspection=True, now=day(1))

    def test_it_sends_a_handled_case_back_when_the_item_fails_again(
        self, cast: Cast, shops: Checklist, open_case: Case
    ) -> None:
        handle(open_case, cast.grid_worker, day(1))
        again = inspect(cast.grid_worker, shops, cast.shop1, day(2), fail={"MD02": "仍有油污"})
        case = Case.objects.get()
        assert (case.state, case.rework_count, case.handled_at) == (State.IN_PROGRESS, 1, None)
        assert again.findings.get(item_code="MD02").case == case
        assert CaseEvent.objects.filter(case=case, action="rework", actor=cast.grid_worker).count() == 1
        # Fixed at the next visit after handling a second time: closed, with its rework on record.
        handle(case, cast.grid_worker, day(3))
        inspect(cast.grid_worker, shops, cast.shop1, day(4))
        case.refresh_from_db()
        assert (case.state, case.rework_count) == (State.CLOSED, 1)

    def test_it_notes_a_failed_reinspection_of_a_case_still_in_hand(
        self, cast: Cast, shops: Checklist, open_case: Case
    ) -> None:
        again = inspect(cast.grid_worker, shops, cast.shop1, day(1), fail={"MD02": "仍有油污"})
        case = Case.objects.get()
        assert (case.state, case.rework_count) == (State.DISPATCHED, 0)
        event = CaseEvent.objects.get(case=case, action="reinspect")
        assert (event.at, event.actor, event.data) == (day(1), cast.grid_worker, {"passed": False})
        assert "MD02" in event.note
        assert case.version == open_case.version + 1
        assert again.findings.get(item_code="MD02").case == case
        assert Case.objects.count() == 1

    def test_it_opens_a_new_case_for_another_item_beside_an_open_one(
        self, cast: Cast, shops: Checklist, open_case: Case
    ) -> None:
        inspect(cast.grid_worker, shops, cast.shop1, day(1), fail={"MD02": "仍有油污", "MD05": "店外摆放"})
        assert Case.objects.count() == 2
        assert Case.objects.get(findings__item_code="MD05").state == State.DISPATCHED

    def test_it_closes_a_grouped_case_only_when_all_its_items_pass(self, cast: Cast) -> None:
        checklist = custom_checklist(
            cast.director,
            code="grouped",
            grouping=Grouping.INSPECTION,
            items=[item("G1", 40), item("G2", 30, "E0201"), item("G3", 30)],
        )
        inspect(cast.grid_worker, checklist, cast.compound1, fail={"G1": "院内垃圾", "G2": "小广告"})
        inspect(cast.grid_worker, checklist, cast.compound1, day(1), fail={"G2": "小广告还在"})
        case = Case.objects.get()
        assert case.state == State.DISPATCHED
        assert CaseEvent.objects.filter(case=case, action="reinspect").count() == 1
        inspect(cast.grid_worker, checklist, cast.compound1, day(2))
        case.refresh_from_db()
        assert (case.state, Case.objects.count()) == (State.CLOSED, 1)


class RelapseTests:
    @pytest.fixture
    def verified(self, cast: Cast, shops: Checklist, open_case: Case) -> Case:
        """MD02's rectification verified (and closed) by the re-inspection on day 2."""
        inspect(cast.grid_worker, shops, cast.shop1, day(2))
        return Case.objects.get(pk=open_case.pk)

    def test_it_counts_the_same_item_failing_within_the_window(
        self, cast: Cast, shops: Checklist, verified: Case
    ) -> None:
        relapse = inspect(cast.grid_worker, shops, cast.shop1, day(2 + 30), fail={"MD02": "门前又有油污"})
        assert relapse.relapse_count == 1
        finding = relapse.findings.get(item_code="MD02")
        assert finding.relapse_of == verified
        assert finding.case is not None and finding.case != verified  # a new rectification case
        assert verified.relapses.count() == 1

    def test_it_does_not_count_a_failure_after_the_window(self, cast: Cast, shops: Checklist, verified: Case) -> None:
        late = inspect(cast.grid_worker, shops, cast.shop1, day(2 + 30, hour=10), fail={"MD02": "门前又有油污"})
        assert late.relapse_count == 0
        assert late.findings.get(item_code="MD02").relapse_of is None

    def test_it_uses_the_communitys_window(self, cast: Cast, shops: Checklist, verified: Case) -> None:
        services.policy_update(actor=cast.director, community=cast.home, relapse_days=40)
        later = inspect(cast.grid_worker, shops, cast.shop1, day(40), fail={"MD02": "门前又有油污"})
        assert later.relapse_count == 1

    def test_it_does_not_count_another_item(self, cast: Cast, shops: Checklist, verified: Case) -> None:
        other = inspect(cast.grid_worker, shops, cast.shop1, day(10), fail={"MD05": "店外摆放"})
        assert other.relapse_count == 0

    def test_it_does_not_count_the_same_item_at_another_place(
        self, cast: Cast, shops: Checklist, verified: Case
    ) -> None:
        elsewhere = inspect(cast.director, shops, cast.shop2, day(10), fail={"MD02": "门前有垃圾"})
        assert elsewhere.relapse_count == 0

    def test_it_counts_across_versions_of_the_checklist(self, cast: Cast, shops: Checklist, verified: Case) -> None:
        draft = services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home)
        services.checklist_item_save(
            actor=cast.director, checklist=draft, item=draft.items.get(code="MD02"), text="门前卫生干净（新）"
        )
        v3 = services.checklist_publish(actor=cast.director, checklist=draft, now=day(5))
        relapse = inspect(cast.grid_worker, v3, cast.shop1, day(10), fail={"MD02": "门前又有油污"})
        assert relapse.checklist.version == 3 and relapse.relapse_count == 1
        assert relapse.findings.get(item_code="MD02").relapse_of == verified

    def test_it_counts_a_relapse_once_while_its_new_case_is_open(
        self, cast: Cast, shops: Checklist, verified: Case
    ) -> None:
        first = inspect(cast.grid_worker, shops, cast.shop1, day(10), fail={"MD02": "门前又有油污"})
        still = inspect(cast.grid_worker, shops, cast.shop1, day(11), fail={"MD02": "还没清理"})
        assert (first.relapse_count, still.relapse_count) == (1, 0)
        assert still.findings.get(item_code="MD02").relapse_of is None
        assert Case.objects.count() == 2


class VersionTests:
    def test_it_refuses_to_change_a_version_an_inspection_used(self, cast: Cast, shops: Checklist) -> None:
        inspect(cast.grid_worker, shops, cast.shop1)
        md02 = shops.items.get(code="MD02")
        audited = AuditEvent.objects.count()
        attempts = [
            lambda: services.checklist_update(actor=cast.director, checklist=shops, name="改名"),
            lambda: services.checklist_item_save(actor=cast.director, checklist=shops, item=md02, points=50),
            lambda: services.checklist_item_save(
                actor=cast.director, checklist=shops, code="MD99", text="新项", category=md02.category
            ),
            lambda: services.checklist_item_delete(actor=cast.director, item=md02),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError) as error:
                attempt()
            assert error.value.messages == [
                "Version 2 of this checklist has been used by 1 inspections and cannot change, so that past "
                "inspections keep the standard they were scored on. Make a new version instead."
            ]
        shops.refresh_from_db()
        md02.refresh_from_db()
        assert (shops.name, md02.points, shops.items.count()) == ("街边门店检查表（门前三包）", 15, 13)
        assert AuditEvent.objects.count() == audited

    def test_it_copies_the_items_into_a_new_draft_version(self, cast: Cast, shops: Checklist) -> None:
        draft = services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home)
        assert (draft.code, draft.version, draft.status) == (shops.code, 3, ChecklistStatus.DRAFT)
        fields = ("code", "points", "severity", "category_id", "trades", "photo_required", "rectify_hours", "order")
        assert list(draft.items.order_by("order").values_list(*fields)) == list(
            shops.items.order_by("order").values_list(*fields)
        )
        assert (
            services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home) == draft
        )  # the open draft
        shops.refresh_from_db()
        assert shops.status == ChecklistStatus.PUBLISHED

    def test_it_retires_the_previous_version_on_publishing_and_inspections_keep_theirs(
        self, cast: Cast, shops: Checklist
    ) -> None:
        old = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"})
        draft = services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home)
        services.checklist_item_save(actor=cast.director, checklist=draft, item=draft.items.get(code="MD02"), points=20)
        services.checklist_publish(actor=cast.director, checklist=draft, now=day(1))
        shops.refresh_from_db()
        draft.refresh_from_db()
        assert (shops.status, draft.status) == (ChecklistStatus.RETIRED, ChecklistStatus.PUBLISHED)
        old.refresh_from_db()
        assert old.checklist == shops and old.score == Decimal("87.0")
        assert old.findings.get(item_code="MD02").item.points == 15
        new = inspect(cast.grid_worker, draft, cast.shop1, day(2), fail={"MD02": "门前有油污"})
        assert new.score == Decimal("83.3")  # 100 / 120 under version 2
        assert AuditEvent.objects.filter(action="checklist.retire", object_id=str(shops.pk)).count() == 1

    def test_it_lets_only_the_director_edit_standards(self, cast: Cast, shops: Checklist) -> None:
        for actor in (cast.grid_leader, cast.grid_worker, cast.auditor):
            with pytest.raises(PermissionDenied):
                services.checklist_new_version(actor=actor, checklist=shops, community=cast.home)
        assert Checklist.objects.filter(code=shops.code).count() == 2  # the shared v1 and home's v2

    def test_it_keeps_a_community_from_changing_the_shared_standard_or_another_community_s(self, cast: Cast) -> None:
        shops = in_use("shop-standards")
        # The shared standard is for every community: a director cannot retire or edit it ...
        with pytest.raises(PermissionDenied):
            services.checklist_retire(actor=cast.director, checklist=shops)
        with pytest.raises(PermissionDenied):
            services.checklist_new_version(actor=cast.director, checklist=shops)
        # ... they make their community's own version, which the director next door cannot touch.
        own = services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home)
        assert own.community == cast.home and own.version == 2
        with pytest.raises(PermissionDenied):
            services.checklist_publish(actor=cast.outsider, checklist=own)
        with pytest.raises(PermissionDenied):
            services.checklist_new_version(actor=cast.outsider, checklist=own, community=cast.next_door)
        services.checklist_publish(actor=cast.director, checklist=own)
        # In use at home only: next door still inspects against the shared version, which stays in use.
        assert list(selectors.checklists_in_use(cast.home, "shop")) == [own]
        assert list(selectors.checklists_in_use(cast.next_door, "shop")) == [shops]
        shops.refresh_from_db()
        assert shops.status == ChecklistStatus.PUBLISHED
        assert AuditEvent.objects.get(action="checklist.publish", object_id=str(own.pk)).area_path == cast.home.path


class BadInputTests:
    """Every refusal says why and leaves no trace: no row, no audit event, no file."""

    def attempt(self, cast: Cast, checklist: Checklist, case: str) -> None:
        place, actor, at, now = cast.shop1, cast.grid_worker, T0, T0
        # A valid failure with a photo beside the bad one: its photo must not reach the disk either.
        given = answers(checklist, place, fail={"MD05": "店外摆放"}) if checklist.target == Target.SHOP else {}
        if case == "out_of_scope":
            place = cast.shop2  # grid 2: not the grid worker's
        elif case == "next_door":
            place = cast.next_shop
        elif case == "auditor":
            actor = cast.auditor
        elif case == "building_leader":
            actor, place = cast.building_leader, cast.compound1
            given = answers(in_use("compound-sanitation"), place, fail={"HY01": "院内垃圾"})
            checklist = in_use("compound-sanitation")
        elif case == "missing_answer":
            del given["MD03"]
        elif case == "unknown_result":
            given["MD03"] = Answer("maybe")
        elif case == "no_note":
            given["MD02"] = Answer(Result.FAIL, "   ", jpeg())
        elif case == "no_photo":
            given["MD02"] = Answer(Result.FAIL, "门前有油污")
        elif case == "not_an_image":
            given["MD02"] = Answer(Result.FAIL, "门前有油污", not_an_image())
        elif case == "long_note":
            given["MD02"] = Answer(Result.FAIL, "长" * 501, jpeg())
        elif case == "future":
            at = now + datetime.timedelta(hours=1)
        services.inspection_record(
            actor=actor, checklist=checklist, place=place, answers=given, inspected_at=at, now=now
        )

    @pytest.mark.parametrize(
        "case, error, key",
        [
            ("out_of_scope", PermissionDenied, None),
            ("next_door", PermissionDenied, None),
            ("auditor", PermissionDenied, None),
            ("building_leader", PermissionDenied, None),
            ("missing_answer", ValidationError, "item_MD03"),
            ("unknown_result", ValidationError, "item_MD03"),
            ("no_note", ValidationError, "item_MD02"),
            ("no_photo", ValidationError, "item_MD02"),
            ("not_an_image", ValidationError, "item_MD02"),
            ("long_note", ValidationError, "item_MD02"),
            ("future", ValidationError, "inspected_at"),
        ],
    )
    def test_it_refuses_and_writes_nothing(
        self, cast: Cast, shops: Checklist, media: Path, case: str, error: type, key: str | None
    ) -> None:
        audited = AuditEvent.objects.count()
        with pytest.raises(error) as raised:
            self.attempt(cast, shops, case)
        if key is not None:
            assert key in raised.value.message_dict
        self.assert_nothing_written(audited, media)

    def test_it_names_the_reason(self, cast: Cast, shops: Checklist) -> None:
        with pytest.raises(ValidationError) as error:
            self.attempt(cast, shops, "no_note")
        assert error.value.message_dict["item_MD02"] == ["Say what is wrong."]
        with pytest.raises(ValidationError) as error:
            self.attempt(cast, shops, "no_photo")
        assert error.value.message_dict["item_MD02"] == ["This item needs a photo of the failure."]
        with pytest.raises(ValidationError) as error:
            self.attempt(cast, shops, "not_an_image")
        assert error.value.message_dict["item_MD02"] == ["This file is not a readable image."]
        with pytest.raises(PermissionDenied) as denied:
            self.attempt(cast, shops, "auditor")
        assert str(denied.value) == "Your role does not inspect places."
        with pytest.raises(PermissionDenied) as denied:
            self.attempt(cast, shops, "out_of_scope")
        assert str(denied.value) == "You are not responsible for this area."

    def test_it_refuses_a_checklist_for_another_kind_of_place(
        self, cast: Cast, compounds: Checklist, media: Path
    ) -> None:
        audited = AuditEvent.objects.count()
        with pytest.raises(ValidationError) as error:
            services.inspection_record(
                actor=cast.grid_worker, checklist=compounds, place=cast.shop1, answers={}, now=T0
            )
        assert error.value.message_dict["checklist"] == ["This checklist is for another kind of place."]
        self.assert_nothing_written(audited, media)

    @pytest.mark.parametrize("status", [ChecklistStatus.DRAFT, ChecklistStatus.RETIRED])
    def test_it_refuses_a_checklist_not_in_use(self, cast: Cast, shops: Checklist, media: Path, status: str) -> None:
        draft = services.checklist_new_version(actor=cast.director, checklist=shops, community=cast.home)
        if status == ChecklistStatus.RETIRED:
            services.checklist_publish(actor=cast.director, checklist=draft, now=T0)
            draft = shops  # the version in use before is retired now
        draft.refresh_from_db()
        assert draft.status == status
        audited = AuditEvent.objects.count()
        given = answers(draft, cast.shop1, fail={"MD02": "门前有油污"})
        with pytest.raises(ValidationError) as error:
            services.inspection_record(actor=cast.grid_worker, checklist=draft, place=cast.shop1, answers=given, now=T0)
        assert error.value.message_dict["checklist"] == ["This checklist version is not in use."]
        self.assert_nothing_written(audited, media)

    def assert_nothing_written(self, audited: int, media: Path) -> None:
        assert Inspection.objects.count() == 0
        assert Finding.objects.count() == 0
        assert Case.objects.count() == 0
        assert CasePhoto.objects.count() == 0
        assert AuditEvent.objects.count() == audited
        assert files_in(media) == []


class IdempotencyTests:
    def test_it_makes_one_inspection_of_the_same_key_sent_twice(self, cast: Cast, shops: Checklist) -> None:
        first = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"}, idempotency_key="phone-1")
        again = inspect(cast.grid_worker, shops, cast.shop1, fail={"MD02": "门前有油污"}, idempotency_key="phone-1")
        assert again.pk == first.pk
        assert (Inspection.objects.count(), Finding.objects.count(), Case.objects.count()) == (1, 10, 1)

    def test_it_keeps_one_persons_key_apart_from_anothers(self, cast: Cast, shops: Checklist) -> None:
        first = inspect(cast.grid_worker, shops, cast.shop1, idempotency_key="phone-1")
        other = inspect(cast.grid_leader, shops, cast.shop1, idempotency_key="phone-1")
        assert other.pk != first.pk and Inspection.objects.count() == 2
