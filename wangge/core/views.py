"""Health check and the audit log page."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wangge.core.models import AuditEvent


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the database's state when it answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not healthy", and must not become a 500 page
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log within the auditor's areas, newest first, filtered by actor, action, type and dates."""
    if not request.user.can("view_audit"):
        raise PermissionDenied
    events = AuditEvent.objects.for_user(request.user, "view_audit").select_related("actor")
    filters = {key: request.GET.get(key, "").strip() for key in ("actor", "action", "object_type", "since", "until")}
    if filters["actor"]:
        events = events.filter(actor_label__icontains=filters["actor"])
    if filters["action"]:
        events = events.filter(action__startswith=filters["action"])
    if filters["object_type"]:
        events = events.filter(object_type=filters["object_type"])
    if since := _date(filters["since"]):
        events = events.filter(created_at__date__gte=since)
    if until := _date(filters["until"]):
        events = events.filter(created_at__date__lte=until)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "core/partials/audit_rows.html" if request.htmx and not request.htmx.boosted else "core/audit_list.html"
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {"page": page, "filters": filters, "query": query.urlencode()})
