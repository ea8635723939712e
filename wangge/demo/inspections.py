"""The demo's inspection history: the campaign months of 四城联创 (June–October 2014) in 俭学街社区, by standard,
and the last four weeks of patrols up to the day before the demo is built, so the office looks alive today.

Every compound weekly, restaurants and food shops weekly, other shops fortnightly, office buildings monthly, as
the community's schedules say. Failures open rectification cases; the responsible person reports them handled
and the next visit verifies and closes them. What the office fought shows: unmanaged compounds and a handful
of shops fail more, a few shops relapse into the same disorder (门前三包, 店外经营) within a month of their
verified rectification, some compounds miss a week and two were not visited at all in October. The recent
weeks follow the same rules: as of the build day a handful of places are a few days overdue, a few were not
visited in the four weeks at all, and a few failed shops have their rectification open. The first recent visit
of a place re-inspects whatever the campaign left open there. Each period goes through the services with the
time it happened, deterministic from its own seed (the recent one given the build day).
"""

import datetime
import io
import random
import time
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone
from PIL import Image, ImageDraw

from wangge.accounts.models import Membership, User
from wangge.cases import services as case_services
from wangge.cases.models import OPEN_STATES, Case, Source, State
from wangge.core.calendar import DATA_DIR, WorkingDays, calendar_import, read_calendar_file
from wangge.demo.history import END, START, ZONE
from wangge.inspections import selectors, services
from wangge.inspections.models import Checklist, ChecklistStatus, Inspection, Result, Target, Unit
from wangge.inspections.schedules import ScheduleBook
from wangge.inspections.services import Answer
from wangge.territory.models import Area, Building, BuildingKind, Compound, Management, Shop

SEED = 20140609
# The recent weeks' own seed: a fixed number, so a build on a given day is always the same.
RECENT_SEED = 20261030
RECENT_DAYS = 28

# Compounds the grid staff did not reach in October (the overdue list and the coverage report show them).
NOT_VISITED_IN_OCTOBER = ("JXJ-C08", "JXJ-C17")
# Places nobody visited in the recent four weeks: a compound also missed in October 2014, another one and a shop.
NOT_VISITED_RECENTLY = ("JXJ-C08", "JXJ-C13", "JXJ-S064")
# As of the build day, a handful of places whose last recent visit is a few days more than their period ago.
LATE_PLACES = 5
LATE_DAYS = (1, 5)
# Unmanaged compounds the recent weeks find neglected at their first visit: two major items failing, below the
# pass mark, so the red/black list has compounds on its black side whatever chance does.
NEGLECTED_COMPOUNDS = 2
NEGLECTED_ITEMS = ("HY01", "HY02")
# The sure relapse (Patrols.sure_relapse) needs its shop visited at least this often: fail, fixed, relapse.
SURE_RELAPSE_VISITS = 3
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


@dataclass(frozen=True)
class Patrols:
    """A period of patrols to build: its days, its seed, and the gaps it leaves on purpose."""

    name: str  # for the summary line
    first: datetime.date
    last: datetime.date
    seed: int
    unvisited: tuple[str, ...] = ()  # codes of compounds or shops not visited in the weeks from `unvisited_from`
    unvisited_from: datetime.date | None = None
    late: int = 0  # places whose last visit is left a few days overdue as of `as_of`
    sure_relapse: bool = False  # one relapsing shop relapses for certain (a short period may show none by chance)
    neglected: int = 0  # unmanaged compounds found neglected at their first visit (the black list has a compound)
    as_of: datetime.date | None = None  # the day the period is judged from (the build day), if any


CAMPAIGN = Patrols(
    "the campaign months", START, END, SEED, NOT_VISITED_IN_OCTOBER, unvisited_from=datetime.date(2014, 10, 1)
)


