"""The demo's inspection history: the 2014 campaign months by standard, with rectifications, relapses and gaps.

The demo is built once for this module inside a transaction that is rolled back at the end, as in test_demo.
"""

import datetime
from collections.abc import Iterator
from io import StringIO

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.test import override_settings
from django.utils import timezone

from wangge.cases.models import Case, CaseEvent, Source, State
from wangge.demo.builder import build_demo
from wangge.demo.history import END, START
from wangge.demo.inspections import NOT_VISITED_IN_OCTOBER, RELAPSE_ITEMS
from wangge.demo.scenario import JIANXUEJIE
from wangge.inspections import selectors
from wangge.inspections.models import Finding, Inspection, Result, Target, Unit
from wangge.inspections.schedules import Period, ScheduleBook
from wangge.territory.models import Area, Compound, Shop

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """The demo, built once for this module and rolled back afterwards; what it printed."""
    media = tmp_path_factory.mktemp("media")
    output = StringIO()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=media):
        with transaction.atomic():
            build_demo(password="demo-test-pass", stdout=output)  # noqa: S106 - made-up demo password
            yield output.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def community(built: str) -> Area:
    return Area.objects.get(code=JIANXUEJIE.code)


def inspections(community: Area):
    return Inspection.objects.filter(area_path__startswith=community.path)


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


class InspectionHistoryTests:
    def test_it_inspects_in_every_month_of_the_campaign(self, community: Area) -> None:
        months = {local_day(at).month for at in inspections(community).values_list("inspected_at", flat=True)}
        assert months == {6, 7, 8, 9, 10}
        for target in (Target.COMPOUND, Target.SHOP, Target.OFFICE):
            in_october = inspections(community).filter(target=target, inspected_at__gte=self.start_of(10))
            assert in_october.exists(), target

    def test_it_keeps_to_the_campaign_dates(self, community: Area) -> None:
        first, last = (
            inspections(community).order_by(order).values_list("inspected_at", flat=True).first()
            for order in ("inspected_at", "-inspected_at")
        )
        assert START <= local_day(first) and local_day(last) <= END

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
        for shop_id, at in inspections(community).filter(target=Target.SHOP).values_list("shop", "inspected_at"):
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
        visits = selectors.visits_of(community, as_of=END)
        unvisited = {v.code for v in visits if v.target == Target.COMPOUND and (v.last is None or v.last.month < 10)}
        assert unvisited == set(NOT_VISITED_IN_OCTOBER)
        overdue = {v.code for v in visits if v.overdue}
        assert set(NOT_VISITED_IN_OCTOBER) <= overdue
        # Their responsible persons were reminded on the last morning of the campaign.
        for code in NOT_VISITED_IN_OCTOBER:
            compound = Compound.objects.get(code=code)
            person = compound.assignments.get(active=True).person
            assert person.notifications.filter(event="inspection.overdue", body__contains=compound.name).exists()

    def test_it_reports_what_it_made(self, built: str, community: Area) -> None:
        (line,) = [line for line in built.splitlines() if "inspections of the campaign months" in line]
        assert line.startswith(f"{inspections(community).count()} inspections")
        relapses = inspections(community).aggregate(n=Sum("relapse_count"))["n"]
        assert f"{relapses} relapses" in line

    @staticmethod
    def start_of(month: int) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime(2014, month, 1))
