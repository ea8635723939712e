"""The demo's people register: made-up, valid, deterministic, encrypted, with content for every page.

Most tests load the register into a small slice (the cast's compound with a hundred dwellings); the proportions
of the whole demo (about 9,000 residents in about 3,200 households, a quarter floating) are checked in
test_demo.py, where the whole demo is built once.
"""

import datetime
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django_tasks import task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from conftest import Cast
from wangge.core.models import AuditEvent
from wangge.core.validators import id_number_birth_date, validate_id_number, validate_mobile
from wangge.demo.builder import build_demo
from wangge.demo.management.commands import demo as demo_command
from wangge.demo.people import PeopleSummary, build_people, residential_dwellings
from wangge.people import tags as care_tags
from wangge.people.models import Household, Relation, Residence, ResidenceRegistration, Resident, ResidentStatus
from wangge.people.services import resident_validate
from wangge.territory import services as territory_services
from wangge.territory.models import Dwelling

TODAY = datetime.date(2026, 3, 15)
SLICE = 100


def _add_dwellings(cast: Cast, count: int) -> None:
    """`count` more dwellings in the cast's building (written in bulk: the services are not under test)."""
    building = cast.building1
    Dwelling.objects.bulk_create(
        Dwelling(
            building=building,
            unit=str(2 + n // 20),
            number=f"{1 + n % 20 // 2}{1 + n % 2:02d}",
            area_path=building.area_path,
        )
        for n in range(count)
    )


@pytest.fixture
def slice_cast(cast: Cast) -> Cast:
    _add_dwellings(cast, SLICE - len(cast.dwellings))
    return cast


@pytest.fixture
def loaded(slice_cast: Cast) -> PeopleSummary:
    return build_people(slice_cast.home, today=TODAY)


def _living() -> list[Resident]:
    return list(Resident.objects.filter(status=ResidentStatus.LIVING).select_related("household"))


@pytest.mark.django_db
class PeopleSliceTests:
    def test_it_fills_the_dwellings_with_households(self, slice_cast: Cast, loaded: PeopleSummary) -> None:
        assert loaded.households == Household.objects.count() > SLICE * 0.9
        assert loaded.residents == Resident.objects.filter(status=ResidentStatus.LIVING).count() > SLICE * 2
        numbers = list(Household.objects.values_list("number", flat=True))
        assert len(numbers) == len(set(numbers)) and all(n.startswith("JXJ-H") for n in numbers)
        assert all(h.community_id == slice_cast.home.pk for h in Household.objects.all())

    def test_it_gives_every_living_household_one_head(self, loaded: PeopleSummary) -> None:
        heads = Counter(r.household_id for r in _living() if r.relation == Relation.HEAD)
        assert set(heads.values()) == {1}
        assert len(heads) == loaded.households

    def test_it_makes_residents_that_pass_the_services_validation(self, loaded: PeopleSummary) -> None:
        for resident in Resident.objects.select_related("household"):
            resident_validate(resident, today=TODAY)  # raises on the first invalid one

    def test_it_makes_valid_unique_id_numbers_that_agree_with_birth_and_sex(self, loaded: PeopleSummary) -> None:
        residents = list(Resident.objects.all())
        numbers = [r.id_number for r in residents]
        assert len(set(numbers)) == len(numbers)
        for resident in residents:
            assert validate_id_number(resident.id_number) == resident.id_number
            assert id_number_birth_date(resident.id_number) == resident.birth_date
            assert (int(resident.id_number[16]) % 2 == 1) == (resident.sex == "male")
            if resident.residence == Residence.REGISTERED:
                assert resident.registered_address == ""
            else:
                assert resident.registered_address.startswith(
                    ("河南省", "安徽省", "山东省", "河北省", "湖北省", "山西省", "陕西省", "江苏省", "四川省")
                )

    def test_it_uses_only_the_virtual_operator_ranges_for_phones(self, loaded: PeopleSummary) -> None:
        phones = [r.phone for r in Resident.objects.all() if r.phone]
        assert phones and len(set(phones)) == len(phones)
        assert all(p[:3] in ("170", "171") and validate_mobile(p) == p for p in phones)

    def test_it_stores_personal_data_only_encrypted(self, loaded: PeopleSummary) -> None:
        clear = {r.id_number for r in Resident.objects.all()} | {r.phone for r in Resident.objects.all() if r.phone}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id_number, phone, sensitive_tags FROM {Resident._meta.db_table}")  # noqa: S608
            rows = cursor.fetchall()
            cursor.execute(f"SELECT permit_number FROM {ResidenceRegistration._meta.db_table}")  # noqa: S608
            rows += cursor.fetchall()
        for row in rows:
            for value in row:
                assert value == "" or value.startswith("v1:")
                assert value not in clear
        assert any(value for row in rows for value in row[2:3])  # some sensitive tags were written

    def test_it_keeps_the_dwellings_area_path(self, slice_cast: Cast, loaded: PeopleSummary) -> None:
        path = slice_cast.building1.area_path
        assert set(Resident.objects.values_list("area_path", flat=True)) == {path}
        assert set(Household.objects.values_list("area_path", flat=True)) == {path}
        assert set(ResidenceRegistration.objects.values_list("area_path", flat=True)) <= {path}

    def test_it_dates_everything_consistently(self, loaded: PeopleSummary) -> None:
        for resident in Resident.objects.all():
            assert resident.birth_date <= resident.moved_in_on <= TODAY
            if resident.status == ResidentStatus.MOVED_OUT:
                assert resident.moved_in_on < resident.moved_out_on <= TODAY and resident.archived_at is not None
        for registration in ResidenceRegistration.objects.select_related("resident"):
            assert registration.resident.residence != Residence.REGISTERED
            assert registration.resident.moved_in_on <= registration.registered_on <= TODAY
            assert registration.expires_on is None or registration.expires_on > registration.registered_on

    def test_it_tags_the_elderly_living_alone(self, loaded: PeopleSummary) -> None:
        living = _living()
        size = Counter(r.household_id for r in living)
        for resident in living:
            alone = size[resident.household_id] == 1 and resident.age(TODAY) >= 60
            assert ("elderly_alone" in care_tags.unpack(resident.tags)) == alone
            assert set(care_tags.unpack(resident.sensitive_tags)) <= care_tags.SENSITIVE_CODES

    def test_it_puts_someone_old_and_alone_where_a_grid_worker_visits_each_week(self, slice_cast: Cast) -> None:
        dwelling = residential_dwellings(slice_cast.home)[7]
        territory_services.assignment_create(actor=None, person=slice_cast.grid_worker, place=dwelling)
        build_people(slice_cast.home, today=TODAY)
        (resident,) = Resident.objects.filter(dwelling=dwelling, status=ResidentStatus.LIVING)
        assert "elderly_alone" in care_tags.unpack(resident.tags)

    def test_it_records_one_audit_event_for_the_load(self, slice_cast: Cast, loaded: PeopleSummary) -> None:
        (event,) = AuditEvent.objects.filter(action="people.demo_load")
        assert event.actor is None and event.actor_label == "system"
        assert event.after["residents"] == loaded.residents and event.after["households"] == loaded.households
        assert event.area_path == slice_cast.home.path
        assert not AuditEvent.objects.filter(object_type="people.resident").exists()

    def test_it_draws_the_same_people_whatever_the_day(self, slice_cast: Cast) -> None:
        def load(today: datetime.date) -> list[tuple[str, str, str, str]]:
            with transaction.atomic():
                build_people(slice_cast.home, today=today)
                rows = [
                    (r.name, r.sex, r.id_number[:6] + r.id_number[14:17], r.relation) for r in Resident.objects.all()
                ]
                transaction.set_rollback(True)
            return rows

        first = load(TODAY)
        assert len(first) > SLICE
        assert first == load(TODAY - datetime.timedelta(days=400))

    def test_it_limits_the_load_to_the_first_dwellings(self, slice_cast: Cast) -> None:
        build_people(slice_cast.home, today=TODAY, limit=10)
        assert Household.objects.values("dwelling").distinct().count() <= 10


@pytest.mark.django_db
class DemoCommandTests:
    def test_it_adds_people_to_a_demo_built_before_the_register(self, slice_cast: Cast) -> None:
        out = StringIO()
        summary = build_demo(password="unused-pass", stdout=out)  # noqa: S106
        assert "residents" in out.getvalue() and summary.residents > 0
        assert summary.households == Household.objects.count()
        again = StringIO()
        build_demo(password="unused-pass", stdout=again)  # noqa: S106
        assert "nothing to build" in again.getvalue()

    def test_it_prints_the_people_line(self, slice_cast: Cast) -> None:
        out = StringIO()
        call_command("demo", "--no-serve", stdout=out)
        lines = out.getvalue().splitlines()
        residents = next(line for line in lines if "流动人口" in line)
        assert re.search(r"居民 residents +[\d,]+ 人（流动人口 floating [\d,]+ 人）", residents)
        assert any(re.search(r"家庭户 households +[\d,]+ 户", line) for line in lines)

    def test_it_starts_no_worker_with_no_serve(self, slice_cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(demo_command, "start_worker", lambda: pytest.fail("no worker with --no-serve"))
        call_command("demo", "--no-serve", stdout=StringIO())

    def test_it_stops_the_worker_when_the_server_stops(self, slice_cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # noqa: S603
        monkeypatch.setattr(demo_command, "start_worker", lambda: child)
        real_call_command = demo_command.call_command

        def fake_call_command(name: str, *args, **kwargs):
            if name == "runserver":
                raise KeyboardInterrupt  # Ctrl+C
            return real_call_command(name, *args, **kwargs)

        monkeypatch.setattr(demo_command, "call_command", fake_call_command)
        before = signal.getsignal(signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt):
            call_command("demo", stdout=StringIO())
        assert child.poll() is not None
        assert signal.getsignal(signal.SIGTERM) == before

    def test_it_runs_the_worker_as_wangge_worker(self) -> None:
        command = demo_command.worker_command()
        assert command[:4] == [sys.executable, "-m", "wangge.cli", "worker"] and "--no-reload" in command

    def test_it_kills_a_worker_that_will_not_stop(self) -> None:
        stubborn = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"]
        )
        time.sleep(0.5)  # let it install its handler
        started = time.monotonic()
        assert demo_command.stop_worker(stubborn, timeout=0.5) != 0
        assert time.monotonic() - started < 5


@task()
def add(a: int, b: int) -> int:
    return a + b


@pytest.mark.django_db
class WorkerCommandTests:
    def test_it_runs_the_queued_jobs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # The worker closes connections between jobs as a request would; inside the test's transaction that
        # would close the connection the test (and the module's demo build) still uses.
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
                result = add.enqueue(2, 3)
                call_command("worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO())
                assert DBTaskResult.objects.get(id=result.id).return_value == 5
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
