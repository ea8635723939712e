"""The campaigns REST API: campaigns with readiness, the indicator tree, work plans with their tasks (and a
task's status), and the evidence ledger (filing with files, withdrawing). Scoped by the selectors (another
community's records answer 404, or 400 when named in a filter or body, like made-up ones), 403 for roles that do
not work on campaigns, 401 for anonymous callers; refusals write nothing; lists take constant queries; responses
are what the schema says."""

import datetime
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import Cast
from wangge.accounts import services as account_services
from wangge.campaigns import selectors, services
from wangge.campaigns.models import (
    Campaign,
    CampaignStatus,
    Evidence,
    IndicatorAssignment,
    Level,
    Method,
    PhaseKind,
    PlanTask,
    TaskStatus,
    WorkPlan,
)
from wangge.campaigns.tests.conftest import END, START, Tree, files_in, jpeg, node
from wangge.cases import services as case_services
from wangge.cases.models import Category
from wangge.core.models import AuditEvent
from wangge.core.testing import count_multipart_parses, query_counts
from wangge.inspections import services as inspection_services
from wangge.inspections.models import Checklist, Result
from wangge.territory import services as territory_services

CAMPAIGNS = "/api/v1/campaigns/"
INDICATORS = "/api/v1/indicators/"
PLANS = "/api/v1/work-plans/"
EVIDENCE = "/api/v1/evidence/"


