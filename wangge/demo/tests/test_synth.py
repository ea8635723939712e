"""`wangge synth`: one community at full size on the test database (SQLite, or PostgreSQL in CI), checked the way
the product reads it: proportions, codes and paths, tiling grids, encrypted data that decrypts and is found by
its blind index, cases whose timelines and timestamps agree, the pages and metrics over them, determinism.
"""

import datetime
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from wangge.accounts import services as account_services
from wangge.accounts.models import Membership, User
from wangge.cases.metrics import case_metrics
from wangge.cases.models import OPEN_STATES, Case, CaseEvent, Rating, State
from wangge.core.calendar import add_hours
from wangge.core.models import AuditEvent
from wangge.core.pii import blind_index
from wangge.core.validators import validate_id_number
from wangge.demo.synth import synthesize
from wangge.people.models import Household, Residence, Resident, ResidentStatus
from wangge.territory.geo import check_grids, parse_boundary
from wangge.territory.models import Area, AreaKind, Assignment, Building, Compound, Shop
from wangge.territory.selectors import locate_grid

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TODAY = datetime.date(2026, 3, 15)
SEED = 7
COMMUNITY = "410105001001"


def _synth(*args: str) -> str:
    out = StringIO()
    call_command("synth", "--scale", "community", "--today", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def test_one_community_at_full_size() -> None:
    # The plan alone, before anything is written: one seed gives one fingerprint, another seed another.
    planned = synthesize(scale="community", seed=SEED, today=TODAY, write=False, fingerprint=True)
    other = synthesize(scale="community", seed=SEED + 1, today=TODAY, write=False, fingerprint=True)
    assert planned.fingerprint != other.fingerprint
    assert not Area.objects.exists() and not Resident.objects.exists()

    output = _synth("--seed", str(SEED), "--fingerprint")
    # What was written is what the plan said (every column but ciphertext, password hashes and tracking codes).
    assert f"fingerprint {planned.fingerprint}" in output
    for stage in ("territory", "people", "cases", "finish"):
        assert re.search(rf"^\s+{stage}\s+done", output, re.M), output
    assert "rows/s" in output

    _check_territory()
    _check_people()
    _check_cases()
    _check_product()

    # Written as one audit event for the load (plus the working calendar's own import), not one per row.
    assert AuditEvent.objects.filter(action="demo.synth").count() == 1
    assert AuditEvent.objects.exclude(action__startswith="calendar_day.").count() == 1
    # The sequences moved past the keys the load handed out: the next row the product writes gets a new key.
    newcomer = account_services.user_create(actor=None, username="after-synth", display_name="新用户")
    assert newcomer.pk > User.objects.exclude(pk=newcomer.pk).order_by("-pk").first().pk

    with pytest.raises(CommandError, match="in use"):
        _synth("--no-migrate")
    assert Area.objects.filter(kind=AreaKind.COMMUNITY).count() == 1


def test_it_touches_no_database_in_use() -> None:
    # Accounts but no territory yet (a deployment before its first grid import): refused, nothing written.
    account_services.user_create(actor=None, username="office", display_name="办公室")
    with pytest.raises(CommandError, match="accounts_user"):
        _synth()
    assert not Area.objects.exists() and User.objects.count() == 1


def _check_territory() -> None:
    kinds = Counter(Area.objects.values_list("kind", flat=True))
    assert kinds == {AreaKind.DISTRICT: 1, AreaKind.SUBDISTRICT: 1, AreaKind.COMMUNITY: 1, AreaKind.GRID: 10}
    for area in Area.objects.select_related("parent"):
        assert area.path == Area.path_for(area.code, area.kind)
        assert area.parent is None or area.path.startswith(area.parent.path)
    community = Area.objects.get(code=COMMUNITY)
    grids = {g.code: parse_boundary(g.boundary) for g in community.children.all()}
    tiling = check_grids(parse_boundary(community.boundary), grids)
    assert tiling.errors == [] and tiling.gap_m2 == 0.0
    assert Compound.objects.count() == 20
    assert 160 <= Shop.objects.count() <= 174
    assert Building.objects.filter(kind="office").count() == 3
    for compound in Compound.objects.select_related("area"):
        assert compound.area_path == f"{compound.area.path}{compound.code}/"
        assert locate_grid(compound.longitude, compound.latitude) == compound.area
    for shop in Shop.objects.select_related("area")[:40]:
        assert locate_grid(shop.longitude, shop.latitude) == shop.area
        assert shop.contact_phone.startswith("13800") and len(shop.contact_phone) == 11
    # Staff: a director, grid leader and worker per grid; most places have a responsible person, a few not.
    roles = Counter(Membership.objects.filter(scope_path__startswith=community.path).values_list("role", flat=True))
    assert roles["director"] == 1 and roles["grid_leader"] == roles["grid_worker"] == 10
    assert User.objects.get(username=f"synth-{COMMUNITY}-gw01").has_usable_password() is False
    assigned = set(Assignment.objects.exclude(compound=None).values_list("compound_id", flat=True))
    assert len(assigned) == 18
    assert 0.9 < Assignment.objects.exclude(shop=None).count() / Shop.objects.count() < 1


def _check_people() -> None:
    living = Resident.objects.filter(status=ResidentStatus.LIVING)
    assert 8_500 <= living.count() <= 11_500
    assert 0.18 < living.filter(residence=Residence.FLOATING).count() / living.count() < 0.35
    assert 2.4 < Resident.objects.count() / Household.objects.count() < 3.3
    resident = living.exclude(phone_index="").order_by("pk")[500]
    # Decrypted through the model: a valid made-up ID number and a phone from the made-up ranges.
    validate_id_number(resident.id_number)
    assert resident.phone[:3] in ("170", "171")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_resident WHERE id = %s", [resident.pk])
        stored = cursor.fetchone()
    assert all(value.startswith("v1:") for value in stored) and resident.id_number not in stored[0]
    assert Resident.objects.get(id_number_index=blind_index(resident.id_number)) == resident
    ids = Resident.objects.values_list("id_number_index", flat=True)
    assert len(set(ids)) == len(ids)
    tagged = Resident.objects.exclude(sensitive_tags_index="").first()
    assert tagged is not None and tagged.sensitive_tags.startswith(",")
    for resident in living.select_related("household", "dwelling")[:200]:
        assert resident.area_path == resident.dwelling.area_path == resident.household.area_path


def _check_cases() -> None:
    cases = list(Case.objects.select_related("area", "compound", "category"))
    assert 6_000 <= len(cases) <= 7_500
    midnight = datetime.datetime.combine(TODAY, datetime.time(0), tzinfo=datetime.UTC) - datetime.timedelta(hours=8)
    assert min(c.reported_at for c in cases) >= midnight - datetime.timedelta(days=3 * 365 + 1)
    assert max(c.reported_at for c in cases) < midnight
    states = Counter(c.state for c in cases)
    assert states[State.CLOSED] > 0.9 * len(cases)
    assert states[State.REJECTED] and states[State.SUSPENDED] and sum(states[s] for s in OPEN_STATES)
    assert any(c.rework_count for c in cases) and any(c.postponed for c in cases) and any(c.reopen_count for c in cases)
    assert any(c.overdue_at and c.state in OPEN_STATES for c in cases)
    last = {}
    actions = defaultdict(list)
    for event in CaseEvent.objects.order_by("at", "id"):
        last[event.case_id] = event
        actions[event.case_id].append(event.action)
    working = 0
    for case in cases:
        assert case.area_path.startswith(case.area.path)
        if case.compound:
            assert case.area_path == case.compound.area_path and case.area_id == case.compound.area_id
        assert actions[case.pk][0] == "report" and last[case.pk].to_state == case.state
        assert case.number == f"{timezone.localdate(case.reported_at):%Y%m%d}{case.pk:06d}"
        steps = [case.reported_at, case.registered_at, case.dispatched_at, case.handled_at, case.verified_at]
        present = [s for s in steps if s is not None]
        assert present == sorted(present)
        if case.state == State.CLOSED:
            assert case.closed_at >= case.verified_at >= case.handled_at >= case.dispatched_at
            assert case.closed_at < midnight and case.assignee_id is not None
        if case.dispatched_at and not case.postponed and case.category.working_hours and working < 40:
            # Working-hour deadlines as the product computes them.
            working += 1
            assert case.deadline_at == add_hours(case.dispatched_at, case.category.deadline_hours, working=True)
    assert working
    assert 2 < CaseEvent.objects.count() / len(cases) < 12
    assert Rating.objects.exists()


def _check_product() -> None:
    worker = User.objects.get(username=f"synth-{COMMUNITY}-gw01")
    grid = Area.objects.get(code=f"{COMMUNITY}001")
    client = Client()
    client.force_login(worker)
    listing = client.get("/cases/?queue=all")
    assert listing.status_code == 200
    case = Case.objects.filter(area=grid, state=State.CLOSED, rework_count=0).order_by("-reported_at").first()
    detail = client.get(f"/cases/{case.number}/")
    assert detail.status_code == 200
    assert case.number.encode() in detail.content
    foreign = Case.objects.exclude(area=grid).first()
    assert client.get(f"/cases/{foreign.number}/").status_code == 404
    assert client.get("/cases/metrics/").status_code == 200
    total = case_metrics(Case.objects.for_user(worker))[0]
    assert total.reported == Case.objects.filter(area=grid).count()
    assert 0.9 < total.rates["closure"] <= 1 and total.rates["composite"] is not None
    by_grid = case_metrics(Case.objects.all(), by="grid")
    assert len(by_grid) == 10
    director = User.objects.get(username=f"synth-{COMMUNITY}-director")
    client.force_login(director)
    assert client.get("/people/residents/").status_code == 200
    assert client.get("/coverage/").status_code == 200
