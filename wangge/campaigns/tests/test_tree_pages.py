"""The indicator tree pages: the nested tree with its totals check and each standard's state, adding, changing
and deleting nodes (inline with htmx, on their own page without), and a standard's page with its decomposition
onto areas and people, their scores, its evidence and the plan tasks serving it. Those who run the campaign
write; the other staff read (the responsible person scores their own); a refused write shows the service's
message and leaves nothing behind."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from conftest import Cast
from wangge.accounts.models import User
from wangge.campaigns import services
from wangge.campaigns.models import EvidenceKind, Indicator, IndicatorAssignment, Level, Method, Scoring
from wangge.campaigns.tests.conftest import END, START, Tree
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.inspections.tests.test_services import in_use, inspect
from wangge.territory import services as territory_services

pytestmark = pytest.mark.usefixtures("english")

READ_ONLY = ("grid_leader", "grid_worker", "auditor")
HTMX = {"HTTP_HX_REQUEST": "true"}
ZONE = datetime.timezone(datetime.timedelta(hours=8))
JULY = datetime.datetime(2014, 7, 1, 9, 0, tzinfo=ZONE)
# Enough failed items to fail a compound's inspection.
FAILING = {"HY01": "垃圾", "HY02": "满溢", "HY09": "飞线充电"}


def browser(user: User | None) -> Client:
    """A browser signed in as `user` (None: anonymous) that reads the pages in English."""
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def tree_url(tree: Tree, suffix: str = "") -> str:
    return f"/campaigns/{tree.campaign.pk}/indicators/{suffix}"


def node_url(indicator: Indicator, suffix: str = "") -> str:
    return f"/campaigns/indicators/{indicator.pk}/{suffix}"


def written() -> tuple[list[tuple], list[tuple], int]:
    """What a refused write must leave alone: the tree, the assignments and the audit log."""
    indicators = list(
        Indicator.objects.order_by("pk").values_list("pk", "level", "code", "text", "points", "method", "parent")
    )
    assignments = list(
        IndicatorAssignment.objects.order_by("pk").values_list("pk", "area", "person", "target", "due_on", "score")
    )
    return indicators, assignments, AuditEvent.objects.count()


def assert_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def standard_data(**extra: Any) -> dict[str, Any]:
    return {
        "code": "1.1.3",
        "text": "楼道无堆物",
        "points": "2",
        "method": Method.FIELD,
        "scoring": Scoring.MANUAL,
        "inspection_target": "",
        "case_category": "",
        "evidence_required": "1",
        "order": "",
        **extra,
    }


class IndicatorTreeTests:
    def test_it_shows_the_nested_tree_with_the_totals_check(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast.director).get(tree_url(tree))
        assert response.status_code == 200
        roots = response.context["roots"]
        assert [(n.indicator.code, [c.indicator.code for c in n.children]) for n in roots] == [
            ("1", ["1.1", "1.2"]),
            ("2", ["2.1"]),
        ]
        body = response.content.decode()
        assert 'data-points-check="ok"' in body and "The points add up to 20." in body
        assert body.index("1.1.1") < body.index("1.1.2") < body.index("1.2.1") < body.index("2.1.2")
        assert f'href="/campaigns/{tree.campaign.pk}/indicators/export.xlsx"' in body

    def test_it_shows_who_answers_for_each_standard_its_evidence_and_score(self, cast: Cast, tree: Tree) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        services.assignment_score(actor=None, assignment=assignment, score="2.5")
        services.evidence_file(
            actor=cast.grid_worker, indicator=tree.bins, area=cast.grid1, kind=EvidenceKind.MEETING,
            title="垃圾桶配置会", occurred_on=datetime.date(2014, 7, 2), text="会议记录",
        )  # fmt: skip
        response = browser(cast.grid_worker).get(tree_url(tree))
        bins = response.context["roots"][0].children[0].children[1].indicator
        assert (bins.state.score, bins.state.evidence, bins.state.complete) == (Decimal("2.50"), 1, True)
        body = response.content.decode()
        assert "第一网格 · 网格员丙" in body and "2.5" in body and "1/1" in body

    def test_it_lists_for_a_grids_staff_only_their_grids_assignments(self, cast: Cast, tree: Tree) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        for who in ("grid_worker", "grid_leader"):
            body = browser(getattr(cast, who)).get(tree_url(tree)).content.decode()
            assert "第一网格 · 网格员丙" in body and "第二网格 · 主任甲" not in body, who
            assert "Also assigned to 1 other area." in body, who
        for who in ("director", "auditor"):
            body = browser(getattr(cast, who)).get(tree_url(tree)).content.decode()
            assert "第一网格 · 网格员丙" in body and "第二网格 · 主任甲" in body, who
            assert "other area" not in body, who

    def test_it_shows_the_pass_rate_a_derived_score_rests_on(self, cast: Cast, tree: Tree) -> None:
        compounds = in_use("compound-sanitation")
        inspect(cast.director, compounds, cast.compound1, JULY)
        inspect(cast.director, compounds, cast.compound2, JULY, fail=FAILING)
        body = browser(cast.director).get(tree_url(tree)).content.decode()
        assert "1 of 2 inspections passed" in body

    def test_it_lists_where_the_points_do_not_add_up(self, cast: Cast, tree: Tree) -> None:
        services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.CONTENT, code="2.2", text="便民服务", points=3,
            parent=tree.item2,
        )  # fmt: skip
        body = browser(cast.director).get(tree_url(tree)).content.decode()
        assert 'data-points-check="problems"' in body and 'data-points-check="ok"' not in body
        assert "2 has 8.00 points, but the indicators under it add up to 11.00." in body
        assert "2.2 has nothing under it." in body

    def test_it_gives_those_who_run_it_the_buttons(self, cast: Cast, tree: Tree) -> None:
        body = browser(cast.director).get(tree_url(tree)).content.decode()
        assert tree_url(tree, "new/") in body and f"new/?parent={tree.item1.pk}" in body
        assert node_url(tree.sweep, "edit/") in body and node_url(tree.sweep, "delete/") in body
        assert tree_url(tree, "import/") in body and "/campaigns/indicators/template.xlsx" in body

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_lets_the_other_staff_read_it_without_buttons(self, cast: Cast, tree: Tree, who: str) -> None:
        response = browser(getattr(cast, who)).get(tree_url(tree))
        assert response.status_code == 200
        body = response.content.decode()
        assert tree_url(tree, "new/") not in body and "/edit/" not in body and "/delete/" not in body
        assert tree_url(tree, "import/") not in body

    def test_it_answers_htmx_with_the_tree_section(self, cast: Cast, tree: Tree) -> None:
        body = browser(cast.director).get(tree_url(tree), **HTMX).content.decode()
        assert body.startswith('<section id="tree"') and "<html" not in body

    def test_it_hides_another_communitys_tree(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.outsider).get(tree_url(tree)).status_code == 404

    def test_it_refuses_those_who_do_not_work_on_campaigns(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.building_leader).get(tree_url(tree)).status_code == 403
        assert browser(cast.resident).get(tree_url(tree)).status_code == 403
        assert_sent_to_sign_in(browser(None).get(tree_url(tree)))

    def test_it_uses_as_many_queries_for_a_big_tree_as_for_a_small_one(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        few = query_counts(client, [tree_url(tree)])
        for n in range(1, 6):
            standard = services.indicator_save(
                actor=None, campaign=tree.campaign, level=Level.STANDARD, code=f"2.1.{n + 2}", text=f"台账{n}",
                points=0, parent=tree.content21, method=Method.MATERIALS,
            )  # fmt: skip
            services.assignment_save(actor=None, indicator=standard, area=cast.grid1, person=cast.grid_worker)
        assert query_counts(client, [tree_url(tree)]) == few


class IndicatorCreateTests:
    def test_it_adds_an_item_a_content_and_a_standard(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        response = client.post(tree_url(tree, "new/"), {"code": "3", "text": "文明风尚", "points": "5", "order": ""})
        item = Indicator.objects.get(campaign=tree.campaign, code="3")
        assert response.status_code == 302 and response["Location"] == tree_url(tree) + f"#ind-{item.pk}"
        assert (item.level, item.parent, item.points) == (Level.ITEM, None, Decimal("5.00"))
        client.post(
            tree_url(tree, "new/"), {"parent": item.pk, "code": "3.1", "text": "志愿服务", "points": "5", "order": ""}
        )
        content = Indicator.objects.get(campaign=tree.campaign, code="3.1")
        assert (content.level, content.parent) == (Level.CONTENT, item)
        client.post(tree_url(tree, "new/"), {"parent": content.pk, **standard_data(code="3.1.1", points="5")})
        standard = Indicator.objects.get(campaign=tree.campaign, code="3.1.1")
        assert (standard.level, standard.parent, standard.method) == (Level.STANDARD, content, Method.FIELD)
        assert AuditEvent.objects.filter(action="indicator.create", actor=cast.director).count() == 3

    def test_it_suggests_the_next_number_under_the_parent(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        assert client.get(tree_url(tree, "new/")).context["indicator_form"]["code"].value() == "3"
        form = client.get(tree_url(tree, "new/"), {"parent": tree.item1.pk}).context["indicator_form"]
        assert form["code"].value() == "1.3" and "method" not in form.fields
        form = client.get(tree_url(tree, "new/"), {"parent": tree.content11.pk}).context["indicator_form"]
        assert form["code"].value() == "1.1.3" and "method" in form.fields
        assert form["order"].value() is None  # left empty, the new standard goes after 1.1.2

    def test_it_works_inline_with_htmx(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        body = client.get(tree_url(tree, "new/"), {"parent": tree.content11.pk}, **HTMX).content.decode()
        assert body.startswith('<section id="tree"') and f'name="parent" value="{tree.content11.pk}"' in body
        response = client.post(tree_url(tree, "new/"), {"parent": tree.content11.pk, **standard_data()}, **HTMX)
        body = response.content.decode()
        assert response.status_code == 200 and body.startswith('<section id="tree"')
        assert "1.1.3 added." in body and body.index("垃圾桶配置到位") < body.index("楼道无堆物")
        # 1.1 now has 10 points under its 8: the check says so at once.
        assert "1.1 has 8.00 points, but the indicators under it add up to 10.00." in body

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (standard_data(code="1.1.1"), "Number 1.1.1 is already used in this campaign."),
            (standard_data(method=""), "This field is required."),
            (standard_data(points="-1"), "Points must be between 0 and 99999."),
            (standard_data(points="很多"), "Enter a number."),
            (standard_data(text="  "), "This field is required."),
            (standard_data(evidence_required="51"), "Ensure this value is less than or equal to 50."),
            (standard_data(order="99999999999999999999"), "Ensure this value is less than or equal to 99999."),
        ],
    )
    def test_it_shows_the_message_and_writes_nothing(self, cast: Cast, tree: Tree, data: dict, message: str) -> None:
        before = written()
        for headers in ({}, HTMX):
            response = browser(cast.director).post(
                tree_url(tree, "new/"), {"parent": tree.content11.pk, **data}, **headers
            )
            assert response.status_code == 200 and message in response.content.decode()
        assert written() == before

    def test_it_puts_nothing_under_a_standard(self, cast: Cast, tree: Tree) -> None:
        before = written()
        response = browser(cast.director).post(tree_url(tree, "new/"), {"parent": tree.bins.pk, **standard_data()})
        assert "A content belongs to an item, and a standard to a content." in response.content.decode()
        assert written() == before

    def test_it_knows_no_parent_of_another_campaign(self, cast: Cast, tree: Tree) -> None:
        other = services.campaign_create(
            actor=None, community=cast.home, name="另一项创建", starts_on=START, ends_on=END
        )
        before = written()
        response = browser(cast.director).post(
            f"/campaigns/{other.pk}/indicators/new/", {"parent": tree.content11.pk, **standard_data()}
        )
        assert response.status_code == 404
        assert browser(cast.director).get(tree_url(tree, "new/"), {"parent": "x"}).status_code == 404
        assert written() == before

    @pytest.mark.parametrize("parent", ["²", "١", "-1", "1.0"])
    def test_it_knows_no_parent_by_what_is_not_a_number(self, cast: Cast, tree: Tree, parent: str) -> None:
        before = written()
        client = browser(cast.director)
        assert client.get(tree_url(tree, "new/"), {"parent": parent}).status_code == 404
        assert client.post(tree_url(tree, "new/"), {**standard_data(), "parent": parent}).status_code == 404
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        before = written()
        client = browser(getattr(cast, who))
        assert client.get(tree_url(tree, "new/")).status_code == 403
        assert client.post(tree_url(tree, "new/"), {"parent": tree.content11.pk, **standard_data()}).status_code == 403
        assert written() == before

    def test_it_hides_another_communitys_tree_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        before = written()
        data = {"parent": tree.content11.pk, **standard_data()}
        assert browser(cast.outsider).post(tree_url(tree, "new/"), data).status_code == 404
        assert browser(cast.building_leader).post(tree_url(tree, "new/"), data).status_code == 403
        assert_sent_to_sign_in(browser(None).post(tree_url(tree, "new/"), data))
        assert written() == before


class IndicatorEditTests:
    def test_it_changes_a_node_keeping_its_level_and_place(self, cast: Cast, tree: Tree) -> None:
        data = standard_data(code="1.1.2", text="垃圾桶配置到位、分类清晰", points="3", method=Method.MATERIALS)
        response = browser(cast.director).post(node_url(tree.bins, "edit/"), {**data, "level": "item"})
        assert response.status_code == 302
        bins = Indicator.objects.get(pk=tree.bins.pk)
        assert (bins.text, bins.method, bins.level, bins.parent) == (
            "垃圾桶配置到位、分类清晰", Method.MATERIALS, Level.STANDARD, tree.content11
        )  # fmt: skip
        assert bins.order == tree.bins.order
        event = AuditEvent.objects.get(action="indicator.update")
        assert event.before["text"] == "垃圾桶配置到位" and event.after["method"] == Method.MATERIALS

    def test_it_changes_an_item_with_its_own_fields(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        form = client.get(node_url(tree.item1, "edit/")).context["indicator_form"]
        assert set(form.fields) == {"code", "text", "points", "order"} and form["text"].value() == "市容环境"
        client.post(node_url(tree.item1, "edit/"), {"code": "1", "text": "市容环境卫生", "points": "12", "order": ""})
        assert Indicator.objects.get(pk=tree.item1.pk).text == "市容环境卫生"

    def test_it_shows_the_message_and_writes_nothing(self, cast: Cast, tree: Tree) -> None:
        before = written()
        response = browser(cast.director).post(node_url(tree.bins, "edit/"), standard_data(code="1.1.1"), **HTMX)
        body = response.content.decode()
        assert body.startswith('<section id="tree"') and "Number 1.1.1 is already used in this campaign." in body
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        before = written()
        client = browser(getattr(cast, who))
        assert client.get(node_url(tree.bins, "edit/")).status_code == 403
        assert client.post(node_url(tree.bins, "edit/"), standard_data(code="1.1.2")).status_code == 403
        assert written() == before

    def test_it_hides_another_communitys_node_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        before = written()
        data = standard_data(code="1.1.2")
        assert browser(cast.outsider).post(node_url(tree.bins, "edit/"), data).status_code == 404
        assert browser(cast.building_leader).post(node_url(tree.bins, "edit/"), data).status_code == 403
        assert_sent_to_sign_in(browser(None).post(node_url(tree.bins, "edit/"), data))
        assert written() == before


class IndicatorDeleteTests:
    def test_it_deletes_a_node_with_nothing_under_it(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast.director).post(node_url(tree.bins, "delete/"), **HTMX)
        assert "1.1.2 deleted." in response.content.decode()
        assert not Indicator.objects.filter(pk=tree.bins.pk).exists()
        assert AuditEvent.objects.filter(action="indicator.delete", actor=cast.director).count() == 1

    def test_it_says_what_stands_in_the_way(self, cast: Cast, tree: Tree) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        before = written()
        body = browser(cast.director).post(node_url(tree.content11, "delete/"), **HTMX).content.decode()
        assert "Remove the indicators under it first." in body
        response = browser(cast.director).post(node_url(tree.bins, "delete/"), follow=True)
        assert "This standard has assignments, evidence or tasks and cannot be removed." in response.content.decode()
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        assert browser(getattr(cast, who)).post(node_url(tree.bins, "delete/")).status_code == 403
        assert Indicator.objects.filter(pk=tree.bins.pk).exists()

    def test_it_hides_another_communitys_node_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.outsider).post(node_url(tree.bins, "delete/")).status_code == 404
        assert browser(cast.building_leader).post(node_url(tree.bins, "delete/")).status_code == 403
        assert_sent_to_sign_in(browser(None).post(node_url(tree.bins, "delete/")))
        assert browser(cast.director).get(node_url(tree.bins, "delete/")).status_code == 405
        assert Indicator.objects.filter(pk=tree.bins.pk).exists()


def assign_data(cast: Cast, **extra: Any) -> dict[str, Any]:
    return {
        "area": cast.grid1.pk,
        "person": cast.grid_worker.pk,
        "target": "每楼院两组分类桶",
        "due_on": "2014-08-31",
        **extra,
    }


class IndicatorDetailTests:
    def test_it_shows_a_standard_with_its_assignments_evidence_and_tasks(self, cast: Cast, tree: Tree) -> None:
        compounds = in_use("compound-sanitation")
        inspect(cast.director, compounds, cast.compound1, JULY)
        inspect(cast.director, compounds, cast.compound1, JULY + datetime.timedelta(days=1), fail=FAILING)
        services.assignment_save(
            actor=None, indicator=tree.sweep, area=cast.grid1, person=cast.grid_worker, target="无死角",
            due_on=datetime.date(2014, 9, 30),
        )  # fmt: skip
        evidence = services.evidence_file(
            actor=cast.grid_worker, indicator=tree.sweep, area=cast.grid1, kind=EvidenceKind.MEETING,
            title="卫生死角排查会", occurred_on=datetime.date(2014, 7, 2), text="会议记录",
        )  # fmt: skip
        plan = services.work_plan_create(actor=None, campaign=tree.campaign, name="迎检计划")
        phase = services.phase_save(
            actor=None,
            plan=plan,
            name="集中整治",
            starts_on=datetime.date(2014, 7, 1),
            ends_on=datetime.date(2014, 8, 31),
        )
        services.task_save(
            actor=None, plan=plan, phase=phase, title="清理楼院死角", owner=cast.grid_worker, area=cast.grid1,
            starts_on=datetime.date(2014, 7, 1), due_on=datetime.date(2014, 7, 15), indicators=[tree.sweep],
        )  # fmt: skip
        response = browser(cast.grid_worker).get(node_url(tree.sweep))
        assert response.status_code == 200
        body = response.content.decode()
        for text in (
            "楼院无卫生死角",
            "市容环境",
            "楼院卫生",
            "field inspection",
            "第一网格 · 网格员丙",
            "无死角",
            "2014-09-30",
        ):
            assert text in body, text
        # 5 points × 1 of 2 inspections passed in grid 1.
        assert "1 of 2 inspections passed" in body and "2.5" in body
        assert f"/campaigns/evidence/{evidence.pk}/" in body and "卫生死角排查会" in body
        assert f"/campaigns/plans/{plan.pk}/" in body and "清理楼院死角" in body
        assert f"/campaigns/{tree.campaign.pk}/evidence/new/?indicator={tree.sweep.pk}" in body

    def test_it_sends_an_item_to_its_place_in_the_tree(self, cast: Cast, tree: Tree) -> None:
        response = browser(cast.director).get(node_url(tree.item1))
        assert response.status_code == 302 and response["Location"] == tree_url(tree) + f"#ind-{tree.item1.pk}"

    def test_it_gives_those_who_run_it_the_assign_form_with_the_areas_taking_part(self, cast: Cast, tree: Tree) -> None:
        services.campaign_update(actor=None, campaign=tree.campaign, areas=[cast.grid1])
        form = browser(cast.director).get(node_url(tree.bins)).context["assign_form"]
        assert list(form.fields["area"].queryset) == [cast.home, cast.grid1]
        people = set(form.fields["person"].queryset)
        assert {cast.director, cast.grid_worker, cast.grid_leader} <= people and cast.outsider not in people

    def test_it_opens_the_form_with_an_assignments_values(self, cast: Cast, tree: Tree) -> None:
        assign = services.assignment_save(
            actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director, target="分类桶"
        )
        form = browser(cast.director).get(node_url(tree.bins), {"area": cast.grid2.pk}).context["assign_form"]
        assert (form["area"].value(), form["person"].value(), form["target"].value()) == (
            cast.grid2.pk, cast.director.pk, assign.target
        )  # fmt: skip

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_lets_the_other_staff_read_it_without_the_runners_forms(self, cast: Cast, tree: Tree, who: str) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        response = browser(getattr(cast, who)).get(node_url(tree.bins))
        assert response.status_code == 200 and response.context["assign_form"] is None
        body = response.content.decode()
        assert node_url(tree.bins, "assign/") not in body and "/delete/" not in body and "/score/" not in body

    def test_it_shows_a_grids_staff_only_their_grids_assignments(self, cast: Cast, tree: Tree) -> None:
        ours = services.assignment_save(
            actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker, target="一网格目标"
        )
        theirs = services.assignment_save(
            actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director, target="二网格目标",
            due_on=datetime.date(2014, 9, 1),
        )  # fmt: skip
        services.assignment_score(actor=None, assignment=theirs, score="2", note="二网格评分说明")
        for who in ("grid_worker", "grid_leader"):
            response = browser(getattr(cast, who)).get(node_url(tree.bins))
            assert [row["assignment"] for row in response.context["rows"]] == [ours], who
            body = response.content.decode()
            assert "第一网格 · 网格员丙" in body and "一网格目标" in body, who
            for secret in ("第二网格 · 主任甲", "二网格目标", "2014-09-01", "二网格评分说明"):
                assert secret not in body, (who, secret)
            assert "Also assigned to 1 other area." in body, who
            # The standard's own figure stays the community's: 2 in grid 2 and none yet in grid 1 average 1.
            assert response.context["state"].score == Decimal("1.00"), who
        for who in ("director", "auditor"):
            response = browser(getattr(cast, who)).get(node_url(tree.bins))
            assert [row["assignment"] for row in response.context["rows"]] == [ours, theirs], who
            assert "二网格评分说明" in response.content.decode() and "other area" not in response.content.decode()

    def test_it_keeps_an_areas_name_out_of_the_pages_scripts(self, cast: Cast, tree: Tree) -> None:
        territory_services.area_update(actor=None, area=cast.grid2, name="二网格');alert(1);('")
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        body = browser(cast.director).get(node_url(tree.bins)).content.decode()
        assert "confirm('" not in body
        assert (
            'data-confirm="Take the standard back from 二网格&#x27;);alert(1);(&#x27;?" '
            'onclick="return confirm(this.dataset.confirm)"'
        ) in body

    def test_it_offers_the_evidence_button_only_to_the_field_staff(self, cast: Cast, tree: Tree) -> None:
        button = f"/evidence/new/?indicator={tree.bins.pk}"
        assert button in browser(cast.grid_worker).get(node_url(tree.bins)).content.decode()
        assert button not in browser(cast.auditor).get(node_url(tree.bins)).content.decode()

    def test_it_hides_another_communitys_standard_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.outsider).get(node_url(tree.bins)).status_code == 404
        assert browser(cast.building_leader).get(node_url(tree.bins)).status_code == 403
        assert browser(cast.resident).get(node_url(tree.bins)).status_code == 403
        assert_sent_to_sign_in(browser(None).get(node_url(tree.bins)))


class AssignmentSaveTests:
    def test_it_assigns_a_standard_and_changes_the_assignment(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        response = client.post(node_url(tree.bins, "assign/"), assign_data(cast))
        assert response.status_code == 302 and response["Location"] == node_url(tree.bins) + "#assignments"
        assignment = IndicatorAssignment.objects.get(indicator=tree.bins)
        assert (assignment.area, assignment.person, assignment.due_on) == (
            cast.grid1, cast.grid_worker, datetime.date(2014, 8, 31)
        )  # fmt: skip
        client.post(node_url(tree.bins, "assign/"), assign_data(cast, person=cast.grid_leader.pk, target=""))
        assignment = IndicatorAssignment.objects.get(indicator=tree.bins)
        assert (assignment.person, assignment.target) == (cast.grid_leader, "")
        assert [
            e.action for e in AuditEvent.objects.filter(action__startswith="indicator_assignment").order_by("pk")
        ] == [
            "indicator_assignment.create",
            "indicator_assignment.update",
        ]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                lambda cast: {"due_on": "2015-01-31"},
                "The date must lie within the campaign (2014-06-01 to 2014-10-31).",
            ),
            (lambda cast: {"area": cast.next_grid.pk}, "Select a valid choice."),
            (lambda cast: {"area": cast.grid2.pk}, "Select a valid choice."),
            (lambda cast: {"person": cast.outsider.pk}, "Select a valid choice."),
            (lambda cast: {"target": "很" * 201}, "Ensure this value has at most 200 characters"),
            (lambda cast: {"due_on": "0001-01-01"}, "Choose a date between 1900 and 2100."),
            (lambda cast: {"due_on": "9999-12-31"}, "Choose a date between 1900 and 2100."),
        ],
    )
    def test_it_shows_the_message_and_writes_nothing(
        self, cast: Cast, tree: Tree, change: Callable[[Cast], dict], message: str
    ) -> None:
        services.campaign_update(actor=None, campaign=tree.campaign, areas=[cast.grid1])
        before = written()
        response = browser(cast.director).post(node_url(tree.bins, "assign/"), assign_data(cast, **change(cast)))
        assert response.status_code == 200 and message in response.content.decode()
        assert written() == before

    def test_it_assigns_only_a_standard(self, cast: Cast, tree: Tree) -> None:
        before = written()
        response = browser(cast.director).post(node_url(tree.content11, "assign/"), assign_data(cast), follow=True)
        assert response.redirect_chain[-1][0] == tree_url(tree) + f"#ind-{tree.content11.pk}"
        assert "Only a standard is assigned; an item or content is not." in response.content.decode()
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        before = written()
        assert browser(getattr(cast, who)).post(node_url(tree.bins, "assign/"), assign_data(cast)).status_code == 403
        assert written() == before

    def test_it_hides_another_communitys_standard_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        before = written()
        assert browser(cast.outsider).post(node_url(tree.bins, "assign/"), assign_data(cast)).status_code == 404
        assert browser(cast.building_leader).post(node_url(tree.bins, "assign/"), assign_data(cast)).status_code == 403
        assert_sent_to_sign_in(browser(None).post(node_url(tree.bins, "assign/"), assign_data(cast)))
        assert written() == before


class AssignmentDeleteTests:
    def url(self, assignment: IndicatorAssignment) -> str:
        return f"/campaigns/assignments/{assignment.pk}/delete/"

    def test_it_takes_a_standard_back_from_an_area(self, cast: Cast, tree: Tree) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        response = browser(cast.director).post(self.url(assignment), follow=True)
        assert "第一网格 no longer answers for 1.1.2." in response.content.decode()
        assert not IndicatorAssignment.objects.exists()
        assert AuditEvent.objects.filter(action="indicator_assignment.delete", actor=cast.director).count() == 1

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        assert browser(getattr(cast, who)).post(self.url(assignment)).status_code == 403
        assert IndicatorAssignment.objects.filter(pk=assignment.pk).exists()

    def test_it_knows_no_other_grids_assignment_for_a_grids_staff(self, cast: Cast, tree: Tree) -> None:
        theirs = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        before = written()
        for who in ("grid_worker", "grid_leader"):
            assert browser(getattr(cast, who)).post(self.url(theirs)).status_code == 404, who
        assert written() == before

    def test_it_hides_another_communitys_assignment_and_refuses_the_rest(self, cast: Cast, tree: Tree) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        assert browser(cast.outsider).post(self.url(assignment)).status_code == 404
        assert browser(cast.building_leader).post(self.url(assignment)).status_code == 403
        assert_sent_to_sign_in(browser(None).post(self.url(assignment)))
        assert browser(cast.director).get(self.url(assignment)).status_code == 405
        assert IndicatorAssignment.objects.filter(pk=assignment.pk).exists()


class AssignmentScoreTests:
    def url(self, assignment: IndicatorAssignment) -> str:
        return f"/campaigns/assignments/{assignment.pk}/score/"

    def data(self, assignment: IndicatorAssignment, score: str, note: str = "") -> dict[str, str]:
        return {f"a{assignment.pk}-score": score, f"a{assignment.pk}-score_note": note}

    @pytest.fixture
    def bins(self, cast: Cast, tree: Tree) -> IndicatorAssignment:
        """垃圾桶配置 (3 points, by hand), grid 1's, the grid worker answering for it."""
        return services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)

    @pytest.mark.parametrize("who", ["director", "grid_worker"])
    def test_it_takes_the_score_of_the_person_or_a_runner(
        self, cast: Cast, bins: IndicatorAssignment, who: str
    ) -> None:
        response = browser(getattr(cast, who)).post(self.url(bins), self.data(bins, "2.5", "缺一组"))
        assert response.status_code == 302
        bins.refresh_from_db()
        assert (bins.score, bins.score_note, bins.scored_by) == (Decimal("2.50"), "缺一组", getattr(cast, who))

    def test_it_offers_the_form_to_the_responsible_person(self, cast: Cast, bins: IndicatorAssignment) -> None:
        assert self.url(bins) in browser(cast.grid_worker).get(node_url(bins.indicator)).content.decode()
        assert self.url(bins) not in browser(cast.grid_leader).get(node_url(bins.indicator)).content.decode()

    def test_it_clears_a_score_left_empty(self, cast: Cast, bins: IndicatorAssignment) -> None:
        services.assignment_score(actor=None, assignment=bins, score=2)
        browser(cast.director).post(self.url(bins), self.data(bins, ""))
        bins.refresh_from_db()
        assert bins.score is None

    @pytest.mark.parametrize(
        ("score", "message"),
        [
            ("4", "The score cannot exceed the standard&#x27;s 3.00 points."),
            ("-1", "Points must be between 0 and 99999."),
            ("三分", "Enter a number."),
        ],
    )
    def test_it_shows_the_message_and_writes_nothing(
        self, cast: Cast, bins: IndicatorAssignment, score: str, message: str
    ) -> None:
        before = written()
        response = browser(cast.grid_worker).post(self.url(bins), self.data(bins, score))
        assert response.status_code == 200 and message in response.content.decode()
        assert written() == before

    def test_it_leaves_a_derived_standard_to_wangges_records(self, cast: Cast, tree: Tree) -> None:
        sweep = services.assignment_save(actor=None, indicator=tree.sweep, area=cast.grid1, person=cast.grid_worker)
        assert self.url(sweep) not in browser(cast.director).get(node_url(tree.sweep)).content.decode()
        before = written()
        response = browser(cast.director).post(self.url(sweep), self.data(sweep, "5"))
        assert "This standard is scored from wangge&#x27;s records, not by hand." in response.content.decode()
        assert written() == before

    @pytest.mark.parametrize("who", ["grid_leader", "auditor"])
    def test_it_refuses_the_staff_who_neither_answer_for_it_nor_run_it(
        self, cast: Cast, bins: IndicatorAssignment, who: str
    ) -> None:
        before = written()
        assert browser(getattr(cast, who)).post(self.url(bins), self.data(bins, "1")).status_code == 403
        assert written() == before

    def test_it_knows_no_other_grids_assignment_for_a_grids_staff(self, cast: Cast, tree: Tree) -> None:
        theirs = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        before = written()
        for who in ("grid_worker", "grid_leader"):
            response = browser(getattr(cast, who)).post(self.url(theirs), self.data(theirs, "1"))
            assert response.status_code == 404, who
        assert written() == before

    def test_it_hides_another_communitys_assignment_and_refuses_the_rest(
        self, cast: Cast, bins: IndicatorAssignment
    ) -> None:
        before = written()
        assert browser(cast.outsider).post(self.url(bins), self.data(bins, "1")).status_code == 404
        assert browser(cast.building_leader).post(self.url(bins), self.data(bins, "1")).status_code == 403
        assert_sent_to_sign_in(browser(None).post(self.url(bins), self.data(bins, "1")))
        assert written() == before


class EndedCampaignTests:
    def test_it_offers_no_change_once_the_campaign_has_ended(self, cast: Cast, tree: Tree) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        for status in ("active", "closed"):
            services.campaign_set_status(actor=None, campaign=tree.campaign, status=status)
        standard = browser(cast.director).get(f"/campaigns/indicators/{tree.bins.pk}/")
        assert standard.context["assign_form"] is None
        assert [row["score_form"] for row in standard.context["rows"]] == [None]
        assert standard.context["may_run"] is False
        mine = browser(cast.grid_leader).get(f"/campaigns/indicators/{tree.bins.pk}/")
        assert [row["score_form"] for row in mine.context["rows"]] == [None]
        assert browser(cast.director).get(f"/campaigns/{tree.campaign.pk}/indicators/").context["may_run"] is False
        assert assignment.pk
