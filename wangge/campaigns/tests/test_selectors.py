"""The tree's totals, derived scores and readiness, against small histories computed by hand."""

import datetime
from decimal import Decimal

import pytest

from conftest import Cast
from wangge.campaigns import selectors, services
from wangge.campaigns.models import EvidenceKind, Level, Method
from wangge.campaigns.tests.conftest import Tree
from wangge.cases.tests.test_metrics import history  # noqa: F401 - the hand-computed case history
from wangge.inspections.models import Checklist
from wangge.inspections.tests.test_services import in_use, inspect

pytestmark = pytest.mark.usefixtures("english")

ZONE = datetime.timezone(datetime.timedelta(hours=8))
JUNE_3 = datetime.datetime(2014, 6, 3, 9, 0, tzinfo=ZONE)
AS_OF = datetime.date(2014, 11, 1)


@pytest.fixture
def compounds() -> Checklist:
    return in_use("compound-sanitation")


@pytest.fixture
def shops() -> Checklist:
    return in_use("shop-standards")


def state_of(tree: Tree, code: str, as_of: datetime.date = AS_OF) -> selectors.StandardState:
    return next(s for s in selectors.standard_states(tree.campaign, as_of=as_of) if s.indicator.code == code)


class TreeTests:
    def test_it_reads_the_tree_in_order(self, tree: Tree):
        roots = selectors.tree(tree.campaign)
        assert [node.indicator.code for node in roots] == ["1", "2"]
        assert [i.code for i in selectors.flatten(roots)] == [
            "1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "2", "2.1", "2.1.1", "2.1.2",
        ]  # fmt: skip
        assert selectors.points_problems(tree.campaign) == []

    def test_it_names_every_place_where_the_points_do_not_add_up(self, cast: Cast, tree: Tree):
        services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.CONTENT, code="2.2", text="便民服务", points=3,
            parent=tree.item2,
        )  # fmt: skip
        assert selectors.points_problems(tree.campaign) == [
            "2 has 8.00 points, but the indicators under it add up to 11.00.",
            "2.2 has nothing under it.",
        ]

    def test_it_checks_the_items_against_the_full_score(self, cast: Cast, tree: Tree):
        campaign = services.campaign_update(actor=None, campaign=tree.campaign, total_points=Decimal(100))
        assert selectors.points_problems(campaign) == [
            "The items add up to 20.00 points, but the campaign's full score is 100.00."
        ]


class InspectionScoreTests:
    def test_it_scores_from_the_pass_rate_of_the_periods_inspections_in_each_area(
        self, cast: Cast, tree: Tree, compounds: Checklist
    ):
        tree.campaign = services.campaign_update(
            actor=None, campaign=tree.campaign, starts_on=datetime.date(2014, 6, 3)
        )
        for grid, who in ((cast.grid1, cast.grid_leader), (cast.grid2, cast.director)):
            services.assignment_save(actor=None, indicator=tree.sweep, area=grid, person=who)
        # Before the campaign: not counted. Grid 1: two of three passed. Grid 2: one of one.
        inspect(cast.director, compounds, cast.compound1, JUNE_3 - datetime.timedelta(days=1))
        inspect(cast.director, compounds, cast.compound1, JUNE_3)
        inspect(
            cast.director,
            compounds,
            cast.compound1,
            JUNE_3 + datetime.timedelta(days=7),
            fail={"HY01": "垃圾", "HY02": "满溢", "HY09": "飞线充电"},
        )
        inspect(cast.director, compounds, cast.compound1, JUNE_3 + datetime.timedelta(days=14))
        inspect(cast.director, compounds, cast.compound2, JUNE_3 + datetime.timedelta(days=1))
        state = state_of(tree, "1.1.1")
        by_grid = {row.assignment.area: row for row in state.assignments}
        assert (by_grid[cast.grid1].basis.part, by_grid[cast.grid1].basis.whole) == (2, 3)
        assert by_grid[cast.grid1].score == Decimal("3.33")  # 5 × 2/3
        assert by_grid[cast.grid2].score == Decimal("5.00")
        assert state.score == Decimal("4.17")  # the mean of 5 × 2/3 and 5
        # Read as of the first week, grid 1 had one inspection, passed.
        early = state_of(tree, "1.1.1", as_of=datetime.date(2014, 6, 5))
        assert {row.assignment.area: row.score for row in early.assignments}[cast.grid1] == Decimal("5.00")

    def test_it_has_no_score_without_inspections_and_scores_an_unassigned_standard_over_the_community(
        self, cast: Cast, tree: Tree, shops: Checklist
    ):
        assert state_of(tree, "1.2.1").score is None
        inspect(cast.director, shops, cast.shop1, JUNE_3)
        inspect(
            cast.director, shops, cast.shop2, JUNE_3, fail={"MD02": "油污", "MD05": "店外经营", "MD07": "灭火器过期"}
        )
        state = state_of(tree, "1.2.1")
        assert not state.assigned
        assert (state.basis.part, state.basis.whole, state.score) == (1, 2, Decimal("2.00"))


