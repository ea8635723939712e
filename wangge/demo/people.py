"""The demo's people register: about 9,000 made-up residents of 俭学街社区 in about 3,200 households.

An old city-centre neighbourhood as the reference scenario describes it: six-storey walk-ups of work units
of the 1980s and 90s, many elderly (some living alone), some children, and a quarter of the residents
floating population renting flats, more of them in the compounds nobody manages. About 8% live here
permanently but are registered elsewhere (常住非户籍); the rest are registered here (户籍).

Nobody here is real. Names combine a common surname with randomly drawn given-name characters; ID numbers
are made up (a real county's address code, the resident's birth date, a random sequence of the right parity,
a computed check character); phones come from the 170/171 virtual-operator ranges. Everything is drawn from
one seeded `random.Random` in a fixed order, and nothing drawn depends on the date of the build, so two
builds give the same people (their birth and moved-in dates are kept relative to "today").

Rows are written with `bulk_create` (seconds, not minutes): every resident is first checked with
`people.services.resident_validate`, `area_path` is set by hand (bulk_create skips `save()`), the blind
indexes are filled by their fields' `pre_save` and the encryption happens in `get_prep_value`, as on any
save. The load is audited as one system event (`people.demo_load`) with its counts: it is demo data, not
an office's work.
"""

import datetime
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from wangge.core import audit
from wangge.core.validators import id_number_check_character
from wangge.people import tags as care_tags
from wangge.people.models import (
    Household,
    Relation,
    Residence,
    ResidenceRegistration,
    Resident,
    ResidentStatus,
    Sex,
)
from wangge.people.services import resident_validate
from wangge.territory.models import Area, Assignment, BuildingKind, Dwelling

# A seed of its own, so the people do not shift when the builder draws one more or one fewer place.
SEED = 20140605

HOUSEHOLD_PREFIX = "JXJ-H"  # household numbers JXJ-H00001…, unique in the community
PHONE_RANGES = ("170", "171")  # virtual-operator ranges: made-up numbers, never a real person's line
PERMIT_PREFIX = "JZ410105"  # made-up residence permit numbers: JZ + district code + year + serial
BATCH = 1000
ZONE = ZoneInfo("Asia/Shanghai")

# Surnames by rough frequency: the first ten carry about half the weight, as in China's surname statistics.
COMMON_SURNAMES = "王李张刘陈杨赵黄周吴"
OTHER_SURNAMES = (
    "徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
    "钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹易常武乔贺赖龚文"
)
MALE_CHARACTERS = "伟强磊军勇杰涛明超刚建国志海飞鹏辉浩宇博俊晨阳鑫凯瑞宏永庆德福荣卫东振宁立胜利民斌亮峰"
FEMALE_CHARACTERS = "芳娜秀英敏静丽艳娟霞玉兰红梅春燕雪晓丹萍颖琳欣怡涵思雨雅婷淑珍凤琴桂香慧莉"
SHARED_CHARACTERS = "文华平子嘉佳新安心宁书"

# Where people's ID numbers say they come from: (county-level address code, place of registration).
ZHENGZHOU = (
    ("410105", "河南省郑州市金水区"),
    ("410102", "河南省郑州市中原区"),
    ("410103", "河南省郑州市二七区"),
    ("410104", "河南省郑州市管城回族区"),
    ("410108", "河南省郑州市惠济区"),
)
HENAN = (
    ("410122", "河南省郑州市中牟县"),
    ("410181", "河南省巩义市"),
    ("411602", "河南省周口市川汇区"),
    ("411621", "河南省周口市扶沟县"),
    ("411402", "河南省商丘市梁园区"),
    ("411702", "河南省驻马店市驿城区"),
    ("411502", "河南省信阳市浉河区"),
    ("411302", "河南省南阳市宛城区"),
    ("410202", "河南省开封市龙亭区"),
    ("410302", "河南省洛阳市老城区"),
    ("410702", "河南省新乡市红旗区"),
    ("410502", "河南省安阳市文峰区"),
)
ELSEWHERE = (
    ("341202", "安徽省阜阳市颍州区"),
    ("371702", "山东省菏泽市牡丹区"),
    ("130402", "河北省邯郸市邯山区"),
    ("420602", "湖北省襄阳市襄城区"),
    ("140802", "山西省运城市盐湖区"),
    ("610113", "陕西省西安市雁塔区"),
    ("320302", "江苏省徐州市鼓楼区"),
    ("510104", "四川省成都市锦江区"),
)
LOCAL_DISTRICT = ZHENGZHOU[0]

