"""The demo's inspection history: the campaign months of 四城联创 (June–October 2014) in 俭学街社区, by standard.

Every compound weekly, restaurants and food shops weekly, other shops fortnightly, office buildings monthly, as
the community's schedules say. Failures open rectification cases; the responsible person reports them handled
and the next visit verifies and closes them. What the office fought shows: unmanaged compounds and a handful
of shops fail more, a few shops relapse into the same disorder (门前三包, 店外经营) within a month of their
verified rectification, some compounds miss a week and two were not visited at all in October. Everything
goes through the services with the time it happened, deterministic from its own seed.
"""

import datetime
import io
import random
import time
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from PIL import Image, ImageDraw

from wangge.accounts.models import Membership, User
from wangge.cases import services as case_services
from wangge.cases.models import Case, Source, State
from wangge.core.calendar import WorkingDays
from wangge.demo.history import END, START, ZONE
from wangge.inspections import services
from wangge.inspections.models import Checklist, ChecklistStatus, Inspection, Result, Target, Unit
from wangge.inspections.services import Answer
from wangge.territory.models import Area, Building, BuildingKind, Compound, Management, Shop

SEED = 20140609

# Compounds the grid staff did not reach in October (the overdue list and the coverage report show them).
NOT_VISITED_IN_OCTOBER = ("JXJ-C08", "JXJ-C17")
# Shops that fail far more often than the rest (besides the relapsing ones, whose weak point is one item).
PROBLEM_SHOPS = 8
RELAPSING_SHOPS = 6
RELAPSE_ITEMS = ("MD02", "MD05")
# A relapsing shop comes back to its old disorder this often after a verified rectification, at most so many times.
RELAPSE_CHANCE = 0.6
MAX_RELAPSES = 3
WEEKLY_TRADES = ("restaurant", "food")

# How often a visit finds something wrong, by kind of place.
FAIL_RATE = {"unmanaged": 0.4, "compound": 0.1, "problem_shop": 0.3, "shop": 0.06, "office": 0.15}
# Which items fail, and how often relative to each other; an item that does not apply is skipped.
ITEM_WEIGHTS = {
    Target.COMPOUND: {
        "HY01": 6,
        "HY02": 5,
        "HY03": 5,
        "HY04": 4,
        "HY05": 3,
        "HY06": 2,
        "HY07": 2,
        "HY08": 1,
        "HY09": 1,
    },
    Target.SHOP: {
        "MD02": 7,
        "MD05": 6,
        "MD04": 3,
        "MD06": 2,
        "MD08": 2,
        "MD01": 2,
        "MD03": 1,
        "MD07": 1,
        "XC01": 2,
        "XC02": 1,
        "MF01": 1,
        "LG01": 1,
        "YS01": 1,
    },
    Target.OFFICE: {"XZ01": 3, "XZ03": 3, "XZ04": 2, "XZ05": 1, "XZ02": 1},
}
NOTES = {
    "HY01": ["院内路面有散落垃圾", "车棚角落堆积生活垃圾", "院内有暴露垃圾未清运"],
    "HY02": ["垃圾池满溢，周边有散落垃圾", "垃圾桶破损，盖子缺失", "垃圾未日产日清"],
    "HY03": ["三单元楼道堆放纸箱杂物", "楼梯间停放电动车、堆放旧家具", "楼道堆放杂物影响通行"],
    "HY04": ["单元门、楼道墙面张贴小广告", "院门口电线杆上贴满开锁广告"],
    "HY05": ["机动车占用消防通道停放", "电动车在院内乱停乱放"],
    "HY06": ["绿化带内有垃圾", "绿化带被毁种菜"],
    "HY07": ["二号楼楼道灯不亮", "单元门门禁损坏"],
    "HY08": ["网格责任人公示牌破损", "公示牌信息未更新"],
    "HY09": ["楼道内飞线给电动车充电", "消防通道被杂物堵塞"],
    "MD01": ["营业执照未在醒目位置公示", "证照过期未更新"],
    "MD02": ["门前地面有油污、烟头", "门前堆放垃圾袋", "门前卫生未清扫"],
    "MD03": ["门前花池有垃圾", "门前设施损坏未修"],
    "MD04": ["门前车辆停放杂乱", "顾客电动车占用人行道"],
    "MD05": ["桌椅摆上人行道占道经营", "商品摆放到店外", "店外设摊加工"],
    "MD06": ["店内垃圾未分类，清运不及时", "后厨地面油污较多"],
    "MD07": ["灭火器过期未更换", "安全出口堆放货物"],
    "MD08": ["门头悬挂横幅，招牌不规范", "门窗张贴促销广告"],
    "XC01": ["油烟净化器未开启", "生熟食品混放"],
    "XC02": ["一名从业人员健康证过期"],
    "MF01": ["工具消毒记录未填写"],
    "LG01": ["旅客登记信息不全"],
    "YS01": ["通风设施未开启"],
    "XZ01": ["楼前广场有散落垃圾", "垃圾桶周边脏乱"],
    "XZ02": ["消防通道停放车辆", "安全出口指示灯不亮"],
    "XZ03": ["楼前机动车乱停乱放", "非机动车停放无序"],
    "XZ04": ["楼前灯杆张贴小广告"],
    "XZ05": ["创建宣传栏内容未更新"],
}
HANDLED_NOTES = ["已督促店主清理完毕", "已清理完毕", "已联系管理单位整改", "已现场整改到位", "已协调物业处理"]
# What becomes of a rectification: fixed before the next visit, reported fixed but found not fixed (rework),
# or not yet handled when the next visit comes.
FATES = (("fixed", 85), ("not_fixed", 8), ("late", 7))


