"""REST API of the people register: `/api/v1/residents/` and `/api/v1/households/`.

Lists are scoped (`for_user`) and paginated, with the list pages' filters; writes go through the services.
What a response shows of a resident is decided by `selectors.ResidentCard`, as on the pages: personal data
only masked (never in clear: revealing is a page action with a reason), and a field the caller may not see
is null (the birth date too, for whoever may not reveal the ID number that hides it). ID and phone numbers
and sensitive tags can be written, never read back.

A full ID or phone number is never taken from a URL: `GET ?q=` finds names only, and a number is looked up
with `POST /api/v1/residents/search/` (office roles only; rate-limited; audited as `pii.search`). A
sensitive tag filter needs `reason` and is audited as `pii.filter` (see `people.search`).
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from wangge.accounts.roles import Action
from wangge.core.api import ScopedViewSetMixin
from wangge.core.bodylimit import BodyLimitMixin
from wangge.people import filters, search, selectors, services
from wangge.people import tags as care_tags
from wangge.people.models import Household, IdType, Relation, Residence, Resident, Sex
from wangge.territory.models import Dwelling


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related row by id, among those the caller may take the request's action on (others: "does not exist")."""

    def __init__(self, rows_for, **kwargs: Any) -> None:
        self.rows_for = rows_for
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.rows_for(None, Action.VIEW).none()
        action = Action.ADD if request.method == "POST" else Action.CHANGE
        return self.rows_for(request.user, action)


def _dwellings(user, action):
    return Dwelling.objects.for_user(user, action) if user is not None else Dwelling.objects.none()


def _households(user, action):
    return Household.objects.for_user(user, action) if user is not None else Household.objects.none()


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": sorted(care_tags.PLAIN_CODES)}})
class PlainTagsField(serializers.MultipleChoiceField):
    pass


class ResidentSerializer(serializers.Serializer):
    """A resident as the caller may see them: masked personal data; null where the caller may not look."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=50, help_text="masked for a building leader when the resident is a child")
    sex = serializers.ChoiceField(
        choices=Sex.choices, required=False, allow_blank=True, help_text="null for a building leader"
    )
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="null unless the caller may reveal personal data over the resident (read age instead)",
    )
    age = serializers.IntegerField(read_only=True, allow_null=True, help_text="whole years; null for a building leader")
    id_type = serializers.ChoiceField(choices=IdType.choices, required=False)
    id_number = serializers.CharField(write_only=True, max_length=40, help_text="written only; read id_number_masked")
    id_number_masked = serializers.CharField(read_only=True, allow_null=True, help_text="410105********1234")
    phone = serializers.CharField(write_only=True, max_length=30, required=False, allow_blank=True)
    phone_masked = serializers.CharField(read_only=True, help_text="138****5678")
    residence = serializers.ChoiceField(choices=Residence.choices, allow_null=True)
    registered_address = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    dwelling = ScopedPrimaryKeyField(_dwellings)
    dwelling_name = serializers.CharField(read_only=True)
    household = ScopedPrimaryKeyField(_households, required=False, allow_null=True)
    household_number = serializers.CharField(read_only=True, allow_null=True)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, allow_blank=True, allow_null=True)
    tags = PlainTagsField(choices=care_tags.choices(sensitive=False), required=False, allow_null=True)
    sensitive_tags = serializers.MultipleChoiceField(
        choices=care_tags.choices(sensitive=True), required=False, write_only=True, help_text="written only"
    )
    sensitive_tag_count = serializers.IntegerField(read_only=True, allow_null=True)
    moved_in_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.CharField(read_only=True, allow_null=True, help_text="null for a building leader")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            # Editing: a number left out keeps the stored one (it is never sent to the caller to send back).
            self.fields["id_number"].required = False

    def to_representation(self, resident: Resident) -> dict[str, Any]:
        card = selectors.ResidentCard.of(resident, self.context["request"].user)
        full = card.full
        return {
            "id": resident.pk,
            "name": card.name,
            "sex": resident.sex if full else None,
            "birth_date": card.birth_date.isoformat() if card.birth_date else None,
            "age": card.age,
            "id_type": resident.id_type if full else None,
            "id_number_masked": card.id_number,
            "phone_masked": card.phone,
            "residence": card.residence,
            "registered_address": resident.registered_address if full else None,
            "dwelling": resident.dwelling_id,
            "dwelling_name": card.dwelling,
            "household": resident.household_id if full else None,
            "household_number": card.household.number if card.household else None,
            "relation": resident.relation if full else None,
            "tags": card.tags if full else None,
            "sensitive_tag_count": card.sensitive_count if full else None,
            "moved_in_on": resident.moved_in_on.isoformat() if full and resident.moved_in_on else None,
            "status": resident.status if full else None,
        }

    def service_fields(self) -> dict[str, Any]:
        """The validated values as the services take them."""
        data = dict(self.validated_data)
        for name in ("tags", "sensitive_tags"):
            if name in data:
                data[name] = sorted(data[name] or [])
        for name in ("relation", "registered_address"):
            if name in data and data[name] is None:
                data[name] = ""
        return data


class HouseholdSerializer(serializers.ModelSerializer):
    dwelling = ScopedPrimaryKeyField(_dwellings)
    dwelling_name = serializers.CharField(source="dwelling.__str__", read_only=True)
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    member_count = serializers.IntegerField(read_only=True, help_text="living members")

    class Meta:
        model = Household
        fields = ["id", "number", "community", "dwelling", "dwelling_name", "note", "member_count"]
        read_only_fields = ["id", "community"]


class _WriteThroughServices(
    BodyLimitMixin, ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refuse before validating: a role that may not add learns nothing from validation messages.
        if not request.user.can(Action.ADD):
            raise PermissionDenied()
        return super().create(request, *args, **kwargs)


class ResidentFilterBackend(DjangoFilterBackend):
    """The register's filters, with the posted criteria of a number search (`ResidentViewSet.search`)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["criteria"] = getattr(view, "criteria", None)
        return kwargs


