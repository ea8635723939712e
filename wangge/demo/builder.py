"""Build the demo community: 俭学街社区 as the reference scenario counts it, filled with made-up people.

Everything is written through the territory and accounts services with `actor=None` (the system), so the
demo exercises the same validation, scoping and audit paths as real use. Generation draws from one
`random.Random` with a fixed seed in a fixed order, so every build produces the same names and numbers.
No real person appears: names are drawn from lists of common surnames and given-name characters, and
phone numbers from the 1380000xxxx block (residents' from the 170/171 ranges, see `demo.people`).
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db import transaction

from wangge.accounts import services as account_services
from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.demo.campaigns import build_campaign
from wangge.demo.history import build_case_history
from wangge.demo.inspections import build_inspection_history, build_recent_patrols
from wangge.demo.people import build_people
from wangge.demo.scenario import CAMPAIGN, JIANXUEJIE, BBox
from wangge.people.models import Household, Residence, Resident, ResidentStatus
from wangge.territory import selectors, services
from wangge.territory.models import Area, AreaKind, Building, Compound, Dwelling, LeadershipGroup, Shop, Trade

# The day the campaign started (2014-06): any fixed number would do, this one is easy to recognise.
SEED = 20140601

# The grid layout of GB/T 30428.1 as the demo draws it: 2 rows by 4 columns of the community's box.
GRID_ROWS, GRID_COLUMNS = 2, 4
GRID_NAMES = ("第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格", "第七网格", "第八网格")

# The neighbouring community to the north, so that scope (who sees what) can be shown and tested.
NEIGHBOUR_CODE = "410105008005"
NEIGHBOUR_NAME = "文化路东社区"
NEIGHBOUR_BBOX = BBox(west=113.6560, east=113.6625, south=34.7920, north=34.7975)

# Streets as the demo map draws them: 俭学街 runs east-west through the middle of the community (the line
# between the two rows of grids), 文化路 north-south between the second and third columns; 白庙前街 is the
# northern boundary and 农业路 the southern one (the report's extent).
JIANXUEJIE_STREET_LAT = round((JIANXUEJIE.bbox.north + JIANXUEJIE.bbox.south) / 2, 7)
WENHUALU_STREET_LNG = round(JIANXUEJIE.bbox.west + (JIANXUEJIE.bbox.east - JIANXUEJIE.bbox.west) / 2, 7)

PHONE_BLOCK = "1380000"  # plus four digits: a block used for made-up numbers, never a real subscriber


@dataclass(frozen=True)
class CompoundPlan:
    """One of the twenty compounds: made-up, in the style of the area's real names."""

    grid: int
    name: str
    address: str
    management: str
    management_name: str = ""


COMPOUNDS: tuple[CompoundPlan, ...] = (
    CompoundPlan(1, "俭学街12号院", "俭学街12号", "none"),
    CompoundPlan(1, "白庙前街6号院", "白庙前街6号", "owners_committee", "白庙前街6号院业主委员会"),
    CompoundPlan(1, "水利勘测队家属院", "白庙前街18号", "unit", "水利勘测队后勤服务站"),
    CompoundPlan(2, "文化路85号院", "文化路85号", "property_company", "郑州俭安物业服务有限公司"),
    CompoundPlan(2, "俭学街20号院", "俭学街20号", "none"),
    CompoundPlan(2, "文苑小区", "文化路77号", "property_company", "文苑物业服务有限公司"),
    CompoundPlan(3, "农科所家属院", "俭学街45号", "unit", "农科所后勤服务中心"),
    CompoundPlan(3, "金桥公寓", "白庙前街28号", "property_company", "金桥物业管理有限公司"),
    CompoundPlan(4, "俭学街53号院", "俭学街53号", "none"),
    CompoundPlan(4, "华林小区", "白庙前街40号", "property_company", "华林物业服务有限公司"),
    CompoundPlan(5, "俭学街印刷厂家属院", "俭学街6号", "unit", "俭学街印刷厂留守处"),
    CompoundPlan(5, "农业路11号院", "农业路11号", "none"),
    CompoundPlan(5, "俭学街18号院", "俭学街18号", "owners_committee", "俭学街18号院业主委员会"),
    CompoundPlan(6, "文化路71号院", "文化路71号", "none"),
    CompoundPlan(6, "文博花园", "农业路27号", "property_company", "文博物业服务有限公司"),
    CompoundPlan(7, "文化路68号院", "文化路68号", "owners_committee", "文化路68号院业主委员会"),
    CompoundPlan(7, "农业路家属院", "农业路45号", "none"),
    CompoundPlan(7, "俭学小区", "俭学街38号", "property_company", "郑州俭安物业服务有限公司"),
    CompoundPlan(8, "粮油仓库家属院", "农业路61号", "unit", "粮油仓库后勤科"),
    CompoundPlan(8, "俭学街52号院", "俭学街52号", "owners_committee", "俭学街52号院业主委员会"),
)

