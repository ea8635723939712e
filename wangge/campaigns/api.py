"""REST API of campaigns: `/api/v1/campaigns/` (with readiness on a campaign's detail), `/api/v1/indicators/`
(a campaign's tree, flat in reading order), `/api/v1/work-plans/` (phases and tasks; `POST tasks/{id}/status/`
reports on a task) and `/api/v1/evidence/` (the ledger; POST files a piece, `POST {id}/withdraw/` takes it out).

Who sees what is the selectors': the campaigns a caller works on (`selectors.campaigns_for`), and of those the
tasks and evidence of their areas (`for_user`). Anything else answers 404, or 400 "does not exist" when it is
named in a filter or a body, exactly like an id that was never made. Roles that do not work on campaigns
(building leaders, volunteers, residents) get 403 before any lookup. Writes go through the services, whose
refusals are 400 by field (nothing written) or 403. Files are never inlined: `download_url` is the scoped page.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from wangge.accounts.access import HasOfficeRole
from wangge.accounts.models import User
from wangge.accounts.roles import CAMPAIGN_VIEW_ROLES, INSPECT_ROLES
from wangge.campaigns import filters, selectors, services
from wangge.campaigns.evidence_forms import LINK_OUTSIDE
from wangge.campaigns.evidence_views import evidence_body_limit, evidence_too_large_message
from wangge.campaigns.models import (
    LINK_FIELDS,
    Campaign,
    CampaignStatus,
    Evidence,
    EvidenceKind,
    Indicator,
    IndicatorAssignment,
    Level,
    Method,
    Phase,
    PhaseKind,
    PlanTask,
    Scoring,
    TaskStatus,
    WorkPlan,
)
from wangge.cases.api import _DETAIL, _FIELDS, ERRORS, TOO_LARGE
from wangge.cases.models import Case
from wangge.core.api import CodeRelatedField
from wangge.core.bodylimit import BodyLimitMixin
from wangge.core.validators import validate_calendar_date
from wangge.inspections.models import Inspection
from wangge.territory.models import Area, AreaKind, Compound, LeadershipMember, Position

NOT_FOUND = {404: OpenApiResponse(_DETAIL, description="No such record (or not in the caller's campaigns).")}
NO_PAGE = {404: OpenApiResponse(_DETAIL, description="No such page.")}
MAX_ID = 2**31


# Access


class WorksOnCampaigns(permissions.BasePermission):
    """The API's counterpart of `views.campaign_page`: a staff role that works on campaigns, or 403."""

    message = gettext_lazy("Your role does not work on campaigns.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.roles() & CAMPAIGN_VIEW_ROLES))


PERMISSIONS = [permissions.IsAuthenticated, HasOfficeRole, WorksOnCampaigns]


class ListFiltersMixin:
    """The filters narrow a list; one record is found by its id alone (a detail URL takes no filters)."""

    action: str | None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset) if self.action == "list" else queryset  # type: ignore[misc]


def _digits(value: Any) -> int:
    """An id from the URL; anything but an id the database can hold names nothing (404, no query)."""
    text = str(value)
    # ASCII only: other digits pass isdigit(); int() refuses some ("²": a 500) and reads others ("٣", "１") as ids.
    if not (text.isascii() and text.isdigit()) or int(text) >= MAX_ID:
        raise exceptions.NotFound()
    return int(text)


# Enumerations, each a named component of the schema


