"""The synthetic territory: areas with tiling grid boundaries, staff and their memberships, places, responsibility.

Per community, the demo's proportions (demo.builder): 10 grids, 20 compounds (managed as the demo's twenty
are), residential buildings of the demo's shapes, 3 office buildings, about 167 street shops of the demo's
trades, 7 partner units, and a named person for every place but a few the coverage report should find.
Every grid of the whole set sits on one lattice of longitude/latitude lines, so neighbours share exactly the
same edges and the grids tile each community (and the communities each subdistrict) without overlap.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.demo.builder import (
    COMPANY_TRADES,
    COMPOUNDS,
    GIVEN_CHARACTERS,
    LICENCE_ALPHABET,
    SHOP_NAME_PATTERNS,
    SHOP_TRADES,
    SHOP_WORDS,
    SURNAMES,
    TOWER_SHAPE,
    WALK_UP_SHAPES,
    WALK_UP_WEIGHTS,
)
from wangge.demo.scenario import BBox
from wangge.demo.synth_sink import Sealer, Sink, context_of
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    BuildingKind,
    Compound,
    Dwelling,
    LeadershipGroup,
    LeadershipMember,
    Management,
    PartnerUnit,
    Shop,
    Trade,
)

DISTRICT = ("410105", "金水区")
# Made-up subdistricts and the two characters that name their communities (first + second: 文苑社区 …).
SUBDISTRICT_NAMES = (
    "文华路街道",
    "青禾路街道",
    "锦程街道",
    "丰泽街道",
    "润园街道",
    "嘉和街道",
    "兴业路街道",
    "瑞林街道",
    "康宁街道",
    "德顺街道",
    "雅风街道",
    "泰安路街道",
    "明德街道",
    "盛景街道",
    "广惠街道",
)
FIRST_CHARACTERS = "文青锦丰润嘉兴瑞康德雅泰明盛广"
SECOND_CHARACTERS = "苑园里坊庭湾岭桥塘林"
GRID_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

# The lattice: a grid is 0.0013° of longitude by 0.00275° of latitude (about 120 m × 300 m here), a community
# 2 rows × 5 columns of grids (the demo's 0.36 km²), a subdistrict 2 × 5 communities, the district 5 × 3
# subdistricts. The origin lies in the north-west of the city; the point is only that nothing overlaps.
WEST, NORTH = 113.6000, 34.8200
CELL_X, CELL_Y = 0.0013, 0.00275
GRID_ROWS, GRID_COLUMNS = 2, 5
COMMUNITY_ROWS, COMMUNITY_COLUMNS = 2, 5
SUBDISTRICT_COLUMNS = 3

GRIDS_PER_COMMUNITY = GRID_ROWS * GRID_COLUMNS
COMPOUNDS_PER_GRID = 2
# Residential buildings of the 20 compounds, dealt out at random: 95 in all (the demo's shapes then give about
# 10,000 residents), so communities differ in their compounds but hardly in their size.
BUILDINGS_PER_COMPOUND = (2, 3, 4, 5, 5, 6, 6, 7) * 2 + (4, 5, 5, 5)
SHOPS_PER_COMMUNITY = (160, 174)  # inclusive: 167 on average, 25,000 in a district of 150 communities
# Shops crowd along the busy middle streets: the middle columns of grids get more of them.
SHOP_COLUMN_WEIGHTS = (2, 4, 5, 4, 2)
# Compounds with a building leader account (the demo's five of twenty) and those nobody answers for (two).
BUILDING_LEADER_COMPOUNDS = (0, 4, 11, 15, 18)
UNASSIGNED_COMPOUNDS = (9, 17)
UNASSIGNED_BUILDING_SHARE = 0.035
UNASSIGNED_SHOP_SHARE = 0.025
DIRECTLY_ASSIGNED_DWELLINGS = 3
OFFICE_GRIDS = (1, 2, 7)

UNITS = ("水利勘测队", "农科所", "印刷厂", "粮油仓库", "机械厂", "电业局", "纺织厂", "建筑公司", "供销社", "设计院")
ESTATE_SUFFIXES = ("小区", "花园", "公寓", "家园", "名苑")
OFFICE_SUFFIXES = ("大厦", "商务中心", "科技园写字楼")
PARTNER_UNITS = (
    # suffix, name pattern ({c} community word, {s} subdistrict name), kind, joint work
    ("P1", "{s}城市管理科", "government", "联系分包科室：指导楼院环境卫生整治和门店管理"),
    ("P2", "{c}小学", "institution", "学生志愿服务、文明劝导"),
    ("P3", "{c}社区卫生服务站", "institution", "独居老人义诊、健康讲座"),
    ("P4", "{c}邮政支局", "state_enterprise", "代收代寄便民服务"),
    ("P5", "供水公司{c}营业所", "state_enterprise", "无主管楼院管网维修"),
    ("P6", "{c}信息技术有限公司", "new_economic", "两新组织代表，参加联席会议"),
    ("P7", "{c}助老服务中心", "new_social", "助老服务队、便民志愿服务"),
)
STAFF_PHONE = "13800"  # plus six digits: a made-up block, never a real subscriber


def lattice_box(column: int, row: int, columns: int = 1, rows: int = 1) -> BBox:
    """The box of `columns` × `rows` lattice cells whose north-west cell is (column, row).

    Every edge is computed from its lattice index alone, so two boxes sharing an edge share its coordinates.
    """
    return BBox(
        west=round(WEST + column * CELL_X, 7),
        east=round(WEST + (column + columns) * CELL_X, 7),
        north=round(NORTH - row * CELL_Y, 7),
        south=round(NORTH - (row + rows) * CELL_Y, 7),
    )


def square_km(box: BBox) -> Decimal:
    from wangge.territory.geo import parse_boundary, square_metres

    return Decimal(f"{square_metres(parse_boundary(box.polygon())) / 1e6:.3f}")


@dataclass
class Person:
    id: int
    username: str
    label: str


@dataclass
class GridPlan:
    id: int
    code: str
    path: str
    name: str
    box: BBox
    leader: Person
    worker: Person


@dataclass
class CompoundPlan:
    id: int
    code: str
    name: str
    address: str
    management: str
    longitude: float
    latitude: float
    path: str
    grid: int


@dataclass
class ShopPlan:
    id: int
    code: str
    address: str
    grid: int
    longitude: float
    latitude: float


@dataclass
class BuildingPlan:
    """A residential building and the consecutive dwelling keys it holds, in unit, floor, door order."""

    id: int
    compound: int
    path: str
    first_dwelling: int
    shape: tuple[int, int, int]

    def dwelling_numbers(self) -> list[tuple[str, str]]:
        entrances, floors, per_floor = self.shape
        return [
            (str(unit), f"{floor}{door:02d}")
            for unit in range(1, entrances + 1)
            for floor in range(1, floors + 1)
            for door in range(1, per_floor + 1)
        ]


@dataclass
class CommunityPlan:
    """What later stages (people, cases) need of one community, kept small: no dwelling is held one by one."""

    index: int
    id: int
    code: str
    name: str
    path: str
    director: Person
    grids: list[GridPlan] = field(default_factory=list)
    compounds: list[CompoundPlan] = field(default_factory=list)
    shops: list[ShopPlan] = field(default_factory=list)
    buildings: list[BuildingPlan] = field(default_factory=list)
    alone: set[int] = field(default_factory=set)  # dwellings a grid worker answers for directly

    @property
    def dwellings(self) -> int:
        return sum(b.shape[0] * b.shape[1] * b.shape[2] for b in self.buildings)


@dataclass(frozen=True)
class Layout:
    """How many subdistricts and communities a scale has."""

    subdistricts: int
    communities_per_subdistrict: int

    @property
    def communities(self) -> int:
        return self.subdistricts * self.communities_per_subdistrict


class TerritoryWriter:
    """Writes the areas, accounts and places of every community, in a fixed order, and keeps their plans."""

    def __init__(self, sink: Sink, sealer: Sealer, *, seed: int, born: str, password: str) -> None:
        self.sink = sink
        self.sealer = sealer
        self.seed = seed
        self.born = born  # when the territory and the accounts were entered: before the first case
        self.password = password
        self.licences = 0
        self.contact_phones = 0
        t = sink.table
        self.areas = t(
            Area,
            (
                "id created_at updated_at kind code name parent path boundary area_km2 population floating_population"
                " office_phone office_address"
            ).split(),
        )
        self.users = t(
            User,
            (
                "id password last_login is_superuser username first_name last_name email is_staff is_active"
                " date_joined display_name phone phone_index"
            ).split(),
            secret={"password"},
        )
        self.memberships = t(Membership, "id created_at updated_at user role scope_path scope_name active".split())
        self.compounds = t(
            Compound,
            (
                "id created_at updated_at area_path code name area address management management_name longitude"
                " latitude"
            ).split(),
        )
        self.buildings = t(
            Building,
            "id created_at updated_at area_path code name kind area compound address floors longitude latitude".split(),
        )
        self.dwellings = t(Dwelling, "id created_at updated_at area_path building unit number".split())
        self.shops = t(
            Shop,
            (
                "id created_at updated_at area_path code name trade licence_number area address contact_name"
                " contact_phone contact_phone_index status longitude latitude"
            ).split(),
        )
        self.partners = t(
            PartnerUnit,
            (
                "id created_at updated_at area_path code name kind area address contact_name contact_phone"
                " contact_phone_index joint_work"
            ).split(),
        )
        self.assignments = t(
            Assignment, "id created_at updated_at area_path person compound building dwelling shop duty active".split()
        )
        self.groups = t(LeadershipGroup, "id created_at updated_at area_path area name published".split())
        self.members = t(
            LeadershipMember, "id created_at updated_at area_path group person position duty order".split()
        )
        self.trades = {trade.code: trade.pk for trade in Trade.objects.all()}
        self.contexts = {
            (model, name): context_of(model, name)
            for model in (Shop, PartnerUnit)
            for name in ("contact_name", "contact_phone")
        }

    # Rows

    def area(self, kind: str, code: str, name: str, parent: int | None, box: BBox, **extra) -> tuple[int, str]:
        pk = self.areas.take_ids(1)
        path = Area.path_for(code, kind)
        self.sink.add(
            self.areas,
            (
                pk,
                self.born,
                self.born,
                kind,
                code,
                name,
                parent,
                path,
                json.dumps(box.polygon()),
                str(square_km(box)),
                extra.get("population"),
                extra.get("floating_population"),
                extra.get("office_phone", ""),
                extra.get("office_address", ""),
            ),
        )
        return pk, path

    def user(self, username: str, label: str, role: str, path: str, scope_name: str) -> Person:
        pk = self.users.take_ids(1)
        self.sink.add(
            self.users,
            (pk, self.password, None, False, username, "", "", "", False, True, self.born, label, "", ""),
        )
        self.membership(pk, role, path, scope_name)
        return Person(pk, username, label)

    def membership(self, user: int, role: str, path: str, scope_name: str) -> None:
        pk = self.memberships.take_ids(1)
        self.sink.add(self.memberships, (pk, self.born, self.born, user, role, path, scope_name, True))

    def assign(self, person: Person, path: str, duty: str, **place: int) -> None:
        pk = self.assignments.take_ids(1)
        self.sink.add(
            self.assignments,
            (
                pk,
                self.born,
                self.born,
                path,
                person.id,
                place.get("compound"),
                place.get("building"),
                place.get("dwelling"),
                place.get("shop"),
                duty,
                True,
            ),
        )

    def contact(self, model, rng: random.Random, names: set[str]) -> tuple[str, str, str]:
        """A made-up contact person and phone, encrypted for `model`'s columns, and the phone's blind index."""
        name = person_name(rng, names)
        self.contact_phones += 1
        # A counter through a fixed permutation of the block: unique, and not in the order of the shops.
        phone = f"{STAFF_PHONE}{(self.contact_phones * 7919 + 104_729) % 1_000_000:06d}"
        seal = self.sealer.seal
        return (
            seal(name, self.contexts[(model, "contact_name")]),
            seal(phone, self.contexts[(model, "contact_phone")]),
            self.sealer.index(phone),
        )

    def licence(self, trade: str) -> str:
        """A made-up unified social credit code, unique by construction (a counter in the code's alphabet)."""
        self.licences += 1
        number, tail = self.licences, ""
        for _ in range(8):
            number, digit = divmod(number, len(LICENCE_ALPHABET))
            tail = LICENCE_ALPHABET[digit] + tail
        return f"{'91' if trade in COMPANY_TRADES else '92'}{DISTRICT[0]}MA{tail}"

    # The tree

    def build(self, layout: Layout, progress: Callable[[int], None]) -> list[CommunityPlan]:
        """Every area, account and place of `layout`; returns the plans of the communities in code order."""
        columns = min(layout.communities_per_subdistrict, COMMUNITY_COLUMNS) * GRID_COLUMNS
        rows = -(-layout.communities_per_subdistrict // COMMUNITY_COLUMNS) * GRID_ROWS
        if layout.subdistricts > 1:
            columns *= SUBDISTRICT_COLUMNS
            rows *= -(-layout.subdistricts // SUBDISTRICT_COLUMNS)
        district_box = lattice_box(0, 0, columns, rows)
        district_id, district_path = self.area(AreaKind.DISTRICT, DISTRICT[0], DISTRICT[1], None, district_box)
        self.user(f"synth-{DISTRICT[0]}-admin", "区级管理员", Role.SUBDISTRICT_ADMIN, district_path, DISTRICT[1])
        plans: list[CommunityPlan] = []
        for s in range(layout.subdistricts):
            code = f"{DISTRICT[0]}{s + 1:03d}"
            sub_column = (s % SUBDISTRICT_COLUMNS) * COMMUNITY_COLUMNS * GRID_COLUMNS
            sub_row = (s // SUBDISTRICT_COLUMNS) * COMMUNITY_ROWS * GRID_ROWS
            columns = min(layout.communities_per_subdistrict, COMMUNITY_COLUMNS)
            rows = -(-layout.communities_per_subdistrict // COMMUNITY_COLUMNS)
            box = lattice_box(sub_column, sub_row, columns * GRID_COLUMNS, rows * GRID_ROWS)
            name = SUBDISTRICT_NAMES[s]
            sub_id, sub_path = self.area(AreaKind.SUBDISTRICT, code, name, district_id, box)
            self.user(f"synth-{code}-admin", f"{name}管理员", Role.SUBDISTRICT_ADMIN, sub_path, name)
            for c in range(layout.communities_per_subdistrict):
                column = sub_column + (c % COMMUNITY_COLUMNS) * GRID_COLUMNS
                row = sub_row + (c // COMMUNITY_COLUMNS) * GRID_ROWS
                plans.append(self.community(len(plans), s, c, sub_id, name, column, row))
                progress(len(plans))
        return plans

    def community(
        self, index: int, s: int, c: int, parent: int, subdistrict: str, column: int, row: int
    ) -> CommunityPlan:
        """One community: its grids and staff, compounds, buildings, dwellings, shops, partner units, duties."""
        code = f"{DISTRICT[0]}{s + 1:03d}{c + 1:03d}"
        rng = random.Random(f"synth:{self.seed}:territory:{code}")  # noqa: S311 - made-up data, not a secret
        word = FIRST_CHARACTERS[s] + SECOND_CHARACTERS[c]
        name = f"{word}社区"
        box = lattice_box(column, row, GRID_COLUMNS, GRID_ROWS)
        pk, path = self.area(
            AreaKind.COMMUNITY,
            code,
            name,
            parent,
            box,
            population=10_000,
            floating_population=2_500,
            office_phone=f"0371-6{3900000 + index:07d}",
            office_address=f"{name}党群服务中心",
        )
        names: set[str] = set()
        director = self.user(f"synth-{code}-director", person_name(rng, names), Role.DIRECTOR, path, name)
        plan = CommunityPlan(index=index, id=pk, code=code, name=name, path=path, director=director)
        self.user(f"synth-{code}-auditor", person_name(rng, names), Role.AUDITOR, path, name)
        for g in range(GRIDS_PER_COMMUNITY):
            grid_box = lattice_box(column + g % GRID_COLUMNS, row + g // GRID_COLUMNS)
            grid_code = f"{code}{g + 1:03d}"
            grid_name = f"第{GRID_NUMERALS[g]}网格"
            grid_id, grid_path = self.area(AreaKind.GRID, grid_code, grid_name, pk, grid_box)
            scope = f"{name}{grid_name}"
            leader = self.user(
                f"synth-{code}-gl{g + 1:02d}", person_name(rng, names), Role.GRID_LEADER, grid_path, scope
            )
            worker = self.user(
                f"synth-{code}-gw{g + 1:02d}", person_name(rng, names), Role.GRID_WORKER, grid_path, scope
            )
            plan.grids.append(GridPlan(grid_id, grid_code, grid_path, grid_name, grid_box, leader, worker))
        streets = {"ew": [f"{word}北街", f"{word}南街"], "ns": [f"{word}西路", f"{word}东路"]}
        self.places(plan, rng, names, streets)
        self.partner_units(plan, rng, names, word, subdistrict)
        self.leadership_group(plan)
        return plan

    def places(self, plan: CommunityPlan, rng: random.Random, names: set[str], streets: dict[str, list[str]]) -> None:
        managements = [p.management for p in COMPOUNDS]
        rng.shuffle(managements)
        numbers: dict[str, int] = {}
        place_names: set[str] = set()

        def address(street: str) -> str:
            numbers[street] = numbers.get(street, 0) + rng.randint(1, 3)
            return f"{street}{numbers[street]}号"

        def unique(make: Callable[[], str]) -> str:
            for _attempt in range(50):
                candidate = make()
                if candidate not in place_names:
                    place_names.add(candidate)
                    return candidate
            candidate = f"{make()}{len(place_names)}"
            place_names.add(candidate)
            return candidate

        first_compound = self.compounds.take_ids(len(managements))
        building_leaders: dict[int, Person] = {}
        for number, management in enumerate(managements):
            grid = plan.grids[number // COMPOUNDS_PER_GRID]
            street = rng.choice(streets["ew"] + streets["ns"])
            where = address(street)
            if management == Management.PROPERTY_COMPANY:
                estate = rng.choice(SHOP_WORDS)
                compound_name = unique(lambda estate=estate: f"{estate}{rng.choice(ESTATE_SUFFIXES)}")
                body = f"{estate}物业服务有限公司"
            elif management == Management.UNIT:
                unit = rng.choice(UNITS)
                compound_name = unique(lambda unit=unit: f"{unit}家属院")
                body = f"{unit}后勤服务中心"
            else:
                compound_name = unique(lambda where=where: f"{where}院")
                body = f"{compound_name}业主委员会" if management == Management.OWNERS_COMMITTEE else ""
            code = f"{plan.code}-C{number + 1:02d}"
            lng, lat = _inside(grid.box, rng, 0.0002)
            compound = CompoundPlan(
                first_compound + number,
                code,
                compound_name,
                where,
                management,
                lng,
                lat,
                f"{grid.path}{code}/",
                number // 2,
            )
            plan.compounds.append(compound)
            self.sink.add(
                self.compounds,
                (
                    compound.id,
                    self.born,
                    self.born,
                    compound.path,
                    code,
                    compound_name,
                    grid.id,
                    where,
                    management,
                    body,
                    lng,
                    lat,
                ),
            )
            if number in BUILDING_LEADER_COMPOUNDS:
                building_leaders[number] = self.user(
                    f"synth-{plan.code}-bl{len(building_leaders) + 1:02d}",
                    person_name(rng, names),
                    Role.BUILDING_LEADER,
                    compound.path,
                    compound_name,
                )
            if number not in UNASSIGNED_COMPOUNDS:
                if management == Management.NONE:
                    self.assign(grid.leader, compound.path, "无主管楼院环境卫生，逐院清理", compound=compound.id)
                else:
                    self.assign(grid.worker, compound.path, "楼院巡查，联系管理单位", compound=compound.id)
        self.residential(plan, rng, building_leaders)
        self.offices(plan, rng, unique)
        self.shops_of(plan, rng, names, streets, address, unique)

    def residential(self, plan: CommunityPlan, rng: random.Random, building_leaders: dict[int, Person]) -> None:
        """The demo's building shapes: walk-ups everywhere, a tower first in compounds a property company runs."""
        directly_assigned = False
        counts = list(BUILDINGS_PER_COMPOUND)
        rng.shuffle(counts)
        for number, compound in enumerate(plan.compounds):
            grid = plan.grids[compound.grid]
            count = counts[number]
            first = self.buildings.take_ids(count)
            for index in range(count):
                if compound.management == Management.PROPERTY_COMPANY and index == 0:
                    shape = TOWER_SHAPE
                else:
                    shape = rng.choices(WALK_UP_SHAPES, weights=WALK_UP_WEIGHTS)[0]
                lng = _clamp(compound.longitude + rng.uniform(-0.00015, 0.00015), grid.box.west, grid.box.east)
                lat = _clamp(compound.latitude + rng.uniform(-0.00015, 0.00015), grid.box.south, grid.box.north)
                building = BuildingPlan(
                    first + index, number, compound.path, self.dwellings.take_ids(shape[0] * shape[1] * shape[2]), shape
                )
                plan.buildings.append(building)
                self.sink.add(
                    self.buildings,
                    (
                        building.id,
                        self.born,
                        self.born,
                        compound.path,
                        f"{compound.code}-B{index + 1}",
                        f"{index + 1}号楼",
                        BuildingKind.RESIDENTIAL,
                        grid.id,
                        compound.id,
                        "",
                        shape[1],
                        lng,
                        lat,
                    ),
                )
                born, dwelling_path = self.born, compound.path
                self.sink.extend(
                    self.dwellings,
                    (
                        (building.first_dwelling + n, born, born, dwelling_path, building.id, unit, door)
                        for n, (unit, door) in enumerate(building.dwelling_numbers())
                    ),
                )
                if rng.random() < UNASSIGNED_BUILDING_SHARE:
                    if not directly_assigned:
                        # In one building nobody answers for, the grid worker still visits a few households
                        # (elderly people living alone) directly.
                        directly_assigned = True
                        for n in range(DIRECTLY_ASSIGNED_DWELLINGS):
                            self.assign(
                                grid.worker, compound.path, "独居老人户，每周走访", dwelling=building.first_dwelling + n
                            )
                            plan.alone.add(building.first_dwelling + n)
                    continue
                leader = building_leaders.get(number)
                if leader is not None:
                    self.assign(leader, compound.path, "楼栋长：联系本楼住户", building=building.id)
                else:
                    self.assign(grid.worker, compound.path, "包楼到户，入户走访", building=building.id)

    def offices(self, plan: CommunityPlan, rng: random.Random, unique: Callable) -> None:
        first = self.buildings.take_ids(len(OFFICE_GRIDS))
        for number, g in enumerate(OFFICE_GRIDS):
            grid = plan.grids[g]
            lng, lat = _inside(grid.box, rng, 0.0002)
            word = rng.choice(SHOP_WORDS)
            office_name = unique(lambda word=word: f"{word}{rng.choice(OFFICE_SUFFIXES)}")
            self.sink.add(
                self.buildings,
                (
                    first + number,
                    self.born,
                    self.born,
                    grid.path,
                    f"{plan.code}-O{number + 1}",
                    office_name,
                    BuildingKind.OFFICE,
                    grid.id,
                    None,
                    "",
                    rng.randint(12, 24),
                    lng,
                    lat,
                ),
            )
            if rng.random() >= UNASSIGNED_BUILDING_SHARE:
                self.assign(grid.worker, grid.path, "包楼到户，入户走访", building=first + number)

    def shops_of(
        self,
        plan: CommunityPlan,
        rng: random.Random,
        names: set[str],
        streets: dict[str, list[str]],
        address: Callable[[str], str],
        unique: Callable,
    ) -> None:
        trades, weights = zip(*SHOP_TRADES, strict=True)
        grid_weights = [SHOP_COLUMN_WEIGHTS[g % GRID_COLUMNS] for g in range(GRIDS_PER_COMMUNITY)]
        count = rng.randint(*SHOPS_PER_COMMUNITY)
        first = self.shops.take_ids(count)
        places = [streets["ew"][0][:2], streets["ew"][0], streets["ns"][0]]
        for number in range(count):
            trade = rng.choices(trades, weights=weights)[0]
            g = rng.choices(range(GRIDS_PER_COMMUNITY), weights=grid_weights)[0]
            grid = plan.grids[g]
            where = address(rng.choice(streets["ew"] + streets["ns"]))
            lng, lat = _inside(grid.box, rng, 0.00005)
            shop_name = unique(
                lambda trade=trade: rng.choice(SHOP_NAME_PATTERNS[trade]).format(
                    s=rng.choice(SURNAMES), w=rng.choice(SHOP_WORDS), p=rng.choice(places)
                )
            )
            contact_name, contact_phone, phone_index = self.contact(Shop, rng, names)
            shop = ShopPlan(first + number, f"{plan.code}-S{number + 1:03d}", where, g, lng, lat)
            plan.shops.append(shop)
            self.sink.add(
                self.shops,
                (
                    shop.id,
                    self.born,
                    self.born,
                    grid.path,
                    shop.code,
                    shop_name,
                    self.trades[trade],
                    self.licence(trade),
                    grid.id,
                    where,
                    contact_name,
                    contact_phone,
                    phone_index,
                    "open",
                    lng,
                    lat,
                ),
            )
            if rng.random() >= UNASSIGNED_SHOP_SHARE:
                self.assign(grid.worker, grid.path, "门店每日巡查，门前三包", shop=shop.id)

    def partner_units(self, plan: CommunityPlan, rng: random.Random, names: set[str], word: str, sub: str) -> None:
        first = self.partners.take_ids(len(PARTNER_UNITS))
        for number, (suffix, pattern, kind, joint_work) in enumerate(PARTNER_UNITS):
            contact_name, contact_phone, phone_index = self.contact(PartnerUnit, rng, names)
            self.sink.add(
                self.partners,
                (
                    first + number,
                    self.born,
                    self.born,
                    plan.path,
                    f"{plan.code}-{suffix}",
                    pattern.format(c=word, s=sub),
                    kind,
                    plan.id,
                    f"{word}北街{rng.randint(1, 99)}号",
                    contact_name,
                    contact_phone,
                    phone_index,
                    joint_work,
                ),
            )

    def leadership_group(self, plan: CommunityPlan) -> None:
        """The director heads the community's group; the grid leaders lead its groups (as on the notice boards)."""
        group = self.groups.take_ids(1)
        self.sink.add(
            self.groups, (group, self.born, self.born, plan.path, plan.id, f"{plan.name}网格化管理工作领导小组", True)
        )
        members = [(plan.director, "head", "社区主任，第一责任人")]
        members += [(g.leader, "group_leader", f"网格长，负责{g.name}工作") for g in plan.grids]
        first = self.members.take_ids(len(members))
        for order, (person, position, duty) in enumerate(members):
            self.sink.add(
                self.members,
                (first + order, self.born, self.born, plan.path, group, person.id, position, duty, order + 1),
            )


def person_name(rng: random.Random, used: set[str]) -> str:
    """A made-up name (a common surname and one or two given-name characters), unique among `used`."""
    while True:
        given = "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(rng.choice((1, 2, 2))))
        name = rng.choice(SURNAMES) + given
        if name not in used:
            used.add(name)
            return name


def _inside(box: BBox, rng: random.Random, margin: float) -> tuple[float, float]:
    lng = rng.uniform(box.west + margin, box.east - margin)
    lat = rng.uniform(box.south + margin, box.north - margin)
    return round(lng, 6), round(lat, 6)


def _clamp(value: float, low: float, high: float) -> float:
    margin = 0.00005
    return round(min(max(value, low + margin), high - margin), 6)