# Compounds whose building leader has an account: C01 must be one (the fixed cast's building leader).
BUILDING_LEADER_COMPOUNDS = ("JXJ-C01", "JXJ-C05", "JXJ-C12", "JXJ-C16", "JXJ-C19")

# Places left without a responsible person on purpose, so the coverage report has something to show.
UNASSIGNED_COMPOUNDS = ("JXJ-C10", "JXJ-C18")
UNASSIGNED_BUILDINGS = ("JXJ-O3", "JXJ-C09-B2", "JXJ-C14-B1")
UNASSIGNED_SHOPS = ("JXJ-S037", "JXJ-S078", "JXJ-S115", "JXJ-S152")
# In one unassigned building the grid worker still answers for a few households directly (elderly alone).
DIRECTLY_ASSIGNED_DWELLINGS = ("JXJ-C14-B1", 3)

# Building shapes (entrances, floors, dwellings per floor) and how often they occur, by kind of compound:
# six-storey walk-ups of the 1980s-90s everywhere, one eleven-storey block (小高层) in each compound
# that a property company manages.
WALK_UP_SHAPES = ((1, 6, 2), (2, 6, 2), (3, 6, 2), (3, 7, 2), (2, 6, 3), (3, 6, 3))
WALK_UP_WEIGHTS = (1, 3, 5, 3, 2, 2)
TOWER_SHAPE = (2, 11, 4)
Shape = tuple[int, int, int]

OFFICE_BUILDINGS = (
    # code suffix, name, grid, address, floors
    ("O1", "金汇商务大厦", 2, "文化路89号", 18),
    ("O2", "文博大厦", 3, "文化路100号", 22),
    ("O3", "俭学创业园写字楼", 7, "文化路72号", 12),
)

PARTNER_UNITS = (
    ("P1", "文化路街道城市管理科", "government", "文化路街道办事处", "联系分包科室：指导楼院环境卫生整治和门店管理"),
    ("P2", "俭学街小学", "institution", "俭学街30号", "学生志愿服务、文明劝导"),
    ("P3", "文化路社区卫生服务站", "institution", "文化路83号", "独居老人义诊、健康讲座"),
    ("P4", "俭学街邮政支局", "state_enterprise", "俭学街41号", "代收代寄便民服务"),
    ("P5", "供水公司文化路营业所", "state_enterprise", "文化路92号", "无主管楼院管网维修"),
    ("P6", "文博信息技术有限公司", "new_economic", "文化路100号文博大厦", "两新组织代表，参加联席会议"),
    ("P7", "阳光助老服务中心", "new_social", "农业路33号", "助老服务队、便民志愿服务"),
)

# How many of the 160 shops each trade has: a street of small restaurants, groceries and salons.
SHOP_TRADES = (
    ("restaurant", 38),
    ("grocery", 20),
    ("salon", 18),
    ("food", 14),
    ("fruit", 10),
    ("clothing", 10),
    ("pharmacy", 8),
    ("telecom", 8),
    ("repair", 8),
    ("print", 6),
    ("education", 6),
    ("other", 6),
    ("hotel", 3),
    ("bathhouse", 3),
    ("karaoke", 2),
)
# Shops crowd along 文化路: the grids of the middle columns get more of them.
SHOP_GRID_WEIGHTS = (2, 4, 4, 2, 2, 4, 4, 2)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
    "钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹易常武乔贺赖龚文"
)
GIVEN_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国玉兰红梅志春海燕雪晓飞鹏辉丹萍颖琳佳欣怡子涵浩宇"
    "博文思雨嘉俊晨阳雅婷鑫凯瑞新宏永庆德福荣善淑珍凤琴桂香卫东振宁立胜利民"
)