def api(user: Any) -> Client:
    """A client signed in as `user` (None: anonymous) that reads English messages."""
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def pdf(name: str = "纪要.pdf", body: bytes = b"%PDF-1.4\n% minutes of the meeting\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def written() -> tuple[int, int, int]:
    return Evidence.objects.count(), AuditEvent.objects.count(), PlanTask.objects.count()


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """How many multipart bodies were parsed (read, their files spooled to disk)."""
    return count_multipart_parses(monkeypatch)


@dataclass
class World:
    """The tree's campaign decomposed, planned and partly evidenced."""

    tree: Tree
    sweep_grid1: IndicatorAssignment
    sweep_grid2: IndicatorAssignment
    bins_grid1: IndicatorAssignment
    plan: WorkPlan
    task_grid1: PlanTask
    task_grid2: PlanTask
    document: Evidence  # the ledger standard at the community, a PDF, by the director
    photo: Evidence  # the sweep standard in grid 1, a photo, by the grid worker
    meeting: Evidence  # the bins standard in grid 2, minutes, by the director


def build_world(cast: Cast, tree: Tree) -> World:
    campaign = tree.campaign
    group = territory_services.leadership_group_create(actor=None, area=cast.home, name="创建工作领导小组")
    territory_services.leadership_member_add(
        actor=None, group=group, person=cast.director, position="head", duty="全面负责", order=1
    )
    territory_services.leadership_member_add(
        actor=None, group=group, person=cast.grid_leader, position="member", duty="第一网格", order=2
    )
    services.campaign_update(actor=None, campaign=campaign, leadership_group=group)
    sweep_grid1 = services.assignment_save(
        actor=None, indicator=tree.sweep, area=cast.grid1, person=cast.grid_worker, target="无死角", due_on=END
    )
    sweep_grid2 = services.assignment_save(actor=None, indicator=tree.sweep, area=cast.grid2, person=cast.director)
    bins_grid1 = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
    services.assignment_score(actor=None, assignment=bins_grid1, score=2, note="缺两个桶")
    services.assignment_save(actor=None, indicator=tree.ledger, area=cast.home, person=cast.director)
    plan = services.work_plan_create(actor=None, campaign=campaign, name="创建工作方案")
    mobilise = services.phase_save(
        actor=None,
        plan=plan,
        name="动员部署",
        kind=PhaseKind.MOBILISATION,
        starts_on=START,
        ends_on=datetime.date(2014, 6, 30),
    )
    remedy = services.phase_save(
        actor=None,
        plan=plan,
        name="集中整治",
        kind=PhaseKind.REMEDIATION,
        starts_on=datetime.date(2014, 7, 1),
        ends_on=END,
    )
    task_grid1 = services.task_save(
        actor=None,
        plan=plan,
        phase=remedy,
        title="清理楼院卫生死角",
        owner=cast.grid_worker,
        area=cast.grid1,
        starts_on=datetime.date(2014, 7, 1),
        due_on=datetime.date(2014, 8, 31),
        indicators=[tree.bins, tree.sweep],
    )
    task_grid2 = services.task_save(
        actor=None,
        plan=plan,
        phase=mobilise,
        title="召开动员大会",
        owner=cast.director,
        area=cast.grid2,
        starts_on=START,
        due_on=datetime.date(2014, 6, 10),
    )
    document = services.evidence_file(
        actor=cast.director,
        indicator=tree.ledger,
        area=cast.home,
        kind="document",
        title="工作台账",
        occurred_on=datetime.date(2014, 6, 5),
        upload=pdf(),
    )
    photo = services.evidence_file(
        actor=cast.grid_worker,
        indicator=tree.sweep,
        area=cast.grid1,
        kind="photo",
        title="整治后",
        occurred_on=datetime.date(2014, 7, 2),
        upload=jpeg(),
    )
    meeting = services.evidence_file(
        actor=cast.director,
        indicator=tree.bins,
        area=cast.grid2,
        kind="meeting",
        title="网格例会",
        occurred_on=datetime.date(2014, 7, 3),
        text="议定增设垃圾桶。",
    )
    return World(tree, sweep_grid1, sweep_grid2, bins_grid1, plan, task_grid1, task_grid2, document, photo, meeting)


@pytest.fixture
def world(cast: Cast, tree: Tree) -> World:
    return build_world(cast, tree)


def other_campaign(cast: Cast, name: str = "文明城市创建") -> Campaign:
    """A campaign of the community next door, with one item, content and standard."""
    campaign = services.campaign_create(
        actor=None, community=cast.next_door, name=name, starts_on=START, ends_on=END, total_points=1
    )
    item = node(campaign, Level.ITEM, "1", "邻里环境", 1)
    content = node(campaign, Level.CONTENT, "1.1", "楼院", 1, item)
    node(campaign, Level.STANDARD, "1.1.1", "整洁", 1, content, method=Method.FIELD)
    return campaign


# Campaigns


class CampaignApiTests:
    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker", "auditor"])
    def test_it_lists_the_campaigns_of_the_callers_community(self, cast, world, who) -> None:
        theirs = other_campaign(cast)
        found = rows(api(getattr(cast, who)).get(CAMPAIGNS))
        assert [row["id"] for row in found] == [world.tree.campaign.pk]
        assert [row["id"] for row in rows(api(cast.outsider).get(CAMPAIGNS))] == [theirs.pk]

    def test_it_gives_the_facts_areas_and_leadership_group(self, cast, world) -> None:
        row = rows(api(cast.grid_worker).get(CAMPAIGNS))[0]
        assert (row["name"], row["issuer"], row["community"], row["community_name"]) == (
            "四城联创",
            "金水区",
            cast.home.code,
            "俭学街社区",
        )
        assert (row["starts_on"], row["ends_on"], row["status"], row["status_label"]) == (
            "2014-06-01",
            "2014-10-31",
            "draft",
            "in preparation",
        )
        assert row["total_points"] == "20.00" and row["public"] is False
        assert row["areas"] == [
            {"code": cast.grid1.code, "name": "第一网格"},
            {"code": cast.grid2.code, "name": "第二网格"},
        ]
        group = row["leadership_group"]
        assert group["name"] == "创建工作领导小组"
        assert group["members"] == [
            {"name": "主任甲", "position": "head", "position_label": "group head (first responsible person)",
             "duty": "全面负责"},
            {"name": "网格长乙", "position": "member", "position_label": "member", "duty": "第一网格"},
        ]  # fmt: skip
        assert "readiness" not in row

    def test_it_gives_a_campaigns_readiness_as_the_selectors_compute_it(self, cast, world) -> None:
        campaign = world.tree.campaign
        services.evidence_file(
            actor=cast.director,
            indicator=world.tree.ledger,
            area=cast.home,
            kind="meeting",
            title="台账检查会",
            occurred_on=datetime.date(2014, 7, 9),
            text="台账齐全。",
        )
        detail = api(cast.auditor).get(f"{CAMPAIGNS}{campaign.pk}/").json()
        expected = selectors.readiness(campaign)
        total = detail["readiness"]["total"]
        assert total == {
            "key": "",
            "label": "四城联创",
            "points": "20.00",
            "score": "2.00",
            "percent": "10.0",
            "standards": 5,
            "complete": 1,
            "unscored": 4,
        }
        assert (total["standards"], total["complete"], total["unscored"]) == (
            expected.total.standards,
            expected.total.complete,
            expected.total.unscored,
        )
        assert total["score"] == f"{expected.total.score:.2f}" and total["percent"] == str(expected.total.percent)
        items = detail["readiness"]["items"]
        assert [(i["key"], i["points"], i["score"], i["complete"]) for i in items] == [
            ("1", "12.00", "2.00", 0),
            ("2", "8.00", "0.00", 1),
        ]
        assert detail["readiness"]["as_of"] == expected.as_of.isoformat()
        assert detail["points_problems"] == [] and detail["may_run"] is False
        assert api(cast.director).get(f"{CAMPAIGNS}{campaign.pk}/").json()["may_run"] is True

    def test_it_says_where_the_points_do_not_add_up(self, cast, world) -> None:
        campaign = world.tree.campaign
        services.campaign_update(actor=None, campaign=campaign, total_points=25)
        node(campaign, Level.ITEM, "3", "社会治安", 5)
        detail = api(cast.director).get(f"{CAMPAIGNS}{campaign.pk}/").json()
        assert detail["points_problems"] == [
            "3 has nothing under it.",
        ]
        services.campaign_update(actor=None, campaign=campaign, total_points=30)
        problems = api(cast.director).get(f"{CAMPAIGNS}{campaign.pk}/").json()["points_problems"]
        assert problems[-1] == "The items add up to 25.00 points, but the campaign's full score is 30.00."
        assert len(problems) == len(selectors.points_problems(campaign)) == 2

    def test_it_filters_by_status_and_community(self, cast, world) -> None:
        client = api(cast.director)
        assert rows(client.get(CAMPAIGNS, {"status": "active"})) == []
        services.campaign_set_status(actor=None, campaign=world.tree.campaign, status=CampaignStatus.ACTIVE)
        assert [r["status"] for r in rows(client.get(CAMPAIGNS, {"status": "active"}))] == ["active"]
        assert rows(client.get(CAMPAIGNS, {"community": cast.next_door.code})) == []
        assert client.get(CAMPAIGNS, {"status": "lost"}).status_code == 400

    def test_it_answers_404_for_another_communitys_campaign_like_a_made_up_one(self, cast, world) -> None:
        url = f"{CAMPAIGNS}{world.tree.campaign.pk}/"
        outsider = api(cast.outsider).get(url)
        made_up = api(cast.director).get(f"{CAMPAIGNS}999999/")
        assert (outsider.status_code, made_up.status_code) == (404, 404)
        assert outsider.json() == made_up.json()
        assert api(cast.director).get(f"{CAMPAIGNS}abc/").status_code == 404
        assert api(cast.director).get(f"{CAMPAIGNS}99999999999999999999/").status_code == 404

    @pytest.mark.parametrize("who", ["building_leader", "resident"])
    def test_it_answers_403_to_roles_that_do_not_work_on_campaigns(self, cast, world, who) -> None:
        for url in (CAMPAIGNS, f"{CAMPAIGNS}{world.tree.campaign.pk}/"):
            assert api(getattr(cast, who)).get(url).status_code == 403

    def test_it_answers_401_to_anonymous_callers_and_takes_an_api_key(self, cast, world) -> None:
        assert api(None).get(CAMPAIGNS).status_code == 401
        _key, token = account_services.api_key_create(actor=None, user=cast.grid_worker, name="手机")
        response = Client().get(CAMPAIGNS, HTTP_AUTHORIZATION=f"Token {token}")
        assert [row["id"] for row in rows(response)] == [world.tree.campaign.pk]

    def test_it_is_read_only(self, cast, world) -> None:
        client = api(cast.director)
        assert client.post(CAMPAIGNS, {"name": "新活动"}, content_type="application/json").status_code == 405
        url = f"{CAMPAIGNS}{world.tree.campaign.pk}/"
        assert client.patch(url, {"name": "改名"}, content_type="application/json").status_code == 405
        assert client.delete(url).status_code == 405
        assert Campaign.objects.get().name == "四城联创"

    def test_it_uses_as_many_queries_for_many_campaigns_as_for_few(self, cast, world) -> None:
        client = api(cast.director)
        few = query_counts(client, [CAMPAIGNS, f"{CAMPAIGNS}?status=draft"])
        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="第二领导小组")
        territory_services.leadership_member_add(actor=None, group=group, person=cast.grid_worker, position="member")
        for n in range(4):
            services.campaign_create(
                actor=None, community=cast.home, name=f"活动{n}", starts_on=START, ends_on=END, leadership_group=group
            )
        many = query_counts(client, [CAMPAIGNS, f"{CAMPAIGNS}?status=draft"])
        assert len(rows(client.get(CAMPAIGNS))) == 5
        assert many == few