# Share of dwellings standing empty, and of the occupied ones that a second (renting) household shares.
VACANT_SHARE = 0.025
SHARED_SHARE = 0.02
# Share of households renting as floating population, by how the compound is managed: tenants gather in
# the old compounds nobody manages, fewer in those with a property company or an owners' committee.
FLOATING_HOUSEHOLD_SHARE = {"none": 0.38, "unit": 0.28, "owners_committee": 0.23, "property_company": 0.26}
# Share of local households whose members are all registered elsewhere (bought the flat, kept the hukou).
PERMANENT_HOUSEHOLD_SHARE = 0.06

# Local household shapes and how often they occur: many elderly, some children.
LOCAL_SHAPES = (
    ("elderly_alone", 12),
    ("elderly_couple", 17),
    ("couple_children", 15),
    ("three_generations", 21),
    ("couple_adult_child", 19),
    ("single_adult", 4),
    ("couple", 5),
    ("skip_generation", 2),
    ("single_parent", 3),
)
FLOATING_SHAPES = (
    ("single", 22),
    ("couple", 27),
    ("family", 27),
    ("shared_rent", 14),
    ("family_with_parent", 6),
)


@dataclass
class _Person:
    """One planned resident; dates are kept as offsets from "today" until the rows are made."""

    name: str
    sex: str
    age: int
    birth_offset: int  # days before the last birthday, 1-364
    relation: str
    residence: str
    origin: tuple[str, str]
    moved_in_days_ago: int
    sequence_draw: int
    phone_draw: str = ""
    tags: set[str] = field(default_factory=set)
    moved_out_days_ago: int | None = None
    registration: tuple[int, int | None, int | None] | None = None  # registered, expires (days ago), previous


@dataclass
class _HouseholdPlan:
    dwelling: Dwelling
    members: list[_Person]


@dataclass
class PeopleSummary:
    """What the load wrote: living residents by residence type, households, registrations, moved out."""

    residents: int = 0
    floating: int = 0
    permanent: int = 0
    registered: int = 0
    households: int = 0
    registrations: int = 0
    moved_out: int = 0
    seconds: float = 0.0


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


