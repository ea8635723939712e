"""The indicator system in Excel (its template, export and import page) and the assessment binder download.

Importing is for those who run the campaign; downloading a ledger (the tree, the binder) needs the export right
in the campaign's community. Every download is audited.
"""

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.campaigns import binder as binders
from wangge.campaigns import ledgers, selectors
from wangge.campaigns.evidence_views import refused_as_too_large
from wangge.campaigns.models import Indicator, Level
from wangge.campaigns.views import campaign_page
from wangge.core import audit
from wangge.core.bodylimit import body_limit
from wangge.core.ledger_views import FORM_OVERHEAD
from wangge.core.models import ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


def import_body_limit(**_view_kwargs: Any) -> int:
    """The largest request the import takes: one workbook of the import limit, and the form around it."""
    return settings.IMPORT_MAX_MB * 1024 * 1024 + FORM_OVERHEAD


def import_too_large_message() -> str:
    """What a refused workbook is told (the form's own words for a file over the limit)."""
    return _("The file is too large: at most %(mb)d MB can be imported at once. Split it into parts.") % {
        "mb": settings.IMPORT_MAX_MB
    }


class IndicatorImportForm(forms.Form):
    """The workbook to import."""

    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": f".xlsx,{XLSX}", "class": "form-control"})

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(import_too_large_message())
        return upload


def _download(path: Path, *, content_type: str, name: str, fallback: str) -> FileResponse:
    """The temporary file as an attachment named `name` (RFC 5987, with an ASCII `fallback`); the file is gone
    from the disk at once, its open handle keeps the data readable."""
    handle = path.open("rb")
    path.unlink()
    response = FileResponse(handle, as_attachment=True, filename=fallback, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name)}"
    return response


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


@campaign_page
def indicator_template(request: HttpRequest) -> HttpResponse:
    """The template of an indicator system: headers, drop-downs, notes and a small example that imports."""
    buffer = io.BytesIO()
    ledgers.template_workbook().save(buffer)
    name = _("Indicator system template") + ".xlsx"
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"indicators-template.xlsx\"; filename*=utf-8''{quote(name)}"
    )
    return response


@campaign_page
def indicator_export(request: HttpRequest, pk: int) -> FileResponse:
    """The campaign's indicator system in the layout the import reads, audited."""
    campaign = selectors.campaign_for(request.user, pk)
    if not binders.may_export(request.user, campaign):
        raise PermissionDenied
    path, standards = ledgers.export_tree(campaign)
    audit.record_export(
        actor=request.user,
        name=ledgers.NAME,
        area_path=campaign.area_path,
        detail={"campaign": campaign.pk, "standards": standards},
    )
    stem = binders.safe_name(campaign.name, 60)
    return _download(
        path,
        content_type=XLSX,
        name=" ".join((stem, _("Indicator system"), _stamp())) + ".xlsx",
        fallback=f"indicators-{campaign.pk}-{_stamp()}.xlsx",
    )


@campaign_page
@body_limit(import_body_limit, refused_as_too_large(import_too_large_message))
def indicator_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The import page: a workbook replaces the campaign's indicator system, or nothing changes and every
    problem is listed (with the error workbook to download)."""
    campaign = selectors.campaign_for(request.user, pk)
    if not selectors.may_run(request.user, campaign):
        raise PermissionDenied
    form = IndicatorImportForm(request.POST, request.FILES) if request.method == "POST" else IndicatorImportForm()
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "columns": ledgers.LEDGER.columns,
        "may_export": binders.may_export(request.user, campaign),
        "standards": Indicator.objects.filter(campaign=campaign, level=Level.STANDARD).count(),
    }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result, job = ledgers.import_upload(campaign, form.cleaned_data["file"], actor=request.user)
            context.update(result=result, job=job, applied=job.status == ImportStatus.DONE)
            if job.status != ImportStatus.DONE:
                status = 400
        else:
            status = 400
    return render(request, "campaigns/indicator_import.html", context, status=status)


@campaign_page
def binder(request: HttpRequest, pk: int) -> FileResponse:
    """The assessment binder (迎检台账) of the evidence the user sees, as a zip, audited."""
    campaign = selectors.campaign_for(request.user, pk)
    if not binders.may_export(request.user, campaign):
        raise PermissionDenied
    made = binders.build(request.user, campaign)
    audit.record_export(
        actor=request.user,
        name="campaign_binder",
        area_path=campaign.area_path,
        detail={"campaign": campaign.pk, "evidence": made.evidence, "files": made.files},
    )
    stem = binders.safe_name(campaign.name, 60)
    return _download(
        made.path,
        content_type=ZIP,
        name=" ".join((stem, _("assessment binder"), _stamp())) + ".zip",
        fallback=f"binder-{campaign.pk}-{_stamp()}.zip",
    )
