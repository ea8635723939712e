"""Synthetic cases: three years of the closed loop in every community, with their timelines.

Each case takes the path the demo's campaign cases take (demo.history) — reported by a grid worker on patrol,
the office's hotline or a resident; registered and dispatched by the grid leader to the grid worker; handled,
verified and closed; now and then rejected, suspended, postponed, late, reworked, rated or said to be "not
fixed" — but written as rows: the case with its final state and timestamps, one CaseEvent per step (as
`cases.services` writes them), postponements and ratings. What `wangge sweep` would have done is done too:
a case still open when its deadline passes is marked overdue a minute later and escalated one level.
Nothing happens after the load's moment (midnight today), so the last day's cases are still open.
"""

import datetime
import json
import random
import secrets
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from django.utils import timezone

from wangge.cases.models import Case, CaseEvent, Category, Level, Postponement, Rating, State
from wangge.core.calendar import working_periods
from wangge.core.models import CalendarDay, CalendarDayKind
from wangge.demo.history import DESCRIPTIONS as DEMO_DESCRIPTIONS
from wangge.demo.history import WEIGHTS as DEMO_WEIGHTS
from wangge.demo.synth_sink import Sealer, Sink, context_of
from wangge.demo.synth_territory import CommunityPlan, CompoundPlan, Person, ShopPlan
from wangge.territory.models import Management

DAYS = 3 * 365
# Cases a community reports in a day: about 6.1, so 6,700 in three years and a million in a district.
DAILY = (3, 4, 5, 6, 6, 7, 7, 8, 9)
# The demo's mix of problems, and the other seeded categories now and then.
WEIGHTS = {**DEMO_WEIGHTS, "E0102": 4, "E0105": 4, "E0501": 3, "E0301": 2, "C05": 2, "P0301": 1, "P0305": 2}
DESCRIPTIONS = {
    **DEMO_DESCRIPTIONS,
    "E0102": ["路边垃圾暴露堆放", "绿化带内垃圾未清理"],
    "E0105": ["路面泥土污渍较多", "人行道落叶垃圾未清扫"],
    "E0501": ["路口有流动摊贩占道", "早市游商堵塞通道"],
    "E0301": ["夜间施工噪声大", "工地周末施工扰民"],
    "C05": ["新入住租户未登记", "群租房人员需登记"],
    "P0301": ["公厕冲水设施损坏"],
    "P0305": ["垃圾桶破损缺盖", "分类垃圾桶损坏"],
}
HANDLING_NOTES = ("已清理完毕", "已联系当事人整改", "已协调物业处理", "已现场处置")
REJECT_REASONS = ("duplicate", "out_of_scope", "not_a_problem")
RATINGS = ((5, 60, "处理及时，满意"), (4, 28, "效果不错"), (3, 8, "还可以"), (2, 4, "处理太慢"))
RELAPSING_SHOPS = 6
STALE_SHARE = 0.004  # cases the office let lie: open and overdue for months (the overdue queue's long tail)
POSTPONEMENT_HOURS = 48
HOUR = 3600


class WorkingClock:
    """core.calendar.add_hours over a calendar read once, for a million deadlines without a query each.

    Same rules: working periods of `WORKING_HOURS` on working days (Monday to Friday unless a holiday, a
    weekend day only as a make-up workday); a start outside working time counts from the next period.
    """

    def __init__(self, extra: list[CalendarDay] = ()) -> None:
        # The calendar in the database, and the days about to be imported (a dry run imports nothing).
        self.kinds = {day.date: day.kind for day in extra}
        self.kinds.update(CalendarDay.objects.values_list("date", "kind"))
        self.periods = working_periods()
        self.zone = timezone.get_default_timezone()
        self.days: dict[datetime.date, list[tuple[int, int]]] = {}

    def periods_of(self, day: datetime.date) -> list[tuple[int, int]]:
        periods = self.days.get(day)
        if periods is None:
            kind = self.kinds.get(day)
            working = kind != CalendarDayKind.HOLIDAY and (kind == CalendarDayKind.WORKDAY or day.weekday() < 5)
            periods = [
                (
                    int(datetime.datetime.combine(day, start, tzinfo=self.zone).timestamp()),
                    int(datetime.datetime.combine(day, end, tzinfo=self.zone).timestamp()),
                )
                for start, end in self.periods
            ]
            self.days[day] = periods = periods if working else []
        return periods

    def add(self, start: int, hours: int, *, working: bool) -> int:
        if not working:
            return start + hours * HOUR
        remaining, cursor = hours * HOUR, start
        day = datetime.datetime.fromtimestamp(start, self.zone).date()
        for _offset in range(3660):
            for begin, end in self.periods_of(day):
                if end <= cursor:
                    continue
                begin = max(cursor, begin)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
                cursor = end
            day += datetime.timedelta(days=1)
        raise ValueError("the calendar has no working time within ten years")