class EnumField(serializers.ChoiceField):
    """A choice field whose choice set is one named component of the schema (`enum_name`), wherever it is used.

    The schema generator names inline choice sets after the field, and warns (failing the schema check) when a
    field name such as `status` or `kind` carries several choice sets in several components; a named component
    avoids the guesswork and keeps other apps' enum names stable."""

    def __init__(self, choices_class: Any, enum_name: str, **kwargs: Any) -> None:
        self.choices_class = choices_class
        self.enum_name = enum_name
        super().__init__(choices=choices_class.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "wangge.campaigns.api.EnumField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        values = list(field.choices_class.values) + ([""] if field.allow_blank else [])
        with translation.override("en"):  # the published schema does not change with the reader's language
            described = "\n".join(f"* `{v}` - {force_str(label)}" for v, label in field.choices_class.choices)
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": values, "description": described},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# Campaigns


class CampaignAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["code", "name"]
        read_only_fields = fields


class CampaignLeadershipMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.__str__", read_only=True, help_text="the member's display name")
    position = EnumField(Position, "LeadershipPositionEnum", read_only=True)
    position_label = serializers.CharField(source="get_position_display", read_only=True)

    class Meta:
        model = LeadershipMember
        fields = ["name", "position", "position_label", "duty"]
        read_only_fields = fields


class CampaignLeadershipGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    members = CampaignLeadershipMemberSerializer(many=True, read_only=True)


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign: its facts, the grids taking part, and the leadership group with its members."""

    community = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="code of the community")
    community_name = serializers.CharField(source="community.name", read_only=True)
    status = EnumField(CampaignStatus, "CampaignStatusEnum", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    areas = CampaignAreaSerializer(
        many=True, read_only=True, help_text="the grids taking part (the community itself always takes part)"
    )
    leadership_group = CampaignLeadershipGroupSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "issuer",
            "community",
            "community_name",
            "starts_on",
            "ends_on",
            "status",
            "status_label",
            "description",
            "total_points",
            "public",
            "areas",
            "leadership_group",
        ]
        read_only_fields = fields


class ReadinessProgressSerializer(serializers.Serializer):
    """Readiness of a group of standards: points at stake, the self-assessed score, how much is evidenced."""

    key = serializers.CharField(help_text="the item's number; empty for the whole campaign")
    label = serializers.CharField()
    points = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="points of the standards")
    score = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="their self-assessed score")
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="score of points, in percent; null: no points"
    )
    standards = serializers.IntegerField(help_text="how many standards")
    complete = serializers.IntegerField(help_text="how many have all their evidence")
    unscored = serializers.IntegerField(help_text="how many have no score yet (counted as 0)")


class ReadinessSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    total = ReadinessProgressSerializer()
    items = ReadinessProgressSerializer(many=True, help_text="per item (测评项目), in tree order")


class CampaignDetailSerializer(CampaignSerializer):
    """A campaign with its readiness (迎检) as of today and where the points of its tree do not add up."""

    readiness = serializers.SerializerMethodField()
    points_problems = serializers.SerializerMethodField()
    may_run = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "readiness", "points_problems", "may_run"]
        read_only_fields = fields

    @extend_schema_field(ReadinessSerializer)
    def get_readiness(self, campaign: Campaign) -> dict[str, Any]:
        readiness = selectors.readiness(campaign)
        return ReadinessSerializer(readiness).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_points_problems(self, campaign: Campaign) -> list[str]:
        return selectors.points_problems(campaign)

    def get_may_run(self, campaign: Campaign) -> bool:
        """Whether the caller runs the campaign (its tree, decomposition and plan)."""
        request = self.context.get("request")
        return request is not None and selectors.may_run(request.user, campaign)


@extend_schema_view(
    list=extend_schema(responses={200: CampaignSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(responses={200: CampaignDetailSerializer, **ERRORS, **NOT_FOUND}),
)
class CampaignViewSet(ListFiltersMixin, viewsets.ReadOnlyModelViewSet):
    """The campaigns of the communities the caller works in, newest first. A campaign's detail adds its
    readiness (迎检): points, score, percent and evidenced standards, in total and per item."""

    queryset = Campaign.objects.none()
    permission_classes = PERMISSIONS
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.CampaignFilter

    def get_queryset(self) -> QuerySet[Campaign]:
        members = LeadershipMember.objects.select_related("person").order_by("order", "id")
        return (
            selectors.campaigns_for(self.request.user)
            .prefetch_related(
                Prefetch("areas", queryset=Area.objects.order_by("path")),
                Prefetch("leadership_group__members", queryset=members),
            )
            .order_by("-starts_on", "name", "id")
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return CampaignSerializer if self.action == "list" else CampaignDetailSerializer

    def get_object(self) -> Campaign:
        self.kwargs[self.lookup_field] = _digits(self.kwargs[self.lookup_field])
        return super().get_object()


# Indicators


LEVEL_DEPTH = {Level.ITEM: 0, Level.CONTENT: 1, Level.STANDARD: 2}


class IndicatorSerializer(serializers.ModelSerializer):
    """One node of a tree: an item (测评项目), a content (测评内容) or a standard (测评标准)."""

    level = EnumField(Level, "IndicatorLevelEnum", read_only=True)
    method = EnumField(
        Method, "IndicatorMethodEnum", allow_blank=True, read_only=True, help_text="empty above a standard"
    )
    scoring = EnumField(Scoring, "IndicatorScoringEnum", read_only=True)
    depth = serializers.SerializerMethodField(help_text="0 for an item, 1 for a content, 2 for a standard")

    class Meta:
        model = Indicator
        fields = [
            "id",
            "campaign",
            "parent",
            "level",
            "code",
            "text",
            "method",
            "points",
            "scoring",
            "public",
            "evidence_required",
            "depth",
        ]
        read_only_fields = fields

    def get_depth(self, indicator: Indicator) -> int:
        return getattr(indicator, "depth", LEVEL_DEPTH.get(indicator.level, 0))


class ScoreBasisSerializer(serializers.Serializer):
    """What a derived score was computed from, e.g. 42 of 45 inspections passed."""

    part = serializers.IntegerField()
    whole = serializers.IntegerField()
    label = serializers.CharField()


class IndicatorAssignmentSerializer(serializers.Serializer):
    """A standard decomposed onto an area and a responsible person, with its score and evidence there."""

    id = serializers.IntegerField(source="assignment.pk")
    area = serializers.CharField(source="assignment.area.code", help_text="code of the community or grid")
    area_name = serializers.CharField(source="assignment.area.name")
    person = serializers.CharField(source="assignment.person.username", help_text="user name")
    person_name = serializers.CharField(source="assignment.person.__str__", help_text="display name")
    target = serializers.CharField(source="assignment.target")
    due_on = serializers.DateField(source="assignment.due_on", allow_null=True)
    score = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True, help_text="by hand, or derived from records; null: none yet"
    )
    basis = ScoreBasisSerializer(allow_null=True, help_text="what a derived score was computed from; null: by hand")
    evidence = serializers.IntegerField(help_text="current pieces of evidence filed for this area")
    complete = serializers.BooleanField(help_text="as many pieces as the standard requires")


class StandardStateSerializer(serializers.Serializer):
    score = serializers.DecimalField(
        max_digits=9, decimal_places=2, allow_null=True, help_text="mean over the areas; null: not scored"
    )
    basis = ScoreBasisSerializer(allow_null=True)
    evidence = serializers.IntegerField(help_text="current pieces of evidence in all areas")
    complete = serializers.BooleanField()


class IndicatorDetailSerializer(IndicatorSerializer):
    """One node with its children (ids, in order); a standard also with its assignments the caller may see and
    its state in the self-assessment."""

    children = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "children", "assignments", "state"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_children(self, indicator: Indicator) -> list[int]:
        return list(indicator.children.order_by("order", "id").values_list("pk", flat=True))

    @extend_schema_field(IndicatorAssignmentSerializer(many=True))
    def get_assignments(self, indicator: Indicator) -> list[dict[str, Any]]:
        state = self._state(indicator)
        if state is None:
            return []
        request = self.context["request"]
        visible = set(
            IndicatorAssignment.objects.for_user(request.user).filter(indicator=indicator).values_list("pk", flat=True)
        )
        rows = [row for row in state.assignments if row.assignment.pk in visible]
        return IndicatorAssignmentSerializer(rows, many=True).data

    @extend_schema_field(
        StandardStateSerializer(allow_null=True, help_text="a standard's; null for an item or content")
    )
    def get_state(self, indicator: Indicator) -> dict[str, Any] | None:
        state = self._state(indicator)
        return None if state is None else StandardStateSerializer(state).data

    def _state(self, indicator: Indicator) -> selectors.StandardState | None:
        if not indicator.is_standard:
            return None
        if not hasattr(self, "_states"):
            self._states = {s.indicator.pk: s for s in selectors.standard_states(indicator.campaign)}
        return self._states.get(indicator.pk)


@extend_schema_view(
    list=extend_schema(
        description=(
            "The indicator tree of one campaign (`campaign` is required: a tree is read one campaign at a time), "
            "flat in reading order: item, its first content, that content's standards, the next content, ... "
            "`depth` and `parent` give the nesting. 400: no campaign, or one the caller does not work on."
        ),
        responses={200: IndicatorSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE},
    ),
    retrieve=extend_schema(responses={200: IndicatorDetailSerializer, **ERRORS, **NOT_FOUND}),
)
class IndicatorViewSet(ListFiltersMixin, viewsets.ReadOnlyModelViewSet):
    """The indicator trees of the caller's campaigns: items, contents and standards with their points."""

    queryset = Indicator.objects.none()
    permission_classes = PERMISSIONS
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.IndicatorFilter

    def get_queryset(self) -> QuerySet[Indicator]:
        campaigns = selectors.campaigns_for(self.request.user)
        return Indicator.objects.filter(campaign__in=campaigns).select_related("campaign__community")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return IndicatorSerializer if self.action == "list" else IndicatorDetailSerializer

    def get_object(self) -> Indicator:
        self.kwargs[self.lookup_field] = _digits(self.kwargs[self.lookup_field])
        return super().get_object()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The campaign's tree, flat in reading order, paginated."""
        filterset = self.filterset_class(request.query_params, queryset=Indicator.objects.none(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        campaign, level = filterset.form.cleaned_data["campaign"], filterset.form.cleaned_data.get("level")
        nodes = [node for node in _walk(selectors.tree(campaign)) if not level or node.level == level]
        page = self.paginate_queryset(nodes)
        return self.get_paginated_response(IndicatorSerializer(page, many=True).data)


def _walk(roots: list[selectors.Node], depth: int = 0) -> list[Indicator]:
    """The tree's indicators in reading order, each marked with its depth."""
    result: list[Indicator] = []
    for node in roots:
        node.indicator.depth = depth
        result.append(node.indicator)
        result.extend(_walk(node.children, depth + 1))
    return result


# Work plans


class PlanPhaseSerializer(serializers.ModelSerializer):
    kind = EnumField(PhaseKind, "PhaseKindEnum", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Phase
        fields = ["id", "name", "kind", "kind_label", "starts_on", "ends_on", "order"]
        read_only_fields = fields


class PlanTaskSerializer(serializers.ModelSerializer):
    """A task of a phase: its owner and area, its dates, where it stands, and the standards it serves."""

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="user name")
    owner_name = serializers.CharField(source="owner.__str__", read_only=True, help_text="display name")
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="code of the community or grid")
    area_name = serializers.CharField(source="area.name", read_only=True)
    status = EnumField(TaskStatus, "PlanTaskStatusEnum", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    indicators = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="numbers of the standards the task serves"
    )

    class Meta:
        model = PlanTask
        fields = [
            "id",
            "plan",
            "phase",
            "title",
            "owner",
            "owner_name",
            "area",
            "area_name",
            "starts_on",
            "due_on",
            "status",
            "status_label",
            "done_on",
            "indicators",
            "note",
        ]
        read_only_fields = fields


class WorkPlanSerializer(serializers.ModelSerializer):
    """A campaign's work plan (工作计划表) with its phases in order."""

    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    phases = PlanPhaseSerializer(many=True, read_only=True)

    class Meta:
        model = WorkPlan
        fields = ["id", "campaign", "campaign_name", "name", "phases"]
        read_only_fields = fields


class WorkPlanDetailSerializer(WorkPlanSerializer):
    """A work plan with its phases and the tasks the caller may see (a grid's staff: their grid's)."""

    tasks = PlanTaskSerializer(source="visible_tasks", many=True, read_only=True)

    class Meta(WorkPlanSerializer.Meta):
        fields = [*WorkPlanSerializer.Meta.fields, "tasks"]
        read_only_fields = fields


class PlanTaskStatusSerializer(serializers.Serializer):
    """A report on a task: in progress, done (on a day, default today) or cancelled (the director's)."""

    status = EnumField(TaskStatus, "PlanTaskStatusEnum")
    done_on = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_calendar_date],
        help_text="the day it was done (status done); default today",
    )


