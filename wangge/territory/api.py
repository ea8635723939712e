"""REST API of the territory: `/api/v1/areas/`, `compounds/`, `buildings/`, `shops/`, `partner-units/`,
`assignments/`, `coverage/`. Lists are scoped and paginated; writes go through the services."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from wangge.accounts.roles import Action
from wangge.core.api import CodeRelatedField, ScopedPersonField, ScopedReadOnlyViewSet, ScopedViewSetMixin
from wangge.core.bodylimit import BodyLimitMixin
from wangge.core.pii import masked
from wangge.territory import filters, selectors, services
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    Compound,
    Dwelling,
    PartnerUnit,
    PlaceKind,
    Shop,
    Trade,
)


class ScopedAreaField(CodeRelatedField):
    """An area given by its code, among those the caller may see (others are 'does not exist')."""

    def __init__(self, kinds: tuple[str, ...] = (AreaKind.GRID,), **kwargs: Any) -> None:
        self.kinds = kinds
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request else None
        return Area.objects.for_user(user).filter(kind__in=self.kinds)


class ScopedCompoundField(CodeRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Compound.objects.for_user(request.user if request else None)


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Area
        fields = ["code", "kind", "name", "parent", "path", "area_km2", "office_phone", "office_address", "boundary"]


class CompoundSerializer(serializers.ModelSerializer):
    area = ScopedAreaField(required=False, help_text="code of the grid; found from longitude/latitude when left out")

    class Meta:
        model = Compound
        fields = ["code", "name", "area", "address", "management", "management_name", "longitude", "latitude"]


class BuildingSerializer(serializers.ModelSerializer):
    area = ScopedAreaField(required=False, help_text="grid code; taken from the compound when one is given")
    compound = ScopedCompoundField(required=False, allow_null=True)

    class Meta:
        model = Building
        fields = ["code", "name", "kind", "area", "compound", "address", "floors", "longitude", "latitude"]


class ShopSerializer(serializers.ModelSerializer):
    area = ScopedAreaField(required=False, help_text="code of the grid; found from longitude/latitude when left out")
    trade = CodeRelatedField(slug_field="code", queryset=Trade.objects.all())
    contact_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=60)
    contact_phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    contact_name_masked = serializers.SerializerMethodField()
    contact_phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Shop
        fields = [
            "code",
            "name",
            "trade",
            "licence_number",
            "area",
            "address",
            "status",
            "longitude",
            "latitude",
            "contact_name",
            "contact_phone",
            "contact_name_masked",
            "contact_phone_masked",
        ]

    def get_contact_name_masked(self, shop: Shop) -> str:
        return masked(shop, "contact_name")

    def get_contact_phone_masked(self, shop: Shop) -> str:
        return masked(shop, "contact_phone")


class PartnerUnitSerializer(ShopSerializer):
    area = ScopedAreaField(
        kinds=(AreaKind.COMMUNITY, AreaKind.GRID), required=False, help_text="code of the community or grid"
    )
    trade = None

    class Meta:
        model = PartnerUnit
        fields = [
            "code",
            "name",
            "kind",
            "area",
            "address",
            "joint_work",
            "contact_name",
            "contact_phone",
            "contact_name_masked",
            "contact_phone_masked",
        ]


class PlaceWriteViewSet(
    BodyLimitMixin, ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """List, detail, create and update of one kind of place, writing through its services."""

    lookup_field = "code"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service: Any
    update_service: Any
    update_arg: str

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refuse before validating: a role that may not add learns nothing from validation messages.
        if not request.user.can(Action.ADD):
            raise PermissionDenied()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        serializer.instance = type(self).create_service(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        with transaction.atomic():
            serializer.instance = type(self).update_service(
                actor=self.request.user, **{self.update_arg: serializer.instance}, **serializer.validated_data
            )


class AreaViewSet(ScopedReadOnlyViewSet):
    """Areas in scope: subdistricts, communities, grids (with GeoJSON boundaries)."""

    queryset = Area.objects.all()
    serializer_class = AreaSerializer
    lookup_field = "code"
    select_related = ("parent",)
    filterset_class = filters.AreaFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class CompoundViewSet(PlaceWriteViewSet):
    queryset = Compound.objects.all()
    serializer_class = CompoundSerializer
    select_related = ("area",)
    filterset_class = filters.CompoundFilter
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.compound_create)
    update_service = staticmethod(services.compound_update)
    update_arg = "compound"


class BuildingViewSet(PlaceWriteViewSet):
    queryset = Building.objects.all()
    serializer_class = BuildingSerializer
    select_related = ("area", "compound")
    filterset_class = filters.BuildingFilter
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.building_create)
    update_service = staticmethod(services.building_update)
    update_arg = "building"


class ShopViewSet(PlaceWriteViewSet):
    queryset = Shop.objects.all()
    serializer_class = ShopSerializer
    select_related = ("area", "trade")
    filterset_class = filters.ShopFilter
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.shop_create)
    update_service = staticmethod(services.shop_update)
    update_arg = "shop"


class PartnerUnitViewSet(PlaceWriteViewSet):
    queryset = PartnerUnit.objects.all()
    serializer_class = PartnerUnitSerializer
    select_related = ("area",)
    filterset_class = filters.PartnerUnitFilter
    ordering_fields = ["code", "name"]
    create_service = staticmethod(services.partner_unit_create)
    update_service = staticmethod(services.partner_unit_update)
    update_arg = "partner_unit"


class AssignmentSerializer(serializers.ModelSerializer):
    person = ScopedPersonField(selectors.people_for, help_text="user name")
    person_name = serializers.CharField(source="person.display_name", read_only=True)
    place_kind = serializers.ChoiceField(choices=PlaceKind.choices)
    place = serializers.CharField(help_text="code of the compound, building or shop; id of a dwelling")
    place_name = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "person", "person_name", "place_kind", "place", "place_name", "duty", "active", "created_at"]
        read_only_fields = ["id", "active", "created_at"]

    def get_place_name(self, assignment: Assignment) -> str:
        return str(assignment.place)

    def to_representation(self, assignment: Assignment) -> dict[str, Any]:
        data = super().to_representation(assignment)
        place = assignment.place
        data["place"] = str(place.pk) if isinstance(place, Dwelling) else place.code
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind, key = attrs["place_kind"], attrs["place"]
        model = {"compound": Compound, "building": Building, "dwelling": Dwelling, "shop": Shop}[kind]
        lookup = {"pk": key} if kind == "dwelling" else {"code": key}
        if kind == "dwelling" and not (str(key).isascii() and str(key).isdigit()):
            raise serializers.ValidationError({"place": _("A dwelling is named by its id.")})
        place = model.objects.for_user(self.context["request"].user).filter(**lookup).first()
        if place is None:
            raise serializers.ValidationError({"place": _("There is no such place in your areas.")})
        attrs["place"] = place
        return attrs


class AssignmentViewSet(BodyLimitMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Who answers for which place (包干到人、到户). POST names a person; ending is `POST {id}/end/`."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentSerializer
    select_related = ("person", "compound", "building__compound", "dwelling__building", "shop")
    filterset_class = filters.AssignmentFilter
    ordering_fields = ["created_at"]

    def perform_create(self, serializer: AssignmentSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.assignment_create(
            actor=self.request.user, person=data["person"], place=data["place"], duty=data.get("duty", "")
        )

    @extend_schema(request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """The person no longer answers for the place."""
        assignment = self.get_object()
        if not Assignment.objects.for_user(request.user, Action.ASSIGN).filter(pk=assignment.pk).exists():
            raise PermissionDenied()
        assignment = services.assignment_end(actor=request.user, assignment=assignment)
        return Response(self.get_serializer(assignment).data)


class CoverageViewSet(viewsets.ViewSet):
    """无遗漏无死角: per grid in scope, the places without a responsible person."""

    @extend_schema(
        responses=inline_serializer(
            "GridCoverage",
            fields={
                "grid": serializers.CharField(),
                "grid_name": serializers.CharField(),
                "places": serializers.IntegerField(),
                "unassigned_count": serializers.IntegerField(),
                "totals": serializers.DictField(child=serializers.IntegerField()),
                "unassigned": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
                # Other gaps by name (e.g. "visit": places overdue for a visit), as codes.
                "gaps": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
            many=True,
        )
    )
    def list(self, request: Request) -> Response:
        report = selectors.coverage(request.user)
        return Response(
            [
                {
                    "grid": entry.grid.code,
                    "grid_name": entry.grid.name,
                    "places": entry.place_count,
                    "unassigned_count": entry.unassigned_count,
                    "totals": entry.totals,
                    "unassigned": {
                        kind: [getattr(p, "code", None) or str(p.pk) for p in places]
                        for kind, places in entry.unassigned.items()
                    },
                    "gaps": {name: [row.code for row in rows] for name, rows in entry.gaps.items()},
                }
                for entry in report
            ]
        )
