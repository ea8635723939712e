"""The transition table, exhaustively: every state × action × role, against an expectation written out here.

Changing the table means changing this file: the loop's rules are a decision, not an accident.
"""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wangge.accounts.roles import Role
from wangge.cases import services, workflow
from wangge.cases.models import Case, Category, Level, State

S = State
OPEN = {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFIED}
OFFICE = {Role.SUBDISTRICT_ADMIN, Role.DIRECTOR}
LEADERS = OFFICE | {Role.GRID_LEADER}
FIELD = LEADERS | {Role.GRID_WORKER}

# action: (states it may start from, state it leads to (None: unchanged), roles, building leaders on small matters)
EXPECTED = {
    "register": ({S.REPORTED}, S.REGISTERED, FIELD, True),
    "reject": ({S.REPORTED}, S.REJECTED, LEADERS, False),
    "dispatch": ({S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}, S.DISPATCHED, LEADERS, True),
    "start": ({S.DISPATCHED}, S.IN_PROGRESS, FIELD, True),
    "handle": ({S.DISPATCHED, S.IN_PROGRESS}, S.HANDLED, FIELD, True),
    "verify": ({S.HANDLED}, S.VERIFIED, LEADERS, False),
    "rework": ({S.HANDLED}, S.IN_PROGRESS, LEADERS, False),
    "close": ({S.VERIFIED}, S.CLOSED, LEADERS, False),
    "suspend": ({S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}, S.SUSPENDED, OFFICE, False),
    "resume": ({S.SUSPENDED}, None, OFFICE, False),
    "escalate": (OPEN, None, FIELD, True),
    "urge": (OPEN, None, LEADERS, False),
    "request_postponement": ({S.DISPATCHED, S.IN_PROGRESS}, None, FIELD, True),
    "decide_postponement": ({S.DISPATCHED, S.IN_PROGRESS}, None, OFFICE, False),
    "reopen": ({S.CLOSED}, S.IN_PROGRESS, OFFICE, False),
}


class TableTests:
    def test_it_has_exactly_the_expected_actions(self):
        assert set(workflow.TRANSITIONS) == set(EXPECTED)

    @pytest.mark.parametrize("action", sorted(EXPECTED))
    def test_it_moves_each_action_between_the_expected_states(self, action):
        sources, target, _roles, _building = EXPECTED[action]
        transition = workflow.TRANSITIONS[action]
        assert set(transition.sources) == sources
        assert transition.target == target

    def test_it_allows_each_role_exactly_what_the_table_says(self):
        for action, state, role, level in itertools.product(EXPECTED, State.values, Role.values, Level.values):
            sources, _target, roles, building = EXPECTED[action]
            expected = state in sources and (
                role in roles or (building and role == Role.BUILDING_LEADER and level == Level.COMPOUND)
            )
            assert workflow.may(action, state=state, roles={role}, case_level=level) is expected, (
                action,
                state,
                role,
                level,
            )

    def test_it_refuses_everything_to_a_resident_and_an_auditor(self):
        for action, state in itertools.product(EXPECTED, State.values):
            for role in (Role.RESIDENT, Role.AUDITOR, Role.VOLUNTEER, Role.PARTNER_REP):
                assert not workflow.may(action, state=state, roles={role}, case_level=Level.COMPOUND)


class _Rollback(Exception):
    pass


def _attempt(case_id: int, actor, action: str, state: str) -> str:
    """Put the case in `state`, try `action` through the service, report the outcome, undo everything."""
    outcome = ""
    try:
        with transaction.atomic():
            Case.objects.filter(pk=case_id).update(state=state, state_before_suspension=S.DISPATCHED)
            case = Case.objects.get(pk=case_id)
            try:
                services.case_act(
                    actor=actor,
                    case=case,
                    action=action,
                    note="测试说明",
                    reason="duplicate" if action == "reject" else "需要更多时间",
                    assignee=None,
                    department="城管中队",
                    hours=24,
                    approve=True,
                )
                outcome = "ok"
            except PermissionDenied:
                outcome = "forbidden"
            except ValidationError:
                outcome = "invalid"
            raise _Rollback
    except _Rollback:
        pass
    return outcome


class ServiceTableTests:
    """The service obeys the table for every state × action, for the role it allows and for one it doesn't."""

    @pytest.fixture
    def case(self, cast, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        category = Category.objects.get(code="C04")  # compound level, no photo needed
        case = services.case_report(
            actor=None, category=category, description="楼道噪声", source="resident", compound=cast.compound1
        )
        # A pending postponement, so deciding one is possible where the state allows it.
        case = services.case_act(actor=cast.director, case=case, action="register")
        case = services.case_act(actor=cast.director, case=case, action="dispatch", assignee=cast.grid_worker)
        services.case_act(actor=cast.grid_worker, case=case, action="request_postponement", reason="等材料", hours=24)
        return Case.objects.get(pk=case.pk)

    def test_it_lets_the_director_act_exactly_from_the_allowed_states(self, cast, case):
        for action, state in itertools.product(EXPECTED, State.values):
            sources = EXPECTED[action][0]
            outcome = _attempt(case.pk, cast.director, action, state)
            if state not in sources:
                assert outcome == "invalid", (action, state, outcome)
            elif action == "request_postponement":
                # One is already pending: the director may ask, but not twice.
                assert outcome == "invalid", (action, state, outcome)
            else:
                assert outcome == "ok", (action, state, outcome)

    def test_it_refuses_roles_the_table_does_not_name(self, cast, case):
        people = {
            Role.GRID_WORKER: cast.grid_worker,
            Role.GRID_LEADER: cast.grid_leader,
            Role.AUDITOR: cast.auditor,
            Role.BUILDING_LEADER: cast.building_leader,
        }
        for action, (role, person) in itertools.product(EXPECTED, people.items()):
            sources, _target, roles, building = EXPECTED[action]
            state = sorted(sources)[0]
            allowed = role in roles or (building and role == Role.BUILDING_LEADER)  # case C04 is compound level
            outcome = _attempt(case.pk, person, action, state)
            if allowed:
                assert outcome in ("ok", "invalid"), (action, role, outcome)
            else:
                assert outcome == "forbidden", (action, role, outcome)

    def test_it_keeps_building_leaders_out_of_community_matters(self, cast, case):
        Case.objects.filter(pk=case.pk).update(level=Level.COMMUNITY)
        assert _attempt(case.pk, cast.building_leader, "start", S.DISPATCHED) == "forbidden"
        Case.objects.filter(pk=case.pk).update(level=Level.COMPOUND)
        assert _attempt(case.pk, cast.building_leader, "start", S.DISPATCHED) == "ok"

    def test_it_hides_a_case_of_another_community(self, cast, case):
        assert _attempt(case.pk, cast.outsider, "register", S.REPORTED) == "forbidden"
