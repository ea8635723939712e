"""The people of the fixed cast's territory: a family in building 1 of compound C01 (which the building leader
answers for), a neighbour in another building of C01 (which they don't), a resident of grid 002 and one next door.
"""

from dataclasses import dataclass

import pytest

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.core.validators import id_number_check_character
from wangge.people import services
from wangge.people.models import Household, Resident
from wangge.territory import services as territory_services
from wangge.territory.models import Building, Dwelling

ADULT_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The per-user limit of number searches counts in the cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()


def id_number(birth: str, sequence: str = "123", area: str = "410105") -> str:
    """A valid ID number (GB 11643) for a birth date YYYYMMDD; an odd sequence is a man's."""
    first17 = f"{area}{birth}{sequence}"
    return first17 + id_number_check_character(first17)


ADULT_ID = id_number("19800501", "123")  # male
CHILD_ID = id_number("20180808", "246")  # female


@dataclass
class People:
    household: Household
    adult: Resident  # 王大明, head of household H1, building 1 (the building leader's)
    child: Resident  # 王乐乐, 7 years old or so, same household
    neighbour: Resident  # 赵邻居, compound C01 but building 2, which the building leader does not answer for
    grid2: Resident  # 孙二, grid 002
    next_door: Resident  # 钱外, the neighbouring community
    building2: Building
    other_dwelling: Dwelling
    volunteer: User


@pytest.fixture
def people(cast) -> People:
    building2 = territory_services.building_create(actor=None, code="T-C01-B2", name="二号楼", compound=cast.compound1)
    other_dwelling = territory_services.dwelling_create(actor=None, building=building2, unit="1", number="201")
    c02_building = territory_services.building_create(
        actor=None, code="T-C02-B1", name="二号院一号楼", compound=cast.compound2
    )
    c02_dwelling = territory_services.dwelling_create(actor=None, building=c02_building, number="301")
    next_building = territory_services.building_create(
        actor=None, code="N-C01-B1", name="邻里一号楼", compound=cast.next_compound
    )
    next_dwelling = territory_services.dwelling_create(actor=None, building=next_building, number="101")
    territory_services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)

    household = services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
    adult = services.resident_create(
        actor=None,
        name="王大明",
        id_number=ADULT_ID,
        phone=ADULT_PHONE,
        residence="registered",
        dwelling=cast.dwellings[0],
        household=household,
        relation="head",
        tags=["veteran"],
        sensitive_tags=["disabled"],
    )
    child = services.resident_create(
        actor=None,
        name="王乐乐",
        id_number=CHILD_ID,
        residence="registered",
        dwelling=cast.dwellings[0],
        household=household,
        relation="child",
        sensitive_tags=["left_behind_child"],
    )
    neighbour = services.resident_create(
        actor=None,
        name="赵邻居",
        id_number=id_number("19700101", "111"),
        phone="13900000001",
        residence="floating",
        dwelling=other_dwelling,
    )
    grid2 = services.resident_create(
        actor=None,
        name="孙二",
        id_number=id_number("19650303", "331"),
        phone="13700000002",
        residence="permanent",
        dwelling=c02_dwelling,
        tags=["elderly_alone"],
    )
    next_door = services.resident_create(
        actor=None,
        name="钱外",
        id_number=id_number("19900909", "991", area="410105"),
        phone="13600000003",
        residence="registered",
        dwelling=next_dwelling,
    )
    volunteer = account_services.user_create(
        actor=None, username="volunteer", display_name="志愿者庚", password="test-pass-7d1c"
    )
    territory_services.role_grant(actor=None, user=volunteer, role="volunteer", area=cast.grid1)
    return People(
        household=household,
        adult=adult,
        child=child,
        neighbour=neighbour,
        grid2=grid2,
        next_door=next_door,
        building2=building2,
        other_dwelling=other_dwelling,
        volunteer=volunteer,
    )
