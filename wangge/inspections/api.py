"""REST API of inspections: `/api/v1/checklists/` (the standards, read only) and `/api/v1/inspections/` (scoped
list and detail with findings; POST records an inspection through `services.inspection_record`).

Checklists are shared standards: every office role reads all of them. Inspections start from `for_user`; a
place outside the caller's areas is not found (404). Photos of failed items come as multipart file fields
named `photo_<item code>`, with the answers as a JSON-encoded `answers` field; a JSON body carries no photos.
"""

import json
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as django_filters
from drf_spectacular.utils import (
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES
from wangge.cases import services as case_services
from wangge.cases.api import _DETAIL, _FIELDS, ERRORS, TOO_LARGE
from wangge.cases.filters import day_start
from wangge.core.bodylimit import API_MAX_BODY, BodyLimitMixin
from wangge.core.validators import validate_calendar_date
from wangge.inspections import selectors, services
from wangge.inspections.models import (
    Checklist,
    ChecklistItem,
    ChecklistStatus,
    Finding,
    Inspection,
    Result,
    Target,
)
from wangge.inspections.selectors import day_end
from wangge.territory.models import Building, BuildingKind, Compound, Shop

PHOTO_PREFIX = "photo_"
IDEMPOTENCY_MAX = 60
NOT_FOUND = {404: OpenApiResponse(_DETAIL, description="No such record (or not in the caller's areas).")}
NO_PAGE = {404: OpenApiResponse(_DETAIL, description="No such page.")}


# Checklists


class ChecklistItemSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="case category code")
    category_name = serializers.CharField(source="category.name", read_only=True)
    trades = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="trade codes of the shops the item applies to; empty: every place the checklist is for",
    )

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "code",
            "section",
            "text",
            "points",
            "severity",
            "category",
            "category_name",
            "trades",
            "photo_required",
            "rectify_hours",
            "order",
        ]
        read_only_fields = fields


class ChecklistSerializer(serializers.ModelSerializer):
    """One version of a standard with its items in order."""

    items = ChecklistItemSerializer(many=True, read_only=True)
    total_points = serializers.SerializerMethodField()
    community = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="the owning community; null: a shared standard"
    )

    class Meta:
        model = Checklist
        fields = [
            "id",
            "community",
            "code",
            "version",
            "name",
            "target",
            "description",
            "pass_mark",
            "grouping",
            "status",
            "published_at",
            "total_points",
            "items",
        ]
        read_only_fields = fields

    def get_total_points(self, checklist: Checklist) -> int:
        return sum(item.points for item in checklist.items.all())


class ChecklistFilter(django_filters.FilterSet):
    target = django_filters.ChoiceFilter(label=gettext_lazy("Place kind"), choices=Target.choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ChecklistStatus.choices)
    code = django_filters.CharFilter(label=gettext_lazy("Checklist code"))

    class Meta:
        model = Checklist
        fields = ["target", "status", "code"]


