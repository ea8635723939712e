"""Who answers for what, and readiness (迎检): who may open them, what each role sees of the decomposition, the
readiness figures against values worked out by hand, the day they are read as of, and their cost in queries.

The decomposition of the `tree` campaign (2014-06-01 to 2014-10-31, 20 points) used throughout:

- 1.1.2 垃圾桶配置到位 (3, by hand) → 第一网格, 网格员丙: target 每栋楼配齐两个, due 07-31; scored 2; 1 meeting record
  of the 1 required.
- 2.1.2 工作台账齐全 (2, by hand, 2 pieces required) → the community, 主任甲: scored 2; 1 meeting record.
- 1.1.1 楼院无卫生死角 (5, compound inspections' pass rate) → 第二网格, 网格员庚.
- 1.2.1 门店无店外经营 (4, shops) and 2.1.1 群众反映问题按期办结 (6, on-time closure): not assigned.
- Plan tasks: 补齐垃圾桶 (第一网格, 网格员丙), 楼院清扫 (第二网格, 网格员庚), 整理台账 (the community, 主任甲).

With `inspected` (测试二号院 in 第二网格 passes on 07-01 and fails HY01 and HY03 on 07-05, opening two
rectification cases, which the inspection standards judge; residents report two problems there on 07-05, dispatched
to 网格员庚, which stay open) readiness reads, as of the campaign's end:

- 1.1.1: 1 of 2 inspections passed → 5 × 1/2 = 2.50. 2.1.1: 0 of 2 cases closed on time → 0.00. 1.2.1: no shop
  inspected → not scored.
- Total 2.50 + 2 + 0 + 0.00 + 2 = 6.50 of 20 = 32.5 %; complete 1 of 5 (only 1.1.2); not scored 1 (1.2.1).
- Items: 1 市容环境 4.50 of 12 = 37.5 %, 2 为民服务 2.00 of 8 = 25.0 %.
- Grids: the community 2 of 2, 第一网格 2 of 3, 第二网格 2.50 of 5. People: 网格员庚 (50 %), 网格员丙 (66.7 %),
  主任甲 (100 %), weakest first.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal as N

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.campaigns import services
from wangge.campaigns.models import IndicatorAssignment, Level, Method, PlanTask
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, Source
from wangge.core.testing import query_counts
from wangge.inspections import selectors as inspection_selectors
from wangge.inspections import services as inspection_services
from wangge.inspections.models import Checklist
from wangge.territory import services as territory_services

from .conftest import START

pytestmark = pytest.mark.usefixtures("english")

D = datetime.date


@dataclass
class Decomposition:
    neighbour: User  # 网格员庚, grid worker of grid 2
    bins: IndicatorAssignment
    ledger: IndicatorAssignment
    sweep: IndicatorAssignment
    grid1_task: PlanTask
    grid2_task: PlanTask
    home_task: PlanTask


def meeting(actor, indicator, area, title: str) -> None:
    services.evidence_file(
        actor=actor, indicator=indicator, area=area, kind="meeting", title=title, occurred_on=D(2014, 7, 1), text="纪要"
    )


def decompose(cast, tree) -> Decomposition:
    """The decomposition the module docstring describes."""
    neighbour = account_services.user_create(
        actor=None, username="neighbour", display_name="网格员庚", password="x-pass-1234"
    )
    territory_services.role_grant(actor=None, user=neighbour, role=Role.GRID_WORKER, area=cast.grid2)
    assign = services.assignment_save
    bins = assign(
        actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker, target="每栋楼配齐两个",
        due_on=D(2014, 7, 31),
    )  # fmt: skip
    ledger = assign(actor=None, indicator=tree.ledger, area=cast.home, person=cast.director)
    sweep = assign(actor=None, indicator=tree.sweep, area=cast.grid2, person=neighbour)
    services.assignment_score(actor=None, assignment=bins, score=2, note="缺一个")
    services.assignment_score(actor=None, assignment=ledger, score=2)
    meeting(cast.grid_worker, tree.bins, cast.grid1, "垃圾桶配置会")
    meeting(cast.director, tree.ledger, cast.home, "台账整理会")
    plan = services.work_plan_create(actor=None, campaign=tree.campaign, name="工作计划表")
    phase = services.phase_save(actor=None, plan=plan, name="集中整治", starts_on=START, ends_on=D(2014, 10, 31))

    def task(title, owner, area, due):
        return services.task_save(
            actor=None, plan=plan, phase=phase, title=title, owner=owner, area=area, starts_on=START, due_on=due
        )

    return Decomposition(
        neighbour,
        bins,
        ledger,
        sweep,
        task("补齐垃圾桶", cast.grid_worker, cast.grid1, D(2014, 7, 15)),
        task("楼院清扫", neighbour, cast.grid2, D(2014, 8, 1)),
        task("整理台账", cast.director, cast.home, D(2014, 10, 20)),
    )


@pytest.fixture
def decomposed(cast, tree) -> Decomposition:
    return decompose(cast, tree)


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile("failure.jpg", buffer.getvalue(), content_type="image/jpeg")


def inspect(cast, place, day: datetime.date, fails: tuple[str, ...] = ()) -> None:
    """An inspection of `place` on `day` (10:00) that fails `fails` and passes every other item."""
    checklist = Checklist.objects.get(target=inspection_selectors.target_of(place), status="published")
    answers = {
        item.code: inspection_services.Answer("fail", "不合格", jpeg())
        if item.code in fails
        else inspection_services.Answer("pass")
        for item in inspection_services.items_for(checklist, place)
    }
    when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    inspection_services.inspection_record(
        actor=cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=when,
        now=when + datetime.timedelta(hours=1),
    )


@pytest.fixture
def inspected(cast, decomposed) -> Decomposition:
    inspect(cast, cast.compound2, D(2014, 7, 1))
    inspect(cast, cast.compound2, D(2014, 7, 5), fails=("HY01", "HY03"))
    reported = timezone.make_aware(datetime.datetime(2014, 7, 5, 15))
    for description in ("楼道堆放杂物", "路灯不亮"):
        case = case_services.case_report(
            actor=None, category=Category.objects.get(code="C04"), description=description, source="resident",
            compound=cast.compound2, now=reported,
        )  # fmt: skip
        case = case_services.case_act(actor=cast.director, case=case, action="register", now=reported)
        case_services.case_act(
            actor=cast.director, case=case, action="dispatch", assignee=decomposed.neighbour, now=reported
        )
    return decomposed


def shown(response) -> dict[str, tuple[list[str], list[str]]]:
    """Per area code on the page: the standards' numbers and the tasks' titles."""
    return {
        group.area.code: (
            [a.indicator.code for a in group.assignments],
            [t.title for t in group.tasks],
        )
        for group in response.context["groups"]
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class ResponsibilitiesTests:
    def url(self, tree) -> str:
        return f"/campaigns/{tree.campaign.pk}/responsibilities/"

    def test_it_shows_a_grid_worker_what_they_answer_for(self, cast, tree, decomposed):
        response = cast.client(cast.grid_worker).get(self.url(tree))
        assert response.status_code == 200
        assert response.context["mine"] is True
        assert shown(response) == {cast.grid1.code: (["1.1.2"], ["补齐垃圾桶"])}
        row = response.context["groups"][0].assignments[0]
        assert (row.state.score, row.state.evidence, row.state.complete) == (2, 1, True)
        html = response.content.decode()
        assert "每栋楼配齐两个" in html and "2014-07-31" in html
        assert f'href="/campaigns/indicators/{tree.bins.pk}/"' in html

    def test_it_keeps_a_grid_worker_within_their_grid(self, cast, tree, decomposed):
        client = cast.client(cast.grid_worker)
        everything = client.get(self.url(tree), {"all": "1"})
        assert everything.context["mine"] is False
        assert shown(everything) == {cast.grid1.code: (["1.1.2"], ["补齐垃圾桶"])}
        assert everything.context["people"] == [cast.grid_worker]
        assert everything.context["areas"] == [cast.grid1]
        # Another grid's person or area is not theirs to choose: said, and their own shown instead.
        for query in ({"person": decomposed.neighbour.pk}, {"area": cast.grid2.code}, {"person": "x"}):
            response = client.get(self.url(tree), query)
            assert len(messages_of(response)) == 1, query
            assert "was not understood" in messages_of(response)[0]
            assert shown(response) == {cast.grid1.code: (["1.1.2"], ["补齐垃圾桶"])}
        html = everything.content.decode()
        assert "楼院清扫" not in html and "1.1.1" not in html

    def test_it_lets_the_director_choose_anyone_or_any_area(self, cast, tree, decomposed):
        client = cast.client(cast.director)
        own = client.get(self.url(tree))
        assert own.context["mine"] is True
        assert shown(own) == {cast.home.code: (["2.1.2"], ["整理台账"])}
        someone = client.get(self.url(tree), {"person": decomposed.neighbour.pk})
        assert shown(someone) == {cast.grid2.code: (["1.1.1"], ["楼院清扫"])}
        grid = client.get(self.url(tree), {"area": cast.grid1.code})
        assert shown(grid) == {cast.grid1.code: (["1.1.2"], ["补齐垃圾桶"])}
        everything = client.get(self.url(tree), {"all": "1"})
        assert list(shown(everything)) == [cast.home.code, cast.grid1.code, cast.grid2.code]
        assert {p.pk for p in everything.context["people"]} == {
            cast.director.pk, cast.grid_worker.pk, decomposed.neighbour.pk
        }  # fmt: skip
        assert [a.code for a in everything.context["areas"]] == [cast.home.code, cast.grid1.code, cast.grid2.code]

    def test_it_shows_the_whole_decomposition_to_who_answers_for_nothing(self, cast, tree, decomposed):
        response = cast.client(cast.auditor).get(self.url(tree))
        assert response.status_code == 200
        assert response.context["mine"] is False
        assert list(shown(response)) == [cast.home.code, cast.grid1.code, cast.grid2.code]
        assert response.context["assignment_count"] == 3 and response.context["task_count"] == 3

    def test_it_marks_an_overdue_task(self, cast, tree, decomposed):
        services.task_set_status(actor=None, task=decomposed.grid1_task, status="done", done_on=D(2014, 7, 10))
        response = cast.client(cast.director).get(self.url(tree), {"all": "1"})
        states = {t.title: t.state for group in response.context["groups"] for t in group.tasks}
        assert states == {"补齐垃圾桶": "done", "楼院清扫": "overdue", "整理台账": "overdue"}

    def test_it_heads_the_page_with_the_leadership_group(self, cast, tree, decomposed):
        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="四城联创领导小组")
        territory_services.leadership_member_add(
            actor=None, group=group, person=cast.director, position="head", duty="全面负责"
        )
        territory_services.leadership_member_add(actor=None, group=group, person=cast.grid_leader, position="member")
        services.campaign_update(actor=None, campaign=tree.campaign, leadership_group=group)
        response = cast.client(cast.grid_worker).get(self.url(tree))
        assert [m.person for m in response.context["members"]] == [cast.director, cast.grid_leader]
        html = response.content.decode()
        assert html.index("四城联创领导小组") < html.index("每栋楼配齐两个")
        assert "全面负责" in html

    def test_it_refuses_who_does_not_work_on_the_campaign(self, cast, tree, decomposed):
        assert cast.client(cast.outsider).get(self.url(tree)).status_code == 404
        assert cast.client(cast.resident).get(self.url(tree)).status_code == 403
        assert cast.client(cast.building_leader).get(self.url(tree)).status_code == 403
        response = cast.client(None).get(self.url(tree))
        assert response.status_code == 302 and "/login" in response["Location"]

    def test_it_reads_in_a_fixed_number_of_queries(self, cast, tree, decomposed):
        client = cast.client(cast.director)
        urls = [self.url(tree), self.url(tree) + "?all=1", self.url(tree) + f"?area={cast.grid1.code}"]
        few = query_counts(client, urls)
        grow(cast, tree, decomposed)
        many = query_counts(client, urls)
        assert many == few


def grow(cast, tree, decomposed) -> None:
    """More standards scored by hand, assigned in the same areas with evidence, and more tasks."""
    for n in range(3, 7):
        standard = services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.STANDARD, code=f"2.1.{n}", text=f"增补标准{n}", points=1,
            parent=tree.content21, method=Method.MATERIALS,
        )  # fmt: skip
        area, person = (cast.grid1, cast.grid_worker) if n % 2 else (cast.home, cast.director)
        assignment = services.assignment_save(actor=None, indicator=standard, area=area, person=person)
        services.assignment_score(actor=None, assignment=assignment, score=1)
        meeting(person, standard, area, f"会议{n}")
        services.task_save(
            actor=None, plan=decomposed.home_task.plan, phase=decomposed.home_task.phase, title=f"任务{n}",
            owner=person, area=area, starts_on=START, due_on=D(2014, 9, 1), indicators=[standard],
        )  # fmt: skip


class ReadinessTests:
    def url(self, tree) -> str:
        return f"/campaigns/{tree.campaign.pk}/readiness/"

    def test_it_adds_up_the_campaign_as_worked_out_by_hand(self, cast, tree, inspected):
        assert Case.objects.filter(source=Source.INSPECTION).count() == 2
        assert Case.objects.exclude(source=Source.INSPECTION).count() == 2
        response = cast.client(cast.director).get(self.url(tree))
        assert response.status_code == 200
        assert response.context["as_of"] == D(2014, 10, 31)
        report = response.context["report"]
        total = report.total
        assert (total.score, total.points, total.percent) == (N("6.50"), 20, N("32.5"))
        assert (total.complete, total.standards, total.unscored) == (1, 5, 1)
        assert [(p.key, p.score, p.points, p.percent) for p in report.items] == [
            ("1", N("4.50"), 12, N("37.5")),
            ("2", N("2.00"), 8, N("25.0")),
        ]
        assert [(p.label, p.score, p.points, p.complete) for p in report.grids] == [
            ("俭学街社区", 2, 2, 0),
            ("第一网格", 2, 3, 1),
            ("第二网格", N("2.50"), 5, 0),
        ]
        assert [(p.label, p.percent) for p in report.people] == [
            ("网格员庚", N("50.0")),
            ("网格员丙", N("66.7")),
            ("主任甲", N("100.0")),
        ]
        html = response.content.decode()
        assert "6.50" in html and "32.5%" in html

    def test_it_lists_the_weakest_standards_first_with_what_is_missing(self, cast, tree, inspected):
        response = cast.client(cast.grid_worker).get(self.url(tree))
        weakest = [(s.state.indicator.code, s.missing) for s in response.context["weakest"]]
        assert weakest == [
            (
                "1.2.1",
                ["not assigned to an area", "not scored: no records to judge by in the period", "evidence 0 of 1"],
            ),
            (
                "2.1.1",
                ["not assigned to an area", "score 0.00 of 6.00 (0 of 2 cases closed on time)", "evidence 0 of 1"],
            ),
            ("1.1.1", ["score 2.50 of 5.00 (第二网格: 1 of 2 inspections passed)", "evidence 0 of 1"]),
            ("1.1.2", ["score 2.00 of 3.00"]),
            ("2.1.2", ["evidence 1 of 2"]),
        ]
        html = response.content.decode()
        assert html.index('data-standard="1.2.1"') < html.index('data-standard="2.1.2"')
        assert f'href="/campaigns/indicators/{tree.shops.pk}/"' in html

    def test_it_counts_each_areas_evidence_up_to_what_is_required_of_it(self, cast, tree, decomposed):
        # 2.1.2 wants two pieces in each area: three in the community and none in grid 1 make 2 of 4, not 3 of 4.
        services.assignment_save(actor=None, indicator=tree.ledger, area=cast.grid1, person=cast.grid_worker)
        meeting(cast.director, tree.ledger, cast.home, "第二次台账会")
        meeting(cast.director, tree.ledger, cast.home, "第三次台账会")
        response = cast.client(cast.director).get(self.url(tree))
        missing = {s.state.indicator.code: s.missing for s in response.context["weakest"]}
        assert "evidence 2 of 4" in missing["2.1.2"]

    def test_it_reads_the_figures_as_of_a_day(self, cast, tree, inspected):
        client = cast.client(cast.director)
        response = client.get(self.url(tree), {"as_of": "2014-06-30"})
        assert response.context["as_of"] == D(2014, 6, 30)
        # Before the inspections and their cases, 1.1.1 and 2.1.1 have nothing to be scored from.
        total = response.context["report"].total
        assert (total.score, total.percent, total.unscored) == (4, N("20.0"), 3)
        assert client.get(self.url(tree), {"as_of": "2030-01-01"}).context["as_of"] == D(2014, 10, 31)
        assert client.get(self.url(tree), {"as_of": "2014-01-01"}).context["as_of"] == D(2014, 6, 1)

    @pytest.mark.parametrize("day", ["yesterday", "2014-02-30", "0001-01-01", "99999-01-01", "2014-7-1x"])
    def test_it_says_when_a_day_is_not_understood(self, cast, tree, decomposed, day):
        response = cast.client(cast.director).get(self.url(tree), {"as_of": day})
        assert response.status_code == 200
        assert messages_of(response) == [f"“{day}” was not understood and was left out."]
        assert response.context["as_of"] == min(max(timezone.localdate(), D(2014, 6, 1)), D(2014, 10, 31))

    def test_it_shows_an_empty_campaign_without_failing(self, cast):
        campaign = services.campaign_create(
            actor=None, community=cast.home, name="空活动", starts_on=D(2014, 1, 1), ends_on=D(2014, 3, 31)
        )
        response = cast.client(cast.director).get(f"/campaigns/{campaign.pk}/readiness/")
        assert response.status_code == 200
        assert response.context["report"].total.percent is None
        assert response.context["weakest"] == []

    def test_it_refuses_who_does_not_work_on_the_campaign(self, cast, tree):
        assert cast.client(cast.grid_worker).get(self.url(tree)).status_code == 200
        assert cast.client(cast.auditor).get(self.url(tree)).status_code == 200
        assert cast.client(cast.outsider).get(self.url(tree)).status_code == 404
        assert cast.client(cast.resident).get(self.url(tree)).status_code == 403
        assert cast.client(cast.building_leader).get(self.url(tree)).status_code == 403
        response = cast.client(None).get(self.url(tree))
        assert response.status_code == 302 and "/login" in response["Location"]

    def test_it_reads_in_a_fixed_number_of_queries(self, cast, tree, inspected):
        client = cast.client(cast.director)
        urls = [self.url(tree), self.url(tree) + "?as_of=2014-07-31"]
        few = query_counts(client, urls)
        grow(cast, tree, inspected)
        many = query_counts(client, urls)
        assert many == few
