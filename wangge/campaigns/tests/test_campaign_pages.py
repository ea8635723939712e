"""The campaign pages: the list with each campaign's readiness, creating and editing a campaign, its overview,
and starting, closing or taking it back to preparation. Every office role that works on campaigns reads them;
only those who run the campaign write, through the services; a refused write shows the service's message and
leaves nothing behind."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from conftest import Cast
from wangge.accounts.models import User
from wangge.campaigns import services
from wangge.campaigns.models import Campaign, CampaignStatus, EvidenceKind, Level, Method
from wangge.campaigns.tests.conftest import END, START, Tree
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.territory import services as territory_services

pytestmark = pytest.mark.usefixtures("english")

LIST = "/campaigns/"
NEW = "/campaigns/new/"
READERS = ("director", "grid_leader", "grid_worker", "auditor")
READ_ONLY = ("grid_leader", "grid_worker", "auditor")


def browser(user: User | None) -> Client:
    """A browser signed in as `user` (None: anonymous) that reads the pages in English."""
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(tree: Tree, suffix: str = "") -> str:
    return f"/campaigns/{tree.campaign.pk}/{suffix}"


def written() -> tuple[list[tuple], int, int]:
    """What a refused write must leave alone: the campaigns, the grids taking part, and the audit log."""
    campaigns = list(
        Campaign.objects.order_by("pk").values_list("pk", "name", "status", "starts_on", "ends_on", "total_points")
    )
    return campaigns, Campaign.areas.through.objects.count(), AuditEvent.objects.count()


def campaign_data(cast: Cast, **extra: Any) -> dict[str, Any]:
    return {
        "community": cast.home.code,
        "name": "文明城市创建",
        "issuer": "金水区文明办",
        "starts_on": "2014-03-01",
        "ends_on": "2014-12-31",
        "total_points": "100",
        "description": "迎接年底测评",
        "leadership_group": "",
        "areas": [cast.grid1.pk, cast.grid2.pk],
        "public": "on",
        **extra,
    }


def assert_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class CampaignListTests:
    @pytest.mark.parametrize("who", READERS)
    def test_it_lists_the_campaigns_of_the_users_community(self, cast: Cast, tree: Tree, who: str) -> None:
        response = browser(getattr(cast, who)).get(LIST)
        assert response.status_code == 200
        assert [campaign for campaign, _progress in response.context["rows"]] == [tree.campaign]
        assert "四城联创" in response.content.decode() and "俭学街社区" in response.content.decode()

    def test_it_shows_another_community_only_its_own_campaigns(self, cast: Cast, tree: Tree) -> None:
        theirs = services.campaign_create(
            actor=cast.outsider, community=cast.next_door, name="邻里创建", starts_on=START, ends_on=END
        )
        response = browser(cast.outsider).get(LIST)
        assert [campaign for campaign, _progress in response.context["rows"]] == [theirs]
        assert "四城联创" not in response.content.decode()

    def test_it_gives_each_campaign_its_readiness(self, cast: Cast, tree: Tree) -> None:
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        services.assignment_score(actor=None, assignment=assignment, score=3)
        response = browser(cast.director).get(LIST)
        (campaign, progress), *_ = response.context["rows"]
        # 3 of 20 points: the derived standards have nothing to judge by, and count 0.
        assert progress.percent == Decimal("15.0")
        assert "15.0%" in response.content.decode()

    def test_it_offers_a_new_campaign_only_to_those_who_run_one(self, cast: Cast, tree: Tree) -> None:
        assert NEW in browser(cast.director).get(LIST).content.decode()
        for who in READ_ONLY:
            assert NEW not in browser(getattr(cast, who)).get(LIST).content.decode(), who

    def test_it_refuses_those_who_do_not_work_on_campaigns(self, cast: Cast) -> None:
        assert browser(cast.building_leader).get(LIST).status_code == 403
        assert browser(cast.resident).get(LIST).status_code == 403

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast) -> None:
        assert_sent_to_sign_in(browser(None).get(LIST))

    def test_it_uses_as_many_queries_for_a_big_tree_as_for_a_small_one(self, cast: Cast, tree: Tree) -> None:
        client = browser(cast.director)
        few = query_counts(client, [LIST])
        content = services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.CONTENT, code="2.2", text="便民服务", points=0,
            parent=tree.item2,
        )  # fmt: skip
        for n in range(1, 6):
            standard = services.indicator_save(
                actor=None, campaign=tree.campaign, level=Level.STANDARD, code=f"2.2.{n}", text=f"服务{n}",
                points=0, parent=content, method=Method.MATERIALS,
            )  # fmt: skip
            services.assignment_save(actor=None, indicator=standard, area=cast.grid1, person=cast.grid_worker)
            services.evidence_file(
                actor=cast.grid_worker, indicator=standard, area=cast.grid1, kind=EvidenceKind.MEETING,
                title=f"会议{n}", occurred_on=datetime.date(2014, 7, n), text="会议记录",
            )  # fmt: skip
        assert query_counts(client, [LIST]) == few

    def test_it_shows_twenty_campaigns_a_page_newest_first(self, cast: Cast) -> None:
        day = datetime.timedelta(days=1)
        campaigns = [
            services.campaign_create(
                actor=None, community=cast.home, name=f"创建{n:02d}", starts_on=START + n * day, ends_on=END
            )
            for n in range(25)
        ]
        client = browser(cast.director)
        first = client.get(LIST)
        assert [campaign for campaign, _progress in first.context["rows"]] == campaigns[::-1][:20]
        assert "Page 1 of 2" in first.content.decode() and "25 records" in first.content.decode()
        second = client.get(LIST, {"page": 2})
        assert [campaign for campaign, _progress in second.context["rows"]] == campaigns[::-1][20:]
        # A page that is not one shows the first or the last, never an error.
        assert len(client.get(LIST, {"page": "x"}).context["rows"]) == 20
        assert client.get(LIST, {"page": 99}).context["page_obj"].number == 2

    def test_it_works_out_readiness_only_for_the_campaigns_on_the_page(self, cast: Cast) -> None:
        client = browser(cast.director)
        counts = []
        for total in (21, 40):
            while Campaign.objects.count() < total:
                n = Campaign.objects.count()
                services.campaign_create(
                    actor=None, community=cast.home, name=f"创建{n}", starts_on=START, ends_on=END, total_points=10
                )
            counts.append(query_counts(client, [LIST])[LIST])
        # Twenty readiness figures either way: more campaigns beyond the page cost nothing.
        assert counts[0] == counts[1]


class CampaignCreateTests:
    def test_it_creates_a_campaign_with_every_grid_taking_part_by_default(self, cast: Cast) -> None:
        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="创建工作领导小组")
        form = browser(cast.director).get(NEW).context["form"]
        assert set(form["areas"].initial) == {cast.grid1.pk, cast.grid2.pk}
        response = browser(cast.director).post(NEW, campaign_data(cast, leadership_group=group.pk))
        campaign = Campaign.objects.get(name="文明城市创建")
        assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/indicators/"
        assert (campaign.community, campaign.issuer, campaign.total_points, campaign.public) == (
            cast.home, "金水区文明办", Decimal("100.00"), True
        )  # fmt: skip
        assert (campaign.status, campaign.leadership_group) == (CampaignStatus.DRAFT, group)
        assert set(campaign.areas.all()) == {cast.grid1, cast.grid2}
        assert AuditEvent.objects.filter(action="campaign.create", actor=cast.director).count() == 1

    def test_it_takes_part_only_with_the_grids_left_ticked(self, cast: Cast) -> None:
        browser(cast.director).post(NEW, campaign_data(cast, areas=[cast.grid1.pk]))
        assert list(Campaign.objects.get(name="文明城市创建").areas.all()) == [cast.grid1]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"ends_on": "2014-02-01"}, "The end date is before the start date."),
            ({"name": "四城联创"}, "This community already has a campaign with this name."),
            ({"name": "   "}, "This field is required."),
            ({"total_points": "-5"}, "Ensure this value is greater than or equal to 0."),
            ({"starts_on": "2014-02-30"}, "Enter a valid date."),
            ({"areas": ["99999999999999999999"]}, "Select a valid choice."),
            ({"areas": [str(2**31)]}, "Select a valid choice."),
            ({"areas": ["²"]}, "Select a valid choice."),
        ],
    )
    def test_it_shows_the_message_and_writes_nothing(self, cast: Cast, tree: Tree, change: dict, message: str) -> None:
        before = written()
        response = browser(cast.director).post(NEW, campaign_data(cast, **change))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert written() == before

    def test_it_refuses_days_no_office_means_on_both_dates_at_once(self, cast: Cast) -> None:
        before = written()
        response = browser(cast.director).post(NEW, campaign_data(cast, starts_on="0001-01-01", ends_on="9999-12-31"))
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["starts_on"] == errors["ends_on"] == ["Choose a date between 1900 and 2100."]
        assert written() == before

    def test_it_refuses_another_communitys_leadership_group_and_grid(self, cast: Cast) -> None:
        theirs = territory_services.leadership_group_create(actor=None, area=cast.next_door, name="邻里领导小组")
        before = written()
        response = browser(cast.director).post(
            NEW, campaign_data(cast, leadership_group=theirs.pk, areas=[cast.grid1.pk, cast.next_grid.pk])
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"leadership_group", "areas"}
        assert written() == before

    def test_it_creates_for_the_community_the_user_runs_campaigns_in(self, cast: Cast) -> None:
        response = browser(cast.outsider).get(NEW)
        assert response.status_code == 200 and response.context["community"] == cast.next_door
        browser(cast.outsider).post(NEW, campaign_data(cast, community=cast.next_door.code, areas=[cast.next_grid.pk]))
        assert Campaign.objects.get(name="文明城市创建").community == cast.next_door

    def test_it_hides_a_community_the_user_does_not_run(self, cast: Cast) -> None:
        before = written()
        assert browser(cast.outsider).post(NEW, campaign_data(cast)).status_code == 404
        assert browser(cast.outsider).get(NEW, {"community": cast.home.code}).status_code == 404
        assert written() == before

    @pytest.mark.parametrize("who", [*READ_ONLY, "building_leader", "resident"])
    def test_it_refuses_those_who_do_not_run_campaigns(self, cast: Cast, who: str) -> None:
        before = written()
        assert browser(getattr(cast, who)).get(NEW).status_code == 403
        assert browser(getattr(cast, who)).post(NEW, campaign_data(cast)).status_code == 403
        assert written() == before

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast) -> None:
        assert_sent_to_sign_in(browser(None).post(NEW, campaign_data(cast)))
        assert not Campaign.objects.exists()


class CampaignDetailTests:
    def test_it_shows_the_facts_group_grids_plans_and_readiness(self, cast: Cast, tree: Tree) -> None:
        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="四城联创领导小组")
        territory_services.leadership_member_add(actor=None, group=group, person=cast.director, position="head")
        services.campaign_update(actor=None, campaign=tree.campaign, leadership_group=group)
        plan = services.work_plan_create(actor=None, campaign=tree.campaign, name="迎检工作计划")
        response = browser(cast.director).get(page(tree))
        assert response.status_code == 200
        body = response.content.decode()
        for text in ("四城联创领导小组", "主任甲", "第一网格", "第二网格", "金水区", "2014-06-01", "2014-10-31"):
            assert text in body, text
        assert f"/campaigns/plans/{plan.pk}/" in body
        assert f'action="/campaigns/{tree.campaign.pk}/plans/new/"' in body and 'name="name"' in body
        readiness = response.context["readiness"]
        assert [item.key for item in readiness.items] == ["1", "2"]
        assert readiness.total.points == Decimal("20")

    def test_it_gives_those_who_run_it_the_buttons(self, cast: Cast, tree: Tree) -> None:
        body = browser(cast.director).get(page(tree)).content.decode()
        assert page(tree, "edit/") in body and page(tree, "status/") in body and "Start the campaign" in body

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_lets_the_other_staff_read_it_without_buttons(self, cast: Cast, tree: Tree, who: str) -> None:
        response = browser(getattr(cast, who)).get(page(tree))
        assert response.status_code == 200
        body = response.content.decode()
        assert page(tree, "edit/") not in body and page(tree, "status/") not in body
        assert "/plans/new/" not in body

    def test_it_links_the_public_page_when_published(self, cast: Cast, tree: Tree) -> None:
        public = f"/p/campaigns/{cast.home.code}/"
        assert public not in browser(cast.director).get(page(tree)).content.decode()
        services.campaign_update(actor=None, campaign=tree.campaign, public=True)
        assert public in browser(cast.director).get(page(tree)).content.decode()

    def test_it_says_before_the_start_what_does_not_add_up(self, cast: Cast, tree: Tree) -> None:
        services.campaign_update(actor=None, campaign=tree.campaign, total_points=Decimal(100))
        body = browser(cast.director).get(page(tree)).content.decode()
        assert "The items add up to 20.00 points, but the campaign&#x27;s full score is 100.00." in body

    def test_it_hides_another_communitys_campaign(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.outsider).get(page(tree)).status_code == 404

    def test_it_refuses_those_who_do_not_work_on_campaigns(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.building_leader).get(page(tree)).status_code == 403
        assert browser(cast.resident).get(page(tree)).status_code == 403

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree) -> None:
        assert_sent_to_sign_in(browser(None).get(page(tree)))


class CampaignEditTests:
    def test_it_changes_the_facts_and_the_grids_taking_part(self, cast: Cast, tree: Tree) -> None:
        data = campaign_data(cast, name="四城联创（2014）", starts_on="2014-06-01", ends_on="2014-11-30",
                             total_points="20", areas=[cast.grid1.pk])  # fmt: skip
        response = browser(cast.director).post(page(tree, "edit/"), data)
        assert response.status_code == 302 and response["Location"] == page(tree)
        campaign = Campaign.objects.get(pk=tree.campaign.pk)
        assert (campaign.name, campaign.ends_on, campaign.public) == (
            "四城联创（2014）",
            datetime.date(2014, 11, 30),
            True,
        )
        assert list(campaign.areas.all()) == [cast.grid1]
        event = AuditEvent.objects.get(action="campaign.update")
        assert event.before["name"] == "四城联创" and event.after["name"] == "四城联创（2014）"

    def test_it_shows_the_campaigns_values(self, cast: Cast, tree: Tree) -> None:
        services.campaign_update(actor=None, campaign=tree.campaign, areas=[cast.grid2])
        form = browser(cast.director).get(page(tree, "edit/")).context["form"]
        assert form["name"].value() == "四城联创" and list(form["areas"].initial) == [cast.grid2.pk]

    def test_it_keeps_a_grid_with_assignments_in_the_campaign(self, cast: Cast, tree: Tree) -> None:
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid2, person=cast.director)
        before = written()
        data = campaign_data(cast, name="四城联创", starts_on="2014-06-01", ends_on="2014-10-31", areas=[cast.grid1.pk])
        response = browser(cast.director).post(page(tree, "edit/"), data)
        assert "A grid with assignments or tasks cannot leave the campaign." in response.content.decode()
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        before = written()
        assert browser(getattr(cast, who)).get(page(tree, "edit/")).status_code == 403
        assert browser(getattr(cast, who)).post(page(tree, "edit/"), campaign_data(cast)).status_code == 403
        assert written() == before

    def test_it_hides_another_communitys_campaign(self, cast: Cast, tree: Tree) -> None:
        before = written()
        assert browser(cast.outsider).post(page(tree, "edit/"), campaign_data(cast)).status_code == 404
        assert written() == before

    def test_it_refuses_a_building_leader_and_sends_anonymous_visitors_to_sign_in(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.building_leader).post(page(tree, "edit/"), campaign_data(cast)).status_code == 403
        assert_sent_to_sign_in(browser(None).post(page(tree, "edit/"), campaign_data(cast)))
        assert Campaign.objects.get(pk=tree.campaign.pk).name == "四城联创"


class CampaignStatusTests:
    def status(self, user: User | None, tree: Tree, status: str) -> Any:
        return browser(user).post(page(tree, "status/"), {"status": status}, follow=user is not None)

    def test_it_starts_closes_and_takes_back_a_campaign(self, cast: Cast, tree: Tree) -> None:
        response = self.status(cast.director, tree, "active")
        assert "The campaign is under way." in response.content.decode()
        assert Campaign.objects.get(pk=tree.campaign.pk).status == CampaignStatus.ACTIVE
        assert "Close the campaign" in response.content.decode()
        self.status(cast.director, tree, "closed")
        assert Campaign.objects.get(pk=tree.campaign.pk).status == CampaignStatus.CLOSED
        self.status(cast.director, tree, "draft")
        assert Campaign.objects.get(pk=tree.campaign.pk).status == CampaignStatus.DRAFT
        assert AuditEvent.objects.filter(action="campaign.status", actor=cast.director).count() == 3

    def test_it_lists_every_points_problem_when_a_start_is_refused(self, cast: Cast, tree: Tree) -> None:
        services.indicator_save(
            actor=None, campaign=tree.campaign, indicator=tree.item1, level=Level.ITEM, code="1", text="市容环境",
            points=13,
        )  # fmt: skip
        services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.CONTENT, code="2.2", text="便民服务", points=0,
            parent=tree.item2,
        )  # fmt: skip
        before = written()
        response = self.status(cast.director, tree, "active")
        body = response.content.decode()
        for problem in (
            "The points of the indicator system do not add up.",
            "1 has 13.00 points, but the indicators under it add up to 12.00.",
            "2.2 has nothing under it.",
            "The items add up to 21.00 points, but the campaign&#x27;s full score is 20.00.",
        ):
            assert problem in body, problem
        assert written() == before

    def test_it_refuses_an_unknown_status(self, cast: Cast, tree: Tree) -> None:
        before = written()
        assert "Unknown status." in self.status(cast.director, tree, "finished").content.decode()
        assert written() == before

    @pytest.mark.parametrize("who", READ_ONLY)
    def test_it_refuses_the_staff_who_only_read_it(self, cast: Cast, tree: Tree, who: str) -> None:
        before = written()
        assert self.status(getattr(cast, who), tree, "active").status_code == 403
        assert written() == before

    def test_it_hides_another_communitys_campaign(self, cast: Cast, tree: Tree) -> None:
        assert self.status(cast.outsider, tree, "active").status_code == 404
        assert self.status(cast.building_leader, tree, "active").status_code == 403
        assert_sent_to_sign_in(self.status(None, tree, "active"))
        assert Campaign.objects.get(pk=tree.campaign.pk).status == CampaignStatus.DRAFT

    def test_it_takes_only_a_post(self, cast: Cast, tree: Tree) -> None:
        assert browser(cast.director).get(page(tree, "status/")).status_code == 405


class NavigationTests:
    @pytest.mark.parametrize("who", READERS)
    def test_it_shows_the_campaigns_to_those_who_work_on_them(self, cast: Cast, who: str) -> None:
        assert f'href="{LIST}"' in browser(getattr(cast, who)).get("/").content.decode()

    def test_it_hides_them_from_a_building_leader(self, cast: Cast) -> None:
        response = browser(cast.building_leader).get("/", follow=True)
        assert f'href="{LIST}"' not in response.content.decode()
