"""Staff pages of the territory and the public compound page. Views parse, call services or selectors, render."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView, ListView
from django_filters import FilterSet
from openpyxl import Workbook

from wangge.accounts.access import OfficePageMixin, office_page
from wangge.accounts.roles import Action
from wangge.core import audit, ledger_views
from wangge.core.coords import from_wgs84, polygon_from_wgs84
from wangge.core.htmx import partial_or_page
from wangge.core.pii import masked
from wangge.core.scoping import get_for_user
from wangge.territory import filters, forms, ledgers, selectors, services
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    Compound,
    Dwelling,
    PartnerUnit,
    Shop,
)


def _chosen_community(request: HttpRequest, action: str = Action.VIEW) -> Area:
    """The community the user is looking at: ?community=CODE among theirs (for `action`), or their first."""
    community = selectors.chosen_community(request.user, request.GET.get("community"), action)
    if community is None:
        raise Http404
    return community


# Overview and map


@office_page
def overview(request: HttpRequest) -> HttpResponse:
    """The community at a glance: the figures its report opens with, per grid below."""
    community = _chosen_community(request)
    group, members = selectors.published_group(community)
    return render(
        request,
        "territory/overview.html",
        {
            "overview": selectors.overview(request.user, community),
            "group": group,
            "members": members,
            "communities": selectors.communities_for(request.user).order_by("path"),
        },
    )


@office_page
def grid_map(request: HttpRequest) -> HttpResponse:
    """Grid polygons and compounds on a map; tiles only when configured."""
    community = _chosen_community(request)
    return render(
        request,
        "territory/map.html",
        {
            "community": community,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@office_page
def map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the grids and compounds in scope, in the configured tile layer's coordinate system."""
    community = _chosen_community(request)
    crs = settings.MAP_TILE_CRS
    features = []
    grids = Area.objects.for_user(request.user).filter(kind=AreaKind.GRID, path__startswith=community.path)
    for grid in grids.exclude(boundary=None).order_by("code"):
        features.append(
            {
                "type": "Feature",
                "geometry": polygon_from_wgs84(grid.boundary, crs),
                "properties": {"kind": "grid", "code": grid.code, "name": grid.name},
            }
        )
    compounds = Compound.objects.for_user(request.user).filter(area_path__startswith=community.path)
    for compound in compounds.exclude(longitude=None).select_related("area").order_by("code"):
        lng, lat = from_wgs84(compound.longitude, compound.latitude, crs)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {
                    "kind": "compound",
                    "code": compound.code,
                    "name": compound.name,
                    "grid": compound.area.name,
                    "unmanaged": compound.management == "none",
                    "url": reverse("territory:compound_detail", args=[compound.code]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features, "crs_name": crs})


# Places: one set of views serves compounds, buildings, shops and partner units


@dataclass(frozen=True)
class PlacePages:
    """What the generic place views need to know about one kind of place."""

    name: str
    model: type[models.Model]
    form_class: type[forms.ScopedModelForm]
    filterset_class: type[FilterSet]
    create: Callable[..., Any]
    update: Callable[..., Any]
    update_arg: str
    # The ledger (wangge.territory.ledgers) the list page exports.
    ledger: ledgers.Ledger
    select_related: tuple[str, ...] = ()
    # Extra context of the detail page, from the place.
    detail_context: Callable[[Any], dict[str, Any]] = lambda place: {}


COMPOUNDS = PlacePages(
    "compound",
    Compound,
    forms.CompoundForm,
    filters.CompoundFilter,
    services.compound_create,
    services.compound_update,
    "compound",
    ledgers.COMPOUNDS,
    ("area",),
    lambda compound: {"buildings": selectors.buildings_of(compound)},
)
BUILDINGS = PlacePages(
    "building",
    Building,
    forms.BuildingForm,
    filters.BuildingFilter,
    services.building_create,
    services.building_update,
    "building",
    ledgers.BUILDINGS,
    ("area", "compound"),
    lambda building: {"dwellings": selectors.dwellings_of(building)},
)


def _masked_contact(place: Shop | PartnerUnit) -> dict[str, str]:
    return {"contact_name": masked(place, "contact_name"), "contact_phone": masked(place, "contact_phone")}


SHOPS = PlacePages(
    "shop",
    Shop,
    forms.ShopForm,
    filters.ShopFilter,
    services.shop_create,
    services.shop_update,
    "shop",
    ledgers.SHOPS,
    ("area", "trade"),
    _masked_contact,
)
PARTNER_UNITS = PlacePages(
    "partner_unit",
    PartnerUnit,
    forms.PartnerUnitForm,
    filters.PartnerUnitFilter,
    services.partner_unit_create,
    services.partner_unit_update,
    "partner_unit",
    ledgers.PARTNER_UNITS,
    ("area",),
    _masked_contact,
)


