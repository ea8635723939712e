"""Helpers around the one scoping mechanism (`ScopedQuerySet.for_user`)."""

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

M = TypeVar("M", bound=models.Model)


def ensure_in_scope(instance: models.Model, *, actor, action: str) -> None:
    """Inside a service's transaction, after the write: the actor may still `action` the row, or roll back.

    This is what stops someone from editing a row into an area they cannot see. The system (actor None)
    is not limited.
    """
    if actor is None:
        return
    if not type(instance).objects.for_user(actor, action).filter(pk=instance.pk).exists():
        raise PermissionDenied(_("This would move the record outside the areas you are responsible for."))


def check_actor_may(actor, action: str, path: str) -> None:
    """Before a write: the actor holds `action` somewhere above `path`, or PermissionDenied (the system may)."""
    if actor is None:
        return
    prefixes = actor.area_prefixes(action)
    if prefixes is not None and not any(path.startswith(p) for p in prefixes):
        raise PermissionDenied(_("You are not responsible for this area."))


def get_for_user(queryset: models.QuerySet, user, action: str = "view", **lookup) -> M:
    """The one row matching `lookup` that `user` may see; 404 when out of scope, 403 when seen but not `action`."""
    try:
        instance = queryset.for_user(user, "view").get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
    if action != "view" and not queryset.for_user(user, action).filter(pk=instance.pk).exists():
        raise PermissionDenied
    return instance
