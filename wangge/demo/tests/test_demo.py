"""The demo community matches the reference scenario, builds once, and is usable as a cast of logins.

The demo is built once for the whole module (about 3,500 rows through the services) inside a transaction
that is rolled back at the end; each test runs in a savepoint within it.
"""

import datetime
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image
from shapely.geometry import Point, shape

from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.campaigns import selectors as campaign_selectors
from wangge.campaigns.models import (
    Campaign,
    CampaignStatus,
    Evidence,
    EvidenceKind,
    Indicator,
    IndicatorAssignment,
    Level,
    Method,
    Scoring,
    TaskStatus,
)
from wangge.cases.metrics import case_metrics
from wangge.cases.models import OPEN_STATES, Case, CaseEvent, Source, State
from wangge.core.calendar import is_working_day
from wangge.core.models import AuditEvent
from wangge.core.validators import validate_id_number
from wangge.demo import builder
from wangge.demo import campaigns as demo_campaigns
from wangge.demo import people as demo_people
from wangge.demo.builder import DemoSummary, build_demo
from wangge.demo.history import END, START
from wangge.demo.inspections import (
    LATE_DAYS,
    LATE_PLACES,
    NOT_VISITED_IN_OCTOBER,
    NOT_VISITED_RECENTLY,
    RECENT_DAYS,
    RELAPSE_ITEMS,
    _Patrolling,
    recent_patrols,
)
from wangge.demo.management.commands.demo import browser_url
from wangge.demo.people import residential_dwellings
from wangge.demo.scenario import JIANXUEJIE
from wangge.inspections import selectors as inspection_selectors
from wangge.inspections.models import Finding, Inspection, Result, Target, Unit
from wangge.inspections.schedules import Period, ScheduleBook
from wangge.people import tags as care_tags
from wangge.people.models import Household, Residence, ResidenceRegistration, Resident, ResidentStatus
from wangge.territory import geo, selectors
from wangge.territory.models import (
    Area,
    AreaKind,
    Assignment,
    Building,
    BuildingKind,
    Compound,
    Dwelling,
    LeadershipGroup,
    PartnerUnit,
    Shop,
)

CLEAR_ID = re.compile(r"(?<!\d)\d{17}[\dX](?![\dA-F])")
CLEAR_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

# Built once per run: every test of the whole demo is here, and on one xdist worker (make test: --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.xdist_group("demo")]

PASSWORD = "demo-test-pass"
# Argon2 costs about half a second per account; the hasher is not what these tests are about.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[DemoSummary, str]]:
    """The demo, built once for this module and rolled back afterwards (its photos in a temporary folder), with
    what the build printed. Every test of the whole demo lives in this module, so it is built once per run."""
    media = tmp_path_factory.mktemp("media")
    output = StringIO()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=media):
        with transaction.atomic():
            yield build_demo(password=PASSWORD, stdout=output), output.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def demo(built: tuple[DemoSummary, str]) -> DemoSummary:
    return built[0]


@pytest.fixture
def demo_output(built: tuple[DemoSummary, str]) -> str:
    return built[1]


@pytest.fixture
def community(demo: DemoSummary) -> Area:
    return Area.objects.get(code=JIANXUEJIE.code)


def under(community: Area) -> dict[str, str]:
    return {"area_path__startswith": community.path}


class ScenarioTests:
    def test_it_has_the_places_the_report_counts(self, community: Area) -> None:
        counts = JIANXUEJIE.counts
        assert Compound.objects.filter(**under(community)).count() == counts.residential_compounds == 20
        assert Building.objects.filter(kind=BuildingKind.OFFICE, **under(community)).count() == 3
        assert Shop.objects.filter(**under(community)).count() == counts.street_shops == 160
        assert PartnerUnit.objects.filter(**under(community)).count() == counts.partner_units == 7

    def test_it_has_about_3200_dwellings(self, community: Area) -> None:
        dwellings = Dwelling.objects.filter(**under(community)).count()
        assert abs(dwellings - JIANXUEJIE.population.households) <= 0.05 * JIANXUEJIE.population.households

    def test_it_gives_the_community_its_declared_figures(self, community: Area) -> None:
        assert community.name == "俭学街社区"
        assert community.parent.code == "410105008" and community.parent.name == "文化路街道"
        assert community.parent.parent.code == "410105" and community.parent.parent.name == "金水区"
        assert float(community.area_km2) == 0.36
        assert (community.population, community.floating_population) == (9000, 2250)

    def test_it_cuts_the_community_into_eight_grids_without_gaps_or_overlaps(self, community: Area) -> None:
        grids = list(community.children.filter(kind=AreaKind.GRID).order_by("code"))
        assert [g.code for g in grids] == [f"410105008004{n:03d}" for n in range(1, 9)]
        result = geo.check_grids(shape(community.boundary), {g.name: shape(g.boundary) for g in grids})
        assert result.errors == []
        assert result.gap_m2 == 0.0

    def test_it_numbers_the_grids_west_to_east_then_north_to_south(self, community: Area) -> None:
        bbox = JIANXUEJIE.bbox
        bounds = {g.code[-3:]: shape(g.boundary).bounds for g in community.children.all()}  # (w, s, e, n)
        assert (bounds["001"][0], bounds["001"][3]) == (bbox.west, bbox.north)
        assert (bounds["004"][2], bounds["004"][3]) == (bbox.east, bbox.north)
        assert (bounds["005"][0], bounds["005"][1]) == (bbox.west, bbox.south)
        assert bounds["002"][0] == bounds["001"][2]

    def test_it_puts_every_place_inside_its_grid(self, community: Area) -> None:
        grids = {g.pk: shape(g.boundary) for g in community.children.all()}
        places = [
            *Compound.objects.filter(**under(community)),
            *Building.objects.filter(**under(community)),
            *Shop.objects.filter(**under(community)),
        ]
        outside = [p.code for p in places if not grids[p.area_id].contains(Point(p.longitude, p.latitude))]
        assert outside == []

    def test_it_leaves_six_compounds_unmanaged_and_names_the_others_managers(self, community: Area) -> None:
        compounds = Compound.objects.filter(**under(community))
        assert compounds.filter(management="none").count() == 6
        assert not compounds.exclude(management="none").filter(management_name="").exists()

    def test_it_puts_compound_c01_in_grid_001(self, community: Area) -> None:
        assert Compound.objects.get(code="JXJ-C01").area.code == "410105008004001"