SHOP_WORDS = tuple(
    "鑫源 华安 金盛 百顺 惠民 阳光 康乐 佳美 正阳 文博 俭学 和顺 兴隆 福瑞 诚信"
    " 顺达 永盛 大众 嘉禾 德润 宏达 瑞丰 昌盛 安康 红叶 绿洲 晨光 东方 金水 邻里".split()
)
SHOP_PLACES = ("俭学街", "文化路", "农业路", "白庙", "金水", "中原")
# Per trade: name patterns; {s} is a surname, {w} a shop word, {p} a place.
SHOP_NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "restaurant": (
        "{s}记烩面馆",
        "老{s}家胡辣汤",
        "{p}牛肉拉面",
        "{w}家常菜",
        "{s}记水煎包",
        "{p}饺子馆",
        "{w}米线",
        "{s}家黄焖鸡米饭",
        "{w}砂锅",
        "老{s}卤面",
        "{w}烧烤",
        "{s}记麻辣烫",
        "{p}羊肉汤",
        "{w}快餐",
        "{s}记蒸饺",
    ),
    "food": ("{w}烘焙坊", "{s}记熟食", "{s}家卤肉", "{w}粮油店", "{s}记馒头店", "{p}烧饼铺", "{w}炒货", "{w}奶茶"),
    "grocery": ("{w}便利店", "{p}便民超市", "{s}家副食店", "{w}超市", "{w}便民店"),
    "salon": ("{w}美发", "{s}师傅理发店", "{w}美容院", "{w}造型", "{p}理发店"),
    "bathhouse": ("{w}足道", "{w}浴池", "{p}洗浴中心"),
    "hotel": ("{w}宾馆", "{w}快捷酒店", "{p}旅社"),
    "karaoke": ("{w}KTV", "{w}量贩歌厅"),
    "fruit": ("{s}家水果店", "{w}果蔬", "{p}鲜果店", "{w}生鲜"),
    "clothing": ("{w}服饰", "{w}鞋店", "{w}童装", "{s}记裁缝店"),
    "pharmacy": ("{w}大药房", "{w}诊所", "{p}药店"),
    "telecom": ("{w}手机店", "{w}通讯", "{w}数码"),
    "repair": ("{s}师傅修鞋", "{w}家电维修", "{w}开锁修锁", "{s}记自行车修理", "{w}钟表维修"),
    "print": ("{w}打印复印", "{w}图文"),
    "education": ("{w}教育", "{w}书法培训", "{w}美术培训", "{w}英语"),
    "other": ("{w}五金店", "{w}花店", "{w}眼镜", "{w}干洗店", "{w}彩票站"),
}
# Hotels, pharmacies and schools are companies (统一社会信用代码 91…); the rest individual businesses (92…).
COMPANY_TRADES = ("hotel", "pharmacy", "education", "bathhouse", "karaoke")
# The characters of a unified social credit code (GB 32100: digits and capitals without I, O, S, V, Z).
LICENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Writer(Protocol):
    """Where progress goes: a management command's stdout, or any text stream."""

    def write(self, msg: str, /) -> object: ...


@dataclass(frozen=True)
class DemoLogin:
    """One demo account, as the command prints it."""

    username: str
    display_name: str
    role: str
    scope: str


@dataclass
class DemoSummary:
    """What the demo community holds, and who can sign in to it."""

    community: str
    created: bool
    grids: int
    compounds: int
    unmanaged_compounds: int
    residential_buildings: int
    office_buildings: int
    dwellings: int
    shops: int
    partner_units: int
    places: int
    unassigned_places: int
    residents: int = 0
    floating_residents: int = 0
    households: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


@dataclass
class _ShopPlan:
    """Where a shop will stand, before it gets its house number and code."""

    grid: int
    trade: str
    street: str
    side: str
    longitude: float
    latitude: float
    number: int = 0


def grid_boxes(bbox: BBox, rows: int = GRID_ROWS, columns: int = GRID_COLUMNS) -> list[BBox]:
    """The box cut into rows × columns, numbered west→east within a row and rows north→south.

    Neighbours share exactly the same edge coordinates, so the grids tile the box without gaps or overlaps.
    """
    xs = [round(bbox.west + (bbox.east - bbox.west) * i / columns, 7) for i in range(columns + 1)]
    ys = [round(bbox.north - (bbox.north - bbox.south) * j / rows, 7) for j in range(rows + 1)]
    xs[0], xs[-1], ys[0], ys[-1] = bbox.west, bbox.east, bbox.north, bbox.south
    return [BBox(west=xs[c], east=xs[c + 1], south=ys[r + 1], north=ys[r]) for r in range(rows) for c in range(columns)]


def demo_usernames() -> list[str]:
    """Every demo account, in the order the command prints them: the fixed cast first."""
    cast = ["director", "deputy", "gridleader1", "gridworker1", "buildingleader1", "auditor", "outsider", "subdistrict"]
    rest = [f"{kind}{n}" for n in range(2, 9) for kind in ("gridleader", "gridworker")]
    rest += [f"buildingleader{n}" for n in range(2, len(BUILDING_LEADER_COMPOUNDS) + 1)]
    return cast + rest


