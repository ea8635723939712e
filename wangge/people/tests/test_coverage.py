"""Households in the coverage report (包干到户): covered by their dwelling's or building's responsible person."""

import pytest

from wangge.people import services
from wangge.territory import selectors
from wangge.territory import services as places

pytestmark = pytest.mark.django_db


def grid1_entry(cast):
    return next(entry for entry in selectors.coverage(cast.director) if entry.grid == cast.grid1)


class HouseholdCoverageTests:
    def test_a_household_in_a_dwelling_nobody_answers_for_is_listed(self, cast):
        first = services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        second = services.household_create(actor=None, dwelling=cast.dwellings[1], number="H2")
        places.assignment_create(actor=None, person=cast.grid_worker, place=cast.dwellings[1])
        entry = grid1_entry(cast)
        assert entry.totals["household"] == 2
        assert entry.unassigned["household"] == [first]
        assert second not in entry.unassigned["household"]

    def test_the_buildings_responsible_person_covers_its_households(self, cast):
        services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        places.assignment_create(actor=None, person=cast.grid_worker, place=cast.building1)
        assert grid1_entry(cast).unassigned["household"] == []

    def test_the_coverage_page_and_export_name_the_household(self, cast):
        services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        page = cast.client(cast.director).get("/coverage/").content.decode()
        assert "H1" in page
        api = cast.client(cast.director).get("/api/v1/coverage/").json()
        grid = next(row for row in (api["results"] if "results" in api else api) if row["grid"] == cast.grid1.code)
        assert grid["unassigned"]["household"] == ["H1"]

    def test_households_out_of_scope_are_not_counted(self, cast):
        services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        entries = selectors.coverage(cast.outsider)
        assert all(entry.totals.get("household", 0) == 0 for entry in entries)
