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
NEIGHBOUR_PHONE = "13900000001"


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


def family(cast) -> tuple[Household, Resident, Resident]:
    """王大明 (head, veteran, disabled) and his child 王乐乐 (left behind), household H1 in the cast's first dwelling
    (building 1 of compound C01, grid 001)."""
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
    return household, adult, child


def building2_neighbour(cast) -> tuple[Building, Dwelling, Resident]:
    """Building 2 of compound C01 (not the building leader's), its dwelling 1-201 and 赵邻居 living there."""
    building2 = territory_services.building_create(actor=None, code="T-C01-B2", name="二号楼", compound=cast.compound1)
    other_dwelling = territory_services.dwelling_create(actor=None, building=building2, unit="1", number="201")
    neighbour = services.resident_create(
        actor=None,
        name="赵邻居",
        id_number=id_number("19700101", "111"),
        phone=NEIGHBOUR_PHONE,
        residence="floating",
        dwelling=other_dwelling,
    )
    return building2, other_dwelling, neighbour


def grid2_resident(cast) -> Resident:
    """孙二, living alone in a building of compound C02 (grid 002)."""
    building = territory_services.building_create(
        actor=None, code="T-C02-B1", name="二号院一号楼", compound=cast.compound2
    )
    return services.resident_create(
        actor=None,
        name="孙二",
        id_number=id_number("19650303", "331"),
        phone="13700000002",
        residence="permanent",
        dwelling=territory_services.dwelling_create(actor=None, building=building, number="301"),
        tags=["elderly_alone"],
    )


def next_door_resident(cast) -> Resident:
    """钱外, of the neighbouring community."""
    building = territory_services.building_create(
        actor=None, code="N-C01-B1", name="邻里一号楼", compound=cast.next_compound
    )
    return services.resident_create(
        actor=None,
        name="钱外",
        id_number=id_number("19900909", "991", area="410105"),
        phone="13600000003",
        residence="registered",
        dwelling=territory_services.dwelling_create(actor=None, building=building, number="101"),
    )


@pytest.fixture
def people(cast) -> People:
    territory_services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)
    household, adult, child = family(cast)
    building2, other_dwelling, neighbour = building2_neighbour(cast)
    grid2 = grid2_resident(cast)
    next_door = next_door_resident(cast)
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
