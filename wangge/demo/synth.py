"""Synthetic data at scale: `wangge synth --scale community|subdistrict|district`.

A district of 15 subdistricts, 150 communities, 1,500 grids, 3,000 compounds, about 25,000 shops, 1.5
million residents and 1 million cases over three years — each community in the demo's proportions (10 grids,
20 compounds, about 167 shops, 10,000 residents, 6,700 cases) — for benchmarks and for trying the product
at the size of a real deployment. The community scale is one community in one subdistrict, the subdistrict
scale ten communities.

Unlike the demo, nothing goes through the services: rows are generated as tuples and written in chunks
(synth_sink: COPY on PostgreSQL, executemany on SQLite), personal data encrypted in bulk with pii's keys
and format. The result is what the services would have written (codes, paths, boundaries, memberships,
responsibility, encrypted values with blind indexes, case timelines as the closed loop writes them), except
the audit log: a bulk load is not anybody's work, so it is recorded as one audit event (`demo.synth`) with
its figures, not as millions.

Deterministic: each stage of each community draws from its own random stream, seeded by the seed, the stage
and the community's code, so the same seed gives the same rows (apart from encryption nonces and tracking
codes), and a community's content does not depend on the scale. Dates are relative to today (the three
years end at midnight this morning); `today=` pins them.
"""

import contextlib
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from wangge.core import audit
from wangge.core.calendar import calendar_import, read_calendar_file
from wangge.core.models import CalendarDay
from wangge.demo.synth_cases import DAYS, CaseWriter
from wangge.demo.synth_people import PeopleWriter
from wangge.demo.synth_sink import CHUNK, Sealer, Sink
from wangge.demo.synth_territory import DISTRICT, Layout, TerritoryWriter
from wangge.territory.models import Area
from wangge.territory.selectors import forget_grid_locators

SCALES: dict[str, Layout] = {
    "community": Layout(subdistricts=1, communities_per_subdistrict=1),
    "subdistrict": Layout(subdistricts=1, communities_per_subdistrict=10),
    "district": Layout(subdistricts=15, communities_per_subdistrict=10),
}
DEFAULT_SEED = 1
CALENDAR_DIR = "core/data"


class SynthRefused(Exception):
    """The database already holds a territory: synthetic data goes only into a fresh database."""


