"""Pages of inspecting (巡查): choosing a place, the phone form, an inspection's record, a place's history, the list.

Views parse, call services or selectors, and render. A place or an inspection out of the user's scope is 404; a
role that does not inspect (an auditor, a building leader) may read the records but gets 403 on the form.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Model, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES, Action
from wangge.cases.models import OPEN_STATES, Case, Source
from wangge.core import ledger_views
from wangge.core.bodylimit import body_limit
from wangge.core.htmx import partial_or_page, wants_partial
from wangge.core.scoping import get_for_user
from wangge.inspections import filters, ledgers, selectors, services
from wangge.inspections.forms import InspectionForm
from wangge.inspections.models import Checklist, ChecklistItem, ChecklistStatus, Finding, Inspection, Result, Target
from wangge.inspections.report_views import as_of_day
from wangge.inspections.templatetags.inspection_tags import may_inspect
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, Building, BuildingKind, Compound, Shop, ShopStatus

Place = Compound | Shop | Building

PAGE_SIZE = 25
SEARCH_LIMIT = 20
# A place's score trend: its last inspections, oldest first.
TREND_SIZE = 12
TREND_WIDTH, TREND_HEIGHT = 240, 60
# Room for the text fields and the multipart boundaries around the photos.
FORM_OVERHEAD = 1024 * 1024


@dataclass(frozen=True)
class PlaceKind:
    """How a kind of place is found: its model, what makes one inspectable, its field on Inspection."""

    model: type[Model]
    field: str
    where: dict[str, Any]
    related: tuple[str, ...]


PLACES: dict[str, PlaceKind] = {
    Target.COMPOUND: PlaceKind(Compound, "compound", {}, ("area",)),
    Target.SHOP: PlaceKind(Shop, "shop", {}, ("area", "trade")),
    Target.OFFICE: PlaceKind(Building, "building", {"kind": BuildingKind.OFFICE}, ("area",)),
}


def _kind(target: str) -> PlaceKind:
    if target not in PLACES:
        raise Http404
    return PLACES[target]


def _place_for(request: HttpRequest, target: str, code: str) -> Place:
    """The place of that kind and code that the user may see; 404 when unknown or out of scope."""
    kind = _kind(target)
    return get_for_user(kind.model.objects.filter(**kind.where).select_related(*kind.related), request.user, code=code)


def _inspects_anywhere(user: User) -> bool:
    return user.is_superuser or bool(user.roles() & INSPECT_ROLES)


def _place_filter(target: str, place: Place, prefix: str = "") -> dict[str, Place]:
    return {f"{prefix}{PLACES[target].field}": place}


@dataclass
class Outcome:
    """What an inspection did to rectification cases: opened, found again not fixed, closed on re-inspection."""

    opened: list[Case] = field(default_factory=list)
    not_fixed: list[Case] = field(default_factory=list)
    closed: list[Case] = field(default_factory=list)


def _outcome(inspection: Inspection, findings: list[Finding]) -> Outcome:
    """The cases the inspection opened (its findings' cases it did not re-inspect), found not fixed, and closed."""
    reinspections = list(inspection.reinspections.select_related("case").order_by("case__number"))
    reinspected = {row.case_id for row in reinspections}
    # Opened by this inspection: reported at its time (a failure may also be filed under an older case, e.g. a
    # suspended one, which this inspection did not open).
    opened = {
        finding.case.pk: finding.case
        for finding in findings
        if finding.case and finding.case.pk not in reinspected and finding.case.reported_at == inspection.inspected_at
    }
    return Outcome(
        opened=[opened[pk] for pk in sorted(opened)],
        not_fixed=[row.case for row in reinspections if not row.fixed],
        closed=[row.case for row in reinspections if row.fixed],
    )


def _open_cases_by_item(place: Place, items: list[ChecklistItem]) -> dict[str, list[Case]]:
    """The open rectification cases of the place that an inspection against `items` re-inspects, by item code."""
    answered = {item.code for item in items}
    by_item: dict[str, list[Case]] = {}
    for case, codes in selectors.open_rectifications(place).items():
        if codes <= answered:
            for code in codes:
                by_item.setdefault(code, []).append(case)
    return by_item


# Inspecting


def _max_body(target: str = "", **_view_kwargs: Any) -> int:
    """The largest request an inspection can need: one photo per item of the longest checklist, and the text."""
    return selectors.most_photos(target) * settings.PHOTO_MAX_BYTES + FORM_OVERHEAD


def _refuse_upload(request: HttpRequest) -> HttpResponse:
    message = _("The upload is too large: an inspection takes one photo of at most %(mb)d MB for each failed item.") % {
        "mb": settings.PHOTO_MAX_BYTES // 2**20
    }
    return render(request, "cases/refused.html", {"message": message}, status=413)


# An ordinary form needs no limit worked out (that takes a query): only bodies over the text's share do.
_body_limit = body_limit(_max_body, _refuse_upload, floor=FORM_OVERHEAD)


def _chosen_checklist(request: HttpRequest, target: str, in_use: list[Checklist], community: Area) -> Checklist | None:
    """The checklist asked for (?checklist=<pk>; a posted form names the one it was shown with), or the first in use.

    A posted form may name a version of this community's line (its own or the shared one) retired since it was
    shown: the service then says so on the form. Another community's versions are never shown.
    """
    wanted = request.POST.get("checklist") if request.method == "POST" else request.GET.get("checklist")
    if wanted and wanted.isascii() and wanted.isdigit():
        chosen = next((checklist for checklist in in_use if checklist.pk == int(wanted)), None)
        if chosen is None and request.method == "POST":
            chosen = (
                selectors.checklists_for(request.user)
                .filter(Q(community__isnull=True) | Q(community=community))
                .filter(pk=wanted, target=target, status=ChecklistStatus.RETIRED)
                .first()
            )
        if chosen is not None:
            return chosen
    return in_use[0] if in_use else None


def _summary(inspection: Inspection, outcome: Outcome) -> str:
    return _(
        "Inspection recorded: %(score)s points, %(verdict)s. Rectification cases opened: %(opened)d; "
        "closed by re-inspection: %(closed)d."
    ) % {
        "score": inspection.score,
        "verdict": _("passed") if inspection.passed else _("did not pass"),
        "opened": len(outcome.opened),
        "closed": len(outcome.closed),
    }


@office_page
@_body_limit
def inspection_create(request: HttpRequest, target: str, code: str) -> HttpResponse:
    """Inspect a place on a phone: an answer per item, a note and a photo per failure; one inspection per key."""
    place = _place_for(request, target, code)
    if not may_inspect(request.user, place):
        raise PermissionDenied(_("Your role does not inspect places."))
    in_use = list(selectors.checklists_in_use(selectors.community_of(place), target))
    checklist = _chosen_checklist(request, target, in_use, selectors.community_of(place))
    context: dict[str, Any] = {
        "place": place,
        "target": target,
        "target_label": Target(target).label,
        "history_url": reverse("inspections:place_history", args=[target, place.code]),
        "checklists": in_use,
        "checklist": checklist,
        "visit": selectors.visit_of(place, as_of=timezone.localdate()),
        "closed_shop": isinstance(place, Shop) and place.status != ShopStatus.OPEN,
        "photo_max_mb": settings.PHOTO_MAX_BYTES // 2**20,
        "photo_max_bytes": settings.PHOTO_MAX_BYTES,
        "photo_max_side": settings.PHOTO_MAX_SIDE,
    }
    if checklist is None or context["closed_shop"]:
        return render(request, "inspections/inspection_form.html", context)
    items = services.items_for(checklist, place)
    cases = _open_cases_by_item(place, items)
    if request.method == "POST":
        form = InspectionForm(request.POST, request.FILES, items=items, cases=cases)
        if form.is_valid():
            try:
                inspection = services.inspection_record(
                    actor=request.user,
                    checklist=checklist,
                    place=place,
                    answers=form.answers(),
                    note=form.cleaned_data["note"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ValidationError as error:
                form.show_service_error(error)
            else:
                findings = list(inspection.findings.select_related("case"))
                messages.success(request, _summary(inspection, _outcome(inspection, findings)))
                return redirect("inspections:inspection_detail", pk=inspection.pk)
    else:
        form = InspectionForm(items=items, cases=cases)
    context.update(form=form, reinspected=sorted({case.number for rows in cases.values() for case in rows}))
    return render(request, "inspections/inspection_form.html", context)


def _search(user: User, query: str) -> list[dict[str, Any]]:
    """Compounds, open shops and office buildings the user may inspect, by name or code (a few of each kind)."""
    found = []
    for target, kind in PLACES.items():
        places = kind.model.objects.for_user(user, Action.VIEW, roles=INSPECT_ROLES).filter(
            Q(code__icontains=query) | Q(name__icontains=query), **kind.where
        )
        if kind.model is Shop:
            places = places.filter(status=ShopStatus.OPEN)
        for place in places.select_related("area").order_by("code")[:SEARCH_LIMIT]:
            found.append({"target": target, "label": Target(target).label, "place": place})
    return found


def _chosen_community(request: HttpRequest) -> tuple[Area | None, list[Area]]:
    """The community the user is looking at (?community=CODE among theirs, or their first), and all of theirs."""
    communities = list(territory_selectors.communities_for(request.user).order_by("path"))
    return territory_selectors.chosen_community(request.user, request.GET.get("community")), communities


@office_page
def place_choose(request: HttpRequest) -> HttpResponse:
    """Where to inspect: a search over the places, and the user's places that are overdue or due within
    selectors.DUE_SOON_DAYS, as of today (or ?day=, a day of the past)."""
    user = request.user
    if not _inspects_anywhere(user):
        raise PermissionDenied(_("Your role does not inspect places."))
    query = request.GET.get("q", "").strip()[:50]
    results = _search(user, query) if query else []
    if wants_partial(request) and "q" in request.GET:
        return render(request, "inspections/partials/place_results.html", {"results": results, "query": query})
    community, communities = _chosen_community(request)
    as_of = as_of_day(request)
    soon = as_of + datetime.timedelta(days=selectors.DUE_SOON_DAYS)
    mine = selectors.visits_of(community, as_of=as_of, user=user, responsible=user) if community is not None else []
    visits = [visit for visit in mine if (visit.overdue or visit.due <= soon) and may_inspect(user, visit.place)]
    # Never visited first, then the most overdue, then the soonest due.
    visits.sort(key=lambda visit: (visit.due is not None, visit.due or as_of, visit.place.code))
    context = {
        "visits": visits,
        "answers_for_places": bool(mine),
        "community": community,
        "communities": communities,
        "results": results,
        "query": query,
        "as_of": as_of,
        "today": timezone.localdate(),
        "due_soon_days": selectors.DUE_SOON_DAYS,
    }
    return render(request, "inspections/place_choose.html", context)


# Records


def _inspection_for(request: HttpRequest, pk: int) -> Inspection:
    inspections = Inspection.objects.select_related(
        "checklist", "area", "compound", "shop", "building", "inspector"
    ).select_related("shop__trade")
    return get_for_user(inspections, request.user, pk=pk)


@office_page
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One inspection: place, checklist version, inspector, score and result; findings with photos and cases."""
    inspection = _inspection_for(request, pk)
    findings = list(
        inspection.findings.select_related("item", "case", "relapse_of").order_by("item__order", "item_id", "id")
    )
    context = {
        "inspection": inspection,
        "place": inspection.place,
        "findings": findings,
        "outcome": _outcome(inspection, findings),
        "can_inspect": may_inspect(request.user, inspection.place),
    }
    return render(request, "inspections/inspection_detail.html", context)


@office_page
def finding_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A finding's photo when its inspection is in the user's scope (404 otherwise), never cached by shared caches."""
    finding = get_object_or_404(
        Finding.objects.exclude(photo=""), pk=pk, inspection__in=Inspection.objects.for_user(request.user)
    )
    response = FileResponse(finding.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _filtered(request: HttpRequest, action: str) -> filters.InspectionFilter:
    queryset = Inspection.objects.for_user(request.user, action).select_related(
        "checklist", "area", "compound", "shop", "building", "inspector"
    )
    return filters.InspectionFilter(
        request.GET or None, queryset=queryset.order_by("-inspected_at", "-pk"), request=request
    )


def _bootstrap(filterset: filters.InspectionFilter) -> None:
    for bound in filterset.form:
        bound.field.widget.attrs.setdefault(
            "class", "form-select" if bound.field.widget.input_type == "select" else "form-control"
        )


@office_page
def inspection_list(request: HttpRequest) -> HttpResponse:
    """The inspections in scope, newest first, filtered; `?format=xlsx` exports what the list shows."""
    if ledger_views.wants_export(request):
        if not request.user.can(Action.EXPORT):
            raise PermissionDenied
        filterset = _filtered(request, Action.EXPORT)
        if filterset.is_bound and not filterset.is_valid():
            messages.error(request, _("The filters are not valid; nothing was exported."))
            return redirect(reverse("inspections:inspection_list"))
        return ledger_views.export_response(
            request,
            ledger=ledgers.INSPECTIONS,
            queryset=filterset.qs,
            filters=ledger_views.export_filters(request),
        )
    filterset = _filtered(request, Action.VIEW)
    inspections = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(inspections, PAGE_SIZE).get_page(request.GET.get("page"))
    _bootstrap(filterset)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    template = partial_or_page(request, "inspections/inspection_list.html", "inspections/partials/inspection_rows.html")
    context = {
        "filter": filterset,
        "page_obj": page,
        "query": query.urlencode(),
        "can_export": request.user.can(Action.EXPORT),
        "can_inspect": _inspects_anywhere(request.user),
    }
    return render(request, template, context)


@dataclass
class ItemTally:
    """How often one item failed at a place, and how often the failure was a relapse."""

    code: str
    text: str
    failed: int
    relapses: int
    last_failed: datetime.datetime | None


def _tallies(inspections: QuerySet[Inspection], target: str) -> list[ItemTally]:
    """Per item code: failures and relapses among the inspections, most failed first."""
    rows = (
        Finding.objects.filter(inspection__in=inspections.order_by())
        .values("item_code")
        .annotate(
            failed=Count("id", filter=Q(result=Result.FAIL)),
            relapses=Count("relapse_of"),
            last_failed=Max("inspection__inspected_at", filter=Q(result=Result.FAIL)),
        )
        .filter(failed__gt=0)
        .order_by("-failed", "item_code")
    )
    rows = list(rows)
    texts: dict[str, str] = {}
    # The texts of the versions these inspections used (not another community's wording of the same code).
    newest_first = ChecklistItem.objects.filter(
        code__in=[row["item_code"] for row in rows], checklist__in=inspections.values("checklist")
    ).order_by("code", "-checklist__version")
    for code, text in newest_first.values_list("code", "text"):
        texts.setdefault(code, text)
    return [
        ItemTally(row["item_code"], texts.get(row["item_code"], ""), row["failed"], row["relapses"], row["last_failed"])
        for row in rows
    ]


def _trend(inspections: QuerySet[Inspection]) -> dict[str, Any]:
    """The last scores, oldest first, as points of a small line chart (score 0 at the bottom, 100 at the top)."""
    recent = list(reversed(inspections[:TREND_SIZE]))
    step = TREND_WIDTH / (len(recent) - 1) if len(recent) > 1 else 0
    points = []
    for index, inspection in enumerate(recent):
        x = round(index * step if len(recent) > 1 else TREND_WIDTH / 2, 1)
        y = round(TREND_HEIGHT - float(inspection.score) / 100 * TREND_HEIGHT, 1)
        points.append({"x": x, "y": y, "inspection": inspection})
    return {
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
    }


@office_page
def place_history(request: HttpRequest, target: str, code: str) -> HttpResponse:
    """A place's inspections and score trend, its failures and relapses per item, its open rectification cases."""
    place = _place_for(request, target, code)
    inspections = selectors.place_history(request.user, place)
    page = Paginator(inspections, PAGE_SIZE).get_page(request.GET.get("page"))
    open_cases = list(
        Case.objects.for_user(request.user)
        .filter(
            source=Source.INSPECTION, state__in=OPEN_STATES, **_place_filter(target, place, "findings__inspection__")
        )
        .select_related("category", "assignee")
        .distinct()
        .order_by("deadline_at", "pk")
    )
    codes: dict[int, set[str]] = {}
    for case_id, item_code in Finding.objects.filter(case__in=open_cases).values_list("case_id", "item_code"):
        codes.setdefault(case_id, set()).add(item_code)
    for case in open_cases:
        case.item_codes = sorted(codes.get(case.pk, ()))
    context = {
        "place": place,
        "target": target,
        "target_label": Target(target).label,
        "page_obj": page,
        "trend": _trend(inspections),
        "tallies": _tallies(inspections, target),
        "open_cases": open_cases,
        "visit": selectors.visit_of(place, as_of=timezone.localdate()),
        "inspect_url": reverse("inspections:inspection_create", args=[target, place.code])
        if may_inspect(request.user, place)
        else "",
        "now": timezone.now(),
    }
    return render(request, "inspections/place_history.html", context)
