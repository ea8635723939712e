"""The facts of the reference community, as data the demo and later work read at run time.

Copied from the project's reference scenario (the 2014 news report on how 俭学街社区 in Zhengzhou ran the
四城联创 campaign through grid management), because an installed wangge has no access to the design notes.
Values the report gives are facts; the map extent and the population figures are illustrative (marked demo).
Keep the two in step: when the reference scenario changes, change this copy.
"""

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Division:
    """An administrative division and its statistical division code."""

    name: str
    code: str


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude rectangle in WGS-84 degrees."""

    west: float
    east: float
    south: float
    north: float

    def polygon(self) -> dict:
        """The rectangle as a GeoJSON Polygon (counter-clockwise, closed)."""
        w, e, s, n = self.west, self.east, self.south, self.north
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


@dataclass(frozen=True)
class Counts:
    """What the community holds, as the report counts it."""

    residential_compounds: int
    partner_units: int
    office_buildings: int
    street_shops: int


@dataclass(frozen=True)
class Population:
    """Demo population figures: the report says only "large" and "complex floating population"."""

    residents: int
    floating_share: float
    households: int

    @property
    def floating(self) -> int:
        return round(self.residents * self.floating_share)


@dataclass(frozen=True)
class Campaign:
    """The campaign the community ran, and what the report says about how."""

    name: str
    launched_by: str
    started: datetime.date
    ended: datetime.date
    methods: tuple[str, ...]
    hard_problems: tuple[str, ...]
    shops_of_concern: str


@dataclass(frozen=True)
class Community:
    """俭学街社区 and its place in the administrative tree."""

    name: str
    name_en: str
    code: str  # demo: the 12-digit community code within 文化路街道 (the report gives none)
    subdistrict: Division
    district: Division
    city: Division
    province: Division
    area_km2: float
    extent: tuple[str, ...]
    bbox: BBox
    counts: Counts
    population: Population
    long_term_mechanisms: tuple[str, ...] = field(default_factory=tuple)


JIANXUEJIE = Community(
    name="俭学街社区",  # fact
    name_en="Jianxuejie Community",
    code="410105008004",  # demo
    subdistrict=Division("文化路街道", "410105008"),  # fact
    district=Division("金水区", "410105"),  # fact
    city=Division("郑州市", "410100"),
    province=Division("河南省", "410000"),
    area_km2=0.36,  # fact
    extent=(  # fact, in words
        "俭学街南北两侧",
        "文化路东西两侧",
        "南至农业路",
        "北至白庙前街",
    ),
    bbox=BBox(west=113.6560, east=113.6625, south=34.7865, north=34.7920),  # demo: about 0.36 km², maps only
    counts=Counts(residential_compounds=20, partner_units=7, office_buildings=3, street_shops=160),  # fact
    population=Population(residents=9000, floating_share=0.25, households=3200),  # demo
    long_term_mechanisms=(  # fact
        "楼栋长议事制度：小事不出楼院，大事不出社区",
        "楼院特色服务团队、群众文艺队伍",
        "社区助老服务队、便民志愿服务",
        "社区联席会议常态化：邀请共建单位和两新组织代表",
        "人人都有话语权，个个可以提建议",
        "自己的楼院自己管，自己的家园自己建",
    ),
)

CAMPAIGN = Campaign(
    name="四城联创",  # fact
    launched_by="金水区",  # fact: the district's "责任担当冲刺四城联创" mobilisation
    started=datetime.date(2014, 6, 1),  # fact: June 2014
    ended=datetime.date(2014, 10, 31),  # fact: five months of concentrated remediation, June to October
    methods=(  # fact
        "分解指标体系，逐项分解落实",
        "群众监督：工作和责任人公开",
        "工作计划表：按标准、分步骤、分阶段",
        "围绕难点抓突击",
    ),
    hard_problems=(  # fact
        "无主管楼院环境卫生整治难",
        "街边门店脏乱差情况易反复",
        "流动人口管理压力大",
    ),
    shops_of_concern="五小门店",  # fact
)
