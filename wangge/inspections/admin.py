"""Django admin of inspections: read only. Standards, schedules and inspections are written in the app, through
the services (versions, scope checks, audit); the admin lets an administrator look them up."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wangge.inspections.models import Checklist, ChecklistItem, Finding, Inspection, Policy, Schedule


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: a change here would bypass the services and the audit log."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["order", "code", "section", "text", "points", "severity", "category", "photo_required", "rectify_hours"]


@admin.register(Checklist)
class ChecklistAdmin(ReadOnlyAdmin):
    list_display = ["code", "version", "name", "target", "status", "pass_mark", "published_at"]
    list_filter = ["target", "status"]
    search_fields = ["code", "name"]
    inlines = [ChecklistItemInline]


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["community", "target", "trades", "every", "unit", "active"]
    list_filter = ["target", "unit", "active"]
    list_select_related = ["community"]


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["community", "relapse_days", "public_ranking", "ranking_size"]
    list_select_related = ["community"]


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ["item_code", "result", "note", "case", "relapse_of"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["inspected_at", "area", "target", "checklist", "inspector", "score", "passed", "relapse_count"]
    list_filter = ["target", "passed"]
    list_select_related = ["area", "checklist", "inspector"]
    date_hierarchy = "inspected_at"
    inlines = [FindingInline]
