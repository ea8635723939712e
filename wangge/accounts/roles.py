"""The role matrix: which actions each role may take within the areas of its memberships.

One module, tested exhaustively, documented in the README. A membership gives a role in an area
(a subdistrict, a community or a grid) or, for building leaders, in one compound; scoping turns the
area into a path prefix and `Model.objects.for_user(user, action)` keeps what lies under it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action:
    """The actions a role may be granted. Names are stable: they appear in code and tests."""

    VIEW = "view"  # see records of the area
    ADD = "add"  # create places (compounds, buildings, shops, partner units)
    CHANGE = "change"  # edit them
    DELETE = "delete"  # remove them
    ASSIGN = "assign"  # name responsible persons, publish leadership groups
    EXPORT = "export"  # download ledgers and reports
    REVEAL_PII = "reveal_pii"  # show a masked personal value in clear, with a reason
    VIEW_AUDIT = "view_audit"  # read the audit log
    MANAGE_MEMBERS = "manage_members"  # grant and revoke roles

    ALL = (VIEW, ADD, CHANGE, DELETE, ASSIGN, EXPORT, REVEAL_PII, VIEW_AUDIT, MANAGE_MEMBERS)


class Role(models.TextChoices):
    SUBDISTRICT_ADMIN = "subdistrict_admin", _("subdistrict administrator")
    DIRECTOR = "director", _("community director")
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    BUILDING_LEADER = "building_leader", _("building leader")
    VOLUNTEER = "volunteer", _("volunteer")
    PARTNER_REP = "partner_rep", _("partner unit representative")
    AUDITOR = "auditor", _("auditor")
    RESIDENT = "resident", _("resident")


A = Action
MATRIX: dict[str, frozenset[str]] = {
    Role.SUBDISTRICT_ADMIN: frozenset(A.ALL),
    Role.DIRECTOR: frozenset(A.ALL),
    Role.GRID_LEADER: frozenset({A.VIEW, A.ADD, A.CHANGE, A.ASSIGN, A.EXPORT}),
    Role.GRID_WORKER: frozenset({A.VIEW, A.CHANGE}),
    Role.BUILDING_LEADER: frozenset({A.VIEW}),
    Role.VOLUNTEER: frozenset({A.VIEW}),
    Role.PARTNER_REP: frozenset({A.VIEW}),
    Role.AUDITOR: frozenset({A.VIEW, A.EXPORT, A.VIEW_AUDIT}),
    Role.RESIDENT: frozenset(),
}

# The smallest kind of area each role is granted on; a grant on a wider area is allowed, never a narrower one.
SCOPE_KINDS: dict[str, tuple[str, ...]] = {
    Role.SUBDISTRICT_ADMIN: ("district", "subdistrict"),
    Role.DIRECTOR: ("subdistrict", "community"),
    Role.GRID_LEADER: ("community", "grid"),
    Role.GRID_WORKER: ("community", "grid"),
    Role.BUILDING_LEADER: ("compound",),
    Role.VOLUNTEER: ("community", "grid", "compound"),
    Role.PARTNER_REP: ("community",),
    Role.AUDITOR: ("district", "subdistrict", "community"),
    Role.RESIDENT: ("community", "grid", "compound"),
}


# Who may file a case as staff (residents need no account: they use the public page). Auditors only read.
REPORT_ROLES = frozenset(
    {
        Role.SUBDISTRICT_ADMIN,
        Role.DIRECTOR,
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.BUILDING_LEADER,
        Role.VOLUNTEER,
        Role.PARTNER_REP,
    }
)


def allows(role: str, action: str) -> bool:
    """Whether `role` may take `action` (within its membership's area)."""
    return action in MATRIX.get(role, frozenset())


# Who works with the people register across their whole area. Volunteers and partner-unit representatives may
# view places, but the register holds personal data they have no duty to see (PIPL: the minimum necessary);
# building leaders see only the residents of the buildings they answer for (people.models.PeopleQuerySet).
REGISTER_ROLES = frozenset({Role.SUBDISTRICT_ADMIN, Role.DIRECTOR, Role.GRID_LEADER, Role.GRID_WORKER, Role.AUDITOR})


# Who inspects places against a checklist (巡查): the office and the grid staff. Inspections open rectification
# cases, so these are field roles of the closed loop too.
INSPECT_ROLES = frozenset({Role.SUBDISTRICT_ADMIN, Role.DIRECTOR, Role.GRID_LEADER, Role.GRID_WORKER})
# Who edits the inspection standards (checklists), schedules and the red/black list: the community director
# (第一责任人) and the subdistrict above. Checklists are shared standards, like case categories.
STANDARD_ROLES = frozenset({Role.SUBDISTRICT_ADMIN, Role.DIRECTOR})
# Who runs a campaign (decomposes the indicator system, plans, scores the self-assessment): the community
# director, the leadership group's first responsible person, and the subdistrict above.
CAMPAIGN_ROLES = STANDARD_ROLES
# Who works on a campaign's staff pages: the field roles file evidence for and report on what they answer for;
# auditors read and export the ledger. Everyone else sees the public supervision page.
CAMPAIGN_VIEW_ROLES = INSPECT_ROLES | {Role.AUDITOR}
