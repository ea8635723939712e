"""REST settings targets: pagination and the one error mapping (kept apart from viewsets to avoid import cycles)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination
from rest_framework.views import exception_handler as drf_exception_handler


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N&page_size=M (at most 500); responses carry count, next, previous and results."""

    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Domain errors (Django's ValidationError from services) become 400 with their messages, in one place."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


@csrf_exempt  # it writes nothing; a POST with a session cookie gets this 404, not the CSRF page
def not_found(request, *args, **kwargs):
    """404 in the API's own shape for a URL under /api/ that names no operation (e.g. `/api/v1/cases/1.5/`,
    which the routers' lookup pattern does not match): an API client gets JSON, not the staff pages' HTML."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