class ResidentOrderingFilter(OrderingFilter):
    """Ordering by birth date only for those who may see every birth date in their list (it would leak it)."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        asked = [term.strip().lstrip("-") for term in request.query_params.get(self.ordering_param, "").split(",")]
        if "birth_date" in asked and not selectors.sees_birth_dates(request.user):
            raise ValidationError({"ordering": [_("You may not sort by birth date.")]})
        return ordering


class NumberSearchSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=40, help_text="a full ID number (15 or 18 characters) or phone number (mobile or landline)"
    )


class ResidentViewSet(_WriteThroughServices):
    """Residents in the caller's scope (building leaders: the buildings they answer for, living ones, by name
    and compound only). Living ones unless `status=archived` or `status=all`. `q` finds by name only; a full
    ID or phone number is looked up with `POST search/`. A sensitive `tag` needs a `reason`, and is logged."""

    queryset = Resident.objects.all()
    serializer_class = ResidentSerializer
    filterset_class = filters.ResidentFilter
    filter_backends = [ResidentFilterBackend, ResidentOrderingFilter]
    ordering_fields = ["name", "birth_date", "id"]
    criteria: search.Criteria | None = None

    def get_queryset(self):
        return selectors.residents_for(self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        tag = self.request.query_params.get("tag", "")
        if self.action in ("list", "search") and tag in care_tags.BY_CODE and care_tags.BY_CODE[tag].sensitive:
            self._sensitive_tag = tag
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._record(response, channel="api")
        return response

    def _record(self, response: Response, *, channel: str) -> None:
        """The audit events of a number search or a sensitive-tag filter, once per request."""
        rows = response.data.get("count", 0) if isinstance(response.data, dict) else 0
        user = self.request.user
        if self.criteria is not None:
            search.record(user, self.criteria, rows, channel=channel)
        tag = getattr(self, "_sensitive_tag", "")
        if tag:
            reason = search.clean_reason(self.request.query_params.get("reason"))
            search.record_tag_filter(user, tag, reason, rows, channel=channel)

    @extend_schema(
        request=NumberSearchSerializer,
        responses={
            200: ResidentSerializer(many=True),
            400: OpenApiResponse(description="no full ID or phone number, or a filter the caller may not use"),
            403: OpenApiResponse(description="the caller may not search by number (e.g. a building leader)"),
            429: OpenApiResponse(description="too many searches by number; see Retry-After"),
        },
        parameters=[OpenApiParameter("page", int, description="page number")],
        description=(
            "One person by a full ID or phone number, sent in the body (never in a URL). Office roles only "
            "(not building leaders), within their office areas; limited per user (429 when over); every "
            "search is written to the audit log with the number masked. The list's filters apply too."
        ),
    )
    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request: Request) -> Response:
        body = NumberSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            self.criteria = search.number_criteria(request.user, body.validated_data["number"])
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise ValidationError({"number": error.messages}) from None
        except search.TooManySearches as error:
            raise Throttled(error.retry_after, _("Too many searches by number; try again later.")) from None
        response = super().list(request)
        self._record(response, channel="api")
        return response

    def perform_create(self, serializer: ResidentSerializer) -> None:
        serializer.instance = services.resident_create(actor=self.request.user, **serializer.service_fields())

    def perform_update(self, serializer: ResidentSerializer) -> None:
        with transaction.atomic():
            serializer.instance = services.resident_update(
                actor=self.request.user, resident=serializer.instance, **serializer.service_fields()
            )


class HouseholdViewSet(_WriteThroughServices):
    """Households in the caller's scope, with their number of living members."""

    queryset = Household.objects.all()
    serializer_class = HouseholdSerializer
    filterset_class = filters.HouseholdFilter
    ordering_fields = ["number", "id"]

    def get_queryset(self):
        return selectors.households_for(self.request.user)

    def perform_create(self, serializer: HouseholdSerializer) -> None:
        data = serializer.validated_data
        household = services.household_create(
            actor=self.request.user, dwelling=data["dwelling"], number=data["number"], note=data.get("note", "")
        )
        serializer.instance = selectors.households_for(self.request.user).get(pk=household.pk)

    def perform_update(self, serializer: HouseholdSerializer) -> None:
        with transaction.atomic():
            household = services.household_update(
                actor=self.request.user, household=serializer.instance, **serializer.validated_data
            )
        serializer.instance = selectors.households_for(self.request.user).get(pk=household.pk)
