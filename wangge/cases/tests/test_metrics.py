"""Case metrics against a small history computed by hand (domain.md "Case metrics")."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import services
from wangge.cases.metrics import case_metrics, total_of
from wangge.cases.models import Case, Category

T0 = datetime.datetime(2014, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday in the campaign


def hours(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(hours=n)


@pytest.fixture
def history(cast, settings, tmp_path):
    """Ten cases of a 24-hour category, seen at T0 + 60 h. Letters as in the table of expectations below."""
    settings.MEDIA_ROOT = tmp_path
    category = Category.objects.get(code="C04")
    director, worker = cast.director, cast.grid_worker

    def report(compound):
        return services.case_report(
            actor=None, category=category, description="噪声", source="resident", compound=compound, now=hours(0)
        )

    def act(case, action, at, **extra):
        actor = worker if action in ("start", "handle", "request_postponement") else director
        return services.case_act(actor=actor, case=case, action=action, now=hours(at), note="说明", **extra)

    def dispatched(compound, at=0):
        # The grid worker works in grid 1 only; grid 2's cases go to the director.
        case = act(report(compound), "register", at)
        return act(case, "dispatch", at, assignee=worker if compound.area == cast.grid1 else director)

    def closed(case, at):
        for step in ("start", "handle", "verify", "close"):
            case = act(case, step, at)
        return case

    cases = {}
    cases["A"] = closed(dispatched(cast.compound1), 10)  # closed on time
    cases["B"] = closed(dispatched(cast.compound1), 30)  # closed late
    cases["C"] = dispatched(cast.compound2)  # open past its deadline
    cases["D"] = act(report(cast.compound1), "reject", 0, reason="duplicate")  # never registered
    cases["E"] = act(dispatched(cast.compound2), "suspend", 1)  # suspended
    f = act(act(act(dispatched(cast.compound1), "start", 2), "handle", 3), "rework", 4)
    f = act(f, "handle", 5)
    for step in ("verify", "close"):
        f = act(f, step, 20)
    cases["F"] = f  # reworked once, closed on time
    g = act(dispatched(cast.compound1), "request_postponement", 2, reason="等配件", hours=48)
    g = act(g, "decide_postponement", 3, approve=True)  # deadline T0 + 72 h
    cases["G"] = closed(g, 50)  # postponed, closed on time
    h = closed(dispatched(cast.compound1), 5)
    cases["H"] = services.case_not_fixed(case=h, note="还是吵", now=hours(6))  # reopened, open past deadline
    cases["I"] = act(report(cast.compound1), "register", 0)  # registered, not dispatched: no deadline
    cases["J"] = report(cast.compound1)  # only reported
    services.case_rate(case=Case.objects.get(pk=cases["A"].pk), stars=5)
    services.case_rate(case=Case.objects.get(pk=cases["B"].pk), stars=2)
    return cases


class MetricsTests:
    def test_it_counts_the_history_as_computed_by_hand(self, history):
        (total,) = case_metrics(Case.objects.all(), now=hours(60))
        assert (total.reported, total.registered, total.due, total.suspended) == (10, 8, 7, 1)
        assert (total.closed, total.closed_on_time, total.reworked, total.postponed) == (4, 3, 1, 1)
        assert (total.overdue_open, total.ratings, total.satisfied) == (2, 2, 1)

    def test_it_computes_the_rates_as_defined(self, history):
        (total,) = case_metrics(Case.objects.all(), now=hours(60))
        rates = total.rates
        assert rates["closure"] == pytest.approx(4 / 6)
        assert rates["on_time"] == pytest.approx(3 / 6)
        assert rates["rework"] == pytest.approx(1 / 7)
        assert rates["postponement"] == pytest.approx(1 / 7)
        assert rates["overdue"] == pytest.approx(2 / 7)
        assert rates["satisfaction"] == pytest.approx(1 / 2)
        assert rates["reporter_accuracy"] == pytest.approx(8 / 10)
        # 30·4/6 + 20·3/6 + 20·(1 − 1/7) + 20·(1 − 2/7) + 10·(1 − 1/7)
        assert rates["composite"] == pytest.approx(70.0)

    def test_it_splits_by_grid(self, history, cast):
        rows = {row.key: row for row in case_metrics(Case.objects.all(), by="grid", now=hours(60))}
        grid1, grid2 = rows[cast.grid1.code], rows[cast.grid2.code]
        assert (grid1.reported, grid1.registered, grid1.due, grid1.closed, grid1.overdue_open) == (8, 6, 5, 4, 1)
        assert (grid2.reported, grid2.due, grid2.suspended, grid2.closed, grid2.overdue_open) == (2, 2, 1, 0, 1)
        assert grid2.rates["closure"] == 0.0
        assert grid2.rates["satisfaction"] is None  # no rating: undefined, not 0

    def test_it_splits_by_person_and_month(self, history, cast):
        by_person = case_metrics(Case.objects.all(), by="person", now=hours(60))
        due = {row.key: row.due for row in by_person}
        assert due[cast.grid_worker.username] == 5 and due[cast.director.username] == 2
        by_month = case_metrics(Case.objects.all(), by="month", now=hours(60))
        assert sum(row.reported for row in by_month) == 10

    @pytest.mark.parametrize("by", ["grid", "person", "category", "month"])
    def test_the_total_of_any_grouping_is_the_total_of_the_cases(self, history, by):
        (total,) = case_metrics(Case.objects.all(), now=hours(60))
        summed = total_of(case_metrics(Case.objects.all(), by=by, now=hours(60)))
        # Every count and rate alike (the dataclasses compare field by field), over the history's ten cases.
        assert summed.reported == 10 and summed == total

    def test_it_leaves_rates_undefined_without_cases(self, db):
        (empty,) = case_metrics(Case.objects.none())
        assert empty.due == 0
        assert empty.rates["closure"] is None and empty.rates["composite"] is None

    def test_it_refuses_an_unknown_grouping(self, db):
        with pytest.raises(ValueError):
            case_metrics(Case.objects.all(), by="colour")


class PastPeriodTests:
    def test_it_reads_a_past_moment_by_the_timestamps(self, history):
        # At T0 + 12 h: A is closed (at 10 h), H closed at 5 h and reopened at 6 h; no deadline has passed.
        (early,) = case_metrics(Case.objects.all(), now=hours(12))
        assert (early.due, early.closed, early.overdue_open) == (1, 1, 0)
