"""Reads through Open311: jurisdictions, services, and the public view of cases and their timelines.

Only cases of public categories are shown, as on the public page that anyone may open by a case's number.
"""

import datetime
from collections.abc import Mapping

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, PhotoKind, Source, State
from wangge.open311.errors import Open311Error
from wangge.territory.models import Area, AreaKind, Compound

MAX_RESULTS = 1000
DEFAULT_SPAN = datetime.timedelta(days=90)
CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED})
MAX_IDS = 1000


def jurisdiction(jurisdiction_id: str | None) -> Area:
    """The community a call is about: `jurisdiction_id` is its 12-digit code, optional while only one is served."""
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    if jurisdiction_id:
        found = communities.filter(code=jurisdiction_id).first()
        if found is None:
            raise Open311Error(404, _("Unknown jurisdiction: %(id)s") % {"id": jurisdiction_id})
        return found
    only = list(communities[:2])
    if len(only) != 1:
        raise Open311Error(400, _("jurisdiction_id is required: give the community's 12-digit code."))
    return only[0]


def services() -> QuerySet[Category]:
    """The categories anyone may report, with their questions (whether a definition has attributes)."""
    return Category.objects.filter(active=True, public=True).prefetch_related("questions")


def service(code: str) -> Category | None:
    """One reportable category by its code, or None."""
    return services().filter(code=code).first()


def compound_in(community: Area, code: str) -> Compound | None:
    """A compound of the community by its code (an Open311 address_id)."""
    return Compound.objects.filter(code=code, area_path__startswith=community.path).first()


def compound_named(community: Area, text: str) -> Compound | None:
    """The compound of the community whose name or address is exactly `text` (an address_string)."""
    text = text.strip()
    if not text:
        return None
    return (
        Compound.objects.filter(area_path__startswith=community.path)
        .filter(Q(name=text) | Q(address=text))
        .order_by("code")
        .first()
    )


# What Open311 never shows of a case (the reporter, their words, the grid's outline).
UNPUBLISHED = (
    "description",
    "attributes",
    "reporter_name",
    "reporter_phone",
    "reporter_phone_index",
    "reporter_email",
    "area__boundary",
)


def public_cases(community: Area) -> QuerySet[Case]:
    """The community's cases as Open311 shows them, with what the wire format reads.

    Rectification notices from inspections are the office's own work on named shops and compounds, not service
    requests: they are published only through the red/black list, where the community chooses to.
    """
    after_photos = CasePhoto.objects.filter(public=True, kind=PhotoKind.AFTER).order_by("created_at", "id")
    return (
        Case.objects.filter(area_path__startswith=community.path, category__public=True, number__isnull=False)
        .exclude(source=Source.INSPECTION)
        .select_related("category", "area", "compound")
        # Never published, so never read: decrypting the reporter's contact details and parsing the grid's
        # boundary for every case was most of a request's cost.
        .defer(*UNPUBLISHED)
        .prefetch_related(Prefetch("photos", queryset=after_photos, to_attr="public_photos"))
        .order_by("-reported_at", "-id")
    )


def public_case(community: Area, number: str) -> Case:
    """One case by its number (the service_request_id), 404 when the community has none such."""
    case = public_cases(community).filter(number=number).first()
    if case is None:
        raise Open311Error(404, _("Unknown service request: %(id)s") % {"id": number})
    return case


def public_photo(pk: int) -> CasePhoto | None:
    """A photo after handling that is shown publicly, of a case of a public category."""
    return (
        CasePhoto.objects.filter(pk=pk, public=True, kind=PhotoKind.AFTER, case__category__public=True)
        .exclude(case__source=Source.INSPECTION)
        .select_related("case")
        .first()
    )


# Query parameters


def _datetime(params: Mapping[str, str], name: str) -> datetime.datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400, _("%(name)s is not a W3C date and time, e.g. 2026-01-31T08:00:00+08:00.") % {"name": name}
        ) from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def period(
    params: Mapping[str, str], *, now: datetime.datetime | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """start_date and end_date: the most recent 90 days by default; a span of at most 90 days."""
    now = now or timezone.now()
    start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
    if end is None:
        end = now if start is None else min(now, start + DEFAULT_SPAN)
    if start is None:
        start = end - DEFAULT_SPAN
    if start > end:
        raise Open311Error(400, _("start_date is after end_date."))
    if end - start > DEFAULT_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    return start, end


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise Open311Error(400, _("%(name)s must be a whole number of at least 1.") % {"name": name})
    return int(value)


def page(params: Mapping[str, str]) -> tuple[int, int]:
    """The pagination extension: page (from 1) and page_size (at most 1000, the default)."""
    return _positive(params, "page", 1), min(_positive(params, "page_size", MAX_RESULTS), MAX_RESULTS)


def _list(params: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def requests(community: Area, params: Mapping[str, str]) -> list[Case]:
    """GET requests: by service_request_id (which overrides the rest) or by service, period and status."""
    cases = public_cases(community)
    number, size = page(params)
    ids = _list(params, "service_request_id")
    if ids:
        if len(ids) > MAX_IDS:
            raise Open311Error(400, _("At most 1000 service_request_id at once."))
        found = cases.filter(number__in=ids)
    else:
        found = cases
        codes = _list(params, "service_code")
        if codes:
            known = set(Category.objects.filter(code__in=codes, public=True).values_list("code", flat=True))
            unknown = sorted(set(codes) - known)
            if unknown:
                raise Open311Error(404, _("Unknown service: %(code)s") % {"code": ", ".join(unknown)})
            found = found.filter(category__code__in=codes)
        statuses = set(_list(params, "status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status is open or closed (or both, comma separated)."))
        if statuses == {"open"}:
            found = found.exclude(state__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            found = found.filter(state__in=CLOSED_STATES)
        start, end = period(params)
        found = found.filter(reported_at__gte=start, reported_at__lte=end)
    return list(found[(number - 1) * size : number * size])


def updates(community: Area, params: Mapping[str, str]) -> list[CaseEvent]:
    """mySociety's servicerequestupdates: the public timeline entries of the period, oldest first."""
    start, end = period(params)
    number, size = page(params)
    events = (
        CaseEvent.objects.filter(
            public=True,
            case__area_path__startswith=community.path,
            case__category__public=True,
            case__number__isnull=False,
            at__gte=start,
            at__lte=end,
        )
        .select_related("case")
        .order_by("at", "id")
    )
    return list(events[(number - 1) * size : number * size])
