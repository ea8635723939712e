"""What a month of patrols shows: the month by grid, overdue visits, relapses, rankings and the visit map; the
settings page of schedules and the red/black list; and the public red/black list. Views parse, call selectors
or services, and render."""

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import STANDARD_ROLES
from wangge.core.coords import from_wgs84, polygon_from_wgs84
from wangge.core.htmx import wants_partial
from wangge.core.validators import validate_calendar_date
from wangge.inspections import selectors, services
from wangge.inspections.forms_settings import PolicyForm, ScheduleForm
from wangge.inspections.models import Target
from wangge.territory.forms import add_service_errors
from wangge.territory.models import Area, AreaKind
from wangge.territory.selectors import chosen_community, communities_for

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# What each figure of the month report counts (the heading of its list).
FIGURES = {
    "places": gettext_lazy("Places to visit"),
    "inspected": gettext_lazy("Places inspected"),
    "inspections": gettext_lazy("Inspections made"),
    "failed": gettext_lazy("Failed inspections"),
    "findings": gettext_lazy("Failed item count"),
    "opened": gettext_lazy("Rectifications opened"),
    "fixed": gettext_lazy("Rectified"),
    "still_open": gettext_lazy("Not yet rectified at month end"),
    "relapses": gettext_lazy("Relapses"),
    "never": gettext_lazy("Never visited"),
    "overdue": gettext_lazy("Overdue for a visit"),
}
# What the list behind each figure holds (the partial shows each kind in its own table).
ROW_KINDS = {
    "places": "visits",
    "inspected": "visits",
    "inspections": "inspections",
    "failed": "inspections",
    "findings": "findings",
    "opened": "cases",
    "fixed": "cases",
    "still_open": "cases",
    "relapses": "findings",
    "never": "visits",
    "overdue": "visits",
}
# The red/black list on the public page covers this many days up to today.
RANKING_DAYS = 30
# The relapse trend shows at most this many months.
RELAPSE_MONTHS = 12
# How long a shared cache may keep the public red/black list, in seconds.
PUBLIC_MAX_AGE = 300


# Parsing the query string


def _community(request: HttpRequest) -> Area:
    """The community the user is looking at: ?community=CODE among theirs, or their first; 404 otherwise."""
    community = chosen_community(request.user, request.GET.get("community"))
    if community is None:
        raise Http404
    return community


def _ignored(request: HttpRequest, name: str) -> None:
    """Say that a filter was not understood (the page shows what it would without it)."""
    value = request.GET.get(name, "")[:40]
    messages.warning(request, _("“%(value)s” was not understood and was left out.") % {"value": value})


def _month(request: HttpRequest, name: str = "month") -> datetime.date | None:
    """?month=YYYY-MM as the month's first day; None (with a warning) when it is not one."""
    raw = request.GET.get(name, "")
    match = MONTH.match(raw)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1900 <= year <= 2100 and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    if raw:
        _ignored(request, name)
    return None


