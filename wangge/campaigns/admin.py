"""Django admin of campaigns: read only. Campaigns, their trees, plans and evidence are written in the app,
through the services (role and scope checks, totals, audit); the admin lets an administrator look them up.
Evidence files are not linked here: they are served only through the scoped download page."""

from django.contrib import admin

from wangge.campaigns.models import Campaign, Evidence, Indicator, IndicatorAssignment, Phase, PlanTask, WorkPlan
from wangge.inspections.admin import ReadOnlyAdmin, ReadOnlyInline


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "community", "issuer", "starts_on", "ends_on", "status", "total_points", "public"]
    list_filter = ["status", "public"]
    list_select_related = ["community"]
    search_fields = ["name", "issuer", "community__name"]
    date_hierarchy = "starts_on"


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["code", "level", "text", "points", "method", "scoring", "evidence_required", "public", "campaign"]
    list_filter = ["level", "method", "scoring", "public"]
    list_select_related = ["campaign"]
    search_fields = ["code", "text", "campaign__name"]
    ordering = ["campaign", "order", "id"]


@admin.register(IndicatorAssignment)
class IndicatorAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "area", "person", "target", "due_on", "score", "scored_at"]
    list_select_related = ["indicator", "area", "person"]
    search_fields = ["indicator__code", "area__name", "person__username", "person__display_name"]


class PhaseInline(ReadOnlyInline):
    model = Phase
    fields = ["order", "name", "kind", "starts_on", "ends_on"]


@admin.register(WorkPlan)
class WorkPlanAdmin(ReadOnlyAdmin):
    list_display = ["name", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["name", "campaign__name"]
    inlines = [PhaseInline]


@admin.register(PlanTask)
class PlanTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "plan", "phase", "owner", "area", "starts_on", "due_on", "status", "done_on"]
    list_filter = ["status"]
    list_select_related = ["plan", "phase", "owner", "area"]
    search_fields = ["title", "owner__username", "owner__display_name"]
    date_hierarchy = "due_on"


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["title", "indicator", "area", "kind", "occurred_on", "filed_by", "withdrawn_at"]
    list_filter = ["kind"]
    list_select_related = ["indicator", "area", "filed_by"]
    search_fields = ["title", "indicator__code"]
    date_hierarchy = "occurred_on"
    # Not `file`: the admin would link straight to the storage, around the scoped download page.
    fields = [
        "indicator",
        "area",
        "kind",
        "title",
        "occurred_on",
        "file_name",
        "content_type",
        "size",
        "text",
        "case",
        "inspection",
        "compound",
        "filed_by",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
    ]
