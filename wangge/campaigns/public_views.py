"""The public supervision page (群众监督) of a community's campaigns, for everyone, without signing in: what the
campaign is, its leadership group, who answers for it in each grid and compound, and how far the public standards
have come. Never a piece of evidence, a file, or anyone's data beyond staff display names."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import cache_control

from wangge.campaigns import notices, selectors
from wangge.campaigns.models import Campaign, CampaignStatus, Indicator, Phase
from wangge.campaigns.notices import Answerer
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind, Assignment, Compound, LeadershipMember

# How long a shared cache may keep the page, in seconds.
PUBLIC_MAX_AGE = 300


@dataclass
class PublicStandard:
    """A public standard's progress: its self-assessed score as a share of its points, and whether its evidence
    is complete (the count only, never the evidence)."""

    indicator: Indicator
    percent: Decimal | None
    complete: bool


@dataclass
class PublicCompound:
    compound: Compound
    responsible: list[Assignment]


@dataclass
class PublicGrid:
    """A grid of the community: who answers for the campaign there, and its compounds with their responsible
    persons."""

    grid: Area
    answerers: list[Answerer]
    compounds: list[PublicCompound]


def _percent(score: Decimal | None, points: Decimal) -> Decimal | None:
    if score is None or not points:
        return None
    return (score / points * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _chosen(request: HttpRequest, campaigns: list[Campaign]) -> Campaign:
    """?campaign=<pk> among the published ones, else the first one under way, else the newest."""
    wanted = request.GET.get("campaign", "")
    for campaign in campaigns:
        if str(campaign.pk) == wanted:
            return campaign
    return next((c for c in campaigns if c.status == CampaignStatus.ACTIVE), campaigns[0])


def _members(campaign: Campaign) -> list[LeadershipMember]:
    """The campaign's leadership group's members, when the group is published (as on the notice boards)."""
    group = campaign.leadership_group
    if group is None or not group.published:
        return []
    return list(group.members.select_related("person").order_by("order", "id"))


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_campaign(request: HttpRequest, code: str) -> HttpResponse:
    """A community's published campaigns, one at a time: facts, leadership group, who answers for what in each
    grid and compound, the public standards' progress, and where to report a problem.

    Shared caches may keep the page: it carries no CSRF token (which would set a cookie) and not the messages of a
    signed-in visitor (they wait for the visitor's next office page)."""
    community = get_object_or_404(Area, code=code, kind=AreaKind.COMMUNITY)
    campaigns = list(selectors.public_campaigns(community).select_related("leadership_group"))
    if not campaigns:
        raise Http404
    campaign = _chosen(request, campaigns)
    progress = [
        PublicStandard(state.indicator, _percent(state.score, state.indicator.points), state.complete)
        for state in selectors.standard_states(campaign)
        if state.indicator.public
    ]
    members = _members(campaign)
    by_area = notices.answerers(campaign)
    grids = list(Area.objects.filter(kind=AreaKind.GRID, parent=community).order_by("code"))
    compounds = list(Compound.objects.filter(area__in=grids).order_by("code"))
    responsible = territory_selectors.responsible_for_compounds(compounds)
    places = [
        PublicGrid(
            grid,
            by_area.get(grid.pk, []),
            [PublicCompound(c, responsible[c.pk]) for c in compounds if c.area_id == grid.pk],
        )
        for grid in grids
    ]
    context = {
        "community": community,
        "campaigns": campaigns,
        "campaign": campaign,
        "group": campaign.leadership_group if members else None,
        "members": members,
        "whole_community": by_area.get(community.pk, []),
        "progress": progress,
        # The plan's phases are public (the "by phase" of 按标准、分步骤、分阶段); its tasks are the office's.
        "phases": Phase.objects.filter(plan__campaign=campaign).order_by("starts_on", "order", "id"),
        "today": timezone.localdate(),
        "complete": sum(1 for standard in progress if standard.complete),
        "grids": [entry for entry in places if entry.compounds or entry.answerers],
        "tel": "".join(community.office_phone.split()),
        "csrf_token": "",
        "messages": (),
    }
    return render(request, "campaigns/public_campaign.html", context)
