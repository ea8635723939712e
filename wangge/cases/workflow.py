"""The closed loop as one transition table (CJJ/T 106): which action moves a case from which states to which,
who may take it, and what it needs. Services consult it; tests walk it exhaustively; the README shows it.

Roles are checked where the actor holds them: a membership whose scope contains the case. Building leaders
take part only in compound-level cases of their own compound (小事不出楼院).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Role
from wangge.cases.models import OPEN_STATES, Level, Source, State

S = State
R = Role
OFFICE = frozenset({R.SUBDISTRICT_ADMIN, R.DIRECTOR})
LEADERS = OFFICE | {R.GRID_LEADER}
FIELD = LEADERS | {R.GRID_WORKER}


@dataclass(frozen=True)
class Transition:
    """One action of the loop."""

    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change
    roles: frozenset[str]
    # What the action asks for: "reason", "note", "assignee", "hours", "after_photo" (when the category wants it).
    needs: tuple[str, ...] = ()
    building_leader: bool = False  # building leaders may take it on compound-level cases of their compound


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("register", _("Register"), frozenset({S.REPORTED}), S.REGISTERED, FIELD, building_leader=True),
        Transition("reject", _("Reject"), frozenset({S.REPORTED}), S.REJECTED, LEADERS, needs=("reason",)),
        Transition(
            "dispatch",
            _("Dispatch"),
            frozenset({S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}),
            S.DISPATCHED,
            LEADERS,
            needs=("assignee",),
            building_leader=True,
        ),
        Transition("start", _("Start handling"), frozenset({S.DISPATCHED}), S.IN_PROGRESS, FIELD, building_leader=True),
        Transition(
            "handle",
            _("Report handling"),
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            S.HANDLED,
            FIELD,
            needs=("note", "after_photo"),
            building_leader=True,
        ),
        Transition("verify", _("Verify: fixed"), frozenset({S.HANDLED}), S.VERIFIED, LEADERS),
        Transition(
            "rework", _("Verify: not fixed (rework)"), frozenset({S.HANDLED}), S.IN_PROGRESS, LEADERS, needs=("note",)
        ),
        Transition("close", _("Close the case"), frozenset({S.VERIFIED}), S.CLOSED, LEADERS),
        Transition(
            "suspend",
            _("Suspend"),
            frozenset({S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}),
            S.SUSPENDED,
            OFFICE,
            needs=("note",),
        ),
        Transition("resume", _("Resume"), frozenset({S.SUSPENDED}), None, OFFICE),
        Transition(
            "escalate", _("Escalate"), frozenset(OPEN_STATES), None, FIELD, needs=("note",), building_leader=True
        ),
        Transition("urge", _("Urge (督办)"), frozenset(OPEN_STATES), None, LEADERS, needs=("note",)),
        Transition(
            "request_postponement",
            _("Request postponement"),
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            FIELD,
            needs=("reason", "hours"),
            building_leader=True,
        ),
        Transition(
            "decide_postponement", _("Decide postponement"), frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, OFFICE
        ),
        Transition("reopen", _("Reopen"), frozenset({S.CLOSED}), S.IN_PROGRESS, OFFICE, needs=("note",)),
    ]
}

# The reporter's own actions through the tracking link, not by role.
REPORTER_ACTIONS = ("rate", "not_fixed")
# How long after closure the reporter may say "not fixed" and reopen the case.
NOT_FIXED_DAYS = 7


def may(action: str, *, state: str, roles: set[str], case_level: str) -> bool:
    """Whether someone holding `roles` over a case (memberships whose scope contains it) may take `action`.

    A building leader's membership covers only their compound, so holding the role over a case means
    the case is in their own compound.
    """
    transition = TRANSITIONS.get(action)
    if transition is None or state not in transition.sources:
        return False
    if roles & transition.roles:
        return True
    return transition.building_leader and R.BUILDING_LEADER in roles and case_level == Level.COMPOUND


# A rectification case (source "inspection") is run by the inspection that found the failure: the inspector
# registers it and dispatches it to the place's responsible person, and a re-inspection of the place verifies
# it or sends it back (domain.md: "verify: the reporter or inspector checks"). Grid workers inspect, so
# these actions are open to every field role, but only through an inspection (cases.services.by_inspection).
INSPECTION_ACTIONS = frozenset({"register", "dispatch", "handle", "verify", "rework", "close"})


def may_by_inspection(action: str, *, state: str, roles: set[str], source: str) -> bool:
    """Whether an inspector holding `roles` may take `action` on a rectification case through an inspection."""
    transition = TRANSITIONS.get(action)
    return (
        source == Source.INSPECTION
        and action in INSPECTION_ACTIONS
        and transition is not None
        and state in transition.sources
        and bool(roles & FIELD)
    )


def target_state(action: str, state: str) -> str:
    """The state after `action` (unchanged for actions that don't move the case)."""
    return TRANSITIONS[action].target or state