@extend_schema_view(
    list=extend_schema(responses={200: ChecklistSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(responses={200: ChecklistSerializer, **ERRORS, **NOT_FOUND}),
)
class ChecklistViewSet(viewsets.ReadOnlyModelViewSet):
    """The inspection standards the user may read, every version: the shared ones and those of the user's
    communities (`community`: null for a shared one). `status=published` for those in use."""

    queryset = Checklist.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = ChecklistSerializer
    filterset_class = ChecklistFilter
    ordering_fields = ["code", "version"]
    search_fields = ["code", "name"]

    def get_queryset(self) -> QuerySet[Checklist]:
        items = ChecklistItem.objects.select_related("category").order_by("order", "pk")
        return (
            selectors.checklists_for(self.request.user)
            .select_related("community")
            .prefetch_related(Prefetch("items", queryset=items))
            .order_by("target", "code", "-version")
        )


# Inspections


class FindingSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item_code", read_only=True, help_text="item code")
    text = serializers.CharField(source="item.text", read_only=True, help_text="the item's standard")
    photo = serializers.SerializerMethodField()
    case = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True, help_text="number of the rectification case"
    )
    relapse = serializers.SerializerMethodField()
    relapse_of = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="number of the verified rectification this failure undid (易反复)",
    )

    class Meta:
        model = Finding
        fields = ["item", "text", "result", "note", "photo", "case", "relapse", "relapse_of"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="the failure's photo (scoped), or null"))
    def get_photo(self, finding: Finding) -> str | None:
        if not finding.photo:
            return None
        url = reverse("inspections:finding_photo", args=[finding.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_relapse(self, finding: Finding) -> bool:
        return finding.relapse_of_id is not None


class InspectionSerializer(serializers.ModelSerializer):
    """One inspection: where, against which version, by whom, the score, and every item's finding."""

    checklist_code = serializers.CharField(source="checklist.code", read_only=True)
    checklist_version = serializers.IntegerField(source="checklist.version", read_only=True)
    checklist_name = serializers.CharField(source="checklist.name", read_only=True)
    grid = serializers.SlugRelatedField(source="area", slug_field="code", read_only=True)
    grid_name = serializers.CharField(source="area.name", read_only=True)
    place = serializers.SerializerMethodField()
    place_name = serializers.SerializerMethodField()
    inspector = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="user name")
    inspector_name = serializers.CharField(source="inspector.display_name", read_only=True)
    score = serializers.FloatField(
        read_only=True, min_value=0, max_value=100, help_text="points passed of points answered, of 100, one decimal"
    )
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "checklist",
            "checklist_code",
            "checklist_version",
            "checklist_name",
            "target",
            "grid",
            "grid_name",
            "place",
            "place_name",
            "inspector",
            "inspector_name",
            "inspected_at",
            "score",
            "passed",
            "failed_count",
            "relapse_count",
            "note",
            "findings",
        ]
        read_only_fields = fields

    def get_place(self, inspection: Inspection) -> str:
        """The code of the compound, street shop or office building."""
        return inspection.place.code

    def get_place_name(self, inspection: Inspection) -> str:
        return inspection.place.name


class InspectionFilter(django_filters.FilterSet):
    grid = django_filters.CharFilter(label=gettext_lazy("Grid code"), field_name="area__code")
    target = django_filters.ChoiceFilter(label=gettext_lazy("Place kind"), choices=Target.choices)
    place = django_filters.CharFilter(label=gettext_lazy("Place code"), method="by_place")
    checklist = django_filters.CharFilter(label=gettext_lazy("Checklist code"), field_name="checklist__code")
    passed = django_filters.BooleanFilter(label=gettext_lazy("Passed"))
    inspected_from = django_filters.DateFilter(
        label=gettext_lazy("Inspected on or after (date)"), method="by_from", validators=[validate_calendar_date]
    )
    inspected_to = django_filters.DateFilter(
        label=gettext_lazy("Inspected on or before (date)"), method="by_to", validators=[validate_calendar_date]
    )

    class Meta:
        model = Inspection
        fields = ["grid", "target", "place", "checklist", "passed", "inspected_from", "inspected_to"]

    def by_place(self, queryset: QuerySet[Inspection], name: str, value: str) -> QuerySet[Inspection]:
        return queryset.filter(Q(compound__code=value) | Q(shop__code=value) | Q(building__code=value))

    def by_from(self, queryset: QuerySet[Inspection], name: str, value: Any) -> QuerySet[Inspection]:
        return queryset.filter(inspected_at__gte=day_start(value))

    def by_to(self, queryset: QuerySet[Inspection], name: str, value: Any) -> QuerySet[Inspection]:
        return queryset.filter(inspected_at__lt=day_end(value))


class InspectionAnswerSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=20, help_text="item code")
    result = serializers.ChoiceField(choices=Result.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=services.MAX_NOTE, help_text="what is wrong (a failure needs it)"
    )