def recent_patrols(today: datetime.date) -> Patrols:
    """The four weeks of patrols before `today` (the build day): up to yesterday."""
    first = today - datetime.timedelta(days=RECENT_DAYS)
    return Patrols(
        "the last four weeks",
        first,
        today - datetime.timedelta(days=1),
        RECENT_SEED,
        NOT_VISITED_RECENTLY,
        unvisited_from=first,
        late=LATE_PLACES,
        sure_relapse=True,
        neglected=NEGLECTED_COMPOUNDS,
        as_of=today,
    )


@dataclass
class InspectionFigures:
    """What a period of patrols made."""

    name: str = CAMPAIGN.name
    inspections: int = 0
    with_failures: int = 0  # found at least one item failing
    failed: int = 0  # below the pass mark, or a critical item failing
    cases: int = 0
    closed: int = 0
    relapses: int = 0
    as_of: datetime.date | None = None
    overdue: int = 0  # places overdue for a visit as of `as_of`
    open: int = 0  # the period's rectification cases still open
    seconds: float = 0.0

    def __str__(self) -> str:
        today = f"; as of {self.as_of}, {self.overdue} places overdue and {self.open} cases open" if self.as_of else ""
        return (
            f"{self.inspections} inspections of {self.name}: {self.with_failures} found failures "
            f"({self.failed} failed), {self.cases} rectification cases ({self.closed} closed), "
            f"{self.relapses} relapses{today}, in {self.seconds:.1f} s"
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
    sure: bool = False  # a relapsing shop that fixes its weak point each time and relapses at the next visit but one
    neglected: bool = False  # an unmanaged compound whose first visit finds rubbish piled up (NEGLECTED_ITEMS)


class _Patrolling:
    """One build of a period of patrols: its random stream, its working days, the staff and the standards."""

    def __init__(self, community: Area, patrols: Patrols) -> None:
        self.rng = random.Random(patrols.seed)  # noqa: S311 - made-up demo data, not security
        self.community = community
        self.patrols = patrols
        self.first, self.last = patrols.first, patrols.last
        self.days = WorkingDays(self.first - datetime.timedelta(days=7), self.last + datetime.timedelta(days=40))
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
        """The working days from `first` to `last`."""
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        return [day for day in days if self.days.is_working(day)]

    def visit_time(self, day: datetime.date) -> datetime.datetime:
        return self.at(day, self.rng.uniform(8.5, 17.0))

    def unvisited(self, code: str, day: datetime.date) -> bool:
        """Whether the place is left unvisited on `day` (or in the week ending on it): Patrols.unvisited."""
        since = self.patrols.unvisited_from
        return code in self.patrols.unvisited and since is not None and day >= since

    def weekly(self, code: str) -> list[datetime.datetime]:
        """One visit a calendar week, on a working day of it; now and then a week missed. In the weeks the period
        starts and ends in, a visit planned outside it is not part of it."""
        visits: list[datetime.datetime] = []
        monday = self.first - datetime.timedelta(days=self.first.weekday())
        while monday <= self.last:
            days = self.working_days(monday, monday + datetime.timedelta(days=6))
            skipped = self.rng.random() < 0.07 and bool(visits)
            if self.unvisited(code, monday + datetime.timedelta(days=6)):
                skipped = True
            if days and not skipped:
                day = self.rng.choice(days)
                if self.first <= day <= self.last:
                    visits.append(self.visit_time(day))
            monday += datetime.timedelta(days=7)
        return visits

    def every(self, days: int) -> list[datetime.datetime]:
        """A visit every `days` days, moved back to the working day before when the due day is a rest day (at
        most to the day after the visit). After a visit on a rest day, the next runs on to a working day: a long
        holiday sees one visit at its start, not one a day."""
        day = self.rng.choice(self.working_days(self.first, self.first + datetime.timedelta(days=days - 1)))
        visits: list[datetime.datetime] = []
        while day <= self.last:
            visits.append(self.visit_time(day))
            due = day + datetime.timedelta(days=days)
            if not self.days.is_working(day):
                due = self.days.on_or_after(due)
            while not self.days.is_working(due) and due > day + datetime.timedelta(days=1):
                due -= datetime.timedelta(days=1)
            day = due
        return visits

    def monthly(self) -> list[datetime.datetime]:
        """One visit in each month of the period, on a working day of it that lies in the period."""
        visits: list[datetime.datetime] = []
        month = self.first.replace(day=1)
        while month <= self.last:
            following = (month + datetime.timedelta(days=32)).replace(day=1)
            days = self.working_days(max(month, self.first), min(following - datetime.timedelta(days=1), self.last))
            if days:
                visits.append(self.visit_time(self.rng.choice(days)))
            month = following
        return visits

    def tracks(self) -> list[_Track]:
        """Every place of the community with its visits for the campaign, in a fixed order."""
        under = {"area_path__startswith": self.community.path}
        tracks: list[_Track] = []
        for compound in Compound.objects.filter(**under).select_related("area").order_by("code"):
            kind = "unmanaged" if compound.management == Management.NONE else "compound"
            worker = self.staff[compound.area_id]["grid_worker"]
            tracks.append(_Track(compound, Target.COMPOUND, kind, self.weekly(compound.code), worker))
        if self.patrols.neglected:
            unmanaged = [t for t in tracks if t.kind == "unmanaged" and t.visits]
            for track in self.rng.sample(unmanaged, min(self.patrols.neglected, len(unmanaged))):
                track.neglected = True
        shops = list(Shop.objects.filter(**under).select_related("area", "trade").order_by("code"))
        weekly = [shop for shop in shops if shop.trade.code in WEEKLY_TRADES]
        relapsing = {shop.pk for shop in self.rng.sample(weekly, RELAPSING_SHOPS)}
        others = [shop for shop in shops if shop.pk not in relapsing]
        problems = {shop.pk for shop in self.rng.sample(others, PROBLEM_SHOPS)}
        for shop in shops:
            kind = "problem_shop" if shop.pk in problems else "shop"
            visits = [
                at
                for at in self.every(7 if shop.trade.code in WEEKLY_TRADES else 14)
                if not self.unvisited(shop.code, at.date())
            ]
            track = _Track(shop, Target.SHOP, kind, visits, self.staff[shop.area_id]["grid_worker"])
            if shop.pk in relapsing:
                track.relapse_item = self.rng.choice(RELAPSE_ITEMS)
            tracks.append(track)
        if self.patrols.sure_relapse:
            # However the weeks fall, one shop shows its relapse: the first relapsing one visited often enough.
            sure = [t for t in tracks if t.relapse_item and len(t.visits) >= SURE_RELAPSE_VISITS]
            if sure:
                sure[0].sure = True
        offices = Building.objects.filter(kind=BuildingKind.OFFICE, **under).select_related("area").order_by("code")
        for office in offices:
            tracks.append(
                _Track(office, Target.OFFICE, "office", self.monthly(), self.staff[office.area_id]["grid_leader"])
            )
        if self.patrols.late:
            self.leave_late(tracks)
        return tracks

    def leave_late(self, tracks: list[_Track]) -> None:
        """A handful of places (Patrols.late) not visited again when they were due, so that on the day the period
        is judged from they are overdue by a few days (LATE_DAYS): their last visits are dropped."""
        as_of = self.patrols.as_of
        book = ScheduleBook.of(self.community.path)
        low, high = LATE_DAYS
        candidates = [
            track
            for track in tracks
            if track.visits and not track.sure and track.place.code not in self.patrols.unvisited
        ]
        self.rng.shuffle(candidates)
        # Each candidate's visits without the last ones, and by how many days it is overdue then.
        trimmed: list[tuple[int, int, list[datetime.datetime], _Track]] = []
        for order, track in enumerate(candidates):
            period = book.period(track.target, track.place.trade.code if track.target == Target.SHOP else None)
            visits = list(track.visits)
            while visits and period.due_after(visits[-1].date(), self.days) >= as_of:
                visits.pop()
            if visits:
                trimmed.append(((as_of - period.due_after(visits[-1].date(), self.days)).days, order, visits, track))
        # A few days where the calendar allows; in a long holiday, due dates run on past it, so the least overdue.
        chosen = [entry for entry in trimmed if low <= entry[0] <= high][: self.patrols.late]
        chosen += sorted(entry for entry in trimmed if entry[0] > high)[: self.patrols.late - len(chosen)]
        for _days, _order, visits, track in chosen:
            track.visits = visits

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
        if track.neglected and number == 0:
            failing.update(NEGLECTED_ITEMS)  # and the neglected compound's rubbish piled up, below the pass mark
        if self.rng.random() < FAIL_RATE[track.kind]:
            weights = {code: w for code, w in ITEM_WEIGHTS[track.target].items() if code in codes}
            if track.sure and track.relapse_item in track.open:
                weights.pop(track.relapse_item, None)  # its rectification holds until it is verified
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
                if again and track.sure:
                    track.relapse_in[code] = 1
                elif again and self.rng.random() < RELAPSE_CHANCE:
                    track.relapse_in[code] = self.rng.choice((1, 2, 3))  # weekly visits: within the 30 days
        if not failing:
            return
        next_visit = track.visits[number + 1] if number + 1 < len(track.visits) else None
        for finding in inspection.findings.filter(result=Result.FAIL).select_related("case__category"):
            case = finding.case
            if case is None or case.state not in (State.DISPATCHED, State.IN_PROGRESS):
                continue
            fate = "fixed" if finding.item_code in track.open or track.sure else self.fate()
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
        if at <= visited or at > self.at(self.last, 20):
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


def build_patrols(community: Area, patrols: Patrols) -> InspectionFigures:
    """A period of inspections, rectifications and relapses, under the schedules the community has, then the last
    day's morning reminders of overdue visits and evening sweep of overdue rectification cases."""
    started = time.monotonic()
    patrolling = _Patrolling(community, patrols)
    tracks = patrolling.tracks()
    visits = sorted((at, index, number) for index, track in enumerate(tracks) for number, at in enumerate(track.visits))
    for _at, index, number in visits:
        patrolling.visit(tracks[index], number)
    services.inspections_sweep(now=patrolling.at(patrols.last, 7))
    case_services.cases_sweep(now=patrolling.at(patrols.last, 18))
    begin, end = patrolling.at(patrols.first, 0), patrolling.at(patrols.last + datetime.timedelta(days=1), 0)
    inspections = Inspection.objects.filter(
        area_path__startswith=community.path, inspected_at__gte=begin, inspected_at__lt=end
    )
    cases = Case.objects.filter(
        source=Source.INSPECTION, area_path__startswith=community.path, reported_at__gte=begin, reported_at__lt=end
    )
    figures = InspectionFigures(
        name=patrols.name,
        inspections=inspections.count(),
        with_failures=inspections.filter(failed_count__gt=0).count(),
        failed=inspections.filter(passed=False).count(),
        cases=cases.count(),
        closed=cases.filter(state=State.CLOSED).count(),
        relapses=inspections.aggregate(n=Sum("relapse_count"))["n"] or 0,
    )
    if patrols.as_of is not None:
        figures.as_of = patrols.as_of
        figures.overdue = sum(visit.overdue for visit in selectors.visits_of(community, as_of=patrols.as_of))
        figures.open = cases.filter(state__in=OPEN_STATES).count()
    figures.seconds = time.monotonic() - started
    return figures


def build_inspection_history(community: Area) -> InspectionFigures:
    """The campaign's inspections, rectifications and relapses (after the case history, whose calendar it uses)."""
    _set_schedules(community, User.objects.get(username="director"))
    return build_patrols(community, CAMPAIGN)


def build_recent_patrols(community: Area, *, today: datetime.date | None = None) -> InspectionFigures:
    """The four weeks of patrols up to the day before `today` (the build day), after the campaign; the working
    calendars of their years are imported when the project ships them (weekends only otherwise)."""
    patrols = recent_patrols(today or timezone.localdate())
    for year in range(patrols.first.year, patrols.as_of.year + 1):
        path = DATA_DIR / f"calendar-{year}.csv"
        if path.exists():
            calendar_import(actor=None, days=read_calendar_file(path))
    return build_patrols(community, patrols)