@dataclass
class InspectionFigures:
    """What the inspection history made."""

    inspections: int = 0
    with_failures: int = 0  # found at least one item failing
    failed: int = 0  # below the pass mark, or a critical item failing
    cases: int = 0
    closed: int = 0
    relapses: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.inspections} inspections of the campaign months: {self.with_failures} found failures "
            f"({self.failed} failed), {self.cases} rectification cases ({self.closed} closed), "
            f"{self.relapses} relapses, in {self.seconds:.1f} s"
        )


Place = Compound | Shop | Building


@dataclass
class _Track:
    """One place's visits, planned ahead, and what is pending at it."""

    place: Place
    target: str
    kind: str  # a FAIL_RATE key
    visits: list[datetime.datetime]
    inspector: User
    open: dict[str, str] = field(default_factory=dict)  # item code → the fate of its open case
    relapse_in: dict[str, int] = field(default_factory=dict)  # item code → visits until it relapses
    relapse_item: str = ""  # a relapsing shop's weak point: MD02 or MD05
    relapses: int = 0


class _InspectionHistory:
    """One build of the history: its random stream, the campaign's working days, the staff and the standards."""

    def __init__(self, community: Area) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not security
        self.community = community
        self.days = WorkingDays(START - datetime.timedelta(days=7), END + datetime.timedelta(days=40))
        self.director = User.objects.get(username="director")
        self.staff: dict[int, dict[str, User]] = {}
        for membership in Membership.objects.filter(
            scope_path__startswith=community.path, active=True, role__in=["grid_leader", "grid_worker"]
        ).select_related("user"):
            grid = Area.objects.get(path=membership.scope_path)
            self.staff.setdefault(grid.pk, {})[membership.role] = membership.user
        self.checklists = {
            c.target: c for c in Checklist.objects.filter(status=ChecklistStatus.PUBLISHED).order_by("code")
        }
        self.items: dict[tuple[int, str | None], list[str]] = {}  # (checklist, trade) → item codes, read once
        # A few small made-up photos, drawn once and sent as fresh uploads each time.
        self.before = [self._jpeg((125, 112, 96), marks) for marks in (5, 7, 9)]
        self.after = [self._jpeg((160, 185, 150), 0)]

    # Photos

    def _jpeg(self, colour: tuple[int, int, int], marks: int) -> bytes:
        """A small made-up photo: a coloured scene with a few blotches (no real place or person)."""
        image = Image.new("RGB", (320, 240), colour)
        draw = ImageDraw.Draw(image)
        for _ in range(marks):
            x, y = self.rng.randint(0, 300), self.rng.randint(60, 220)
            draw.ellipse((x, y, x + self.rng.randint(10, 40), y + self.rng.randint(8, 25)), fill=(90, 70, 50))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=70)
        return buffer.getvalue()

    def upload(self, photos: list[bytes]) -> SimpleUploadedFile:
        """One of the photos as a fresh upload, as a phone sends it."""
        return SimpleUploadedFile("photo.jpg", self.rng.choice(photos), content_type="image/jpeg")

    # Planning

    def at(self, day: datetime.date, hour: float) -> datetime.datetime:
        """`hour` hours into `day`, local time."""
        return datetime.datetime.combine(day, datetime.time(0), tzinfo=ZONE) + datetime.timedelta(hours=hour)

    def working_days(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """The working days from `first` to `last` that lie in the campaign."""
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        return [day for day in days if START <= day <= END and self.days.is_working(day)]

    def visit_time(self, day: datetime.date) -> datetime.datetime:
        return self.at(day, self.rng.uniform(8.5, 17.0))

    def weekly(self, code: str) -> list[datetime.datetime]:
        """One visit a calendar week, on a working day of it; now and then a week missed."""
        visits: list[datetime.datetime] = []
        monday = START - datetime.timedelta(days=START.weekday())
        while monday <= END:
            days = self.working_days(monday, monday + datetime.timedelta(days=6))
            skipped = self.rng.random() < 0.07 and bool(visits)
            if code in NOT_VISITED_IN_OCTOBER and monday + datetime.timedelta(days=6) >= datetime.date(2014, 10, 1):
                skipped = True
            if days and not skipped:
                visits.append(self.visit_time(self.rng.choice(days)))
            monday += datetime.timedelta(days=7)
        return visits

    def every(self, days: int) -> list[datetime.datetime]:
        """A visit every `days` days, moved back to the working day before when the due day is a rest day."""
        day = self.rng.choice(self.working_days(START, START + datetime.timedelta(days=days - 1)))
        visits: list[datetime.datetime] = []
        while day <= END:
            visits.append(self.visit_time(day))
            due = day + datetime.timedelta(days=days)
            while not self.days.is_working(due) and due > day + datetime.timedelta(days=1):
                due -= datetime.timedelta(days=1)
            day = due
        return visits

    def monthly(self) -> list[datetime.datetime]:
        """One visit in each month of the campaign, on a working day of it."""
        visits: list[datetime.datetime] = []
        for month in range(START.month, END.month + 1):
            first = datetime.date(2014, month, 1)
            last = datetime.date(2014, month + 1, 1) - datetime.timedelta(days=1)
            visits.append(self.visit_time(self.rng.choice(self.working_days(first, last))))
        return visits

    def tracks(self) -> list[_Track]:
        """Every place of the community with its visits for the campaign, in a fixed order."""
        under = {"area_path__startswith": self.community.path}
        tracks: list[_Track] = []
        for compound in Compound.objects.filter(**under).select_related("area").order_by("code"):
            kind = "unmanaged" if compound.management == Management.NONE else "compound"
            worker = self.staff[compound.area_id]["grid_worker"]
            tracks.append(_Track(compound, Target.COMPOUND, kind, self.weekly(compound.code), worker))
        shops = list(Shop.objects.filter(**under).select_related("area", "trade").order_by("code"))
        weekly = [shop for shop in shops if shop.trade.code in WEEKLY_TRADES]
        relapsing = {shop.pk for shop in self.rng.sample(weekly, RELAPSING_SHOPS)}
        others = [shop for shop in shops if shop.pk not in relapsing]
        problems = {shop.pk for shop in self.rng.sample(others, PROBLEM_SHOPS)}
        for shop in shops:
            kind = "problem_shop" if shop.pk in problems else "shop"
            visits = self.every(7 if shop.trade.code in WEEKLY_TRADES else 14)
            track = _Track(shop, Target.SHOP, kind, visits, self.staff[shop.area_id]["grid_worker"])
            if shop.pk in relapsing:
                track.relapse_item = self.rng.choice(RELAPSE_ITEMS)
            tracks.append(track)
        offices = Building.objects.filter(kind=BuildingKind.OFFICE, **under).select_related("area").order_by("code")
        for office in offices:
            tracks.append(
                _Track(office, Target.OFFICE, "office", self.monthly(), self.staff[office.area_id]["grid_leader"])
            )
        return tracks

    # Visiting

    def applicable(self, track: _Track) -> list[str]:
        """The codes of the items that apply to the place (a shop's trade adds its extras)."""
        checklist = self.checklists[track.target]
        trade = track.place.trade.code if track.target == Target.SHOP else None
        if (checklist.pk, trade) not in self.items:
            self.items[(checklist.pk, trade)] = [item.code for item in services.items_for(checklist, track.place)]
        return self.items[(checklist.pk, trade)]

    def failures(self, track: _Track, codes: list[str], number: int) -> set[str]:
        """What this visit finds wrong: what is still not fixed, a relapse that is due, and new failures."""
        failing = {code for code, fate in track.open.items() if fate in ("not_fixed", "late")}
        for code in list(track.relapse_in):
            track.relapse_in[code] -= 1
            if track.relapse_in[code] <= 0:
                del track.relapse_in[code]
                failing.add(code)
                track.relapses += 1
        if track.relapse_item and number == 0:
            failing.add(track.relapse_item)  # the first visit finds the shop front in disorder
        if self.rng.random() < FAIL_RATE[track.kind]:
            weights = {code: w for code, w in ITEM_WEIGHTS[track.target].items() if code in codes}
            for _ in range(self.rng.choices((1, 2, 3), weights=(70, 25, 5))[0]):
                failing.add(self.rng.choices(list(weights), weights=list(weights.values()))[0])
        return failing

    def visit(self, track: _Track, number: int) -> None:
        """The place's visit `number`, and the rectification of what it found before the next one."""
        at = track.visits[number]
        codes = self.applicable(track)
        failing = self.failures(track, codes, number)
        answers = {
            code: Answer(Result.FAIL, self.rng.choice(NOTES[code]), self.upload(self.before))
            if code in failing
            else Answer(Result.PASS)
            for code in codes
        }
        inspection = services.inspection_record(
            actor=track.inspector,
            checklist=self.checklists[track.target],
            place=track.place,
            answers=answers,
            inspected_at=at,
            now=at,
        )
        # The re-inspection closed what passed; a relapsing shop's rectified shop front will not stay so.
        for code in list(track.open):
            if code not in failing:
                del track.open[code]
                again = code == track.relapse_item and track.relapses < MAX_RELAPSES
                if again and self.rng.random() < RELAPSE_CHANCE:
                    track.relapse_in[code] = self.rng.choice((1, 2, 3))  # weekly visits: within the 30 days
        if not failing:
            return
        next_visit = track.visits[number + 1] if number + 1 < len(track.visits) else None
        for finding in inspection.findings.filter(result=Result.FAIL).select_related("case__category"):
            case = finding.case
            if case is None or case.state not in (State.DISPATCHED, State.IN_PROGRESS):
                continue
            fate = "fixed" if finding.item_code in track.open else self.fate()
            track.open[finding.item_code] = fate
            if fate != "late":
                self.handle(case, at, next_visit)

    def fate(self) -> str:
        """What will become of a new rectification (FATES)."""
        return self.rng.choices([f for f, _w in FATES], weights=[w for _f, w in FATES])[0]

    def handle(self, case: Case, visited: datetime.datetime, next_visit: datetime.datetime | None) -> None:
        """The responsible person reports the case handled, some hours after the visit and before the next one."""
        at = visited + datetime.timedelta(hours=self.rng.uniform(3, 40))
        if next_visit is not None:
            at = min(at, next_visit - datetime.timedelta(hours=2))
        if at <= visited or at > self.at(END, 20):
            return
        photos = [self.upload(self.after)] if case.category.photo_required else []
        case_services.case_act(
            actor=case.assignee,
            case=case,
            action="handle",
            note=self.rng.choice(HANDLED_NOTES),
            photos=photos,
            now=at,
        )


def _set_schedules(community: Area, director: User) -> None:
    """The community's visit schedules for the campaign."""
    for target, every, unit, trades in (
        (Target.COMPOUND, 1, Unit.WEEK, None),
        (Target.SHOP, 14, Unit.DAY, None),
        (Target.SHOP, 7, Unit.DAY, list(WEEKLY_TRADES)),
        (Target.OFFICE, 1, Unit.MONTH, None),
    ):
        services.schedule_save(
            actor=director, community=community, target=target, every=every, unit=unit, trades=trades
        )


def build_inspection_history(community: Area) -> InspectionFigures:
    """The campaign's inspections, rectifications and relapses (after the case history, whose calendar it uses)."""
    started = time.monotonic()
    history = _InspectionHistory(community)
    _set_schedules(community, history.director)
    tracks = history.tracks()
    visits = sorted((at, index, number) for index, track in enumerate(tracks) for number, at in enumerate(track.visits))
    for _at, index, number in visits:
        history.visit(tracks[index], number)
    # The morning's reminders of overdue visits, and the evening's sweep of overdue rectification cases.
    services.inspections_sweep(now=history.at(END, 7))
    case_services.cases_sweep(now=history.at(END, 18))
    inspections = Inspection.objects.filter(area_path__startswith=community.path)
    cases = Case.objects.filter(source=Source.INSPECTION, area_path__startswith=community.path)
    figures = InspectionFigures(
        inspections=inspections.count(),
        with_failures=inspections.filter(failed_count__gt=0).count(),
        failed=inspections.filter(passed=False).count(),
        cases=cases.count(),
        closed=cases.filter(state=State.CLOSED).count(),
        relapses=inspections.aggregate(n=Sum("relapse_count"))["n"] or 0,
    )
    figures.seconds = time.monotonic() - started
    return figures