def build_demo(*, password: str, stdout: Writer | None = None) -> DemoSummary:
    """The demo community, built once: a second call finds it and only reports what is there.

    Deterministic (fixed seed), in one transaction. Places, accounts, cases and inspections go through the services
    as the system; the people register (about 9,000 residents) is bulk-loaded by `demo.people`. A demo built
    before the register existed gets its residents on the next call.
    """
    with transaction.atomic():
        community = Area.objects.filter(code=JIANXUEJIE.code).first()
        if community is not None:
            if not Household.objects.filter(community=community).exists():
                _load_people(community, stdout)
            else:
                _say(stdout, f"{JIANXUEJIE.name} ({JIANXUEJIE.code}) is already there; nothing to build.")
            return summarise(community, created=False)
        community = _Builder(password=password, stdout=stdout).build()
        _load_people(community, stdout)
        cases = build_case_history(community, stdout=stdout)
        _say(stdout, f"{cases} cases of the 2014 campaign months")
        _say(stdout, str(build_inspection_history(community)))
        _say(stdout, str(build_recent_patrols(community)))
        _say(stdout, str(build_campaign(community)))
        return summarise(community, created=True)


def _load_people(community: Area, stdout: Writer | None) -> None:
    people = build_people(community)
    _say(
        stdout,
        f"{people.residents} residents ({people.floating} floating, {people.moved_out} moved out), "
        f"{people.households} households, {people.registrations} residence registrations "
        f"in {people.seconds:.1f} s",
    )


def summarise(community: Area, *, created: bool = False) -> DemoSummary:
    """Counts of what `community` holds (through the territory selectors) and the demo logins that exist."""
    viewer = _system_viewer()
    figures = selectors.overview(viewer, community)
    report = selectors.coverage(viewer, community=community)
    living = Resident.objects.filter(area_path__startswith=community.path, status=ResidentStatus.LIVING)
    logins: list[DemoLogin] = []
    users = {u.username: u for u in User.objects.filter(username__in=demo_usernames())}
    memberships = Membership.objects.filter(user__in=users.values(), active=True).order_by("id")
    first_membership = {}
    for membership in memberships:
        first_membership.setdefault(membership.user_id, membership)
    for username in demo_usernames():
        user = users.get(username)
        if user is None:
            continue
        membership = first_membership.get(user.pk)
        role = str(membership.get_role_display()) if membership else ""
        scope = membership.scope_name if membership else ""
        logins.append(DemoLogin(username=username, display_name=user.display_name, role=role, scope=scope))
    return DemoSummary(
        community=community.name,
        created=created,
        grids=len(figures.grids),
        compounds=figures.compounds,
        unmanaged_compounds=figures.unmanaged_compounds,
        residential_buildings=figures.residential_buildings,
        office_buildings=figures.office_buildings,
        dwellings=figures.dwellings,
        shops=figures.shops,
        partner_units=figures.partner_units,
        places=sum(entry.place_count for entry in report),
        unassigned_places=sum(entry.unassigned_count for entry in report),
        residents=living.count(),
        floating_residents=living.filter(residence=Residence.FLOATING).count(),
        households=Household.objects.filter(community=community).count(),
        logins=logins,
    )


def _system_viewer() -> User:
    # The summary reports what is in the database, whoever may see it. The selectors read on behalf of a
    # user; an unsaved superuser is the system's view (no memberships read, no row written).
    return User(username="demo-summary", is_superuser=True)


