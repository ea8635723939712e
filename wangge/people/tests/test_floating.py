"""The floating population: registrations due, permits expiring and expired, the monthly figures, and the pages."""

import datetime
import io
import itertools

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wangge.core.models import AuditEvent
from wangge.people import floating, services
from wangge.people.floating import Stage
from wangge.people.models import Resident, ResidentStatus
from wangge.territory import services as territory_services

D = datetime.date
TODAY = D(2025, 6, 15)
_numbers = itertools.count(1)


def resident(
    dwelling,
    name: str,
    *,
    residence: str = "floating",
    moved_in_on: datetime.date | None = None,
    phone: str = "",
) -> Resident:
    """A resident through the service, with a passport so no ID-card checksum is needed."""
    return services.resident_create(
        actor=None,
        name=name,
        sex="female",
        birth_date=D(1990, 5, 1),
        id_type="passport",
        id_number=f"E{next(_numbers):08d}",
        phone=phone,
        residence=residence,
        dwelling=dwelling,
        moved_in_on=moved_in_on,
    )


def register(person: Resident, on: datetime.date, expires: datetime.date | None = None, permit: str = ""):
    return services.registration_create(
        actor=None, resident=person, registered_on=on, expires_on=expires, permit_number=permit
    )


@pytest.fixture
def grid2_dwelling(cast):
    return territory_services.dwelling_create(actor=None, building=cast.office, number="301")


def names(entry, stage: str) -> list[str]:
    return [row.name for row in getattr(entry, stage)]


@pytest.fixture
def lists(cast, grid2_dwelling):
    """A hand-built register seen on 2025-06-15 (due after 30 days, notice 30 days ahead)."""
    home = cast.dwellings[0]
    resident(home, "早来甲", moved_in_on=D(2025, 4, 1), phone="13812345678")  # due: 75 days, no registration
    resident(home, "新来乙", moved_in_on=D(2025, 6, 1))  # 14 days: not yet due
    resident(home, "常住丙", residence="permanent")  # no moved-in date: due
    resident(home, "户籍丁", residence="registered", moved_in_on=D(2000, 1, 1))  # never
    register(resident(home, "将到期戊", moved_in_on=D(2024, 6, 1)), D(2024, 7, 1), D(2025, 7, 10))
    register(resident(home, "今天到期己", moved_in_on=D(2024, 6, 1)), D(2024, 6, 2), TODAY)
    register(resident(home, "昨天到期庚", moved_in_on=D(2024, 6, 1)), D(2024, 6, 2), D(2025, 6, 14))
    renewed = resident(home, "已续签辛", moved_in_on=D(2023, 1, 1))
    register(renewed, D(2023, 1, 2), D(2024, 12, 31))
    register(renewed, D(2025, 1, 5), D(2026, 1, 5))
    gone = resident(home, "已迁出壬", moved_in_on=D(2023, 1, 1))
    register(gone, D(2023, 1, 2), D(2024, 1, 2))
    services.resident_archive(actor=None, resident=gone, status=ResidentStatus.MOVED_OUT, on=D(2025, 3, 1))
    resident(grid2_dwelling, "二网格癸", moved_in_on=D(2025, 1, 1))
    # Next door: never in the home community's lists.
    next_building = territory_services.building_create(
        actor=None, code="N-C01-B1", name="邻一号楼", compound=cast.next_compound
    )
    next_dwelling = territory_services.dwelling_create(actor=None, building=next_building, number="101")
    resident(next_dwelling, "邻居子", moved_in_on=D(2025, 1, 1))
    return cast


