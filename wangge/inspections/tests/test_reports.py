"""The reports of a month of patrols (per grid, overdue visits, relapses, rankings, the visit map), the settings
page of schedules and the red/black list, and the public red/black list: who may open what, the figures
against a history built by hand, bad input, and what the pages cost in queries.

The history (March 2014, a 30-day relapse window; places of the cast):

- 测试一号院 (grid 1): 03-03 fails HY01 and HY03 (75.0, failed: cases A and B), 03-10 passes (A and B closed),
  03-17 fails HY01 again (85.0, passed: a relapse of A, case C), 03-24 still fails HY01 (85.0: C stays open).
- 测试面馆 (grid 1): 03-05 fails MD05 (100 of 115 points: 87.0, passed: case D), 04-02 passes (D closed).
- 测试理发店 (grid 2): 02-10 fails MF01 (100 of 110: 90.9, passed: case E, open ever since).
- 测试二号院 (grid 2): 03-12 passes (100.0). 测试写字楼 (grid 2): never visited.
"""

import datetime
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image

from wangge.cases.models import Case, State
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.inspections import selectors, services
from wangge.inspections.models import Checklist, Inspection, Policy, Schedule, Target
from wangge.inspections.schedules import Period
from wangge.territory import services as territory_services
from wangge.territory.models import Trade

HOME = "410105008004"
NEXT_DOOR = "410105008005"
GRID1 = "410105008004001"
GRID2 = "410105008004002"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos land in a temporary folder; rate-limit counters start from zero."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile("failure.jpg", buffer.getvalue(), content_type="image/jpeg")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def inspect(cast, place, day: datetime.date, *, fails: tuple[str, ...] = (), actor=None) -> Inspection:
    """An inspection of `place` on `day` (10:00) that fails `fails` and passes every other item."""
    checklist = Checklist.objects.get(target=selectors.target_of(place), status="published")
    answers = {
        item.code: services.Answer("fail", "不合格", jpeg()) if item.code in fails else services.Answer("pass")
        for item in services.items_for(checklist, place)
    }
    when = at(day)
    return services.inspection_record(
        actor=actor or cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=when,
        now=when + datetime.timedelta(hours=1),
    )


def march(day: int) -> datetime.date:
    return datetime.date(2014, 3, day)


def history(cast) -> None:
    """The month of patrols the module docstring describes."""
    inspect(cast, cast.shop2, datetime.date(2014, 2, 10), fails=("MF01",))
    inspect(cast, cast.compound1, march(3), fails=("HY01", "HY03"), actor=cast.grid_worker)
    inspect(cast, cast.shop1, march(5), fails=("MD05",), actor=cast.grid_worker)
    inspect(cast, cast.compound1, march(10), actor=cast.grid_worker)
    inspect(cast, cast.compound2, march(12))
    inspect(cast, cast.compound1, march(17), fails=("HY01",), actor=cast.grid_worker)
    inspect(cast, cast.compound1, march(24), fails=("HY01",), actor=cast.grid_worker)
    inspect(cast, cast.shop1, datetime.date(2014, 4, 2), actor=cast.grid_worker)


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def row_of(report, code: str) -> selectors.GridMonth:
    return next(row for row in report.rows if row.grid.code == code)


FIGURES = selectors.MONTH_FIGURES


def figures(row: selectors.GridMonth) -> dict[str, int]:
    return {name: getattr(row, name) for name in FIGURES}


PAGES = [
    "/inspections/report/",
    "/inspections/overdue/",
    "/inspections/relapses/",
    "/inspections/rankings/",
    "/inspections/map/",
    "/inspections/map/data.geojson",
    "/inspections/settings/",
]


class AccessTests:
    @pytest.mark.parametrize("url", PAGES)
    def test_it_sends_anonymous_visitors_to_sign_in(self, cast, url):
        response = cast.client(None).get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"] or "login" in response["Location"]

    @pytest.mark.parametrize("url", PAGES)
    def test_it_refuses_a_resident_account(self, cast, url):
        assert cast.client(cast.resident).get(url).status_code == 403

    @pytest.mark.parametrize("url", PAGES)
    def test_it_hides_another_community_from_an_outsider(self, cast, url):
        history(cast)
        client = cast.client(cast.outsider)
        assert client.get(url, {"community": HOME}).status_code == 404
        own = client.get(url)
        assert own.status_code == 200
        content = text(own)
        for name in ("测试一号院", "测试面馆", "第二网格", "俭学街社区", GRID1, "测试写字楼"):
            assert name not in content

    @pytest.mark.parametrize("url", PAGES)
    def test_it_opens_every_page_to_the_office(self, cast, url):
        history(cast)
        for user in (cast.director, cast.grid_leader, cast.grid_worker, cast.building_leader, cast.auditor):
            assert cast.client(user).get(url, {"community": HOME}).status_code == 200, user


