"""REST API of the closed loop: `/api/v1/cases/` (list, detail, report, one endpoint per action of the
transition table), `case-categories/` and `case-metrics/`. Lists are scoped and paginated; every write goes
through `services.case_report` or `services.case_act`, which check roles, states and versions."""

import datetime
import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from wangge.cases import filters, metrics, selectors, services, workflow
from wangge.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Question,
    Rating,
    RejectReason,
    Source,
    State,
)
from wangge.core.api import ScopedPersonField, ScopedViewSetMixin
from wangge.core.bodylimit import API_MAX_BODY, BodyLimitMixin
from wangge.core.pii import masked
from wangge.core.schema import ERROR_DETAIL
from wangge.core.validators import validate_calendar_date
from wangge.territory import selectors as territory_selectors
from wangge.territory.api import ScopedAreaField, ScopedCompoundField
from wangge.territory.models import Shop

# The header a client repeats when it retries a report; at most this long.
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MAX = 64


class Conflict(exceptions.APIException):
    """409: someone else changed the case since the caller loaded it (`services.CaseChanged`)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"
    default_code = "stale"


# Error bodies, for the schema: the one error mapping (core/rest.py) answers with these shapes.
_DETAIL = ERROR_DETAIL  # one ErrorDetail component for the whole schema
_FIELDS = OpenApiResponse(
    response={
        "type": "object",
        "description": "Messages by field name (non_field_errors for the whole input).",
        "additionalProperties": {},
    },
    description="Bad input, or an action the case's state does not allow.",
)
ERRORS: dict[int, OpenApiResponse] = {
    401: OpenApiResponse(_DETAIL, description="Not signed in, or a bad API key."),
    403: OpenApiResponse(_DETAIL, description="The caller's role does not allow this."),
}
NOT_FOUND = {404: OpenApiResponse(_DETAIL, description="No such case in the caller's areas.")}
TOO_LARGE = {413: OpenApiResponse(_DETAIL, description="The request body is over the size limit; nothing was read.")}


# Reading


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "array", "items": {"type": "string"}}]
        },
        "description": "Answers to the category's extra questions, by question code.",
    }
)
class AnswersField(serializers.JSONField):
    """The answers to a category's questions: an object (a JSON-encoded one in multipart forms)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Give the answers as an object: question code → answer."))
        # Python's JSON parser takes NaN, Infinity and 1e999, and PostgreSQL's JSON no NUL: neither can be stored.
        items = [*value, *(v for answer in value.values() for v in (answer if isinstance(answer, list) else [answer]))]
        if any(isinstance(v, float) and not math.isfinite(v) for v in items):
            raise serializers.ValidationError(_("Give numbers as plain finite numbers."))
        if any(isinstance(v, str) and "\x00" in v for v in items):
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value


class NoNulSlugMixin:
    """A key with a NUL character names nothing: refused before PostgreSQL, which fails on it (a 500)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class SlugField(NoNulSlugMixin, serializers.SlugRelatedField):
    """A row named by a text key (a code, a user name)."""


@extend_schema_field(OpenApiTypes.STR)
class GridCodeField(NoNulSlugMixin, ScopedAreaField):
    """A grid given by its code, among those the caller may see."""


@extend_schema_field(OpenApiTypes.STR)
class CompoundCodeField(NoNulSlugMixin, ScopedCompoundField):
    """A compound given by its code, among those the caller may see."""


@extend_schema_field(OpenApiTypes.STR)
class ShopCodeField(SlugField):
    """A street shop given by its code, among those the caller may see (others 'do not exist')."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Shop]:
        request = self.context.get("request")
        return Shop.objects.for_user(request.user if request else None)


class QuestionSerializer(serializers.ModelSerializer):
    choices = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["code", "label", "datatype", "required", "choices", "help_text"]

    @extend_schema_field(
        inline_serializer(
            "QuestionChoice", fields={"key": serializers.CharField(), "label": serializers.CharField()}, many=True
        )
    )
    def get_choices(self, question: Question) -> list[dict[str, str]]:
        return [{"key": str(key), "label": str(label)} for key, label in question.choices]


class CategorySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "kind",
            "class_code",
            "class_name",
            "description",
            "deadline_hours",
            "working_hours",
            "level",
            "photo_required",
            "public",
            "questions",
        ]


def is_overdue(case: Case, now: datetime.datetime | None = None) -> bool:
    """Open and past its deadline (the same rule as the overdue queue and filter)."""
    now = now or timezone.now()
    return case.state in OPEN_STATES and case.deadline_at is not None and case.deadline_at < now


class CaseListSerializer(serializers.ModelSerializer):
    """One row of a case list."""

    state_label = serializers.CharField(source="get_state_display", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    grid = serializers.SlugRelatedField(source="area", slug_field="code", read_only=True)
    grid_name = serializers.CharField(source="area.name", read_only=True)
    compound = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    shop = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="user name"
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "state",
            "state_label",
            "category",
            "category_name",
            "description",
            "source",
            "level",
            "grid",
            "grid_name",
            "compound",
            "shop",
            "address",
            "assignee",
            "deadline_at",
            "overdue",
            "reported_at",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, case: Case) -> bool:
        return is_overdue(case)


class CaseEventSerializer(serializers.ModelSerializer):
    # Declared, not derived: a derived read-only choice field loses allow_blank and the schema would refuse "".
    from_state = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)
    to_state = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True, help_text="user name")
    data = serializers.DictField(read_only=True, help_text="What the step recorded, e.g. the assignee or the level.")

    class Meta:
        model = CaseEvent
        fields = ["action", "from_state", "to_state", "actor", "actor_label", "note", "public", "data", "at"]
        read_only_fields = fields


class CasePhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "kind", "width", "height", "url", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo: CasePhoto) -> str:
        # Through the scoped photo view, never the storage: a photo is as private as its case.
        url = reverse("cases:case_photo", args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["stars", "comment", "created_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    """One case: facts, place, people (the reporter masked), the clock, the counters, timeline, photos, rating."""

    attributes = serializers.DictField(read_only=True, help_text="Answers to the category's questions, by code.")
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    reporter = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="user name of a reporting member of staff"
    )
    reject_reason = serializers.ChoiceField(choices=RejectReason.choices, allow_blank=True, read_only=True)
    reporter_name_masked = serializers.SerializerMethodField()
    reporter_phone_masked = serializers.SerializerMethodField()
    reporter_email_masked = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "attributes",
            "level_label",
            "longitude",
            "latitude",
            "reporter",
            "reporter_name_masked",
            "reporter_phone_masked",
            "reporter_email_masked",
            "department",
            "registered_at",
            "dispatched_at",
            "handled_at",
            "verified_at",
            "closed_at",
            "overdue_at",
            "reject_reason",
            "rework_count",
            "postponed",
            "reopen_count",
            "timeline",
            "photos",
            "rating",
            "actions",
        ]
        read_only_fields = fields

    def get_reporter_name_masked(self, case: Case) -> str:
        return masked(case, "reporter_name")

    def get_reporter_phone_masked(self, case: Case) -> str:
        return masked(case, "reporter_phone")

    def get_reporter_email_masked(self, case: Case) -> str:
        return masked(case, "reporter_email")

    @extend_schema_field(CaseEventSerializer(many=True))
    def get_timeline(self, case: Case) -> list[dict[str, Any]]:
        return CaseEventSerializer(selectors.timeline(case), many=True).data

    @extend_schema_field(CasePhotoSerializer(many=True))
    def get_photos(self, case: Case) -> list[dict[str, Any]]:
        return CasePhotoSerializer(selectors.photos(case), many=True, context=self.context).data

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, case: Case) -> dict[str, Any] | None:
        rating = getattr(case, "rating", None)  # a missing one-to-one raises an AttributeError subclass
        return RatingSerializer(rating).data if rating else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=list(workflow.TRANSITIONS)),
            help_text="The actions the caller may take on the case now.",
        )
    )
    def get_actions(self, case: Case) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [transition.action for transition in selectors.actions_for(request.user, case)]


# Reporting


class CaseCreateSerializer(serializers.Serializer):
    """A new case: what, where (a compound, a shop, a grid or a WGS-84 point) and, optionally, who reported it."""

    category = SlugField(
        slug_field="code", queryset=Category.objects.filter(active=True), help_text="code of an active category"
    )
    description = serializers.CharField(max_length=services.MAX_DESCRIPTION)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.PATROL)
    compound = CompoundCodeField(required=False, allow_null=True, help_text="code of a compound")
    shop = ShopCodeField(required=False, allow_null=True, help_text="code of a street shop")
    grid = GridCodeField(required=False, allow_null=True, help_text="code of a grid")
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    attributes = AnswersField(required=False)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=60, write_only=True)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=30, write_only=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True, max_length=120, write_only=True)


class CaseCreateWithPhotosSerializer(CaseCreateSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=services.MAX_PHOTOS, help_text="photos before"
    )


# The loop: one request body per kind of action


class CaseActionSerializer(serializers.Serializer):
    """What every action takes: the version the caller saw (stale: 409) and a note for the timeline."""

    version = serializers.IntegerField(
        required=False, min_value=1, help_text="the case's version as loaded; a newer one answers 409"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseNoteActionSerializer(CaseActionSerializer):
    note = serializers.CharField(max_length=2000)


class CaseRejectSerializer(CaseActionSerializer):
    reason = serializers.ChoiceField(choices=RejectReason.choices)


class CaseDispatchSerializer(CaseActionSerializer):
    assignee = ScopedPersonField(
        territory_selectors.people_for,
        required=False,
        allow_null=True,
        help_text="user name of the person who handles it (or give a department)",
    )
    department = serializers.CharField(required=False, allow_blank=True, max_length=100)


class CaseHandleSerializer(CaseNoteActionSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=services.MAX_PHOTOS, help_text="photos after"
    )


class CaseHandleJsonSerializer(CaseNoteActionSerializer):
    """Handling reported without photos."""


class CasePostponementRequestSerializer(CaseActionSerializer):
    reason = serializers.CharField(max_length=300)
    hours = serializers.IntegerField(min_value=1, max_value=24 * 30, help_text="extra hours asked for")


class CasePostponementDecisionSerializer(CaseActionSerializer):
    approve = serializers.BooleanField(help_text="true approves the waiting request, false refuses it")


ACTION_SERIALIZERS: dict[str, type[CaseActionSerializer]] = {
    "reject": CaseRejectSerializer,
    "dispatch": CaseDispatchSerializer,
    "handle": CaseHandleSerializer,
    "request_postponement": CasePostponementRequestSerializer,
    "decide_postponement": CasePostponementDecisionSerializer,
}


def action_serializer(name: str) -> type[CaseActionSerializer]:
    """The request body of one action of the table."""
    if name in ACTION_SERIALIZERS:
        return ACTION_SERIALIZERS[name]
    return CaseNoteActionSerializer if "note" in workflow.TRANSITIONS[name].needs else CaseActionSerializer


def _describe(transition: workflow.Transition) -> str:
    sources = ", ".join(sorted(str(s) for s in transition.sources))
    roles = ", ".join(sorted(str(r) for r in transition.roles))
    if transition.building_leader:
        roles += "; building_leader on compound-level cases of their compound"
    target = transition.target or "unchanged"
    return (
        f"{transition.label}. From {sources} to {target}. Roles: {roles}. "
        "Answers the case as it is now. 400: the state does not allow it or the input is wrong; "
        "403: the caller's role does not allow it; 404: no such case in the caller's areas; "
        "409: the version is stale (someone else changed the case)."
    )


def _transition_endpoint(name: str) -> Callable[..., Response]:
    """A `POST cases/{number}/<name>/` endpoint for one action of the table."""
    transition = workflow.TRANSITIONS[name]
    body = action_serializer(name)
    request_schema: Any = body
    parsers: list = [JSONParser, FormParser, MultiPartParser]
    if name == "handle":
        request_schema = {"multipart/form-data": CaseHandleSerializer, "application/json": CaseHandleJsonSerializer}
        parsers = [MultiPartParser, JSONParser]

    def endpoint(self: "CaseViewSet", request: Request, number: str | None = None) -> Response:
        return self.act(request, name, body)

    # DRF routes an action by its method's name; `dispatch` would shadow the view's own, hence the prefix.
    endpoint.__name__ = endpoint.__qualname__ = f"act_{name}"
    endpoint.__doc__ = str(transition.label)
    endpoint = action(detail=True, methods=["post"], url_path=name, url_name=name, parser_classes=parsers)(endpoint)
    # After `action`, which replaces the function's kwargs where the schema is kept.
    return extend_schema(
        operation_id=f"cases_{name}",
        summary=str(transition.label),
        description=_describe(transition),
        request=request_schema,
        responses={200: CaseDetailSerializer, 400: _FIELDS, **ERRORS, **NOT_FOUND, 409: _DETAIL, **TOO_LARGE},
    )(endpoint)


NO_PAGE = {404: OpenApiResponse(_DETAIL, description="No such page.")}


@extend_schema_view(
    list=extend_schema(responses={200: CaseListSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(responses={200: CaseDetailSerializer, **ERRORS, **NOT_FOUND}),
)
class CaseViewSet(BodyLimitMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cases in the caller's areas. POST reports one; `POST {number}/{action}/` takes a step of the loop."""

    queryset = Case.objects.all()
    lookup_field = "number"
    filterset_class = filters.CaseFilter
    ordering_fields = ["reported_at", "deadline_at"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.cases_for(self.request.user).select_related("shop", "rating")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return CaseListSerializer if self.action == "list" else CaseDetailSerializer

    def body_limit(self, action: str | None) -> tuple[int, str]:
        """A report and the handling step may carry photos; the other steps carry text only."""
        if action in {"create", "act_handle"}:
            limit = services.MAX_PHOTOS * settings.PHOTO_MAX_BYTES + API_MAX_BODY
            return limit, _("The upload is too large: at most %(n)d photos of %(mb)d MB each.") % {
                "n": services.MAX_PHOTOS,
                "mb": settings.PHOTO_MAX_BYTES // 2**20,
            }
        return super().body_limit(action)

    def get_object(self) -> Case:
        # A case number is digits; anything else names no case and never reaches the database
        # (PostgreSQL refuses a NUL character in a query with an error, which would be a 500).
        if not self.kwargs[self.lookup_field].isdigit():
            raise exceptions.NotFound()
        return super().get_object()

    @extend_schema(
        request={"application/json": CaseCreateSerializer, "multipart/form-data": CaseCreateWithPhotosSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=f"At most {IDEMPOTENCY_MAX} printable ASCII characters. A retried report with the "
                "same key answers 200 with the case the first one made.",
            )
        ],
        responses={
            201: CaseDetailSerializer,
            200: OpenApiResponse(CaseDetailSerializer, description="A retry: the case the same key made before."),
            400: _FIELDS,
            **ERRORS,
            **TOO_LARGE,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Report a case (state `reported`); JSON, or multipart with `photos`."""
        key = self._idempotency_key(request)
        if key:
            stored = services.idempotency_key_for(request.user, key)
            earlier = self.get_queryset().filter(idempotency_key=stored).first()
            if earlier is not None:
                return Response(self._detail(earlier), status=status.HTTP_200_OK)
        serializer = CaseCreateWithPhotosSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = services.case_report(
            actor=request.user,
            category=data["category"],
            description=data["description"],
            source=data["source"],
            area=data.get("grid"),
            compound=data.get("compound"),
            shop=data.get("shop"),
            longitude=data.get("longitude"),
            latitude=data.get("latitude"),
            address=data.get("address", ""),
            attributes=data.get("attributes") or {},
            photos=data.get("photos", []),
            reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""),
            reporter_email=data.get("reporter_email", ""),
            idempotency_key=key,
        )
        return Response(self._detail(case), status=status.HTTP_201_CREATED)

    def act(self, request: Request, name: str, body: type[CaseActionSerializer]) -> Response:
        """Take one action of the transition table on the case named in the URL."""
        case = self.get_object()
        serializer = body(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            case = services.case_act(actor=request.user, case=case, action=name, **serializer.validated_data)
        except services.CaseChanged as error:
            raise Conflict(error.messages[0]) from None
        return Response(self._detail(case))

    def _detail(self, case: Case) -> dict[str, Any]:
        return CaseDetailSerializer(case, context=self.get_serializer_context()).data

    def _idempotency_key(self, request: Request) -> str:
        """The caller's key, checked (the service keeps each caller's keys apart)."""
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return ""
        if len(key) > IDEMPOTENCY_MAX or not (key.isascii() and key.isprintable()):
            raise exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: [_("Use at most %(n)d printable ASCII characters.") % {"n": IDEMPOTENCY_MAX}]}
            )
        return key


for _name in workflow.TRANSITIONS:
    setattr(CaseViewSet, f"act_{_name}", _transition_endpoint(_name))


@extend_schema_view(
    list=extend_schema(responses={200: CategorySerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(
        responses={200: CategorySerializer, **ERRORS, 404: OpenApiResponse(_DETAIL, description="No such category.")}
    ),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The active case categories and their extra questions."""

    queryset = Category.objects.filter(active=True).prefetch_related("questions")
    serializer_class = CategorySerializer
    lookup_field = "code"
    filterset_fields = ["kind", "level"]

    def get_object(self) -> Category:
        if "\x00" in self.kwargs[self.lookup_field]:  # see CaseViewSet.get_object
            raise exceptions.NotFound()
        return super().get_object()


# Metrics


class MetricsQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=list(metrics.GROUPS), required=False, help_text="group by; left out: one row for all cases"
    )
    since = serializers.DateField(
        required=False,
        help_text="cases reported on or after this day (YYYY-MM-DD, 1900–2100)",
        validators=[validate_calendar_date],
    )
    until = serializers.DateField(
        required=False,
        help_text="cases reported on or before this day (YYYY-MM-DD, 1900–2100)",
        validators=[validate_calendar_date],
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": [_("The period ends before it starts.")]})
        return attrs


class MetricRatesSerializer(serializers.Serializer):
    closure = serializers.FloatField(allow_null=True, help_text="结案率 closed / (due − suspended)")
    on_time = serializers.FloatField(allow_null=True, help_text="按期结案率 closed on time / (due − suspended)")
    rework = serializers.FloatField(allow_null=True, help_text="返工率 reworked / due")
    postponement = serializers.FloatField(allow_null=True, help_text="延期率 postponed / due")
    overdue = serializers.FloatField(allow_null=True, help_text="超期率 overdue open / due")
    satisfaction = serializers.FloatField(allow_null=True, help_text="满意率 4–5 stars / ratings")
    reporter_accuracy = serializers.FloatField(allow_null=True, help_text="registered / reported")
    composite = serializers.FloatField(allow_null=True, help_text="综合得分 (weighted, 0–100)")


class MetricRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="grid code, user name, category code or YYYY-MM; empty for the total")
    label = serializers.CharField()
    reported = serializers.IntegerField()
    registered = serializers.IntegerField()
    due = serializers.IntegerField()
    suspended = serializers.IntegerField()
    closed = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()
    reworked = serializers.IntegerField()
    postponed = serializers.IntegerField()
    overdue_open = serializers.IntegerField()
    ratings = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    rates = MetricRatesSerializer(help_text="null where the denominator is 0")


@extend_schema_serializer(many=False)
class MetricsReportSerializer(serializers.Serializer):
    by = serializers.CharField(allow_null=True)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    results = MetricRowSerializer(many=True)


class CaseMetricsViewSet(viewsets.ViewSet):
    """评价指标 of the cases in the caller's areas created in a period, in total or per grid, person,
    category or month (definitions in `cases/metrics.py`)."""

    @extend_schema(
        parameters=[MetricsQuerySerializer], responses={200: MetricsReportSerializer, 400: _FIELDS, **ERRORS}
    )
    def list(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        by, since, until = (query.validated_data.get(name) for name in ("by", "since", "until"))
        cases = filters.created_between(selectors.cases_for(request.user), since, until)
        # Judged as of the period's end, or now when the period runs on to today.
        now = timezone.now()
        if until is not None:
            now = min(now, filters.day_start(until + datetime.timedelta(days=1)))
        rows = metrics.case_metrics(cases, by=by, now=now)
        report = {"by": by, "since": since, "until": until, "results": [asdict(row) for row in rows]}
        return Response(MetricsReportSerializer(report).data)