# Indicators


class IndicatorApiTests:
    def test_it_gives_the_tree_flat_in_reading_order_with_its_nesting(self, cast, world) -> None:
        tree = world.tree
        # Added last, yet read under its content, before the next content.
        late = node(tree.campaign, Level.STANDARD, "1.1.3", "门前三包", 0, tree.content11, method=Method.FIELD)
        found = rows(api(cast.grid_worker).get(INDICATORS, {"campaign": tree.campaign.pk}))
        assert [(r["code"], r["depth"], r["level"]) for r in found] == [
            ("1", 0, "item"),
            ("1.1", 1, "content"),
            ("1.1.1", 2, "standard"),
            ("1.1.2", 2, "standard"),
            ("1.1.3", 2, "standard"),
            ("1.2", 1, "content"),
            ("1.2.1", 2, "standard"),
            ("2", 0, "item"),
            ("2.1", 1, "content"),
            ("2.1.1", 2, "standard"),
            ("2.1.2", 2, "standard"),
        ]
        by_code = {r["code"]: r for r in found}
        assert by_code["1"]["parent"] is None
        assert by_code["1.1.3"]["parent"] == tree.content11.pk == by_code["1.1"]["id"]
        assert by_code["1.1.3"]["id"] == late.pk
        assert by_code["2.1"]["parent"] == tree.item2.pk
        sweep = by_code["1.1.1"]
        assert (sweep["method"], sweep["points"], sweep["scoring"], sweep["public"], sweep["evidence_required"]) == (
            "field",
            "5.00",
            "inspections",
            True,
            1,
        )
        assert (by_code["1"]["method"], by_code["1"]["points"], by_code["1"]["campaign"]) == (
            "",
            "12.00",
            tree.campaign.pk,
        )

    def test_it_gives_the_standards_alone_on_asking(self, cast, world) -> None:
        found = rows(api(cast.auditor).get(INDICATORS, {"campaign": world.tree.campaign.pk, "level": "standard"}))
        assert [r["code"] for r in found] == ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]

    def test_it_pages_the_tree(self, cast, world) -> None:
        client = api(cast.director)
        first = client.get(INDICATORS, {"campaign": world.tree.campaign.pk, "page_size": 4}).json()
        second = client.get(INDICATORS, {"campaign": world.tree.campaign.pk, "page_size": 4, "page": 2}).json()
        assert first["count"] == 10
        assert [r["code"] for r in first["results"] + second["results"]] == [
            "1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "2", "2.1",
        ]  # fmt: skip

    def test_it_asks_for_a_campaign_and_knows_only_the_callers(self, cast, world) -> None:
        theirs = other_campaign(cast)
        client = api(cast.director)
        missing = client.get(INDICATORS)
        assert missing.status_code == 400 and missing.json() == {"campaign": ["This field is required."]}
        other = client.get(INDICATORS, {"campaign": theirs.pk})
        made_up = client.get(INDICATORS, {"campaign": 999999})
        assert (other.status_code, made_up.status_code) == (400, 400)
        assert other.json() == made_up.json() and "campaign" in other.json()
        assert client.get(INDICATORS, {"campaign": "abc"}).status_code == 400
        assert [r["code"] for r in rows(api(cast.outsider).get(INDICATORS, {"campaign": theirs.pk}))] == [
            "1",
            "1.1",
            "1.1.1",
        ]

    def test_it_gives_a_standard_with_its_assignments_and_state(self, cast, world) -> None:
        tree = world.tree
        detail = api(cast.director).get(f"{INDICATORS}{tree.sweep.pk}/").json()
        assert (detail["code"], detail["depth"], detail["children"]) == ("1.1.1", 2, [])
        state = next(s for s in selectors.standard_states(tree.campaign) if s.indicator.pk == tree.sweep.pk)
        assert detail["state"] == {"score": None, "basis": None, "evidence": state.evidence, "complete": state.complete}
        assert (state.evidence, state.complete) == (1, False)  # grid 2 has none yet
        assignments = detail["assignments"]
        assert [(a["area"], a["person"], a["person_name"], a["evidence"], a["complete"]) for a in assignments] == [
            (cast.grid1.code, "gridworker", "网格员丙", 1, True),
            (cast.grid2.code, "director", "主任甲", 0, False),
        ]
        # No inspections in the period: nothing to judge by, so no score (counted as 0 in readiness).
        assert [(a["score"], a["basis"]) for a in assignments] == [
            (None, {"part": 0, "whole": 0, "label": "inspections passed"})
        ] * 2
        assert (assignments[0]["target"], assignments[0]["due_on"], assignments[0]["id"]) == (
            "无死角",
            "2014-10-31",
            world.sweep_grid1.pk,
        )

    def test_it_gives_a_hand_scored_standard_its_score(self, cast, world) -> None:
        detail = api(cast.grid_leader).get(f"{INDICATORS}{world.tree.bins.pk}/").json()
        assert detail["state"]["score"] == "2.00" and detail["state"]["basis"] is None
        assert [(a["area"], a["score"], a["basis"]) for a in detail["assignments"]] == [(cast.grid1.code, "2.00", None)]

    def test_it_shows_a_grid_worker_only_their_grids_assignments(self, cast, world) -> None:
        detail = api(cast.grid_worker).get(f"{INDICATORS}{world.tree.sweep.pk}/").json()
        assert [a["area"] for a in detail["assignments"]] == [cast.grid1.code]
        assert detail["state"]["evidence"] == 1

    def test_it_gives_a_content_with_its_children_and_no_state(self, cast, world) -> None:
        tree = world.tree
        detail = api(cast.auditor).get(f"{INDICATORS}{tree.content11.pk}/").json()
        assert (detail["level"], detail["depth"], detail["parent"]) == ("content", 1, tree.item1.pk)
        assert detail["children"] == [tree.sweep.pk, tree.bins.pk]
        assert (detail["assignments"], detail["state"]) == ([], None)
        assert api(cast.auditor).get(f"{INDICATORS}{tree.item2.pk}/").json()["children"] == [tree.content21.pk]

    def test_it_answers_404_for_another_communitys_indicator(self, cast, world) -> None:
        theirs = other_campaign(cast).indicators.get(code="1.1.1")
        assert api(cast.director).get(f"{INDICATORS}{theirs.pk}/").status_code == 404
        assert api(cast.outsider).get(f"{INDICATORS}{world.tree.sweep.pk}/").status_code == 404
        assert api(cast.outsider).get(f"{INDICATORS}{theirs.pk}/").status_code == 200

    def test_it_refuses_other_roles_and_anonymous_callers_and_writes(self, cast, world) -> None:
        url = f"{INDICATORS}{world.tree.sweep.pk}/"
        for who in (cast.building_leader, cast.resident):
            assert api(who).get(INDICATORS, {"campaign": world.tree.campaign.pk}).status_code == 403
            assert api(who).get(url).status_code == 403
        assert api(None).get(url).status_code == 401
        assert api(cast.director).post(INDICATORS, {"code": "9"}, content_type="application/json").status_code == 405

    def test_it_uses_as_many_queries_for_a_big_tree_as_for_a_small_one(self, cast, world) -> None:
        tree = world.tree
        client = api(cast.director)
        urls = [f"{INDICATORS}?campaign={tree.campaign.pk}", f"{INDICATORS}?campaign={tree.campaign.pk}&level=item"]
        few = query_counts(client, urls)
        for n in range(3, 7):
            item = node(tree.campaign, Level.ITEM, str(n), f"项目{n}", 2)
            content = node(tree.campaign, Level.CONTENT, f"{n}.1", "内容", 2, item)
            node(tree.campaign, Level.STANDARD, f"{n}.1.1", "标准", 2, content, method=Method.MATERIALS)
        many = query_counts(client, urls)
        assert client.get(urls[0]).json()["count"] == 22
        assert many == few