class StageTests:
    def test_it_lists_due_expiring_and_expired_residents_per_grid(self, lists):
        grid1, grid2 = floating.floating_lists(lists.director, today=TODAY)
        assert (grid1.grid, grid2.grid) == (lists.grid1, lists.grid2)
        assert names(grid1, Stage.DUE) == ["常住丙", "早来甲"]
        assert names(grid1, Stage.EXPIRING) == ["今天到期己", "将到期戊"]
        assert names(grid1, Stage.EXPIRED) == ["昨天到期庚"]
        assert names(grid2, Stage.DUE) == ["二网格癸"]
        assert grid2.expiring == grid2.expired == []

    def test_it_counts_the_due_period_from_the_moved_in_date(self, lists, settings):
        settings.REGISTRATION_DUE_DAYS = 10
        grid1 = floating.floating_lists(lists.director, today=TODAY)[0]
        assert "新来乙" in names(grid1, Stage.DUE)

    def test_it_shows_the_phone_masked_and_the_dates(self, lists):
        grid1 = floating.floating_lists(lists.director, today=TODAY)[0]
        early = grid1.due[1]
        assert (early.phone, early.moved_in_on, early.registered_on) == ("138****5678", D(2025, 4, 1), None)
        assert early.dwelling == str(lists.dwellings[0])
        soon = grid1.expiring[1]
        assert (soon.registered_on, soon.expires_on) == (D(2024, 7, 1), D(2025, 7, 10))

    def test_it_follows_the_days_across_a_month_end(self, lists):
        # 2025-07-01: the June permit has expired, the July one comes within the notice period.
        grid1 = floating.floating_lists(lists.director, today=D(2025, 7, 1))[0]
        assert set(names(grid1, Stage.EXPIRED)) == {"今天到期己", "昨天到期庚"}
        assert names(grid1, Stage.EXPIRING) == ["将到期戊"]
        grid1 = floating.floating_lists(lists.director, today=D(2025, 7, 11))[0]
        assert set(names(grid1, Stage.EXPIRED)) == {"今天到期己", "昨天到期庚", "将到期戊"}

    def test_it_keeps_a_grid_leader_to_their_grid(self, lists):
        report = floating.floating_lists(lists.grid_leader, today=TODAY)
        assert [entry.grid for entry in report] == [lists.grid1]

    def test_it_shows_a_building_leader_nothing(self, lists):
        assert floating.floating_lists(lists.building_leader, today=TODAY) == []
        assert not floating.may_see(lists.building_leader)

    def test_it_shows_an_outsider_only_their_community(self, lists):
        (entry,) = floating.floating_lists(lists.outsider, today=TODAY)
        assert entry.grid == lists.next_grid
        assert names(entry, Stage.DUE) == ["邻居子"]

    def test_it_reads_the_lists_in_a_fixed_number_of_queries(self, lists, django_assert_max_num_queries):
        for i in range(10):
            register(resident(lists.dwellings[1], f"批量{i}", moved_in_on=D(2024, 1, 1)), D(2024, 1, 2), D(2025, 6, 1))
        with django_assert_max_num_queries(6):
            report = floating.floating_lists(lists.director, today=TODAY)
        assert len(report[0].expired) == 11


@pytest.fixture
def history(cast, grid2_dwelling):
    """Residents coming, registering, renewing, expiring and leaving across the month ends of 2025."""
    home = cast.dwellings[0]
    r1 = resident(home, "甲", moved_in_on=D(2025, 1, 20))
    register(r1, D(2025, 1, 25), D(2025, 3, 31))
    register(r1, D(2025, 4, 10), D(2026, 4, 10))
    r2 = resident(home, "乙", moved_in_on=D(2024, 11, 1))
    register(r2, D(2024, 11, 5), D(2025, 2, 27))
    r3 = resident(home, "丙", moved_in_on=D(2025, 2, 10))
    services.resident_archive(actor=None, resident=r3, status=ResidentStatus.MOVED_OUT, on=D(2025, 4, 30))
    r4 = resident(home, "丁", residence="permanent", moved_in_on=D(2024, 1, 1))
    register(r4, D(2024, 1, 2), D(2025, 1, 15))
    resident(grid2_dwelling, "戊", moved_in_on=D(2025, 5, 5))
    return cast


def column(row, name: str) -> list:
    return [getattr(entry, name) for entry in row.months]


