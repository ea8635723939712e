"""Revealing a masked personal value: a separate action, permitted by role, with a reason, always audited."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.pii import EncryptedCharField

REVEAL_PII = "reveal_pii"  # accounts.roles.Action.REVEAL_PII; core does not import accounts


def revealable(label: str, field_name: str) -> tuple[type[models.Model], EncryptedCharField]:
    """The scoped model named `label` ("people.resident") and its encrypted field, or 404."""
    try:
        model = apps.get_model(label)
        field = model._meta.get_field(field_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        raise Http404 from None
    if not isinstance(field, EncryptedCharField) or not hasattr(model.objects, "for_user"):
        raise Http404
    return model, field


@transaction.atomic
def pii_reveal(*, actor, instance: models.Model, field: str, reason: str) -> str:
    """The clear value of one encrypted field, for an actor allowed to reveal it here; the reason is logged."""
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why you need to see this value.")})
    model = type(instance)
    if not model.objects.for_user(actor, REVEAL_PII).filter(pk=instance.pk).exists():
        raise PermissionDenied(_("You may not reveal personal data here."))
    model_field = instance._meta.get_field(field)
    audit.record(
        actor=actor,
        action="pii.reveal",
        instance=instance,
        after={"field": field, "label": str(model_field.verbose_name)},
        reason=reason,
    )
    return getattr(instance, field)
