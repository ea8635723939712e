"""Public supervision: the community's campaign page for everyone (only what is published, never evidence, no
cookie), and the campaign's responsible persons on every compound's notice board and public page."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from conftest import Cast, _user
from wangge.accounts.roles import Role
from wangge.campaigns import notices, services
from wangge.campaigns.models import Campaign, CampaignStatus, EvidenceKind, Indicator
from wangge.campaigns.tests.conftest import END, START, Tree
from wangge.campaigns.tests.test_evidence_pages import DAY, pdf
from wangge.core.testing import query_counts
from wangge.territory import selectors as territory_selectors
from wangge.territory import services as territory_services

HOME = "410105008004"

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def notice_sections() -> None:
    """The campaigns' section on the notice boards, as CampaignsConfig.ready registers it."""
    notices.register()


def browser(cast: Cast, who: str | None = None) -> Client:
    client = cast.client(getattr(cast, who) if who else None)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def publish(tree: Tree, *, status: str = "active") -> Campaign:
    """The campaign published for supervision, and started (or left as `status`)."""
    services.campaign_update(actor=None, campaign=tree.campaign, public=True)
    if status != "draft":
        services.campaign_set_status(actor=None, campaign=tree.campaign, status=status)
    tree.campaign.refresh_from_db()
    return tree.campaign


def make_public(indicator: Indicator) -> Indicator:
    """A standard's progress shown to the public (the other facts as they were)."""
    return services.indicator_save(
        actor=None,
        campaign=indicator.campaign,
        indicator=indicator,
        level=indicator.level,
        code=indicator.code,
        text=indicator.text,
        points=indicator.points,
        parent=indicator.parent,
        method=indicator.method,
        public=True,
        scoring=indicator.scoring,
        inspection_target=indicator.inspection_target,
        evidence_required=indicator.evidence_required,
    )


@pytest.fixture
def answered(cast: Cast, tree: Tree) -> None:
    """The grid worker answers in grid 1 for the public sweep standard and the (not public) bins; the director
    for the ledger in the whole community; grid 2's worker for sweep in grid 2."""
    services.assignment_save(actor=None, indicator=tree.sweep, area=cast.grid1, person=cast.grid_worker)
    services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
    services.assignment_save(actor=None, indicator=tree.ledger, area=cast.home, person=cast.director)
    grid2_worker = _user("grid2worker", "网格员庚", Role.GRID_WORKER, area=cast.grid2)
    services.assignment_save(actor=None, indicator=tree.sweep, area=cast.grid2, person=grid2_worker)