class MonthReportTests:
    def test_it_counts_a_month_of_patrols_per_grid(self, cast):
        history(cast)
        report = selectors.month_report(cast.director, cast.home, month=march(1), today=datetime.date(2026, 1, 1))
        assert report.as_of == march(31)
        assert [row.grid.code for row in report.rows] == [GRID1, GRID2]
        assert figures(row_of(report, GRID1)) == {
            "places": 2,
            "inspected": 2,
            "inspections": 5,
            "failed": 1,
            "findings": 5,
            "opened": 4,
            "fixed": 2,
            "still_open": 2,
            "relapses": 1,
            "never": 0,
            "overdue": 1,
        }
        assert figures(row_of(report, GRID2)) == {
            "places": 3,
            "inspected": 1,
            "inspections": 1,
            "failed": 0,
            "findings": 0,
            "opened": 0,
            "fixed": 0,
            "still_open": 1,
            "relapses": 0,
            "never": 1,
            "overdue": 2,
        }
        assert report.total.inspections == 6
        assert report.total.still_open == 3

    def test_it_judges_the_next_month_on_its_own(self, cast):
        history(cast)
        report = selectors.month_report(cast.director, cast.home, month=datetime.date(2014, 4, 1), today=march(31))
        # April is in the future of "today" here: visits are judged as of today, the month's end not reached.
        assert report.as_of == march(31)
        report = selectors.month_report(
            cast.director, cast.home, month=datetime.date(2014, 4, 1), today=datetime.date(2026, 1, 1)
        )
        grid1 = row_of(report, GRID1)
        assert (grid1.inspections, grid1.opened, grid1.fixed, grid1.still_open) == (1, 0, 1, 1)
        # By 30 April both places of grid 1 are overdue: 测试一号院 (last visit 03-24, due in the first days of April)
        # and 测试面馆 (04-02, due 04-16).
        assert (grid1.inspected, grid1.overdue) == (1, 2)

    def test_it_counts_only_what_a_grid_worker_may_see(self, cast):
        history(cast)
        report = selectors.month_report(cast.grid_worker, cast.home, month=march(1), today=datetime.date(2026, 1, 1))
        assert [row.grid.code for row in report.rows] == [GRID1]
        assert report.total.inspections == 5

    def test_it_counts_only_the_compound_of_a_building_leader(self, cast):
        history(cast)
        report = selectors.month_report(
            cast.building_leader, cast.home, month=march(1), today=datetime.date(2026, 1, 1)
        )
        assert [row.grid.code for row in report.rows] == [GRID1]
        grid1 = row_of(report, GRID1)
        assert (grid1.places, grid1.inspections, grid1.findings, grid1.opened, grid1.fixed, grid1.still_open) == (
            1,
            4,
            4,
            3,
            2,
            1,
        )
        assert grid1.relapses == 1

    def test_it_opens_on_the_latest_month_with_inspections(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/report/")
        assert response.status_code == 200
        assert response.context["month"] == datetime.date(2014, 4, 1)
        current = selectors.month_of(timezone.localdate())
        assert response.context["months"] == [current, datetime.date(2014, 4, 1), march(1), datetime.date(2014, 2, 1)]

    def test_it_opens_on_the_current_month_when_it_has_inspections(self, cast):
        history(cast)
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        if yesterday.month != timezone.localdate().month:
            yesterday = timezone.localdate()
        inspect(cast, cast.compound2, yesterday)
        response = cast.client(cast.director).get("/inspections/report/")
        assert response.context["month"] == selectors.month_of(timezone.localdate())

    def test_it_shows_the_figures_of_the_chosen_month(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/report/", {"community": HOME, "month": "2014-03"})
        assert response.status_code == 200
        content = text(response)
        assert 'data-grid="410105008004001"' in content
        assert "show=relapses" in content
        assert figures(response.context["report"].total)["findings"] == 5
        # On a phone each grid is a card of figures, each a tile that opens its list; then the total.
        assert 'data-grid-card="410105008004001"' in content and 'data-grid-card="total"' in content
        # Grid 1 and the total have relapses to open: as a cell of the table and as a tile.
        assert content.count('data-figure="relapses" href=') == 4
        # Failed inspections and failed items are told apart.
        assert "不合格巡查次数" in content and "不合格项次" in content and "不合格次数" not in content

    @pytest.mark.parametrize("month", ["2014-13", "March", "2999-01", "1800-01"])
    def test_it_leaves_out_a_month_it_does_not_understand(self, cast, month):
        history(cast)
        response = cast.client(cast.director).get("/inspections/report/", {"month": month})
        assert response.status_code == 200
        assert response.context["month"] == datetime.date(2014, 4, 1)
        assert "left out" in text(response) or "忽略" in text(response)

    def test_it_lists_the_relapses_of_a_grid(self, cast):
        history(cast)
        client = cast.client(cast.director)
        response = client.get(
            "/inspections/report/",
            {"month": "2014-03", "grid": GRID1, "show": "relapses"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "inspections/partials/report_detail.html"
        rows = response.context["rows"]
        assert [(f.item_code, f.inspection.inspected_at) for f in rows] == [("HY01", at(march(17)))]
        content = text(response)
        assert "测试一号院" in content
        assert rows[0].relapse_of.number in content

    @pytest.mark.parametrize(
        ("figure", "expected"),
        [
            ("inspections", ["测试一号院"] * 4 + ["测试面馆"]),
            ("failed", ["测试一号院"]),
            ("findings", ["测试一号院"] * 4 + ["测试面馆"]),
            ("opened", ["测试一号院", "测试一号院", "测试面馆", "测试一号院"]),
            ("fixed", ["测试一号院", "测试一号院"]),
            ("still_open", ["测试面馆", "测试一号院"]),
            ("inspected", ["测试一号院", "测试面馆"]),
            ("overdue", ["测试面馆"]),
            ("never", []),
        ],
    )
    def test_it_drills_down_to_the_rows_behind_each_figure(self, cast, figure, expected):
        history(cast)
        response = cast.client(cast.director).get(
            "/inspections/report/", {"month": "2014-03", "grid": GRID1, "show": figure}
        )
        assert response.status_code == 200
        rows = response.context["rows"]
        names = []
        for row in rows:
            place = getattr(row, "place", None) or getattr(getattr(row, "inspection", None), "place", None)
            names.append(str(place or row.compound or row.shop))
        assert sorted(names) == sorted(expected)
        assert len(rows) == getattr(row_of(response.context["report"], GRID1), figure)

    def test_it_drills_down_across_every_grid(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/report/", {"month": "2014-03", "show": "overdue"})
        assert [str(visit) for visit in response.context["rows"]] == ["测试理发店", "测试面馆", "测试二号院"]

    def test_it_refuses_a_grid_out_of_scope(self, cast):
        history(cast)
        response = cast.client(cast.grid_worker).get(
            "/inspections/report/", {"month": "2014-03", "grid": GRID2, "show": "never"}
        )
        assert response.status_code == 404
        response = cast.client(cast.outsider).get("/inspections/report/", {"grid": GRID1, "show": "never"})
        assert response.status_code == 404


class OverdueTests:
    def test_it_lists_never_visited_first_then_the_most_overdue(self, cast):
        history(cast)
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1)
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.compound1)
        response = cast.client(cast.director).get("/inspections/overdue/", {"community": HOME})
        assert response.status_code == 200
        report = response.context["report"]
        assert [entry.grid.code for entry in report] == [GRID1, GRID2]
        grid1, grid2 = report
        assert [(group.person, [str(v) for v in group.visits]) for group in grid1.people] == [
            # 测试一号院 was due in the first days of April 2014, 测试面馆 (visited 04-02) on 04-16.
            (cast.grid_worker, ["测试一号院", "测试面馆"])
        ]
        assert [(group.person, [str(v) for v in group.visits]) for group in grid2.people] == [
            (None, ["测试写字楼", "测试理发店", "测试二号院"])
        ]
        today = timezone.localdate()
        shop2 = grid2.people[0].visits[1]
        assert shop2.last == datetime.date(2014, 2, 10)
        assert shop2.due == datetime.date(2014, 2, 24)
        assert shop2.days_since == (today - datetime.date(2014, 2, 10)).days
        assert shop2.days_overdue == (today - datetime.date(2014, 2, 24)).days
        content = text(response)
        assert "无人负责" in content or "Nobody responsible" in content
        assert str((today - datetime.date(2014, 2, 24)).days) in content
        assert (response.context["never_count"], response.context["overdue_count"]) == (1, 4)

    def test_it_filters_by_grid_person_and_kind(self, cast):
        history(cast)
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1)
        client = cast.client(cast.director)
        by_person = client.get("/inspections/overdue/", {"person": cast.grid_worker.pk}).context["report"]
        assert [[str(v) for g in e.people for v in g.visits] for e in by_person] == [["测试面馆"]]
        nobody = client.get("/inspections/overdue/", {"person": "none", "grid": GRID1}).context["report"]
        assert [[str(v) for g in e.people for v in g.visits] for e in nobody] == [["测试一号院"]]
        shops = client.get("/inspections/overdue/", {"kind": "shop"}).context["report"]
        assert [[str(v) for g in e.people for v in g.visits] for e in shops] == [["测试面馆"], ["测试理发店"]]
        assert client.get("/inspections/overdue/", {"person": "x'--"}).status_code == 200
        assert client.get("/inspections/overdue/", {"grid": "999"}).status_code == 404

    def test_it_judges_visits_as_of_the_day_asked(self, cast):
        history(cast)
        client = cast.client(cast.director)
        response = client.get("/inspections/overdue/", {"day": "2014-03-31"})
        assert response.context["as_of"] == march(31)
        shop2 = next(v for e in response.context["report"] for g in e.people for v in g.visits if v.code == "T-S002")
        assert (shop2.days_since, shop2.days_overdue) == (49, 35)
        # 测试面馆 (visited 03-05) was overdue on 03-31; visited again 04-02, it is not on 04-03.
        assert "测试面馆" in text(response)
        assert "测试面馆" not in text(client.get("/inspections/overdue/", {"day": "2014-04-03"}))
        content = text(response)
        assert "截至 2014-03-31" in content and 'value="2014-03-31"' in content

    @pytest.mark.parametrize("day", ["2014-02-30", "tomorrow", "1800-01-01"])
    def test_it_judges_as_of_today_when_the_day_is_not_understood(self, cast, day):
        response = cast.client(cast.director).get("/inspections/overdue/", {"day": day})
        assert response.status_code == 200
        assert response.context["as_of"] == timezone.localdate()
        assert messages_of(response) == [f"无法识别“{day}”，已忽略。"]

    def test_it_judges_a_day_to_come_as_of_today(self, cast):
        later = timezone.localdate() + datetime.timedelta(days=10)
        response = cast.client(cast.director).get("/inspections/overdue/", {"day": later.isoformat()})
        assert response.context["as_of"] == timezone.localdate()

    def test_it_shows_a_grid_worker_only_their_grid(self, cast):
        history(cast)
        response = cast.client(cast.grid_worker).get("/inspections/overdue/")
        assert [entry.grid.code for entry in response.context["report"]] == [GRID1]
        assert "测试理发店" not in text(response)


class RelapseTests:
    def test_it_lists_the_repeat_offenders_worst_first(self, cast):
        history(cast)
        # A second relapsing place, with fewer failed inspections: 测试面馆 fails MD05 again on 04-10.
        inspect(cast, cast.shop1, datetime.date(2014, 4, 10), fails=("MD05",), actor=cast.grid_worker)
        response = cast.client(cast.director).get(
            "/inspections/relapses/", {"community": HOME, "from": "2014-03-01", "to": "2014-04-30"}
        )
        assert response.status_code == 200
        report = response.context["report"]
        assert [entry.grid.code for entry in report] == [GRID1]
        rows = report[0].places
        assert [(str(r.place), r.relapses, r.failed, r.last) for r in rows] == [
            ("测试一号院", 1, 1, at(march(17))),
            ("测试面馆", 1, 0, at(datetime.date(2014, 4, 10))),
        ]
        assert rows[0].items == [("HY01", "院内道路、公共区域干净整洁，无暴露垃圾")]
        assert (response.context["relapse_count"], response.context["place_count"]) == (2, 2)
        content = text(response)
        assert "<title>反复问题 ·" in content and "不合格巡查次数" in content and "不合格次数" not in content
        assert "1 次巡查不合格" in content  # 测试一号院, in its phone item

    def test_it_keeps_to_the_period(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/relapses/", {"from": "2014-03-18", "to": "2014-03-31"})
        assert response.context["report"] == []

    def test_it_defaults_to_the_months_with_inspections_up_to_the_latest(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/relapses/")
        # From the first month with inspections (February 2014), not twelve months of zeros before the latest.
        assert (response.context["since"], response.context["until"]) == (
            datetime.date(2014, 2, 1),
            datetime.date(2014, 4, 2),
        )
        trend = response.context["trend"]
        assert [row.month for row in trend] == [datetime.date(2014, 2, 1), march(1), datetime.date(2014, 4, 1)]
        assert [(row.inspections, row.findings, row.relapses) for row in trend] == [
            (1, 1, 0),
            (6, 5, 1),
            (1, 0, 0),
        ]
        assert response.context["chart"]["series"][0]["data"] == [0, 1, 0]
        assert 'id="relapse-data"' in text(response)

    def test_it_keeps_the_default_to_twelve_months(self, cast):
        history(cast)
        inspect(cast, cast.compound2, datetime.date(2014, 8, 4))
        inspect(cast, cast.compound2, datetime.date(2015, 6, 1))
        response = cast.client(cast.director).get("/inspections/relapses/")
        # The twelve months up to June 2015 begin in July 2014; the first of them with inspections is August.
        assert (response.context["since"], response.context["until"]) == (
            datetime.date(2014, 8, 1),
            datetime.date(2015, 6, 1),
        )
        trend = response.context["trend"]
        assert (len(trend), trend[0].month, trend[-1].month) == (
            11,
            datetime.date(2014, 8, 1),
            datetime.date(2015, 6, 1),
        )

    def test_it_shows_the_trend_of_the_period_chosen(self, cast):
        history(cast)
        client = cast.client(cast.director)
        trend = client.get("/inspections/relapses/", {"from": "2014-03-01", "to": "2014-03-31"}).context["trend"]
        assert [(row.month, row.relapses) for row in trend] == [(march(1), 1)]
        nothing = client.get("/inspections/relapses/", {"from": "2013-01-01", "to": "2013-12-31"})
        assert nothing.context["trend"] == [] and nothing.context["chart"] is None
        assert "该时段内没有巡查记录" in text(nothing)

    def test_it_puts_a_reversed_period_right_and_ignores_nonsense(self, cast):
        history(cast)
        client = cast.client(cast.director)
        response = client.get("/inspections/relapses/", {"from": "2014-03-31", "to": "2014-03-01"})
        assert (response.context["since"], response.context["until"]) == (march(1), march(31))
        response = client.get("/inspections/relapses/", {"from": "2014-02-30", "to": "<b>bad</b>"})
        assert response.status_code == 200
        assert response.context["until"] == datetime.date(2014, 4, 2)
        assert "<b>bad</b>" not in text(response)

    def test_it_shows_a_grid_worker_nothing_of_the_other_grid(self, cast):
        history(cast)
        inspect(cast, cast.shop2, datetime.date(2014, 2, 20))  # E verified on 02-20
        inspect(cast, cast.shop2, march(3), fails=("MF01",))  # a relapse in grid 2
        director = cast.client(cast.director).get("/inspections/relapses/").context["report"]
        assert [entry.grid.code for entry in director] == [GRID1, GRID2]
        worker = cast.client(cast.grid_worker).get("/inspections/relapses/").context["report"]
        assert [entry.grid.code for entry in worker] == [GRID1]


class RankingTests:
    def test_it_ranks_places_by_their_average_score(self, cast):
        history(cast)
        response = cast.client(cast.director).get(
            "/inspections/rankings/", {"kind": "compound", "from": "2014-03-01", "to": "2014-03-31"}
        )
        scores = response.context["scores"]
        # 测试一号院: (75.0 + 100.0 + 85.0 + 85.0) / 4 = 86.25, rounded half up.
        assert [(str(s.place), str(s.average), s.inspections, s.failed, s.failed_items) for s in scores] == [
            ("测试二号院", "100.0", 1, 0, 0),
            ("测试一号院", "86.3", 4, 1, 4),
        ]
        worst = cast.client(cast.director).get(
            "/inspections/rankings/", {"kind": "compound", "from": "2014-03-01", "to": "2014-03-31", "order": "worst"}
        )
        assert [str(s.place) for s in worst.context["scores"]] == ["测试一号院", "测试二号院"]
        assert "86.3" in text(worst)

    def test_it_defaults_to_the_latest_calendar_month_with_inspections(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/rankings/", {"kind": "shop"})
        assert (response.context["since"], response.context["until"]) == (
            datetime.date(2014, 4, 1),
            datetime.date(2014, 4, 30),
        )
        scores = response.context["scores"]
        # 测试面馆's 100.0 of 04-02; its 87.0 of 03-05 and 测试理发店's 02-10 visit lie in earlier months.
        assert [(str(s.place), str(s.average), s.inspections) for s in scores] == [("测试面馆", "100.0", 1)]
        default = cast.client(cast.director).get("/inspections/rankings/")
        assert default.context["target"] == "compound"
        assert (default.context["since"], default.context["until"]) == (march(1), march(31))
        assert [str(s.place) for s in default.context["scores"]] == ["测试二号院", "测试一号院"]

    def test_it_ends_the_default_month_today(self, cast):
        today = timezone.localdate()
        inspect(cast, cast.compound1, today)
        response = cast.client(cast.director).get("/inspections/rankings/")
        assert (response.context["since"], response.context["until"]) == (today.replace(day=1), today)

    def test_it_ranks_only_what_the_user_may_see(self, cast):
        history(cast)
        response = cast.client(cast.grid_worker).get(
            "/inspections/rankings/", {"kind": "compound", "from": "2014-03-01", "to": "2014-03-31"}
        )
        assert [str(s.place) for s in response.context["scores"]] == ["测试一号院"]

    def test_it_leaves_out_a_kind_it_does_not_know(self, cast):
        history(cast)
        response = cast.client(cast.director).get("/inspections/rankings/", {"kind": "dwelling"})
        assert response.status_code == 200
        assert response.context["target"] == "compound"


class VisitMapTests:
    def test_it_colours_places_by_their_visits(self, cast):
        today = timezone.localdate()
        # 测试面馆 (every 14 days) visited 13 days ago: due tomorrow or so, amber; 测试一号院 just now: green.
        inspect(cast, cast.shop1, today - datetime.timedelta(days=13))
        inspect(cast, cast.compound1, today - datetime.timedelta(days=1))
        inspect(cast, cast.shop2, today - datetime.timedelta(days=40))
        for place, (lng, lat) in ((cast.shop1, (113.6575, 34.7890)), (cast.shop2, (113.6600, 34.7900))):
            place.longitude, place.latitude = lng, lat
            place.save()
        cast.office.longitude, cast.office.latitude = 113.6610, 34.7880
        cast.office.save()
        response = cast.client(cast.director).get("/inspections/map/data.geojson", {"community": HOME})
        assert response.status_code == 200
        data = response.json()
        points = {f["properties"]["code"]: f for f in data["features"] if f["properties"]["kind"] == "place"}
        shop1 = selectors.visits_of(cast.home, as_of=today, user=cast.director)
        expected_shop1 = selectors.visit_status(next(v for v in shop1 if v.code == "T-S001"))
        assert expected_shop1 in ("due_soon", "ok")
        assert {code: p["properties"]["status"] for code, p in points.items()} == {
            "T-C01": "ok",
            "T-S001": expected_shop1,
            "T-S002": "overdue",
            "T-O1": "never",
        }
        assert data["summary"]["unmapped"] == 1  # 测试二号院 has no coordinates
        compound = points["T-C01"]["properties"]
        assert compound["last"] == (today - datetime.timedelta(days=1)).isoformat()
        assert compound["url"] == "/inspections/places/compound/T-C01/"
        assert points["T-O1"]["properties"]["url"] == "/inspections/places/office/T-O1/"
        assert [f["properties"]["code"] for f in data["features"] if f["properties"]["kind"] == "grid"] == [
            GRID1,
            GRID2,
        ]
        for feature in points.values():
            assert set(feature["properties"]) >= {"name", "last", "due", "status", "url", "grid"}
            assert "contact" not in str(feature["properties"])

    def test_it_marks_a_visit_due_within_two_days_amber(self, cast):
        visit = selectors.Visit(
            place=cast.shop1,
            target=Target.SHOP,
            grid=cast.grid1,
            period=Period(14, "day"),
            last=datetime.date(2014, 3, 5),
            due=datetime.date(2014, 3, 19),
            as_of=datetime.date(2014, 3, 17),
        )
        assert selectors.visit_status(visit) == "due_soon"
        visit.as_of = datetime.date(2014, 3, 16)
        assert selectors.visit_status(visit) == "ok"
        visit.as_of = datetime.date(2014, 3, 20)
        assert selectors.visit_status(visit) == "overdue"

    def test_it_looks_back_at_a_day_of_the_past(self, cast):
        history(cast)
        client = cast.client(cast.director)
        data = client.get("/inspections/map/data.geojson", {"day": "2014-03-18"}).json()
        # As of 03-18: 测试一号院 (03-17, due 03-31) and 测试二号院 (03-12, due 03-24) within their periods, 测试面馆
        # (03-05) due on 03-19, 测试理发店 (02-10) overdue since 02-24, 测试写字楼 never visited. Only 测试一号院 has
        # coordinates.
        compound = next(f["properties"] for f in data["features"] if f["properties"].get("code") == "T-C01")
        assert (compound["status"], compound["last"], compound["due"]) == ("ok", "2014-03-17", "2014-03-31")
        assert data["summary"] == {"ok": 2, "due_soon": 1, "overdue": 1, "never": 1, "unmapped": 4}
        future = client.get("/inspections/map/data.geojson", {"day": "2999-01-01"}).json()
        assert future["summary"]["overdue"] + future["summary"]["never"] == 5
        page = client.get("/inspections/map/", {"day": "2014-03-18"})
        assert "day=2014-03-18" in text(page)

    def test_it_converts_coordinates_for_the_tile_layer(self, cast, settings):
        settings.MAP_TILE_CRS = "gcj02"
        data = cast.client(cast.director).get("/inspections/map/data.geojson").json()
        compound = next(f for f in data["features"] if f["properties"].get("code") == "T-C01")
        lng, lat = compound["geometry"]["coordinates"]
        assert data["crs_name"] == "gcj02"
        assert (lng, lat) != (113.6570, 34.7880)
        assert abs(lng - 113.6570) < 0.01 and abs(lat - 34.7880) < 0.01

    def test_it_maps_only_the_places_in_scope(self, cast):
        data = cast.client(cast.building_leader).get("/inspections/map/data.geojson").json()
        assert [f["properties"]["code"] for f in data["features"] if f["properties"]["kind"] == "place"] == ["T-C01"]

    def test_it_draws_the_legend_and_loads_the_script(self, cast):
        content = text(cast.client(cast.director).get("/inspections/map/"))
        assert 'id="visit-map"' in content
        assert "js/visit_map.js" in content
        assert 'data-count="never"' in content


class SettingsTests:
    def test_it_shows_the_default_periods(self, cast):
        response = cast.client(cast.director).get("/inspections/settings/", {"community": HOME})
        assert response.status_code == 200
        periods = {row.target: (str(row.period), row.default) for row in response.context["periods"]}
        assert periods == {
            "compound": ("每周", True),
            "shop": ("每14天", True),
            "office": ("每月", True),
        }
        assert "每14天" in text(response)
        assert response.context["may_edit"] is True

    def test_it_lets_the_director_add_and_change_a_schedule(self, cast):
        client = cast.client(cast.director)
        response = client.post(
            f"/inspections/settings/?community={HOME}",
            {
                "form": "schedule",
                "target": "shop",
                "trades": ["restaurant"],
                "every": "7",
                "unit": "day",
                "active": "on",
            },
        )
        assert response.status_code == 302
        schedule = Schedule.objects.get(community=cast.home)
        assert (schedule.target, schedule.trades, schedule.every, schedule.unit) == ("shop", ["restaurant"], 7, "day")
        assert AuditEvent.objects.filter(action="inspection_schedule.create").count() == 1
        response = client.post(
            f"/inspections/settings/?community={HOME}&schedule={schedule.pk}",
            {"form": "schedule", "target": "shop", "trades": ["restaurant"], "every": "2", "unit": "week"},
        )
        assert response.status_code == 302
        schedule.refresh_from_db()
        assert (schedule.every, schedule.unit, schedule.active) == (2, "week", False)
        page = client.get("/inspections/settings/")
        assert [row.trade for row in page.context["periods"]] == ["", "", ""]  # inactive: no trade period
        client.post(
            f"/inspections/settings/?community={HOME}&schedule={schedule.pk}",
            {
                "form": "schedule",
                "target": "shop",
                "trades": ["restaurant"],
                "every": "2",
                "unit": "week",
                "active": "1",
            },
        )
        page = client.get("/inspections/settings/")
        restaurant = Trade.objects.get(code="restaurant").name
        assert [(row.trade, str(row.period)) for row in page.context["periods"] if row.trade] == [(restaurant, "每2周")]
        assert restaurant in text(page)

    def test_it_shows_the_periods_the_schedules_make(self, cast):
        services.schedule_save(actor=cast.director, community=cast.home, target="compound", every=3, unit="day")
        visits = selectors.visits_of(cast.home, as_of=march(31))
        assert str(next(v for v in visits if v.code == "T-C01").period) == "每3天"
        page = cast.client(cast.director).get("/inspections/settings/")
        compound = page.context["periods"][0]
        assert (compound.target, str(compound.period), compound.default) == ("compound", "每3天", False)

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"target": "compound", "every": "0", "unit": "week"}, "every"),
            ({"target": "compound", "every": "400", "unit": "day"}, "every"),
            ({"target": "compound", "every": "two", "unit": "week"}, "every"),
            ({"target": "compound", "every": "1", "unit": "year"}, "unit"),
            ({"target": "dwelling", "every": "1", "unit": "week"}, "target"),
            ({"target": "shop", "trades": ["casino"], "every": "1", "unit": "week"}, "trades"),
        ],
    )
    def test_it_refuses_a_bad_schedule_in_chinese(self, cast, data, field):
        response = cast.client(cast.director).post(
            f"/inspections/settings/?community={HOME}", {"form": "schedule", **data}
        )
        assert response.status_code == 200
        errors = response.context["schedule_form"].errors
        assert field in errors
        assert any("\u4e00" <= char <= "\u9fff" for char in "".join(errors[field]))
        assert not Schedule.objects.exists()

    def test_it_shows_the_services_refusal_on_the_form(self, cast):
        response = cast.client(cast.director).post(
            f"/inspections/settings/?community={HOME}",
            {"form": "schedule", "target": "compound", "trades": ["restaurant"], "every": "1", "unit": "week"},
        )
        assert response.status_code == 200
        assert response.context["schedule_form"].errors["trades"] == [translation.gettext("Only shops have trades.")]
        assert not Schedule.objects.exists()

    def test_it_lets_the_director_set_the_policy(self, cast):
        client = cast.client(cast.director)
        response = client.post(
            f"/inspections/settings/?community={HOME}",
            {"form": "policy", "relapse_days": "14", "public_ranking": "on", "ranking_size": "3"},
        )
        assert response.status_code == 302
        policy = Policy.objects.get(community=cast.home)
        assert (policy.relapse_days, policy.public_ranking, policy.ranking_size) == (14, True, 3)
        assert "/p/ranking/410105008004/" in text(client.get("/inspections/settings/"))

    @pytest.mark.parametrize(
        "data",
        [
            {"relapse_days": "0", "ranking_size": "5"},
            {"relapse_days": "400", "ranking_size": "5"},
            {"relapse_days": "30", "ranking_size": "51"},
            {"relapse_days": "", "ranking_size": "5"},
        ],
    )
    def test_it_refuses_a_bad_policy_in_chinese(self, cast, data):
        response = cast.client(cast.director).post(
            f"/inspections/settings/?community={HOME}", {"form": "policy", **data}
        )
        assert response.status_code == 200
        errors = " ".join(str(e) for e in response.context["policy_form"].errors.values())
        assert any("\u4e00" <= char <= "\u9fff" for char in errors)
        assert not Policy.objects.exists()

    def test_it_lets_others_read_but_not_change(self, cast):
        for user in (cast.grid_leader, cast.grid_worker, cast.auditor, cast.building_leader):
            client = cast.client(user)
            page = client.get("/inspections/settings/", {"community": HOME})
            assert page.status_code == 200
            assert page.context["may_edit"] is False
            assert 'name="form"' not in text(page)
            response = client.post(
                f"/inspections/settings/?community={HOME}",
                {"form": "schedule", "target": "compound", "every": "1", "unit": "day", "active": "on"},
            )
            assert response.status_code == 403
            response = client.post(
                f"/inspections/settings/?community={HOME}",
                {"form": "policy", "relapse_days": "10", "public_ranking": "on", "ranking_size": "5"},
            )
            assert response.status_code == 403
        assert not Schedule.objects.exists()
        assert not Policy.objects.exists()

    def test_it_keeps_an_outsider_and_anonymous_visitors_out(self, cast):
        data = {"form": "policy", "relapse_days": "10", "public_ranking": "on", "ranking_size": "5"}
        assert cast.client(cast.outsider).post(f"/inspections/settings/?community={HOME}", data).status_code == 404
        assert cast.client(None).post(f"/inspections/settings/?community={HOME}", data).status_code == 302
        assert cast.client(cast.resident).post(f"/inspections/settings/?community={HOME}", data).status_code == 403
        assert not Policy.objects.filter(community=cast.home).exists()

    def test_it_refuses_an_unknown_form_and_a_schedule_of_another_community(self, cast):
        client = cast.client(cast.director)
        assert client.post(f"/inspections/settings/?community={HOME}", {"form": "other"}).status_code == 400
        theirs = services.schedule_save(actor=None, community=cast.next_door, target="compound", every=1, unit="day")
        response = client.post(
            f"/inspections/settings/?community={HOME}&schedule={theirs.pk}",
            {"form": "schedule", "target": "compound", "every": "9", "unit": "day", "active": "on"},
        )
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.every == 1


def publish(cast, size: int = 5) -> None:
    services.policy_update(actor=None, community=cast.home, public_ranking=True, ranking_size=size)


def recent_history(cast) -> dict[str, Any]:
    """Inspections of the last thirty days: two shops and two compounds, and a third shop of grid 2."""
    today = timezone.localdate()
    third = territory_services.shop_create(
        actor=None,
        code="T-S003",
        name="测试便利店",
        trade=Trade.objects.get(code="grocery"),
        area=cast.grid2,
        address="文化路3号",
        contact_name="甄联系",
        contact_phone="13900001111",
    )
    inspect(cast, cast.shop1, today - datetime.timedelta(days=20))  # 100.0
    inspect(cast, cast.shop2, today - datetime.timedelta(days=10), fails=("MF01",))  # 90.9, passed
    inspect(cast, third, today - datetime.timedelta(days=5), fails=("MD05", "MD02"))  # 70.0, failed
    inspect(cast, cast.compound1, today - datetime.timedelta(days=3), fails=("HY09",))  # 85.0, failed (critical)
    inspect(cast, cast.compound2, today - datetime.timedelta(days=40), fails=("HY09",))  # outside the 30 days
    inspect(cast, cast.compound2, today - datetime.timedelta(days=2))  # 100.0
    inspect(cast, cast.next_shop, today - datetime.timedelta(days=4), fails=("MD05",), actor=cast.outsider)  # next door
    return {"third": third}


class PublicRankingTests:
    def test_it_is_not_there_until_the_community_publishes_it(self, cast):
        recent_history(cast)
        assert cast.client(None).get(f"/p/ranking/{HOME}/").status_code == 404
        services.policy_update(actor=None, community=cast.home, ranking_size=3)
        assert cast.client(None).get(f"/p/ranking/{HOME}/").status_code == 404
        assert cast.client(None).get("/p/ranking/410105008/").status_code == 404  # a subdistrict
        assert cast.client(None).get("/p/ranking/nothing/").status_code == 404

    def test_it_shows_the_red_and_black_lists_to_anyone(self, cast):
        recent_history(cast)
        publish(cast)
        response = cast.client(None).get(f"/p/ranking/{HOME}/")
        assert response.status_code == 200
        lists = {entry.target: entry for _label, entry in response.context["lists"]}
        shops = lists["shop"]
        # Three shops: the red list takes at most the better half (two) of those that passed every inspection and
        # have no open rectification case (测试理发店 passed, but the item it failed is not rectified yet: case E);
        # the black list those that failed one.
        assert [(str(s.place), str(s.average)) for s in shops.red] == [("测试面馆", "100.0")]
        assert [(str(s.place), str(s.average), s.failed_items) for s in shops.black] == [("测试便利店", "70.0", 2)]
        compounds = lists["compound"]
        assert [str(s.place) for s in compounds.red] == ["测试二号院"]
        assert [(str(s.place), s.failed_items) for s in compounds.black] == [("测试一号院", 1)]
        content = text(response)
        for name in ("测试面馆", "测试便利店", "第二网格", "70.0"):
            assert name in content

    def test_it_shows_no_personal_data(self, cast):
        recent_history(cast)
        publish(cast)
        content = text(cast.client(None).get(f"/p/ranking/{HOME}/"))
        for private in ("甄测试", "13800001234", "甄联系", "13900001111", "主任甲", "网格员丙", "91410105TEST00001"):
            assert private not in content
        assert "sign out" not in content.lower() and "退出" not in content

    def test_it_leaves_a_place_with_an_open_rectification_off_the_red_list(self, cast):
        recent_history(cast)
        publish(cast)
        client = cast.client(None)
        content = text(client.get(f"/p/ranking/{HOME}/"))
        assert "期间每次巡查都合格、且没有未办结整改案件的场所" in content
        assert "测试理发店" not in content  # passed, but case E (MF01) is open
        # Found fixed on a re-inspection, 测试理发店 joins the red list (three shops: at most two on it).
        inspect(cast, cast.shop2, timezone.localdate() - datetime.timedelta(days=1))
        lists = {e.target: e for _l, e in client.get(f"/p/ranking/{HOME}/").context["lists"]}
        assert [str(s.place) for s in lists["shop"].red] == ["测试面馆", "测试理发店"]

    def test_it_says_so_outside_the_list_when_a_list_is_empty(self, cast):
        publish(cast)
        content = text(cast.client(None).get(f"/p/ranking/{HOME}/"))
        assert content.count("暂无上榜场所。") == 4
        assert "<ol " not in content and "<li " not in content

    def test_it_offers_the_office_phone_to_tap(self, cast):
        publish(cast)
        cast.home.office_phone = "0371 6000 0000"
        cast.home.save()
        content = text(cast.client(None).get(f"/p/ranking/{HOME}/"))
        assert 'href="tel:037160000000"' in content and "0371 6000 0000" in content

    def test_it_may_be_kept_by_shared_caches(self, cast):
        recent_history(cast)
        publish(cast)
        response = cast.client(None).get(f"/p/ranking/{HOME}/")
        assert response["Cache-Control"] == "public, max-age=300"
        assert not response.cookies
        assert "csrfmiddlewaretoken" not in text(response)
        assert "cases/public_base.html" in [template.name for template in response.templates]

    def test_it_keeps_a_signed_in_visitors_messages_for_their_office_pages(self, cast):
        publish(cast)
        client = cast.client(cast.director)
        client.post(
            f"/inspections/settings/?community={HOME}",
            {"form": "policy", "relapse_days": "30", "public_ranking": "on", "ranking_size": "5"},
        )
        public = client.get(f"/p/ranking/{HOME}/")
        assert "巡查规则已保存" not in text(public)
        assert not public.cookies
        assert "巡查规则已保存" in text(client.get("/inspections/settings/"))

    def test_it_keeps_each_list_to_the_size_set(self, cast):
        recent_history(cast)
        publish(cast, size=1)
        lists = {e.target: e for _l, e in cast.client(None).get(f"/p/ranking/{HOME}/").context["lists"]}
        assert [str(s.place) for s in lists["shop"].red] == ["测试面馆"]
        assert [str(s.place) for s in lists["shop"].black] == ["测试便利店"]

    def test_it_leaves_out_closed_shops_and_other_communities(self, cast):
        extra = recent_history(cast)
        territory_services.shop_update(actor=None, shop=extra["third"], status="closed")
        publish(cast)
        lists = {e.target: e for _l, e in cast.client(None).get(f"/p/ranking/{HOME}/").context["lists"]}
        assert lists["shop"].black == []
        assert "邻里超市" not in text(cast.client(None).get(f"/p/ranking/{HOME}/"))
        services.policy_update(actor=None, community=cast.next_door, public_ranking=True)
        # 邻里超市's failed item (an open case) keeps it off the red list until a re-inspection finds it fixed.
        assert "邻里超市" not in text(cast.client(None).get(f"/p/ranking/{NEXT_DOOR}/"))
        inspect(cast, cast.next_shop, timezone.localdate() - datetime.timedelta(days=1), actor=cast.outsider)
        theirs = cast.client(None).get(f"/p/ranking/{NEXT_DOOR}/")
        assert "邻里超市" in text(theirs)
        assert "测试面馆" not in text(theirs)


# Query counts


def grow(cast, base: datetime.date, n: int) -> None:
    """`n` more compounds and shops in grid 1, each with a failure, its fix and a relapse from `base` on."""
    for i in range(n):
        compound = territory_services.compound_create(
            actor=None, code=f"G-C{base:%m%d}{i}", name=f"新增院{i}", area=cast.grid1, management="none"
        )
        shop = territory_services.shop_create(
            actor=None,
            code=f"G-S{base:%m%d}{i}",
            name=f"新增店{i}",
            trade=Trade.objects.get(code="salon"),
            area=cast.grid1,
            address=f"俭学街{10 + i}号",
        )
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=compound)
        inspect(cast, compound, base + datetime.timedelta(days=1), fails=("HY04",))
        inspect(cast, compound, base + datetime.timedelta(days=3))
        inspect(cast, compound, base + datetime.timedelta(days=5), fails=("HY04",))
        inspect(cast, shop, base + datetime.timedelta(days=2), fails=("MF01",))


