"""Shared base models: timestamps, area scoping, and the append-only audit log."""

from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ScopeHolder(Protocol):
    """What scoping needs of a user: the area path prefixes in which it may take an action."""

    is_authenticated: bool

    def area_prefixes(self, action: str) -> list[str] | None:
        """None means no limit (a superuser); an empty list means nowhere."""


class ScopedQuerySet(models.QuerySet):
    """The one scoping mechanism: rows whose area path lies under one of the user's prefixes for an action."""

    scope_field = "area_path"

    def for_user(self, user: ScopeHolder | None, action: str = "view") -> "ScopedQuerySet":
        """The rows `user` may take `action` on; none for anonymous users."""
        if user is None or not user.is_authenticated:
            return self.none()
        prefixes = user.area_prefixes(action)
        if prefixes is None:
            return self
        if not prefixes:
            return self.none()
        condition = Q()
        for prefix in prefixes:
            condition |= Q(**{f"{self.scope_field}__startswith": prefix})
        return self.filter(condition)


class ScopedModel(TimeStampedModel):
    """A row that belongs to the smallest area (or compound) that holds it, by materialized path."""

    area_path = models.CharField(_("area path"), max_length=120, db_index=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.area_path = self.compute_area_path()
        super().save(*args, **kwargs)

    def compute_area_path(self) -> str:
        """The path this row belongs under; each model says where it lives."""
        raise NotImplementedError


class AuditEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")


class AuditEvent(models.Model):
    """审计日志: one change or sensitive read, written by a service in the same transaction. Append-only."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    area_path = models.CharField(_("area path"), max_length=120, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit log is append-only")
