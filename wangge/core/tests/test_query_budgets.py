"""Query budgets: no list page or list endpoint takes more queries for more rows.

Every list-like URL (pages, their Excel exports, /api/v1/ lists, Open311 lists, public lists under /p/) is
measured twice: over a small data set and over one three times as large, with every relation the page shows
filled in (responsible persons, compounds, photos, events, findings, evidence ...). The counts must be equal: a
query per row (N+1) shows as a difference. Each budget also checks that the larger set is really on the page
(the response grew), so an empty page cannot pass. Pages of one record whose children grow without bound (a
case's timeline, a building's dwellings, a household's members, a campaign's plans) are measured the same way.

`test_every_list_url_has_a_budget` walks the URL resolver: a URL name must be either measured here (LIST_URLS)
or named in NOT_LISTS with the reason, so a new list page cannot be added without its budget.
"""

import datetime
import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from PIL import Image

from conftest import Cast, _user
from wangge.accounts.roles import Role
from wangge.campaigns import services as campaign_services
from wangge.campaigns.models import EvidenceKind, Level, Method
from wangge.campaigns.tests.conftest import build_tree
from wangge.cases import services as case_services
from wangge.cases.models import Category, Question
from wangge.core import audit
from wangge.core.models import ImportJob
from wangge.core.notifications import notify
from wangge.inspections import selectors as inspection_selectors
from wangge.inspections import services as inspection_services
from wangge.inspections.models import Checklist, Result
from wangge.people import services as people_services
from wangge.people.tests.conftest import id_number
from wangge.territory import services as territory_services
from wangge.territory.models import Trade

SMALL = 2  # rows of each kind first; then 2 * SMALL more, so the large set is three times the small one
HOME = "410105008004"

# Data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos and evidence files land in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


