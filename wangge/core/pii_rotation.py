"""Key rotation of encrypted personal data: re-encrypt every value not under the current key, in batches.

The procedure (README, Privacy): put the new key first in WANGGE_PII_KEYS and keep the old one after it, run
`wangge pii rotate-key`, check `wangge pii status`, then drop the old key. The application keeps running: old
keys stay readable in the ring while values move. Each batch is its own transaction over locked rows, and a
batch only picks values not yet under the current key, so an interrupted run is finished by running it again.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q

from wangge.core import context
from wangge.core.models import AuditEvent
from wangge.core.pii import DecryptionError, EncryptedCharField, key_ring, pii_fields

_PREFIX = "v1:"

Progress = Callable[[str], None]


class RotationError(Exception):
    """A value could not be re-encrypted (its key is not in the ring, or it does not verify)."""


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedCharField]]]:
    """Every concrete model with encrypted fields, and those fields, in a stable order."""
    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label_lower):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in pii_fields(model) if f.model is model and f.concrete]
        if fields:
            found.append((model, sorted(fields, key=lambda f: f.name)))
    return found


def _under(field: EncryptedCharField, key_id: str) -> Q:
    # startswith does not pass its argument through get_prep_value (pattern lookups don't prepare the
    # right-hand side), so this compares the stored token's prefix, not an encryption of it.
    return Q(**{f"{field.attname}__startswith": f"{_PREFIX}{key_id}:"})


def _encrypted(field: EncryptedCharField) -> Q:
    return Q(**{f"{field.attname}__startswith": _PREFIX})


def stale(field: EncryptedCharField, current_id: str | None = None) -> Q:
    """Rows whose value in `field` is encrypted, but not under the current key."""
    return _encrypted(field) & ~_under(field, current_id or key_ring().current_id)


@dataclass
class FieldStatus:
    """How the values of one encrypted column are spread over the keys."""

    label: str
    by_key: dict[str, int] = field(default_factory=dict)
    unknown: int = 0  # under a key id no longer in the ring: unreadable until that key comes back

    @property
    def old(self) -> int:
        current = key_ring().current_id
        return sum(n for key_id, n in self.by_key.items() if key_id != current) + self.unknown


def status() -> list[FieldStatus]:
    """Per encrypted column, how many values are under each key of the ring (and under none of them)."""
    ring = key_ring()
    report = []
    for model, fields in encrypted_models():
        manager = model._base_manager
        for pii_field in fields:
            entry = FieldStatus(label=f"{model._meta.label_lower}.{pii_field.name}")
            encrypted = manager.filter(_encrypted(pii_field)).count()
            for key_id in ring.keys:
                entry.by_key[key_id] = manager.filter(_under(pii_field, key_id)).count()
            entry.unknown = encrypted - sum(entry.by_key.values())
            report.append(entry)
    return report


@dataclass
class ModelRotation:
    """What a rotation did (or, in a dry run, would do) to one model."""

    label: str
    by_field: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_field.values())


def _reencrypt(manager: models.Manager, pii_field: EncryptedCharField, pk: object, clear: str) -> None:
    # update() sends the value through get_prep_value, which encrypts it under the current key.
    manager.filter(pk=pk).update(**{pii_field.attname: clear})


def _batch(model: type[models.Model], pii_field: EncryptedCharField, current_id: str, size: int) -> int:
    """Re-encrypt up to `size` stale values of one column in one transaction; how many were done."""
    manager = model._base_manager
    with transaction.atomic():
        # Locked and re-checked: a concurrent run, or a save of the row, cannot interleave with this batch.
        locked = manager.select_for_update().filter(stale(pii_field, current_id)).order_by("pk")
        try:
            rows = list(locked.values_list("pk", pii_field.attname)[:size])
        except DecryptionError as error:
            raise RotationError(
                f"{model._meta.label_lower}.{pii_field.name}: a value cannot be decrypted ({error}); "
                "is its key still in WANGGE_PII_KEYS?"
            ) from None
        for pk, clear in rows:
            _reencrypt(manager, pii_field, pk, clear)
    return len(rows)


def record_system(*, action: str, object_type: str, object_id: str, after: dict, area_path: str = "") -> AuditEvent:
    """Append one audit event done by the system (a command), not about one row."""
    request = context.current()
    return AuditEvent.objects.create(
        actor=None,
        actor_label="system",
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_type[:200],
        after=after,
        request_id=request.request_id,
        ip=request.ip,
        area_path=area_path,
    )


def rotate(*, batch_size: int = 500, dry_run: bool = False, progress: Progress | None = None) -> list[ModelRotation]:
    """Re-encrypt every value not under the current key, model by model, one batch per transaction.

    Resumable and safe to run beside the application. A dry run only counts. Each model whose values moved
    gets one audit event with the counts.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    say = progress or (lambda line: None)
    current_id = key_ring().current_id
    report = []
    for model, fields in encrypted_models():
        label = model._meta.label_lower
        done = ModelRotation(label=label)
        for pii_field in fields:
            if dry_run:
                done.by_field[pii_field.name] = model._base_manager.filter(stale(pii_field, current_id)).count()
                continue
            count = 0
            while moved := _batch(model, pii_field, current_id, batch_size):
                count += moved
                say(f"{label}.{pii_field.name}: {count} re-encrypted")
            done.by_field[pii_field.name] = count
        say(f"{label}: {done.total} {'to re-encrypt' if dry_run else 're-encrypted'} under {current_id}")
        if done.total and not dry_run:
            record_system(
                action="pii.rotate_key",
                object_type=label,
                object_id=current_id,
                after={"key": current_id, "reencrypted": done.total, "fields": done.by_field},
            )
        report.append(done)
    return report