class DeterminismTests:
    def test_it_builds_only_once(self, demo: DemoSummary) -> None:
        events = AuditEvent.objects.count()
        again = build_demo(password="another-password")
        assert again.created is False
        assert (again.compounds, again.shops, again.dwellings) == (demo.compounds, demo.shops, demo.dwellings)
        assert AuditEvent.objects.count() == events

    def test_it_draws_the_same_made_up_names_every_time(self, demo: DemoSummary) -> None:
        # Recorded from a build: a change here means the demo's generation changed (and its screenshots).
        shop = Shop.objects.get(code="JXJ-S001")
        assert (shop.name, shop.trade.code, shop.address) == ("金水鞋店", "clothing", "俭学街1号")
        assert User.objects.get(username="director").display_name == "高淑军"
        assert Dwelling.objects.filter(**under(Area.objects.get(code=JIANXUEJIE.code))).count() == 3222


class CoverageTests:
    def test_it_leaves_a_few_places_unassigned_on_purpose(self, community: Area) -> None:
        director = User.objects.get(username="director")
        report = selectors.coverage(director, community=community)
        unassigned = {kind: [p.code for e in report for p in e.unassigned[kind]] for kind in ("compound", "shop")}
        assert sorted(unassigned["compound"]) == sorted(builder.UNASSIGNED_COMPOUNDS)
        assert sorted(unassigned["shop"]) == sorted(builder.UNASSIGNED_SHOPS)
        places = sum(e.place_count for e in report)
        missing = sum(e.unassigned_count for e in report)
        assert 0 < missing < 0.05 * places

    def test_it_reports_the_same_figures_in_the_summary(self, demo: DemoSummary, community: Area) -> None:
        report = selectors.coverage(User.objects.get(username="director"), community=community)
        assert demo.unassigned_places == sum(e.unassigned_count for e in report)
        assert (demo.grids, demo.compounds, demo.office_buildings, demo.shops, demo.partner_units) == (8, 20, 3, 160, 7)


class LoginTests:
    def test_it_lets_every_demo_login_sign_in_with_the_password(self, demo: DemoSummary) -> None:
        usernames = [login.username for login in demo.logins]
        assert usernames == builder.demo_usernames()
        refused = [name for name in usernames if authenticate(username=name, password=PASSWORD) is None]
        assert refused == []

    def test_it_gives_the_fixed_cast_their_roles(self) -> None:
        expected = {
            "director": ("director", "俭学街社区"),
            "gridleader1": ("grid_leader", "第一网格"),
            "gridworker1": ("grid_worker", "第一网格"),
            "buildingleader1": ("building_leader", "俭学街12号院"),
            "auditor": ("auditor", "俭学街社区"),
            "outsider": ("director", "文化路东社区"),
            "subdistrict": ("subdistrict_admin", "文化路街道"),
        }
        for username, (role, scope) in expected.items():
            user = User.objects.get(username=username)
            assert list(user.memberships.values_list("role", "scope_name")) == [(role, scope)], username

    def test_it_keeps_the_outsider_out_of_jianxuejie(self, community: Area) -> None:
        outsider = User.objects.get(username="outsider")
        assert Compound.objects.for_user(outsider).filter(**under(community)).count() == 0
        assert Compound.objects.for_user(outsider).count() == 2
        director = User.objects.get(username="director")
        assert not Shop.objects.for_user(director).filter(code__startswith="WHD-").exists()


