"""Template helpers of the inspection links other apps' pages show."""

from django import template

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES
from wangge.territory.models import Building, Compound, Shop

register = template.Library()


@register.filter
def may_inspect(user: User, place: Compound | Shop | Building) -> bool:
    """Whether the user holds a role that inspects over the place (the inspection form checks it again)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(user.roles_at(place.area_path) & INSPECT_ROLES)
