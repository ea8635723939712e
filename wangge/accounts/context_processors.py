"""What every page's navigation needs to know about the signed-in user."""

from django.http import HttpRequest

from wangge.accounts.roles import (
    CAMPAIGN_VIEW_ROLES,
    INSPECT_ROLES,
    REGISTER_ROLES,
    REPORT_ROLES,
    STANDARD_ROLES,
    Action,
    Role,
)


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "view": user.can(Action.VIEW),
            "add": user.can(Action.ADD),
            "assign": user.can(Action.ASSIGN),
            "export": user.can(Action.EXPORT),
            "audit": user.can(Action.VIEW_AUDIT),
            # Filing cases as staff; read-only roles (auditors) don't.
            "report": user.is_superuser or bool(user.roles() & REPORT_ROLES),
            # The people register: office staff the whole of it, building leaders their buildings' residents.
            "register": user.is_superuser or bool(user.roles() & REGISTER_ROLES),
            "residents": user.is_superuser or bool(user.roles() & (REGISTER_ROLES | {Role.BUILDING_LEADER})),
            # Inspecting places against a checklist, and editing the standards and schedules.
            "inspect": user.is_superuser or bool(user.roles() & INSPECT_ROLES),
            "standards": user.is_superuser or bool(user.roles() & STANDARD_ROLES),
            # Campaigns (创建活动): the office and grid staff who work on them, and the auditors who read them.
            "campaigns": user.is_superuser or bool(user.roles() & CAMPAIGN_VIEW_ROLES),
        }
    }