class LeadershipTests:
    def test_it_sets_up_a_leadership_group_headed_by_the_director(self, community: Area) -> None:
        group = LeadershipGroup.objects.get(area=community)
        assert group.name == "俭学街社区四城联创工作领导小组" and group.published
        positions = {m.person.username: m.position for m in group.members.select_related("person")}
        assert positions["director"] == "head"
        assert positions["deputy"] == "deputy"

    def test_it_makes_the_grid_leaders_group_leaders(self, community: Area) -> None:
        group = LeadershipGroup.objects.get(area=community)
        assert group.members.filter(position="group_leader").count() == 8


class PersonalDataTests:
    def test_it_stores_shop_contacts_encrypted(self, demo: DemoSummary) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT contact_name, contact_phone FROM territory_shop WHERE code LIKE %s", ["JXJ-%"])
            rows = cursor.fetchall()
        assert len(rows) == 160
        for name, phone in rows:
            assert name.startswith("v1:") and phone.startswith("v1:")
            assert builder.PHONE_BLOCK not in phone
        assert Shop.objects.get(code="JXJ-S001").contact_phone.startswith(builder.PHONE_BLOCK)


class CommandTests:
    def test_it_prints_the_logins_and_does_not_serve_with_no_serve(self, demo: DemoSummary) -> None:
        out = StringIO()
        call_command("demo", "--no-serve", stdout=out)
        printed = out.getvalue()
        assert "already there" in printed
        assert "director" in printed and "buildingleader1" in printed
        assert "http://127.0.0.1:8000/" in printed

    @pytest.mark.parametrize(
        ("addrport", "url"),
        [
            ("127.0.0.1:8000", "http://127.0.0.1:8000/"),
            ("8080", "http://127.0.0.1:8080/"),
            ("0.0.0.0:8000", "http://127.0.0.1:8000/"),
            ("[::1]:8000", "http://[::1]:8000/"),
        ],
    )
    def test_it_names_the_page_to_open(self, addrport: str, url: str) -> None:
        assert browser_url(addrport) == url


class CaseHistoryTests:
    """The campaign months of 2014 as cases, so every queue and metric shows something."""

    def test_it_fills_every_campaign_month(self, community: Area) -> None:
        # The recent weeks' rectification cases (the inspection history below) are not the campaign's.
        campaign = Case.objects.filter(reported_at__year=2014)
        months = {row.key: row.reported for row in case_metrics(campaign, by="month")}
        assert set(months) == {"2014-06", "2014-07", "2014-08", "2014-09", "2014-10"}
        assert all(count >= 20 for count in months.values())

    def test_it_shows_the_hard_problems(self, community: Area) -> None:
        cases = Case.objects.filter(area_path__startswith=community.path)
        unmanaged = cases.filter(category__code="C01", compound__management="none").count()
        assert unmanaged >= 20
        # Relapsing shops: some shops have several shop-front cases.
        repeats = cases.filter(category__code="C02").values("shop").annotate(n=Count("id")).filter(n__gte=3)
        assert repeats.count() >= 3

    def test_it_has_cases_in_every_state_a_leader_looks_for(self, community: Area) -> None:
        (total,) = case_metrics(Case.objects.filter(area_path__startswith=community.path))
        assert total.reworked > 0 and total.postponed > 0 and total.overdue_open > 0 and total.ratings > 0
        assert 0.8 < total.rates["closure"] < 1.0
        assert (
            Case.objects.filter(state=State.REJECTED).exists() and Case.objects.filter(state=State.SUSPENDED).exists()
        )

    def test_it_dates_the_timeline_in_the_campaign(self, community: Area) -> None:
        # Rectification cases are the inspection history's: the recent weeks re-inspect what the campaign left open,
        # and their evening sweep flags the campaign's cases still open as overdue, as the daily sweep would.
        events = CaseEvent.objects.exclude(case__source=Source.INSPECTION).exclude(action="overdue")
        first = events.order_by("at").first()
        last = events.order_by("at").last()
        assert first.at.year == 2014 and last.at.year == 2014


# The inspection history of the 2014 campaign and the recent four weeks (wangge.demo.inspections)


def inspections(community: Area):
    return Inspection.objects.filter(area_path__startswith=community.path)


def campaign_inspections(community: Area):
    return inspections(community).filter(inspected_at__lt=day_start(END + datetime.timedelta(days=1)))


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))