@dataclass
class CaseCounts:
    cases: int = 0
    events: int = 0
    ratings: int = 0
    postponements: int = 0


@dataclass(frozen=True)
class _Category:
    id: int
    code: str
    deadline_hours: int
    working_hours: bool
    level: str


class CaseWriter:
    def __init__(
        self,
        sink: Sink,
        sealer: Sealer,
        *,
        seed: int,
        until: int,
        first_day: datetime.date,
        calendar: list[CalendarDay] = (),
    ) -> None:
        self.sink = sink
        self.sealer = sealer
        self.seed = seed
        self.until = until  # nothing happens at or after this moment (seconds since the epoch)
        self.clock = WorkingClock(calendar)
        zone = timezone.get_default_timezone()
        days = [first_day + datetime.timedelta(days=n) for n in range(DAYS)]
        self.midnights = [
            (f"{day:%Y%m%d}", int(datetime.datetime.combine(day, datetime.time(0), tzinfo=zone).timestamp()))
            for day in days
        ]
        rows = Category.objects.filter(code__in=WEIGHTS)
        self.categories = {
            c.code: _Category(c.pk, c.code, c.deadline_hours, c.working_hours, c.level) for c in rows.order_by("code")
        }
        self.codes = [code for code in WEIGHTS if code in self.categories]
        self.cumulative = list(accumulate(WEIGHTS[code] for code in self.codes))
        self.counts = CaseCounts()
        t = sink.table
        self.cases = t(
            Case,
            (
                "id created_at updated_at area_path number tracking_code idempotency_key category description"
                " attributes source state state_before_suspension level area compound shop address longitude"
                " latitude reporter reporter_name reporter_phone reporter_phone_index reporter_email assignee"
                " department reported_at registered_at dispatched_at deadline_at handled_at verified_at closed_at"
                " overdue_at reject_reason rework_count postponed reopen_count version"
            ).split(),
            secret={"tracking_code"},
        )
        self.events = t(
            CaseEvent,
            "id created_at updated_at case at action from_state to_state actor actor_label note public data".split(),
        )
        self.ratings = t(Rating, "id created_at updated_at case stars comment".split())
        self.postponements = t(
            Postponement,
            "id created_at updated_at case requested_by reason hours state decided_by decided_at".split(),
        )
        self.phone_context = context_of(Case, "reporter_phone")

    def community(self, plan: CommunityPlan) -> None:
        rng = random.Random(f"synth:{self.seed}:cases:{plan.code}")  # noqa: S311 - made-up data, not a secret
        relapsing = rng.sample(plan.shops, min(RELAPSING_SHOPS, len(plan.shops)))
        unmanaged = [c for c in plan.compounds if c.management == Management.NONE] or plan.compounds
        for stamp, midnight in self.midnights:
            for _ in range(rng.choice(DAILY)):
                if midnight >= self.until:
                    break
                self.case(plan, rng, stamp, midnight, relapsing, unmanaged)

    def case(
        self,
        plan: CommunityPlan,
        rng: random.Random,
        stamp: str,
        midnight: int,
        relapsing: list[ShopPlan],
        unmanaged: list[CompoundPlan],
    ) -> None:
        code = self.codes[bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]
        category = self.categories[code]
        compound: CompoundPlan | None = None
        shop: ShopPlan | None = None
        if code == "C02":
            shop = rng.choice(relapsing) if rng.random() < 0.55 else rng.choice(plan.shops)
        elif code == "C01" and rng.random() < 0.75:
            compound = rng.choice(unmanaged)
        else:
            compound = rng.choice(plan.compounds)
        grid = plan.grids[(compound or shop).grid]
        # Who reported it: the grid worker on patrol, the office's hotline, or a resident on the public page.
        roll = rng.random()
        phone = f"17{rng.randint(0, 1)}{rng.randrange(10**8):08d}"
        if code in ("C02", "E0201", "E0505") or roll < 0.35:
            reporter, source, phone = grid.worker, "patrol", ""
        elif roll < 0.45:
            reporter, source = plan.director, "hotline"
        else:
            reporter, source = None, "resident"
            if rng.random() < 0.4:
                phone = ""
        reported = midnight + int(rng.uniform(7.5, 20.0) * HOUR)
        attributes: dict = {}
        if code == "C03":
            attributes = {"facility": rng.choice(["light", "door", "water"])}
        elif code == "C05":
            attributes = {"persons": rng.randint(1, 6)}
        elif code == "C04" and rng.random() < 0.5:
            attributes = {"hours": [rng.choice(["day", "evening", "night"])]}
        run = _Run(self, rng, category, reported, reporter, source, grid.leader, grid.worker, plan.director)
        run.follow()
        pk = self.cases.take_ids(1)
        ts = self.sink.timestamp
        events = sorted(run.events, key=lambda e: e[0])

        def when(moment: int | None) -> str | None:
            return ts(moment) if moment is not None else None

        self.sink.add(
            self.cases,
            (
                pk,
                ts(reported),
                ts(events[-1][0]),
                compound.path if compound else grid.path,
                f"{stamp}{pk:06d}",
                secrets.token_urlsafe(16),
                None,
                category.id,
                rng.choice(DESCRIPTIONS[code]),
                json.dumps(attributes) if attributes else _EMPTY,
                source,
                run.state,
                run.state_before_suspension,
                run.level,
                grid.id,
                compound.id if compound else None,
                shop.id if shop else None,
                compound.address if compound else shop.address,
                compound.longitude if compound else None,
                compound.latitude if compound else None,
                reporter.id if reporter else None,
                "",
                self.sealer.seal(phone, self.phone_context),
                self.sealer.index(phone),
                "",
                run.assignee.id if run.assignee else None,
                "",
                ts(reported),
                when(run.registered_at),
                when(run.dispatched_at),
                when(run.deadline_at),
                when(run.handled_at),
                when(run.verified_at),
                when(run.closed_at),
                when(run.overdue_at),
                run.reject_reason,
                run.rework_count,
                run.postponed,
                run.reopen_count,
                run.version,
            ),
        )
        first_event = self.events.take_ids(len(events))
        self.sink.extend(
            self.events,
            (
                (
                    first_event + n,
                    moment,
                    moment,
                    pk,
                    moment,
                    action,
                    from_state,
                    to_state,
                    actor.id if actor else None,
                    actor.label if actor else "",
                    note,
                    public,
                    data,
                )
                for n, (moment, action, from_state, to_state, actor, note, public, data) in enumerate(
                    (ts(e[0]), *e[1:]) for e in events
                )
            ),
        )
        self.counts.events += len(events)
        if run.rating is not None:
            stars, comment, at = run.rating
            self.sink.add(self.ratings, (self.ratings.take_ids(1), ts(at), ts(at), pk, stars, comment))
            self.counts.ratings += 1
        if run.postponement is not None:
            requested, reason, decided = run.postponement
            self.sink.add(
                self.postponements,
                (
                    self.postponements.take_ids(1),
                    ts(requested),
                    ts(decided or requested),
                    pk,
                    grid.worker.id,
                    reason,
                    POSTPONEMENT_HOURS,
                    "approved" if decided else "requested",
                    plan.director.id if decided else None,
                    ts(decided) if decided else None,
                ),
            )
            self.counts.postponements += 1

        self.counts.cases += 1


