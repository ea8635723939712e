"""The people register: residents, households and the residence registrations of floating residents.

Personal data under the Personal Information Protection Law. ID numbers, phones, permit numbers and sensitive
care tags are encrypted (core.pii) and found by blind index; names, sex and birth dates stay in clear because
every list is sorted and filtered by them. Who sees which field is decided in `selectors.ResidentCard`.
"""

import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import REGISTER_ROLES, Role
from wangge.core.models import ScopedModel, ScopedQuerySet
from wangge.core.pii import BlindIndexField, BlindIndexSetField, EncryptedCharField, mask_name
from wangge.people import tags as care_tags
from wangge.territory.models import Area, Assignment, Dwelling

# Children under this age: all their data is sensitive personal information (PIPL art. 28).
CHILD_AGE = 14


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class IdType(models.TextChoices):
    ID_CARD = "id_card", _("resident identity card")
    HK_MACAO_TAIWAN = "hk_macao_taiwan", _("Hong Kong, Macao or Taiwan residence permit")
    PASSPORT = "passport", _("foreign passport")
    OTHER = "other", _("other document")


class Residence(models.TextChoices):
    REGISTERED = "registered", _("registered resident (户籍)")
    PERMANENT = "permanent", _("permanent, registered elsewhere (常住非户籍)")
    FLOATING = "floating", _("floating population (流动人口)")


class ResidentStatus(models.TextChoices):
    LIVING = "living", _("living here")
    MOVED_OUT = "moved_out", _("moved out")
    DECEASED = "deceased", _("deceased")


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDPARENT = "grandparent", _("grandparent")
    GRANDCHILD = "grandchild", _("grandchild")
    SIBLING = "sibling", _("sibling")
    RELATIVE = "relative", _("other relative")
    OTHER = "other", _("not related (tenant, carer ...)")


# REGISTER_ROLES (accounts.roles): the roles that work with the register across their whole area.


class PeopleQuerySet(ScopedQuerySet):
    """The one scoping rule, narrowed for the people register.

    Only the register's roles see its rows: office roles (`REGISTER_ROLES`) their whole area, building leaders
    (包干到户) the residents of the buildings they hold an active responsibility assignment for inside their
    compound, and no others. Volunteers and partner-unit representatives see nothing here. `building_field` is
    where a row names its building; a model without one (residence registrations) is not shown to building
    leaders at all.
    """

    building_field: str | None = "dwelling__building_id"

    def for_user(self, user, action: str = "view") -> "PeopleQuerySet":
        queryset = super().for_user(user, action)
        if user is None or not user.is_authenticated or user.area_prefixes(action) is None:
            return queryset
        condition = Q(pk__in=[])
        for prefix in user.area_prefixes(action, roles=REGISTER_ROLES):
            condition |= Q(area_path__startswith=prefix)
        leader_prefixes = user.area_prefixes(action, roles={Role.BUILDING_LEADER})
        if leader_prefixes and self.building_field:
            inside = Q(pk__in=[])
            for prefix in leader_prefixes:
                inside |= Q(area_path__startswith=prefix)
            own_buildings = Assignment.objects.filter(person=user, active=True, building__isnull=False)
            condition |= inside & Q(**{f"{self.building_field}__in": own_buildings.values("building_id")})
        return queryset.filter(condition)


class Household(ScopedModel):
    """家庭户: the people living together in one dwelling; its number (户号) is unique in its community."""

    community = models.ForeignKey(
        Area, verbose_name=_("community"), related_name="households", on_delete=models.PROTECT
    )
    number = models.CharField(_("household number"), max_length=32)
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), related_name="households", on_delete=models.PROTECT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = PeopleQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["area_path", "number"]
        constraints = [models.UniqueConstraint(fields=["community", "number"], name="household_unique_number")]

    def __str__(self) -> str:
        return str(_("household %(number)s") % {"number": self.number})

    def get_absolute_url(self) -> str:
        return reverse("people:household_detail", args=[self.pk])

    @property
    def code(self) -> str:
        """How lists of places name a household (the coverage report, its ledger): its number."""
        return self.number

    def compute_area_path(self) -> str:
        return self.dwelling.area_path


class Resident(ScopedModel):
    """居民: one person living (or once living) in the community, in a dwelling, usually in a household."""

    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(_("document type"), max_length=16, choices=IdType.choices, default=IdType.ID_CARD)
    id_number = EncryptedCharField(_("document number"), masker="mask_id_number")
    id_number_index = BlindIndexField(source="id_number")
    phone = EncryptedCharField(_("phone"), masker="mask_phone")
    phone_index = BlindIndexField(source="phone")
    residence = models.CharField(_("residence type"), max_length=12, choices=Residence.choices)
    registered_address = models.CharField(_("place of household registration"), max_length=200, blank=True)
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), related_name="residents", on_delete=models.PROTECT
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        related_name="members",
        on_delete=models.PROTECT,
    )
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices, blank=True)
    # Plain care tags between commas (",veteran,elderly_alone,") so that one LIKE finds a tag.
    tags = models.CharField(_("care tags"), max_length=200, blank=True, default="")
    sensitive_tags = EncryptedCharField(_("sensitive care tags"), masker="mask_text")
    sensitive_tags_index = BlindIndexSetField(source="sensitive_tags", namespace="people.resident.tag")
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ResidentStatus.choices, default=ResidentStatus.LIVING, db_index=True
    )
    # Set when a resident moves out or dies; `wangge sweep` purges the record after the retention period.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, db_index=True)

    objects = PeopleQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["area_path", "dwelling_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], condition=~Q(id_number_index=""), name="resident_unique_id_number"
            )
        ]
        indexes = [models.Index(fields=["residence", "area_path"], name="resident_residence_path")]

    def __str__(self) -> str:
        return self.name

    # The audit log outlives a purged record: it keeps whose record it was only masked (see core.audit).
    AUDIT_MASKED = {"name": "mask_name", "birth_date": "mask_text", "registered_address": "mask_text"}

    def audit_label(self) -> str:
        return f"{mask_name(self.name)} #{self.pk}"

    def compute_area_path(self) -> str:
        return self.dwelling.area_path

    def age(self, on: datetime.date | None = None) -> int | None:
        """Whole years on `on` (today in Beijing by default)."""
        if self.birth_date is None:
            return None
        on = on or timezone.localdate()
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def is_child(self) -> bool:
        age = self.age()
        return age is not None and age < CHILD_AGE

    def revealed_display(self, field: str, value: str) -> str:
        """How a revealed value reads on a page: sensitive tags by their labels, other fields as stored."""
        if field == "sensitive_tags":
            return "、".join(care_tags.labels(value))
        return value


class RegistrationQuerySet(PeopleQuerySet):
    building_field = None


class ResidenceRegistration(ScopedModel):
    """居住登记 / 居住证: a resident registered as living here though registered elsewhere, with any permit."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), related_name="registrations", on_delete=models.CASCADE
    )
    registered_on = models.DateField(_("registered on"))
    permit_number = EncryptedCharField(_("residence permit number"), masker="mask_id_number")
    permit_number_index = BlindIndexField(source="permit_number")
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("residence registration")
        verbose_name_plural = _("residence registrations")
        ordering = ["-registered_on", "-id"]

    def __str__(self) -> str:
        return str(_("registration of %(date)s") % {"date": self.registered_on.isoformat()})

    def compute_area_path(self) -> str:
        return self.resident.area_path