class InspectionHistoryTests:
    def test_it_inspects_in_every_month_of_the_campaign(self, community: Area) -> None:
        inspected = campaign_inspections(community).values_list("inspected_at", flat=True)
        months = {local_day(at).month for at in inspected}
        assert months == {6, 7, 8, 9, 10}
        for target in (Target.COMPOUND, Target.SHOP, Target.OFFICE):
            in_october = campaign_inspections(community).filter(target=target, inspected_at__gte=self.start_of(10))
            assert in_october.exists(), target

    def test_it_keeps_to_the_campaign_dates_then_to_the_recent_weeks(self, demo_output: str, community: Area) -> None:
        first, last = (
            campaign_inspections(community).order_by(order).values_list("inspected_at", flat=True).first()
            for order in ("inspected_at", "-inspected_at")
        )
        assert START <= local_day(first) and local_day(last) <= END
        recent = recent_patrols(build_day(demo_output))
        between = inspections(community).filter(
            inspected_at__gte=day_start(END + datetime.timedelta(days=1)), inspected_at__lt=day_start(recent.first)
        )
        assert not between.exists()

    def test_it_sets_the_community_schedules(self, community: Area) -> None:
        book = ScheduleBook.of(community.path)
        assert book.period(Target.COMPOUND) == Period(1, Unit.WEEK)
        assert book.period(Target.SHOP, "restaurant") == book.period(Target.SHOP, "food") == Period(7, Unit.DAY)
        assert book.period(Target.SHOP, "salon") == Period(14, Unit.DAY)
        assert book.period(Target.OFFICE) == Period(1, Unit.MONTH)

    def test_it_visits_every_shop_on_its_period(self, community: Area) -> None:
        book = ScheduleBook.of(community.path)
        shops = Shop.objects.filter(area_path__startswith=community.path).select_related("trade")
        visits: dict[int, list[datetime.date]] = {}
        for shop_id, at in (
            campaign_inspections(community).filter(target=Target.SHOP).values_list("shop", "inspected_at")
        ):
            visits.setdefault(shop_id, []).append(local_day(at))
        assert set(visits) == {shop.pk for shop in shops}
        for shop in shops:
            days = sorted(visits[shop.pk])
            longest = max(b - a for a, b in zip(days, days[1:], strict=False))
            assert longest.days <= book.period(Target.SHOP, shop.trade.code).every, shop.code

    def test_it_fails_unmanaged_compounds_more_often(self, community: Area) -> None:
        rows = inspections(community).filter(target=Target.COMPOUND)
        unmanaged = rows.filter(compound__management="none")
        managed = rows.exclude(compound__management="none")
        rate = {
            name: group.filter(failed_count__gt=0).count() / group.count()
            for name, group in (("unmanaged", unmanaged), ("managed", managed))
        }
        assert rate["unmanaged"] > 2 * rate["managed"] > 0

    def test_it_closes_rectifications_at_the_next_visit(self, community: Area) -> None:
        cases = Case.objects.filter(source=Source.INSPECTION, area_path__startswith=community.path)
        closed = cases.filter(state=State.CLOSED)
        assert closed.count() > 100 and closed.count() > 0.8 * cases.count()
        for case in closed.order_by("pk")[:50]:
            actions = list(case.events.order_by("at", "pk").values_list("action", flat=True))
            assert actions[:3] == ["report", "register", "dispatch"] and actions[-2:] == ["verify", "close"]
            assert "handle" in actions
            verifier = case.events.get(action="verify").actor
            # Verified by the re-inspection that found the item fixed, dated as that visit.
            assert Inspection.objects.filter(inspector=verifier, inspected_at=case.verified_at).exists()
        assert cases.filter(rework_count__gt=0).exists()
        assert CaseEvent.objects.filter(case__in=cases, action="reinspect").exists()

    def test_it_has_shops_that_relapse_within_the_window(self, community: Area) -> None:
        assert inspections(community).aggregate(n=Sum("relapse_count"))["n"] > 0
        relapses = Finding.objects.filter(inspection__area_path__startswith=community.path, relapse_of__isnull=False)
        for finding in relapses.select_related("inspection", "relapse_of"):
            assert finding.result == Result.FAIL
            gap = finding.inspection.inspected_at - finding.relapse_of.verified_at
            assert datetime.timedelta(0) < gap <= datetime.timedelta(days=30)
        shops = (
            relapses.filter(inspection__shop__isnull=False, item_code__in=RELAPSE_ITEMS)
            .values("inspection__shop")
            .annotate(n=Count("id"))
        )
        assert len(shops) >= 6
        assert relapses.filter(inspection__compound__isnull=False).exists()

    def test_it_leaves_compounds_unvisited_in_october(self, community: Area) -> None:
        visits = inspection_selectors.visits_of(community, as_of=END)
        unvisited = {v.code for v in visits if v.target == Target.COMPOUND and (v.last is None or v.last.month < 10)}
        assert unvisited == set(NOT_VISITED_IN_OCTOBER)
        overdue = {v.code for v in visits if v.overdue}
        assert set(NOT_VISITED_IN_OCTOBER) <= overdue
        # Their responsible persons were reminded on the last morning of the campaign.
        for code in NOT_VISITED_IN_OCTOBER:
            compound = Compound.objects.get(code=code)
            person = compound.assignments.get(active=True).person
            assert person.notifications.filter(event="inspection.overdue", body__contains=compound.name).exists()

    def test_it_reports_what_it_made(self, demo_output: str, community: Area) -> None:
        (line,) = [line for line in demo_output.splitlines() if "inspections of the campaign months" in line]
        assert line.startswith(f"{campaign_inspections(community).count()} inspections")
        relapses = campaign_inspections(community).aggregate(n=Sum("relapse_count"))["n"]
        assert f"{relapses} relapses" in line

    @staticmethod
    def start_of(month: int) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime(2014, month, 1))