class PublicCampaignTests:
    def test_it_shows_a_published_campaign_to_anyone(self, cast: Cast, tree: Tree) -> None:
        publish(tree)
        response = browser(cast).get(f"/p/campaigns/{HOME}/")
        assert response.status_code == 200
        content = text(response)
        assert "四城联创" in content and "金水区" in content and "2014-06-01" in content and "2014-10-31" in content
        assert f"data-status>{CampaignStatus.ACTIVE.label}<" in content

    def test_it_shows_only_the_public_standards_progress(self, cast: Cast, tree: Tree) -> None:
        publish(tree)
        content = text(browser(cast).get(f"/p/campaigns/{HOME}/"))
        assert 'data-public-standard="1.1.1"' in content and 'data-public-standard="1.2.1"' in content
        for hidden in ("1.1.2", "2.1.1", "2.1.2"):
            assert f'data-public-standard="{hidden}"' not in content
        assert "垃圾桶配置到位" not in content and "工作台账齐全" not in content

    def test_it_shows_the_score_and_whether_the_evidence_is_complete(self, cast: Cast, tree: Tree) -> None:
        make_public(tree.bins)
        assignment = services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker)
        services.assignment_score(actor=None, assignment=assignment, score="2.5")
        services.evidence_file(
            actor=cast.grid_worker,
            indicator=tree.bins,
            area=cast.grid1,
            kind=EvidenceKind.DOCUMENT,
            title="垃圾桶台账",
            occurred_on=DAY,
            upload=pdf("垃圾桶台账.pdf"),
        )
        publish(tree)
        response = browser(cast).get(f"/p/campaigns/{HOME}/")
        (bins,) = [s for s in response.context["progress"] if s.indicator.code == "1.1.2"]
        assert (str(bins.percent), bins.complete) == ("83.3", True)
        content = text(response)
        assert "83.3%" in content
        # The count is public; the evidence is not.
        assert "垃圾桶台账" not in content and "/campaigns/evidence/" not in content and ".pdf" not in content

    def test_it_names_who_answers_for_what_in_each_grid(self, cast: Cast, tree: Tree, answered: None) -> None:
        publish(tree)
        response = browser(cast).get(f"/p/campaigns/{HOME}/")
        grid1 = next(entry for entry in response.context["grids"] if entry.grid == cast.grid1)
        (worker,) = grid1.answerers
        assert (worker.person, [i.code for i in worker.public], worker.others) == (cast.grid_worker, ["1.1.1"], 1)
        assert worker.facts() == "1.1.1 楼院无卫生死角 · and 1 more standard"
        assert [a.person for a in response.context["whole_community"]] == [cast.director]
        assert response.context["whole_community"][0].facts() == "1 standard"

    def test_it_lists_each_compound_under_its_grid_with_who_is_responsible(self, cast: Cast, tree: Tree) -> None:
        territory_services.assignment_create(actor=None, person=cast.building_leader, place=cast.compound1, duty="卫生")
        publish(tree)
        response = browser(cast).get(f"/p/campaigns/{HOME}/")
        by_grid = {entry.grid.code: [p.compound.code for p in entry.compounds] for entry in response.context["grids"]}
        assert by_grid == {cast.grid1.code: ["T-C01"], cast.grid2.code: ["T-C02"]}
        content = text(response)
        assert "楼栋长丁（卫生）" in content
        assert 'href="/p/c/T-C01/report/"' in content and 'href="/p/c/T-C01/"' in content
        assert "邻里一号院" not in content

    def test_it_shows_the_leadership_group_when_published(self, cast: Cast, tree: Tree) -> None:
        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="创建工作领导小组")
        territory_services.leadership_member_add(
            actor=None, group=group, person=cast.director, position="head", duty="全面负责"
        )
        services.campaign_update(actor=None, campaign=tree.campaign, leadership_group=group)
        publish(tree)
        content = text(browser(cast).get(f"/p/campaigns/{HOME}/"))
        assert "创建工作领导小组" in content and "主任甲" in content and "全面负责" in content
        group.published = False
        group.save()
        assert "创建工作领导小组" not in text(browser(cast).get(f"/p/campaigns/{HOME}/"))

    def test_it_shows_nothing_of_a_campaign_not_published(self, cast: Cast, tree: Tree) -> None:
        services.campaign_set_status(actor=None, campaign=tree.campaign, status="active")
        assert browser(cast).get(f"/p/campaigns/{HOME}/").status_code == 404

    def test_it_shows_nothing_of_a_campaign_in_preparation(self, cast: Cast, tree: Tree) -> None:
        publish(tree, status="draft")
        assert browser(cast).get(f"/p/campaigns/{HOME}/").status_code == 404

    def test_it_shows_a_closed_campaign(self, cast: Cast, tree: Tree) -> None:
        publish(tree)
        services.campaign_set_status(actor=None, campaign=tree.campaign, status="closed")
        assert f"data-status>{CampaignStatus.CLOSED.label}<" in text(browser(cast).get(f"/p/campaigns/{HOME}/"))

    @pytest.mark.parametrize("code", ["999999999999", "410105008004001"])
    def test_it_knows_no_other_code(self, cast: Cast, tree: Tree, code: str) -> None:
        publish(tree)
        assert browser(cast).get(f"/p/campaigns/{code}/").status_code == 404

    def test_it_switches_between_published_campaigns(self, cast: Cast, tree: Tree) -> None:
        publish(tree)
        other = services.campaign_create(
            actor=None, community=cast.home, name="文明城市创建", starts_on=START, ends_on=END, public=True
        )
        services.campaign_update(actor=None, campaign=other, issuer="郑州市")
        Campaign.objects.filter(pk=other.pk).update(status="closed")
        client = browser(cast)
        assert client.get(f"/p/campaigns/{HOME}/").context["campaign"] == tree.campaign
        chosen = client.get(f"/p/campaigns/{HOME}/?campaign={other.pk}")
        assert chosen.context["campaign"] == other and "郑州市" in text(chosen)

    def test_it_may_be_kept_by_shared_caches(self, cast: Cast, tree: Tree) -> None:
        publish(tree)
        for who in (None, "director"):
            response = browser(cast, who).get(f"/p/campaigns/{HOME}/")
            assert response["Cache-Control"] == "public, max-age=300"
            assert not response.cookies
            assert "csrfmiddlewaretoken" not in text(response) and 'X-CSRFToken": ""' in text(response)
            assert "cases/public_base.html" in [template.name for template in response.templates]

    def test_its_queries_do_not_grow_with_the_compounds(self, cast: Cast, tree: Tree, answered: None) -> None:
        publish(tree)
        client = browser(cast)
        url = f"/p/campaigns/{HOME}/"
        before = query_counts(client, [url])
        for n in range(3):
            compound = territory_services.compound_create(
                actor=None, code=f"T-C1{n}", name=f"新院{n}", area=cast.grid1, management="none"
            )
            territory_services.assignment_create(actor=None, person=cast.grid_worker, place=compound)
        assert query_counts(client, [url]) == before


