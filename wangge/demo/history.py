"""The demo's case history: the five campaign months of 四城联创 (June–October 2014) in 俭学街社区.

What the report names as the hardest problems shows here: sanitation of unmanaged compounds, street shops
that relapse into disorder (the same shops come back), and a few cases overdue, reworked, postponed or
reopened, so every queue, page and metric has something meaningful. Everything goes through the case
services with the time it happened (`now=`), deterministic from its own seed.
"""

import datetime
import io
import random
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from wangge.accounts.models import Membership, User
from wangge.cases import services
from wangge.cases.models import Case, Category
from wangge.core.calendar import calendar_import, read_calendar_file
from wangge.territory.models import Area, Compound, Management, Shop

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime.date(2014, 6, 3)
END = datetime.date(2014, 10, 31)
CALENDAR = Path(__file__).resolve().parent.parent / "core" / "data" / "calendar-2014.csv"
SEED = 20140603

DESCRIPTIONS = {
    "C01": ["楼院内垃圾堆积多日无人清运", "楼道堆放杂物，影响通行", "院内绿化带有生活垃圾", "垃圾池满溢，气味很大"],
    "C02": ["门店占道经营，桌椅摆到人行道", "店门口油污未清理", "门前堆放纸箱杂物", "店外摆摊，门前三包不落实"],
    "E0201": ["楼道墙面张贴大量小广告", "电线杆上贴满开锁广告", "单元门上喷涂小广告"],
    "E0505": ["电动车在消防通道乱停", "机动车占用人行道停放", "共享单车堆在小区门口"],
    "C03": ["楼道灯坏了很久没人修", "单元门禁损坏，外人随意进出", "院内水管漏水"],
    "C04": ["夜间广场舞音响声音太大", "楼上装修噪声扰民", "门店音箱外放招揽顾客"],
    "C06": ["邻居漏水到楼下，协商不成", "楼道堆物引发邻里矛盾"],
    "P0101": ["路口井盖破损，存在安全隐患"],
    "P0108": ["俭学街路灯不亮"],
}
# How often each kind of problem came up during the campaign.
WEIGHTS = {"C01": 26, "C02": 24, "E0201": 12, "E0505": 10, "C03": 9, "C04": 8, "C06": 5, "P0101": 3, "P0108": 3}


@dataclass
class Staff:
    leader: User
    worker: User


