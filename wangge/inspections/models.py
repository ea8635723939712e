"""Inspections by standard (巡查): versioned checklists, schedules, inspections and their findings.

A checklist is a standard as data. Each published version is frozen once an inspection has used it; a change
makes a new version, so a past inspection always reads against the items it was scored on. Items keep their
`code` across versions: relapse (易反复) is the same item code failing again at the same place.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ScopedModel


class Target(models.TextChoices):
    """What kind of place a checklist is for."""

    COMPOUND = "compound", _("compound")
    SHOP = "shop", _("street shop")
    OFFICE = "office", _("office building")


class ChecklistStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("in use")
    RETIRED = "retired", _("retired")


class Grouping(models.TextChoices):
    """How a failed inspection turns into rectification cases."""

    ITEM = "item", _("one case per failed item")
    INSPECTION = "inspection", _("one case per inspection")


class Checklist(ScopedModel):
    """检查表 / 标准: one version of an inspection standard for one kind of place.

    A shared standard (`community` empty: seeded, or set by the deployment's administrators) is in use in every
    community that has no version of its own; a community's director makes the community's own version of it,
    or a standard of its own. `code` names the standard across its versions; at most one version of a code is
    in use per owner (the shared standards, or one community).
    """

    community = models.ForeignKey(
        "territory.Area",
        verbose_name=_("community"),
        null=True,
        blank=True,
        related_name="checklists",
        on_delete=models.PROTECT,
        help_text=_("empty: a shared standard of every community"),
    )
    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    target = models.CharField(_("for"), max_length=10, choices=Target.choices)
    description = models.TextField(_("description"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), default=80, help_text=_("the score (of 100) an inspection needs to pass")
    )
    grouping = models.CharField(
        _("rectification cases"), max_length=12, choices=Grouping.choices, default=Grouping.ITEM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ChecklistStatus.choices, default=ChecklistStatus.DRAFT
    )
    published_at = models.DateTimeField(_("in use since"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["target", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], condition=Q(community__isnull=True), name="checklist_shared_version"
            ),
            models.UniqueConstraint(
                fields=["community", "code", "version"],
                condition=Q(community__isnull=False),
                name="checklist_own_version",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status="published", community__isnull=True),
                name="checklist_one_shared_in_use",
            ),
            models.UniqueConstraint(
                fields=["community", "code"],
                condition=Q(status="published", community__isnull=False),
                name="checklist_one_own_in_use",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def compute_area_path(self) -> str:
        # A shared standard lies under no area: every office role may read it, only administrators write it.
        return self.community.path if self.community_id else ""

    @property
    def shared(self) -> bool:
        return self.community_id is None

    @property
    def is_used(self) -> bool:
        return self.inspections.exists()


class Severity(models.TextChoices):
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")
    CRITICAL = "critical", _("critical (fails the inspection)")


class ChecklistItem(models.Model):
    """检查项: one line of a standard: what is checked, its points, and the case category a failure becomes."""

    checklist = models.ForeignKey(Checklist, related_name="items", on_delete=models.CASCADE)
    code = models.CharField(_("item code"), max_length=20)
    section = models.CharField(_("section"), max_length=40, blank=True)
    text = models.CharField(_("standard"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points"), default=10)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("case category"), related_name="checklist_items", on_delete=models.PROTECT
    )
    # Trade codes (territory.Trade) this item applies to; empty: every place the checklist is for.
    trades = models.JSONField(_("only for trades"), default=list, blank=True)
    photo_required = models.BooleanField(_("a failure needs a photo"), default=True)
    rectify_hours = models.PositiveIntegerField(
        _("hours to rectify"), null=True, blank=True, help_text=_("empty: the case category's deadline")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["checklist", "code"], name="checklist_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def applies_to(self, trade_code: str | None) -> bool:
        return not self.trades or trade_code in self.trades


class Unit(models.TextChoices):
    DAY = "day", _("days")
    WEEK = "week", _("weeks (calendar weeks)")
    MONTH = "month", _("months (calendar months)")


class Schedule(ScopedModel):
    """巡查计划: how often each place of a kind (optionally of some trades) in a community must be visited."""

    community = models.ForeignKey(
        "territory.Area", verbose_name=_("community"), related_name="inspection_schedules", on_delete=models.CASCADE
    )
    target = models.CharField(_("places"), max_length=10, choices=Target.choices)
    trades = models.JSONField(_("only for trades"), default=list, blank=True)
    every = models.PositiveSmallIntegerField(_("every"), default=1)
    unit = models.CharField(_("unit"), max_length=6, choices=Unit.choices, default=Unit.WEEK)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("inspection schedule")
        verbose_name_plural = _("inspection schedules")
        ordering = ["community", "target", "id"]
        constraints = [models.CheckConstraint(condition=Q(every__gte=1), name="schedule_every_positive")]

    def __str__(self) -> str:
        return f"{self.get_target_display()} / {self.every} {self.get_unit_display()}"

    def compute_area_path(self) -> str:
        return self.community.path


class Policy(ScopedModel):
    """巡查规则: a community's relapse window and whether its red/black list (红黑榜) is public."""

    community = models.OneToOneField(
        "territory.Area", verbose_name=_("community"), related_name="inspection_policy", on_delete=models.CASCADE
    )
    relapse_days = models.PositiveSmallIntegerField(
        _("relapse window (days)"),
        default=30,
        help_text=_("failing an item again within this many days of its verified rectification counts a relapse"),
    )
    public_ranking = models.BooleanField(_("publish the red/black list"), default=False)
    ranking_size = models.PositiveSmallIntegerField(_("places on each list"), default=5)

    class Meta:
        verbose_name = _("inspection policy")
        verbose_name_plural = _("inspection policies")

    def __str__(self) -> str:
        return str(self.community)

    def compute_area_path(self) -> str:
        return self.community.path


class Inspection(ScopedModel):
    """巡查记录: one visit of one place against one checklist version, with its score."""

    checklist = models.ForeignKey(
        Checklist, verbose_name=_("checklist"), related_name="inspections", on_delete=models.PROTECT
    )
    target = models.CharField(_("place kind"), max_length=10, choices=Target.choices)
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("grid"), related_name="inspections", on_delete=models.PROTECT
    )
    compound = models.ForeignKey(
        "territory.Compound", null=True, blank=True, related_name="inspections", on_delete=models.PROTECT
    )
    shop = models.ForeignKey(
        "territory.Shop", null=True, blank=True, related_name="inspections", on_delete=models.PROTECT
    )
    building = models.ForeignKey(
        "territory.Building", null=True, blank=True, related_name="inspections", on_delete=models.PROTECT
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), related_name="inspections", on_delete=models.PROTECT
    )
    inspected_at = models.DateTimeField(_("inspected at"), db_index=True)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1)
    passed = models.BooleanField(_("passed"))
    failed_count = models.PositiveSmallIntegerField(_("failed items"), default=0)
    relapse_count = models.PositiveSmallIntegerField(_("relapses"), default=0)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_at", "-id"]
        indexes = [
            models.Index(fields=["area_path", "inspected_at"]),
            models.Index(fields=["shop", "inspected_at"]),
            models.Index(fields=["compound", "inspected_at"]),
            models.Index(fields=["building", "inspected_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="inspection_exactly_one_place",
                condition=(
                    Q(compound__isnull=False, shop__isnull=True, building__isnull=True)
                    | Q(compound__isnull=True, shop__isnull=False, building__isnull=True)
                    | Q(compound__isnull=True, shop__isnull=True, building__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.inspected_at:%Y-%m-%d} {self.score}"

    @property
    def place(self):
        return self.compound or self.shop or self.building

    def compute_area_path(self) -> str:
        return self.place.area_path


class Result(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    NOT_APPLICABLE = "na", _("not applicable")


def _finding_photo_path(finding: "Finding", filename: str) -> str:
    return f"inspections/{filename}"


class Finding(models.Model):
    """检查结果: the answer to one item in one inspection; a failure carries a note, a photo and its case.

    `item_code` repeats the item's code so that relapse is found across checklist versions in one query.
    `case` is the rectification case the failure opened, or the open one it found again on re-inspection;
    `relapse_of` is the verified rectification this failure undid (易反复).
    """

    inspection = models.ForeignKey(Inspection, related_name="findings", on_delete=models.CASCADE)
    item = models.ForeignKey(ChecklistItem, related_name="findings", on_delete=models.PROTECT)
    item_code = models.CharField(_("item code"), max_length=20, db_index=True)
    result = models.CharField(_("result"), max_length=4, choices=Result.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    photo = models.FileField(_("photo"), upload_to=_finding_photo_path, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, related_name="findings", on_delete=models.SET_NULL)
    relapse_of = models.ForeignKey(
        "cases.Case", null=True, blank=True, related_name="relapses", on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["inspection", "item__order", "id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="finding_one_per_item")]

    def __str__(self) -> str:
        return f"{self.item_code} {self.result}"


class Reinspection(models.Model):
    """复查: what an inspection found of a rectification case opened before it: fixed (the case closed) or not."""

    inspection = models.ForeignKey(Inspection, related_name="reinspections", on_delete=models.CASCADE)
    case = models.ForeignKey("cases.Case", related_name="reinspections", on_delete=models.CASCADE)
    fixed = models.BooleanField(_("fixed"))

    class Meta:
        verbose_name = _("re-inspection")
        verbose_name_plural = _("re-inspections")
        ordering = ["inspection", "case"]
        constraints = [models.UniqueConstraint(fields=["inspection", "case"], name="reinspection_once_per_case")]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.case_id} {self.fixed}"