class PlaceListView(OfficePageMixin, ListView):
    """A searchable, filterable list of places in the user's scope; htmx refreshes only the rows.

    `?format=xlsx` exports what the list shows, filters applied, as the kind's ledger (the EXPORT right).
    """

    pages: PlacePages | None = None
    paginate_by = 25

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if ledger_views.wants_export(request):
            if not request.user.can(Action.EXPORT):
                raise PermissionDenied
            return ledger_views.export_response(
                request,
                ledger=self.pages.ledger,
                queryset=self.filtered(Action.EXPORT),
                filters=ledger_views.export_filters(request),
            )
        return super().get(request, *args, **kwargs)

    def filtered(self, action: str) -> models.QuerySet:
        """The places the user may take `action` on, narrowed by the page's filters."""
        queryset = self.pages.model.objects.for_user(self.request.user, action)
        queryset = queryset.select_related(*self.pages.select_related)
        self.filterset = self.pages.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        return self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else queryset

    def get_queryset(self):
        return self.filtered(Action.VIEW)

    def get_template_names(self) -> list[str]:
        name = self.pages.name
        return [partial_or_page(self.request, f"territory/{name}_list.html", f"territory/partials/{name}_rows.html")]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        forms.bootstrap(self.filterset.form)
        context["can_add"] = self.request.user.can(Action.ADD)
        context["can_export"] = self.request.user.can(Action.EXPORT)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class PlaceDetailView(OfficePageMixin, DetailView):
    """One place, with who answers for it."""

    pages: PlacePages | None = None

    def get_object(self, queryset=None):
        return get_for_user(
            self.pages.model.objects.select_related(*self.pages.select_related),
            self.request.user,
            code=self.kwargs["code"],
        )

    def get_template_names(self) -> list[str]:
        return [f"territory/{self.pages.name}_detail.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        place = self.object
        user = self.request.user
        context.update(self.pages.detail_context(place))
        context["can_change"] = self.pages.model.objects.for_user(user, Action.CHANGE).filter(pk=place.pk).exists()
        if hasattr(place, "assignments"):
            context["assignments"] = selectors.responsible_for(place)
            context["can_assign"] = self.pages.model.objects.for_user(user, Action.ASSIGN).filter(pk=place.pk).exists()
            context["place_kind"] = self.pages.name
        return context


class PlaceFormView(OfficePageMixin, FormView):
    """Create (no code in the URL) or edit a place through its service; service errors land on the form."""

    pages: PlacePages | None = None

    def prepare(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.object = None
        if "code" in kwargs:
            self.object = get_for_user(self.pages.model.objects, request.user, Action.CHANGE, code=kwargs["code"])
        elif not request.user.can(Action.ADD):
            raise PermissionDenied

    @property
    def action(self) -> str:
        return Action.CHANGE if self.object else Action.ADD

    def get_form_class(self) -> type[forms.ScopedModelForm]:
        return self.pages.form_class

    def get_template_names(self) -> list[str]:
        return ["territory/place_form.html"]

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, action=self.action)
        if self.object is not None:
            # The form validates a copy; the service receives the original and records before/after.
            kwargs["instance"] = self.pages.model.objects.get(pk=self.object.pk)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(object=self.object, pages=self.pages, verbose_name=self.pages.model._meta.verbose_name)
        return context

    def form_valid(self, form: forms.ScopedModelForm) -> HttpResponse:
        data = form.service_data()
        try:
            if self.object is None:
                place = self.pages.create(actor=self.request.user, **data)
            else:
                place = self.pages.update(actor=self.request.user, **{self.pages.update_arg: self.object}, **data)
        except ValidationError as error:
            forms.add_service_errors(form, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("You may not do this here."))
            return self.form_invalid(form)
        messages.success(self.request, _("Saved: %(place)s") % {"place": place})
        return redirect(f"territory:{self.pages.name}_detail", code=place.code)


# Responsibility

_PLACE_MODELS: dict[str, type[models.Model]] = {"compound": Compound, "building": Building, "shop": Shop}


def _place_for(request: HttpRequest, kind: str, key: str, action: str) -> Compound | Building | Dwelling | Shop:
    if kind == "dwelling":
        if not (key.isascii() and key.isdigit()):
            raise Http404
        return get_for_user(Dwelling.objects.select_related("building"), request.user, action, pk=key)
    model = _PLACE_MODELS.get(kind)
    if model is None:
        raise Http404
    return get_for_user(model.objects, request.user, action, code=key)


def _safe_next(request: HttpRequest) -> str | None:
    """The `next` address of a form, only when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@office_page
def assignment_create(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Name a responsible person for a place (包干到人)."""
    place = _place_for(request, kind, key, Action.ASSIGN)
    form = forms.AssignmentForm(request.POST or None, place_path=place.area_path)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_create(actor=request.user, place=place, **form.cleaned_data)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(person)s now answers for %(place)s.") % {"person": form.cleaned_data["person"], "place": place},
            )
            return redirect(_safe_next(request) or reverse("territory:coverage"))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(
        request, "territory/assignment_form.html", {"form": form, "place": place, "kind": kind, "next": next_url}
    )