def jpeg(colour: tuple[int, int, int] = (30, 140, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")


_serial = itertools.count(100)


@pytest.fixture(autouse=True)
def _numbers_from_100():
    """Every test numbers its rows from 100 (codes, phone numbers and ID sequences stay in their widths)."""
    global _serial  # noqa: PLW0603 - the growers share one counter, restarted per test
    _serial = itertools.count(100)


@dataclass
class World:
    """What the budgets grow, beyond the fixed cast."""

    cast: Cast
    extra: dict[str, Any] = field(default_factory=dict)


def grow_places(world: World, count: int) -> None:
    """`count` more compounds (with a building, a dwelling, a leadership member), office buildings, shops and
    partner units, alternately in grid 1 and grid 2, each place with its responsible person."""
    cast = world.cast
    trades = list(Trade.objects.order_by("code")[:3])
    for _ in range(count):
        n = next(_serial)
        grid, worker = (cast.grid1, cast.grid_worker) if n % 2 else (cast.grid2, world.extra["grid2_worker"])
        compound = territory_services.compound_create(
            actor=cast.director, code=f"Q-C{n}", name=f"批量院{n}", area=grid, management="property_company",
            longitude=113.657 if grid == cast.grid1 else 113.660, latitude=34.788,
        )  # fmt: skip
        building = territory_services.building_create(
            actor=cast.director, code=f"Q-C{n}-B1", name=f"批量楼{n}", compound=compound
        )
        dwelling = territory_services.dwelling_create(actor=cast.director, building=building, unit="1", number="101")
        office = territory_services.building_create(
            actor=cast.director, code=f"Q-O{n}", name=f"写字楼{n}", kind="office", area=grid
        )
        shop = territory_services.shop_create(
            actor=cast.director, code=f"Q-S{n}", name=f"批量店{n}", trade=trades[n % len(trades)], area=grid,
            address=f"俭学街{n}号", contact_name=f"店主{n}", contact_phone=f"139{n:08}",
        )  # fmt: skip
        territory_services.partner_unit_create(
            actor=cast.director, code=f"Q-P{n}", name=f"共建单位{n}", kind="institution", area=cast.home
        )
        for place in (compound, building, dwelling, office, shop):
            territory_services.assignment_create(actor=cast.director, person=worker, place=place)
        world.extra.setdefault("compounds", []).append(compound)
        world.extra.setdefault("shops", []).append(shop)
        world.extra.setdefault("offices", []).append(office)
        world.extra.setdefault("dwellings", []).append(dwelling)


def grow_people(world: World, count: int) -> None:
    """`count` more households of two, with tags (sensitive ones too), and a floating resident with a permit."""
    cast = world.cast
    today = timezone.localdate()
    dwellings = [*cast.dwellings, *world.extra.get("dwellings", [])]
    for _ in range(count):
        n = next(_serial)
        dwelling = dwellings[n % len(dwellings)]
        household = people_services.household_create(actor=cast.director, dwelling=dwelling, number=f"H{n}")
        people_services.resident_create(
            actor=cast.director, name=f"户主{n}", id_number=id_number("19800101", f"{n % 1000:03d}"),
            phone=f"135{n:08}", residence="registered", dwelling=dwelling, household=household, relation="head",
            tags=["veteran"], sensitive_tags=["disabled"],
        )  # fmt: skip
        people_services.resident_create(
            actor=cast.director, name=f"子女{n}", id_number=id_number("20150101", f"{n % 1000:03d}"),
            residence="registered", dwelling=dwelling, household=household, relation="child",
            tags=["elderly_alone"] if n % 2 else [],
        )  # fmt: skip
        floating = people_services.resident_create(
            actor=cast.director, name=f"流动{n}", id_number=id_number("19900101", f"{n % 1000:03d}"),
            phone=f"136{n:08}", residence="floating", dwelling=dwelling,
            moved_in_on=today - datetime.timedelta(days=400),
        )  # fmt: skip
        # Alternately a permit expiring soon and one expired: both floating lists grow.
        expires = today + datetime.timedelta(days=10) if n % 2 else today - datetime.timedelta(days=3)
        people_services.registration_create(
            actor=cast.director, resident=floating, registered_on=today - datetime.timedelta(days=380),
            expires_on=expires, permit_number=f"P{n}",
        )  # fmt: skip
        # One floating resident not yet registered at all (due).
        people_services.resident_create(
            actor=cast.director, name=f"待登记{n}", id_number=id_number("19920101", f"{n % 1000:03d}"),
            residence="floating", dwelling=dwelling, moved_in_on=today - datetime.timedelta(days=90),
        )  # fmt: skip


def grow_cases(world: World, count: int) -> None:
    """`count` more cases of each path: reported with a photo; dispatched to a worker; handled with an after
    photo, closed and rated; about a shop; escalated. In compounds of both grids."""
    cast = world.cast
    compounds = [cast.compound1, cast.compound2, *world.extra.get("compounds", [])]
    shops = [cast.shop1, cast.shop2, *world.extra.get("shops", [])]
    categories = list(Category.objects.filter(active=True, public=True).order_by("code"))
    simple = [c for c in categories if not c.questions.filter(required=True).exists() and not c.photo_required]
    simple = [c for c in simple if c.level == "compound"] or simple
    for _ in range(count):
        n = next(_serial)
        compound = compounds[n % len(compounds)]
        worker = cast.grid_worker if compound.area_id == cast.grid1.pk else world.extra["grid2_worker"]
        leader = cast.grid_leader if compound.area_id == cast.grid1.pk else cast.director

        def report(n: int = n, **place: Any) -> Any:
            return case_services.case_report(
                actor=None, category=simple[n % len(simple)], description=f"批量问题{n}", source="resident",
                reporter_name=f"居民{n}", reporter_phone=f"137{n:08}", photos=[jpeg()], **place,
            )  # fmt: skip

        report(compound=compound)
        case = report(compound=compound)
        case = case_services.case_act(actor=leader, case=case, action="register")
        case_services.case_act(actor=leader, case=case, action="dispatch", assignee=worker)
        case = report(compound=compound)
        case = case_services.case_act(actor=leader, case=case, action="register")
        case = case_services.case_act(actor=leader, case=case, action="dispatch", assignee=worker)
        case = case_services.case_act(actor=worker, case=case, action="handle", note="已处理", photos=[jpeg()])
        case = case_services.case_act(actor=leader, case=case, action="verify")
        case = case_services.case_act(actor=leader, case=case, action="close")
        case_services.case_rate(case=case, stars=1 + n % 5, comment="好")
        shop_case = case_services.case_act(
            actor=cast.director, case=report(shop=shops[n % len(shops)]), action="register"
        )
        case_services.case_act(actor=cast.director, case=shop_case, action="urge", note="尽快")
        world.extra.setdefault("cases", []).append(case)


def _inspect(cast: Cast, place: Any, actor: Any, fails: tuple[str, ...], days_ago: int) -> Any:
    checklist = Checklist.objects.get(target=inspection_selectors.target_of(place), status="published")
    answers = {
        item.code: inspection_services.Answer(Result.FAIL, "不合格", jpeg())
        if item.code in fails
        else inspection_services.Answer(Result.PASS)
        for item in inspection_services.items_for(checklist, place)
    }
    when = timezone.now() - datetime.timedelta(days=days_ago, hours=1)
    return inspection_services.inspection_record(
        actor=actor, checklist=checklist, place=place, answers=answers, inspected_at=when, now=when
    )


def grow_inspections(world: World, count: int) -> None:
    """`count` more rounds: each compound, shop and office building of the grown set inspected, a failure (with
    its photo and rectification case), a pass, and a relapse; by both grids' workers."""
    cast = world.cast
    # The grown office buildings are left unvisited: the overdue list shows them (an office is due monthly).
    places = [*world.extra.get("compounds", [])[-count:], *world.extra.get("shops", [])[-count:], cast.compound1]
    fails = {"compound": ("HY03", "HY09"), "shop": ("MD05", "MD02")}  # HY09 is critical: the inspection fails
    # Inspections are recorded in the order they took place: the second round comes after the first.
    start = world.extra["inspection_days"] = world.extra.get("inspection_days", 30) - 10
    for place in places:
        worker = cast.grid_worker if place.area_id == cast.grid1.pk else world.extra["grid2_worker"]
        target = inspection_selectors.target_of(place)
        _inspect(cast, place, worker, fails[target], days_ago=start)
        if target == "compound":  # passed, then failed again: a relapse (shops once each, to keep the test quick)
            _inspect(cast, place, worker, (), days_ago=start - 3)
            _inspect(cast, place, cast.director, fails[target], days_ago=start - 6)
    for _ in range(count):
        # More schedules: the settings page lists them with their trades.
        k = world.extra["schedules"] = world.extra.get("schedules", 0) + 1  # a trade has one schedule
        trades = [Trade.objects.order_by("code")[k].code]
        inspection_services.schedule_save(
            actor=None, community=cast.home, target="shop", every=1 + k % 4, unit="week", trades=trades
        )


def grow_grids(world: World, count: int) -> None:
    """More grids of the home community, each with a compound, a shop, a worker and one of them responsible: the
    figures per grid grow by a row each."""
    cast = world.cast
    for _ in range(count):
        n = next(_serial)
        grid = territory_services.area_create(
            actor=None, kind="grid", code=f"410105008004{n:03}", name=f"第{n}网格", parent=cast.home,
        )  # fmt: skip
        worker = _user(f"gridworker{n}", f"网格员{n}", Role.GRID_WORKER, area=grid)
        compound = territory_services.compound_create(
            actor=None, code=f"G-C{n}", name=f"网格院{n}", area=grid, management="none"
        )
        territory_services.shop_create(
            actor=None, code=f"G-S{n}", name=f"网格店{n}", trade=Trade.objects.get(code="grocery"), area=grid,
            address=f"文化路{n}号",
        )  # fmt: skip
        territory_services.assignment_create(actor=None, person=worker, place=compound)


def grow_checklists(world: World, count: int) -> None:
    """More versions of the standards: a published one and a draft after it, per round."""
    cast = world.cast
    codes = ["compound-sanitation", "shop-standards", "office-building"]
    for index in range(count):
        in_use = Checklist.objects.filter(code=codes[index % 3], status="published").order_by("-version").first()
        draft = inspection_services.checklist_new_version(actor=cast.director, checklist=in_use, community=cast.home)
        inspection_services.checklist_publish(actor=cast.director, checklist=draft)


def grow_notifications(world: World, count: int) -> None:
    cast = world.cast
    for _ in range(3 * count):
        n = next(_serial)
        notify(
            event="case.dispatched", area_path=cast.grid1.path, subject=f"新派遣{n}", body="请处理",
            link="/cases/", recipients=[cast.grid_worker, cast.director], dedupe_key=f"budget:{n}",
        )  # fmt: skip


def grow_audit(world: World, count: int) -> None:
    """Changes by two people, and exports (which the access log of personal data, ?preset=pii, lists)."""
    cast = world.cast
    for _ in range(3 * count):
        n = next(_serial)
        actor = cast.director if n % 2 else cast.grid_leader
        territory_services.compound_update(actor=actor, compound=cast.compound1, name=f"测试一号院{n}")
        audit.record_export(actor=actor, name="shops", area_path=cast.grid1.path, detail={"rows": n})


def grow_jobs(world: World, count: int) -> None:
    """Import jobs of the user, as the upload leaves them (the index shows the ten most recent)."""
    cast = world.cast
    for _ in range(count):
        n = next(_serial)
        ImportJob.objects.create(
            ledger="shops", actor=cast.director, area_path=cast.home.path, scope_path=cast.home.path,
            scope_code=cast.home.code, scope_name=cast.home.name, file_name=f"门店{n}.xlsx",
        )  # fmt: skip


def grow_categories(world: World, count: int) -> None:
    """More public case categories, each with a question (Open311 services list their attributes)."""
    model = Category.objects.filter(active=True, public=True).order_by("code").first()
    for _ in range(count):
        n = next(_serial)
        category = Category.objects.create(
            code=f"Z{n}", name=f"类别{n}", class_code=model.class_code, class_name=model.class_name, order=n,
        )  # fmt: skip
        Question.objects.create(category=category, code=f"q{n}", label=f"问题{n}", order=1)


def grow_campaigns(world: World, count: int) -> None:
    """More of the campaign: standards (assigned, scored, with evidence, served by tasks), and more campaigns."""
    cast = world.cast
    tree = world.extra["tree"]
    plan, phase = world.extra["plan"], world.extra["phase"]
    grid2_worker = world.extra["grid2_worker"]
    for _ in range(count):
        n = next(_serial)
        content = campaign_services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.CONTENT, code=f"2.{n}", text=f"内容{n}", points=0,
            parent=tree.item2,
        )  # fmt: skip
        standard = campaign_services.indicator_save(
            actor=None, campaign=tree.campaign, level=Level.STANDARD, code=f"2.{n}.1", text=f"标准{n}", points=0,
            parent=content, method=Method.MATERIALS, public=True,
        )  # fmt: skip
        for area, person in ((cast.grid1, cast.grid_worker), (cast.grid2, grid2_worker), (cast.home, cast.director)):
            assignment = campaign_services.assignment_save(actor=None, indicator=standard, area=area, person=person)
            campaign_services.assignment_score(actor=None, assignment=assignment, score=0)
            campaign_services.evidence_file(
                actor=person, indicator=standard, area=area, kind=EvidenceKind.PHOTO, title=f"照片{n}",
                occurred_on=datetime.date(2014, 7, 1 + n % 28), upload=jpeg(),
            )  # fmt: skip
            campaign_services.evidence_file(
                actor=person, indicator=standard, area=area, kind=EvidenceKind.MEETING, title=f"会议{n}",
                occurred_on=datetime.date(2014, 7, 1 + n % 28), text="会议记录",
            )  # fmt: skip
            campaign_services.task_save(
                actor=None, plan=plan, phase=phase, title=f"任务{n}", owner=person, area=area,
                starts_on=datetime.date(2014, 7, 1), due_on=datetime.date(2014, 7, 20), indicators=[standard],
            )  # fmt: skip
        other = campaign_services.campaign_create(
            actor=None, community=cast.home, name=f"活动{n}", starts_on=datetime.date(2014, 6, 1),
            ends_on=datetime.date(2014, 10, 31), leadership_group=world.extra["group"],
        )  # fmt: skip
        plan_n = campaign_services.work_plan_create(actor=None, campaign=other, name=f"方案{n}")
        campaign_services.phase_save(
            actor=None,
            plan=plan_n,
            name="动员",
            starts_on=datetime.date(2014, 6, 1),
            ends_on=datetime.date(2014, 6, 30),
        )


def prepare_campaign(world: World) -> None:
    """The campaign conftest's tree, published and started, with a plan, a phase and a leadership group."""
    cast = world.cast
    tree = build_tree(cast)
    group = territory_services.leadership_group_create(actor=None, area=cast.home, name="创建领导小组")
    territory_services.leadership_member_add(actor=None, group=group, person=cast.director, position="head")
    plan = campaign_services.work_plan_create(actor=None, campaign=tree.campaign, name="创建工作方案")
    phase = campaign_services.phase_save(
        actor=None, plan=plan, name="整改", starts_on=datetime.date(2014, 7, 1), ends_on=datetime.date(2014, 7, 31)
    )
    campaign_services.campaign_update(actor=None, campaign=tree.campaign, public=True)
    campaign_services.campaign_set_status(actor=None, campaign=tree.campaign, status="active")
    world.extra.update(tree=tree, plan=plan, phase=phase, group=group)


# One record and its growing children: a case's timeline, a building's dwellings, a household's members ...


def prepare_case(world: World) -> None:
    cast = world.cast
    category = Category.objects.filter(active=True, public=True, photo_required=False, level="compound").first()
    case = case_services.case_report(
        actor=None, category=category, description="楼道堆物", source="resident", compound=cast.compound1,
        reporter_name="甄居民", reporter_phone="13700000000", photos=[jpeg()],
    )  # fmt: skip
    case = case_services.case_act(actor=cast.grid_leader, case=case, action="register")
    world.extra["case"] = case_services.case_act(
        actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker
    )


def grow_case_timeline(world: World, count: int) -> None:
    """More entries in one case's timeline: urged, dispatched to another worker and back (by three people)."""
    cast = world.cast
    case = world.extra["case"]
    for _ in range(count):
        n = next(_serial)
        case = case_services.case_act(actor=cast.director, case=case, action="urge", note=f"督办{n}")
        case = case_services.case_act(
            actor=cast.grid_leader, case=case, action="dispatch", assignee=world.extra["grid1_worker2"]
        )
        case = case_services.case_act(actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker)
    world.extra["case"] = case


def _case_urls(world: World) -> list[str]:
    case = world.extra["case"]
    return [
        f"/cases/{case.number}/", f"/p/t/{case.tracking_code}/", f"/p/cases/{case.number}/",
        f"/api/v1/cases/{case.number}/",
    ]  # fmt: skip


def grow_building1(world: World, count: int) -> None:
    """More dwellings in building 1, each with its own responsible person and a household."""
    cast = world.cast
    for _ in range(count):
        n = next(_serial)
        dwelling = territory_services.dwelling_create(actor=None, building=cast.building1, unit="2", number=f"{n}")
        territory_services.assignment_create(actor=None, person=world.extra["grid1_worker2"], place=dwelling)
        people_services.household_create(actor=None, dwelling=dwelling, number=f"B{n}")


def grow_compound1(world: World, count: int) -> None:
    """More buildings in compound 1 (with dwellings), and more people answering for the compound."""
    cast = world.cast
    for _ in range(count):
        n = next(_serial)
        building = territory_services.building_create(
            actor=None, code=f"T-C01-X{n}", name=f"{n}号楼", compound=cast.compound1
        )
        territory_services.dwelling_create(actor=None, building=building, number="101")
        worker = _user(f"compoundworker{n}", f"网格员{n}", Role.GRID_WORKER, area=cast.grid1)
        territory_services.assignment_create(actor=None, person=worker, place=cast.compound1)


def prepare_household(world: World) -> None:
    cast = world.cast
    household = people_services.household_create(actor=None, dwelling=cast.dwellings[0], number="H-budget")
    head = people_services.resident_create(
        actor=None, name="户主甲", id_number=id_number("19700101", "011"), phone="13500000000",
        residence="registered", dwelling=cast.dwellings[0], household=household, relation="head",
    )  # fmt: skip
    floating = people_services.resident_create(
        actor=None, name="流动乙", id_number=id_number("19880101", "021"), residence="floating",
        dwelling=cast.dwellings[0], moved_in_on=timezone.localdate() - datetime.timedelta(days=900),
    )  # fmt: skip
    world.extra.update(household=household, head=head, floating=floating, registrations=0)


def grow_household(world: World, count: int) -> None:
    """More members of the household (with tags), and more residence registrations of a floating resident."""
    cast = world.cast
    today = timezone.localdate()
    for _ in range(count):
        n = next(_serial)
        people_services.resident_create(
            actor=None, name=f"成员{n}", id_number=id_number("19950101", f"{n % 1000:03d}"), residence="registered",
            dwelling=cast.dwellings[0], household=world.extra["household"], relation="relative",
            tags=["veteran"], sensitive_tags=["disabled"],
        )  # fmt: skip
        k = world.extra["registrations"] = world.extra["registrations"] + 1
        people_services.registration_create(
            actor=None, resident=world.extra["floating"], registered_on=today - datetime.timedelta(days=800 - 60 * k),
            expires_on=today - datetime.timedelta(days=700 - 60 * k), permit_number=f"R{n}",
        )  # fmt: skip


def _household_urls(world: World) -> list[str]:
    household, head, floating = world.extra["household"], world.extra["head"], world.extra["floating"]
    return [
        f"/people/households/{household.pk}/",
        f"/people/residents/{head.pk}/", f"/people/residents/{floating.pk}/",
    ]  # fmt: skip


def grow_campaign_detail(world: World, count: int) -> None:
    """More of one campaign: leadership members, plans with phases and tasks, evidence of one standard."""
    cast = world.cast
    tree = world.extra["tree"]
    for _ in range(count):
        n = next(_serial)
        worker = _user(f"campaignworker{n}", f"网格员{n}", Role.GRID_WORKER, area=cast.grid1)
        territory_services.leadership_member_add(
            actor=None, group=world.extra["group"], person=worker, position="member", order=n
        )
        plan = campaign_services.work_plan_create(actor=None, campaign=tree.campaign, name=f"专项方案{n}")
        phase = campaign_services.phase_save(
            actor=None, plan=plan, name=f"阶段{n}", starts_on=datetime.date(2014, 8, 1),
            ends_on=datetime.date(2014, 8, 31),
        )  # fmt: skip
        campaign_services.task_save(
            actor=None, plan=world.extra["plan"], phase=world.extra["phase"], title=f"任务{n}", owner=worker,
            area=cast.grid1, starts_on=datetime.date(2014, 7, 1), due_on=datetime.date(2014, 7, 20),
            indicators=[tree.ledger, tree.bins],
        )  # fmt: skip
        campaign_services.task_save(
            actor=None, plan=plan, phase=phase, title=f"任务{n}", owner=worker, area=cast.grid1,
            starts_on=datetime.date(2014, 8, 1), due_on=datetime.date(2014, 8, 20), indicators=[tree.ledger],
        )  # fmt: skip
        for area, person in ((cast.grid1, worker), (cast.home, cast.director)):
            campaign_services.evidence_file(
                actor=person, indicator=tree.ledger, area=area, kind=EvidenceKind.PHOTO, title=f"台账{n}",
                occurred_on=datetime.date(2014, 7, 1 + n % 28), upload=jpeg(),
            )  # fmt: skip


def _prepare_ledger_assignments(world: World) -> None:
    cast, tree = world.cast, world.extra["tree"]
    for area, person in ((cast.grid1, cast.grid_worker), (cast.home, cast.director)):
        campaign_services.assignment_save(actor=None, indicator=tree.ledger, area=area, person=person)


def _campaign_detail_urls(world: World) -> list[str]:
    tree = world.extra["tree"]
    pk, ledger = tree.campaign.pk, tree.ledger.pk
    return [
        f"/campaigns/{pk}/", f"/campaigns/indicators/{ledger}/",
        f"/api/v1/indicators/{ledger}/", f"/api/v1/work-plans/{world.extra['plan'].pk}/",
    ]  # fmt: skip


def prepare_checklist(world: World) -> None:
    in_use = Checklist.objects.get(code="shop-standards", status="published")
    world.extra["checklist"] = inspection_services.checklist_new_version(
        actor=world.cast.director, checklist=in_use, community=world.cast.home
    )


def grow_checklist_items(world: World, count: int) -> None:
    """More items in a draft standard, in new sections, with their case categories and trades."""
    category = Category.objects.filter(active=True).order_by("code").last()
    trades = list(Trade.objects.order_by("code").values_list("code", flat=True)[:2])
    for _ in range(count):
        n = next(_serial)
        inspection_services.checklist_item_save(
            actor=world.cast.director, checklist=world.extra["checklist"], code=f"ZZ{n}", section=f"分区{n}",
            text=f"检查项{n}", points=5, category=category, trades=trades,
        )  # fmt: skip


def _checklist_urls(world: World) -> list[str]:
    pk = world.extra["checklist"].pk
    return [f"/inspections/checklists/{pk}/", f"/api/v1/checklists/{pk}/", f"/inspections/checklists/{pk}.xlsx"]


# Budgets


@dataclass(frozen=True)
class Budget:
    """The URLs of some list pages, measured as `who` over a world grown by `growers`."""

    id: str
    names: tuple[str, ...]  # the URL names measured (each URL must resolve to one of them)
    urls: Callable[[World], list[str]]
    growers: tuple[Callable[[World, int], None], ...]
    who: str | None = "director"
    prepare: tuple[Callable[[World], None], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


def fixed(*urls: str) -> Callable[[World], list[str]]:
    return lambda world: list(urls)


PLACE_PAGES = (
    "/", "/map/data.geojson", "/coverage/", "/coverage.xlsx", "/compounds/", "/compounds/?format=xlsx",
    "/buildings/", "/buildings/?kind=office", "/buildings/?format=xlsx", "/shops/", "/shops/?q=批量",
    "/shops/?format=xlsx", "/partner-units/", "/partner-units/?format=xlsx",
)  # fmt: skip
PLACE_API = (
    "/api/v1/areas/", "/api/v1/compounds/", "/api/v1/buildings/", "/api/v1/buildings/?kind=office", "/api/v1/shops/",
    "/api/v1/partner-units/", "/api/v1/assignments/", "/api/v1/coverage/",
)  # fmt: skip
PEOPLE = (
    "/people/residents/", "/people/residents/?residence=floating", "/people/residents/?format=xlsx",
    "/people/households/", "/people/households/?format=xlsx", "/people/floating/", "/people/floating/monthly/",
    "/people/floating/monthly/?format=xlsx", "/api/v1/residents/", "/api/v1/households/",
)  # fmt: skip
CASES = (
    "/cases/?queue=all", "/cases/?queue=grid", "/cases/?queue=mine", "/cases/?queue=all&q=批量",
    "/cases/metrics/?by=grid", "/cases/metrics/?by=person", "/cases/metrics/?by=category",
    "/cases/metrics.xlsx?by=person", "/api/v1/cases/", "/api/v1/cases/?state=closed", "/api/v1/case-metrics/?by=grid",
    "/api/v1/case-metrics/?by=person",
)  # fmt: skip
OPEN311 = (
    f"/open311/v2/requests.json?jurisdiction_id={HOME}", f"/open311/v2/requests.xml?jurisdiction_id={HOME}",
    f"/open311/v2/servicerequestupdates.json?jurisdiction_id={HOME}",
    f"/open311/v2/servicerequestupdates.xml?jurisdiction_id={HOME}",
)  # fmt: skip


def _inspection_urls(world: World) -> list[str]:
    compound = world.cast.compound1
    return [
        "/inspections/", "/inspections/?passed=no", "/inspections/?format=xlsx", "/inspections/report/",
        "/inspections/report/?show=findings", "/inspections/report/?show=still_open",
        "/inspections/overdue/", "/inspections/relapses/", "/inspections/rankings/?kind=compound",
        "/inspections/rankings/?kind=shop", "/inspections/map/data.geojson", "/inspections/settings/",
        f"/p/ranking/{HOME}/", f"/inspections/places/compound/{compound.code}/", "/api/v1/inspections/",
        "/api/v1/inspections/?target=shop",
    ]  # fmt: skip


def _campaign_urls(world: World) -> list[str]:
    tree = world.extra["tree"]
    pk = tree.campaign.pk
    return [
        "/campaigns/", f"/campaigns/{pk}/indicators/", f"/campaigns/{pk}/indicators/export.xlsx",
        f"/campaigns/{pk}/evidence/", f"/campaigns/{pk}/evidence/?area={world.cast.grid1.pk}",
        f"/campaigns/{pk}/responsibilities/", f"/campaigns/{pk}/readiness/",
        f"/campaigns/plans/{world.extra['plan'].pk}/", f"/p/campaigns/{HOME}/", "/api/v1/campaigns/",
        f"/api/v1/indicators/?campaign={pk}", "/api/v1/work-plans/", f"/api/v1/evidence/?campaign={pk}",
    ]  # fmt: skip


def _public_compound(world: World) -> list[str]:
    return [f"/p/c/{world.cast.compound1.code}/"]


def _notice_board(world: World) -> list[str]:
    return [f"/compounds/{world.cast.compound1.code}/notice-board/"]


def _grow_compound1_assignments(world: World, count: int) -> None:
    """More responsible persons for compound 1 and its building, and more leadership members: the public
    compound page and the notice board list them all."""
    cast = world.cast
    for _ in range(count):
        n = next(_serial)
        worker = _user(f"worker{n}", f"网格员{n}", Role.GRID_WORKER, area=cast.grid1)
        territory_services.assignment_create(actor=None, person=worker, place=cast.compound1)
        territory_services.assignment_create(actor=None, person=worker, place=cast.building1)
        territory_services.leadership_member_add(
            actor=None, group=world.extra["group"], person=worker, position="member", order=n
        )


def _prepare_group(world: World) -> None:
    group = territory_services.leadership_group_create(actor=None, area=world.cast.home, name="社区领导小组")
    territory_services.leadership_member_add(actor=None, group=group, person=world.cast.director, position="head")
    world.extra["group"] = group


BUDGETS = [
    Budget(
        "places",
        (
            "territory:overview",
            "territory:map_data",
            "territory:coverage",
            "territory:coverage_export",
            "territory:compound_list",
            "territory:building_list",
            "territory:shop_list",
            "territory:partner_unit_list",
        ),
        fixed(*PLACE_PAGES),
        (grow_places,),
    ),  # fmt: skip
    # Partner units belong to the community, not to a grid: a grid leader's list of them stays empty.
    Budget("places-grid-leader", ("territory:compound_list",), fixed(*PLACE_PAGES[:-2]), (grow_places,), "grid_leader"),
    Budget(
        "grids",
        ("territory:overview", "territory:coverage", "area-list", "coverage-list"),
        # (The map shows grids with a boundary, and the case figures grids with cases: neither is measured here.)
        fixed("/", "/coverage/", "/coverage.xlsx", "/api/v1/areas/", "/api/v1/coverage/", "/inspections/report/"),
        (grow_grids,),
    ),  # fmt: skip
    Budget(
        "checklists",
        ("checklist-list", "inspections:checklist_list"),
        fixed("/api/v1/checklists/", "/inspections/checklists/"),
        (grow_checklists,),
    ),  # fmt: skip
    Budget(
        "places-grid-worker",
        ("inspections:place_choose",),
        fixed("/inspections/new/", "/shops/"),
        (grow_places,),
        "grid_worker",
    ),  # fmt: skip
    Budget(
        "places-api",
        ("compound-list", "building-list", "shop-list", "partner-unit-list", "assignment-list", "coverage-list"),
        fixed(*PLACE_API[1:]),
        (grow_places,),
    ),  # fmt: skip
    Budget(
        "places-api-grid-leader", ("shop-list",), fixed(*PLACE_API[1:5], PLACE_API[6]), (grow_places,), "grid_leader"
    ),
    Budget(
        "public-compound",
        ("territory:public_compound",),
        _public_compound,
        (_grow_compound1_assignments,),
        None,
        (_prepare_group,),
    ),
    Budget(
        "notice-board",
        ("territory:notice_board",),
        _notice_board,
        (_grow_compound1_assignments,),
        "director",
        (_prepare_group,),
    ),  # fmt: skip
    Budget(
        "people",
        (
            "people:resident_list",
            "people:household_list",
            "floating:index",
            "floating:monthly",
            "resident-list",
            "household-list",
        ),
        fixed(*PEOPLE),
        (grow_places, grow_people),
    ),  # fmt: skip
    Budget(
        "people-grid-leader",
        ("people:resident_list",),
        fixed(*PEOPLE[:5], *PEOPLE[-2:]),
        (grow_places, grow_people),
        "grid_leader",
    ),  # fmt: skip
    Budget(
        "cases",
        ("cases:case_list", "cases:metrics", "cases:metrics_export", "case-list", "case-metrics-list"),
        fixed(*CASES),
        (grow_places, grow_cases),
    ),  # fmt: skip
    Budget(
        "cases-grid-worker",
        ("cases:case_list",),
        fixed("/cases/?queue=mine", "/cases/?queue=grid", "/api/v1/cases/"),
        (grow_places, grow_cases),
        "grid_worker",
    ),  # fmt: skip
    Budget("open311", ("open311:requests", "open311:updates"), fixed(*OPEN311), (grow_places, grow_cases), None),
    Budget(
        "categories",
        ("open311:services", "case-category-list"),
        fixed(
            f"/open311/v2/services.json?jurisdiction_id={HOME}",
            f"/open311/v2/services.xml?jurisdiction_id={HOME}",
            "/api/v1/case-categories/",
        ),
        (grow_categories,),
    ),  # fmt: skip
    Budget(
        "inspections",
        (
            "inspections:inspection_list",
            "inspections:report",
            "inspections:overdue",
            "inspections:relapses",
            "inspections:rankings",
            "inspections:map_data",
            "inspections:settings",
            "inspections:public_ranking",
            "inspections:place_history",
            "inspection-list",
        ),
        _inspection_urls,
        (grow_places, grow_inspections),
        "director",
        (
            lambda world: inspection_services.policy_update(
                actor=None, community=world.cast.home, public_ranking=True, ranking_size=50
            ),
        ),
    ),  # fmt: skip
    Budget(
        "campaigns",
        (
            "campaigns:campaign_list",
            "campaigns:indicator_tree",
            "campaigns:indicator_export",
            "campaigns:evidence_list",
            "campaigns:responsibilities",
            "campaigns:readiness",
            "campaigns:plan_detail",
            "campaigns:public_campaign",
            "campaign-list",
            "indicator-list",
            "work-plan-list",
            "evidence-list",
        ),
        _campaign_urls,
        (grow_campaigns,),
        "director",
        (prepare_campaign,),
    ),  # fmt: skip
    # Grid staff see their own areas' assignments, evidence and tasks only: scoped differently, measured apart.
    Budget(
        "campaigns-grid-worker",
        ("campaigns:campaign_list", "campaigns:evidence_list"),
        lambda world: [url for url in _campaign_urls(world) if "/p/" not in url and "export" not in url],
        (grow_campaigns,),
        "grid_worker",
        (prepare_campaign,),
    ),
    Budget(
        "inspections-grid-leader",
        ("inspections:inspection_list", "inspections:report"),
        lambda world: [url for url in _inspection_urls(world) if "/p/" not in url],
        (grow_places, grow_inspections),
        "grid_leader",
    ),
    Budget(
        "people-grid-worker",
        ("people:resident_list",),
        fixed(*[url for url in PEOPLE if "xlsx" not in url]),  # grid workers export nothing
        (grow_places, grow_people),
        "grid_worker",
    ),  # fmt: skip
    Budget("notifications", ("notifications:list",), fixed("/notifications/"), (grow_notifications,), "grid_worker"),
    Budget(
        "audit", ("audit",), fixed("/audit/", "/audit/?preset=pii", "/audit/?format=xlsx"), (grow_audit,), "auditor"
    ),
    Budget("ledgers", ("ledgers:index",), fixed("/ledgers/"), (grow_jobs,)),
    Budget(
        "case-timeline",
        ("cases:case_detail", "cases:public_track", "cases:public_case", "case-detail"),
        _case_urls,
        (grow_case_timeline,),
        "director",
        (prepare_case,),
    ),
    Budget(
        "building-detail",
        ("territory:building_detail",),
        fixed("/buildings/T-C01-B1/"),
        (grow_building1,),
    ),
    Budget(
        "compound-detail",
        ("territory:compound_detail",),
        fixed("/compounds/T-C01/"),
        (grow_compound1,),
    ),
    Budget(
        "household",
        ("people:household_detail", "people:resident_detail"),
        _household_urls,
        (grow_household,),
        "director",
        (prepare_household,),
    ),
    Budget(
        "campaign-detail",
        (
            "campaigns:campaign_detail",
            "campaigns:indicator_detail",
            "indicator-detail",
            "work-plan-detail",
        ),
        _campaign_detail_urls,
        (grow_campaign_detail,),
        "director",
        (prepare_campaign, _prepare_ledger_assignments),
    ),
    Budget(
        "checklist-detail",
        ("inspections:checklist_detail", "checklist-detail", "inspections:checklist_export"),
        _checklist_urls,
        (grow_checklist_items,),
        "director",
        (prepare_checklist,),
    ),  # fmt: skip
]

# Pages that show figures per grid, not rows: more rows change the figures, not (always) the page's size.
FIGURES_ONLY = {"/", "/people/floating/monthly/", "/people/floating/monthly/?format=xlsx"}

# Every list-like URL name of the site, and what measures it. A new list page must be added here with a budget.
LIST_URLS = {name for budget in BUDGETS for name in budget.names}

# Every other URL name, and why it is no list.
NOT_LISTS = {
    "wangge.core.rest.not_found": "the API's JSON 404 for a URL under /api/ that names nothing",
    "campaign-detail": "one record and its readiness figures",
    "resident-detail": "one record, without its registrations",
    "household-detail": "one record, members as a list of ids",
    "compound-detail": "one record, without its buildings",
    "building-detail": "one record, without its dwellings",
    "open311:request": "one request, without its timeline",
    "healthz": "health check",
    "set_language": "language switch (POST)",
    "accounts:login": "form",
    "accounts:logout": "form",
    "pii_reveal": "one field of one record",
    "notifications:mark_read": "POST; answers with the list, measured as notifications:list",
    "notifications:open": "redirect",
    "ledgers:job": "one import job (its problems are counted, the workbook holds them)",
    "ledgers:job_errors": "one file",
    "ledgers:template": "empty workbook",
    "ledgers:start": "upload form",
    "people:resident_create": "form",
    "people:resident_update": "form",
    "people:resident_archive": "form",
    "people:registration_create": "form",
    "people:household_create": "form",
    "people:household_update": "form",
    "api-schema": "OpenAPI document",
    "api-docs": "documentation page",
    "api-root": "index of the API",
    "area-detail": "one record",
    "shop-detail": "one record",
    "partner-unit-detail": "one record",
    "assignment-detail": "one record",
    "assignment-end": "action",
    "case-close": "action",
    "case-decide_postponement": "action",
    "case-dispatch": "action",
    "case-escalate": "action",
    "case-handle": "action",
    "case-register": "action",
    "case-reject": "action",
    "case-reopen": "action",
    "case-request_postponement": "action",
    "case-resume": "action",
    "case-rework": "action",
    "case-start": "action",
    "case-suspend": "action",
    "case-urge": "action",
    "case-verify": "action",
    "case-category-detail": "one record",
    "resident-search": "POST, exact search by a full ID or phone number (a handful of matches)",
    "inspection-detail": "one record",
    "work-plan-task-status": "action",
    "evidence-detail": "one record",
    "evidence-withdraw": "action",
    "open311:discovery": "fixed document",
    "open311:service": "one service definition",
    "open311:token": "one request",
    "open311:media": "one photo",
    "campaigns:campaign_create": "form",
    "campaigns:campaign_edit": "form",
    "campaigns:campaign_status": "action",
    "campaigns:indicator_create": "form",
    "campaigns:indicator_import": "upload form",
    "campaigns:indicator_template": "empty workbook",
    "campaigns:indicator_edit": "form",
    "campaigns:indicator_delete": "form",
    "campaigns:assignment_save": "form",
    "campaigns:assignment_delete": "form",
    "campaigns:assignment_score": "form",
    "campaigns:plan_create": "form",
    "campaigns:phase_create": "form",
    "campaigns:phase_edit": "form",
    "campaigns:phase_delete": "form",
    "campaigns:task_create": "form",
    "campaigns:task_edit": "form",
    "campaigns:task_status": "form",
    "campaigns:evidence_create": "form",
    "campaigns:binder": "zip of files; its queries are measured in campaigns/tests/test_binder.py",
    "campaigns:evidence_detail": "one record",
    "campaigns:evidence_download": "one file",
    "campaigns:evidence_withdraw": "form",
    "inspections:inspection_create": "form",
    "inspections:inspection_detail": "one record",
    "inspections:finding_photo": "one photo",
    "inspections:checklist_create": "form",
    "inspections:checklist_update": "form",
    "inspections:item_create": "form",
    "inspections:item_update": "form",
    "inspections:item_delete": "form",
    "inspections:checklist_new_version": "action",
    "inspections:checklist_publish": "action",
    "inspections:checklist_retire": "action",
    "inspections:map": "page shell; its data is inspections:map_data",
    "cases:case_create": "form",
    "cases:case_photo": "one photo",
    "cases:case_act": "form",
    "cases:public_report": "form",
    "cases:public_photo": "one photo",
    "territory:map": "page shell; its data is territory:map_data",
    "territory:assignment_create": "form",
    "territory:assignment_end": "form",
    "territory:compound_create": "form",
    "territory:compound_update": "form",
    "territory:building_create": "form",
    "territory:building_update": "form",
    "territory:shop_create": "form",
    "territory:shop_detail": "one record",
    "territory:shop_update": "form",
    "territory:partner_unit_create": "form",
    "territory:partner_unit_detail": "one record",
    "territory:partner_unit_update": "form",
}


def _url_names(patterns: Iterable, namespace: str = "") -> Iterable[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if inner.startswith("admin:"):
                continue  # Django's admin pages, paged by Django
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            # A pattern without a name is known by its view, so that it cannot slip past unclassified.
            view = getattr(pattern.callback, "view_class", pattern.callback)
            yield f"{namespace}{pattern.name}" if pattern.name else f"{view.__module__}.{view.__qualname__}"


def measure(client: Client, urls: list[str], headers: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Per URL: the queries it takes and the size of what it answers (after a warm-up request for the session)."""
    client.get(urls[0], headers=headers)
    found = {}
    for url in urls:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, headers=headers)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, (url, response.status_code)
        found[url] = (len(context.captured_queries), len(body))
    return found


def test_every_list_url_has_a_budget():
    names = set(_url_names(get_resolver().url_patterns))
    unclassified = names - LIST_URLS - set(NOT_LISTS)
    assert not unclassified, f"URL names neither measured here (BUDGETS) nor in NOT_LISTS: {sorted(unclassified)}"
    gone = (LIST_URLS | set(NOT_LISTS)) - names
    assert not gone, f"no longer in the URL conf: {sorted(gone)}"
    assert not LIST_URLS & set(NOT_LISTS)


@pytest.mark.parametrize("budget", BUDGETS, ids=[budget.id for budget in BUDGETS])
def test_its_queries_do_not_grow_with_the_rows(cast, budget: Budget):
    world = World(cast)
    world.extra["grid2_worker"] = _user("grid2worker", "网格员二", Role.GRID_WORKER, area=cast.grid2)
    world.extra["grid1_worker2"] = _user("grid1worker2", "网格员一", Role.GRID_WORKER, area=cast.grid1)
    for prepare in budget.prepare:
        prepare(world)
    for grow in budget.growers:
        grow(world, SMALL)
    urls = budget.urls(world)
    measured = {resolve(url.split("?")[0]).view_name for url in urls}
    assert set(budget.names) <= measured <= LIST_URLS, (measured, budget.names)
    client = cast.client(getattr(cast, budget.who) if budget.who else None)
    few = measure(client, urls, budget.headers)
    for grow in budget.growers:
        grow(world, 2 * SMALL)
    many = measure(client, urls, budget.headers)
    grew = {url: many[url][0] - few[url][0] for url in urls if many[url][0] != few[url][0]}
    assert not grew, f"queries grew with the rows (url: more queries): {grew}; few: {few}"
    not_shown = [url for url in urls if many[url][1] <= few[url][1] and url not in FIGURES_ONLY]
    assert not not_shown, f"the larger data set did not show on: {not_shown}"


def test_the_case_queue_counts_in_one_query_match_the_queues(cast):
    """The case list's tabs count every queue in one query (selectors.queue_counts): the same cases as the
    queues list, with a case in each of them."""
    from wangge.cases import selectors as case_selectors

    world = World(cast)
    world.extra["grid2_worker"] = _user("grid2worker", "网格员二", Role.GRID_WORKER, area=cast.grid2)
    grow_cases(world, 2)
    category = Category.objects.filter(active=True, public=True, photo_required=False, level="compound").first()
    past = timezone.now() - datetime.timedelta(days=30)
    late = case_services.case_report(
        actor=None, category=category, description="逾期", source="resident", compound=cast.compound1, now=past
    )
    late = case_services.case_act(actor=cast.grid_leader, case=late, action="register", now=past)
    late = case_services.case_act(
        actor=cast.grid_leader, case=late, action="dispatch", assignee=cast.grid_worker, now=past
    )
    case_services.case_act(actor=cast.grid_worker, case=late, action="handle", note="好了", photos=[jpeg()])
    for who in (cast.director, cast.grid_leader, cast.grid_worker):
        counts = case_selectors.queue_counts(who)
        expected = {name: case_selectors.queue(who, name).count() for name in case_selectors.QUEUES if name != "all"}
        assert counts == expected, who
    assert all(case_selectors.queue_counts(cast.grid_worker).values())