# Work plans


class WorkPlanApiTests:
    def test_it_lists_the_plans_with_their_phases(self, cast, world) -> None:
        found = rows(api(cast.grid_worker).get(PLANS, {"campaign": world.tree.campaign.pk}))
        assert [(p["id"], p["name"], p["campaign"], p["campaign_name"]) for p in found] == [
            (world.plan.pk, "创建工作方案", world.tree.campaign.pk, "四城联创")
        ]
        assert [(ph["name"], ph["kind"], ph["starts_on"], ph["ends_on"]) for ph in found[0]["phases"]] == [
            ("动员部署", "mobilisation", "2014-06-01", "2014-06-30"),
            ("集中整治", "remediation", "2014-07-01", "2014-10-31"),
        ]
        assert "tasks" not in found[0]

    def test_it_narrows_to_a_campaign_the_caller_works_on(self, cast, world) -> None:
        theirs = other_campaign(cast)
        services.work_plan_create(actor=None, campaign=theirs, name="邻里方案")
        assert [p["name"] for p in rows(api(cast.director).get(PLANS))] == ["创建工作方案"]
        assert [p["name"] for p in rows(api(cast.outsider).get(PLANS))] == ["邻里方案"]
        refused = api(cast.director).get(PLANS, {"campaign": theirs.pk})
        assert refused.status_code == 400 and refused.json() == api(cast.director).get(PLANS, {"campaign": 0}).json()

    def test_it_gives_a_plan_with_the_tasks_the_caller_may_see(self, cast, world) -> None:
        url = f"{PLANS}{world.plan.pk}/"
        everything = api(cast.director).get(url).json()
        assert [t["title"] for t in everything["tasks"]] == ["召开动员大会", "清理楼院卫生死角"]
        task = everything["tasks"][1]
        assert (task["owner"], task["owner_name"], task["area"], task["area_name"]) == (
            "gridworker",
            "网格员丙",
            cast.grid1.code,
            "第一网格",
        )
        assert (task["starts_on"], task["due_on"], task["status"], task["done_on"]) == (
            "2014-07-01",
            "2014-08-31",
            "todo",
            None,
        )
        assert task["indicators"] == ["1.1.1", "1.1.2"]  # in tree order
        assert task["phase"] == world.task_grid1.phase_id and task["plan"] == world.plan.pk
        assert [t["id"] for t in api(cast.grid_worker).get(url).json()["tasks"]] == [world.task_grid1.pk]

    def test_it_answers_404_403_and_401_as_it_should(self, cast, world) -> None:
        url = f"{PLANS}{world.plan.pk}/"
        assert api(cast.outsider).get(url).status_code == 404
        assert api(cast.director).get(f"{PLANS}999999/").status_code == 404
        for who in (cast.building_leader, cast.resident):
            assert api(who).get(PLANS).status_code == 403 and api(who).get(url).status_code == 403
        assert api(None).get(url).status_code == 401

    def test_it_takes_the_owners_report_on_a_task(self, cast, world) -> None:
        url = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        client = api(cast.grid_worker)
        doing = client.post(url, {"status": "doing"}, content_type="application/json")
        assert doing.status_code == 200, doing.content
        assert (doing.json()["status"], doing.json()["status_label"]) == ("doing", "under way")
        done = client.post(url, {"status": "done", "done_on": "2014-08-20"}, content_type="application/json")
        assert done.json()["done_on"] == "2014-08-20"
        world.task_grid1.refresh_from_db()
        assert (world.task_grid1.status, world.task_grid1.done_on) == (TaskStatus.DONE, datetime.date(2014, 8, 20))
        assert AuditEvent.objects.filter(action="plan_task.status", actor=cast.grid_worker).count() == 2

    def test_it_refuses_a_bad_report_and_writes_nothing(self, cast, world) -> None:
        url = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        client = api(cast.grid_worker)
        before = written()
        future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
        refusals = {
            "done_in_the_future": {"status": "done", "done_on": future},
            "done_before_it_starts": {"status": "done", "done_on": "2014-06-02"},
            "unknown_status": {"status": "lost"},
            "no_status": {},
            "bad_day": {"status": "done", "done_on": "2014-02-30"},
        }
        for name, body in refusals.items():
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 400, name
        assert client.post(url, {"status": "done", "done_on": future}, content_type="application/json").json() == {
            "done_on": ["A task cannot be done in the future."]
        }
        # Cancelling is the director's, even for the task's owner.
        assert client.post(url, {"status": "cancelled"}, content_type="application/json").status_code == 403
        world.task_grid1.refresh_from_db()
        assert world.task_grid1.status == TaskStatus.TODO and written() == before

    def test_it_answers_403_or_404_to_those_who_may_not_report(self, cast, world) -> None:
        url = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        body = {"status": "doing"}
        assert api(cast.auditor).post(url, body, content_type="application/json").status_code == 403
        assert api(cast.outsider).post(url, body, content_type="application/json").status_code == 404
        other_grid = f"{PLANS}tasks/{world.task_grid2.pk}/status/"
        assert api(cast.grid_worker).post(other_grid, body, content_type="application/json").status_code == 404
        assert api(cast.resident).post(url, body, content_type="application/json").status_code == 403
        assert api(None).post(url, body, content_type="application/json").status_code == 401
        assert api(cast.director).post(f"{PLANS}tasks/abc/status/", body).status_code == 404
        world.task_grid1.refresh_from_db()
        assert world.task_grid1.status == TaskStatus.TODO

    def test_it_refuses_a_body_over_the_limit_before_reading_it(self, cast, world, parsed) -> None:
        url = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        body = {"status": "doing", "file": pdf(body=b"0" * (2 * 1024 * 1024))}
        response = api(cast.grid_worker).post(url, body)
        assert response.status_code == 413 and response.json() == {"detail": "The request is too large."}
        assert parsed == []
        world.task_grid1.refresh_from_db()
        assert world.task_grid1.status == TaskStatus.TODO
        assert api(cast.grid_worker).post(url, {"status": "doing"}).status_code == 200

    def test_it_lets_the_director_cancel_a_task(self, cast, world) -> None:
        url = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        response = api(cast.director).post(url, {"status": "cancelled"}, content_type="application/json")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"

    def test_it_uses_as_many_queries_for_many_plans_as_for_few(self, cast, world) -> None:
        client = api(cast.director)
        urls = [PLANS, f"{PLANS}?campaign={world.tree.campaign.pk}"]
        few = query_counts(client, urls)
        for n in range(4):
            plan = services.work_plan_create(actor=None, campaign=world.tree.campaign, name=f"专项方案{n}")
            for month in (7, 8):
                services.phase_save(
                    actor=None,
                    plan=plan,
                    name=f"{month}月",
                    starts_on=datetime.date(2014, month, 1),
                    ends_on=datetime.date(2014, month, 28),
                )
        many = query_counts(client, urls)
        assert client.get(PLANS).json()["count"] == 5
        assert many == few


