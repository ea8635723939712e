"""The territory: areas down to grids, the places in them, and who answers for each place."""

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ScopedModel, ScopedQuerySet, TimeStampedModel
from wangge.core.pii import BlindIndexField, EncryptedCharField

PLACE_CODE = RegexValidator(
    re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$"),
    _("Use 2 to 32 letters, digits or hyphens, starting with a letter or digit."),
)


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("district")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")
    GRID = "grid", _("grid")


# Code length of each kind: statistical division codes, and the 15-digit unit-grid code (GB/T 30428.1).
CODE_LENGTH = {AreaKind.DISTRICT: 6, AreaKind.SUBDISTRICT: 9, AreaKind.COMMUNITY: 12, AreaKind.GRID: 15}
PARENT_KIND = {
    AreaKind.SUBDISTRICT: AreaKind.DISTRICT,
    AreaKind.COMMUNITY: AreaKind.SUBDISTRICT,
    AreaKind.GRID: AreaKind.COMMUNITY,
}


class AreaQuerySet(ScopedQuerySet):
    scope_field = "path"


class Area(TimeStampedModel):
    """区域: a district, subdistrict (街道), community (社区) or unit grid (网格).

    `path` is the materialized chain of codes, e.g. 410105/008/004/001/ for grid 001 of community 004 of
    subdistrict 008 of district 410105; every scoped row stores the path of the smallest area holding it.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=AreaKind.choices)
    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent area"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    path = models.CharField(_("path"), max_length=120, unique=True, editable=False)
    boundary = models.JSONField(_("boundary (GeoJSON, WGS-84)"), null=True, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=8, decimal_places=3, null=True, blank=True)
    # Declared by the office (statistics): shown until the people register holds the counted figures.
    population = models.PositiveIntegerField(_("population (declared)"), null=True, blank=True)
    floating_population = models.PositiveIntegerField(_("floating population (declared)"), null=True, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True)
    office_address = models.CharField(_("office address"), max_length=200, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def area_path(self) -> str:
        # Areas are scoped by their own path; the name lets audit and scoping treat them like other rows.
        return self.path

    @staticmethod
    def path_for(code: str, kind: str) -> str:
        """The materialized path of a code: district 6 digits, then 3 digits per level."""
        length = CODE_LENGTH[kind]
        parts = [code[:6]] + [code[i : i + 3] for i in range(6, length, 3)]
        return "/".join(parts) + "/"

    def community_path(self) -> str | None:
        return community_path_of(self.path)


def community_path_of(path: str) -> str | None:
    """The community's path that a scoped path lies under (None above community level)."""
    parts = path.split("/")
    if len(parts) < 4 or not parts[2]:
        return None
    return "/".join(parts[:3]) + "/"


class Trade(models.Model):
    """行业: a shop's trade, from a configurable list; `small_trade` marks the 五小 trades of this city."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    small_trade = models.BooleanField(_("small trade (五小)"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Management(models.TextChoices):
    PROPERTY_COMPANY = "property_company", _("property company")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    UNIT = "unit", _("work unit")
    NONE = "none", _("unmanaged (no managing body)")


class Compound(ScopedModel):
    """楼院 / 小区: a residential compound inside one grid; its notice board carries a QR code to its public page."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[PLACE_CODE])
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(Area, verbose_name=_("grid"), related_name="compounds", on_delete=models.PROTECT)
    address = models.CharField(_("address"), max_length=200, blank=True)
    management = models.CharField(_("management"), max_length=20, choices=Management.choices)
    management_name = models.CharField(_("managing body"), max_length=100, blank=True)
    longitude = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        # A compound is its own scope below the grid, so a building leader's membership can name it.
        return f"{self.area.path}{self.code}/"


class BuildingKind(models.TextChoices):
    RESIDENTIAL = "residential", _("residential building")
    OFFICE = "office", _("office building")


class Building(ScopedModel):
    """楼栋 / 写字楼: a residential building in a compound, or an office building standing in a grid."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[PLACE_CODE])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=BuildingKind.choices, default=BuildingKind.RESIDENTIAL)
    area = models.ForeignKey(Area, verbose_name=_("grid"), related_name="buildings", on_delete=models.PROTECT)
    compound = models.ForeignKey(
        Compound,
        verbose_name=_("compound"),
        null=True,
        blank=True,
        related_name="buildings",
        on_delete=models.PROTECT,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    longitude = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.compound.area_path if self.compound_id else self.area.path


class Dwelling(ScopedModel):
    """户 / 房屋: one dwelling (a place), in a building; households live in dwellings."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), related_name="dwellings", on_delete=models.PROTECT
    )
    unit = models.CharField(_("unit (entrance)"), max_length=10, blank=True)
    number = models.CharField(_("room number"), max_length=20)

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["building__code", "unit", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "unit", "number"], name="dwelling_unique_number")]

    def __str__(self) -> str:
        return f"{self.building.name} {self.unit}-{self.number}" if self.unit else f"{self.building.name} {self.number}"

    def compute_area_path(self) -> str:
        return self.building.area_path


class ShopStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed down")


