"""Writes through Open311: who the integrator is, where they may file, and one call into the intake of cases.

Every POST is checked completely before anything is written; the case itself is made by
`cases.services.case_report`, the same intake as the office, the public page and the REST API.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from wangge.accounts.authentication import ApiKeyAuthentication
from wangge.accounts.models import ApiKey, User
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, Question, QuestionType, Source
from wangge.core.ratelimit import RateLimit
from wangge.open311 import selectors
from wangge.open311.errors import Open311Error
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, Compound
from wangge.territory.services import person_works_in

MAX_DESCRIPTION = case_services.MAX_DESCRIPTION
MAX_MEDIA_URL = 500


def integrator(key: str) -> tuple[User, ApiKey]:
    """The account behind an API key; 403 for a missing, unknown or revoked key or a disabled account."""
    if not key:
        raise Open311Error(403, _("An api_key is required."))
    try:
        return ApiKeyAuthentication().authenticate_credentials(key)
    except AuthenticationFailed as error:
        raise Open311Error(403, str(error.detail)) from None


def may_file_in(user: User, community: Area) -> bool:
    """Whether an integrator's account may file in a community: an active membership over it or inside it."""
    return user.is_superuser or person_works_in(user, community.path)


def rate_limit(api_key: ApiKey) -> RateLimit:
    """POSTs allowed per key and minute (setting OPEN311_RATE_LIMIT, default 60)."""
    # The limiter counts per client address within a scope: the key's prefix in the scope makes it per key too.
    return RateLimit(
        scope=f"open311:{api_key.prefix}", limit=int(getattr(settings, "OPEN311_RATE_LIMIT", 60)), window=60
    )


@dataclass(frozen=True)
class Submission:
    """A POST requests, parsed and checked: everything `case_report` needs."""

    category: Category
    description: str
    grid: Area | None
    compound: Compound | None
    longitude: float | None
    latitude: float | None
    address: str
    attributes: dict[str, Any]
    reporter_name: str
    reporter_phone: str
    reporter_email: str


def _float(params: Mapping[str, str], name: str) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None


def _attributes(params: Any, category: Category) -> dict[str, Any]:
    """`attribute[code]` and `attribute[code][]` → answers; unknown codes and values are refused here."""
    questions: dict[str, Question] = {q.code: q for q in category.questions.all()}
    answers: dict[str, Any] = {}
    for name in params:
        if not (name.startswith("attribute[") and name.endswith("]")):
            continue
        code = name[len("attribute[") : -1]
        if code.endswith("]["):  # attribute[code][], the form of a multivaluelist
            code = code[:-2]
        values = [v.strip() for v in params.getlist(name) if v.strip()]
        if not values:
            continue  # empty parameters count as absent
        question = questions.get(code)
        if question is None:
            raise Open311Error(400, _("Unknown attribute: %(code)s") % {"code": code})
        if question.datatype == QuestionType.MULTIPLE:
            answers[code] = [*answers.get(code, []), *values]
        elif len(values) > 1:
            raise Open311Error(400, _("Attribute %(code)s takes one value.") % {"code": code})
        else:
            answers[code] = values[0]
    for code, value in answers.items():
        keys = questions[code].choice_keys()
        chosen = value if isinstance(value, list) else [value]
        if questions[code].datatype in (QuestionType.SINGLE, QuestionType.MULTIPLE) and not set(chosen) <= set(keys):
            raise Open311Error(400, _("Unknown value for attribute %(code)s.") % {"code": code})
    return answers


def _is_cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK") for ch in text)


def _full_name(first: str, last: str) -> str:
    """Chinese names are written family name first, without a space; others first name first."""
    if _is_cjk(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _place(
    params: Mapping[str, str], community: Area
) -> tuple[Area | None, Compound | None, float | None, float | None]:
    """The grid or compound of a request, from lat+long, address_id (a compound code) or address_string."""
    latitude, longitude = _float(params, "lat"), _float(params, "long")
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, _("Give both lat and long, or neither."))
    if latitude is not None and longitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, _("lat must be within ±90 and long within ±180."))
    compound = None
    if address_id := params.get("address_id"):
        compound = selectors.compound_in(community, address_id)
        if compound is None:
            raise Open311Error(400, _("Unknown address_id in this jurisdiction: %(id)s") % {"id": address_id})
    elif (address := params.get("address_string")) and latitude is None:
        compound = selectors.compound_named(community, address)
        if compound is None:
            raise Open311Error(
                400, _("This address_string names no compound of this jurisdiction; give lat and long or address_id.")
            )
    grid = None
    if latitude is not None and longitude is not None and compound is None:
        grid = territory_selectors.locate_grid(longitude, latitude, within=community)
        if grid is None:
            raise Open311Error(400, _("This location lies outside the jurisdiction."))
    if grid is None and compound is None:
        raise Open311Error(400, _("Give lat and long, address_string or address_id."))
    return grid, compound, longitude, latitude


def parse_submission(params: Any, community: Area) -> Submission:
    """A POST requests body, checked against the service, its attributes and the jurisdiction (400/404)."""
    code = params.get("service_code")
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = selectors.service(code)
    if category is None:
        raise Open311Error(404, _("Unknown service: %(code)s") % {"code": code})
    description = params.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, _("The description is too long (at most 4000 characters)."))
    if media_url := params.get("media_url"):
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, _("media_url must be an http or https address.")) from None
        if len(media_url) > MAX_MEDIA_URL:
            raise Open311Error(400, _("media_url is too long."))
        # Never fetched (that would let anyone make us request any address): the link is kept for staff.
        description = f"{description}\n\nmedia_url: {media_url}".strip()
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, _("The description is too long (at most 4000 characters)."))
    email = params.get("email", "")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise Open311Error(400, _("email is not an e-mail address.")) from None
    grid, compound, longitude, latitude = _place(params, community)
    return Submission(
        category=category,
        description=description,
        grid=grid,
        compound=compound,
        longitude=longitude,
        latitude=latitude,
        address=params.get("address_string", ""),
        attributes=_attributes(params, category),
        reporter_name=_full_name(params.get("first_name", ""), params.get("last_name", "")),
        reporter_phone=params.get("phone", ""),
        reporter_email=email,
    )


def request_create(*, request: HttpRequest, params: Any, community: Area, key: str) -> Case:
    """File a service request as a case of the community: key, jurisdiction, rate and input checked first."""
    user, api_key = integrator(key)
    if not may_file_in(user, community):
        raise Open311Error(403, _("This api_key may not file requests in this jurisdiction."))
    if not rate_limit(api_key).hit(request):
        raise Open311Error(429, _("Too many requests; try again in a minute."))
    submission = parse_submission(params, community)
    try:
        with transaction.atomic():
            return case_services.case_report(
                actor=None,
                source=Source.OPEN311,
                category=submission.category,
                description=submission.description,
                area=submission.grid,
                compound=submission.compound,
                longitude=submission.longitude,
                latitude=submission.latitude,
                address=submission.address,
                attributes=submission.attributes,
                reporter_name=submission.reporter_name,
                reporter_phone=submission.reporter_phone,
                reporter_email=submission.reporter_email,
            )
    except ValidationError as error:
        raise Open311Error(400, " ".join(error.messages)) from None
    except PermissionDenied as error:
        raise Open311Error(403, str(error)) from None
