"""The checklist pages (检查表 / 标准) under /inspections/checklists/: every office role reads the standards it
inspects against; the community director and the subdistrict administrator write them, through the services.

A shared standard (seeded, or set by the deployment's administrators) is in use in every community that has no
version of its own; a director makes the community's own version of it, or a standard of its own. A version an
inspection has used is frozen (the service refuses a change and says why); it is changed by making a new
version, which the director puts in use when ready. Items are added, edited and deleted inline: with htmx a
request answers with the items section only, without it with the whole page.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import STANDARD_ROLES, Action
from wangge.core import ledger_views
from wangge.core.htmx import wants_partial
from wangge.inspections import selectors, services
from wangge.inspections.checklist_forms import ChecklistForm, ItemForm
from wangge.inspections.ledgers import CHECKLIST_ITEMS
from wangge.inspections.models import Checklist, ChecklistItem, ChecklistStatus, Inspection, Target
from wangge.territory import selectors as territory_selectors
from wangge.territory.forms import add_service_errors
from wangge.territory.models import Area, Trade

ITEMS_PARTIAL = "inspections/partials/checklist_items.html"


def standard_communities(user: User) -> list[Area]:
    """The communities whose standards the user writes (as director or subdistrict administrator there)."""
    communities = territory_selectors.communities_for(user, Action.CHANGE).order_by("path")
    return [
        community for community in communities if user.is_superuser or user.roles_at(community.path) & STANDARD_ROLES
    ]


def may_edit_standards(user: User) -> bool:
    """Whether the user writes some inspection standards: a director, a subdistrict administrator, a superuser."""
    return user.is_superuser or bool(user.roles() & STANDARD_ROLES)


def may_write(user: User, checklist: Checklist) -> bool:
    """Whether the user writes this version's standard: its community's director; a shared one, a superuser."""
    if checklist.community_id is None:
        return user.is_superuser
    return user.is_superuser or bool(user.roles_at(checklist.area_path) & STANDARD_ROLES)


def _own_community(request: HttpRequest) -> Area | None:
    """The community whose own standards the user is working on: ?community=CODE among theirs, or their first.

    A superuser (the deployment's administrator) works on the shared standards unless a community is named.
    """
    communities = standard_communities(request.user)
    code = request.GET.get("community") or request.POST.get("community")
    chosen = next((community for community in communities if community.code == code), None) if code else None
    if chosen is None and request.user.is_superuser:
        return None
    return chosen or (communities[0] if communities else None)


def _standards_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An office page that only those who write the standards may open; 403 for the other roles."""

    @office_page
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_edit_standards(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# Reads


def _count(queryset: QuerySet, aggregate: Any) -> Subquery:
    """A per-checklist figure as a subquery (two joins in one query would multiply each other's rows)."""
    return Coalesce(
        Subquery(
            queryset.order_by().values("checklist").annotate(n=aggregate).values("n"), output_field=IntegerField()
        ),
        0,
    )


def checklists_with_figures(user: User) -> QuerySet[Checklist]:
    """Every version the user may read, with its number of items, total points and inspections that used it."""
    items = ChecklistItem.objects.filter(checklist=OuterRef("pk"))
    inspections = Inspection.objects.filter(checklist=OuterRef("pk"))
    return (
        selectors.checklists_for(user)
        .select_related("community")
        .annotate(
            item_count=_count(items, Count("pk")),
            total_points=_count(items, Sum("points")),
            used=_count(inspections, Count("pk")),
        )
    )


@dataclass
class Section:
    """The items of one section of a checklist, in order."""

    name: str
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(item.points for item in self.items)


def _sections(checklist: Checklist) -> list[Section]:
    """The version's items grouped by section, sections in the order their first item comes."""
    names = dict(Trade.objects.values_list("code", "name"))
    sections: dict[str, Section] = {}
    for item in checklist.items.select_related("category").order_by("order", "pk"):
        item.trade_names = [names.get(code, code) for code in item.trades or []]
        sections.setdefault(item.section, Section(item.section)).items.append(item)
    return list(sections.values())


def _items_context(checklist: Checklist, user: User, **extra: Any) -> dict[str, Any]:
    """What the items section shows: the sections, the totals, and whether they may change here."""
    sections = _sections(checklist)
    return {
        "checklist": checklist,
        "sections": sections,
        "item_count": sum(len(section.items) for section in sections),
        "total_points": sum(section.points for section in sections),
        "editable": may_write(user, checklist) and _changeable(checklist),
        **extra,
    }


def _changeable(checklist: Checklist) -> bool:
    """A version nobody has inspected against and not retired: its fields and items may still change."""
    used = getattr(checklist, "used", None)
    if used is None:
        used = checklist.inspections.count()
    return checklist.status != ChecklistStatus.RETIRED and not used


def _figures(user: User, pk: int) -> Checklist:
    """The version with its figures, if the user may read it (another community's own standard: 404)."""
    return get_object_or_404(checklists_with_figures(user), pk=pk)


# Pages


@office_page
def checklist_list(request: HttpRequest) -> HttpResponse:
    """Every checklist code with its versions: status, items, total points and the inspections that used it.

    `?format=xlsx` exports the versions in use (kind of place filter applied) as the checklists' ledger.
    """
    target = request.GET.get("target", "")
    if target not in Target.values:
        target = ""
    if ledger_views.wants_export(request):
        if not request.user.can(Action.EXPORT):
            raise PermissionDenied
        # What one community's inspectors use (its own versions, else the shared ones): one version per code, so
        # the file imports back into that community unchanged.
        community = territory_selectors.chosen_community(request.user, request.GET.get("community"))
        items = ChecklistItem.objects.filter(
            checklist__in=selectors.checklists_in_use(community, target or None).values("pk")
        ).order_by("checklist__code", "order", "pk")
        return ledger_views.export_response(
            request, ledger=CHECKLIST_ITEMS, queryset=items, filters=ledger_views.export_filters(request)
        )
    versions = checklists_with_figures(request.user).order_by(
        "target", "code", F("community__path").asc(nulls_first=True), "-version"
    )
    if target:
        versions = versions.filter(target=target)
    standards = []
    # One row per standard and owner: the shared standard, and each community's own version of it.
    for (code, _owner), group in itertools.groupby(versions, key=lambda version: (version.code, version.community_id)):
        group = list(group)
        in_use = next((v for v in group if v.status == ChecklistStatus.PUBLISHED), None)
        standards.append({"code": code, "current": in_use or group[0], "in_use": in_use, "versions": group})
    return render(
        request,
        "inspections/checklist_list.html",
        {
            "standards": standards,
            "target": target,
            "targets": Target.choices,
            "may_edit": may_edit_standards(request.user),
            "can_export": request.user.can(Action.EXPORT),
        },
    )


@office_page
def checklist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One version: its items by section with their totals, which version of the standard is in use, the actions."""
    checklist = _figures(request.user, pk)
    if wants_partial(request):
        return render(request, ITEMS_PARTIAL, _items_context(checklist, request.user))
    # A community's version descends from the shared standard: its page lists both lines of versions.
    lineage = Q(community__isnull=True) | Q(community=checklist.community)
    versions = list(checklists_with_figures(request.user).filter(lineage, code=checklist.code).order_by("-version"))
    may_edit = may_write(request.user, checklist)
    context = _items_context(checklist, request.user)
    context.update(
        versions=versions,
        # What the owner's inspectors use now: its own version in use, else the shared one.
        in_use=next(
            (v for v in versions if v.status == ChecklistStatus.PUBLISHED and v.community_id == checklist.community_id),
            None,
        )
        or next((v for v in versions if v.status == ChecklistStatus.PUBLISHED), None),
        draft=next(
            (v for v in versions if v.status == ChecklistStatus.DRAFT and v.community_id == checklist.community_id),
            None,
        ),
        may_edit=may_edit,
        # A director makes their community's own version of a shared standard.
        own_community=_own_community(request) if checklist.community_id is None else None,
        can_export=request.user.can(Action.EXPORT),
    )
    return render(request, "inspections/checklist_detail.html", context)


@_standards_page
def checklist_create(request: HttpRequest) -> HttpResponse:
    """A new standard, as version 1 in draft; its items are added on its page."""
    form = ChecklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checklist = services.checklist_create(
                actor=request.user, community=_own_community(request), **form.service_data()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Checklist %(name)s created as a draft: add its items.") % {"name": checklist})
            return redirect("inspections:checklist_detail", pk=checklist.pk)
    return render(request, "inspections/checklist_form.html", {"form": form, "checklist": None})


@_standards_page
def checklist_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a version's name, description, pass mark or grouping; the service refuses a used version."""
    checklist = _figures(request.user, pk)
    # The form works on a copy; the service gets the stored version and records before and after.
    form = ChecklistForm(request.POST or None, instance=Checklist.objects.get(pk=checklist.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_update(actor=request.user, checklist=checklist, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": checklist})
            return redirect("inspections:checklist_detail", pk=checklist.pk)
    return render(
        request,
        "inspections/checklist_form.html",
        {"form": form, "checklist": checklist, "locked": not _changeable(checklist)},
    )


def _item_response(
    request: HttpRequest, checklist: Checklist, form: ItemForm | None, *, item: ChecklistItem | None = None
) -> HttpResponse:
    """The items section (htmx) or the item's page, with the form when there is one to show."""
    url = (
        reverse("inspections:item_update", args=[item.pk])
        if item is not None
        else reverse("inspections:item_create", args=[checklist.pk])
    )
    context = _items_context(checklist, request.user, item_form=form, form_url=url, editing=item)
    if wants_partial(request):
        return render(request, ITEMS_PARTIAL, context)
    return render(request, "inspections/checklist_item_form.html", context)


def _saved(request: HttpRequest, checklist: Checklist, notice: str) -> HttpResponse:
    """After a change of the items: the fresh items section (htmx), or back to the checklist's page."""
    if wants_partial(request):
        return render(request, ITEMS_PARTIAL, _items_context(checklist, request.user, notice=notice))
    messages.success(request, notice)
    return redirect(reverse("inspections:checklist_detail", args=[checklist.pk]) + "#items")


@_standards_page
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an item to a version nobody has used yet."""
    checklist = _figures(request.user, pk)
    form = ItemForm(request.POST or None, target=checklist.target)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.checklist_item_save(actor=request.user, checklist=checklist, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, checklist, _("Item %(code)s added.") % {"code": item.code})
    return _item_response(request, checklist, form)


@_standards_page
def item_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an item of a version nobody has used yet; its code stays."""
    item = get_object_or_404(
        ChecklistItem.objects.filter(checklist__in=selectors.checklists_for(request.user)).select_related("checklist"),
        pk=pk,
    )
    checklist = _figures(request.user, item.checklist_id)
    form = ItemForm(request.POST or None, instance=ChecklistItem.objects.get(pk=item.pk), target=checklist.target)
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_item_save(actor=request.user, checklist=checklist, item=item, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, checklist, _("Item %(code)s saved.") % {"code": item.code})
    return _item_response(request, checklist, form, item=item)


@_standards_page
@require_POST
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an item from a version nobody has used yet."""
    item = get_object_or_404(
        ChecklistItem.objects.filter(checklist__in=selectors.checklists_for(request.user)).select_related("checklist"),
        pk=pk,
    )
    checklist = _figures(request.user, item.checklist_id)
    try:
        if checklist.status == ChecklistStatus.RETIRED:
            raise ValidationError(_("A retired version cannot change."))
        services.checklist_item_delete(actor=request.user, item=item)
    except ValidationError as error:
        message = " ".join(error.messages)
        if wants_partial(request):
            return render(request, ITEMS_PARTIAL, _items_context(checklist, request.user, problem=message))
        messages.error(request, message)
        return redirect("inspections:checklist_detail", pk=checklist.pk)
    return _saved(request, checklist, _("Item %(code)s deleted.") % {"code": item.code})


def _act(request: HttpRequest, pk: int, act: Callable[[Checklist], Checklist], done: str) -> HttpResponse:
    """Take a step on a version through its service; its refusal is shown on the version's page."""
    checklist = _figures(request.user, pk)
    try:
        result = act(checklist)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inspections:checklist_detail", pk=checklist.pk)
    messages.success(request, done % {"name": result.name, "version": result.version})
    return redirect("inspections:checklist_detail", pk=result.pk)


@_standards_page
@require_POST
def checklist_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft copy of the version to change and then put in use (an open draft is reused)."""
    return _act(
        request,
        pk,
        lambda checklist: services.checklist_new_version(
            actor=request.user,
            checklist=checklist,
            community=_own_community(request) if checklist.community_id is None else None,
        ),
        _("Version %(version)d of %(name)s is a draft: change it, then put it in use."),
    )


@_standards_page
@require_POST
def checklist_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a draft in use; the version in use before it retires."""
    return _act(
        request,
        pk,
        lambda checklist: services.checklist_publish(actor=request.user, checklist=checklist),
        _("Version %(version)d of %(name)s is now in use."),
    )


@_standards_page
@require_POST
def checklist_retire(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a version out of use: no new inspections against it."""
    return _act(
        request,
        pk,
        lambda checklist: services.checklist_retire(actor=request.user, checklist=checklist),
        _("Version %(version)d of %(name)s is retired."),
    )


@office_page
def checklist_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The version as the checklists' ledger workbook (it imports back unchanged), audited."""
    if not request.user.can(Action.EXPORT):
        raise PermissionDenied
    checklist = _figures(request.user, pk)
    return ledger_views.export_response(
        request,
        ledger=CHECKLIST_ITEMS,
        queryset=ChecklistItem.objects.filter(checklist=checklist),
        filters={"checklist": checklist.code, "version": checklist.version},
    )