def build_day(demo_output: str) -> datetime.date:
    """The day the demo was built (the recent weeks' summary line says it), which a test run may outlast."""
    (day,) = re.findall(r"inspections of the last four weeks: .*; as of (\d{4}-\d\d-\d\d),", demo_output)
    return datetime.date.fromisoformat(day)


class RecentPatrolsTests:
    """The last four weeks of patrols before the build day, so the pages that judge visits as of today show a
    living office: most places within their period, a few overdue, a few rectifications open."""

    @pytest.fixture
    def today(self, demo_output: str) -> datetime.date:
        return build_day(demo_output)

    def recent(self, community: Area, today: datetime.date):
        return inspections(community).filter(inspected_at__gte=day_start(today - datetime.timedelta(days=RECENT_DAYS)))

    def test_it_inspects_in_the_last_four_weeks_and_not_in_the_future(self, community: Area, today) -> None:
        recent = self.recent(community, today)
        days = {local_day(at) for at in recent.values_list("inspected_at", flat=True)}
        assert recent.count() > 300 and len(days) >= 10
        assert today - datetime.timedelta(days=RECENT_DAYS) <= min(days) and max(days) < today
        # On working days (as in the campaign, a long holiday may see a shop visited on its first day).
        on_working_days = sum(is_working_day(local_day(at)) for at in recent.values_list("inspected_at", flat=True))
        assert on_working_days > 0.85 * recent.count()
        assert not inspections(community).filter(inspected_at__gte=day_start(today)).exists()
        assert not CaseEvent.objects.filter(at__gte=day_start(today)).exists()
        for target in (Target.COMPOUND, Target.SHOP, Target.OFFICE):
            assert recent.filter(target=target).exists(), target

    def test_it_leaves_some_places_overdue_today_but_most_not(self, community: Area, today) -> None:
        visits = inspection_selectors.visits_of(community, as_of=today)
        overdue = {v.code: v for v in visits if v.overdue}
        assert set(NOT_VISITED_RECENTLY) <= set(overdue)
        # A handful of others a few days overdue (LATE_DAYS); in a long holiday due dates run on past it, so then
        # the least overdue the calendar allows.
        late = [v for v in overdue.values() if v.code not in NOT_VISITED_RECENTLY]
        assert len(late) >= LATE_PLACES
        assert all(v.days_overdue <= 21 for v in late)
        assert any(v.days_overdue <= LATE_DAYS[1] for v in late) or not is_working_day(
            today - datetime.timedelta(days=3)
        )
        assert len(overdue) < 0.1 * len(visits)
        # Every place but the unvisited ones was visited in the four weeks.
        start = today - datetime.timedelta(days=RECENT_DAYS)
        unvisited = {v.code for v in visits if v.last is None or v.last < start}
        assert unvisited == set(NOT_VISITED_RECENTLY)

    def test_it_leaves_failed_shops_with_open_rectification_cases(self, community: Area, today) -> None:
        cases = Case.objects.filter(
            source=Source.INSPECTION,
            area_path__startswith=community.path,
            reported_at__gte=day_start(today - datetime.timedelta(days=RECENT_DAYS)),
        )
        open_shops = cases.filter(state__in=OPEN_STATES, shop__isnull=False).values("shop").distinct()
        assert open_shops.count() >= 3
        assert cases.filter(state=State.CLOSED).exists()
        # Shops failed inspections in these weeks (below the pass mark or a critical item failing).
        failed = self.recent(community, today).filter(target=Target.SHOP, passed=False)
        assert failed.exists()

    def test_it_has_a_relapse_in_the_recent_weeks(self, community: Area, today) -> None:
        relapses = Finding.objects.filter(
            inspection__in=self.recent(community, today), relapse_of__isnull=False
        ).select_related("inspection", "relapse_of")
        assert relapses.exists()
        for finding in relapses:
            gap = finding.inspection.inspected_at - finding.relapse_of.verified_at
            assert datetime.timedelta(0) < gap <= datetime.timedelta(days=30)

    def test_it_puts_places_on_both_sides_of_the_red_black_list(self, community: Area, today) -> None:
        since = today - datetime.timedelta(days=29)  # the public list's 30 days
        for target in (Target.SHOP, Target.COMPOUND):
            ranking = inspection_selectors.red_black_list(community, target=target, since=since, until=today, size=5)
            assert ranking.red and ranking.black, target

    def test_it_plans_the_same_weeks_from_its_seed(self, community: Area, today) -> None:
        planned = sorted(at for track in _Patrolling(community, recent_patrols(today)).tracks() for at in track.visits)
        recorded = sorted(self.recent(community, today).values_list("inspected_at", flat=True))
        assert planned == recorded

    def test_it_reports_what_it_made(self, demo_output: str, community: Area, today) -> None:
        (line,) = [line for line in demo_output.splitlines() if "inspections of the last four weeks" in line]
        assert line.startswith(f"{self.recent(community, today).count()} inspections")
        overdue = sum(v.overdue for v in inspection_selectors.visits_of(community, as_of=today))
        assert f"{overdue} places overdue" in line