class InspectionCreateSerializer(serializers.Serializer):
    """An inspection of one place against a checklist version in use: an answer for every item that applies."""

    target = serializers.ChoiceField(choices=Target.choices, help_text="the kind of place")
    place = serializers.CharField(max_length=32, help_text="code of the compound, street shop or office building")
    checklist = serializers.PrimaryKeyRelatedField(
        queryset=Checklist.objects.none(), help_text="id of a checklist version in use for this kind of place"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_INSPECTION_NOTE)
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=IDEMPOTENCY_MAX,
        help_text="a key the client makes up per inspection: sent again, it answers 200 with the first inspection",
    )
    inspected_at = serializers.DateTimeField(
        required=False, help_text="when the visit was (entered later, e.g. without signal); default: now"
    )
    answers = InspectionAnswerSerializer(many=True, allow_empty=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only versions the user may read: another community's id is "does not exist", like a made-up one.
        request = self.context.get("request")
        if request is not None:
            self.fields["checklist"].queryset = selectors.checklists_for(request.user)

    def validate_idempotency_key(self, value: str) -> str:
        if value and not (value.isascii() and value.isprintable()):
            raise serializers.ValidationError(_("Use printable ASCII characters only."))
        return value

    def validate_answers(self, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = [answer["item"] for answer in answers]
        twice = sorted({code for code in codes if codes.count(code) > 1})
        if twice:
            raise serializers.ValidationError(_("Answered twice: %(codes)s") % {"codes": ", ".join(twice)})
        return answers


def _multipart_schema() -> dict[str, Any]:
    """The multipart body: the JSON body's fields as form fields, `answers` JSON-encoded, photos as files."""
    return {
        "type": "object",
        "properties": {
            "target": {"type": "string", "enum": list(Target.values), "description": "the kind of place"},
            "place": {"type": "string", "description": "code of the compound, street shop or office building"},
            "checklist": {"type": "integer", "description": "id of a checklist version in use"},
            "note": {"type": "string"},
            "idempotency_key": {"type": "string", "maxLength": IDEMPOTENCY_MAX},
            "inspected_at": {"type": "string", "format": "date-time"},
            "answers": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/InspectionAnswerRequest"},
                "description": "the answers, JSON-encoded in the form field (as in the JSON body)",
            },
        },
        "required": ["target", "place", "checklist", "answers"],
        "additionalProperties": {
            "type": "string",
            "format": "binary",
            "description": "photo_<item code>: the photo of that item's failure (JPEG, PNG or WebP)",
        },
    }


def _form_body(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's fields (answers decoded in a form) and its photos by item code."""
    data = request.data
    if not hasattr(data, "getlist"):
        return data, {}
    body: dict[str, Any] = {key: data.get(key) for key in data if not key.startswith(PHOTO_PREFIX)}
    if isinstance(body.get("answers"), str):
        try:
            body["answers"] = json.loads(body["answers"])
        except ValueError:
            raise exceptions.ValidationError({"answers": [_("Give the answers as a JSON array.")]}) from None
    photos = {
        key.removeprefix(PHOTO_PREFIX): upload for key, upload in request.FILES.items() if key.startswith(PHOTO_PREFIX)
    }
    return body, photos


_PLACES: dict[str, tuple[type, dict[str, Any]]] = {
    Target.COMPOUND: (Compound, {}),
    Target.SHOP: (Shop, {}),
    Target.OFFICE: (Building, {"kind": BuildingKind.OFFICE}),
}


def _place_for(user: User, target: str, code: str) -> Compound | Shop | Building:
    """The place of that kind and code among those the caller may see; 404 for any other."""
    model, extra = _PLACES[target]
    place = model.objects.for_user(user).filter(code=code, **extra).select_related("area__parent").first()
    if place is None:
        raise exceptions.NotFound(_("There is no such place in your areas."))
    return place


@extend_schema_view(
    list=extend_schema(responses={200: InspectionSerializer, 400: _FIELDS, **ERRORS, **NO_PAGE}),
    retrieve=extend_schema(responses={200: InspectionSerializer, **ERRORS, **NOT_FOUND}),
)
class InspectionViewSet(BodyLimitMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections in the caller's areas, newest first, with their findings. POST records one."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ["inspected_at", "score"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Inspection]:
        findings = Finding.objects.select_related("item", "case", "relapse_of").order_by("item__order", "pk")
        return (
            Inspection.objects.for_user(self.request.user)
            .select_related("checklist", "area", "inspector", "compound", "shop", "building")
            .prefetch_related(Prefetch("findings", queryset=findings))
            .order_by("-inspected_at", "-pk")
        )

    def get_object(self) -> Inspection:
        # An id is digits; anything else names nothing and never reaches the database.
        if not str(self.kwargs[self.lookup_field]).isdigit():
            raise exceptions.NotFound()
        return super().get_object()

    def body_limit(self, action: str | None) -> tuple[int, str]:
        """An inspection carries one photo per failed item at most (of the longest checklist in use)."""
        if action == "create":
            limit = selectors.most_photos() * settings.PHOTO_MAX_BYTES + API_MAX_BODY
            return limit, _(
                "The upload is too large: an inspection takes one photo of at most %(mb)d MB for each failed item."
            ) % {"mb": settings.PHOTO_MAX_BYTES // 2**20}
        return super().body_limit(action)

    @extend_schema(
        request={
            "application/json": InspectionCreateSerializer,
            "multipart/form-data": OpenApiRequest(
                request=_multipart_schema(), encoding={"answers": {"contentType": "application/json"}}
            ),
        },
        responses={
            201: InspectionSerializer,
            200: OpenApiResponse(InspectionSerializer, description="A retry: the inspection the same key made."),
            400: _FIELDS,
            **ERRORS,
            404: OpenApiResponse(_DETAIL, description="No such place in the caller's areas."),
            **TOO_LARGE,
        },
        description=(
            "Record an inspection through the service: every item of the checklist that applies to the place "
            "answered (`pass`, `fail` or `na`); a failure needs a note, and a photo when its item says so. "
            "Photos are sent as multipart file fields `photo_<item code>` with the other fields as form fields "
            "(`answers` JSON-encoded); a JSON body has no photos. Failures open rectification cases, and open "
            "ones of the place are re-inspected. 400: the input or the service refused it (nothing written), "
            "by field (`item_<code>` for an answer); 403: the caller's role does not inspect; 404: no such place "
            "in the caller's areas."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record an inspection (JSON, or multipart with photos)."""
        user = request.user
        # Refused before validating: a role that does not inspect learns nothing from validation messages.
        if not user.is_superuser and not user.roles() & INSPECT_ROLES:
            raise exceptions.PermissionDenied(_("Your role does not inspect places."))
        body, photos = _form_body(request)
        serializer = InspectionCreateSerializer(data=body, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = data.get("idempotency_key", "")
        if key:
            stored = case_services.idempotency_key_for(user, key)
            earlier = self.get_queryset().filter(idempotency_key=stored).first()
            if earlier is not None:
                return Response(self._detail(earlier), status=status.HTTP_200_OK)
        answered = {answer["item"] for answer in data["answers"]}
        stray = sorted(code for code in photos if code not in answered)
        if stray:
            raise exceptions.ValidationError(
                {f"{PHOTO_PREFIX}{code}": [_("No answer for item %(code)s.") % {"code": code}] for code in stray}
            )
        place = _place_for(user, data["target"], data["place"])
        answers = {
            answer["item"]: services.Answer(
                result=answer["result"], note=answer.get("note", ""), photo=photos.get(answer["item"])
            )
            for answer in data["answers"]
        }
        inspection = services.inspection_record(
            actor=user,
            checklist=data["checklist"],
            place=place,
            answers=answers,
            note=data.get("note", ""),
            inspected_at=data.get("inspected_at"),
            idempotency_key=key,
        )
        return Response(self._detail(self.get_queryset().get(pk=inspection.pk)), status=status.HTTP_201_CREATED)

    def _detail(self, inspection: Inspection) -> dict[str, Any]:
        return InspectionSerializer(inspection, context=self.get_serializer_context()).data