class MonthlyTests:
    def test_it_counts_each_month_of_each_grid(self, history):
        grid1, grid2 = floating.monthly_figures(history.director, year=2025, today=TODAY)
        later = [None] * 6  # July to December have not begun on 2025-06-15
        assert column(grid1, "floating") == [2, 3, 3, 2, 2, 2, *later]
        assert column(grid1, "registered") == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
        assert column(grid1, "expiring") == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        # 乙's permit ended 02-27, so it counts at the end of February; 甲's ends 03-31, not yet expired that day.
        assert column(grid1, "expired") == [1, 2, 2, 2, 2, 2, *later]
        assert column(grid2, "floating") == [0, 0, 0, 0, 1, 1, *later]
        assert column(grid2, "expired") == [0, 0, 0, 0, 0, 0, *later]

    def test_it_agrees_with_the_lists_for_the_current_month(self, history):
        grid1 = floating.monthly_figures(history.director, year=2025, today=TODAY)[0]
        lists = floating.floating_lists(history.director, today=TODAY)[0]
        assert grid1.months[5].expired == len(lists.expired) == 2

    def test_it_counts_a_past_year_to_its_end(self, history):
        grid1 = floating.monthly_figures(history.director, year=2024, today=TODAY)[0]
        assert column(grid1, "floating") == [0] * 10 + [1, 1]
        assert column(grid1, "expiring") == [0] * 12
        assert column(grid1, "registered")[0] == 1 and column(grid1, "registered")[10] == 1

    def test_it_sums_the_grids(self, history):
        rows = floating.monthly_figures(history.director, year=2025, today=TODAY)
        total = floating.monthly_total(rows)
        assert column(total, "floating")[:6] == [2, 3, 3, 2, 3, 3]
        assert column(total, "floating")[6:] == [None] * 6

    def test_it_keeps_a_grid_leader_to_their_grid(self, history):
        (row,) = floating.monthly_figures(history.grid_leader, year=2025, today=TODAY)
        assert row.grid == history.grid1

    def test_it_reads_the_year_in_a_fixed_number_of_queries(self, history, django_assert_max_num_queries):
        for i in range(15):
            register(
                resident(history.dwellings[1], f"批量{i}", moved_in_on=D(2024, 1, 1)), D(2025, 2, 1), D(2025, 5, 1)
            )
        with django_assert_max_num_queries(5):
            rows = floating.monthly_figures(history.director, year=2025, today=TODAY)
        assert rows[0].months[1].registered == 15


class IndexPageTests:
    url = reverse("floating:index")

    def test_it_shows_the_lists_to_a_grid_worker(self, lists):
        response = lists.client(lists.grid_worker).get(self.url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "早来甲" in body and "138****5678" in body and "13812345678" not in body
        assert "二网格癸" not in body and "邻居子" not in body

    def test_it_filters_by_grid(self, lists):
        response = lists.client(lists.director).get(self.url, {"grid": lists.grid2.code})
        body = response.content.decode()
        assert response.status_code == 200
        assert "二网格癸" in body and "早来甲" not in body

    def test_it_answers_404_for_a_grid_out_of_scope(self, lists):
        assert lists.client(lists.outsider).get(self.url, {"grid": lists.grid1.code}).status_code == 404
        assert lists.client(lists.grid_leader).get(self.url, {"grid": lists.grid2.code}).status_code == 404
        assert lists.client(lists.director).get(self.url, {"grid": "nonsense"}).status_code == 404

    def test_it_shows_an_outsider_only_their_own(self, lists):
        body = lists.client(lists.outsider).get(self.url).content.decode()
        assert "邻居子" in body and "早来甲" not in body

    def test_it_refuses_a_building_leader_and_a_resident(self, lists):
        assert lists.client(lists.building_leader).get(self.url).status_code == 403
        assert lists.client(lists.resident).get(self.url).status_code == 403

    def test_it_sends_anonymous_visitors_to_sign_in(self, lists):
        response = lists.client(None).get(self.url)
        assert response.status_code == 302 and "login" in response["Location"]


class MonthlyPageTests:
    url = reverse("floating:monthly")

    def test_it_shows_the_table_to_an_auditor(self, history):
        response = history.client(history.auditor).get(self.url, {"year": "2025"})
        assert response.status_code == 200
        assert "2025-12" in response.content.decode()

    def test_it_exports_excel_audited(self, history):
        response = history.client(history.grid_leader).get(self.url, {"year": "2025", "format": "xlsx"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][:3] == (history.grid1.code, history.grid1.name, "2025-01")
        assert len(rows) == 1 + 12 * 2  # grid 001 and the total
        event = AuditEvent.objects.get(action="export.floating_monthly")
        assert (event.actor, event.area_path, event.after["year"]) == (history.grid_leader, history.grid1.path, 2025)

    def test_it_refuses_the_export_without_the_export_right(self, history):
        client = history.client(history.grid_worker)
        assert client.get(self.url, {"year": "2025"}).status_code == 200
        assert client.get(self.url, {"year": "2025", "format": "xlsx"}).status_code == 403
        assert not AuditEvent.objects.filter(action="export.floating_monthly").exists()

    def test_it_answers_404_out_of_scope_and_for_a_nonsense_year(self, history):
        client = history.client(history.outsider)
        assert client.get(self.url, {"grid": history.grid1.code, "format": "xlsx"}).status_code == 404
        assert history.client(history.director).get(self.url, {"year": "20x5"}).status_code == 404

    def test_it_refuses_a_building_leader_and_sends_anonymous_visitors_to_sign_in(self, history):
        assert history.client(history.building_leader).get(self.url).status_code == 403
        assert history.client(None).get(self.url).status_code == 302