def _photo(colour: tuple[int, int, int], marks: int, rng: random.Random) -> SimpleUploadedFile:
    """A small made-up photo: a coloured scene with a few blotches (no real place or person)."""
    image = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(marks):
        x, y = rng.randint(0, 300), rng.randint(60, 220)
        draw.ellipse((x, y, x + rng.randint(10, 40), y + rng.randint(8, 25)), fill=(90, 70, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


class _History:
    def __init__(self, community: Area, stdout) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not security
        self.stdout = stdout
        self.categories = {c.code: c for c in Category.objects.filter(code__in=WEIGHTS)}
        grids = list(community.children.order_by("code"))
        self.staff: dict[int, Staff] = {}
        for grid in grids:
            memberships = Membership.objects.filter(
                scope_path=grid.path, active=True, role__in=["grid_leader", "grid_worker"]
            ).select_related("user")
            by_role = {m.role: m.user for m in memberships}
            self.staff[grid.pk] = Staff(leader=by_role["grid_leader"], worker=by_role["grid_worker"])
        self.director = User.objects.get(username="director")
        compounds = Compound.objects.filter(area__parent=community).select_related("area").order_by("code")
        self.unmanaged = [c for c in compounds if c.management == Management.NONE]
        self.compounds = list(compounds)
        shops = list(Shop.objects.filter(area__parent=community).select_related("area").order_by("code"))
        # A few shops keep relapsing (易反复): they get most of the shop-front cases.
        self.relapsing = self.rng.sample(shops, 6)
        self.shops = shops

    def at(self, day: datetime.date, hour: float) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(0), tzinfo=ZONE) + datetime.timedelta(hours=hour)

    def place(self, code: str) -> dict:
        rng = self.rng
        if code == "C02":
            shop = rng.choice(self.relapsing) if rng.random() < 0.55 else rng.choice(self.shops)
            return {"shop": shop}
        if code == "C01" and rng.random() < 0.75:
            return {"compound": rng.choice(self.unmanaged)}
        return {"compound": rng.choice(self.compounds)}

    def reporter(self, code: str, place: dict) -> tuple[User | None, str, dict]:
        rng = self.rng
        grid = (place.get("compound") or place.get("shop")).area
        roll = rng.random()
        if code in ("C02", "E0201", "E0505") or roll < 0.35:
            return self.staff[grid.pk].worker, "patrol", {}
        if roll < 0.45:
            return self.director, "hotline", {"reporter_phone": f"138{rng.randint(0, 99999999):08d}"}
        details = {} if rng.random() < 0.4 else {"reporter_phone": f"139{rng.randint(0, 99999999):08d}"}
        return None, "resident", details

    def one(self, day: datetime.date) -> Case:
        rng = self.rng
        code = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        category = self.categories[code]
        place = self.place(code)
        actor, source, details = self.reporter(code, place)
        hour = rng.uniform(7.5, 20.0)
        attributes = {"facility": rng.choice(["light", "door", "water"])} if code == "C03" else {}
        photos = [_photo((120, 110, 95), rng.randint(4, 9), rng)] if category.photo_required else []
        case = services.case_report(
            actor=actor,
            category=category,
            description=rng.choice(DESCRIPTIONS[code]),
            source=source,
            attributes=attributes,
            photos=photos,
            now=self.at(day, hour),
            **place,
            **details,
        )
        self.follow(case, day, hour)
        return case

    def follow(self, case: Case, day: datetime.date, hour: float) -> None:
        """Take the case along the loop the way the office did, with the occasional slip."""
        rng = self.rng
        staff = self.staff[case.area_id]
        t = hour + rng.uniform(0.3, 3)
        if rng.random() < 0.03:
            services.case_act(actor=staff.leader, case=case, action="reject", reason="duplicate", now=self.at(day, t))
            return
        case = services.case_act(actor=staff.leader, case=case, action="register", now=self.at(day, t))
        t += rng.uniform(0.1, 1)
        case = services.case_act(
            actor=staff.leader, case=case, action="dispatch", assignee=staff.worker, now=self.at(day, t)
        )
        age = (END - day).days
        if age < 3 and rng.random() < 0.7:
            return  # recent: still being handled at the end of October
        if rng.random() < 0.01:
            services.case_act(
                actor=self.director,
                case=case,
                action="suspend",
                note="涉及产权纠纷，待街道协调",
                now=self.at(day, t + 2),
            )
            return
        if rng.random() < 0.04:
            case = services.case_act(
                actor=staff.worker,
                case=case,
                action="request_postponement",
                reason="需等待物业配合",
                hours=48,
                now=self.at(day, t + 3),
            )
            case = services.case_act(
                actor=self.director, case=case, action="decide_postponement", approve=True, now=self.at(day, t + 5)
            )
        late = rng.random() < 0.1
        t += rng.uniform(2, 20) + (case.category.deadline_hours + rng.uniform(4, 30) if late else 0)
        if age * 24 < t - hour and rng.random() < 0.8:
            return  # overdue and still open at the end of the campaign
        case = services.case_act(actor=staff.worker, case=case, action="start", now=self.at(day, t - 1))
        case = self.handle(case, staff, day, t)
        if rng.random() < 0.06:
            case = services.case_act(
                actor=staff.leader, case=case, action="rework", note="复查仍不合格，请重新处理", now=self.at(day, t + 2)
            )
            t += rng.uniform(4, 12)
            case = self.handle(case, staff, day, t)
        t += rng.uniform(1, 8)
        case = services.case_act(actor=staff.leader, case=case, action="verify", now=self.at(day, t))
        case = services.case_act(actor=staff.leader, case=case, action="close", now=self.at(day, t + 0.2))
        if case.source == "resident" and rng.random() < 0.7:
            stars = rng.choices([5, 4, 3, 2], weights=[60, 28, 8, 4])[0]
            comment = {5: "处理及时，满意", 4: "效果不错", 3: "还可以", 2: "处理太慢"}[stars]
            services.case_rate(case=case, stars=stars, comment=comment, now=self.at(day, t + 6))
        elif case.source == "resident" and rng.random() < 0.03:
            services.case_not_fixed(case=case, note="没过两天又恢复原样", now=self.at(day, t + 30))

    def handle(self, case: Case, staff: Staff, day: datetime.date, t: float) -> Case:
        photos = [_photo((160, 185, 150), 0, self.rng)] if case.category.photo_required else []
        note = self.rng.choice(["已清理完毕", "已联系当事人整改", "已协调物业处理", "已现场处置"])
        return services.case_act(
            actor=staff.worker, case=case, action="handle", note=note, photos=photos, now=self.at(day, t)
        )


def build_case_history(community: Area, *, stdout=None) -> int:
    """The campaign's cases (about two a day), then one sweep at the end of October; returns how many."""
    calendar_import(actor=None, days=read_calendar_file(CALENDAR))
    history = _History(community, stdout)
    count = 0
    day = START
    while day <= END:
        for _ in range(history.rng.choice([0, 1, 2, 2, 3])):
            history.one(day)
            count += 1
        day += datetime.timedelta(days=1)
    services.cases_sweep(now=history.at(END, 18))
    return count