class CaseScoreTests:
    @pytest.mark.usefixtures("history")
    def test_it_scores_from_the_on_time_closure_rate_per_area(self, cast: Cast, tree: Tree):
        for grid, who in ((cast.grid1, cast.grid_leader), (cast.grid2, cast.director)):
            services.assignment_save(actor=None, indicator=tree.closure, area=grid, person=who)
        state = state_of(tree, "2.1.1", as_of=datetime.date(2014, 6, 5))
        rows = {row.assignment.area: row for row in state.assignments}
        # Grid 1 (test_metrics' letters): due A B F G H, closed A B F G, on time A F G → 3 of 5.
        assert (rows[cast.grid1].basis.part, rows[cast.grid1].basis.whole) == (3, 5)
        assert rows[cast.grid1].score == Decimal("3.60")
        # Grid 2: C open past its deadline, E suspended (left out) → 0 of 1.
        assert (rows[cast.grid2].basis.part, rows[cast.grid2].basis.whole) == (0, 1)
        assert rows[cast.grid2].score == Decimal("0.00")
        assert state.score == Decimal("1.80")

    @pytest.mark.usefixtures("history")
    def test_it_scores_from_the_closure_rate_over_the_community(self, cast: Cast, tree: Tree):
        services.indicator_save(
            actor=None, campaign=tree.campaign, indicator=tree.closure, level=Level.STANDARD, code="2.1.1",
            text=tree.closure.text, points=6, parent=tree.content21, method=Method.DATA, scoring="case_closure",
        )  # fmt: skip
        state = state_of(tree, "2.1.1", as_of=datetime.date(2014, 6, 5))
        # The whole community: closed A B F G of the six due and not suspended.
        assert (state.basis.part, state.basis.whole, state.score) == (4, 6, Decimal("4.00"))


class ReadinessTests:
    def test_it_adds_up_per_item_grid_and_person_with_the_weakest_first(self, cast: Cast, tree: Tree):
        bins1 = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        bins2 = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        ledger = services.assignment_save(actor=None, indicator=tree.ledger, area=cast.home, person=cast.director)
        services.assignment_score(actor=None, assignment=bins1, score="3")
        services.assignment_score(actor=None, assignment=bins2, score="1.5")
        services.assignment_score(actor=None, assignment=ledger, score="2")
        for title in ("纪要一", "纪要二"):
            services.evidence_file(
                actor=cast.director, indicator=tree.ledger, area=cast.home, kind=EvidenceKind.MEETING, title=title,
                occurred_on=datetime.date(2014, 7, 1), text="会议记录",
            )  # fmt: skip
        services.evidence_file(
            actor=cast.grid_leader, indicator=tree.bins, area=cast.grid1, kind=EvidenceKind.MEETING, title="巡查记录",
            occurred_on=datetime.date(2014, 7, 2), text="记录",
        )  # fmt: skip
        report = selectors.readiness(tree.campaign, as_of=AS_OF)
        # Scores: bins = mean(3, 1.5) = 2.25; ledger 2; the derived ones have no records (0).
        assert (report.total.points, report.total.score) == (Decimal("20.00"), Decimal("4.25"))
        assert report.total.percent == Decimal("21.3")
        assert (report.total.standards, report.total.complete, report.total.unscored) == (5, 1, 3)
        items = {p.key: p for p in report.items}
        assert (items["1"].score, items["1"].points) == (Decimal("2.25"), Decimal("12.00"))
        assert (items["2"].score, items["2"].points, items["2"].complete) == (Decimal("2.00"), Decimal("8.00"), 1)
        grids = {p.label: p for p in report.grids}
        assert (grids["第一网格"].score, grids["第一网格"].points, grids["第一网格"].complete) == (3, 3, 1)
        assert (grids["第二网格"].score, grids["第二网格"].complete) == (Decimal("1.5"), 0)
        assert (grids["俭学街社区"].score, grids["俭学街社区"].complete) == (2, 1)
        people = {p.label: p for p in report.people}
        assert (people["主任甲"].score, people["主任甲"].points) == (Decimal("3.5"), Decimal("5.00"))
        assert [p.label for p in report.people] == ["主任甲", "网格长乙"]  # the weaker first
        # Zero first (no records to score by), then bins (2.25 of 3), then the complete ledger at full marks.
        assert [s.indicator.code for s in report.weakest] == ["1.1.1", "1.2.1", "2.1.1", "1.1.2", "2.1.2"]
        assert [s.complete for s in report.weakest][-2:] == [False, True]


class ScopeTests:
    def test_it_shows_a_campaign_to_the_communitys_staff_only(self, cast: Cast, tree: Tree):
        for who in (cast.director, cast.grid_leader, cast.grid_worker, cast.auditor):
            assert list(selectors.campaigns_for(who)) == [tree.campaign]
        for who in (cast.building_leader, cast.resident, cast.outsider):
            assert list(selectors.campaigns_for(who)) == []
        assert selectors.may_run(cast.director, tree.campaign)
        assert not selectors.may_run(cast.grid_leader, tree.campaign)
        assert not selectors.may_run(cast.outsider, tree.campaign)

    def test_it_limits_responsibilities_and_evidence_to_the_users_grid(self, cast: Cast, tree: Tree):
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        for grid, who in ((cast.grid1, cast.grid_leader), (cast.grid2, cast.director)):
            services.evidence_file(
                actor=who, indicator=tree.bins, area=grid, kind=EvidenceKind.MEETING, title=grid.name,
                occurred_on=datetime.date(2014, 7, 1), text="记录",
            )  # fmt: skip
        mine = selectors.responsibilities(cast.grid_worker, tree.campaign)
        assert [a.area for a in mine.assignments] == [cast.grid1]
        assert [e.title for e in selectors.evidence_for(cast.grid_worker, tree.campaign)] == ["第一网格"]
        assert len(selectors.evidence_for(cast.director, tree.campaign)) == 2
        theirs = selectors.responsibilities(cast.director, tree.campaign, person=cast.director)
        assert [a.area for a in theirs.assignments] == [cast.grid2]