_JSON_CACHE: dict[tuple, str] = {}


def _json(**values: object) -> str:
    """json.dumps of a small payload, remembered: a few dozen distinct payloads make millions of events."""
    key = tuple(values.items())
    text = _JSON_CACHE.get(key)
    if text is None:
        text = _JSON_CACHE[key] = json.dumps(values)
    return text


_OPEN = frozenset({State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED, State.VERIFIED})
_EMPTY = "{}"


class _Stop(Exception):
    """The next step would happen after the load's moment: the case stays as it is."""


class _Run:
    """One case along the loop: its state, timestamps and timeline as the services would leave them."""

    def __init__(
        self,
        writer: CaseWriter,
        rng: random.Random,
        category: _Category,
        reported: int,
        reporter: Person | None,
        source: str,
        leader: Person,
        worker: Person,
        director: Person,
    ) -> None:
        self.writer, self.rng, self.category = writer, rng, category
        self.reported, self.leader, self.worker, self.director = reported, leader, worker, director
        self.source = source
        self.state = State.REPORTED
        self.state_before_suspension = ""
        self.level = category.level
        self.events: list[tuple] = [(reported, "report", "", State.REPORTED, reporter, "", True, _json(source=source))]
        self.last = reported
        self.assignee: Person | None = None
        self.registered_at = self.dispatched_at = self.deadline_at = None
        self.handled_at = self.verified_at = self.closed_at = self.overdue_at = None
        self.reject_reason = ""
        self.rework_count = self.reopen_count = 0
        self.postponed = False
        self.version = 1
        self.rating: tuple[int, str, int] | None = None
        self.postponement: tuple[int, str, int | None] | None = None

    def step(
        self,
        at: int,
        action: str,
        actor: Person | None,
        target: str | None,
        *,
        note: str = "",
        public: bool = True,
        data: str = _EMPTY,
    ) -> int:
        """Take one step at `at` (or a minute after the last one); the moment it was taken."""
        # Steps follow one another: never two at the same second, never one before the last.
        at = max(at, self.last + 60)
        if at >= self.writer.until:
            raise _Stop
        self.last = at
        before = self.state
        if target is not None:
            self.state = target
        self.events.append((at, action, before, self.state, actor, note, public, data))
        self.version += 1
        return at

    def follow(self) -> None:
        try:
            self._follow()
        except _Stop:
            pass
        self._mark_overdue()

    def _follow(self) -> None:
        rng, category, clock = self.rng, self.category, self.writer.clock
        t = self.reported + int(rng.uniform(0.3, 3) * HOUR)
        if rng.random() < 0.03:
            reason = rng.choice(REJECT_REASONS)
            self.reject_reason = reason
            self.step(t, "reject", self.leader, State.REJECTED, data=_json(reason=reason))
            return
        self.registered_at = t = self.step(t, "register", self.leader, State.REGISTERED)
        t += int(rng.uniform(0.1, 1) * HOUR)
        data = _json(assignee=self.worker.username, department="")
        self.dispatched_at = t = self.step(t, "dispatch", self.leader, State.DISPATCHED, data=data)
        self.assignee = self.worker
        self.deadline_at = clock.add(t, category.deadline_hours, working=category.working_hours)
        roll = rng.random()
        if roll < STALE_SHARE:
            # Started, then left lying: the overdue queue's long tail.
            self.step(t + int(rng.uniform(1, 6) * HOUR), "start", self.worker, State.IN_PROGRESS)
            return
        if roll < 0.01 + STALE_SHARE:
            self.step(t + 2 * HOUR, "suspend", self.director, State.SUSPENDED, note="涉及产权纠纷，待街道协调")
            self.state_before_suspension = State.DISPATCHED
            return
        if rng.random() < 0.04:
            reason = "需等待物业配合"
            data = _json(hours=POSTPONEMENT_HOURS, reason=reason)
            asked = self.step(t + 3 * HOUR, "request_postponement", self.worker, None, public=False, data=data)
            self.postponement = (asked, reason, None)
            data = _json(approved=True, hours=POSTPONEMENT_HOURS)
            # The work starts once the office has decided.
            t = self.step(t + 5 * HOUR, "decide_postponement", self.director, None, public=False, data=data)
            self.postponement = (asked, reason, t)
            self.deadline_at = clock.add(self.deadline_at, POSTPONEMENT_HOURS, working=category.working_hours)
            self.postponed = True
        late = rng.random() < 0.1
        t += int((rng.uniform(2, 20) + (category.deadline_hours + rng.uniform(4, 30) if late else 0)) * HOUR)
        self.step(t - HOUR, "start", self.worker, State.IN_PROGRESS)
        t = self.handle(t)
        if rng.random() < 0.06:
            t = self.step(t + 2 * HOUR, "rework", self.leader, State.IN_PROGRESS, note="复查仍不合格，请重新处理")
            self.rework_count += 1
            self.handled_at = None
            t = self.handle(t + int(rng.uniform(4, 12) * HOUR))
        t = self.verify_and_close(t + int(rng.uniform(1, 8) * HOUR))
        if self.source != "resident":
            return
        if rng.random() < 0.7:
            stars = rng.choices(RATINGS, weights=[w for _s, w, _c in RATINGS])[0]
            at = t + 6 * HOUR
            if at >= self.writer.until:
                raise _Stop
            self.events.append((at, "rate", "", State.CLOSED, None, stars[2], False, _json(stars=stars[0])))
            self.rating = (stars[0], stars[2], at)
        elif rng.random() < 0.03:
            # "Not fixed" within 7 days reopens the case; the worker goes back, and it closes again.
            t = self.step(t + 30 * HOUR, "not_fixed", None, State.IN_PROGRESS, note="没过两天又恢复原样")
            self.reopen_count += 1
            self.closed_at = self.verified_at = self.handled_at = None
            t = self.handle(t + int(rng.uniform(4, 24) * HOUR))
            self.verify_and_close(t + int(rng.uniform(1, 4) * HOUR))

    def handle(self, t: int) -> int:
        note = self.rng.choice(HANDLING_NOTES)
        self.handled_at = self.step(t, "handle", self.worker, State.HANDLED, note=note, data='{"photos": 0}')
        return self.handled_at

    def verify_and_close(self, t: int) -> int:
        self.verified_at = t = self.step(t, "verify", self.leader, State.VERIFIED)
        t += 12 * 60
        on_time = self.deadline_at is None or t <= self.deadline_at
        self.closed_at = self.step(t, "close", self.leader, State.CLOSED, data=_json(on_time=on_time))
        return self.closed_at

    def _mark_overdue(self) -> None:
        """What the sweep (every minute) did: the first minute the case was open past its deadline."""
        if self.deadline_at is None:
            return
        events = sorted(self.events, key=lambda e: e[0])
        moment = self.deadline_at + 60
        state = State.REPORTED
        marked = None
        for at, _action, _from, to_state, *_rest in events:
            if at > moment:
                if state in _OPEN:
                    marked = moment
                    break
                if to_state in _OPEN:
                    moment = at + 60  # reopened after its deadline: the next sweep marks it
            state = to_state
        else:
            if state in _OPEN:
                marked = moment
        if marked is None or marked >= self.writer.until:
            return
        state_then = next((e[3] for e in reversed(events) if e[0] <= marked), State.REPORTED)
        deadline = datetime.datetime.fromtimestamp(self.deadline_at, datetime.UTC).isoformat()
        data = {"deadline": deadline}
        if self.level in (Level.COMPOUND, Level.COMMUNITY):
            above = Level.COMMUNITY if self.level == Level.COMPOUND else Level.SUBDISTRICT
            data.update({"from": self.level, "to": above})
            self.level = above
        self.events.append((marked, "overdue", "", state_then, None, "", False, json.dumps(data)))
        self.overdue_at = marked
        self.version += 1