def visible_tasks(user: User) -> QuerySet[PlanTask]:
    """The plan tasks `user` may see, ready to show."""
    return (
        PlanTask.objects.for_user(user)
        .select_related("owner", "area")
        .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")))
        .order_by("phase__order", "starts_on", "due_on", "id")
    )


@extend_schema_view(
    list=extend_schema(responses={200: WorkPlanSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(responses={200: WorkPlanDetailSerializer, **ERRORS, **NOT_FOUND}),
)
class WorkPlanViewSet(BodyLimitMixin, ListFiltersMixin, viewsets.ReadOnlyModelViewSet):
    """The work plans of the caller's campaigns (`campaign` narrows to one) with their phases; a plan's detail
    adds its tasks in the caller's areas. `POST tasks/{task_id}/status/` reports on a task."""

    queryset = WorkPlan.objects.none()
    permission_classes = PERMISSIONS
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.WorkPlanFilter

    def get_queryset(self) -> QuerySet[WorkPlan]:
        user = self.request.user
        plans = (
            WorkPlan.objects.filter(campaign__in=selectors.campaigns_for(user))
            .select_related("campaign")
            .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("order", "starts_on", "id")))
            .order_by("campaign_id", "id")
        )
        if self.action == "retrieve":
            plans = plans.prefetch_related(Prefetch("tasks", queryset=visible_tasks(user), to_attr="visible_tasks"))
        return plans

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return WorkPlanSerializer if self.action == "list" else WorkPlanDetailSerializer

    def get_object(self) -> WorkPlan:
        self.kwargs[self.lookup_field] = _digits(self.kwargs[self.lookup_field])
        return super().get_object()

    @extend_schema(
        operation_id="work_plans_task_status",
        summary="Report on a plan task",
        description=(
            "Move a task to `doing`, `done` (on `done_on`, default today; not in the future nor before it "
            "starts) or `cancelled`, through the service: its owner reports on it, the director also cancels. "
            "400: a bad status or day (nothing written); 403: the caller may see the task but not report on it; "
            "404: no such task in the caller's areas."
        ),
        parameters=[OpenApiParameter("task_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="task id")],
        request=PlanTaskStatusSerializer,
        responses={200: PlanTaskSerializer, 400: _FIELDS, **ERRORS, **NOT_FOUND, **TOO_LARGE},
    )
    @action(detail=False, methods=["post"], url_path=r"tasks/(?P<task_id>[^/.]+)/status", url_name="task-status")
    def task_status(self, request: Request, task_id: str) -> Response:
        user = request.user
        task = (
            PlanTask.objects.for_user(user)
            .filter(pk=_digits(task_id), plan__campaign__in=selectors.campaigns_for(user))
            .first()
        )
        if task is None:
            raise exceptions.NotFound()
        serializer = PlanTaskStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.task_set_status(actor=user, task=task, status=data["status"], done_on=data.get("done_on"))
        return Response(PlanTaskSerializer(visible_tasks(user).get(pk=task.pk)).data)


# Evidence


class EvidenceSerializer(serializers.ModelSerializer):
    """A piece of evidence (台账材料): what it is, for which standard and area, its file or link, who filed it."""

    campaign = serializers.IntegerField(source="indicator.campaign_id", read_only=True)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="code of the community or grid")
    area_name = serializers.CharField(source="area.name", read_only=True)
    kind = EnumField(EvidenceKind, "EvidenceKindEnum", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    download_url = serializers.SerializerMethodField()
    case = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True, help_text="number of the linked case"
    )
    compound = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="code of the compound whose notice board"
    )
    filed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="user name")
    filed_by_name = serializers.CharField(source="filed_by.__str__", read_only=True)
    withdrawn_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="user name"
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "campaign",
            "indicator",
            "indicator_code",
            "area",
            "area_name",
            "kind",
            "kind_label",
            "title",
            "occurred_on",
            "text",
            "file_name",
            "content_type",
            "size",
            "download_url",
            "case",
            "inspection",
            "compound",
            "filed_by",
            "filed_by_name",
            "created_at",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.URLField(allow_null=True, help_text="the file, through the scoped download page; null: no file")
    )
    def get_download_url(self, evidence: Evidence) -> str | None:
        if not evidence.file:
            return None
        url = reverse("campaigns:evidence_download", args=[evidence.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


def _scoped(model: type, user: User) -> QuerySet:
    return model.objects.for_user(user) if user is not None else model.objects.none()


@extend_schema_field(OpenApiTypes.INT)
class ScopedIndicatorField(serializers.PrimaryKeyRelatedField):
    """A standard of a campaign the caller works on (any other id does not exist)."""

    def get_queryset(self) -> QuerySet[Indicator]:
        request = self.context.get("request")
        if request is None:
            return Indicator.objects.none()
        return Indicator.objects.filter(campaign__in=selectors.campaigns_for(request.user))


@extend_schema_field(OpenApiTypes.STR)
class ScopedCodeField(CodeRelatedField):
    """A row named by a text key among those the caller may see (any other does not exist)."""

    def __init__(self, model: type, slug_field: str, *, where: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.model, self.where = model, where or {}
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(slug_field=slug_field, **kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        return _scoped(self.model, request.user if request else None).filter(**self.where)


@extend_schema_field(OpenApiTypes.INT)
class ScopedIdField(serializers.PrimaryKeyRelatedField):
    """A row named by id among those the caller may see (any other does not exist)."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(required=False, allow_null=True, **kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        return _scoped(self.model, request.user if request else None)


class EvidenceCreateSerializer(serializers.Serializer):
    """A piece of evidence for a standard and an area taking part: minutes of a meeting, or a link to a case,
    an inspection or a compound's notice board (photos and documents come as multipart with `file`)."""

    indicator = ScopedIndicatorField(help_text="id of a standard")
    area = ScopedCodeField(
        Area,
        "code",
        where={"kind__in": [AreaKind.COMMUNITY, AreaKind.GRID]},
        required=True,
        allow_null=False,
        help_text="code of the community or of a grid taking part",
    )
    kind = EnumField(EvidenceKind, "EvidenceKindEnum")
    title = serializers.CharField(max_length=200)
    occurred_on = serializers.DateField(
        validators=[validate_calendar_date], help_text="the day it happened (not in the future)"
    )
    text = serializers.CharField(
        required=False, allow_blank=True, max_length=20000, help_text="minutes of a meeting (kind meeting)"
    )
    case = ScopedCodeField(Case, "number", help_text="number of a case (kind case)")
    inspection = ScopedIdField(Inspection, help_text="id of an inspection (kind inspection)")
    compound = ScopedCodeField(
        Compound, "code", help_text="code of a compound whose notice board this is (kind notice)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The record the kind links to lies in the evidence's area: whoever reads that area's ledger may then
        see what it points to (the service checks this too; here the caller is told by field)."""
        area, field = attrs.get("area"), LINK_FIELDS.get(attrs.get("kind"))
        link = attrs.get(field) if field else None
        if area is not None and link is not None and not link.area_path.startswith(area.path):
            raise serializers.ValidationError({field: LINK_OUTSIDE[field] % {"area": area.name}})
        return attrs


class EvidenceUploadSerializer(EvidenceCreateSerializer):
    file = serializers.FileField(
        required=False,
        help_text="the photo (JPEG, PNG or WebP) or document (PDF, Word, Excel, PowerPoint); kinds photo and "
        "document need one, a meeting may attach its minutes",
    )


class EvidenceWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="why the evidence is taken out of the ledger")


@extend_schema_view(
    list=extend_schema(
        description=(
            "The current evidence (not withdrawn) of one campaign (`campaign` is required) in the caller's "
            "areas, in tree order. `indicator` narrows to a standard, or to an item or content with the standards "
            "under it. 400: no campaign, or one the caller does not work on."
        ),
        responses={200: EvidenceSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE},
    ),
    retrieve=extend_schema(
        description="One piece of evidence, withdrawn or not (a withdrawn one says by whom and why).",
        responses={200: EvidenceSerializer, **ERRORS, **NOT_FOUND},
    ),
)
class EvidenceViewSet(BodyLimitMixin, ListFiltersMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The evidence ledger (台账) of the caller's campaigns. POST files a piece; `POST {id}/withdraw/` takes one
    out of the ledger, saying why."""

    queryset = Evidence.objects.none()
    serializer_class = EvidenceSerializer
    permission_classes = PERMISSIONS
    filter_backends = [DjangoFilterBackend]
    filterset_class = filters.EvidenceFilter
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self) -> QuerySet[Evidence]:
        user = self.request.user
        return (
            Evidence.objects.for_user(user)
            .filter(indicator__campaign__in=selectors.campaigns_for(user))
            .select_related("indicator", "area", "filed_by", "case", "compound", "withdrawn_by")
        )

    def get_object(self) -> Evidence:
        self.kwargs[self.lookup_field] = _digits(self.kwargs[self.lookup_field])
        return super().get_object()

    def body_limit(self, action: str | None) -> tuple[int, str]:
        """Filing takes one file of evidence (the HTML form's limit); a withdrawal, a reason."""
        if action == "create":
            return evidence_body_limit(), evidence_too_large_message()
        return super().body_limit(action)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The campaign's current evidence in the caller's areas, in tree order."""
        filterset = self.filterset_class(request.query_params, queryset=Evidence.objects.none(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        campaign = filterset.form.cleaned_data["campaign"]
        evidence = filterset.filter_queryset(selectors.evidence_for(request.user, campaign))
        page = self.paginate_queryset(evidence)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer, "application/json": EvidenceCreateSerializer},
        responses={201: EvidenceSerializer, 400: _FIELDS, **ERRORS, **TOO_LARGE},
        description=(
            "File a piece of evidence through the service. A photo or document is a multipart `file` (checked to "
            "be what its name says, and within the size limit); a meeting record has `text` (or a file); a case, "
            "inspection or notice-board link names the record (`case` number, `inspection` id, `compound` code). "
            "400: bad input by field, nothing written (no row, no file); 403: the caller's role does not file "
            "evidence, or not in that area; 413: a body larger than the largest file allowed, refused before it is "
            "read. A standard, area or record the caller cannot see does not exist (400)."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a piece of evidence."""
        user = request.user
        # Refused before validating: a role that files no evidence learns nothing from validation messages.
        if not user.is_superuser and not user.roles() & INSPECT_ROLES:
            raise exceptions.PermissionDenied(_("Your role does not file evidence."))
        serializer = EvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = services.evidence_file(
            actor=user,
            indicator=data["indicator"],
            area=data["area"],
            kind=data["kind"],
            title=data["title"],
            occurred_on=data["occurred_on"],
            upload=data.get("file"),
            text=data.get("text", ""),
            case=data.get("case"),
            inspection=data.get("inspection"),
            compound=data.get("compound"),
        )
        return Response(self._detail(evidence), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="evidence_withdraw",
        summary="Withdraw a piece of evidence",
        description=(
            "Take the evidence out of the ledger, saying why, through the service: the person who filed it, or "
            "the director. It is kept, with who withdrew it and when. 400: no reason, or already withdrawn; "
            "403: the caller may see it but not withdraw it; 404: not in the caller's areas."
        ),
        request=EvidenceWithdrawSerializer,
        responses={200: EvidenceSerializer, 400: _FIELDS, **ERRORS, **NOT_FOUND, **TOO_LARGE},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        evidence = self.get_object()
        serializer = EvidenceWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_withdraw(actor=request.user, evidence=evidence, **serializer.validated_data)
        return Response(self._detail(evidence))

    def _detail(self, evidence: Evidence) -> dict[str, Any]:
        return EvidenceSerializer(self.get_queryset().get(pk=evidence.pk), context=self.get_serializer_context()).data