def _say(stdout: Writer | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _inside(box: BBox, rng: random.Random, margin: float) -> tuple[float, float]:
    """A point strictly inside `box`, at least `margin` degrees from its edges."""
    lng = rng.uniform(box.west + margin, box.east - margin)
    lat = rng.uniform(box.south + margin, box.north - margin)
    return round(lng, 6), round(lat, 6)


def _clamp(value: float, low: float, high: float) -> float:
    return round(min(max(value, low), high), 6)


class _Builder:
    """One build of the demo: the random stream, the names already used and the rows made so far."""

    def __init__(self, *, password: str, stdout: Writer | None) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
        self.password = password
        self.stdout = stdout
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.licences: set[str] = set()
        self.grids: list[Area] = []
        self.boxes: list[BBox] = grid_boxes(JIANXUEJIE.bbox)
        self.leaders: list[User] = []
        self.workers: list[User] = []
        self.building_leaders: dict[str, User] = {}

    # Made-up people

    def person_name(self) -> str:
        """A new made-up Chinese name (surname and one or two given-name characters), unique in this build."""
        while True:
            given = "".join(self.rng.choice(GIVEN_CHARACTERS) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def phone(self) -> str:
        """A new mobile number from the made-up block."""
        while True:
            number = f"{PHONE_BLOCK}{self.rng.randrange(10_000):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def user(self, username: str, role: str, *, area: Area | None = None, compound: Compound | None = None) -> User:
        """A made-up person who signs in with the demo password and holds `role` in `area` or `compound`."""
        user = account_services.user_create(
            actor=None, username=username, display_name=self.person_name(), password=self.password
        )
        services.role_grant(actor=None, user=user, role=role, area=area, compound=compound)
        return user

    # The build

    def build(self) -> Area:
        """Everything, in an order that never changes (the random stream depends on it); returns 俭学街社区."""
        _district, subdistrict = self.divisions()
        community = self.community(subdistrict)
        self.grids = self.cut_grids(community)
        neighbour = self.neighbour(subdistrict)
        _say(self.stdout, f"{community.name}: {len(self.grids)} grids")

        director = self.user("director", Role.DIRECTOR, area=community)
        deputy = self.user("deputy", Role.DIRECTOR, area=community)
        for number, grid in enumerate(self.grids, start=1):
            self.leaders.append(self.user(f"gridleader{number}", Role.GRID_LEADER, area=grid))
            self.workers.append(self.user(f"gridworker{number}", Role.GRID_WORKER, area=grid))
        self.user("auditor", Role.AUDITOR, area=community)
        self.user("subdistrict", Role.SUBDISTRICT_ADMIN, area=subdistrict)

        compounds = self.compounds()
        for number, code in enumerate(BUILDING_LEADER_COMPOUNDS, start=1):
            self.building_leaders[code] = self.user(
                f"buildingleader{number}", Role.BUILDING_LEADER, compound=compounds[code]
            )
        buildings = self.residential_buildings(compounds)
        dwellings = self.dwellings(buildings)
        _say(self.stdout, f"{len(compounds)} compounds, {len(buildings)} buildings, {dwellings} dwellings")
        offices = self.office_buildings()
        shops = self.shops()
        self.partner_units(community)
        _say(self.stdout, f"{len(offices)} office buildings, {len(shops)} shops, {len(PARTNER_UNITS)} partner units")

        self.assign(compounds, [building for building, _shape in buildings] + offices, shops)
        self.leadership_group(community, director, deputy)
        self.neighbour_places(neighbour)
        return community

    def divisions(self) -> tuple[Area, Area]:
        """金水区 and 文化路街道, reused when an operator has already entered them."""
        district = Area.objects.filter(code=JIANXUEJIE.district.code).first() or services.area_create(
            actor=None, kind=AreaKind.DISTRICT, code=JIANXUEJIE.district.code, name=JIANXUEJIE.district.name
        )
        subdistrict = Area.objects.filter(code=JIANXUEJIE.subdistrict.code).first()
        if subdistrict is None:
            both = BBox(
                west=JIANXUEJIE.bbox.west,
                east=JIANXUEJIE.bbox.east,
                south=JIANXUEJIE.bbox.south,
                north=NEIGHBOUR_BBOX.north,
            )
            subdistrict = services.area_create(
                actor=None,
                kind=AreaKind.SUBDISTRICT,
                code=JIANXUEJIE.subdistrict.code,
                name=JIANXUEJIE.subdistrict.name,
                parent=district,
                boundary=both.polygon(),
            )
        return district, subdistrict

    def community(self, subdistrict: Area) -> Area:
        """俭学街社区 with the report's area and the demo's population figures."""
        return services.area_create(
            actor=None,
            kind=AreaKind.COMMUNITY,
            code=JIANXUEJIE.code,
            name=JIANXUEJIE.name,
            parent=subdistrict,
            boundary=JIANXUEJIE.bbox.polygon(),
            area_km2=Decimal(str(JIANXUEJIE.area_km2)),
            population=JIANXUEJIE.population.residents,
            floating_population=JIANXUEJIE.population.floating,
            office_phone="0371-63900000",
            office_address="俭学街社区党群服务中心（俭学街26号）",
        )

    def cut_grids(self, community: Area) -> list[Area]:
        """The eight grids 001-008, tiling the community's box."""
        return [
            services.area_create(
                actor=None,
                kind=AreaKind.GRID,
                code=f"{community.code}{number:03d}",
                name=GRID_NAMES[number - 1],
                parent=community,
                boundary=box.polygon(),
            )
            for number, box in enumerate(self.boxes, start=1)
        ]

    def compounds(self) -> dict[str, Compound]:
        """The twenty compounds JXJ-C01…C20, each with a point inside its grid; by code."""
        made: dict[str, Compound] = {}
        for number, plan in enumerate(COMPOUNDS, start=1):
            lng, lat = _inside(self.boxes[plan.grid - 1], self.rng, margin=0.0002)
            code = f"JXJ-C{number:02d}"
            made[code] = services.compound_create(
                actor=None,
                code=code,
                name=plan.name,
                area=self.grids[plan.grid - 1],
                address=plan.address,
                management=plan.management,
                management_name=plan.management_name,
                longitude=lng,
                latitude=lat,
            )
        return made

    def building_shape(self, compound: Compound, index: int) -> Shape:
        """Entrances, floors and dwellings per floor of one building."""
        if compound.management == "property_company" and index == 0:
            return TOWER_SHAPE
        return self.rng.choices(WALK_UP_SHAPES, weights=WALK_UP_WEIGHTS)[0]

    def residential_buildings(self, compounds: dict[str, Compound]) -> list[tuple[Building, Shape]]:
        """Two to six buildings per compound (JXJ-C01-B1…), each with the shape its dwellings will fill."""
        made = []
        for code, compound in compounds.items():
            box = self.boxes[int(compound.area.code[-3:]) - 1]
            for index in range(self.rng.randint(2, 6)):
                shape = self.building_shape(compound, index)
                lng = _clamp(compound.longitude + self.rng.uniform(-0.00015, 0.00015), box.west + 5e-5, box.east - 5e-5)
                lat = _clamp(
                    compound.latitude + self.rng.uniform(-0.00015, 0.00015), box.south + 5e-5, box.north - 5e-5
                )
                building = services.building_create(
                    actor=None,
                    code=f"{code}-B{index + 1}",
                    name=f"{index + 1}号楼",
                    compound=compound,
                    floors=shape[1],
                    longitude=lng,
                    latitude=lat,
                )
                made.append((building, shape))
        return made

    def dwellings(self, buildings: list[tuple[Building, Shape]]) -> int:
        """Every dwelling of every building (unit 1-3, numbers 101…602); returns how many."""
        # One service call per dwelling: slower than bulk_create, but every row is validated and audited
        # like a dwelling an office clerk enters (about 3,200 rows, a few seconds on SQLite).
        count = 0
        for building, (entrances, floors, per_floor) in buildings:
            for unit in range(1, entrances + 1):
                for floor in range(1, floors + 1):
                    for door in range(1, per_floor + 1):
                        services.dwelling_create(
                            actor=None, building=building, unit=str(unit), number=f"{floor}{door:02d}"
                        )
                        count += 1
        return count

    def office_buildings(self) -> list[Building]:
        """The three office buildings JXJ-O1…O3, standing in grids, in no compound."""
        made = []
        for suffix, name, grid, address, floors in OFFICE_BUILDINGS:
            box = self.boxes[grid - 1]
            # Office buildings front 文化路, which runs along the edge of the grids of the middle columns.
            near_road = box.east - 0.0002 if box.east <= WENHUALU_STREET_LNG else box.west + 0.0002
            made.append(
                services.building_create(
                    actor=None,
                    code=f"JXJ-{suffix}",
                    name=name,
                    kind="office",
                    area=self.grids[grid - 1],
                    address=address,
                    floors=floors,
                    longitude=round(near_road, 6),
                    latitude=round(self.rng.uniform(box.south + 0.0003, box.north - 0.0003), 6),
                )
            )
        return made

    # Shops

    def shop_name(self, trade: str, used: set[str]) -> str:
        """A made-up shop name in the style of its trade, unique among the demo's shops."""
        for _attempt in range(50):
            pattern = self.rng.choice(SHOP_NAME_PATTERNS[trade])
            name = pattern.format(
                s=self.rng.choice(SURNAMES), w=self.rng.choice(SHOP_WORDS), p=self.rng.choice(SHOP_PLACES)
            )
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError(f"ran out of names for trade {trade}")  # a programming error: add patterns

    def licence(self, trade: str) -> str:
        """A made-up 18-character unified social credit code registered in 金水区."""
        kind = "91" if trade in COMPANY_TRADES else "92"
        while True:
            tail = "".join(self.rng.choice(LICENCE_ALPHABET) for _ in range(8))
            number = f"{kind}{JIANXUEJIE.district.code}MA{tail}"
            if number not in self.licences:
                self.licences.add(number)
                return number

    def street_spot(self, grid: int) -> _ShopPlan:
        """A street frontage in grid `grid` (1-8): the street, its side, and a point just inside the grid."""
        box = self.boxes[grid - 1]
        north_row = grid <= GRID_COLUMNS
        column = (grid - 1) % GRID_COLUMNS
        streets = ["俭学街", "白庙前街" if north_row else "农业路"]
        if column in (1, 2):
            streets += ["文化路", "文化路"]  # the busiest street: twice the chance
        street = self.rng.choice(streets)
        depth = self.rng.uniform(0.00005, 0.0004)  # degrees from the kerb into the grid
        lng = self.rng.uniform(box.west + 0.00005, box.east - 0.00005)
        lat = self.rng.uniform(box.south + 0.00005, box.north - 0.00005)
        if street == "俭学街":
            lat = JIANXUEJIE_STREET_LAT + depth if north_row else JIANXUEJIE_STREET_LAT - depth
            side = "north" if north_row else "south"
        elif street == "白庙前街":
            lat, side = box.north - depth, "south"
        elif street == "农业路":
            lat, side = box.south + depth, "north"
        else:
            west_side = column == 1
            lng = WENHUALU_STREET_LNG - depth if west_side else WENHUALU_STREET_LNG + depth
            side = "west" if west_side else "east"
        return _ShopPlan(grid=grid, trade="", street=street, side=side, longitude=round(lng, 6), latitude=round(lat, 6))

    def shops(self) -> list[Shop]:
        """The 160 street shops JXJ-S001…S160 with their trades, licences and (encrypted) contacts."""
        trades = [code for code, count in SHOP_TRADES for _ in range(count)]
        self.rng.shuffle(trades)
        plans: list[_ShopPlan] = []
        for trade in trades:
            grid = self.rng.choices(range(1, len(self.boxes) + 1), weights=SHOP_GRID_WEIGHTS)[0]
            plan = self.street_spot(grid)
            plan.trade = trade
            plans.append(plan)
        # House numbers run along each street (west→east, north→south), odd on one side and even on the
        # other, as Chinese streets are numbered; shop codes then follow the grids and the streets.
        sides: dict[tuple[str, str], list[_ShopPlan]] = {}
        for plan in plans:
            sides.setdefault((plan.street, plan.side), []).append(plan)
        for (street, side), on_side in sorted(sides.items()):
            number = 1 if side in ("north", "west") else 2
            for plan in sorted(on_side, key=lambda p: -p.latitude if street == "文化路" else p.longitude):
                plan.number = number
                number += 2 * self.rng.randint(1, 2)
        plans.sort(key=lambda p: (p.grid, p.street, p.number))
        trade_rows = {trade.code: trade for trade in Trade.objects.all()}
        used: set[str] = set()
        return [
            services.shop_create(
                actor=None,
                code=f"JXJ-S{index:03d}",
                name=self.shop_name(plan.trade, used),
                trade=trade_rows[plan.trade],
                area=self.grids[plan.grid - 1],
                address=f"{plan.street}{plan.number}号",
                licence_number=self.licence(plan.trade),
                contact_name=self.person_name(),
                contact_phone=self.phone(),
                longitude=plan.longitude,
                latitude=plan.latitude,
            )
            for index, plan in enumerate(plans, start=1)
        ]

    def partner_units(self, community: Area) -> None:
        """The seven partner units JXJ-P1…P7 of the community's joint meeting."""
        for suffix, name, kind, address, joint_work in PARTNER_UNITS:
            services.partner_unit_create(
                actor=None,
                code=f"JXJ-{suffix}",
                name=name,
                kind=kind,
                area=community,
                address=address,
                contact_name=self.person_name(),
                contact_phone=self.phone(),
                joint_work=joint_work,
            )

    # Responsibility

    def assign(self, compounds: dict[str, Compound], buildings: list[Building], shops: list[Shop]) -> None:
        """包干到人: each place to a named person, but for the few the coverage report should find."""

        def grid_index(place: Compound | Building | Shop) -> int:
            return int(place.area.code[-3:]) - 1

        for code, compound in compounds.items():
            if code in UNASSIGNED_COMPOUNDS:
                continue
            # Unmanaged compounds are the hardest problem: the grid leader answers for them in person.
            if compound.management == "none":
                person, duty = self.leaders[grid_index(compound)], "无主管楼院环境卫生，逐院清理"
            else:
                person, duty = self.workers[grid_index(compound)], "楼院巡查，联系管理单位"
            services.assignment_create(actor=None, person=person, place=compound, duty=duty)
        for building in buildings:
            if building.code in UNASSIGNED_BUILDINGS:
                continue
            leader = self.building_leaders.get(building.compound.code) if building.compound_id else None
            if leader is not None:
                person, duty = leader, "楼栋长：联系本楼住户"
            else:
                person, duty = self.workers[grid_index(building)], "包楼到户，入户走访"
            services.assignment_create(actor=None, person=person, place=building, duty=duty)
        code, count = DIRECTLY_ASSIGNED_DWELLINGS
        for dwelling in Dwelling.objects.filter(building__code=code).order_by("unit", "number")[:count]:
            worker = self.workers[int(dwelling.building.area.code[-3:]) - 1]
            services.assignment_create(actor=None, person=worker, place=dwelling, duty="独居老人户，每周走访")
        for shop in shops:
            if shop.code in UNASSIGNED_SHOPS:
                continue
            services.assignment_create(
                actor=None, person=self.workers[grid_index(shop)], place=shop, duty="门店每日巡查，门前三包"
            )

    def leadership_group(self, community: Area, director: User, deputy: User) -> LeadershipGroup:
        """The campaign's leadership group: the director heads it, the grid leaders lead its groups."""
        group = services.leadership_group_create(
            actor=None, area=community, name=f"{community.name}{CAMPAIGN.name}工作领导小组"
        )
        members: list[tuple[User, str, str]] = [
            (director, "head", "社区主任，第一责任人，全面负责创建工作"),
            (deputy, "deputy", "社区副主任，协助组长，负责日常调度"),
        ]
        members += [
            (leader, "group_leader", f"网格长，负责{GRID_NAMES[number]}创建工作")
            for number, leader in enumerate(self.leaders)
        ]
        members += [
            (self.workers[0], "member", "网格员，负责台账资料"),
            (self.workers[1], "member", "网格员，负责宣传发动和群众监督"),
        ]
        for order, (person, position, duty) in enumerate(members, start=1):
            services.leadership_member_add(
                actor=None, group=group, person=person, position=position, duty=duty, order=order
            )
        return group

    # Next door

    def neighbour(self, subdistrict: Area) -> Area:
        """文化路东社区 to the north, with two grids: enough to show that scope keeps communities apart."""
        neighbour = services.area_create(
            actor=None,
            kind=AreaKind.COMMUNITY,
            code=NEIGHBOUR_CODE,
            name=NEIGHBOUR_NAME,
            parent=subdistrict,
            boundary=NEIGHBOUR_BBOX.polygon(),
            population=7600,
            floating_population=1500,
            office_phone="0371-63900100",
            office_address="文化路东社区党群服务中心",
        )
        for number, box in enumerate(grid_boxes(NEIGHBOUR_BBOX, rows=1, columns=2), start=1):
            services.area_create(
                actor=None,
                kind=AreaKind.GRID,
                code=f"{NEIGHBOUR_CODE}{number:03d}",
                name=f"文化路东{GRID_NAMES[number - 1]}",
                parent=neighbour,
                boundary=box.polygon(),
            )
        return neighbour

    def neighbour_places(self, neighbour: Area) -> None:
        """Next door's director (the outsider), two compounds and three shops, all answered for by that director."""
        outsider = self.user("outsider", Role.DIRECTOR, area=neighbour)
        grids = list(neighbour.children.order_by("code"))
        boxes = grid_boxes(NEIGHBOUR_BBOX, rows=1, columns=2)
        places: list[Compound | Building | Shop] = []
        for number, (name, management, management_name) in enumerate(
            (
                ("白庙北街3号院", "property_company", "文东物业服务有限公司"),
                ("文东小区", "owners_committee", "文东小区业主委员会"),
            ),
            start=1,
        ):
            lng, lat = _inside(boxes[number - 1], self.rng, margin=0.0003)
            compound = services.compound_create(
                actor=None,
                code=f"WHD-C{number:02d}",
                name=name,
                area=grids[number - 1],
                management=management,
                management_name=management_name,
                longitude=lng,
                latitude=lat,
            )
            building = services.building_create(
                actor=None, code=f"WHD-C{number:02d}-B1", name="1号楼", compound=compound, floors=6
            )
            for unit, floor, door in ((u, f, d) for u in (1, 2) for f in range(1, 7) for d in (1, 2)):
                services.dwelling_create(actor=None, building=building, unit=str(unit), number=f"{floor}{door:02d}")
            places += [compound, building]
        for number, (name, trade, street) in enumerate(
            (
                ("文东便利店", "grocery", "白庙北街"),
                ("白庙烩面馆", "restaurant", "文化路"),
                ("文东理发店", "salon", "白庙北街"),
            ),
            start=1,
        ):
            grid = (number - 1) % 2
            lng, lat = _inside(boxes[grid], self.rng, margin=0.0002)
            places.append(
                services.shop_create(
                    actor=None,
                    code=f"WHD-S{number:03d}",
                    name=name,
                    trade=Trade.objects.get(code=trade),
                    area=grids[grid],
                    address=f"{street}{number * 2 + 1}号",
                    licence_number=self.licence(trade),
                    contact_name=self.person_name(),
                    contact_phone=self.phone(),
                    longitude=lng,
                    latitude=lat,
                )
            )
        for place in places:
            services.assignment_create(actor=None, person=outsider, place=place, duty="社区主任包干")