def _day(request: HttpRequest, name: str) -> datetime.date | None:
    """?name=YYYY-MM-DD; None (with a warning) when it is not a date an office could mean."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
        validate_calendar_date(day)
    except (ValueError, ValidationError):
        _ignored(request, name)
        return None
    return day


def _period(request: HttpRequest, since: datetime.date, until: datetime.date) -> tuple[datetime.date, datetime.date]:
    """?from= and ?to= (inclusive), each defaulting to the given day; reversed ones are put right."""
    chosen = _day(request, "from") or since, _day(request, "to") or until
    return (chosen[1], chosen[0]) if chosen[0] > chosen[1] else chosen


def _target(request: HttpRequest, default: str | None) -> str | None:
    raw = request.GET.get("kind", "")
    if raw in Target.values:
        return raw
    if raw:
        _ignored(request, "kind")
    return default


def _grid(request: HttpRequest, grids: list[Area]) -> Area | None:
    """?grid=CODE among the grids in scope (404 when it is not one of them), or None for all of them."""
    code = request.GET.get("grid", "")
    if not code:
        return None
    for grid in grids:
        if grid.code == code:
            return grid
    raise Http404


def _common(request: HttpRequest, community: Area) -> dict[str, Any]:
    return {
        "community": community,
        "communities": communities_for(request.user).order_by("path"),
        "targets": Target.choices,
    }


# The month by grid


@office_page
def grid_report(request: HttpRequest) -> HttpResponse:
    """Per grid, a month of patrols: inspected, failed, rectified, relapsed, never visited; each figure opens its
    list (?grid=&show=, the list alone for htmx)."""
    community = _community(request)
    today = timezone.localdate()
    current = selectors.month_of(today)
    months = selectors.inspection_months(request.user, community)
    month = current if current in months or not months else months[0]
    asked = _month(request)
    if asked is not None and asked > current:
        _ignored(request, "month")
    elif asked is not None:
        month = asked
    figure = request.GET.get("show", "")
    if figure and figure not in FIGURES:
        _ignored(request, "show")
        figure = ""
    grid = _grid(request, list(selectors.report_grids(request.user, community))) if figure else None
    context = {
        **_common(request, community),
        "month": month,
        "month_code": f"{month:%Y-%m}",
        "months": sorted({*months, current, month}, reverse=True),
        "as_of": selectors.month_as_of(month, today),
        "figure": figure,
        "figure_label": FIGURES.get(figure, ""),
        "grid": grid,
        "rows": None,
    }
    if figure:
        context["rows"] = selectors.month_detail(
            request.user, community, month=month, today=today, figure=figure, grid=grid
        )
        context["row_kind"] = ROW_KINDS[figure]
        # htmx asks for the list alone (unless boosted); everything else gets the whole page with the list.
        if wants_partial(request):
            return render(request, "inspections/partials/report_detail.html", context)
    context["report"] = selectors.month_report(request.user, community, month=month, today=today)
    return render(request, "inspections/report.html", context)


# Overdue visits


@office_page
def overdue(request: HttpRequest) -> HttpResponse:
    """As of today (or ?day=, a day of the past), per grid and responsible person: places never visited, then
    overdue, most overdue first."""
    community = _community(request)
    as_of = as_of_day(request)
    visits = selectors.visits_of(community, as_of=as_of, user=request.user)
    grids = list(selectors.report_grids(request.user, community))
    grid = _grid(request, grids)
    target = _target(request, None)
    raw_person = request.GET.get("person", "")
    person: int | None = None
    if raw_person == "none":
        person = selectors.NOBODY
    elif raw_person.isascii() and raw_person.isdigit() and int(raw_person) > 0:
        person = int(raw_person)
    elif raw_person:
        _ignored(request, "person")
    report = selectors.overdue_report(visits, grid=grid, person=person, target=target)
    shown = {(visit.target, visit.place.pk): visit for entry in report for p in entry.people for visit in p.visits}
    return render(
        request,
        "inspections/overdue.html",
        {
            **_common(request, community),
            "as_of": as_of,
            "today": timezone.localdate(),
            "report": report,
            "grids": grids,
            "grid": grid,
            "target": target,
            "person": raw_person if person is not None else "",
            "people": selectors.responsible_people(visits),
            "never_count": sum(visit.never for visit in shown.values()),
            "overdue_count": sum(not visit.never for visit in shown.values()),
            "place_count": len(visits),
        },
    )


# Relapses


def _months(since: datetime.date, until: datetime.date) -> int:
    """How many calendar months from the month of `since` to that of `until`, both counted."""
    return (until.year - since.year) * 12 + until.month - since.month + 1


@office_page
def relapses(request: HttpRequest) -> HttpResponse:
    """易反复: the places whose fixed problems came back in the period, worst first per grid, and the monthly trend.

    By default the period runs over the months that have inspections, at most RELAPSE_MONTHS of them, up to the
    latest inspection; the trend shows the months of the period (at most RELAPSE_MONTHS)."""
    community = _community(request)
    months = selectors.inspection_months(request.user, community)
    latest = selectors.latest_inspection_day(request.user, community) or timezone.localdate()
    window = [month for month in months if selectors.first_of_months(latest, RELAPSE_MONTHS) <= month <= latest]
    since, until = _period(request, window[-1] if window else selectors.month_of(latest), latest)
    # The trend ends with the latest month of the period that holds an inspection.
    inspected = [month for month in months if selectors.month_of(since) <= month <= until]
    trend = (
        selectors.relapse_trend(
            request.user, community, until=until, months=min(RELAPSE_MONTHS, _months(since, inspected[0]))
        )
        if inspected
        else []
    )
    report = selectors.relapse_report(request.user, community, since=since, until=until)
    return render(
        request,
        "inspections/relapses.html",
        {
            **_common(request, community),
            "since": since,
            "until": until,
            "report": report,
            "place_count": sum(len(grid.places) for grid in report),
            "relapse_count": sum(grid.relapses for grid in report),
            "trend": trend,
            "chart": {
                "labels": [f"{row.month:%Y-%m}" for row in trend],
                "series": [
                    {"name": _("Relapses"), "type": "bar", "data": [row.relapses for row in trend]},
                    {"name": _("Failed item count"), "type": "line", "data": [row.findings for row in trend]},
                ],
            }
            if any(row.inspections for row in trend)
            else None,
        },
    )


# Rankings


@office_page
def rankings(request: HttpRequest) -> HttpResponse:
    """Places of one kind by average score over the period (best or worst first), with how often inspected; by
    default over the latest calendar month with inspections."""
    community = _community(request)
    target = _target(request, Target.COMPOUND)
    # By default the latest calendar month with inspections of the kind (up to today, when that is this month).
    today = timezone.localdate()
    latest = selectors.latest_inspection_day(request.user, community, target=target) or today
    month_end = selectors.next_month(selectors.month_of(latest)) - datetime.timedelta(days=1)
    since, until = _period(request, selectors.month_of(latest), max(latest, min(month_end, today)))
    scores = selectors.place_scores(request.user, community, target=target, since=since, until=until)
    order = "worst" if request.GET.get("order") == "worst" else "best"
    return render(
        request,
        "inspections/rankings.html",
        {
            **_common(request, community),
            "target": target,
            "target_label": Target(target).label,
            "since": since,
            "until": until,
            "order": order,
            "scores": selectors.worst_first(scores) if order == "worst" else scores,
        },
    )


# The visit map


def as_of_day(request: HttpRequest) -> datetime.date:
    """?day=YYYY-MM-DD up to today (to look back at a day of the past), or today (with a warning when the day is
    not understood). The visit map, the overdue list and the start page of inspecting judge visits as of it."""
    today = timezone.localdate()
    day = _day(request, "day")
    return min(day, today) if day else today


@office_page
def visit_map(request: HttpRequest) -> HttpResponse:
    """Compounds, open shops and office buildings on the map, coloured by how their visits stand today (or on
    ?day=, a day of the past)."""
    community = _community(request)
    return render(
        request,
        "inspections/visit_map.html",
        {
            **_common(request, community),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "due_soon_days": selectors.DUE_SOON_DAYS,
            "as_of": as_of_day(request),
            "today": timezone.localdate(),
        },
    )


@office_page
def visit_map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the grids and the places in scope with their visit status as of today (or ?day=), in the tile
    layer's coordinates."""
    community = _community(request)
    crs = settings.MAP_TILE_CRS
    features: list[dict[str, Any]] = []
    for grid in selectors.report_grids(request.user, community).exclude(boundary=None):
        features.append(
            {
                "type": "Feature",
                "geometry": polygon_from_wgs84(grid.boundary, crs),
                "properties": {"kind": "grid", "code": grid.code, "name": grid.name},
            }
        )
    summary = {"ok": 0, "due_soon": 0, "overdue": 0, "never": 0, "unmapped": 0}
    for visit in selectors.visits_of(community, as_of=as_of_day(request), user=request.user):
        status = selectors.visit_status(visit)
        summary[status] += 1
        place = visit.place
        if place.longitude is None or place.latitude is None:
            summary["unmapped"] += 1
            continue
        lng, lat = from_wgs84(place.longitude, place.latitude, crs)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {
                    "kind": "place",
                    "target": visit.target,
                    "target_label": str(Target(visit.target).label),
                    "code": place.code,
                    "name": place.name,
                    "grid": visit.grid.name,
                    "status": status,
                    "last": visit.last.isoformat() if visit.last else None,
                    "due": visit.due.isoformat() if visit.due else None,
                    "days_since": visit.days_since,
                    "period": str(visit.period),
                    "url": reverse("inspections:place_history", args=[visit.target, place.code]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features, "crs_name": crs, "summary": summary})


