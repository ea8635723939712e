"""Scoped viewsets (every API view starts from `for_user`) and fields shared by the API modules."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, viewsets


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object named by its code; a NUL character is refused before it reaches the database."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return super().to_internal_value(data)


class ScopedViewSetMixin:
    """Every API view starts from `for_user`: out of scope is 404, and the write action is checked per object."""

    scope_action_by_method = {"PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def get_queryset(self):
        return self.queryset.model.objects.for_user(self.request.user, "view").select_related(
            *getattr(self, "select_related", ())
        )

    def get_object(self):
        instance = super().get_object()
        action = self.scope_action_by_method.get(self.request.method)
        if (
            action
            and not self.queryset.model.objects.for_user(self.request.user, action).filter(pk=instance.pk).exists()
        ):
            raise exceptions.PermissionDenied()
        return instance


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


@extend_schema_field(OpenApiTypes.STR)
class ScopedPersonField(CodeRelatedField):
    """A person named by user name, among those the caller may name (`people_for`); anyone else is not found."""

    def __init__(self, people_for, **kwargs) -> None:
        self.people_for = people_for
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.people_for(request.user) if request else get_user_model().objects.none()