# The people register at full size (wangge.demo.people)


class FullDemoPeopleTests:
    def test_it_matches_the_reference_proportions(self, demo: DemoSummary) -> None:
        community = Area.objects.get(code=JIANXUEJIE.code)
        living = list(Resident.objects.filter(area_path__startswith=community.path, status=ResidentStatus.LIVING))
        total = len(living)
        floating = sum(r.residence == Residence.FLOATING for r in living)
        permanent = sum(r.residence == Residence.PERMANENT for r in living)
        households = Household.objects.filter(community=community).count()
        assert 8_500 <= total <= 9_500 and demo.residents == total
        assert 0.22 <= floating / total <= 0.28 and demo.floating_residents == floating
        assert 0.06 <= permanent / total <= 0.10
        assert 3_000 <= households <= 3_400 and demo.households == households
        males = sum(r.sex == "male" for r in living)
        assert 0.47 <= males / total <= 0.53
        elderly = sum(r.age() >= 60 for r in living)
        children = sum(r.age() < 14 for r in living)
        assert 0.18 <= elderly / total <= 0.32 and 0.10 <= children / total <= 0.18
        assert Resident.objects.filter(status=ResidentStatus.MOVED_OUT, archived_at__isnull=False).count() >= 10

        everyone = list(Resident.objects.all())
        numbers = [r.id_number for r in everyone]
        assert len(set(numbers)) == len(numbers)
        for resident in everyone:
            assert validate_id_number(resident.id_number) == resident.id_number

        tags = Counter(code for r in living for code in care_tags.unpack(r.tags) + care_tags.unpack(r.sensitive_tags))
        assert set(tags) == set(care_tags.BY_CODE)
        assert 1 <= tags["person_of_concern"] <= 20 and tags["elderly_alone"] >= 150

    def test_it_gives_the_floating_population_pages_content(self, demo: DemoSummary) -> None:
        today = timezone.localdate()
        latest: dict[int, ResidenceRegistration] = {}
        for registration in ResidenceRegistration.objects.order_by("registered_on", "id"):
            latest[registration.resident_id] = registration
        expired = sum(r.expires_on is not None and r.expires_on < today for r in latest.values())
        expiring = sum(
            r.expires_on is not None and today <= r.expires_on <= today + datetime.timedelta(days=30)
            for r in latest.values()
        )
        # Everyone registered elsewhere registers here (居住登记), floating or permanent, children with their family.
        registrable = Resident.objects.filter(
            residence__in=(Residence.FLOATING, Residence.PERMANENT), status=ResidentStatus.LIVING
        )
        due = sum(r.pk not in latest and r.moved_in_on <= today - datetime.timedelta(days=30) for r in registrable)
        assert expired >= 30 and expiring >= 20 and due >= 50
        # Lists an office can work through, not the whole floating population.
        assert expired + expiring + due < 0.25 * registrable.count()
        assert len(latest) > 0.8 * registrable.count()

    def test_it_stores_no_clear_id_number_or_phone(self, demo: DemoSummary) -> None:
        clear = {r.id_number for r in Resident.objects.all()} | {r.phone for r in Resident.objects.all() if r.phone}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {Resident._meta.db_table}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        assert len(rows) > 8_500
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if not isinstance(value, str):
                    continue
                assert value not in clear, column
                # Blind indexes are hex digests, where digits may run on by chance; the rest must hold none.
                if not value.startswith("v1:") and not column.endswith("_index"):
                    assert not CLEAR_ID.search(value) and not CLEAR_MOBILE.search(value), column

    def test_it_draws_the_same_names_on_every_build(self, demo: DemoSummary) -> None:
        community = Area.objects.get(code=JIANXUEJIE.code)
        dwellings = residential_dwellings(community)
        alone = set(
            Assignment.objects.filter(active=True, dwelling__in=dwellings).values_list("dwelling_id", flat=True)
        )
        planned = [
            p.name for plan in demo_people._Planner(demo_people.SEED).plan(dwellings, alone) for p in plan.members
        ]
        built = list(
            Resident.objects.filter(area_path__startswith=community.path).order_by("id").values_list("name", flat=True)
        )
        assert planned == built


# The 2014 campaign (wangge.demo.campaigns)


