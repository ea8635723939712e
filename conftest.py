"""The fixed cast of every test (style.md): one small territory and the people who work in it.

Two communities of one subdistrict: 俭学街社区 ("home") with grids 001 and 002, and a neighbouring
community ("next door") with one grid. The cast: a director, a grid leader and a grid worker of grid 001,
a building leader of compound C01, an auditor, an outsider (director next door), a resident account,
and anonymous visitors (an unauthenticated client).
"""

from dataclasses import dataclass

import pytest
from django.test import Client, override_settings

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.territory import services
from wangge.territory.models import Area, AreaKind, Building, Compound, Dwelling, PartnerUnit, Shop, Trade

PASSWORD = "test-pass-7d1c"  # noqa: S105 - made-up test password


@pytest.fixture(autouse=True, scope="session")
def immediate_tasks():
    """Background jobs (imports) run inside the call that enqueues them, so a test sees their result at once."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        yield


@pytest.fixture(autouse=True)
def fresh_grid_locators():
    """Every test starts without the process's point-in-grid trees: a rolled-back or bulk-written grid sends no
    signal, and the trees are only re-checked against the database every half minute."""
    from wangge.territory.selectors import forget_grid_locators

    forget_grid_locators()


def box(west: float, south: float, east: float, north: float) -> dict:
    """A GeoJSON rectangle in WGS-84."""
    return {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }


@dataclass
class Cast:
    district: Area
    subdistrict: Area
    home: Area
    grid1: Area
    grid2: Area
    next_door: Area
    next_grid: Area
    compound1: Compound
    compound2: Compound
    next_compound: Compound
    building1: Building
    office: Building
    dwellings: list[Dwelling]
    shop1: Shop
    shop2: Shop
    next_shop: Shop
    partner: PartnerUnit
    director: User
    grid_leader: User
    grid_worker: User
    building_leader: User
    auditor: User
    outsider: User
    resident: User

    def client(self, user: User | None) -> Client:
        """A browser signed in as `user` (None: anonymous)."""
        client = Client()
        if user is not None:
            client.force_login(user)
        return client


def _user(username: str, name: str, role: str | None = None, **scope) -> User:
    user = account_services.user_create(actor=None, username=username, display_name=name, password=PASSWORD)
    if role:
        services.role_grant(actor=None, user=user, role=role, **scope)
    return user


def build_cast() -> Cast:
    district = services.area_create(actor=None, kind=AreaKind.DISTRICT, code="410105", name="金水区")
    subdistrict = services.area_create(
        actor=None, kind=AreaKind.SUBDISTRICT, code="410105008", name="文化路街道", parent=district
    )
    home = services.area_create(
        actor=None,
        kind=AreaKind.COMMUNITY,
        code="410105008004",
        name="俭学街社区",
        parent=subdistrict,
        boundary=box(113.6560, 34.7865, 113.6625, 34.7920),
        office_phone="0371-60000000",
    )
    grid1 = services.area_create(
        actor=None,
        kind=AreaKind.GRID,
        code="410105008004001",
        name="第一网格",
        parent=home,
        boundary=box(113.6560, 34.7865, 113.6590, 34.7920),
    )
    grid2 = services.area_create(
        actor=None,
        kind=AreaKind.GRID,
        code="410105008004002",
        name="第二网格",
        parent=home,
        boundary=box(113.6590, 34.7865, 113.6625, 34.7920),
    )
    next_door = services.area_create(
        actor=None,
        kind=AreaKind.COMMUNITY,
        code="410105008005",
        name="邻里社区",
        parent=subdistrict,
        boundary=box(113.6560, 34.7920, 113.6625, 34.7970),
    )
    next_grid = services.area_create(
        actor=None,
        kind=AreaKind.GRID,
        code="410105008005001",
        name="邻里第一网格",
        parent=next_door,
        boundary=box(113.6560, 34.7920, 113.6625, 34.7970),
    )
    compound1 = services.compound_create(
        actor=None, code="T-C01", name="测试一号院", area=grid1, management="none", longitude=113.6570, latitude=34.7880
    )
    compound2 = services.compound_create(
        actor=None, code="T-C02", name="测试二号院", area=grid2, management="property_company"
    )
    next_compound = services.compound_create(
        actor=None, code="N-C01", name="邻里一号院", area=next_grid, management="owners_committee"
    )
    building1 = services.building_create(actor=None, code="T-C01-B1", name="一号楼", compound=compound1)
    office = services.building_create(actor=None, code="T-O1", name="测试写字楼", kind="office", area=grid2)
    dwellings = [services.dwelling_create(actor=None, building=building1, unit="1", number=f"10{i}") for i in (1, 2)]
    restaurant = Trade.objects.get(code="restaurant")
    shop1 = services.shop_create(
        actor=None,
        code="T-S001",
        name="测试面馆",
        trade=restaurant,
        area=grid1,
        address="俭学街1号",
        contact_name="甄测试",
        contact_phone="13800001234",
        licence_number="91410105TEST00001",
    )
    shop2 = services.shop_create(
        actor=None,
        code="T-S002",
        name="测试理发店",
        trade=Trade.objects.get(code="salon"),
        area=grid2,
        address="文化路2号",
    )
    next_shop = services.shop_create(
        actor=None,
        code="N-S001",
        name="邻里超市",
        trade=Trade.objects.get(code="grocery"),
        area=next_grid,
        address="白庙前街3号",
    )
    partner = services.partner_unit_create(actor=None, code="T-P1", name="测试共建单位", kind="institution", area=home)
    cast = Cast(
        district=district,
        subdistrict=subdistrict,
        home=home,
        grid1=grid1,
        grid2=grid2,
        next_door=next_door,
        next_grid=next_grid,
        compound1=compound1,
        compound2=compound2,
        next_compound=next_compound,
        building1=building1,
        office=office,
        dwellings=dwellings,
        shop1=shop1,
        shop2=shop2,
        next_shop=next_shop,
        partner=partner,
        director=_user("director", "主任甲", Role.DIRECTOR, area=home),
        grid_leader=_user("gridleader", "网格长乙", Role.GRID_LEADER, area=grid1),
        grid_worker=_user("gridworker", "网格员丙", Role.GRID_WORKER, area=grid1),
        building_leader=_user("buildingleader", "楼栋长丁", Role.BUILDING_LEADER, compound=compound1),
        auditor=_user("auditor", "审计员戊", Role.AUDITOR, area=home),
        outsider=_user("outsider", "邻居主任", Role.DIRECTOR, area=next_door),
        resident=_user("resident", "居民己", Role.RESIDENT, compound=compound1),
    )
    return cast


@pytest.fixture
def fast_password_hashing(settings) -> None:
    """Argon2 costs ~0.2 s a hash by design; tests that don't test hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db, fast_password_hashing) -> Cast:
    """The fixed cast, built fresh (inside the test's transaction)."""
    return build_cast()
