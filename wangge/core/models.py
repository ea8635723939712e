"""Shared base models: timestamps, area scoping, and the append-only audit log."""

import uuid
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.pii import EncryptedCharField


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ScopeHolder(Protocol):
    """What scoping needs of a user: the area path prefixes in which it may take an action."""

    is_authenticated: bool

    def area_prefixes(self, action: str, *, roles: Any = None) -> list[str] | None:
        """None means no limit (a superuser); an empty list means nowhere; `roles` limits it to those roles."""


class ScopedQuerySet(models.QuerySet):
    """The one scoping mechanism: rows whose area path lies under one of the user's prefixes for an action."""

    scope_field = "area_path"

    def for_user(self, user: ScopeHolder | None, action: str = "view", *, roles: Any = None) -> "ScopedQuerySet":
        """The rows `user` may take `action` on (through `roles` only, when given); none for anonymous users."""
        if user is None or not user.is_authenticated:
            return self.none()
        prefixes = user.area_prefixes(action) if roles is None else user.area_prefixes(action, roles=roles)
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


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday")
    WORKDAY = "workday", _("make-up workday")


class CalendarDay(models.Model):
    """日历调整: a public holiday (节假日), or a weekend day worked in exchange (调休上班日).

    Every other day follows the week: Monday to Friday are working days. Calendars are data per
    deployment (`wangge calendar import`), not migrations.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".rstrip()


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group bot")
    DINGTALK = "dingtalk", _("DingTalk group bot")
    JSON = "json", _("JSON (generic)")


class WebhookEndpoint(ScopedModel):
    """消息推送地址: a group bot or JSON receiver that gets the events of an area and everything under it.

    The URL carries the bot's key, so it is stored encrypted like the signing secret, and shown masked.
    """

    scope_path = models.CharField(_("scope"), max_length=120, help_text=_("Path of the area whose events it gets."))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=WebhookKind.choices)
    url = EncryptedCharField(_("URL"), masker="mask_text", max_length_clear=500, blank=False)
    secret = EncryptedCharField(_("signing secret"), masker="mask_text", max_length_clear=200)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("Event names, or prefixes like case.*; empty: all events.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["scope_path", "name"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.scope_path

    def clean(self) -> None:
        if self.url and not self.url.lower().startswith(("https://", "http://")):
            raise ValidationError({"url": _("The address must start with https:// or http://.")})
        if not isinstance(self.events, list) or not all(isinstance(event, str) for event in self.events):
            raise ValidationError({"events": _("Give a list of event names.")})

    def wants(self, event: str) -> bool:
        """Whether this endpoint subscribes to `event` (exact name, a `prefix.*` pattern, or no filter at all)."""
        if not self.events:
            return True
        return any(
            pattern == event or (pattern.endswith(".*") and event.startswith(pattern[:-1])) for pattern in self.events
        )


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("in-app")
    EMAIL = "email", _("email")
    WEBHOOK = "webhook", _("webhook")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("given up")


class Notification(models.Model):
    """通知: one message to one target (a user's inbox, an email address, a webhook), kept as an outbox row.

    Written in the transaction of the change it tells about; sent later by `deliver_due`, retried with back-off.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        related_name="notifications",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        related_name="notifications",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    # A resident's address is personal data like any other: encrypted at rest.
    email = EncryptedCharField(_("email address"), masker="mask_text")
    event = models.CharField(_("event"), max_length=60, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    area_path = models.CharField(_("area path"), max_length=120, db_index=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=255, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # What the sweep asks: rows due for (another) attempt.
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            # What the navbar badge and the inbox ask: a user's unread in-app messages.
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.event}: {self.subject}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    CHECKING = "checking", _("checking the rows")
    WRITING = "writing", _("writing")
    DONE = "done", _("done")
    REJECTED = "rejected", _("refused: nothing written")
    FAILED = "failed", _("failed")


# Statuses of a job still under way: its page keeps polling.
IMPORT_RUNNING = frozenset({ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.WRITING})


def _import_upload_path(instance: "ImportJob", filename: str) -> str:
    # A random name: the original name (often a person's or a compound's) stays in the row, not on disk.
    return f"imports/{uuid.uuid4().hex}.xlsx"


def _import_errors_path(instance: "ImportJob", filename: str) -> str:
    return f"imports/errors/{uuid.uuid4().hex}.xlsx"


class ImportJob(ScopedModel):
    """导入任务: one Excel ledger uploaded for import into a community, run in the background.

    The upload holds personal data: it is deleted when the job finishes. The error workbook is kept for a
    week (`wangge sweep`). Filed under the community, so that its auditors see it besides the importer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ledger = models.CharField(_("ledger"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        related_name="import_jobs",
        on_delete=models.SET_NULL,
    )
    scope_path = models.CharField(_("scope"), max_length=120)
    scope_code = models.CharField(_("community code"), max_length=15)
    scope_name = models.CharField(_("community"), max_length=100, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    upload = models.FileField(_("uploaded file"), upload_to=_import_upload_path, blank=True, max_length=200)
    apply_valid = models.BooleanField(_("import only the valid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    errors = models.JSONField(_("first problems"), default=list, blank=True)
    error_file = models.FileField(_("error workbook"), upload_to=_import_errors_path, blank=True, max_length=200)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ledger} {self.file_name} ({self.get_status_display()})"

    def compute_area_path(self) -> str:
        return self.scope_path

    @property
    def is_running(self) -> bool:
        return self.status in IMPORT_RUNNING
