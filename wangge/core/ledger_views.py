"""The Excel ledger pages: templates to fill in, uploads that become background import jobs, the jobs' pages,
and the export response the list pages share.

Core knows no areas and no roles: the communities come from `ledgers.scopes` (the territory app answers), and
actions are named by their stable strings (accounts.roles.Action).
"""

import io
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wangge.core import audit, ledgers, tasks
from wangge.core.bodylimit import body_limit
from wangge.core.htmx import wants_partial
from wangge.core.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# accounts.roles.Action names; core does not import accounts.
VIEW, EXPORT, VIEW_AUDIT = "view", "export", "view_audit"
RECENT_JOBS = 10
# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD = 64 * 1024

PHASES = {
    "queued": gettext_lazy("Waiting for the worker"),
    "checking": gettext_lazy("Checking the rows"),
    "writing": gettext_lazy("Writing"),
    "done": gettext_lazy("Finished"),
}


def _office(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required, and a role that may view something (accounts.access.office_page, without the import)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.can(VIEW):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _limit_mb() -> int:
    return settings.IMPORT_MAX_MB


def _too_large_message() -> str:
    return _("The file is too large: at most %(mb)d MB can be imported at once. Split it into parts.") % {
        "mb": _limit_mb()
    }


def _upload_body_limit(**_view_kwargs: Any) -> int:
    return _limit_mb() * 1024 * 1024 + FORM_OVERHEAD


def _refuse_upload(request: HttpRequest) -> HttpResponse:
    return _index(request, status=413, refused=_too_large_message())


_upload_limit = body_limit(_upload_body_limit, _refuse_upload)


class ImportForm(forms.Form):
    """The community, the workbook, and whether the valid rows go in when others are wrong."""

    community = forms.ChoiceField(label=gettext_lazy("Community"))
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))
    apply_valid = forms.BooleanField(
        label=gettext_lazy("Import only the rows without problems"),
        required=False,
        help_text=gettext_lazy("Otherwise one wrong row stops the whole file, and nothing is imported."),
    )

    def __init__(self, *args: Any, communities: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(area.code, area.name) for area in communities]
        self.fields["file"].widget.attrs.update(
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            **{"class": "form-control"},
        )
        self.fields["community"].widget.attrs["class"] = "form-select"
        self.fields["apply_valid"].widget.attrs["class"] = "form-check-input"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > _limit_mb() * 1024 * 1024:
            raise forms.ValidationError(_too_large_message())
        return upload


def _importable() -> list[ledgers.Ledger]:
    """The registered ledgers that can be imported (export-only ones have no imported column)."""
    return [ledger for ledger in ledgers.ledgers().values() if any(column.imported for column in ledger.columns)]


def _communities(request: HttpRequest) -> list[Any]:
    return list(ledgers.scopes(request.user, "add", "change"))


def _index(
    request: HttpRequest, *, status: int = 200, failed: tuple[str, ImportForm] | None = None, refused: str = ""
) -> HttpResponse:
    communities = _communities(request)
    cards = []
    for ledger in _importable():
        form = failed[1] if failed and failed[0] == ledger.name else ImportForm(communities=communities)
        cards.append({"ledger": ledger, "form": form})
    jobs = ImportJob.objects.filter(actor=request.user)[:RECENT_JOBS] if request.user.is_authenticated else []
    context = {"cards": cards, "may_import": bool(communities), "jobs": jobs, "refused": refused}
    return render(request, "core/ledger_index.html", context, status=status)


@_office
def index(request: HttpRequest) -> HttpResponse:
    """Every ledger: its template, an import form (communities where the user may add and change), recent jobs."""
    return _index(request)


