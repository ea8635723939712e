"""Refusing a request body that is too large before anything reads it.

Django's CSRF middleware reads a whole form, and DRF's parsers a whole body, before a view runs: an upload of
any size would be spooled to disk first and refused only afterwards. A view that takes uploads checks the
announced Content-Length first and refuses with 413; only then is CSRF checked (pages) or the request
authenticated and parsed (API). Pages that take files use `body_limit`; API views that write use
`BodyLimitMixin` (1 MB unless an action takes files). Other pages' forms are read by the CSRF middleware as
Django reads any form: the reverse proxy's body limit (see README) bounds those.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from rest_framework import exceptions, status
from rest_framework.request import Request

# What an API request without a file may need: JSON or a form of text fields.
API_MAX_BODY = 1024 * 1024


def announced_length(request: HttpRequest) -> int:
    """The body's length as the request announces it (Content-Length); nothing is read."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def body_limit(
    limit: Callable[..., int], refuse: Callable[[HttpRequest], HttpResponse], *, floor: int = 0
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a page view that takes uploads: a body over `limit(**view_kwargs)` bytes gets `refuse(request)`
    (which answers 413) before anything reads it; otherwise CSRF is checked as usual and the view runs.

    The view becomes exempt from the CSRF middleware, which would read the upload first, and is protected here
    instead. Bodies of at most `floor` bytes pass without calling `limit` (when working out the limit costs a
    query, an ordinary form need not pay for it).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            length = announced_length(request)
            if length > floor and length > limit(**kwargs):
                return refuse(request)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapped)

    return decorator


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request is too large.")
    default_code = "too_large"


class BodyLimitMixin:
    """For API views: refuse a POST whose announced body is over `body_limit(action)` bytes with 413, before
    authentication (the session's CSRF check and the parsers would read and spool the whole upload first)."""

    action: str | None

    def body_limit(self, action: str | None) -> tuple[int, str]:
        """The largest body the action takes, and what a larger one is told; actions with files override it."""
        return API_MAX_BODY, _("The request is too large.")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method in {"POST", "PUT", "PATCH"}:
            limit, message = self.body_limit(self.action)
            if announced_length(request) > limit:
                raise BodyTooLarge(message)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