class _Planner:
    """The random stream and the people drawn from it, household by household."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret

    # Names and origins

    def surname(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(COMMON_SURNAMES)
        return self.rng.choice(OTHER_SURNAMES)

    def given_name(self, sex: str, age: int) -> str:
        """One or two characters drawn at random: the combination is what makes the name made up."""
        pool = (MALE_CHARACTERS if sex == Sex.MALE else FEMALE_CHARACTERS) + SHARED_CHARACTERS
        # Two-character given names are the rule for the young, one character was more common before.
        length = 2 if self.rng.random() < (0.55 if age >= 60 else 0.8) else 1
        return "".join(self.rng.choice(pool) for _ in range(length))

    def origin(self, residence: str) -> tuple[str, str]:
        """Where the ID number says a person is from: the district for most locals, elsewhere for newcomers."""
        roll = self.rng.random()
        if residence == Residence.REGISTERED:
            if roll < 0.65:
                return LOCAL_DISTRICT
            return self.rng.choice(ZHENGZHOU[1:] if roll < 0.85 else HENAN)
        if residence == Residence.PERMANENT:
            return self.rng.choice(ZHENGZHOU[1:] if roll < 0.3 else HENAN)
        # Zhengzhou's floating population comes mostly from the rest of Henan.
        return self.rng.choice(HENAN if roll < 0.7 else ELSEWHERE)

    def person(
        self,
        *,
        sex: str,
        age: int,
        relation: str,
        residence: str,
        moved_in_days_ago: int,
        surname: str | None = None,
        origin: tuple[str, str] | None = None,
    ) -> _Person:
        """A person with every random draw made now, in the same order whatever the person turns out to be."""
        age = max(0, min(age, 98))
        name = (surname or self.surname()) + self.given_name(sex, age)
        birth_offset = self.rng.randint(1, 364)
        drawn_origin = self.origin(residence)
        person = _Person(
            name=name,
            sex=sex,
            age=age,
            birth_offset=birth_offset,
            relation=relation,
            residence=residence,
            origin=origin or drawn_origin,
            moved_in_days_ago=moved_in_days_ago,
            sequence_draw=self.rng.randrange(499),
        )
        phone_chance = 0.0 if age < 12 else 0.5 if age < 16 else 0.6 if age >= 80 else 0.93
        range_ = self.rng.choice(PHONE_RANGES)
        number = self.rng.randrange(10**8)
        if self.rng.random() < phone_chance:
            person.phone_draw = f"{range_}{number:08d}"
        return person

    def other_sex(self, sex: str) -> str:
        return Sex.FEMALE if sex == Sex.MALE else Sex.MALE

    def years_here(self, head_age: int, longest: int = 40) -> int:
        """Days since a local household moved in: at most since the head was about twenty."""
        years = self.rng.randint(1, max(1, min(longest, head_age - 20)))
        return years * 365 + self.rng.randrange(365)

    def floating_days(self) -> int:
        """Days since a floating household moved in: most came within the last two years."""
        return min(6 * 365, 1 + int(self.rng.expovariate(1 / 420)))

    # Local households

    def local(self, shape: str) -> list[_Person]:
        """A household living here for years, registered here (or, for some, registered elsewhere)."""
        rng = self.rng
        household_residence = Residence.PERMANENT if rng.random() < PERMANENT_HOUSEHOLD_SHARE else Residence.REGISTERED

        def residence_of_spouse() -> str:
            # Spouses who married in often keep their registration elsewhere.
            if household_residence == Residence.REGISTERED and rng.random() < 0.08:
                return Residence.PERMANENT
            return household_residence

        if shape == "elderly_alone":
            sex = Sex.FEMALE if rng.random() < 0.7 else Sex.MALE
            head_age = rng.randint(62, 94)
        elif shape == "elderly_couple":
            sex, head_age = Sex.MALE, rng.randint(62, 90)
        elif shape == "skip_generation":
            sex, head_age = (Sex.MALE if rng.random() < 0.6 else Sex.FEMALE), rng.randint(56, 74)
        elif shape in ("couple_children", "three_generations", "single_parent"):
            sex, head_age = (Sex.MALE if rng.random() < 0.8 else Sex.FEMALE), rng.randint(30, 52)
        elif shape == "couple_adult_child":
            sex, head_age = (Sex.MALE if rng.random() < 0.8 else Sex.FEMALE), rng.randint(46, 66)
        elif shape == "single_adult":
            sex, head_age = (Sex.MALE if rng.random() < 0.55 else Sex.FEMALE), rng.randint(24, 58)
        else:  # couple without children at home
            sex, head_age = (Sex.MALE if rng.random() < 0.8 else Sex.FEMALE), rng.choice((26, 30, 34, 50, 55, 58))
            head_age += rng.randint(0, 5)
        days = self.years_here(head_age)
        head = self.person(
            sex=sex, age=head_age, relation=Relation.HEAD, residence=household_residence, moved_in_days_ago=days
        )
        members = [head]
        surname = head.name[0]
        if shape in ("elderly_couple", "couple_children", "three_generations", "couple_adult_child", "couple") or (
            shape == "skip_generation" and rng.random() < 0.7
        ):
            spouse_age = head_age + rng.randint(-5, 2) * (1 if sex == Sex.MALE else -1)
            members.append(
                self.person(
                    sex=self.other_sex(sex),
                    age=spouse_age,
                    relation=Relation.SPOUSE,
                    residence=residence_of_spouse(),
                    moved_in_days_ago=days,
                )
            )
        mother_age = min(p.age for p in members)
        if shape in ("couple_children", "three_generations", "single_parent"):
            count = 1 if rng.random() < 0.75 else 2
            for _ in range(count):
                age = min(rng.randint(0, 17), max(0, mother_age - 21))
                members.append(self.child(age, surname, household_residence, days, head.origin))
        if shape == "couple_adult_child":
            # Grown children often live with their parents until they marry, sometimes two of them.
            for _ in range(1 if rng.random() < 0.7 else 2):
                age = rng.randint(18, max(18, min(36, mother_age - 22)))
                members.append(self.child(age, surname, household_residence, days, head.origin))
        if shape == "skip_generation":
            # Parents work in another city; the grandparents bring the children up (留守儿童).
            for _ in range(1 if rng.random() < 0.7 else 2):
                grandchild = self.child(rng.randint(3, 15), surname, household_residence, days, head.origin)
                grandchild.relation = Relation.GRANDCHILD
                grandchild.tags.add("left_behind_child")
                members.append(grandchild)
        if shape == "three_generations":
            # The head's parent, or both, moved in to live with the family (or the family with them).
            parent_age = head_age + rng.randint(24, 34)
            parents = 1 if rng.random() < 0.55 else 2
            parent_surname = surname if sex == Sex.MALE else None
            first_sex = Sex.FEMALE if rng.random() < 0.6 else Sex.MALE
            for index in range(parents):
                parent_sex = first_sex if index == 0 else self.other_sex(first_sex)
                parent_residence = household_residence
                if household_residence == Residence.REGISTERED and rng.random() < 0.25:
                    parent_residence = Residence.PERMANENT
                members.append(
                    self.person(
                        sex=parent_sex,
                        age=parent_age + rng.randint(-2, 3),
                        relation=Relation.PARENT,
                        residence=parent_residence,
                        moved_in_days_ago=rng.randint(200, days + 200),
                        surname=parent_surname if parent_sex == Sex.MALE else None,
                    )
                )
        # A live-in carer or nanny from the countryside (保姆): floating population in a local household.
        if shape in ("elderly_couple", "three_generations") and rng.random() < 0.07:
            members.append(
                self.person(
                    sex=Sex.FEMALE,
                    age=rng.randint(40, 60),
                    relation=Relation.OTHER,
                    residence=Residence.FLOATING,
                    moved_in_days_ago=self.floating_days(),
                )
            )
        self.care_tags(members, shape)
        return members

    def child(self, age: int, surname: str, residence: str, days: int, origin: tuple[str, str]) -> _Person:
        sex = Sex.MALE if self.rng.random() < 0.52 else Sex.FEMALE
        person = self.person(
            sex=sex, age=age, relation=Relation.CHILD, residence=residence, moved_in_days_ago=days, surname=surname
        )
        # Children born here are registered where their parents are; the address code follows the family.
        person.origin = origin if residence != Residence.REGISTERED or self.rng.random() < 0.3 else LOCAL_DISTRICT
        return person

    # Floating households

    def floating(self, shape: str) -> list[_Person]:
        """Tenants: workers, young couples and families from elsewhere, some sharing a flat."""
        rng = self.rng
        days = self.floating_days()
        floating = Residence.FLOATING
        if shape == "shared_rent":
            # Unrelated tenants sharing a flat (合租); the one who signed the lease is the head.
            members = []
            for index in range(rng.randint(2, 4)):
                sex = Sex.MALE if rng.random() < 0.6 else Sex.FEMALE
                members.append(
                    self.person(
                        sex=sex,
                        age=rng.randint(19, 35),
                        relation=Relation.HEAD if index == 0 else Relation.OTHER,
                        residence=floating,
                        moved_in_days_ago=days if index == 0 else rng.randint(1, days),
                    )
                )
            self.care_tags(members, shape)
            return members
        sex = Sex.MALE if rng.random() < (0.62 if shape == "single" else 0.85) else Sex.FEMALE
        head_age = rng.randint(20, 40) if shape in ("single", "couple") else rng.randint(26, 45)
        head = self.person(sex=sex, age=head_age, relation=Relation.HEAD, residence=floating, moved_in_days_ago=days)
        members = [head]
        if shape != "single":
            spouse_age = head_age + rng.randint(-4, 2) * (1 if sex == Sex.MALE else -1)
            members.append(
                self.person(
                    sex=self.other_sex(sex),
                    age=spouse_age,
                    relation=Relation.SPOUSE,
                    residence=floating,
                    moved_in_days_ago=days,
                    origin=head.origin if rng.random() < 0.7 else None,
                )
            )
        if shape in ("family", "family_with_parent"):
            youngest_parent = min(p.age for p in members)
            for _ in range(1 if rng.random() < 0.75 else 2):
                age = rng.randint(0, min(14, max(0, youngest_parent - 21)))
                child = self.person(
                    sex=Sex.MALE if rng.random() < 0.52 else Sex.FEMALE,
                    age=age,
                    relation=Relation.CHILD,
                    residence=floating,
                    moved_in_days_ago=days,
                    surname=head.name[0],
                    origin=head.origin,
                )
                members.append(child)
        if shape == "family_with_parent":
            # A grandmother came to mind the baby (老漂族).
            members.append(
                self.person(
                    sex=Sex.FEMALE,
                    age=head_age + rng.randint(24, 32),
                    relation=Relation.PARENT,
                    residence=floating,
                    moved_in_days_ago=rng.randint(1, days),
                    origin=head.origin,
                )
            )
        self.care_tags(members, shape)
        return members

    # Care tags

    def care_tags(self, members: list[_Person], shape: str) -> None:
        """Tags at plausible rates; the rare ones (persons of concern) only a handful in the whole community."""
        rng = self.rng
        if shape == "elderly_alone":
            members[0].tags.add("elderly_alone")
            if rng.random() < 0.04:
                members[0].tags.add("special_hardship")  # no one to support them and no income (特困)
        if shape == "elderly_couple" and len(members) == 2:
            for member in members:
                member.tags.add("empty_nest")
        if rng.random() < (0.012 if members[0].residence != Residence.FLOATING else 0.002):
            for member in members:
                member.tags.add("subsistence")  # 低保 is granted to a household
        for member in members:
            draws = [rng.random() for _ in range(5)]
            if member.age >= 38 and draws[0] < (0.035 if member.sex == Sex.MALE else 0.004):
                member.tags.add("veteran")
            if member.age >= 22 and draws[1] < (0.13 if member.age >= 60 else 0.07):
                member.tags.add("party_member")
            if draws[2] < (0.05 if member.age >= 60 else 0.01):
                member.tags.add("disabled")
            if draws[3] < (0.025 if member.age >= 50 else 0.003):
                member.tags.add("serious_illness")
            if 18 <= member.age <= 70 and draws[4] < 0.0012:
                member.tags.add("person_of_concern")

    # Registrations and moving out

    def registration(self, person: _Person) -> None:
        """The residence registration of someone living here but registered elsewhere, or its lack.

        Newcomers of the last 30 days may not have registered yet; of the others about one in twelve never did
        (the "due" list), most registered within a month of moving in, and those here for six months or more
        mostly hold a permit, renewed every year: some expired, some expiring within 30 days.
        """
        rng = self.rng
        days = person.moved_in_days_ago
        roll, lag, permit_roll, kind, offset = (
            rng.random(),
            rng.randint(1, 30),
            rng.random(),
            rng.random(),
            rng.randint(1, 364),
        )
        if days <= 30:
            if roll < 0.4:
                person.registration = (rng.randint(0, days), None, None)
            return
        if roll < 0.08:
            return  # due: moved in more than 30 days ago, never registered
        registered_days_ago = max(0, days - min(lag, days - 1))
        if days < 180 or permit_roll < 0.12:
            person.registration = (registered_days_ago, None, None)
            return
        if kind < 0.11 and registered_days_ago > 1 + offset % 150:
            expires_days_ago = 1 + offset % 150  # expired
        elif kind < 0.19:
            expires_days_ago = -(offset % 31)  # expires within 30 days
        else:
            expires_days_ago = -(31 + offset % 334)  # valid for a while yet
        # Renewed every year: the latest registration is the last renewal, at most a year before expiry.
        latest = min(registered_days_ago, expires_days_ago + 365)
        previous = registered_days_ago if registered_days_ago >= latest + 365 else None
        person.registration = (latest, expires_days_ago, previous)

    def moved_out(self, members: list[_Person], floating: bool) -> _Person | None:
        """Now and then a grown child (or a tenant) who has moved away, kept archived until the sweep purges it."""
        rng = self.rng
        if rng.random() >= (0.02 if floating else 0.012):
            return None
        head = members[0]
        away = rng.randint(10, 300)
        if floating:
            person = self.person(
                sex=Sex.MALE if rng.random() < 0.6 else Sex.FEMALE,
                age=rng.randint(20, 35),
                relation=Relation.OTHER,
                residence=Residence.FLOATING,
                moved_in_days_ago=away + rng.randint(60, 700),
            )
        else:
            age = rng.randint(22, max(22, min(40, head.age - 22)))
            person = self.person(
                sex=Sex.MALE if rng.random() < 0.5 else Sex.FEMALE,
                age=age,
                relation=Relation.CHILD,
                residence=head.residence,
                moved_in_days_ago=head.moved_in_days_ago,
                surname=head.name[0],
            )
        person.moved_out_days_ago = away
        person.moved_in_days_ago = max(person.moved_in_days_ago, away + 30)
        return person

    # The whole register

    def plan(self, dwellings: list[Dwelling], alone: set[int]) -> list[_HouseholdPlan]:
        """Households for `dwellings` in their order; the dwellings in `alone` get an elderly person alone."""
        local_shapes, local_weights = zip(*LOCAL_SHAPES, strict=True)
        floating_shapes, floating_weights = zip(*FLOATING_SHAPES, strict=True)
        plans: list[_HouseholdPlan] = []
        for dwelling in dwellings:
            rng = self.rng
            vacant, shared, renting = rng.random(), rng.random(), rng.random()
            local_shape = rng.choices(local_shapes, weights=local_weights)[0]
            floating_shape = rng.choices(floating_shapes, weights=floating_weights)[0]
            if dwelling.pk in alone:
                # A grid worker visits this dwelling every week (the builder's direct assignment): someone old,
                # living alone.
                plans.append(_HouseholdPlan(dwelling, self.finish(self.local("elderly_alone"), floating=False)))
                continue
            if vacant < VACANT_SHARE:
                continue
            management = dwelling.building.compound.management if dwelling.building.compound_id else "none"
            if renting < FLOATING_HOUSEHOLD_SHARE.get(management, 0.27):
                plans.append(_HouseholdPlan(dwelling, self.finish(self.floating(floating_shape), floating=True)))
            else:
                plans.append(_HouseholdPlan(dwelling, self.finish(self.local(local_shape), floating=False)))
            if shared < SHARED_SHARE:
                # Two households in one flat: a tenant or two renting rooms (群租 is what the office watches for).
                second = rng.choice(("single", "shared_rent"))
                plans.append(_HouseholdPlan(dwelling, self.finish(self.floating(second), floating=True)))
        return plans

    def finish(self, members: list[_Person], *, floating: bool) -> list[_Person]:
        """Registrations for those registered elsewhere (floating and permanent alike), and anyone moved out."""
        # A family registers together: who moved in with someone shares that person's registration history.
        drawn: dict[int, tuple[int, int | None, int | None] | None] = {}
        for member in members:
            if member.residence == Residence.REGISTERED:
                continue
            if member.moved_in_days_ago not in drawn:
                self.registration(member)
                drawn[member.moved_in_days_ago] = member.registration
            member.registration = drawn[member.moved_in_days_ago]
        gone = self.moved_out(members, floating)
        if gone is not None:
            members.append(gone)
        return members


class _Numbers:
    """ID numbers, phones and permit numbers made from the drawn values, each unique in the load.

    A clash moves to the next free value instead of drawing again, so the random stream never depends on
    the dates (which move with "today").
    """

    def __init__(self, taken_phones: Iterable[str] = ()) -> None:
        self.sequences: dict[str, set[int]] = {}
        self.phones: set[str] = set(taken_phones)
        self.permits = 0

    def id_number(self, prefix: str, birth: datetime.date, sex: str, draw: int) -> str:
        """Address code + birth date + sequence (odd for men, even for women) + ISO 7064 MOD 11-2 check."""
        stem = f"{prefix}{birth:%Y%m%d}"
        used = self.sequences.setdefault(stem, set())
        slot = draw
        while slot in used:
            slot = (slot + 1) % 499
        used.add(slot)
        sequence = 2 * slot + (1 if sex == Sex.MALE else 2)  # 001-997 odd, 002-998 even
        first17 = f"{stem}{sequence:03d}"
        return first17 + id_number_check_character(first17)

    def phone(self, drawn: str) -> str:
        """The drawn mobile number, or the next free one in its range (the last eight digits wrap round)."""
        prefix, line = drawn[:3], int(drawn[3:])
        while f"{prefix}{line:08d}" in self.phones:
            line = (line + 1) % 10**8
        number = f"{prefix}{line:08d}"
        self.phones.add(number)
        return number

    def permit(self, issued: datetime.date) -> str:
        self.permits += 1
        return f"{PERMIT_PREFIX}{issued.year}{self.permits:06d}"


def residential_dwellings(community: Area, limit: int | None = None) -> list[Dwelling]:
    """The community's dwellings in residential buildings, in a fixed order (the first `limit` of them)."""
    queryset = (
        Dwelling.objects.filter(area_path__startswith=community.path, building__kind=BuildingKind.RESIDENTIAL)
        .select_related("building__compound")
        .order_by("building__code", "unit", "number", "pk")
    )
    return list(queryset[:limit] if limit is not None else queryset)