class NoticeBoardTests:
    def test_it_shows_the_campaigns_persons_for_the_compounds_grid(self, cast: Cast, tree: Tree, answered) -> None:
        publish(tree)
        response = browser(cast, "director").get("/compounds/T-C01/notice-board/")
        (section,) = response.context["sections"]
        assert section.title == "四城联创: who answers for it"
        assert section.rows == [
            ("网格员丙", "1.1.1 楼院无卫生死角 · and 1 more standard"),
            ("主任甲", "Whole community: 1 standard"),
        ]
        assert "data-notice-section" in text(response)

    def test_it_shows_another_grids_persons_on_its_boards(self, cast: Cast, tree: Tree, answered: None) -> None:
        publish(tree)
        (section,) = browser(cast, "director").get("/compounds/T-C02/notice-board/").context["sections"]
        assert [who for who, _facts in section.rows] == ["网格员庚", "主任甲"]

    def test_it_shows_them_on_the_compounds_public_page(self, cast: Cast, tree: Tree, answered: None) -> None:
        publish(tree)
        content = text(browser(cast).get("/p/c/T-C01/"))
        assert "四城联创: who answers for it" in content and "网格员丙" in content

    @pytest.mark.parametrize("status", ["draft", "closed"])
    def test_it_shows_no_campaign_that_is_not_under_way(self, cast: Cast, tree: Tree, answered, status) -> None:
        publish(tree, status="draft" if status == "draft" else "active")
        if status == "closed":
            services.campaign_set_status(actor=None, campaign=tree.campaign, status="closed")
        assert browser(cast, "director").get("/compounds/T-C01/notice-board/").context["sections"] == []

    def test_it_shows_no_campaign_that_is_not_published(self, cast: Cast, tree: Tree, answered: None) -> None:
        services.campaign_set_status(actor=None, campaign=tree.campaign, status="active")
        content = text(browser(cast).get("/p/c/T-C01/"))
        assert "data-notice-section" not in content and "四城联创" not in content

    def test_it_is_registered_once_however_often_it_is_registered(self) -> None:
        notices.register()
        notices.register()
        assert territory_selectors._notice_sources.count(notices.campaign_sections) == 1


class PublicPlanTests:
    def test_it_shows_the_plans_phases_but_not_its_tasks(self, cast: Cast, tree: Tree) -> None:
        plan = services.work_plan_create(actor=None, campaign=tree.campaign, name="工作计划表")
        phase = services.phase_save(actor=None, plan=plan, name="集中整治", starts_on=START, ends_on=END)
        services.task_save(
            actor=None, plan=plan, phase=phase, title="内部督查安排", owner=cast.grid_worker, area=cast.grid1,
            starts_on=START, due_on=END,
        )  # fmt: skip
        publish(tree)
        content = text(browser(cast).get(f"/p/campaigns/{HOME}/"))
        assert "集中整治" in content and "2014-06-01 – 2014-10-31" in content
        assert "内部督查安排" not in content
