"""Campaign pages: the list, the campaign's overview and facts, starting and closing it."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from wangge.accounts.access import office_page
from wangge.accounts.roles import CAMPAIGN_VIEW_ROLES


def campaign_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An office page of campaigns: signed in, with a staff role that works on campaigns (403 before any lookup
    otherwise); which campaign the user may open is then `selectors.campaign_for`'s (404 outside)."""

    @office_page
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_superuser and not user.roles() & CAMPAIGN_VIEW_ROLES:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # replaced as the pages are written
    raise NotImplementedError


campaign_list = campaign_create = campaign_detail = campaign_edit = campaign_status = _todo
