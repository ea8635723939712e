"""Filters of the campaigns API: campaigns by status and community; a campaign's indicators, work plans and
evidence. A campaign is named by id among those the caller works on: another community's id is "not a valid
choice", exactly like a made-up one."""

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wangge.campaigns import selectors
from wangge.campaigns.models import Campaign, CampaignStatus, Evidence, EvidenceKind, Indicator, Level, WorkPlan

MAX_ID = 2**31


def visible_campaigns(request: HttpRequest | None) -> QuerySet[Campaign]:
    """The campaigns the caller works on (none while the schema is drawn, without a caller)."""
    if request is None:
        return Campaign.objects.none()
    return selectors.campaigns_for(request.user)


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CampaignStatus.choices)
    community = django_filters.CharFilter(label=_("Community code"), field_name="community__code")

    class Meta:
        model = Campaign
        fields = ["status", "community"]


class IndicatorFilter(django_filters.FilterSet):
    """The tree of one campaign: `campaign` is required, a tree is read one campaign at a time."""

    campaign = django_filters.ModelChoiceFilter(
        label=_("Campaign (id), required"), queryset=visible_campaigns, required=True
    )
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Level.choices)

    class Meta:
        model = Indicator
        fields = ["campaign", "level"]


class WorkPlanFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign (id)"), queryset=visible_campaigns)

    class Meta:
        model = WorkPlan
        fields = ["campaign"]


class EvidenceFilter(django_filters.FilterSet):
    """The ledger of one campaign (`campaign` required), narrowed to a node of its tree, an area or a kind."""

    campaign = django_filters.ModelChoiceFilter(
        label=_("Campaign (id), required"),
        queryset=visible_campaigns,
        required=True,
        field_name="indicator__campaign",
    )
    indicator = django_filters.NumberFilter(
        label=_("Indicator (id): a standard, or an item or content with the standards under it"),
        method="by_indicator",
    )
    area = django_filters.CharFilter(label=_("Area code (the community or a grid)"), field_name="area__code")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=EvidenceKind.choices)

    class Meta:
        model = Evidence
        fields = ["campaign", "indicator", "area", "kind"]

    def by_indicator(self, queryset: QuerySet[Evidence], name: str, value: int) -> QuerySet[Evidence]:
        # The form gives a Decimal: a fraction or an id beyond the database's integers names no indicator.
        if value != int(value) or not 0 < value < MAX_ID:
            return queryset.none()
        value = int(value)
        # A tree has three levels, so a node's standards are at most two steps below it.
        return queryset.filter(
            Q(indicator_id=value) | Q(indicator__parent_id=value) | Q(indicator__parent__parent_id=value)
        )
