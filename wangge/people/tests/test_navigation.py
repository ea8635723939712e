"""The 人口 menu offers each role only the register pages it may open."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu(cast, user) -> str:
    return cast.client(user).get(reverse("territory:overview")).content.decode()


class PeopleMenuTests:
    def test_office_staff_see_residents_households_and_floating_population(self, cast):
        page = menu(cast, cast.grid_worker)
        for name in ("people:resident_list", "people:household_list", "floating:index"):
            assert f'href="{reverse(name)}"' in page

    def test_building_leaders_see_only_the_residents(self, cast):
        page = menu(cast, cast.building_leader)
        assert f'href="{reverse("people:resident_list")}"' in page
        assert f'href="{reverse("people:household_list")}"' not in page
        assert f'href="{reverse("floating:index")}"' not in page
        assert f'href="{reverse("ledgers:index")}"' not in page

    def test_the_ledger_import_is_offered_to_those_who_may_add(self, cast):
        assert f'href="{reverse("ledgers:index")}"' in menu(cast, cast.director)
        assert f'href="{reverse("ledgers:index")}"' not in menu(cast, cast.auditor)