# Settings: schedules and the red/black list


def _may_edit(user: User, community: Area) -> bool:
    return user.is_superuser or bool(user.roles_at(community.path) & STANDARD_ROLES)


def _public_url(request: HttpRequest, community: Area) -> str:
    path = reverse("inspections:public_ranking", args=[community.code])
    return f"{settings.PUBLIC_BASE_URL}{path}" if settings.PUBLIC_BASE_URL else request.build_absolute_uri(path)


@office_page
def settings_page(request: HttpRequest) -> HttpResponse:
    """The community's schedules and policy: anyone working there may read them, the director changes them.

    POST form=schedule (with ?schedule=ID to change one) or form=policy; others than the director get 403.
    """
    community = _community(request)
    may_edit = _may_edit(request.user, community)
    schedules = list(selectors.schedules_of(community))
    names = selectors.trade_names()
    for schedule in schedules:
        schedule.trade_names = [names.get(code, code) for code in schedule.trades]
    editing = None
    if request.GET.get("schedule"):
        editing = next((s for s in schedules if str(s.pk) == request.GET["schedule"]), None)
        if editing is None:
            raise Http404
    policy = services.policy_of(community)
    schedule_form = ScheduleForm.of(editing) if editing else ScheduleForm()
    policy_form = PolicyForm.of(policy)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        which = request.POST.get("form")
        if which == "schedule":
            schedule_form = ScheduleForm(request.POST)
            if schedule_form.is_valid():
                data = schedule_form.cleaned_data
                try:
                    services.schedule_save(
                        actor=request.user,
                        community=community,
                        target=data["target"],
                        every=data["every"],
                        unit=data["unit"],
                        trades=data["trades"],
                        active=data["active"],
                        schedule=editing,
                    )
                except ValidationError as error:
                    add_service_errors(schedule_form, error)
                else:
                    messages.success(request, _("The schedule is saved."))
                    return redirect(f"{reverse('inspections:settings')}?community={community.code}")
        elif which == "policy":
            policy_form = PolicyForm(request.POST)
            if policy_form.is_valid():
                try:
                    services.policy_update(actor=request.user, community=community, **policy_form.cleaned_data)
                except ValidationError as error:
                    add_service_errors(policy_form, error)
                else:
                    messages.success(request, _("The inspection rules are saved."))
                    return redirect(f"{reverse('inspections:settings')}?community={community.code}")
        else:
            raise BadRequest
    return render(
        request,
        "inspections/settings.html",
        {
            **_common(request, community),
            "may_edit": may_edit,
            "schedules": schedules,
            "periods": selectors.effective_periods(schedules, names),
            "editing": editing,
            "schedule_form": schedule_form,
            "policy": policy,
            "policy_form": policy_form,
            "public_url": _public_url(request, community),
        },
    )


