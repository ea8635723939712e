"""Campaigns (创建活动, e.g. 四城联创): the indicator tree, its decomposition onto areas and people, the work
plan, the ledger of evidence (台账) and the self-assessment.

A campaign belongs to one community: the district issues it, each community runs its own copy with its own
indicator tree (the assessment system as the district hands it down), decomposed onto the community's grids.
Every row lies under the community's path, or under the grid it was assigned to, so the one scoping mechanism
decides who sees what: a grid worker sees the assignments, tasks and evidence of their grid.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ScopedModel, ScopedQuerySet
from wangge.inspections.models import Target


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("in preparation")
    ACTIVE = "active", _("under way")
    CLOSED = "closed", _("ended")


class Campaign(ScopedModel):
    """创建活动: a campaign with an assessment at its end (四城联创, 文明城市创建), run by one community."""

    community = models.ForeignKey(
        "territory.Area", verbose_name=_("community"), related_name="campaigns", on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=100)
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default="draft")
    description = models.TextField(_("description"), blank=True)
    total_points = models.DecimalField(
        _("total points"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("the full score of the indicator system; the items' points must add up to it"),
    )
    # The areas taking part: the community itself and the grids the indicators are decomposed onto.
    areas = models.ManyToManyField(
        "territory.Area", verbose_name=_("areas taking part"), related_name="campaigns_taking_part", blank=True
    )
    leadership_group = models.ForeignKey(
        "territory.LeadershipGroup",
        verbose_name=_("leadership group"),
        null=True,
        blank=True,
        related_name="campaigns",
        on_delete=models.PROTECT,
    )
    public = models.BooleanField(
        _("published for public supervision"),
        default=False,
        help_text=_("residents see the campaign, who answers for what, and the public indicators' progress"),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="campaign_name_unique")]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.community.path


class Level(models.TextChoices):
    """The three levels of an assessment system."""

    ITEM = "item", _("assessment item")  # 测评项目
    CONTENT = "content", _("assessment content")  # 测评内容
    STANDARD = "standard", _("assessment standard")  # 测评标准


# The level below each level; a standard has none.
CHILD_LEVEL = {Level.ITEM: Level.CONTENT, Level.CONTENT: Level.STANDARD}


class Method(models.TextChoices):
    """测评方法: how the assessors check a standard."""

    MATERIALS = "materials", _("material review")  # 材料审核
    FIELD = "field", _("field inspection")  # 实地考察
    QUESTIONNAIRE = "questionnaire", _("questionnaire")  # 问卷调查
    INTERVIEW = "interview", _("interview")  # 入户访问 / 座谈
    DATA = "data", _("data check")  # 数据核查
    OTHER = "other", _("other")


class Scoring(models.TextChoices):
    """How a standard's self-assessment score is reached."""

    MANUAL = "manual", _("scored by hand")
    INSPECTIONS = "inspections", _("from the inspection pass rate")
    CASE_CLOSURE = "case_closure", _("from the case closure rate")
    CASE_ON_TIME = "case_on_time", _("from the on-time closure rate")


