"""The people register's sweep task: registration reminders to the responsible persons, and purging."""

import datetime
import itertools
import json
import zoneinfo

import pytest
from django.db import connection

from wangge.core import sweep
from wangge.core.models import AuditEvent
from wangge.core.notifications import Notification
from wangge.core.testing import race
from wangge.people import services
from wangge.people.models import ResidenceRegistration, Resident, ResidentStatus
from wangge.territory import services as territory_services

D = datetime.date
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2025, 6, 15, 9, 0, tzinfo=BEIJING)
_numbers = itertools.count(1)
REMINDERS = ["people.registration_due", "people.permit_expiring", "people.permit_expired"]


def resident(dwelling, name: str, *, moved_in_on: datetime.date | None = None, phone: str = "") -> Resident:
    """A floating resident through the service (a passport: no ID-card checksum to satisfy)."""
    return services.resident_create(
        actor=None,
        name=name,
        sex="male",
        birth_date=D(1988, 3, 3),
        id_type="passport",
        id_number=f"G{next(_numbers):08d}",
        phone=phone,
        residence="floating",
        dwelling=dwelling,
        moved_in_on=moved_in_on,
    )


def register(person: Resident, on: datetime.date, expires: datetime.date) -> ResidenceRegistration:
    return services.registration_create(
        actor=None, resident=person, registered_on=on, expires_on=expires, permit_number="JZZ41010500001"
    )


@pytest.fixture
def register_book(cast):
    """Three residents at three stages: one in a building with a responsible person, one in a dwelling with
    its own, one in grid 002 where nobody in the grid itself answers (the community's director is told)."""
    territory_services.assignment_create(actor=None, person=cast.building_leader, place=cast.building1)
    territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.dwellings[1])
    office_dwelling = territory_services.dwelling_create(actor=None, building=cast.office, number="301")
    due = resident(cast.dwellings[0], "欧阳娜娜", moved_in_on=D(2025, 1, 1), phone="13912345678")
    expiring = resident(cast.dwellings[1], "司马光明", moved_in_on=D(2024, 1, 1))
    registration = register(expiring, D(2024, 7, 1), D(2025, 7, 1))
    expired = resident(office_dwelling, "诸葛亮亮", moved_in_on=D(2024, 1, 1))
    register(expired, D(2024, 1, 2), D(2025, 5, 1))
    return cast, due, expiring, registration, expired


def reminders(**filters) -> list[Notification]:
    return list(Notification.objects.filter(event__in=REMINDERS, channel="in_app", **filters).order_by("id"))


class ReminderTests:
    def test_it_is_registered_as_a_sweep_task(self):
        assert "people" in sweep.tasks()

    def test_it_tells_the_responsible_persons_of_each_stage(self, register_book):
        cast, due, expiring, registration, expired = register_book
        counts = sweep.run(now=NOW, only=["people"])["people"]
        assert (counts["due"], counts["expiring"], counts["expired"]) == (1, 1, 1)
        told = {(n.event, n.recipient) for n in reminders()}
        assert told == {
            # The building's responsible person is a building leader, who does not see registrations: the
            # grid's staff are told instead.
            ("people.registration_due", cast.grid_leader),
            ("people.registration_due", cast.grid_worker),
            ("people.permit_expiring", cast.grid_worker),  # the dwelling's own comes before the building's
            ("people.permit_expired", cast.director),  # grid 002 has no staff of its own
        }
        (expiring_note,) = reminders(event="people.permit_expiring")
        assert expiring_note.payload == {"stage": "expiring", "grid": cast.grid1.code, "registration": registration.pk}
        assert f"grid={cast.grid1.code}" in expiring_note.link

    def test_it_tells_the_grid_staff_when_nobody_answers_for_the_building(self, cast):
        resident(cast.dwellings[0], "欧阳娜娜", moved_in_on=D(2025, 1, 1))
        sweep.run(now=NOW, only=["people"])
        assert {n.recipient for n in reminders()} == {cast.grid_leader, cast.grid_worker}

    def test_it_sends_each_reminder_once(self, register_book):
        sweep.run(now=NOW, only=["people"])
        before = Notification.objects.count()
        counts = sweep.run(now=NOW + datetime.timedelta(minutes=1), only=["people"])["people"]
        assert (counts["due"], counts["expiring"], counts["expired"]) == (0, 0, 0)
        assert Notification.objects.count() == before

    def test_it_reminds_again_when_the_stage_changes(self, register_book):
        cast, due, expiring, registration, expired = register_book
        sweep.run(now=NOW, only=["people"])
        later = datetime.datetime(2025, 7, 2, 9, 0, tzinfo=BEIJING)
        counts = sweep.run(now=later, only=["people"])["people"]
        assert counts["expired"] == 1  # 司马's permit ran out on 07-01
        assert len(reminders(event="people.permit_expired")) == 2

    def test_it_puts_no_personal_data_but_the_masked_name_into_messages(self, register_book):
        sweep.run(now=NOW, only=["people"])
        for note in Notification.objects.filter(event__in=REMINDERS):
            text = json.dumps([note.subject, note.body, note.link, note.payload], ensure_ascii=False)
            for clear in ("欧阳娜娜", "司马光明", "诸葛亮亮", "13912345678", "JZZ41010500001", "G0000"):
                assert clear not in text
        assert reminders(event="people.registration_due")[0].subject.endswith("欧***")


