"""Campaign pages: the list, the campaign's overview and facts, starting and closing it.

Every office role that works on campaigns reads them (a grid worker too: the campaign is the community's);
those who run the campaign (the director, the subdistrict above) change it, through the services.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import CAMPAIGN_ROLES, CAMPAIGN_VIEW_ROLES, Action
from wangge.campaigns import selectors, services
from wangge.campaigns.forms import CampaignForm
from wangge.campaigns.models import Campaign, CampaignStatus
from wangge.territory import selectors as territory_selectors
from wangge.territory.forms import add_service_errors
from wangge.territory.models import Area

# Campaigns on one page of the list.
PAGE_SIZE = 20


def campaign_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An office page of campaigns: signed in, with a staff role that works on campaigns (403 before any lookup
    otherwise); which campaign the user may open is then `selectors.campaign_for`'s (404 outside)."""

    @office_page
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_superuser and not user.roles() & CAMPAIGN_VIEW_ROLES:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def campaign_to_run(user: User, pk: int) -> Campaign:
    """A campaign the user runs: 404 when they cannot see it, 403 when they only read it."""
    campaign = selectors.campaign_for(user, pk)
    if not selectors.may_run(user, campaign):
        raise PermissionDenied
    return campaign


def runnable_communities(user: User) -> list[Area]:
    """The communities where the user runs campaigns: as their director, or the subdistrict's administrator."""
    communities = territory_selectors.communities_for(user, Action.CHANGE).order_by("path")
    return [c for c in communities if user.is_superuser or user.roles_at(c.path) & CAMPAIGN_ROLES]


@campaign_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns of the user's communities, newest first, each with its readiness."""
    campaigns = selectors.campaigns_for(request.user).order_by("-starts_on", "name", "pk")
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    # Worked out for the page's campaigns only, so a subdistrict's years of campaigns cost no more than one page
    # of them; their trees, assignments and evidence are read at once (readiness_of).
    campaigns = list(page)
    rows = [
        (campaign, ready.total) for campaign, ready in zip(campaigns, selectors.readiness_of(campaigns), strict=True)
    ]
    return render(
        request,
        "campaigns/campaign_list.html",
        {"rows": rows, "page_obj": page, "query": "", "communities": runnable_communities(request.user)},
    )


@campaign_page
def campaign_create(request: HttpRequest) -> HttpResponse:
    """A new campaign of one of the communities the user runs campaigns in (?community=CODE, else the first)."""
    communities = runnable_communities(request.user)
    if not communities:
        raise PermissionDenied
    code = request.POST.get("community") or request.GET.get("community")
    community = next((c for c in communities if c.code == code), None) if code else communities[0]
    if community is None:
        raise Http404
    form = CampaignForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, community=community, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Campaign %(name)s created: now enter its indicator system.") % {"name": campaign.name}
            )
            return redirect("campaigns:indicator_tree", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": None, "community": community, "communities": communities},
    )


def _detail_context(user: User, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    """What the overview shows: the facts, the leadership group, the grids, the plans and the readiness."""
    group = campaign.leadership_group
    members = list(group.members.select_related("person").order_by("order", "id")) if group else []
    runs = selectors.may_run(user, campaign)
    return {
        "campaign": campaign,
        "members": members,
        "grids": list(campaign.areas.order_by("code")),
        "plans": list(selectors.plans_of(campaign)),
        "readiness": selectors.readiness(campaign),
        # Before the start, what stands in its way; once running, the tree page keeps saying it.
        "points_problems": selectors.points_problems(campaign) if campaign.status == CampaignStatus.DRAFT else [],
        "may_run": runs,
        **extra,
    }


@campaign_page
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's overview: facts, status, leadership group, grids, work plans, readiness."""
    campaign = selectors.campaign_for(request.user, pk)
    return render(request, "campaigns/campaign_detail.html", _detail_context(request.user, campaign))


@campaign_page
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the campaign's facts and the grids taking part."""
    campaign = campaign_to_run(request.user, pk)
    # The form works on a copy; the service gets the stored campaign and records before and after.
    form = CampaignForm(
        request.POST or None, instance=Campaign.objects.get(pk=campaign.pk), community=campaign.community
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            services.campaign_update(actor=request.user, campaign=campaign, areas=data.pop("areas"), **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": data["name"]})
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign, "community": campaign.community, "communities": []},
    )


STATUS_DONE = {
    CampaignStatus.ACTIVE: gettext_lazy("The campaign is under way."),
    CampaignStatus.CLOSED: gettext_lazy("The campaign is closed."),
    CampaignStatus.DRAFT: gettext_lazy("The campaign is back in preparation."),
}


@campaign_page
@require_POST
def campaign_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Start, close, or take the campaign back to preparation; a refused start lists every points problem."""
    campaign = campaign_to_run(request.user, pk)
    status = request.POST.get("status", "")
    try:
        campaign = services.campaign_set_status(actor=request.user, campaign=campaign, status=status)
    except ValidationError as error:
        context = _detail_context(request.user, campaign, status_problems=error.messages)
        return render(request, "campaigns/campaign_detail.html", context)
    messages.success(request, str(STATUS_DONE[campaign.status]))
    return redirect("campaigns:campaign_detail", pk=campaign.pk)
