"""The closed loop of a case: categories, cases, their timeline, photos, postponements, urgings and ratings."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ScopedModel, ScopedQuerySet, TimeStampedModel
from wangge.core.pii import BlindIndexField, EncryptedCharField


class CategoryKind(models.TextChoices):
    EVENT = "event", _("event")
    COMPONENT = "component", _("component")


class Level(models.TextChoices):
    """Who handles a case: 小事不出楼院，大事不出社区; escalation climbs this ladder."""

    COMPOUND = "compound", _("compound")
    COMMUNITY = "community", _("community")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    DISTRICT = "district", _("district department")


LEVEL_ORDER = [Level.COMPOUND, Level.COMMUNITY, Level.SUBDISTRICT, Level.DISTRICT]


def next_level(level: str) -> str | None:
    """The level above, or None at the top."""
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


class Category(models.Model):
    """案件类别: an event or component class (GB/T 30428.2 style, or the community's own), with its deadline."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=CategoryKind.choices, default=CategoryKind.EVENT)
    class_code = models.CharField(_("class"), max_length=10, blank=True, help_text=_("e.g. 01 city appearance"))
    class_name = models.CharField(_("class name"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"), default=48)
    working_hours = models.BooleanField(_("counted in working hours"), default=False)
    level = models.CharField(_("handling level"), max_length=12, choices=Level.choices, default=Level.COMMUNITY)
    photo_required = models.BooleanField(_("photos required"), default=False)
    public = models.BooleanField(_("residents may report it"), default=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class QuestionType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")


class Question(models.Model):
    """补充问题: an extra question a category asks when a case is reported (an Open311 attribute)."""

    category = models.ForeignKey(Category, related_name="questions", on_delete=models.CASCADE)
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("question"), max_length=120)
    datatype = models.CharField(_("type"), max_length=10, choices=QuestionType.choices, default=QuestionType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_('[["key", "label"], ...]'))
    help_text = models.CharField(_("help"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("extra question")
        verbose_name_plural = _("extra questions")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="question_unique_code")]

    def __str__(self) -> str:
        return self.label

    def choice_keys(self) -> list[str]:
        return [str(key) for key, _label in self.choices]


class State(models.TextChoices):
    REPORTED = "reported", _("reported")
    REGISTERED = "registered", _("registered")
    REJECTED = "rejected", _("rejected")
    DISPATCHED = "dispatched", _("dispatched")
    IN_PROGRESS = "in_progress", _("in progress")
    HANDLED = "handled", _("handled")
    VERIFIED = "verified", _("verified")
    CLOSED = "closed", _("closed")
    SUSPENDED = "suspended", _("suspended")


OPEN_STATES = frozenset({State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED, State.VERIFIED})
# The states in which the deadline clock runs (it starts at dispatch).
CLOCK_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS, State.HANDLED, State.VERIFIED})


class Source(models.TextChoices):
    PATROL = "patrol", _("patrol")
    RESIDENT = "resident", _("resident (public page)")
    HOTLINE = "hotline", _("phone or visit")
    BUILDING_LEADER = "building_leader", _("building leader")
    INSPECTION = "inspection", _("inspection")
    REFERRAL = "referral", _("referral")
    OPEN311 = "open311", _("Open311")


class RejectReason(models.TextChoices):
    DUPLICATE = "duplicate", _("duplicate")
    OUT_OF_SCOPE = "out_of_scope", _("out of scope")
    NOT_A_PROBLEM = "not_a_problem", _("not a problem")


def new_tracking_code() -> str:
    """An unguessable code for the reporter's tracking link (128 bits)."""
    return secrets.token_urlsafe(16)


class CaseQuerySet(ScopedQuerySet):
    def open(self) -> "CaseQuerySet":
        return self.filter(state__in=OPEN_STATES)


class Case(ScopedModel):
    """案件: one problem, from report to verified closure and the reporter's rating.

    `version` grows with every change, so two people acting on the same case at once cannot both win.
    """

    number = models.CharField(_("case number"), max_length=20, unique=True, null=True, blank=True)
    tracking_code = models.CharField(max_length=32, unique=True, default=new_tracking_code, editable=False)
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)
    category = models.ForeignKey(Category, verbose_name=_("category"), related_name="cases", on_delete=models.PROTECT)
    description = models.TextField(_("description"), max_length=4000)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REPORTED, db_index=True)
    state_before_suspension = models.CharField(max_length=12, choices=State.choices, blank=True)
    level = models.CharField(_("handling level"), max_length=12, choices=Level.choices)
    area = models.ForeignKey("territory.Area", verbose_name=_("grid"), related_name="cases", on_delete=models.PROTECT)
    compound = models.ForeignKey(
        "territory.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        related_name="cases",
        on_delete=models.PROTECT,
    )
    shop = models.ForeignKey(
        "territory.Shop",
        verbose_name=_("street shop"),
        null=True,
        blank=True,
        related_name="cases",
        on_delete=models.PROTECT,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    longitude = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    latitude = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        related_name="reported_cases",
        on_delete=models.SET_NULL,
    )
    reporter_name = EncryptedCharField(_("reporter's name"), masker="mask_name")
    reporter_phone = EncryptedCharField(_("reporter's phone"), masker="mask_phone")
    reporter_phone_index = BlindIndexField(source="reporter_phone")
    reporter_email = EncryptedCharField(_("reporter's e-mail"), masker="mask_text")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        related_name="assigned_cases",
        on_delete=models.PROTECT,
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    # When it was reported (the case's own time; the row's created_at is when it was stored, e.g. an import).
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=20, choices=RejectReason.choices, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    postponed = models.BooleanField(_("postponed"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["area_path", "state"]), models.Index(fields=["state", "deadline_at"])]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.category.name}"

    def compute_area_path(self) -> str:
        return self.compound.area_path if self.compound_id else self.area.path

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseEvent(TimeStampedModel):
    """案件动态: one step on a case's timeline. `public` steps show on the reporter's tracking page."""

    case = models.ForeignKey(Case, related_name="events", on_delete=models.CASCADE)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("before")
    AFTER = "after", _("after")


def _photo_path(instance: "CasePhoto", filename: str) -> str:
    # Random names only: nothing of the original file name or the case reaches the file system.
    return f"cases/{filename}"


class CasePhoto(TimeStampedModel):
    """案件照片: a photo before or after handling, re-encoded without metadata."""

    case = models.ForeignKey(Case, related_name="photos", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=8, choices=PhotoKind.choices)
    image = models.FileField(upload_to=_photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    public = models.BooleanField(_("shown on the public page"), default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class PostponementState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class Postponement(TimeStampedModel):
    """延期申请: more time asked for a case, with a reason; approved or refused."""

    case = models.ForeignKey(Case, related_name="postponements", on_delete=models.CASCADE)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    reason = models.CharField(_("reason"), max_length=300)
    hours = models.PositiveIntegerField(_("extra hours"))
    state = models.CharField(max_length=10, choices=PostponementState.choices, default=PostponementState.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("postponement")
        verbose_name_plural = _("postponements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.hours}h {self.state}"


class Rating(TimeStampedModel):
    """评价: the reporter's verdict on a closed case, 1 to 5 stars."""

    case = models.OneToOneField(Case, related_name="rating", on_delete=models.CASCADE)
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.case_id} {self.stars}★"
