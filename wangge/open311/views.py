"""Open311 GeoReport v2 endpoints: parse, call a selector or service, render in the format the path asks for."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.open311 import selectors, services, wire
from wangge.open311.errors import Open311Error
from wangge.territory.models import Area

View = Callable[..., HttpResponse]


def _params(request: HttpRequest) -> QueryDict:
    """Query and form parameters together; empty ones count as absent."""
    params = QueryDict(mutable=True)
    sources = (request.GET, request.POST) if request.method == "POST" else (request.GET,)
    for source in sources:
        for name in source:
            values = [value for value in source.getlist(name) if value.strip()]
            if values:
                params.setlist(name, values)
    return params


def endpoint(*methods: str) -> Callable[[View], View]:
    """An Open311 endpoint: allowed methods, the parameters handed to the view, errors as errors/error in format."""

    def decorate(view: View) -> View:
        @csrf_exempt  # integrators post with an api_key, never with a session cookie
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: str) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, _("Method not allowed."))
                return view(request, fmt, _params(request), **kwargs)
            except Open311Error as error:
                response = wire.errors(fmt, error.status, error.description)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response

        return wrapper

    return decorate


def _jurisdiction(params: QueryDict) -> Area:
    return selectors.jurisdiction(params.get("jurisdiction_id"))


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str, params: QueryDict) -> HttpResponse:
    contact = getattr(settings, "OPEN311_CONTACT", "")
    key_service = getattr(settings, "OPEN311_KEY_SERVICE", "") or _("Ask the community office for an API key.")
    return wire.respond(fmt, "discovery", wire.discovery(request, contact=contact, key_service=key_service))


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str, params: QueryDict) -> HttpResponse:
    _jurisdiction(params)
    return wire.respond(fmt, "services", [wire.service(category) for category in selectors.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, params: QueryDict, code: str) -> HttpResponse:
    _jurisdiction(params)
    category = selectors.service(code)
    if category is None:
        raise Open311Error(404, _("Unknown service: %(code)s") % {"code": code})
    return wire.respond(fmt, "service_definition", wire.service_definition(category))


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str, params: QueryDict) -> HttpResponse:
    community = _jurisdiction(params)
    if request.method == "POST":
        case = services.request_create(
            request=request, params=params, community=community, key=params.get("api_key", "")
        )
        return wire.respond(fmt, "service_requests", [wire.created(case)], status=201)
    cases = selectors.requests(community, params)
    return wire.respond(fmt, "service_requests", [wire.service_request(request, case) for case in cases])


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, params: QueryDict, number: str) -> HttpResponse:
    case = selectors.public_case(_jurisdiction(params), number)
    return wire.respond(fmt, "service_requests", [wire.service_request(request, case)])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, params: QueryDict, token: str) -> HttpResponse:
    # The token is the case number: the number exists as soon as the request is filed, and it is no secret
    # (the tracking code, the reporter's secret that allows rating, never leaves the reporter's link).
    community = _jurisdiction(params)
    try:
        case = selectors.public_case(community, token)
    except Open311Error:
        raise Open311Error(404, _("Unknown token: %(token)s") % {"token": token}) from None
    return wire.respond(fmt, "service_requests", [wire.token(case)])


@endpoint("GET")
def updates(request: HttpRequest, fmt: str, params: QueryDict) -> HttpResponse:
    events = selectors.updates(_jurisdiction(params), params)
    return wire.respond(fmt, "service_request_updates", [wire.request_update(event) for event in events])


def media(request: HttpRequest, pk: int) -> HttpResponse:
    """A public photo after handling (media_url); nothing else is served."""
    photo = selectors.public_photo(int(pk))
    if photo is None:
        return HttpResponse(status=404)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response