@_office
def template(request: HttpRequest, name: str) -> HttpResponse:
    """The ledger's template workbook: headers, drop-down lists, an example row, notes."""
    ledger = _ledger_or_404(name)
    buffer = io.BytesIO()
    ledgers.template(ledger).save(buffer)
    filename = f"{ledger.name}-template.xlsx"
    return HttpResponse(
        buffer.getvalue(), content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _ledger_or_404(name: str) -> ledgers.Ledger:
    try:
        return ledgers.get(name)
    except ledgers.LedgerFileError:
        raise Http404 from None


@login_required
@_upload_limit
@_office
@require_POST
def start(request: HttpRequest, name: str) -> HttpResponse:
    """Save the upload, create the job and hand it to the worker; then show the job's page."""
    ledger = _ledger_or_404(name)
    communities = _communities(request)
    if not communities:
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES, communities=communities)
    if not form.is_valid():
        return _index(request, status=400, failed=(ledger.name, form))
    community = next(area for area in communities if area.code == form.cleaned_data["community"])
    upload = form.cleaned_data["file"]
    job = ImportJob(
        ledger=ledger.name,
        actor=request.user,
        scope_path=community.path,
        scope_code=community.code,
        scope_name=community.name,
        file_name=Path(upload.name).name[:200],
        apply_valid=form.cleaned_data["apply_valid"],
    )
    job.upload.save("upload.xlsx", upload, save=False)
    job.save()
    tasks.run_import_job.enqueue(str(job.pk))
    return redirect("ledgers:job", pk=job.pk)


def _job_for(request: HttpRequest, pk: Any) -> ImportJob:
    """The job, for its importer or an auditor of its community; 404 for everyone else."""
    job = ImportJob.objects.select_related("actor").filter(pk=pk).first()
    if job is None:
        raise Http404
    if job.actor_id != request.user.pk and not (
        ImportJob.objects.for_user(request.user, VIEW_AUDIT).filter(pk=pk).exists()
    ):
        raise Http404
    return job


@_office
def job(request: HttpRequest, pk: Any) -> HttpResponse:
    """A job's page: a progress bar while it runs (htmx polls every second), then its figures and problems."""
    found = _job_for(request, pk)
    progress = tasks.read_progress(found)
    total = progress.get("total") or 0
    percent = min(100, round(100 * progress.get("done", 0) / total)) if total else 0
    context = {
        "job": found,
        "ledger": ledgers.ledgers().get(found.ledger),
        "progress": progress,
        "phase": PHASES.get(progress.get("phase"), ""),
        "percent": percent,
    }
    if wants_partial(request):
        return render(request, "core/partials/ledger_job_status.html", context)
    return render(request, "core/ledger_job.html", context)


@_office
def job_errors(request: HttpRequest, pk: Any) -> FileResponse:
    """The job's error workbook: row, column and problem of every refused row."""
    found = _job_for(request, pk)
    if not found.error_file:
        raise Http404
    filename = f"{found.ledger}-errors-{found.created_at:%Y%m%d%H%M}.xlsx"
    return FileResponse(found.error_file.open("rb"), as_attachment=True, filename=filename, content_type=XLSX)


# Exports of the list pages


def export_response(
    request: HttpRequest,
    *,
    ledger: ledgers.Ledger,
    queryset: models.QuerySet,
    filters: dict[str, Any],
    reveal: bool = False,
) -> FileResponse:
    """The rows of a list page as the ledger's workbook, audited (filters and row count) and streamed.

    The caller has checked the export right and narrowed `queryset` to the rows the user may export.
    """
    rows = ledger.export_queryset(queryset)
    count = rows.count()
    path = ledgers.export(ledger, rows.iterator(chunk_size=2000), reveal=reveal)
    prefixes = request.user.area_prefixes(EXPORT)
    audit.record_export(
        actor=request.user,
        name=ledger.name,
        # Filed under the widest area exported (all of them for a superuser), so that area's auditors see it.
        area_path=min(prefixes, key=len) if prefixes else "",
        detail={"filters": filters, "rows": count, "reveal": reveal},
    )
    handle = path.open("rb")
    # The open handle keeps the data readable; the name goes at once, so no temporary file is left behind.
    path.unlink()
    filename = f"{ledger.name}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def wants_export(request: HttpRequest) -> bool:
    """Whether a list page is asked for its Excel export (`?format=xlsx`)."""
    return request.GET.get("format") == "xlsx"


def export_filters(request: HttpRequest) -> dict[str, str]:
    """The list page's filters as recorded in the audit log (the paging and format left out)."""
    return {key: value for key, value in request.GET.items() if key not in ("format", "page") and value}