@office_page
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End an assignment; the place shows up in the coverage report if nobody else answers for it."""
    assignment = get_for_user(Assignment.objects, request.user, Action.ASSIGN, pk=pk)
    services.assignment_end(actor=request.user, assignment=assignment)
    messages.success(
        request,
        _("%(person)s no longer answers for %(place)s.") % {"person": assignment.person, "place": assignment.place},
    )
    return redirect(_safe_next(request) or reverse("territory:coverage"))


@office_page
def coverage(request: HttpRequest) -> HttpResponse:
    """无遗漏: per grid, every place that has no responsible person."""
    community = _chosen_community(request)
    report = selectors.coverage(request.user, community=community)
    return render(
        request,
        "territory/coverage.html",
        {
            "community": community,
            "report": report,
            "unassigned_total": sum(entry.unassigned_count for entry in report),
            "place_total": sum(entry.place_count for entry in report),
            "gap_totals": [
                (gap, sum(len(entry.gaps.get(gap.name, [])) for entry in report)) for gap in selectors.coverage_gaps()
            ],
            "can_assign": request.user.can(Action.ASSIGN),
        },
    )


@office_page
def coverage_export(request: HttpRequest) -> HttpResponse:
    """The coverage report as an Excel ledger: one row per unassigned place."""
    if not request.user.can(Action.EXPORT):
        raise PermissionDenied
    community = _chosen_community(request, Action.EXPORT)
    report = selectors.coverage(request.user, community=community, action=Action.EXPORT)
    audit.record_export(
        actor=request.user, name="coverage", area_path=community.path, detail={"community": community.code}
    )
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Summary"))
    summary.append([_("Grid code"), _("Grid"), _("Places"), _("Without a responsible person")])
    for entry in report:
        summary.append([entry.grid.code, entry.grid.name, entry.place_count, entry.unassigned_count])
    sheet = workbook.create_sheet(_("Unassigned places"))
    sheet.append([_("Grid code"), _("Grid"), _("Kind of place"), _("Code"), _("Place name")])
    kind_names = {
        "compound": _("compound"),
        "building": _("building"),
        "dwelling": _("dwelling"),
        "shop": _("street shop"),
        **{extra.kind: str(extra.label) for extra in selectors.coverage_kinds()},
    }
    for entry in report:
        for kind, places in entry.unassigned.items():
            for place in places:
                sheet.append(
                    [
                        entry.grid.code,
                        entry.grid.name,
                        kind_names[kind],
                        getattr(place, "code", ""),
                        str(place),
                    ]
                )
    for gap in selectors.coverage_gaps():
        gap_sheet = workbook.create_sheet(str(gap.label)[:31])
        gap_sheet.append([_("Grid code"), _("Grid"), _("Code"), _("Place name")])
        for entry in report:
            for row in entry.gaps.get(gap.name, []):
                gap_sheet.append([entry.grid.code, entry.grid.name, row.code, str(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    filename = f"coverage-{community.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Notice board and the public compound page


def _notice_facts(compound: Compound) -> dict[str, Any]:
    """What is published about a compound (公示): grid, grid staff, who answers for the compound and for each of
    its buildings, leadership group."""
    grid = compound.area
    community = grid.parent
    group, members = selectors.published_group(community)
    return {
        "compound": compound,
        "grid": grid,
        "community": community,
        "grid_leaders": selectors.grid_leaders(grid),
        "grid_workers": selectors.grid_workers(grid),
        "responsible": selectors.published_responsible_for(compound),
        "buildings": selectors.responsible_for_buildings(compound),
        "group": group,
        "members": members,
        # What other apps publish about the compound (a running campaign's responsible persons, ...).
        "sections": selectors.notice_sections(compound),
    }


def _public_url(request: HttpRequest, compound: Compound) -> str:
    path = reverse("territory:public_compound", args=[compound.code])
    return f"{settings.PUBLIC_BASE_URL}{path}" if settings.PUBLIC_BASE_URL else request.build_absolute_uri(path)


@office_page
def notice_board(request: HttpRequest, code: str) -> HttpResponse:
    """A printable A4 notice board for the compound, with a QR code to its public page."""
    compound = get_for_user(Compound.objects.select_related("area__parent"), request.user, code=code)
    url = _public_url(request, compound)
    qr_svg = segno.make(url, error="m").svg_inline(scale=5, border=2)
    return render(
        request, "territory/notice_board.html", {**_notice_facts(compound), "qr_svg": qr_svg, "public_url": url}
    )


def public_compound(request: HttpRequest, code: str) -> HttpResponse:
    """The compound's public page (what the notice board's QR code opens): who is responsible, for everyone."""
    compound = get_object_or_404(Compound.objects.select_related("area__parent"), code=code)
    return render(request, "territory/public_compound.html", _notice_facts(compound))