class Indicator(ScopedModel):
    """指标: one node of a campaign's indicator tree: an item (测评项目), a content (测评内容) under it, or a
    standard (测评标准) under that, with its method (测评方法) and points (分值).

    `code` is the node's number in the system ("1", "1.2", "1.2.3"), unique in the campaign; it is what an
    import matches on. Only standards are assigned, scored and have evidence filed against them.
    """

    campaign = models.ForeignKey(Campaign, related_name="indicators", on_delete=models.CASCADE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent indicator"),
        null=True,
        blank=True,
        related_name="children",
        on_delete=models.PROTECT,
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("indicator number"), max_length=20)
    text = models.TextField(_("indicator text"))
    method = models.CharField(_("method"), max_length=15, choices=Method.choices, blank=True)
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    public = models.BooleanField(
        _("public"), default=False, help_text=_("its progress is shown on the public supervision page")
    )
    scoring = models.CharField(_("scoring"), max_length=15, choices=Scoring.choices, default=Scoring.MANUAL)
    # What a derived score reads: inspections of one kind of place (empty: all), cases of one category (empty: all).
    inspection_target = models.CharField(_("inspections of"), max_length=10, choices=Target.choices, blank=True)
    case_category = models.ForeignKey(
        "cases.Category", verbose_name=_("case category"), null=True, blank=True, on_delete=models.PROTECT
    )
    evidence_required = models.PositiveSmallIntegerField(
        _("evidence required"), default=1, help_text=_("how many pieces of evidence make the standard complete")
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["campaign", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=Q(level="item", parent__isnull=True) | Q(~Q(level="item"), parent__isnull=False),
                name="indicator_parent_by_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"

    def compute_area_path(self) -> str:
        return self.campaign.area_path

    @property
    def is_standard(self) -> bool:
        return self.level == Level.STANDARD


class IndicatorAssignment(ScopedModel):
    """分解落实: a standard assigned to an area (the community or one of its grids) and a responsible person,
    with a target and a due date; the person's self-assessment score for the area is kept here (when the
    standard is scored by hand)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("assessment standard"), related_name="assignments", on_delete=models.PROTECT
    )
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("area"), related_name="indicator_assignments", on_delete=models.PROTECT
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        related_name="indicator_assignments",
        on_delete=models.PROTECT,
    )
    target = models.CharField(_("target"), max_length=200, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    score = models.DecimalField(_("self-assessed score"), max_digits=7, decimal_places=2, null=True, blank=True)
    score_note = models.CharField(_("scoring note"), max_length=300, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scored by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator assignment")
        verbose_name_plural = _("indicator assignments")
        ordering = ["indicator__order", "area__path"]
        constraints = [models.UniqueConstraint(fields=["indicator", "area"], name="indicator_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.area.name} · {self.person}"

    def compute_area_path(self) -> str:
        return self.area.path


class WorkPlan(ScopedModel):
    """工作计划表: a campaign's plan, "by standard, step by step, by phase" (按标准、分步骤、分阶段)."""

    campaign = models.ForeignKey(Campaign, related_name="work_plans", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="work_plan_name_unique")]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.campaign.area_path


class PhaseKind(models.TextChoices):
    MOBILISATION = "mobilisation", _("mobilisation")  # 动员部署
    REMEDIATION = "remediation", _("concentrated remediation")  # 集中整治
    CONSOLIDATION = "consolidation", _("consolidation")  # 巩固提升
    ASSESSMENT = "assessment", _("assessment")  # 迎检考核
    OTHER = "other", _("other")


class Phase(ScopedModel):
    """阶段: one phase of a work plan, with its dates."""

    plan = models.ForeignKey(WorkPlan, related_name="phases", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=PhaseKind.choices, default=PhaseKind.OTHER)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["plan", "order", "starts_on", "id"]

    def __str__(self) -> str:
        return self.name

    def compute_area_path(self) -> str:
        return self.plan.area_path


class TaskStatus(models.TextChoices):
    TODO = "todo", _("not started")
    DOING = "doing", _("under way")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_TASK_STATES = (TaskStatus.TODO, TaskStatus.DOING)


class PlanTask(ScopedModel):
    """计划任务: a task of a work plan's phase, with its owner, area and due date, and the standards it serves."""

    plan = models.ForeignKey(WorkPlan, related_name="tasks", on_delete=models.CASCADE)
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), related_name="tasks", on_delete=models.PROTECT)
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), related_name="plan_tasks", on_delete=models.PROTECT
    )
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("area"), related_name="plan_tasks", on_delete=models.PROTECT
    )
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.TODO)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    indicators = models.ManyToManyField(
        Indicator, verbose_name=_("standards served"), related_name="plan_tasks", blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["plan", "phase__order", "starts_on", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="plantask_open_due")]

    def __str__(self) -> str:
        return self.title

    def compute_area_path(self) -> str:
        return self.area.path


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("photo")
    DOCUMENT = "document", _("document")
    MEETING = "meeting", _("meeting record")
    CASE = "case", _("case")
    INSPECTION = "inspection", _("inspection record")
    NOTICE = "notice", _("notice board")


# What each kind of evidence holds: an upload, written minutes, or a link to a record of wangge.
UPLOAD_KINDS = (EvidenceKind.PHOTO, EvidenceKind.DOCUMENT)
LINK_FIELDS = {EvidenceKind.CASE: "case", EvidenceKind.INSPECTION: "inspection", EvidenceKind.NOTICE: "compound"}


class EvidenceQuerySet(ScopedQuerySet):
    def current(self) -> "EvidenceQuerySet":
        return self.filter(withdrawn_at__isnull=True)


class Evidence(ScopedModel):
    """台账材料: one piece of evidence filed against a standard: a photo, a document, a meeting record, or a link
    to a case, an inspection or a compound's notice board. Withdrawn evidence is kept (with who and why), only
    left out of the ledger."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("assessment standard"), related_name="evidence", on_delete=models.PROTECT
    )
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("area"), related_name="campaign_evidence", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    occurred_on = models.DateField(_("date"))
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    text = models.TextField(_("minutes"), blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    inspection = models.ForeignKey(
        "inspections.Inspection",
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    compound = models.ForeignKey(
        "territory.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), related_name="+", on_delete=models.PROTECT
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["indicator__order", "occurred_on", "id"]

    def __str__(self) -> str:
        return self.title

    def compute_area_path(self) -> str:
        return self.area.path
