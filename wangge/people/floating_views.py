"""Staff pages of the floating population: the three lists per grid, and the monthly figures (page and Excel)."""

import io
import os

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.core import audit
from wangge.people import floating
from wangge.territory.models import Area

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chosen_grid(request: HttpRequest, action: str) -> Area | None:
    """?grid=CODE among the user's grids (404 when it is not one of them), or None for all of them."""
    code = request.GET.get("grid", "")
    if not code:
        return None
    grid = floating.grid_for(request.user, code, action)
    if grid is None:
        raise Http404
    return grid


def _check(user: User, action: str) -> None:
    # Building leaders, volunteers and partner-unit representatives pass office_page but have no part in this.
    if not floating.may_see(user, action):
        raise PermissionDenied


@office_page
def index(request: HttpRequest) -> HttpResponse:
    """Per grid: residents due for registration, permits expiring soon, permits expired."""
    _check(request.user, Action.VIEW)
    grid = _chosen_grid(request, Action.VIEW)
    report = floating.floating_lists(request.user, grid=grid)
    return render(
        request,
        "people/floating_index.html",
        {
            "grids": floating.grids_for(request.user),
            "grid": grid,
            "report": report,
            "totals": {stage: sum(len(getattr(entry, stage)) for entry in report) for stage in floating.Stage.ALL},
            "today": timezone.localdate(),
        },
    )


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if not raw:
        return timezone.localdate().year
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= 2100):
        raise Http404
    return int(raw)


@office_page
def monthly(request: HttpRequest) -> HttpResponse:
    """The monthly figures per grid for a year; `?format=xlsx` downloads them (needs the export right)."""
    export = request.GET.get("format") == "xlsx"
    action = Action.EXPORT if export else Action.VIEW
    _check(request.user, action)
    year = _year(request)
    grid = _chosen_grid(request, action)
    rows = floating.monthly_figures(request.user, year=year, grid=grid, action=action)
    total = floating.monthly_total(rows)
    if export:
        return _monthly_xlsx(request, year=year, grid=grid, rows=rows, total=total)
    return render(
        request,
        "people/floating_monthly.html",
        {
            "grids": floating.grids_for(request.user),
            "grid": grid,
            "year": year,
            "rows": rows,
            "total": total,
            "can_export": floating.may_see(request.user, Action.EXPORT),
        },
    )


def _common_path(paths: list[str]) -> str:
    """The deepest area path holding all of `paths` (their community, usually), for the audit row."""
    if not paths:
        return ""
    common = os.path.commonprefix(paths)
    return common[: common.rfind("/") + 1]


def _monthly_xlsx(
    request: HttpRequest,
    *,
    year: int,
    grid: Area | None,
    rows: list[floating.GridMonthly],
    total: floating.GridMonthly,
) -> HttpResponse:
    audit.record_export(
        actor=request.user,
        name="floating_monthly",
        area_path=_common_path([row.grid.path for row in rows]),
        detail={"year": year, "grid": grid.code if grid else "", "grids": len(rows)},
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Floating population %(year)d") % {"year": year})
    sheet.append(
        [
            _("Grid code"),
            _("Grid"),
            _("Month"),
            _("Floating residents at month end"),
            _("New registrations"),
            _("Permits expiring in the month"),
            _("Permits expired at month end"),
        ]
    )
    for row in [*rows, total]:
        code, name = (row.grid.code, row.grid.name) if row.grid else ("", _("All grids"))
        for entry in row.months:
            month = f"{year}-{entry.month:02d}"
            sheet.append([code, name, month, entry.floating, entry.registered, entry.expiring, entry.expired])
    buffer = io.BytesIO()
    workbook.save(buffer)
    suffix = f"-{grid.code}" if grid else ""
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localdate()
    response["Content-Disposition"] = f'attachment; filename="floating-{year}{suffix}-{stamp:%Y%m%d}.xlsx"'
    return response
