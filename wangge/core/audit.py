"""The one audit mechanism: services call `record` inside their transaction."""

import datetime
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from wangge.core import context
from wangge.core.models import AuditEvent
from wangge.core.pii import MASKERS, EncryptedCharField

# Secrets and their hashes never go into the log, nor do timestamps the event has itself.
_OMITTED = {"created_at", "updated_at", "password", "hashed"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(instance: models.Model | None) -> dict[str, Any] | None:
    """The row's fields as JSON-safe values; personal data only in masked form, never in clear."""
    if instance is None:
        return None
    data: dict[str, Any] = {}
    masked_fields = getattr(instance, "AUDIT_MASKED", {})
    for field in instance._meta.concrete_fields:
        if field.name in _OMITTED or field.name.endswith("_index"):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedCharField):
            value = field.mask(value)
        elif field.name in masked_fields and value:
            value = MASKERS[masked_fields[field.name]](str(value))
        data[field.attname] = _plain(value)
    return data


def describe(instance: models.Model) -> str:
    """How the log names a row: its audit_label() when it has one (personal records, masked), else str()."""
    label = instance.audit_label() if hasattr(instance, "audit_label") else str(instance)
    return label[:200]


def record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    area_path: str | None = None,
) -> AuditEvent:
    """Append one audit event for `actor` doing `action` to `instance` (actor None means the system)."""
    event = _event(actor=actor, action=action, instance=instance, before=before, after=after, reason=reason)
    if area_path is not None:
        event.area_path = area_path
    event.save()
    return event


def _event(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
) -> AuditEvent:
    """The unsaved audit event of one action on one row, with the request's id and address."""
    request = context.current()
    label = "system"
    if actor is not None:
        label = getattr(actor, "display_name", "") or actor.get_username()
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label[:150],
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=describe(instance),
        before=before,
        after=after,
        reason=reason[:300],
        request_id=request.request_id,
        ip=request.ip,
        area_path=getattr(instance, "area_path", "") or "",
    )


def record_export(*, actor: Any, name: str, area_path: str, detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one audit event for a download of a ledger or report (every export is audited)."""
    request = context.current()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(getattr(actor, "display_name", "") or actor.get_username())[:150] if actor else "system",
        action=f"export.{name}",
        object_type="export",
        object_id=name,
        object_repr=name,
        after=detail or {},
        request_id=request.request_id,
        ip=request.ip,
        area_path=area_path,
    )


def record_many(
    *,
    actor: Any,
    action: str,
    items: list[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]],
    reason: str = "",
) -> int:
    """Append one audit event per (instance, before, after) in one bulk insert: an import of thousands of rows
    is audited row by row without a round trip per row."""
    if not items:
        return 0
    events = [
        _event(actor=actor, action=action, instance=instance, before=before, after=after, reason=reason)
        for instance, before, after in items
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def record_access(
    *,
    actor: Any,
    action: str,
    object_type: str,
    area_path: str,
    detail: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit event for an access to personal data that concerns no single row: a search by a full
    ID or phone number (`pii.search`) or a filter by a sensitive tag (`pii.filter`). `detail` holds what was
    asked, masked, and how many rows answered."""
    request = context.current()
    label = "system"
    if actor is not None:
        label = getattr(actor, "display_name", "") or actor.get_username()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label[:150],
        action=action,
        object_type=object_type,
        object_id="",
        object_repr=action,
        after=detail or {},
        reason=reason[:300],
        request_id=request.request_id,
        ip=request.ip,
        area_path=area_path,
    )
