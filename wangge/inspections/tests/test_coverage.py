"""无死角 in the foundation's coverage report: places overdue for a visit, per grid, on the page, the API and Excel."""

import datetime
import io

import openpyxl
from django.utils import timezone

from wangge.inspections import services
from wangge.inspections.models import Checklist, Result


def inspect_all_passing(cast, place, code: str, days_ago: int):
    """An inspection of `place` `days_ago` days back in which every item passes."""
    checklist = Checklist.objects.get(code=code, status="published")
    answers = {item.code: services.Answer(Result.PASS) for item in services.items_for(checklist, place)}
    return services.inspection_record(
        actor=cast.director,
        checklist=checklist,
        place=place,
        answers=answers,
        inspected_at=timezone.now() - datetime.timedelta(days=days_ago),
        now=timezone.now() - datetime.timedelta(days=days_ago),  # entered at the time
    )


class CoverageVisitsTests:
    def test_it_lists_never_visited_places_per_grid_on_the_page(self, cast):
        inspect_all_passing(cast, cast.shop1, "shop-standards", days_ago=1)
        response = cast.client(cast.director).get("/coverage/")
        report = {entry.grid.code: entry for entry in response.context["report"]}
        grid1 = [visit.code for visit in report[cast.grid1.code].gaps["visit"]]
        grid2 = [visit.code for visit in report[cast.grid2.code].gaps["visit"]]
        # shop1 was visited yesterday; shops are due every 14 days by default.
        assert grid1 == ["T-C01"]
        assert sorted(grid2) == ["T-C02", "T-O1", "T-S002"]
        assert "从未巡查" in response.content.decode()
        assert "4 处场所未按期巡查" in response.content.decode()

    def test_it_lists_a_place_again_once_its_period_has_passed(self, cast):
        # Compounds are due every calendar week: a visit 20 days ago is overdue whatever today's weekday.
        inspect_all_passing(cast, cast.compound1, "compound-sanitation", days_ago=20)
        report = cast.client(cast.director).get("/coverage/").context["report"]
        grid1 = next(entry for entry in report if entry.grid == cast.grid1)
        [visit] = [v for v in grid1.gaps["visit"] if v.code == "T-C01"]
        assert visit.days_since == 20
        assert visit.overdue and not visit.never

    def test_it_shows_nothing_of_another_community(self, cast):
        report = cast.client(cast.outsider).get("/coverage/").context["report"]
        codes = {visit.code for entry in report for visit in entry.gaps.get("visit", [])}
        assert codes == {"N-C01", "N-S001"}

    def test_it_gives_the_gaps_in_the_api(self, cast):
        inspect_all_passing(cast, cast.shop2, "shop-standards", days_ago=2)
        rows = {row["grid"]: row for row in cast.client(cast.director).get("/api/v1/coverage/").json()}
        assert sorted(rows[cast.grid2.code]["gaps"]["visit"]) == ["T-C02", "T-O1"]
        assert rows[cast.grid1.code]["gaps"]["visit"] == ["T-C01", "T-S001"]

    def test_it_exports_the_overdue_visits(self, cast):
        inspect_all_passing(cast, cast.office, "office-building", days_ago=3)
        response = cast.client(cast.director).get("/coverage.xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        visits = workbook.worksheets[2]
        codes = {row[2] for row in list(visits.iter_rows(values_only=True))[1:]}
        assert codes == {"T-C01", "T-C02", "T-S001", "T-S002"}