@pytest.fixture
def archived(cast):
    person = resident(cast.dwellings[0], "慕容复兴", moved_in_on=D(2020, 1, 1), phone="13700001111")
    register(person, D(2020, 1, 2), D(2022, 1, 2))
    return services.resident_archive(actor=None, resident=person, status=ResidentStatus.MOVED_OUT, on=D(2025, 1, 1))


class PurgeTests:
    def test_it_keeps_an_archived_resident_during_the_retention_period(self, archived, settings):
        settings.PEOPLE_RETENTION_DAYS = 365
        now = archived.archived_at + datetime.timedelta(days=364)
        assert sweep.run(now=now, only=["people"])["people"]["purged"] == 0
        assert Resident.objects.filter(pk=archived.pk).exists()

    def test_it_purges_after_the_retention_period(self, archived, settings):
        settings.PEOPLE_RETENTION_DAYS = 365
        now = archived.archived_at + datetime.timedelta(days=366)
        assert sweep.run(now=now, only=["people"])["people"]["purged"] == 1
        assert not Resident.objects.filter(pk=archived.pk).exists()
        assert not ResidenceRegistration.objects.filter(resident_id=archived.pk).exists()
        assert sweep.run(now=now, only=["people"])["people"]["purged"] == 0

    def test_it_never_purges_a_living_resident(self, cast, settings):
        living = resident(cast.dwellings[0], "长住", moved_in_on=D(2001, 1, 1))
        sweep.run(now=NOW + datetime.timedelta(days=3650), only=["people"])
        assert Resident.objects.filter(pk=living.pk).exists()

    def test_it_audits_the_purge_without_personal_data(self, archived, settings):
        now = archived.archived_at + datetime.timedelta(days=settings.PEOPLE_RETENTION_DAYS + 1)
        sweep.run(now=now, only=["people"])
        event = AuditEvent.objects.get(action="resident.purge")
        assert (event.object_id, event.actor, event.area_path) == (str(archived.pk), None, archived.area_path)
        text = json.dumps(
            [event.object_repr, event.before, event.after, event.reason, event.actor_label], ensure_ascii=False
        )
        for clear in ("慕容", "13700001111", "0001111", "G0000", "JZZ"):
            assert clear not in text
        assert event.before["registrations"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections and row locks: PostgreSQL")
class ConcurrentSweepTests:
    def test_it_runs_twice_at_once_without_doubling_anything(self, register_book, archived, settings):
        now = archived.archived_at + datetime.timedelta(days=settings.PEOPLE_RETENTION_DAYS + 1)
        outcomes = race(*[lambda: services.people_sweep(now=now)] * 2)
        assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
        assert sum(outcome["purged"] for outcome in outcomes) == 1
        assert AuditEvent.objects.filter(action="resident.purge").count() == 1
        keys = [n.dedupe_key for n in Notification.objects.filter(event__in=REMINDERS)]
        # Two "due" (the grid leader and the grid worker) and two "expired" (a year on, both permits have run out).
        assert len(keys) == len(set(keys)) == 4