class CampaignDemoTests:
    """四城联创 2014 as the office ran it: the assessment system, its decomposition, the plan, the ledger."""

    @pytest.fixture
    def campaign(self, community: Area) -> Campaign:
        return Campaign.objects.get(community=community, name=demo_campaigns.NAME)

    @staticmethod
    def grid_staff(community: Area, role: str) -> dict[int, User]:
        grids = {grid.path: grid.pk for grid in community.children.filter(kind=AreaKind.GRID)}
        memberships = Membership.objects.filter(scope_path__in=grids, role=role, active=True).select_related("user")
        return {grids[m.scope_path]: m.user for m in memberships}

    def test_it_builds_an_assessment_system_that_adds_up_to_100(self, campaign: Campaign) -> None:
        assert campaign_selectors.points_problems(campaign) == []
        indicators = Indicator.objects.filter(campaign=campaign)
        levels = Counter(indicators.values_list("level", flat=True))
        assert levels[Level.ITEM] == 6 and 14 <= levels[Level.CONTENT] <= 16 and 35 <= levels[Level.STANDARD] <= 40
        assert sum(item.points for item in indicators.filter(level=Level.ITEM)) == campaign.total_points == 100
        standards = indicators.filter(level=Level.STANDARD)
        methods = set(standards.values_list("method", flat=True))
        assert {Method.MATERIALS, Method.FIELD, Method.QUESTIONNAIRE, Method.INTERVIEW, Method.DATA} <= methods
        derived = set(standards.exclude(scoring=Scoring.MANUAL).values_list("scoring", "inspection_target"))
        assert derived == {
            (Scoring.INSPECTIONS, Target.COMPOUND),
            (Scoring.INSPECTIONS, Target.SHOP),
            (Scoring.CASE_ON_TIME, ""),
            (Scoring.CASE_CLOSURE, ""),
        }
        assert standards.filter(public=True).count() >= 4

    def test_it_assigns_every_standard_to_the_grids_or_the_community(self, campaign: Campaign, community: Area) -> None:
        leaders = self.grid_staff(community, Role.GRID_LEADER)
        office = set(User.objects.filter(username__in=("director", "deputy")).values_list("pk", flat=True))
        by_standard: dict[int, list[IndicatorAssignment]] = {}
        for row in IndicatorAssignment.objects.filter(indicator__campaign=campaign):
            by_standard.setdefault(row.indicator_id, []).append(row)
            assert campaign.starts_on <= row.due_on <= campaign.ends_on and row.target
        standards = Indicator.objects.filter(campaign=campaign, level=Level.STANDARD)
        assert set(by_standard) == set(standards.values_list("pk", flat=True))
        grid_standards = 0
        for rows in by_standard.values():
            if len(rows) == 1 and rows[0].area_id == community.pk:
                assert rows[0].person_id in office
            else:
                # A grid standard: in every grid taking part, each grid's leader answering for it.
                assert {row.area_id: row.person for row in rows} == leaders
                grid_standards += 1
        assert set(campaign.areas.values_list("pk", flat=True)) == set(leaders)
        assert 10 <= grid_standards < standards.count()

    def test_it_scores_by_hand_only_what_is_scored_by_hand(self, campaign: Campaign) -> None:
        rows = IndicatorAssignment.objects.filter(indicator__campaign=campaign).select_related("indicator")
        manual = [row for row in rows if row.indicator.scoring == Scoring.MANUAL]
        assert all(row.score is not None and row.scored_by_id == row.person_id for row in manual)
        assert all(row.score is None for row in rows if row.indicator.scoring != Scoring.MANUAL)
        shares = [row.score / row.indicator.points for row in manual]
        # Mostly high, a few weak: the weakest-first list has something to show.
        assert sum(share >= Decimal("0.8") for share in shares) > 0.75 * len(shares)
        assert sum(share < Decimal("0.7") for share in shares) >= 5

    def test_it_plans_in_the_four_phases_of_the_campaign(self, campaign: Campaign, community: Area) -> None:
        plan = campaign.work_plans.get()
        assert plan.name == "四城联创工作计划表"
        phases = [(p.name, p.starts_on, p.ends_on) for p in plan.phases.order_by("order")]
        assert phases == [
            ("动员部署", datetime.date(2014, 6, 1), datetime.date(2014, 6, 15)),
            ("集中整治", datetime.date(2014, 6, 16), datetime.date(2014, 9, 15)),
            ("巩固提升", datetime.date(2014, 9, 16), datetime.date(2014, 10, 15)),
            ("迎检考核", datetime.date(2014, 10, 16), datetime.date(2014, 10, 31)),
        ]
        tasks = list(plan.tasks.select_related("phase").prefetch_related("indicators"))
        assert 18 <= len(tasks) <= 25
        states = Counter(task.status for task in tasks)
        assert states[TaskStatus.CANCELLED] == 1 and states[TaskStatus.DONE] >= 15
        overdue = [
            t for t in tasks if t.status in (TaskStatus.TODO, TaskStatus.DOING) and t.due_on < timezone.localdate()
        ]
        assert len(overdue) == 2
        for task in tasks:
            assert task.phase.starts_on <= task.starts_on <= task.due_on <= task.phase.ends_on
            assert task.indicators.all() and all(i.level == Level.STANDARD for i in task.indicators.all())
            assert task.owner.roles_at(task.area_path), task.title
            if task.status == TaskStatus.DONE:
                assert task.starts_on <= task.done_on <= campaign.ends_on
            else:
                assert task.done_on is None

    def test_it_files_evidence_of_every_kind_in_the_ledger(self, campaign: Campaign, community: Area) -> None:
        evidence = list(
            Evidence.objects.current().filter(indicator__campaign=campaign).select_related("case", "inspection")
        )
        assert 150 <= len(evidence) <= 250
        assert {piece.kind for piece in evidence} == set(EvidenceKind.values)
        assert all(campaign.starts_on <= piece.occurred_on <= campaign.ends_on for piece in evidence)
        leaders = self.grid_staff(community, Role.GRID_LEADER)
        workers = self.grid_staff(community, Role.GRID_WORKER)
        for piece in evidence:
            # Filed by the staff of the area it is filed for; links point to the 2014 records of that grid.
            if piece.area_id == community.pk:
                assert piece.filed_by.username in ("director", "deputy")
            else:
                assert piece.filed_by_id in (leaders[piece.area_id].pk, workers[piece.area_id].pk)
            if piece.case is not None:
                assert piece.case.area_id == piece.area_id and piece.case.state == State.CLOSED
                assert piece.case.reported_at.year == 2014
            if piece.inspection is not None:
                assert piece.inspection.area_id == piece.area_id and piece.inspection.passed
                assert local_day(piece.inspection.inspected_at) <= END

    def test_it_stores_real_files(self, campaign: Campaign) -> None:
        uploads = Evidence.objects.filter(indicator__campaign=campaign).exclude(file="")
        kinds = Counter()
        for piece in uploads:
            with piece.file.open("rb") as handle:
                data = handle.read()
            assert len(data) == piece.size > 0
            if piece.kind == EvidenceKind.PHOTO:
                with Image.open(BytesIO(data)) as image:
                    assert image.format == "JPEG"
                kinds["jpg"] += 1
            elif piece.file_name.endswith(".xlsx"):
                sheet = load_workbook(BytesIO(data)).active
                assert sheet["A1"].value == piece.title and sheet.max_row > 2
                kinds["xlsx"] += 1
            else:
                assert piece.file_name.endswith(".pdf") and data.startswith(b"%PDF-") and data.endswith(b"%%EOF\n")
                kinds["pdf"] += 1
        assert kinds["jpg"] >= 30 and kinds["xlsx"] >= 5 and kinds["pdf"] >= 5

    def test_it_is_ready_for_the_assessment_but_not_perfect(self, campaign: Campaign) -> None:
        readiness = campaign_selectors.readiness(campaign)
        assert Decimal(75) <= readiness.total.percent <= Decimal(97)
        assert len(readiness.items) == 6 and len(readiness.grids) == 9 and len(readiness.people) == 10
        incomplete = [state for state in readiness.standards if not state.complete]
        assert 2 <= len(incomplete) <= 6
        # Weakest first: the standards well short of their points lead the list.
        assert readiness.weakest[0].ratio < Decimal("0.7")
        assert any(state.indicator.scoring == Scoring.MANUAL for state in readiness.weakest[:5])

    def test_it_is_closed_and_published_with_its_leadership_group(self, campaign: Campaign, community: Area) -> None:
        assert (campaign.status, campaign.public, campaign.issuer) == (CampaignStatus.CLOSED, True, "金水区")
        assert (campaign.starts_on, campaign.ends_on) == (datetime.date(2014, 6, 1), END)
        assert list(campaign_selectors.public_campaigns(community)) == [campaign]
        group = LeadershipGroup.objects.get(area=community)
        assert campaign.leadership_group == group
        assert group.members.get(position="head").person.username == "director"

    def test_it_shows_on_the_public_supervision_page(self, campaign: Campaign, client) -> None:
        response = client.get(reverse("campaigns:public_campaign", args=[JIANXUEJIE.code]))
        assert response.status_code == 200
        page = response.content.decode()
        assert campaign.name in page
        assert User.objects.get(username="director").display_name in page
        assert campaign.leadership_group.name in page

    def test_it_reports_what_it_made(self, campaign: Campaign, demo_output: str) -> None:
        (line,) = [line for line in demo_output.splitlines() if line.startswith(f"{campaign.name}:")]
        evidence = Evidence.objects.current().filter(indicator__campaign=campaign).count()
        standards = Indicator.objects.filter(campaign=campaign, level=Level.STANDARD).count()
        assignments = IndicatorAssignment.objects.filter(indicator__campaign=campaign).count()
        assert f" {standards} standards (100 points)" in line and f" {assignments} assignments" in line
        assert f" {evidence} pieces of evidence" in line
        assert f"readiness {campaign_selectors.readiness(campaign).total.percent} %" in line
