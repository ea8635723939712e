"""The data the journeys find besides the fixed cast (conftest.build_cast), made through the services.

The residents are those of the people tests (wangge/people/tests/conftest.py), built by the same functions: a
family in grid 001, a resident of grid 002, one next door, a neighbour in building 2 of compound T-C01.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from conftest import Cast
from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.campaigns import services as campaign_services
from wangge.campaigns.models import Campaign, Indicator, Level, Method
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category
from wangge.people.models import Resident
from wangge.people.tests.conftest import family, grid2_resident, next_door_resident
from wangge.territory import services as territory_services

REVEAL_REASON = "入户走访前核实联系电话"


@dataclass
class Neighbourhood:
    """The director's, the grid worker's and the auditor's territory besides the fixed cast."""

    adult: Resident  # 王大明, head of household H1 in dwelling 1-101 of compound T-C01 (grid 001)
    child: Resident  # 王乐乐, same household
    grid2: Resident  # 孙二, compound T-C02 (grid 002)
    next_door: Resident  # 钱外, the neighbouring community
    worker2: User  # 网格员辛, grid worker of grid 002
    closed: Case  # 乱停乱放 at T-C01, reported 3 days ago, closed on time
    overdue: Case  # 乱停乱放 at T-C02, dispatched 3 days ago to 网格员辛, 12 hours to handle: overdue


def settle(cast: Cast) -> Neighbourhood:
    """Residents, a second grid worker and two cases of the last days."""
    _household, adult, child = family(cast)
    grid2 = grid2_resident(cast)
    next_door = next_door_resident(cast)
    worker2 = account_services.user_create(actor=None, username="gridworker2", display_name="网格员辛")
    territory_services.role_grant(actor=None, user=worker2, role=Role.GRID_WORKER, area=cast.grid2)

    parking = Category.objects.get(code="E0505")  # 乱停乱放: 12 hours, no photo needed
    start = timezone.now() - datetime.timedelta(days=3)
    leader = cast.grid_leader

    def step(case: Case, actor: User, action: str, hours: float, **data) -> Case:
        return case_services.case_act(
            actor=actor, case=case, action=action, now=start + datetime.timedelta(hours=hours), **data
        )

    closed = case_services.case_report(
        actor=leader,
        category=parking,
        description="一号楼门口电动车乱停，堵住消防通道。",
        source="patrol",
        compound=cast.compound1,
        now=start,
    )
    closed = step(closed, leader, "register", 0.1)
    closed = step(closed, leader, "dispatch", 0.2, assignee=cast.grid_worker)
    closed = step(closed, cast.grid_worker, "start", 1)
    closed = step(closed, cast.grid_worker, "handle", 2, note="已劝离，车辆挪至非机动车棚。")
    closed = step(closed, leader, "verify", 3)
    closed = step(closed, leader, "close", 3.5)
    overdue = case_services.case_report(
        actor=cast.director,
        category=parking,
        description="二号院东门外机动车长期占道停放。",
        source="patrol",
        compound=cast.compound2,
        now=start,
    )
    overdue = step(overdue, cast.director, "register", 0.1)
    overdue = step(overdue, cast.director, "dispatch", 0.2, assignee=worker2)
    return Neighbourhood(adult, child, grid2, next_door, worker2, closed, overdue)


def running_campaign(cast: Cast) -> Campaign:
    """A campaign under way, published, with one public standard of grid 001 given to the grid worker."""
    today = timezone.localdate()
    campaign = campaign_services.campaign_create(
        actor=None,
        community=cast.home,
        name="文明城市创建",
        issuer="金水区",
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=80),
        total_points=5,
        public=True,
    )

    def node(level: str, code: str, text: str, parent: Indicator | None = None, **extra) -> Indicator:
        return campaign_services.indicator_save(
            actor=None, campaign=campaign, level=level, code=code, text=text, points=5, parent=parent, **extra
        )

    content = node(Level.CONTENT, "1.1", "楼院卫生", node(Level.ITEM, "1", "市容环境"))
    standard = node(Level.STANDARD, "1.1.1", "楼院无卫生死角", content, public=True, method=Method.FIELD)
    campaign_services.assignment_save(actor=None, indicator=standard, area=cast.grid1, person=cast.grid_worker)
    return campaign_services.campaign_set_status(actor=None, campaign=campaign, status="active")