# Evidence


def linked_in_grid2(cast: Cast, kind: str) -> tuple[str, Any]:
    """A record of grid 2 for evidence of `kind` to link: (the body's field, its value)."""
    if kind == "case":
        case = case_services.case_report(
            actor=None,
            category=Category.objects.get(code="C04"),
            description="二号院楼道堆物",
            source="resident",
            compound=cast.compound2,
        )
        return "case", case.number
    if kind == "inspection":
        checklist = Checklist.objects.get(target="compound", status="published")
        answers = {
            item.code: inspection_services.Answer(Result.PASS)
            for item in inspection_services.items_for(checklist, cast.compound2)
        }
        inspection = inspection_services.inspection_record(
            actor=cast.director, checklist=checklist, place=cast.compound2, answers=answers
        )
        return "inspection", inspection.pk
    return "compound", cast.compound2.code


def upload_form(cast: Cast, tree: Tree, **changes: Any) -> dict[str, Any]:
    """A multipart body filing a PDF against the ledger standard for the community."""
    return {
        "indicator": tree.ledger.pk,
        "area": cast.home.code,
        "kind": "document",
        "title": "创建工作台账",
        "occurred_on": "2014-07-10",
        "file": pdf(),
        **changes,
    }


class EvidenceListTests:
    def test_it_lists_a_campaigns_current_evidence_in_tree_order(self, cast, world) -> None:
        found = rows(api(cast.director).get(EVIDENCE, {"campaign": world.tree.campaign.pk}))
        assert [r["id"] for r in found] == [world.photo.pk, world.meeting.pk, world.document.pk]
        document = found[2]
        assert (document["indicator"], document["indicator_code"], document["area"], document["kind"]) == (
            world.tree.ledger.pk,
            "2.1.2",
            cast.home.code,
            "document",
        )
        assert (document["file_name"], document["content_type"], document["filed_by"]) == (
            "纪要.pdf",
            "application/pdf",
            "director",
        )
        assert document["download_url"] == f"http://testserver/campaigns/evidence/{world.document.pk}/file/"
        assert document["campaign"] == world.tree.campaign.pk and document["withdrawn_at"] is None
        assert "file" not in document  # the bytes never come inline
        meeting = found[1]
        assert (meeting["download_url"], meeting["text"], meeting["kind_label"]) == (
            None,
            "议定增设垃圾桶。",
            "meeting record",
        )

    def test_it_shows_a_grid_worker_their_grids_evidence(self, cast, world) -> None:
        found = rows(api(cast.grid_worker).get(EVIDENCE, {"campaign": world.tree.campaign.pk}))
        assert [r["id"] for r in found] == [world.photo.pk]

    def test_it_filters_by_indicator_area_and_kind(self, cast, world) -> None:
        client = api(cast.auditor)
        tree = world.tree

        def ids(**query: Any) -> list[int]:
            return [r["id"] for r in rows(client.get(EVIDENCE, {"campaign": tree.campaign.pk, **query}))]

        assert ids(indicator=tree.ledger.pk) == [world.document.pk]
        assert ids(indicator=tree.content11.pk) == [world.photo.pk, world.meeting.pk]
        assert ids(indicator=tree.item2.pk) == [world.document.pk]
        assert ids(indicator=99999999999999) == [] and ids(indicator="1.5") == []
        assert ids(area=cast.grid2.code) == [world.meeting.pk]
        assert ids(kind="photo") == [world.photo.pk]
        assert client.get(EVIDENCE, {"campaign": tree.campaign.pk, "kind": "video"}).status_code == 400
        assert client.get(EVIDENCE, {"campaign": tree.campaign.pk, "indicator": "x"}).status_code == 400

    def test_it_asks_for_a_campaign_the_caller_works_on(self, cast, world) -> None:
        theirs = other_campaign(cast)
        assert api(cast.director).get(EVIDENCE).json() == {"campaign": ["This field is required."]}
        other = api(cast.director).get(EVIDENCE, {"campaign": theirs.pk})
        assert other.status_code == 400
        assert other.json() == api(cast.director).get(EVIDENCE, {"campaign": 999999}).json()
        assert rows(api(cast.outsider).get(EVIDENCE, {"campaign": theirs.pk})) == []

    def test_it_gives_one_piece_withdrawn_or_not(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.photo.pk}/"
        assert api(cast.grid_leader).get(url).json()["title"] == "整治后"
        services.evidence_withdraw(actor=cast.grid_worker, evidence=world.photo, reason="照片模糊")
        piece = api(cast.grid_leader).get(url).json()
        assert (piece["withdrawn_by"], piece["withdrawn_reason"]) == ("gridworker", "照片模糊")
        assert piece["withdrawn_at"] is not None
        assert rows(api(cast.grid_leader).get(EVIDENCE, {"campaign": world.tree.campaign.pk})) == []

    def test_it_answers_404_403_and_401_as_it_should(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.document.pk}/"
        assert api(cast.outsider).get(url).status_code == 404
        assert api(cast.grid_worker).get(url).status_code == 404  # the community's, above the grid
        assert api(cast.director).get(f"{EVIDENCE}999999/").status_code == 404
        for who in (cast.building_leader, cast.resident):
            assert api(who).get(url).status_code == 403
            assert api(who).get(EVIDENCE, {"campaign": world.tree.campaign.pk}).status_code == 403
        assert api(None).get(url).status_code == 401

    def test_it_uses_as_many_queries_for_many_pieces_as_for_few(self, cast, world) -> None:
        client = api(cast.director)
        campaign = world.tree.campaign.pk
        urls = [f"{EVIDENCE}?campaign={campaign}", f"{EVIDENCE}?campaign={campaign}&indicator={world.tree.item1.pk}"]
        few = query_counts(client, urls)
        for n in range(3):
            for who, area, indicator in (
                (cast.director, cast.home, world.tree.ledger),
                (cast.grid_worker, cast.grid1, world.tree.sweep),
                (cast.director, cast.grid2, world.tree.bins),
            ):
                services.evidence_file(
                    actor=who,
                    indicator=indicator,
                    area=area,
                    kind="photo",
                    title=f"照片{n}",
                    occurred_on=datetime.date(2014, 8, 1 + n),
                    upload=jpeg(),
                )
        many = query_counts(client, urls)
        assert client.get(urls[0]).json()["count"] == 12
        assert many == few


