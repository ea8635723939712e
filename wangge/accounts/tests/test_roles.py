"""The role matrix, exhaustively: any change to `accounts/roles.py` must change this table too."""

import pytest

from wangge.accounts.roles import MATRIX, REPORT_ROLES, SCOPE_KINDS, Action, Role, allows

ACTIONS = ("view", "add", "change", "delete", "assign", "export", "reveal_pii", "view_audit", "manage_members")

# The documented matrix, written out: role → the actions it allows. Everything not listed is refused.
EXPECTED: dict[str, set[str]] = {
    "subdistrict_admin": {
        "view",
        "add",
        "change",
        "delete",
        "assign",
        "export",
        "reveal_pii",
        "view_audit",
        "manage_members",
    },
    "director": {"view", "add", "change", "delete", "assign", "export", "reveal_pii", "view_audit", "manage_members"},
    "grid_leader": {"view", "add", "change", "assign", "export"},
    "grid_worker": {"view", "change"},
    "building_leader": {"view"},
    "volunteer": {"view"},
    "partner_rep": {"view"},
    "auditor": {"view", "export", "view_audit"},
    "resident": set(),
}

AREA_KINDS = {"district", "subdistrict", "community", "grid", "compound"}


class RoleMatrixTests:
    def test_it_knows_exactly_the_documented_actions(self):
        assert Action.ALL == ACTIONS

    def test_it_knows_exactly_the_documented_roles(self):
        assert set(Role.values) == set(EXPECTED)
        assert set(MATRIX) == set(EXPECTED)

    @pytest.mark.parametrize("role", list(EXPECTED))
    @pytest.mark.parametrize("action", ACTIONS)
    def test_it_allows_what_the_table_says(self, role, action):
        assert allows(role, action) is (action in EXPECTED[role])

    def test_it_allows_nothing_to_an_unknown_role(self):
        assert not any(allows("mayor", action) for action in ACTIONS)

    def test_it_allows_no_unknown_action(self):
        assert not any(allows(role, "launch") for role in EXPECTED)

    def test_it_lets_only_directors_and_administrators_reveal_personal_data(self):
        assert {role for role in EXPECTED if allows(role, "reveal_pii")} == {"subdistrict_admin", "director"}

    def test_it_gives_the_auditor_no_write(self):
        writes = {"add", "change", "delete", "assign", "manage_members", "reveal_pii"}
        assert not any(allows("auditor", action) for action in writes)


class ScopeKindsTests:
    @pytest.mark.parametrize("role", list(EXPECTED))
    def test_it_names_where_every_role_may_be_granted(self, role):
        kinds = SCOPE_KINDS[role]
        assert kinds
        assert set(kinds) <= AREA_KINDS

    def test_it_covers_exactly_the_roles(self):
        assert set(SCOPE_KINDS) == set(Role.values)

    def test_it_grants_building_leaders_only_on_a_compound(self):
        assert SCOPE_KINDS["building_leader"] == ("compound",)

    def test_it_never_grants_an_administrator_below_the_subdistrict(self):
        assert not {"community", "grid", "compound"} & set(SCOPE_KINDS["subdistrict_admin"])

    def test_it_lets_every_working_role_but_the_auditor_file_cases(self):
        assert set(REPORT_ROLES) == {
            "subdistrict_admin",
            "director",
            "grid_leader",
            "grid_worker",
            "building_leader",
            "volunteer",
            "partner_rep",
        }
