"""Health check, the audit log page (with the access log of personal data) and the reveal view."""

import datetime
import json
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from wangge.core import audit
from wangge.core.htmx import partial_or_page
from wangge.core.models import AuditEvent
from wangge.core.reveal import check_may_reveal, pii_reveal, revealable
from wangge.core.scoping import get_for_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_AUDIT = "view_audit"  # accounts.roles.Action.VIEW_AUDIT; core does not import accounts
# The access log of personal data (个人信息访问): every reveal, search by a full ID or phone number,
# filter by a sensitive tag, and every export.
PII_ACCESS = Q(action__in=["pii.reveal", "pii.search", "pii.filter"]) | Q(action__startswith="export.")
AUDIT_PRESETS = {"pii": PII_ACCESS}


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


def _audit_events(request: HttpRequest) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    """The events the auditor may read, narrowed by the page's filters (and preset)."""
    events = AuditEvent.objects.for_user(request.user, VIEW_AUDIT).select_related("actor")
    keys = ("actor", "action", "object_type", "since", "until", "preset")
    filters = {key: request.GET.get(key, "").strip() for key in keys}
    if filters["preset"] not in AUDIT_PRESETS:
        filters["preset"] = ""
    else:
        events = events.filter(AUDIT_PRESETS[filters["preset"]])
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
    return events, filters


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log within the auditor's areas, newest first, filtered by actor, action, type, dates or preset.

    `?preset=pii` is the access log of personal data (reveals and exports); `?format=xlsx` exports the
    filtered log, and that export is itself audited.
    """
    if not request.user.can(VIEW_AUDIT):
        raise PermissionDenied
    events, filters = _audit_events(request)
    if request.GET.get("format") == "xlsx":
        return _audit_export(request, events, filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = partial_or_page(request, "core/audit_list.html", "core/partials/audit_rows.html")
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, template, {"page": page, "filters": filters, "query": query.urlencode()})


def _audit_export(request: HttpRequest, events: QuerySet[AuditEvent], filters: dict[str, str]) -> FileResponse:
    """The filtered log as an Excel workbook, written as a stream to a temporary file (bounded memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit log"))
    widths = (20, 14, 18, 22, 10, 30, 30, 16, 18, 50)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append(
        [
            _("Time"),
            _("Actor"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("Reason"),
            _("IP address"),
            _("Area path"),
            _("Details"),
        ]
    )
    count = 0
    zone = timezone.get_current_timezone()
    for event in events.iterator(chunk_size=2000):
        count += 1
        detail = event.after if event.after is not None else event.before
        sheet.append(
            [
                event.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_label,
                event.action,
                event.object_type,
                event.object_id,
                event.object_repr,
                event.reason,
                event.ip or "",
                event.area_path,
                json.dumps(detail, ensure_ascii=False)[:2000] if detail else "",
            ]
        )
    handle = tempfile.NamedTemporaryFile(prefix="wangge-audit-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        workbook.save(path)
        prefixes = request.user.area_prefixes(VIEW_AUDIT)
        audit.record_export(
            actor=request.user,
            name="audit",
            area_path=min(prefixes, key=len) if prefixes else "",
            detail={"filters": {key: value for key, value in filters.items() if value}, "rows": count},
        )
        # Unlinked at once: the open handle keeps the data until the response is sent.
        stream = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    filename = f"audit-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(stream, as_attachment=True, filename=filename, content_type=XLSX)


@require_POST
@login_required
def pii_reveal_view(request: HttpRequest, label: str, pk: int, field: str) -> HttpResponse:
    """Show one masked personal value in clear, once: POST with a reason; permitted roles only; audited.

    Answers with the htmx partial (or a small page): the clear value, or the reason form again with what is
    wrong (400), or why it is refused (403: no value, masked or not, nor whether there is one). Out of scope,
    or a model or field that is not revealable (`core.reveal.REVEALABLE`), is 404.
    """
    model, model_field = revealable(label, field)
    instance = get_for_user(model.objects, request.user, pk=pk)
    context = {"label": label, "pk": pk, "field": field, "field_label": model_field.verbose_name}
    status = 200
    try:
        # Permission first: a user who may not reveal is told so, and nothing about the value, not even masked.
        check_may_reveal(request.user, instance)
    except PermissionDenied as error:
        context.update(error=str(error) or _("You may not reveal personal data here."), refused=True)
        status = 403
    else:
        context.update(masked=model_field.mask(getattr(instance, field)), revealable=True)
        try:
            value = pii_reveal(
                actor=request.user, instance=instance, field=field, reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            status = 400
        except PermissionDenied as error:
            context.update(error=str(error) or _("You may not reveal personal data here."), refused=True)
            context.pop("masked")
            status = 403
        else:
            display = getattr(instance, "revealed_display", None)
            context["value"] = display(field, value) if display else value
    template = "core/partials/pii_field.html" if request.htmx else "core/pii_reveal.html"
    response = render(request, template, context, status=status)
    # A clear value must not stay in a shared or browser cache.
    response["Cache-Control"] = "no-store"
    return response