class EvidenceCreateTests:
    def test_it_files_a_pdf_through_the_service(self, cast, world, media) -> None:
        before = len(files_in(media))
        audited = AuditEvent.objects.filter(action="evidence.file", actor=cast.director).count()
        response = api(cast.director).post(EVIDENCE, upload_form(cast, world.tree))
        assert response.status_code == 201, response.content
        row = response.json()
        evidence = Evidence.objects.get(pk=row["id"])
        assert (evidence.indicator, evidence.area, evidence.filed_by, evidence.kind) == (
            world.tree.ledger,
            cast.home,
            cast.director,
            "document",
        )
        assert evidence.file.read() == b"%PDF-1.4\n% minutes of the meeting\n"
        assert (row["file_name"], row["content_type"], row["size"]) == ("纪要.pdf", "application/pdf", 34)
        assert row["download_url"].endswith(f"/campaigns/evidence/{evidence.pk}/file/")
        assert len(files_in(media)) == before + 1
        assert AuditEvent.objects.filter(action="evidence.file", actor=cast.director).count() == audited + 1

    def test_it_files_a_photo_as_a_clean_jpeg(self, cast, world) -> None:
        form = upload_form(cast, world.tree, indicator=world.tree.sweep.pk, area=cast.grid1.code, kind="photo")
        form["file"] = jpeg("现场照片.jpg")
        response = api(cast.grid_worker).post(EVIDENCE, form)
        assert response.status_code == 201, response.content
        row = response.json()
        assert (row["content_type"], row["file_name"], row["area"], row["filed_by"]) == (
            "image/jpeg",
            "现场照片.jpg",
            cast.grid1.code,
            "gridworker",
        )
        assert Evidence.objects.get(pk=row["id"]).file.read().startswith(b"\xff\xd8")

    def test_it_files_minutes_and_links_as_json(self, cast, world) -> None:
        client = api(cast.grid_leader)
        minutes = {
            "indicator": world.tree.bins.pk,
            "area": cast.grid1.code,
            "kind": "meeting",
            "title": "网格例会",
            "occurred_on": "2014-07-20",
            "text": "布置垃圾桶配置。",
        }
        response = client.post(EVIDENCE, minutes, content_type="application/json")
        assert response.status_code == 201, response.content
        assert (response.json()["text"], response.json()["download_url"]) == ("布置垃圾桶配置。", None)
        notice = {**minutes, "kind": "notice", "text": "", "compound": cast.compound1.code, "case": None}
        response = client.post(EVIDENCE, notice, content_type="application/json")
        assert response.status_code == 201, response.content
        assert response.json()["compound"] == cast.compound1.code

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"file": SimpleUploadedFile("纪要.pdf", b"#!/bin/sh\necho hi\n")}, "file"),
            ({"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00")}, "file"),
            ({"file": SimpleUploadedFile("纪要.pdf", b"")}, "file"),
            ({"kind": "photo", "file": pdf()}, "file"),
            ({"file": ""}, "file"),
            ({"title": ""}, "title"),
            ({"title": "长" * 201}, "title"),
            ({"occurred_on": "2999-01-01"}, "occurred_on"),
            ({"occurred_on": "2014-02-30"}, "occurred_on"),
            ({"kind": "video"}, "kind"),
            ({"indicator": "item"}, "indicator"),
            ({"indicator": 999999}, "indicator"),
            ({"indicator": "abc"}, "indicator"),
            ({"area": "next_grid"}, "area"),
            ({"area": "no-such-area"}, "area"),
            ({"kind": "notice", "compound": "next_compound"}, "compound"),
            ({"kind": "notice"}, "compound"),
            ({"kind": "meeting", "file": "", "text": ""}, "text"),
        ],
    )
    def test_it_answers_400_by_field_and_writes_nothing(self, cast, world, media, changes, field) -> None:
        named = {
            "item": world.tree.item1.pk,
            "next_grid": cast.next_grid.code,
            "next_compound": cast.next_compound.code,
        }
        changes = {key: named.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
        form = upload_form(cast, world.tree, **changes)
        if form.get("file") == "":
            del form["file"]
        before, stored = written(), files_in(media)
        response = api(cast.director).post(EVIDENCE, form)
        assert response.status_code == 400, response.content
        assert field in response.json(), response.json()
        assert written() == before and files_in(media) == stored

    def test_it_refuses_a_document_over_the_limit_and_writes_nothing(self, cast, world, media, settings) -> None:
        settings.EVIDENCE_MAX_BYTES = 64
        before, stored = written(), files_in(media)
        big = pdf(body=b"%PDF-1.4\n" + b"0" * 100)
        response = api(cast.director).post(EVIDENCE, upload_form(cast, world.tree, file=big))
        assert response.status_code == 400 and "file" in response.json()
        assert written() == before and files_in(media) == stored
        small = pdf(body=b"%PDF-1.4\n" + b"0" * 40)
        assert api(cast.director).post(EVIDENCE, upload_form(cast, world.tree, file=small)).status_code == 201

    def test_it_refuses_a_photo_over_the_limit(self, cast, world, media, settings) -> None:
        settings.PHOTO_MAX_BYTES = 100
        before, stored = written(), files_in(media)
        form = upload_form(cast, world.tree, kind="photo", file=jpeg())
        response = api(cast.director).post(EVIDENCE, form)
        assert response.status_code == 400 and "file" in response.json()
        assert written() == before and files_in(media) == stored

    def test_it_refuses_a_body_over_the_limit_before_reading_it(self, cast, world, media, settings, parsed) -> None:
        settings.EVIDENCE_MAX_BYTES = settings.PHOTO_MAX_BYTES = 1024 * 1024
        before, stored = written(), files_in(media)

        def big() -> SimpleUploadedFile:
            return pdf(body=b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))

        response = api(cast.director).post(EVIDENCE, upload_form(cast, world.tree, file=big()))
        assert response.status_code == 413
        assert response.json() == {"detail": "This file is too large (at most 1 MB)."}
        assert parsed == [] and written() == before and files_in(media) == stored
        # Anonymous callers too: nothing is read to find out who they are.
        assert api(None).post(EVIDENCE, upload_form(cast, world.tree, file=big())).status_code == 413
        assert parsed == []

    @pytest.mark.parametrize("kind", ["case", "inspection", "notice"])
    def test_it_answers_400_to_a_link_outside_the_evidences_area(self, cast, world, kind) -> None:
        field, value = linked_in_grid2(cast, kind)
        body = {
            "indicator": world.tree.closure.pk,
            "area": cast.grid1.code,
            "kind": kind,
            "title": "第二网格的记录",
            "occurred_on": "2014-07-20",
            field: value,
        }
        before = written()
        response = api(cast.director).post(EVIDENCE, body, content_type="application/json")
        assert response.status_code == 400, response.content
        what = {"case": "case with this number", "inspection": "inspection with this number"}
        message = f"No {what.get(field, 'compound with this code')} in {cast.grid1.name}."
        assert response.json() == {field: [message]}
        assert written() == before
        # The community's own evidence may point to anything in the community.
        community = {**body, "area": cast.home.code}
        assert api(cast.director).post(EVIDENCE, community, content_type="application/json").status_code == 201

    def test_it_answers_400_to_a_grid_worker_naming_another_grid(self, cast, world) -> None:
        before = written()
        form = upload_form(cast, world.tree, indicator=world.tree.sweep.pk, area=cast.grid2.code, kind="photo")
        form["file"] = jpeg()
        response = api(cast.grid_worker).post(EVIDENCE, form)
        assert response.status_code == 400 and "area" in response.json()
        assert written() == before

    @pytest.mark.parametrize("who", ["auditor", "building_leader", "resident"])
    def test_it_answers_403_to_roles_that_file_no_evidence(self, cast, world, media, who) -> None:
        before, stored = written(), files_in(media)
        response = api(getattr(cast, who)).post(EVIDENCE, upload_form(cast, world.tree))
        assert response.status_code == 403
        # Refused before the body is read: no validation message tells what exists.
        assert api(getattr(cast, who)).post(EVIDENCE, {"indicator": 999999}).status_code == 403
        assert written() == before and files_in(media) == stored

    def test_it_answers_400_to_an_outsider_naming_another_communitys_standard(self, cast, world, media) -> None:
        before, stored = written(), files_in(media)
        form = upload_form(cast, world.tree, area=cast.next_door.code)
        response = api(cast.outsider).post(EVIDENCE, form)
        assert response.status_code == 400 and "indicator" in response.json()
        assert written() == before and files_in(media) == stored

    def test_it_refuses_anonymous_callers(self, cast, world, media) -> None:
        before, stored = written(), files_in(media)
        assert api(None).post(EVIDENCE, upload_form(cast, world.tree)).status_code == 401
        assert written() == before and files_in(media) == stored