@dataclass
class Stage:
    name: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SynthSummary:
    scale: str
    seed: int
    today: datetime.date
    communities: int
    rows: dict[str, int] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    seconds: float = 0.0
    fingerprint: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def calendar_days(first: datetime.date, last: datetime.date) -> list[CalendarDay]:
    """The days of the calendar files shipped for the years from `first` to `last` (core/data/calendar-YYYY.csv)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / CALENDAR_DIR
    days: list[CalendarDay] = []
    for year in range(first.year, last.year + 1):
        path = folder / f"calendar-{year}.csv"
        if path.exists():
            days += read_calendar_file(path)
    return days


def synthesize(
    *,
    scale: str,
    seed: int = DEFAULT_SEED,
    password: str | None = None,
    today: datetime.date | None = None,
    say: Callable[[str], object] | None = None,
    write: bool = True,
    fingerprint: bool = False,
    chunk: int = CHUNK,
) -> SynthSummary:
    """Generate `scale` into the (migrated, empty) default database; `write=False` only generates.

    Raises SynthRefused when the database already holds areas (nothing is written then). On PostgreSQL the
    whole load is one transaction; on SQLite each chunk commits, so a failed load leaves a partial set
    behind (start again from a fresh database).
    """
    layout = SCALES[scale]
    say = say or (lambda _message: None)
    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=DAYS)
    try:
        holds_areas = Area.objects.exists()
    except DatabaseError:
        raise SynthRefused(
            "The database is not migrated: run `wangge migrate` first (or leave out --no-migrate)."
        ) from None
    if write and holds_areas:
        raise SynthRefused(
            f"This database already holds {Area.objects.count()} areas. wangge synth fills a fresh, migrated database "
            "only: point DATABASE_URL (or WANGGE_VAR_DIR) at an empty one."
        )
    # The working calendar decides working-hour deadlines: a deployment's configuration, loaded (and audited)
    # as `wangge calendar import` would, for the years the history covers where a file is shipped.
    shipped = calendar_days(first_day, today)
    if write:
        missing = [d for d in shipped if not CalendarDay.objects.filter(date=d.date).exists()]
        if missing:
            calendar_import(actor=None, days=missing)
    started = time.perf_counter()
    summary = SynthSummary(scale=scale, seed=seed, today=today, communities=layout.communities)
    sink = Sink(chunk=chunk, write=write, fingerprint=fingerprint)
    zone = timezone.get_default_timezone()
    until = int(datetime.datetime.combine(today, datetime.time(0), tzinfo=zone).timestamp())
    born = sink.timestamp(until - (DAYS + 30) * 86400)
    hashed = make_password(password) if password else make_password(None)
    say(f"wangge synth: {scale} ({layout.communities} communities), seed {seed}, history to {today:%Y-%m-%d}")
    # PostgreSQL: one transaction, all or nothing. SQLite: the sink commits chunk by chunk (see synth_sink).
    with transaction.atomic() if write and connection.vendor == "postgresql" else contextlib.nullcontext():
        sealer = Sealer()
        territory = TerritoryWriter(sink, sealer, seed=seed, born=born, password=hashed)
        people = PeopleWriter(sink, sealer, seed=seed, today=today, born=born)
        cases = CaseWriter(sink, sealer, seed=seed, until=until, first_day=first_day, calendar=shipped)
        sink.prepare()
        try:
            step = max(1, layout.communities // 10)

            def run(name: str, tables: list, body: Callable[[Callable[[int], None]], object]) -> object:
                begun = time.perf_counter()

                def rows() -> int:
                    return sum(t.written + len(t.rows) for t in tables)

                def progress(done: int) -> None:
                    if done % step == 0 and done < layout.communities:
                        count, seconds = rows(), time.perf_counter() - begun
                        where = f"{done:>4}/{layout.communities} communities"
                        say(f"  {name:<9} {where} {count:>11,} rows {count / seconds:>9,.0f} rows/s")

                result = body(progress)
                for table in tables:
                    sink.flush(table)
                stage = Stage(name, rows(), time.perf_counter() - begun)
                summary.stages.append(stage)
                say(f"  {name:<9} done {stage.rows:>26,} rows {stage.rate:>9,.0f} rows/s  {stage.seconds:7.1f} s")
                return result

            territory_tables = [
                territory.areas,
                territory.users,
                territory.memberships,
                territory.compounds,
                territory.buildings,
                territory.dwellings,
                territory.shops,
                territory.partners,
                territory.assignments,
                territory.groups,
                territory.members,
            ]
            plans = run("territory", territory_tables, lambda progress: territory.build(layout, progress))

            def each(writer: Callable) -> Callable:
                def body(progress: Callable[[int], None]) -> None:
                    for done, plan in enumerate(plans, start=1):
                        writer(plan)
                        progress(done)

                return body

            run("people", [people.households, people.residents, people.registrations], each(people.community))
            run("cases", [cases.cases, cases.events, cases.ratings, cases.postponements], each(cases.community))
            finishing = time.perf_counter()
            sink.finish()
        except BaseException:
            sink.abandon()
            raise
        summary.rows = sink.written()
        summary.counts = {
            "communities": layout.communities,
            "grids": sum(len(p.grids) for p in plans),
            "compounds": sum(len(p.compounds) for p in plans),
            "shops": sum(len(p.shops) for p in plans),
            "dwellings": sum(p.dwellings for p in plans),
            "households": people.counts.households,
            "residents": people.counts.residents,
            "living": people.counts.living,
            "floating": people.counts.floating,
            "cases": cases.counts.cases,
            "case_events": cases.counts.events,
            "ratings": cases.counts.ratings,
        }
        if fingerprint:
            summary.fingerprint = sink.hexdigest()
        if write:
            district = Area.objects.get(code=DISTRICT[0])
            audit.record(
                actor=None,
                action="demo.synth",
                instance=district,
                after={"scale": scale, "seed": seed, "today": today.isoformat(), **summary.counts},
            )
    # The grids were written in bulk, which sends no signal: this process's point-in-grid trees must go.
    forget_grid_locators()
    # Foreign keys checked, sequences moved, statistics, and (PostgreSQL) the commit.
    summary.stages.append(Stage("finish", 0, time.perf_counter() - finishing))
    say(f"  {'finish':<9} done {'':>26}      {summary.stages[-1].seconds:>17.1f} s")
    summary.seconds = time.perf_counter() - started
    return summary
