"""Pages of the closed loop: staff queues, case detail and actions, metrics; residents' report and tracking.

Views parse, call services or selectors, and render. A case out of the user's scope is 404; an action
their role does not allow is 403. Residents' pages (/p/) need no sign-in and show nobody's personal data.
"""

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import REPORT_ROLES, Action
from wangge.cases import exports, forms, ledgers, metrics, selectors, services, workflow
from wangge.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    PhotoKind,
    PostponementState,
    RejectReason,
    State,
)
from wangge.core import audit, ledger_views
from wangge.core.bodylimit import body_limit
from wangge.core.coords import from_wgs84, polygon_from_wgs84
from wangge.core.htmx import partial_or_page
from wangge.core.pii import masked
from wangge.core.ratelimit import RateLimit
from wangge.core.scoping import get_for_user
from wangge.territory.models import Compound

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# How each step of a timeline is named; the transitions name their own.
EVENT_LABELS: dict[str, Any] = {
    "report": gettext_lazy("Reported"),
    "overdue": gettext_lazy("Deadline passed"),
    "rate": gettext_lazy("Rated by the reporter"),
    "not_fixed": gettext_lazy("Reporter: not fixed"),
    **{action: transition.label for action, transition in workflow.TRANSITIONS.items()},
}

# The resident's step bar, and where each state stands on it.
STEPS = [
    gettext_lazy("Reported"),
    gettext_lazy("Registered"),
    gettext_lazy("Dispatched"),
    gettext_lazy("Handled"),
    gettext_lazy("Verified"),
    gettext_lazy("Closed"),
]
STEP_OF = {
    State.REPORTED: 0,
    State.REGISTERED: 1,
    State.DISPATCHED: 2,
    State.IN_PROGRESS: 2,
    State.HANDLED: 3,
    State.VERIFIED: 4,
    State.CLOSED: 5,
}


def _max_body(**_view_kwargs: Any) -> int:
    """The largest request a report or an action can need: six photos at the size limit, and the text."""
    return services.MAX_PHOTOS * settings.PHOTO_MAX_BYTES + 1024 * 1024


def _refuse_upload(request: HttpRequest) -> HttpResponse:
    message = _("The upload is too large: at most %(n)d photos of %(mb)d MB each.") % {
        "n": services.MAX_PHOTOS,
        "mb": settings.PHOTO_MAX_BYTES // 2**20,
    }
    return render(request, "cases/refused.html", {"message": message}, status=413)


_body_limit = body_limit(_max_body, _refuse_upload)