class EvidenceWithdrawTests:
    def test_it_lets_the_filer_withdraw_their_piece(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.photo.pk}/withdraw/"
        response = api(cast.grid_worker).post(url, {"reason": "照片模糊"}, content_type="application/json")
        assert response.status_code == 200, response.content
        assert (response.json()["withdrawn_reason"], response.json()["withdrawn_by"]) == ("照片模糊", "gridworker")
        world.photo.refresh_from_db()
        assert world.photo.withdrawn_at is not None
        assert AuditEvent.objects.filter(action="evidence.withdraw", actor=cast.grid_worker).count() == 1
        again = api(cast.grid_worker).post(url, {"reason": "再撤"}, content_type="application/json")
        assert again.status_code == 400
        assert again.json() == {"non_field_errors": ["This evidence was already withdrawn."]}

    def test_it_lets_the_director_withdraw_anyones_piece(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.photo.pk}/withdraw/"
        assert api(cast.director).post(url, {"reason": "与标准无关"}).status_code == 200

    def test_it_asks_for_a_reason_and_writes_nothing_without(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.photo.pk}/withdraw/"
        before = written()
        for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "长" * 301}):
            response = api(cast.grid_worker).post(url, body, content_type="application/json")
            assert response.status_code == 400 and "reason" in response.json(), body
        world.photo.refresh_from_db()
        assert world.photo.withdrawn_at is None and written() == before

    def test_it_answers_403_404_and_401_to_those_who_may_not(self, cast, world) -> None:
        url = f"{EVIDENCE}{world.photo.pk}/withdraw/"
        body = {"reason": "不需要"}
        assert api(cast.grid_leader).post(url, body).status_code == 403  # sees it, did not file it
        assert api(cast.auditor).post(url, body).status_code == 403
        assert api(cast.outsider).post(url, body).status_code == 404
        assert api(cast.resident).post(url, body).status_code == 403
        assert api(None).post(url, body).status_code == 401
        world.photo.refresh_from_db()
        assert world.photo.withdrawn_at is None