def measured(month: datetime.date) -> list[str]:
    day = f"{month:%Y-%m}"
    return [
        f"/inspections/report/?month={day}",
        f"/inspections/report/?month={day}&grid={GRID1}&show=findings",
        f"/inspections/report/?month={day}&grid={GRID1}&show=still_open",
        f"/inspections/report/?month={day}&show=overdue",
        "/inspections/overdue/",
        "/inspections/overdue/?kind=compound",
        f"/inspections/relapses/?from={month}&to={month + datetime.timedelta(days=27)}",
        f"/inspections/rankings/?kind=compound&from={month}&to={month + datetime.timedelta(days=27)}",
        f"/inspections/rankings/?kind=shop&from={month}&to={month + datetime.timedelta(days=27)}",
        "/inspections/map/data.geojson",
        "/inspections/settings/",
    ]


class QueryCountTests:
    def test_it_uses_as_many_queries_for_many_places_as_for_few(self, cast):
        # Within the last two months, so that every visit's due date lies inside the calendar window visits_of reads.
        month = selectors.month_of(selectors.month_of(timezone.localdate()) - datetime.timedelta(days=1))
        client = cast.client(cast.director)
        grow(cast, month, 1)
        few = query_counts(client, measured(month))
        grow(cast, month + datetime.timedelta(days=7), 4)
        many = query_counts(client, measured(month))
        assert many == few

    def test_it_serves_the_public_list_in_a_few_queries(self, cast):
        recent_history(cast)
        publish(cast)
        client = cast.client(None)
        client.get(f"/p/ranking/{HOME}/")
        with CaptureQueriesContext(connection) as few:
            client.get(f"/p/ranking/{HOME}/")
        grow(cast, timezone.localdate() - datetime.timedelta(days=20), 3)
        with CaptureQueriesContext(connection) as many:
            client.get(f"/p/ranking/{HOME}/")
        assert len(many) == len(few) <= 10


class RectificationCountTests:
    def test_it_counts_a_case_closed_later_as_open_at_the_month_end(self, cast):
        history(cast)
        shop_case = Case.objects.get(shop=cast.shop1)
        assert shop_case.state == State.CLOSED
        assert timezone.localdate(shop_case.closed_at) == datetime.date(2014, 4, 2)
        report = selectors.month_report(cast.director, cast.home, month=march(1), today=datetime.date(2026, 1, 1))
        assert row_of(report, GRID1).still_open == 2
