"""Staff pages of the people register. Views parse, call services or selectors, render.

What a page shows of a resident comes from `selectors.ResidentCard`; clear personal data only ever leaves
through the reveal view (`core.views.pii_reveal_view`) or an unmasked export, both audited. A search by a
full ID or phone number and a filter by a sensitive tag are posted, audited once, and kept in the session
under a token (`?match=<token>`): the number never goes into a URL (see `people.search`).
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.access import office_page
from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.core import audit, ledgers
from wangge.core.htmx import partial_or_page
from wangge.core.pii import masked
from wangge.core.scoping import get_for_user
from wangge.people import filters, forms, search, selectors, services
from wangge.people.models import Household, Resident, ResidentStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 25


def _query_without_page(request: HttpRequest, query: QueryDict | None = None) -> str:
    query = (request.GET if query is None else query).copy()
    for key in ("page", "format", "reveal", "reason", "csrfmiddlewaretoken", "number", "sensitive_tag"):
        query.pop(key, None)
    return query.urlencode()


def _may(model: type[Model], user: User, action: str, pk: int) -> bool:
    return model.objects.for_user(user, action).filter(pk=pk).exists()


T = TypeVar("T")


def _submit(form: Form, write: Callable[[], T]) -> T | None:
    """Run a service for a valid form; its refusals land on the form (fields, or the whole form) and give None."""
    try:
        return write()
    except ValidationError as error:
        forms.add_service_errors(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You may not do this here."))
    return None


# Excel exports of the lists


def _widest_path(user: User, action: str) -> str:
    """The widest area a user takes `action` in: where an export is filed, so that its auditors see it."""
    prefixes = user.area_prefixes(action)
    return min(prefixes, key=len) if prefixes else ""


def _audited_filters(filterset: Any) -> dict[str, str]:
    """The filters an export used, for its audit row; a searched ID or phone number only masked (with the
    mask of what it is: `search.Criteria.masked`), the posted sensitive tag by its code."""
    used: dict[str, str] = {}
    for name in filterset.filters:
        value = filterset.data.get(name, "")
        if value:
            used[name] = value[:100]
    criteria = getattr(filterset, "criteria", None)
    if criteria is not None:
        used.update(criteria.described())
    return used


def _criteria(request: HttpRequest) -> tuple[search.Criteria | None, bool]:
    """The posted criteria `?match=<token>` names in this session, and whether a token named none (expired)."""
    token = request.GET.get("match", "")
    if not token:
        return None, False
    criteria = search.load(request.session, token)
    return criteria, criteria is None


class _Counted:
    """An iterator that counts what passes through it (the export's row count, without a second query)."""

    def __init__(self, rows: Iterator[Model]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Model]:
        for row in self.rows:
            self.count += 1
            yield row


def _export(
    request: HttpRequest,
    *,
    ledger_name: str,
    rows_for: Callable[[User, str], QuerySet],
    filterset_class: type,
    list_url: str,
) -> HttpResponse:
    """The list's rows as an Excel ledger: masked, or (REVEAL_PII and a reason) in clear. Always audited."""
    user = request.user
    if not user.can(Action.EXPORT):
        raise PermissionDenied
    reveal = request.GET.get("reveal") == "1"
    reason = " ".join(request.GET.get("reason", "").split())[:300]
    queryset = rows_for(user, Action.EXPORT)
    if reveal:
        if not user.can(Action.REVEAL_PII):
            raise PermissionDenied(_("You may not export personal data unmasked."))
        if len(reason) < 2:
            messages.error(request, _("Say why you need the unmasked ledger."))
            return redirect(f"{list_url}?{_query_without_page(request)}")
        queryset = queryset.for_user(user, Action.REVEAL_PII)
    kwargs = {}
    criteria = None
    if filterset_class is filters.ResidentPageFilter:
        criteria, expired = _criteria(request)
        if expired:
            messages.error(request, _("That search has expired; search again."))
            return redirect(list_url)
        kwargs["criteria"] = criteria
    filterset = filterset_class(request.GET, queryset=queryset, request=request, **kwargs)
    if not filterset.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect(f"{list_url}?{_query_without_page(request)}")
    ledger = ledgers.get(ledger_name)
    rows = _Counted(ledger.export_queryset(filterset.qs).iterator(chunk_size=2000))
    path = ledgers.export(ledger, rows, reveal=reveal)
    try:
        audit.record_export(
            actor=user,
            name=ledger_name,
            area_path=_widest_path(user, Action.EXPORT),
            detail={"filters": _audited_filters(filterset), "rows": rows.count, "reveal": reveal, "reason": reason},
        )
        if criteria is not None and criteria.tag:
            search.record_tag_filter(user, criteria.tag, criteria.reason, rows.count, channel="export")
        # Unlinked at once: the open handle keeps the data until the response is sent, then nothing is left.
        handle = path.open("rb")
    finally:
        path.unlink(missing_ok=True)
    filename = f"{ledger_name}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


# Residents


@office_page
def resident_list(request: HttpRequest) -> HttpResponse:
    """The residents in the user's scope, filtered; `?format=xlsx` exports what the list shows.

    Names, places, plain tags and the like are filtered by GET; a full ID or phone number and a sensitive
    tag are posted (`_resident_search`), and the list then continues with `?match=<token>`."""
    if request.method == "POST":
        return _resident_search(request)
    if request.GET.get("format") == "xlsx":
        return _export(
            request,
            ledger_name="residents",
            rows_for=selectors.residents_for,
            filterset_class=filters.ResidentPageFilter,
            list_url=reverse("people:resident_list"),
        )
    criteria, expired = _criteria(request)
    if expired:
        messages.warning(request, _("That search has expired; search again."))
        return redirect(f"{reverse('people:resident_list')}?{_query_without_page(request, _without_match(request))}")
    return _resident_list_page(request, request.GET, criteria, forms.ResidentSearchForm(user=request.user))


def _without_match(request: HttpRequest) -> QueryDict:
    query = request.GET.copy()
    query.pop("match", None)
    return query


def _resident_list_page(
    request: HttpRequest,
    data: QueryDict,
    criteria: search.Criteria | None,
    search_form: forms.ResidentSearchForm,
    *,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    queryset = selectors.residents_for(user)
    filterset = filters.ResidentPageFilter(data, queryset=queryset, request=request, criteria=criteria)
    residents = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "search_form": search_form,
        "criteria": criteria,
        "match": request.GET.get("match", "") if criteria is not None else "",
        "without_match": _query_without_page(request, _without_match(request)),
        "page_obj": page,
        "cards": selectors.cards(page.object_list, user),
        "query": _query_without_page(request, data),
        "can_add": user.can(Action.ADD),
        "can_export": user.can(Action.EXPORT),
        "can_export_clear": user.can(Action.EXPORT) and user.can(Action.REVEAL_PII),
        "narrow": selectors.building_leader_only(user),
    }
    forms.bootstrap(filterset.form)
    template = partial_or_page(request, "people/resident_list.html", "people/partials/resident_rows.html")
    return render(request, template, context, status=status)


def _resident_search(request: HttpRequest) -> HttpResponse:
    """A posted search by a full number and/or a sensitive tag: checked, limited, audited once, kept in the
    session under a token; then the list with `?match=<token>` (and the GET filters it was posted with)."""
    user = request.user
    data = QueryDict(_query_without_page(request, request.POST), mutable=True)
    data.pop("match", None)
    form = forms.ResidentSearchForm(request.POST, user=user)
    if not form.offered:
        raise PermissionDenied(_("Only the office may look a resident up by ID or phone number."))
    if not form.is_valid():
        return _resident_list_page(request, data, None, form, status=400)
    number, tag = form.cleaned_data.get("number"), form.cleaned_data.get("sensitive_tag")
    criteria = search.Criteria()
    try:
        if number:
            criteria = search.number_criteria(user, number)
        if tag:
            tagged = search.tag_criteria(user, tag, form.cleaned_data.get("reason", ""))
            criteria = search.Criteria(**{**criteria.__dict__, "tag": tagged.tag, "reason": tagged.reason})
    except ValidationError as error:
        form.add_error("number" if number and not criteria.index else "reason", error)
        return _resident_list_page(request, data, None, form, status=400)
    except search.TooManySearches as error:
        form.add_error(
            None,
            _("Too many searches by number; try again in %(minutes)d minutes.")
            % {"minutes": max(1, round(error.retry_after / 60))},
        )
        response = _resident_list_page(request, data, None, form, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    filterset = filters.ResidentPageFilter(
        data, queryset=selectors.residents_for(user), request=request, criteria=criteria
    )
    rows = filterset.qs.count() if filterset.is_valid() else 0
    search.record(user, criteria, rows, channel="page")
    data["match"] = search.store(request.session, criteria)
    return HttpResponseRedirect(f"{reverse('people:resident_list')}?{data.urlencode()}", status=303)


@office_page
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident as the viewer may see them: household, registrations, who answers for their dwelling."""
    user = request.user
    resident = get_for_user(Resident.objects.select_related("dwelling__building__compound", "household"), user, pk=pk)
    card = selectors.ResidentCard.of(resident, user)
    members = []
    if card.full and resident.household_id:
        members = selectors.cards(selectors.household_members(user, resident.household), user)
    registrations = selectors.registrations_of(user, resident) if card.full else []
    for registration in registrations:
        registration.masked_permit = masked(registration, "permit_number")
    living = resident.status == ResidentStatus.LIVING
    context = {
        "card": card,
        "resident": resident,
        "members": members,
        "registrations": registrations,
        "responsible": selectors.responsible_persons(resident.dwelling),
        "can_change": living and _may(Resident, user, Action.CHANGE, resident.pk),
    }
    return render(request, "people/resident_detail.html", context)


def _resident_form_page(request: HttpRequest, form: forms.ResidentForm, resident: Resident | None) -> HttpResponse:
    return render(request, "people/resident_form.html", {"form": form, "resident": resident})


@office_page
def resident_create(request: HttpRequest) -> HttpResponse:
    """Add a resident to a dwelling (and household) in the user's areas."""
    if not request.user.can(Action.ADD):
        raise PermissionDenied
    initial = {key: request.GET[key] for key in ("dwelling", "household") if request.GET.get(key, "").isdigit()}
    form = forms.ResidentForm(request.POST or None, user=request.user, action=Action.ADD, initial=initial)
    if request.method == "POST" and form.is_valid():
        resident = _submit(form, lambda: services.resident_create(actor=request.user, **form.service_data()))
        if resident is not None:
            messages.success(request, _("Saved: %(name)s") % {"name": resident.name})
            return redirect("people:resident_detail", pk=resident.pk)
    return _resident_form_page(request, form, None)


@office_page
def resident_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a living resident's details; archived records are read-only."""
    resident = get_for_user(Resident.objects.select_related("dwelling__building"), request.user, Action.CHANGE, pk=pk)
    if resident.status != ResidentStatus.LIVING:
        messages.error(request, _("This resident has moved out or died; the archived record cannot be changed."))
        return redirect("people:resident_detail", pk=resident.pk)
    form = forms.ResidentForm(request.POST or None, user=request.user, action=Action.CHANGE, resident=resident)
    if request.method == "POST" and form.is_valid():
        saved = _submit(
            form, lambda: services.resident_update(actor=request.user, resident=resident, **form.service_data())
        )
        if saved is not None:
            messages.success(request, _("Saved: %(name)s") % {"name": saved.name})
            return redirect("people:resident_detail", pk=saved.pk)
    return _resident_form_page(request, form, resident)


@office_page
def resident_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a resident moved out or died, with the date; the record is kept, read-only, then purged."""
    resident = get_for_user(Resident.objects.select_related("dwelling__building"), request.user, Action.CHANGE, pk=pk)
    if resident.status != ResidentStatus.LIVING:
        messages.error(request, _("This resident is already archived."))
        return redirect("people:resident_detail", pk=resident.pk)
    form = forms.ArchiveForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        archived = _submit(
            form,
            lambda: services.resident_archive(
                actor=request.user, resident=resident, status=data["status"], on=data["on"], reason=data["reason"]
            ),
        )
        if archived is not None:
            messages.success(request, _("Archived: %(name)s") % {"name": resident.name})
            return redirect("people:resident_detail", pk=resident.pk)
    return render(request, "people/resident_archive.html", {"form": form, "resident": resident})


@office_page
def registration_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a residence registration (居住登记) of a resident registered elsewhere, with any permit."""
    resident = get_for_user(Resident.objects.select_related("dwelling__building"), request.user, Action.CHANGE, pk=pk)
    form = forms.RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration = _submit(
            form, lambda: services.registration_create(actor=request.user, resident=resident, **form.cleaned_data)
        )
        if registration is not None:
            messages.success(request, _("Residence registration recorded."))
            return redirect("people:resident_detail", pk=resident.pk)
    return render(request, "people/registration_form.html", {"form": form, "resident": resident})


# Households


@office_page
def household_list(request: HttpRequest) -> HttpResponse:
    """The households in the user's scope; `?format=xlsx` exports what the list shows."""
    if request.GET.get("format") == "xlsx":
        return _export(
            request,
            ledger_name="households",
            rows_for=selectors.households_for,
            filterset_class=filters.HouseholdFilter,
            list_url=reverse("people:household_list"),
        )
    queryset = selectors.households_for(request.user)
    filterset = filters.HouseholdFilter(request.GET, queryset=queryset, request=request)
    households = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    user = request.user
    context = {
        "filter": filterset,
        "page_obj": page,
        "query": _query_without_page(request),
        "can_add": user.can(Action.ADD),
        "can_export": user.can(Action.EXPORT),
        "can_export_clear": user.can(Action.EXPORT) and user.can(Action.REVEAL_PII),
    }
    forms.bootstrap(filterset.form)
    template = partial_or_page(request, "people/household_list.html", "people/partials/household_rows.html")
    return render(request, template, context)


@office_page
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One household: its dwelling, its living members as the viewer may see them, who answers for it."""
    user = request.user
    household = get_for_user(selectors.households_for(user), user, pk=pk)
    context = {
        "household": household,
        "members": selectors.cards(selectors.household_members(user, household), user),
        "responsible": selectors.responsible_persons(household.dwelling),
        "can_change": _may(Household, user, Action.CHANGE, household.pk),
        "can_add_member": _may(Household, user, Action.ADD, household.pk),
    }
    return render(request, "people/household_detail.html", context)


def _household_form(request: HttpRequest, household: Household | None) -> HttpResponse:
    action = Action.CHANGE if household else Action.ADD
    initial = {}
    if household is not None:
        initial = {"number": household.number, "dwelling": household.dwelling_id, "note": household.note}
    elif request.GET.get("dwelling", "").isdigit():
        initial = {"dwelling": request.GET["dwelling"]}
    form = forms.HouseholdForm(request.POST or None, user=request.user, action=action, initial=initial)
    if request.method == "POST" and form.is_valid():
        if household is None:
            saved = _submit(form, lambda: services.household_create(actor=request.user, **form.cleaned_data))
        else:
            saved = _submit(
                form,
                lambda: services.household_update(actor=request.user, household=household, **form.cleaned_data),
            )
        if saved is not None:
            messages.success(request, _("Saved: %(household)s") % {"household": saved})
            return redirect("people:household_detail", pk=saved.pk)
    return render(request, "people/household_form.html", {"form": form, "household": household})


@office_page
def household_create(request: HttpRequest) -> HttpResponse:
    """A new household in a dwelling of the user's areas."""
    if not request.user.can(Action.ADD):
        raise PermissionDenied
    return _household_form(request, None)


@office_page
def household_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a household's number, dwelling or note (its living members move with it)."""
    household = get_for_user(Household.objects.select_related("dwelling"), request.user, Action.CHANGE, pk=pk)
    return _household_form(request, household)