class DetailIdTests:
    @pytest.mark.parametrize("url", [CAMPAIGNS, INDICATORS, EVIDENCE, PLANS])
    @pytest.mark.parametrize("number", ["%C2%B2", "%D9%A3", "%EF%BC%91"])  # ², Arabic-Indic 3, full-width 1
    def test_it_answers_404_to_an_id_of_other_digits(self, cast, world, url, number) -> None:
        assert api(cast.director).get(f"{url}{number}/").status_code == 404

    def test_it_answers_404_to_a_task_of_other_digits(self, cast, world) -> None:
        before = written()
        response = api(cast.grid_worker).post(
            f"{PLANS}tasks/%C2%B2/status/", {"status": "doing"}, content_type="application/json"
        )
        assert response.status_code == 404 and written() == before


# The schema


class CampaignSchemaTests:
    def test_it_documents_the_endpoints(self, cast) -> None:
        schema = api(cast.director).get("/api/schema/", {"format": "json"}).json()
        paths = schema["paths"]
        for path in (
            CAMPAIGNS,
            f"{CAMPAIGNS}{{id}}/",
            INDICATORS,
            f"{INDICATORS}{{id}}/",
            PLANS,
            f"{PLANS}{{id}}/",
            f"{PLANS}tasks/{{task_id}}/status/",
            EVIDENCE,
            f"{EVIDENCE}{{id}}/",
            f"{EVIDENCE}{{id}}/withdraw/",
        ):
            assert path in paths, path
        campaign = next(p for p in paths[INDICATORS]["get"]["parameters"] if p["name"] == "campaign")
        assert campaign["required"] is True
        content = paths[EVIDENCE]["post"]["requestBody"]["content"]
        upload = schema["components"]["schemas"]["EvidenceUploadRequest"]
        assert content["multipart/form-data"]["schema"]["$ref"].endswith("/EvidenceUploadRequest")
        assert upload["properties"]["file"]["format"] == "binary"
        components = schema["components"]["schemas"]
        assert components["CampaignStatusEnum"]["enum"] == ["draft", "active", "closed"]
        assert components["IndicatorMethodEnum"]["enum"][-1] == ""

    def test_it_answers_as_the_schema_says(self, cast, world) -> None:
        director = api(cast.director)
        schema = director.get("/api/schema/", {"format": "json"}).json()
        campaign = world.tree.campaign.pk
        task = f"{PLANS}tasks/{world.task_grid1.pk}/status/"
        checks = [
            (CAMPAIGNS, "get", director.get(CAMPAIGNS)),
            ("/api/v1/campaigns/{id}/", "get", director.get(f"{CAMPAIGNS}{campaign}/")),
            ("/api/v1/campaigns/{id}/", "get", director.get(f"{CAMPAIGNS}999999/")),
            (CAMPAIGNS, "get", api(cast.resident).get(CAMPAIGNS)),
            (CAMPAIGNS, "get", api(None).get(CAMPAIGNS)),
            (INDICATORS, "get", director.get(INDICATORS, {"campaign": campaign})),
            (INDICATORS, "get", director.get(INDICATORS)),
            ("/api/v1/indicators/{id}/", "get", director.get(f"{INDICATORS}{world.tree.sweep.pk}/")),
            ("/api/v1/indicators/{id}/", "get", director.get(f"{INDICATORS}{world.tree.item1.pk}/")),
            (PLANS, "get", director.get(PLANS)),
            ("/api/v1/work-plans/{id}/", "get", director.get(f"{PLANS}{world.plan.pk}/")),
            (
                "/api/v1/work-plans/tasks/{task_id}/status/",
                "post",
                director.post(task, {"status": "doing"}, content_type="application/json"),
            ),
            (
                "/api/v1/work-plans/tasks/{task_id}/status/",
                "post",
                director.post(task, {"status": "lost"}, content_type="application/json"),
            ),
            (EVIDENCE, "get", director.get(EVIDENCE, {"campaign": campaign})),
            ("/api/v1/evidence/{id}/", "get", director.get(f"{EVIDENCE}{world.document.pk}/")),
            (EVIDENCE, "post", director.post(EVIDENCE, upload_form(cast, world.tree))),
            (EVIDENCE, "post", director.post(EVIDENCE, upload_form(cast, world.tree, title=""))),
            (EVIDENCE, "post", api(cast.auditor).post(EVIDENCE, upload_form(cast, world.tree))),
            (
                "/api/v1/evidence/{id}/withdraw/",
                "post",
                director.post(f"{EVIDENCE}{world.meeting.pk}/withdraw/", {"reason": "重复"}),
            ),
            ("/api/v1/evidence/{id}/withdraw/", "post", director.post(f"{EVIDENCE}999999/withdraw/", {"reason": "x"})),
        ]
        components = _json_schema(schema["components"])
        seen = set()
        for path, method, response in checks:
            responses = schema["paths"][path][method]["responses"]
            assert str(response.status_code) in responses, (path, response.status_code)
            expected = _json_schema(responses[str(response.status_code)]["content"]["application/json"]["schema"])
            jsonschema.validate(response.json(), {**expected, "components": components})
            seen.add(response.status_code)
        assert seen == {200, 201, 400, 401, 403, 404}


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


# The admin


class CampaignAdminTests:
    def test_it_lets_an_administrator_look_but_not_touch(self, cast, world) -> None:
        root = account_services.user_create(actor=None, username="root", display_name="管理员")
        root.is_staff = root.is_superuser = True
        root.save()
        client = api(root)
        for name in ("campaign", "indicator", "indicatorassignment", "workplan", "plantask", "evidence"):
            assert client.get(f"/admin/campaigns/{name}/").status_code == 200, name
            assert client.get(f"/admin/campaigns/{name}/add/").status_code == 403, name
        page = client.get(f"/admin/campaigns/evidence/{world.document.pk}/change/")
        assert page.status_code == 200 and "纪要.pdf" in page.content.decode()
        assert world.document.file.name not in page.content.decode()  # no link around the scoped download
        assert client.get(f"/admin/campaigns/workplan/{world.plan.pk}/change/").status_code == 200