def _reverse_or_empty(name: str, *args: Any) -> str:
    """The URL of a page that may not be wired yet (then "", and the link is not shown)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _labelled(events: QuerySet[CaseEvent]) -> list[CaseEvent]:
    """The events with a `label` to show, and a `detail` summing up what their data says."""
    labelled = []
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
        data = event.data or {}
        if event.action == "reject" and data.get("reason") in RejectReason.values:
            event.detail = RejectReason(data["reason"]).label
        elif event.action == "rate":
            event.detail = "★" * int(data.get("stars") or 0)
        elif event.action in ("request_postponement", "decide_postponement") and data.get("hours"):
            event.detail = _("%(hours)s more hours") % {"hours": data["hours"]}
        elif event.action == "dispatch":
            event.detail = data.get("department") or ""
        else:
            event.detail = ""
        labelled.append(event)
    return labelled


def _answers(case: Case) -> list[tuple[str, str]]:
    """The category's questions with the answers given, in the category's order, as text."""
    shown = []
    for question in case.category.questions.all():
        value = case.attributes.get(question.code)
        if value in (None, "", []):
            continue
        labels = {str(key): label for key, label in question.choices}
        values = value if isinstance(value, list) else [value]
        shown.append((question.label, "、".join(labels.get(str(v), str(v)) for v in values)))
    return shown


def _rating_of(case: Case) -> Any:
    try:
        return case.rating
    except ObjectDoesNotExist:
        return None


# Staff: the queues


@office_page
def case_list(request: HttpRequest) -> HttpResponse:
    """A work queue (mine, my grids', new, overdue, to verify, all) with filters; htmx refreshes only the rows."""
    queue = request.GET.get("queue") or "grid"
    if queue not in selectors.QUEUES:
        queue = "grid"
    form = forms.CaseFilterForm(request.GET or None, user=request.user)
    if ledger_views.wants_export(request):
        # The queue as shown, filters applied, limited to the cases the user may export.
        if not request.user.can(Action.EXPORT):
            raise PermissionDenied
        cases = form.filter(selectors.queue(request.user, queue).for_user(request.user, Action.EXPORT))
        filters = {"queue": queue, **ledger_views.export_filters(request)}
        return ledger_views.export_response(request, ledger=ledgers.CASES, queryset=cases, filters=filters)
    cases = form.filter(selectors.queue(request.user, queue).select_related("shop"))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("queue", None)
    template = partial_or_page(request, "cases/case_list.html", "cases/partials/case_rows.html")
    context = {
        "queue": queue,
        "queues": _queue_tabs(request.user, queue),
        "form": form,
        "page_obj": page,
        "query": query.urlencode(),
        "filters": filters.urlencode(),
        "now": timezone.now(),
        "can_export": request.user.can(Action.EXPORT),
    }
    return render(request, template, context)


def _queue_tabs(user: User, current: str) -> list[dict[str, Any]]:
    counts = selectors.queue_counts(user)
    names = {
        "mine": _("My cases"),
        "grid": _("Open in my grids"),
        "new": _("New reports"),
        "overdue": _("Overdue"),
        "verify": _("To verify"),
        "all": _("All"),
    }
    return [
        {"name": name, "label": names[name], "count": counts.get(name), "active": name == current}
        for name in selectors.QUEUES
    ]


# Staff: reporting


@_body_limit
@office_page
def case_create(request: HttpRequest) -> HttpResponse:
    """Report a case in the field: category and its questions, place in scope, location, photos."""
    user = request.user
    if not (user.is_superuser or user.roles() & REPORT_ROLES):
        # Auditors read cases but file none: the form would only refuse them after they filled it in.
        raise PermissionDenied(_("Your role does not file cases; it only reads them."))
    if request.method == "POST":
        form = forms.CaseReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                case = services.case_report(actor=request.user, **form.report_data())
            except ValidationError as error:
                forms.show_service_error(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not do this here."))
            else:
                messages.success(request, _("Case %(number)s reported.") % {"number": case.number})
                return redirect("cases:case_detail", number=case.number)
    else:
        form = forms.CaseReportForm(user=request.user, category_code=request.GET.get("category", ""))
        if request.htmx and "category" in request.GET:
            return render(request, "cases/partials/questions.html", {"form": form})
    return render(request, "cases/case_form.html", {"form": form})


# Staff: one case


def _case_for(request: HttpRequest, number: str) -> Case:
    cases = selectors.cases_for(request.user).select_related("shop", "area__parent")
    return get_for_user(cases, request.user, number=number)


def _map_point(case: Case) -> dict[str, Any] | None:
    """The case's point and its grid in the tile layer's coordinate system, for the small map."""
    if case.longitude is None or case.latitude is None:
        return None
    crs = settings.MAP_TILE_CRS
    lng, lat = from_wgs84(case.longitude, case.latitude, crs)
    return {
        "lng": lng,
        "lat": lat,
        "grid": polygon_from_wgs84(case.area.boundary, crs),
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@office_page
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One case: facts, answers, map, photos, timeline, deadline, postponements, rating, and the user's actions."""
    case = _case_for(request, number)
    photos = list(selectors.photos(case))
    rating = _rating_of(case)
    now = timezone.now()
    context = {
        "case": case,
        "answers": _answers(case),
        "point": _map_point(case),
        "before_photos": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after_photos": [p for p in photos if p.kind == PhotoKind.AFTER],
        "timeline": _labelled(selectors.timeline(case)),
        "postponements": case.postponements.select_related("requested_by", "decided_by"),
        "rating": rating,
        "rating_stars": "★" * rating.stars if rating else "",
        "actions": selectors.actions_for(request.user, case),
        "overdue": case.is_open and case.deadline_at is not None and case.deadline_at < now,
        "reporter_name": masked(case, "reporter_name"),
        "reporter_phone": masked(case, "reporter_phone"),
        "public_url": _reverse_or_empty("cases:public_case", case.number) if case.category.public else "",
    }
    return render(request, "cases/case_detail.html", context)


def _role_allows(user: User, case: Case, transition: workflow.Transition) -> bool:
    """Whether the user's roles over the case allow the action in some state (the state is checked apart)."""
    roles = user.roles_at(case.area_path)
    return any(workflow.may(transition.action, state=s, roles=roles, case_level=case.level) for s in transition.sources)


def _conflict(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    """The case is not as the user saw it: say so, and show it as it is now."""
    if request.htmx:
        return render(request, "cases/partials/conflict.html", {"case": case, "message": message}, status=409)
    messages.error(request, message)
    return redirect("cases:case_detail", number=case.number)


def _to_case(request: HttpRequest, case: Case) -> HttpResponse:
    url = reverse("cases:case_detail", args=[case.number])
    if request.htmx:
        # The whole page changes (state, timeline, buttons): htmx loads it anew.
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@_body_limit
@office_page
def case_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action on a case: its short form (GET), then the transition (POST) with the version the user saw."""
    case = _case_for(request, number)
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise Http404
    if not _role_allows(request.user, case, transition):
        raise PermissionDenied
    if request.method != "POST" and case.state not in transition.sources:
        state = case.get_state_display()
        return _conflict(request, case, _("A case that is %(state)s cannot be given this action.") % {"state": state})
    form = forms.ActionForm(request.POST or None, request.FILES or None, transition=transition, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_act(
                actor=request.user, case=case, action=action, version=form.cleaned_data["version"], **form.act_data()
            )
        except services.CaseChanged as error:
            return _conflict(request, case, error.messages[0])
        except ValidationError as error:
            if hasattr(error, "error_dict") or getattr(error, "code", None) in forms.PHOTO_ERROR_CODES:
                forms.show_service_error(form, error)
            else:
                # Not about a field: the case is no longer in a state for this action.
                return _conflict(request, case, " ".join(error.messages))
        else:
            messages.success(request, _("%(action)s: done.") % {"action": transition.label})
            return _to_case(request, case)
    pending = None
    if action == "decide_postponement":
        pending = case.postponements.filter(state=PostponementState.REQUESTED).select_related("requested_by").first()
    template = partial_or_page(request, "cases/case_act.html", "cases/partials/action_form.html")
    return render(request, template, {"case": case, "transition": transition, "form": form, "pending": pending})


@office_page
def case_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of a case in the user's scope (404 otherwise), never cached by shared caches."""
    photo = get_object_or_404(CasePhoto, pk=pk, case__in=Case.objects.for_user(request.user))
    return _photo_response(photo)


def _photo_response(photo: CasePhoto) -> FileResponse:
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# Staff: metrics


def _period(since: datetime.date, until: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The start of `since` and the end of `until` (exclusive), local time."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def _metrics(cases: QuerySet[Case], request: HttpRequest) -> dict[str, Any]:
    """The metrics of the cases reported in the chosen period, grouped as asked, judged as of the period's end."""
    since, until, by = forms.MetricsForm(request.GET or None).period()
    # The form shows the period and grouping actually used (defaults filled in, nonsense replaced).
    form = forms.MetricsForm({"since": since.isoformat(), "until": until.isoformat(), "by": by})
    start, end = _period(since, until)
    cases = cases.filter(reported_at__gte=start, reported_at__lt=end)
    now = min(timezone.now(), end)
    rows = metrics.case_metrics(cases, by=by, now=now)
    return {
        "form": form,
        "since": since,
        "until": until,
        "by": by,
        "by_label": dict(form.fields["by"].choices).get(by, by),
        "rows": rows,
        "total": metrics.total_of(rows),
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@office_page
def metrics_page(request: HttpRequest) -> HttpResponse:
    """结案率, 按期结案率 and the others for the cases in scope, per grid, person, category or month."""
    context = _metrics(Case.objects.for_user(request.user), request)
    for row in [*context["rows"], context["total"]]:
        row.shown = {name: _percent(value) for name, value in row.rates.items() if name != "composite"}
        composite = row.rates.get("composite")
        row.shown["composite"] = "—" if composite is None else f"{composite:.1f}"
    context["chart"] = {
        "labels": [row.label or row.key or "—" for row in context["rows"]],
        "series": [
            {"name": _("Closure rate"), "data": [_chart_value(r.rates["closure"]) for r in context["rows"]]},
            {"name": _("On-time closure rate"), "data": [_chart_value(r.rates["on_time"]) for r in context["rows"]]},
        ],
    }
    context["can_export"] = request.user.can(Action.EXPORT)
    context["query"] = request.GET.urlencode()
    return render(request, "cases/metrics.html", context)


def _chart_value(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


@office_page
def metrics_export(request: HttpRequest) -> HttpResponse:
    """The metrics page as an Excel workbook with Chinese headers (the EXPORT action, within its scope)."""
    if not request.user.can(Action.EXPORT):
        raise PermissionDenied
    context = _metrics(Case.objects.for_user(request.user, Action.EXPORT), request)
    content = exports.metrics_workbook(
        rows=context["rows"], total=context["total"], by=context["by"], since=context["since"], until=context["until"]
    )
    filename = f"case-metrics-{context['since']:%Y%m%d}-{context['until']:%Y%m%d}.xlsx"
    # Filed under the widest area exported (all of them for a superuser), so that area's auditors see it.
    prefixes = request.user.area_prefixes(Action.EXPORT)
    audit.record_export(
        actor=request.user,
        name="case_metrics",
        area_path=min(prefixes, key=len) if prefixes else "",
        detail={"since": context["since"].isoformat(), "until": context["until"].isoformat(), "by": context["by"]},
    )
    return HttpResponse(
        content, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# Residents: report, track, rate


def _report_limit() -> RateLimit:
    return RateLimit(
        "public_report",
        limit=getattr(settings, "REPORT_RATE_LIMIT", 5),
        window=getattr(settings, "REPORT_RATE_WINDOW_SECONDS", 600),
    )


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _similar_open(category: Category | None, compound: Compound, lng: float | None, lat: float | None) -> list[Case]:
    """Open cases of the category in the compound or near the point: the resident may follow one instead."""
    if category is None:
        return []
    states = [State.REPORTED, *OPEN_STATES]
    in_compound = Case.objects.filter(category=category, compound=compound, state__in=states).order_by("-reported_at")
    found = {case.pk: case for case in in_compound[:5]}
    if lng is not None and lat is not None and -180 <= lng <= 180 and -90 <= lat <= 90:
        for case in selectors.nearby_open(category, lng, lat):
            found.setdefault(case.pk, case)
    similar = list(found.values())[:5]
    for case in similar:
        case.public_url = _reverse_or_empty("cases:public_case", case.number)
    return similar


def _case_with_key(key: str) -> Case | None:
    """The case an earlier submission of the same form made, if any (a retry on a bad connection)."""
    if not key:
        return None
    stored = services.idempotency_key_for(None, key)
    return Case.objects.filter(idempotency_key=stored).only("tracking_code").first()


@_body_limit
def public_report(request: HttpRequest, code: str) -> HttpResponse:
    """A resident reports a problem in the compound whose QR code they scanned; no sign-in."""
    compound = get_object_or_404(Compound.objects.select_related("area__parent"), code=code)
    status = 200
    if request.method == "POST":
        form = forms.PublicReportForm(request.POST, request.FILES)
        if form.is_robot:
            # Only robots see the honeypot field: they are thanked and nothing is kept.
            return redirect("territory:public_compound", code=compound.code)
        if form.is_valid():
            earlier = _case_with_key(form.cleaned_data["idempotency_key"])
            if earlier is not None:
                return redirect("cases:public_track", tracking_code=earlier.tracking_code)
            if not _report_limit().hit(request):
                form.add_error(
                    None, _("You have sent several reports in a short time. Please try again in a few minutes.")
                )
                status = 429
            else:
                try:
                    case = services.case_report(actor=None, compound=compound, **form.report_data())
                except ValidationError as error:
                    forms.show_service_error(form, error)
                else:
                    messages.success(request, _("Thank you. Keep this page to follow your report."))
                    return redirect("cases:public_track", tracking_code=case.tracking_code)
    else:
        form = forms.PublicReportForm(category_code=request.GET.get("category", ""))
    given = request.POST if request.method == "POST" else request.GET
    similar = _similar_open(form.category, compound, _float(given.get("longitude")), _float(given.get("latitude")))
    # The chosen category by its own name: in a template `form.category` is the form's field, not the category.
    context = {
        "compound": compound,
        "community": compound.area.parent,
        "form": form,
        "category": form.category,
        "similar": similar,
    }
    if request.htmx and request.method == "GET" and "category" in request.GET:
        return render(request, "cases/partials/public_category.html", context)
    response = render(request, "cases/public_report.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(_report_limit().retry_after())
    return response


def _steps(case: Case) -> list[dict[str, Any]]:
    """The resident's step bar: which steps are done and which is current."""
    state = case.state_before_suspension if case.state == State.SUSPENDED else case.state
    current = STEP_OF.get(state, 0)
    return [
        {"label": label, "done": index <= current, "current": index == current} for index, label in enumerate(STEPS)
    ]


def _public_context(case: Case, *, reporter_view: bool) -> dict[str, Any]:
    """What may be seen of a case without signing in: no names, no phone numbers; the tracking code and the
    reporter's own words only on the reporter's page."""
    rating = _rating_of(case)
    timeline = _labelled(selectors.timeline(case, public_only=True))
    if not reporter_view:
        # A stranger with the case number sees the steps, not what anyone wrote about them.
        for event in timeline:
            event.note = ""
    return {
        "case": case,
        "community": case.area.parent,
        "steps": _steps(case),
        "timeline": timeline,
        "rating": rating,
        "rating_stars": "★" * rating.stars if rating else "",
        "reporter_view": reporter_view,
    }


def _may_say_not_fixed(case: Case) -> bool:
    if case.state != State.CLOSED or case.closed_at is None:
        return False
    return timezone.now() - case.closed_at <= datetime.timedelta(days=workflow.NOT_FIXED_DAYS)


def public_track(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """The reporter's page (the tracking code is the secret): progress, public steps and photos, rating."""
    case = selectors.by_tracking_code(tracking_code)
    if case is None:
        raise Http404
    rating_form = forms.RatingForm(request.POST if request.POST.get("form") == "rate" else None)
    not_fixed_form = forms.NotFixedForm(request.POST if request.POST.get("form") == "not_fixed" else None)
    if request.method == "POST":
        try:
            if rating_form.is_valid():
                rating = rating_form.cleaned_data
                services.case_rate(case=case, stars=rating["stars"], comment=rating["comment"])
                messages.success(request, _("Thank you for your rating."))
                return redirect("cases:public_track", tracking_code=tracking_code)
            if not_fixed_form.is_valid():
                services.case_not_fixed(case=case, note=not_fixed_form.cleaned_data["note"])
                messages.success(request, _("Thank you. The case is open again and its grid has been told."))
                return redirect("cases:public_track", tracking_code=tracking_code)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("cases:public_track", tracking_code=tracking_code)
    context = {
        **_public_context(case, reporter_view=True),
        "photos": selectors.photos(case, public_only=True),
        "rating_form": rating_form,
        "not_fixed_form": not_fixed_form,
        "may_rate": case.state == State.CLOSED and _rating_of(case) is None,
        "may_say_not_fixed": _may_say_not_fixed(case),
        "not_fixed_days": workflow.NOT_FIXED_DAYS,
    }
    return render(request, "cases/public_track.html", context)


def public_case(request: HttpRequest, number: str) -> HttpResponse:
    """A case anyone may follow by its number (offered instead of a duplicate report): read-only, less shown."""
    case = (
        Case.objects.select_related("category", "area__parent", "compound")
        .filter(number=number, category__public=True)
        .first()
    )
    if case is None:
        raise Http404
    return render(request, "cases/public_track.html", _public_context(case, reporter_view=False))


def public_photo(request: HttpRequest, tracking_code: str, pk: int) -> FileResponse:
    """A photo of the tracking code's case, only one marked public."""
    photo = get_object_or_404(CasePhoto, pk=pk, public=True, case__tracking_code=tracking_code)
    return _photo_response(photo)