# The public red/black list

_PLACE_FIELD = {Target.COMPOUND: "compound", Target.SHOP: "shop", Target.OFFICE: "building"}


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_ranking(request: HttpRequest, code: str) -> HttpResponse:
    """红黑榜, for everyone, when the community publishes it: the best and worst shops and compounds of the last
    30 days, by name, grid and score only.

    Shared caches may keep the page a few minutes: it carries no CSRF token (which would set a cookie) and not the
    messages of a signed-in visitor (they wait for the visitor's next office page)."""
    community = get_object_or_404(Area, code=code, kind=AreaKind.COMMUNITY)
    policy = services.policy_of(community)
    if not policy.public_ranking:
        raise Http404
    until = timezone.localdate()
    since = until - datetime.timedelta(days=RANKING_DAYS - 1)
    lists = [
        selectors.red_black_list(community, target=target, since=since, until=until, size=policy.ranking_size)
        for target in (Target.SHOP, Target.COMPOUND)
    ]
    return render(
        request,
        "inspections/public_ranking.html",
        {
            "community": community,
            "since": since,
            "until": until,
            "lists": [(str(Target(entry.target).label), entry) for entry in lists],
            "tel": "".join(community.office_phone.split()),
            "csrf_token": "",
            "messages": (),
        },
    )
