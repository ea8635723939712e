"""Request id and client address for the audit log and the logs; the interface language."""

import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from wangge.core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR; we trust nothing else."""
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (a sane incoming X-Request-ID is kept) and remembers its client address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = context.set_current(context.RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds the request id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class LanguageMiddleware:
    """Simplified Chinese unless the user chose another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; an office PC or phone with an
    English browser would then show English although nobody asked for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        try:
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            # The thread serves the next request (or test) with the default again.
            translation.deactivate()
        patch_vary_headers(response, ("Cookie",))
        return response


class NullCharacterMiddleware:
    """A NUL character in the path (404: it names nothing) or in the query (400) never reaches a view.

    PostgreSQL cannot store or compare text holding NUL, so such input would otherwise end in a 500 wherever
    it reaches a query (a lookup by code, a search). Form and serializer fields refuse NUL in bodies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return self._refuse(request, 404, translation.gettext("Not found"))
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            return self._refuse(request, 400, translation.gettext("Null characters are not allowed."))
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path.startswith("/api/") or request.path.startswith("/open311/"):
            return JsonResponse({"detail": message}, status=status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
