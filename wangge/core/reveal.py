"""Revealing a masked personal value: a separate action, permitted by role, with a reason, always audited.

Only the fields named in `REVEALABLE` can be revealed; any other model or field is "not found", even an
encrypted one (a webhook's secret, say, is not personal data to show a person in clear). The permission is
checked before anything else is said about the value: a user who may not reveal learns neither the value,
nor its masked form, nor whether there is one.
"""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.pii import EncryptedCharField

REVEAL_PII = "reveal_pii"  # accounts.roles.Action.REVEAL_PII; core does not import accounts

# What may be revealed, by model label: the personal values a page shows masked with a 「查看」 button.
REVEALABLE: dict[str, frozenset[str]] = {
    "people.resident": frozenset({"id_number", "phone", "sensitive_tags"}),
    "people.residenceregistration": frozenset({"permit_number"}),
    "territory.shop": frozenset({"contact_name", "contact_phone"}),
    "territory.partnerunit": frozenset({"contact_name", "contact_phone"}),
}


def revealable(label: str, field_name: str) -> tuple[type[models.Model], EncryptedCharField]:
    """The model named `label` ("people.resident") and its field, when the pair is in `REVEALABLE`; else 404."""
    if field_name not in REVEALABLE.get(label, ()):
        raise Http404
    try:
        model = apps.get_model(label)
        field = model._meta.get_field(field_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        raise Http404 from None
    if not isinstance(field, EncryptedCharField) or not hasattr(model.objects, "for_user"):
        raise Http404
    return model, field


def check_may_reveal(actor, instance: models.Model) -> None:
    """PermissionDenied unless `actor` may reveal personal data of `instance` (REVEAL_PII over its area)."""
    if not type(instance).objects.for_user(actor, REVEAL_PII).filter(pk=instance.pk).exists():
        raise PermissionDenied(_("You may not reveal personal data here."))


@transaction.atomic
def pii_reveal(*, actor, instance: models.Model, field: str, reason: str) -> str:
    """The clear value of one revealable field, for an actor allowed to reveal it here; the reason is logged.

    The permission first (PermissionDenied), then the reason (ValidationError): a refused user is not asked
    for a reason they could never use."""
    if field not in REVEALABLE.get(instance._meta.label_lower, ()):
        raise PermissionDenied(_("You may not reveal personal data here."))
    check_may_reveal(actor, instance)
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why you need to see this value.")})
    model_field = instance._meta.get_field(field)
    audit.record(
        actor=actor,
        action="pii.reveal",
        instance=instance,
        after={"field": field, "label": str(model_field.verbose_name)},
        reason=reason,
    )
    return getattr(instance, field)