class Shop(ScopedModel):
    """街边门店: a street shop in a grid, with its trade, licence and a contact (personal data, encrypted)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[PLACE_CODE])
    name = models.CharField(_("name"), max_length=100)
    trade = models.ForeignKey(Trade, verbose_name=_("trade"), related_name="shops", on_delete=models.PROTECT)
    licence_number = models.CharField(_("business licence number"), max_length=30, null=True, blank=True, unique=True)
    area = models.ForeignKey(Area, verbose_name=_("grid"), related_name="shops", on_delete=models.PROTECT)
    address = models.CharField(_("address"), max_length=200)
    contact_name = EncryptedCharField(_("contact person"), masker="mask_name")
    contact_phone = EncryptedCharField(_("contact phone"), masker="mask_phone")
    contact_phone_index = BlindIndexField(source="contact_phone")
    status = models.CharField(_("status"), max_length=10, choices=ShopStatus.choices, default=ShopStatus.OPEN)
    longitude = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)

    class Meta:
        verbose_name = _("street shop")
        verbose_name_plural = _("street shops")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.area.path


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", _("government body")
    INSTITUTION = "institution", _("public institution")
    STATE_ENTERPRISE = "state_enterprise", _("state-owned enterprise")
    NEW_ECONOMIC = "new_economic", _("new economic organisation (两新)")
    NEW_SOCIAL = "new_social", _("new social organisation (两新)")


class PartnerUnit(ScopedModel):
    """共建单位: an organisation that takes part in the community's joint meeting and joint work."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[PLACE_CODE])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), related_name="partner_units", on_delete=models.PROTECT)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = EncryptedCharField(_("contact person"), masker="mask_name")
    contact_phone = EncryptedCharField(_("contact phone"), masker="mask_phone")
    contact_phone_index = BlindIndexField(source="contact_phone")
    joint_work = models.TextField(_("joint work"), blank=True)

    class Meta:
        verbose_name = _("partner unit")
        verbose_name_plural = _("partner units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.area.path


class PlaceKind(models.TextChoices):
    COMPOUND = "compound", _("compound")
    BUILDING = "building", _("building")
    DWELLING = "dwelling", _("dwelling")
    SHOP = "shop", _("street shop")


class Assignment(ScopedModel):
    """包干到人、到户: a named person answers for a compound, building, dwelling or shop."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        related_name="assignments",
        on_delete=models.PROTECT,
    )
    compound = models.ForeignKey(Compound, null=True, blank=True, related_name="assignments", on_delete=models.CASCADE)
    building = models.ForeignKey(Building, null=True, blank=True, related_name="assignments", on_delete=models.CASCADE)
    dwelling = models.ForeignKey(Dwelling, null=True, blank=True, related_name="assignments", on_delete=models.CASCADE)
    shop = models.ForeignKey(Shop, null=True, blank=True, related_name="assignments", on_delete=models.CASCADE)
    duty = models.CharField(_("duty"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("responsibility assignment")
        verbose_name_plural = _("responsibility assignments")
        ordering = ["area_path", "id"]
        constraints = [
            models.CheckConstraint(
                name="assignment_exactly_one_place",
                condition=(
                    Q(compound__isnull=False, building__isnull=True, dwelling__isnull=True, shop__isnull=True)
                    | Q(compound__isnull=True, building__isnull=False, dwelling__isnull=True, shop__isnull=True)
                    | Q(compound__isnull=True, building__isnull=True, dwelling__isnull=False, shop__isnull=True)
                    | Q(compound__isnull=True, building__isnull=True, dwelling__isnull=True, shop__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.place}"

    @property
    def place(self) -> Compound | Building | Dwelling | Shop:
        return self.compound or self.building or self.dwelling or self.shop

    @property
    def place_kind(self) -> str:
        for kind in PlaceKind.values:
            if getattr(self, f"{kind}_id"):
                return kind
        raise ValueError("assignment without a place")

    def compute_area_path(self) -> str:
        return self.place.area_path


class LeadershipGroup(ScopedModel):
    """领导小组: the community's leadership group, published on every compound's notice board."""

    area = models.ForeignKey(
        Area, verbose_name=_("community"), related_name="leadership_groups", on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=120)
    published = models.BooleanField(_("published on notice boards"), default=True)

    class Meta:
        verbose_name = _("leadership group")
        verbose_name_plural = _("leadership groups")
        ordering = ["area__path", "-created_at"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.area.path


class Position(models.TextChoices):
    HEAD = "head", _("group head (first responsible person)")
    DEPUTY = "deputy", _("deputy head")
    GROUP_LEADER = "group_leader", _("group leader")
    MEMBER = "member", _("member")


class LeadershipMember(ScopedModel):
    """领导小组成员: one person's position in a leadership group."""

    group = models.ForeignKey(LeadershipGroup, related_name="members", on_delete=models.CASCADE)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    duty = models.CharField(_("duty"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("leadership group member")
        verbose_name_plural = _("leadership group members")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="leadership_member_unique")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_position_display()})"

    def compute_area_path(self) -> str:
        return self.group.area_path
