"""Who may open the office pages: signed-in users whose roles can see something. Residents use /p/."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from wangge.accounts.roles import Action


def office_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; a user with no role that may view anything gets 403 before any lookup (no 404 hints)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.can(Action.VIEW):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class OfficePageMixin(LoginRequiredMixin):
    """The class-based form of `office_page`."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.can(Action.VIEW):
            raise PermissionDenied
        self.prepare(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def prepare(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        """Runs after the access checks, before the handler: load what the view is about."""


class HasOfficeRole(BasePermission):
    """The API's counterpart of `office_page`: a role that may view something, or 403."""

    def has_permission(self, request: HttpRequest, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can(Action.VIEW))