@transaction.atomic
def build_people(
    community: Area, *, today: datetime.date | None = None, limit: int | None = None, seed: int = SEED
) -> PeopleSummary:
    """Fill the residential dwellings of `community` with made-up households; returns what was written.

    Deterministic for a given seed and dwellings (the same names, sexes and ID sequences on every build);
    every resident passes `resident_validate`. `limit` takes only the first dwellings (tests use a slice).
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    dwellings = residential_dwellings(community, limit)
    alone = set(
        Assignment.objects.filter(active=True, dwelling__in=[d.pk for d in dwellings]).values_list(
            "dwelling_id", flat=True
        )
    )
    plans = _Planner(seed).plan(dwellings, alone)
    numbers = _Numbers()

    households: list[Household] = []
    for index, plan in enumerate(plans, start=1):
        households.append(
            Household(
                community=community,
                number=f"{HOUSEHOLD_PREFIX}{index:05d}",
                dwelling=plan.dwelling,
                area_path=plan.dwelling.area_path,
            )
        )
    Household.objects.bulk_create(households, batch_size=BATCH)

    residents: list[Resident] = []
    registrations: list[ResidenceRegistration] = []
    for plan, household in zip(plans, households, strict=True):
        for person in plan.members:
            resident = _resident(person, household, today, numbers)
            resident_validate(resident, today=today)
            residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    for resident, person in zip(residents, (p for plan in plans for p in plan.members), strict=True):
        registrations += _registrations(person, resident, today, numbers)
    ResidenceRegistration.objects.bulk_create(registrations, batch_size=BATCH)

    living = [r for r in residents if r.status == ResidentStatus.LIVING]
    summary = PeopleSummary(
        residents=len(living),
        floating=sum(r.residence == Residence.FLOATING for r in living),
        permanent=sum(r.residence == Residence.PERMANENT for r in living),
        registered=sum(r.residence == Residence.REGISTERED for r in living),
        households=len(households),
        registrations=len(registrations),
        moved_out=len(residents) - len(living),
    )
    counts = {key: value for key, value in vars(summary).items() if key != "seconds"}
    audit.record(actor=None, action="people.demo_load", instance=community, after=counts)
    summary.seconds = time.perf_counter() - started
    return summary


def _resident(person: _Person, household: Household, today: datetime.date, numbers: _Numbers) -> Resident:
    birth = _years_before(today, person.age) - datetime.timedelta(days=person.birth_offset)
    moved_in = max(birth, today - datetime.timedelta(days=person.moved_in_days_ago))
    plain = [code for code in person.tags if code in care_tags.PLAIN_CODES]
    sensitive = [code for code in person.tags if code in care_tags.SENSITIVE_CODES]
    resident = Resident(
        name=person.name,
        sex=person.sex,
        birth_date=birth,
        id_number=numbers.id_number(person.origin[0], birth, person.sex, person.sequence_draw),
        phone=numbers.phone(person.phone_draw) if person.phone_draw else "",
        residence=person.residence,
        registered_address="" if person.residence == Residence.REGISTERED else person.origin[1],
        dwelling=household.dwelling,
        household=household,
        relation=person.relation,
        tags=care_tags.pack(plain),
        sensitive_tags=care_tags.pack(sensitive),
        moved_in_on=moved_in,
        area_path=household.area_path,
    )
    if person.moved_out_days_ago is not None:
        moved_out = today - datetime.timedelta(days=person.moved_out_days_ago)
        resident.status = ResidentStatus.MOVED_OUT
        resident.moved_out_on = moved_out
        resident.archived_at = datetime.datetime.combine(moved_out, datetime.time(16, 30), tzinfo=ZONE)
    return resident


def _registrations(
    person: _Person, resident: Resident, today: datetime.date, numbers: _Numbers
) -> list[ResidenceRegistration]:
    if person.registration is None or resident.status != ResidentStatus.LIVING:
        return []
    latest_days, expires_days, previous_days = person.registration

    def day(days_ago: int) -> datetime.date:
        return max(resident.moved_in_on, today - datetime.timedelta(days=days_ago))

    latest = day(latest_days)
    expires = None if expires_days is None else today - datetime.timedelta(days=expires_days)
    if expires is None or expires <= latest:
        # No permit yet, or a child born after the family's permit was issued: registered, no permit of its own.
        return [ResidenceRegistration(resident=resident, registered_on=latest, area_path=resident.area_path)]
    permit = numbers.permit(day(previous_days) if previous_days is not None else latest)
    rows = [
        ResidenceRegistration(
            resident=resident,
            registered_on=latest,
            permit_number=permit,
            expires_on=expires,
            area_path=resident.area_path,
        )
    ]
    if previous_days is not None and day(previous_days) < latest:
        # The first registration, renewed since under the same permit number (居住证签注).
        rows.append(
            ResidenceRegistration(
                resident=resident,
                registered_on=day(previous_days),
                permit_number=permit,
                expires_on=latest,
                area_path=resident.area_path,
            )
        )
    return rows
