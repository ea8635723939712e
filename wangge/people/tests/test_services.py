"""The people register's services: what they accept, normalise and refuse, and that refusing writes nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wangge.core.models import AuditEvent
from wangge.people import services
from wangge.people.models import Household, Resident, ResidentStatus
from wangge.people.tests.conftest import ADULT_ID, id_number

NUMBER = id_number("19880808", "777")  # a man born 1988-08-08


def create(cast, **changes) -> Resident:
    actor = changes.pop("actor", None)
    fields = {"name": "测试人", "id_number": NUMBER, "residence": "registered", "dwelling": cast.dwellings[1]}
    fields.update(changes)
    return services.resident_create(actor=actor, **fields)


def errors(excinfo) -> dict:
    return excinfo.value.message_dict


class ResidentValidationTests:
    def test_it_reads_birth_date_and_sex_from_the_id_number(self, cast):
        resident = create(cast)
        assert (resident.birth_date, resident.sex) == (datetime.date(1988, 8, 8), "male")

    def test_it_refuses_a_wrong_check_digit(self, cast):
        wrong = NUMBER[:-1] + ("1" if NUMBER[-1] != "1" else "2")
        with pytest.raises(ValidationError) as excinfo:
            create(cast, id_number=wrong)
        assert "id_number" in errors(excinfo)
        assert not Resident.objects.exists()

    def test_it_refuses_a_birth_date_or_sex_that_contradicts_the_number(self, cast):
        with pytest.raises(ValidationError) as excinfo:
            create(cast, birth_date=datetime.date(1988, 8, 9), sex="female")
        assert {"birth_date", "sex"} <= set(errors(excinfo))
        assert not Resident.objects.exists()

    def test_it_normalises_full_width_digits_and_a_lower_case_x(self, cast):
        # Find a number of that birth date whose check character is X.
        number = next(
            candidate
            for sequence in range(100, 999)
            if (candidate := id_number("19880808", f"{sequence:03d}")).endswith("X")
        )
        typed = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
        resident = create(cast, id_number=f" {typed} ", phone="１３８ 0000 1111")
        assert Resident.objects.get(pk=resident.pk).id_number == number
        assert Resident.objects.get(pk=resident.pk).phone == "13800001111"

    def test_it_refuses_a_document_number_already_registered(self, cast):
        create(cast)
        with pytest.raises(ValidationError) as excinfo:
            create(cast, name="另一人", id_number=NUMBER.lower())
        assert "id_number" in errors(excinfo)
        assert Resident.objects.count() == 1

    def test_it_refuses_a_second_head_of_household(self, cast):
        household = services.household_create(actor=None, dwelling=cast.dwellings[1], number="H7")
        create(cast, household=household, relation="head")
        with pytest.raises(ValidationError) as excinfo:
            create(cast, id_number=ADULT_ID, household=household, relation="head")
        assert "relation" in errors(excinfo)

    def test_it_refuses_a_household_of_another_dwelling(self, cast):
        household = services.household_create(actor=None, dwelling=cast.dwellings[0], number="H8")
        with pytest.raises(ValidationError) as excinfo:
            create(cast, household=household, relation="spouse")
        assert "household" in errors(excinfo)

    def test_it_refuses_a_bad_phone_and_a_future_date(self, cast):
        with pytest.raises(ValidationError) as excinfo:
            create(cast, phone="12345", moved_in_on=datetime.date(2999, 1, 1))
        assert {"phone", "moved_in_on"} <= set(errors(excinfo))

    def test_it_keeps_sensitive_tags_apart_from_plain_ones(self, cast):
        resident = create(cast, tags=["veteran", "disabled"])
        assert (resident.tags, resident.sensitive_tags) == (",veteran,", ",disabled,")
        with pytest.raises(ValidationError):
            create(cast, id_number=ADULT_ID, tags=["nonsense"])

    def test_it_audits_with_masked_personal_data_only(self, cast):
        resident = create(cast, phone="13800001111")
        event = AuditEvent.objects.get(action="resident.create", object_id=str(resident.pk))
        assert NUMBER not in str(event.after) and "13800001111" not in str(event.after)


class ScopeTests:
    def test_it_refuses_a_grid_worker_adding_a_resident(self, cast):
        with pytest.raises(PermissionDenied):
            create(cast, actor=cast.grid_worker)

    def test_it_refuses_an_outsider(self, cast):
        with pytest.raises(PermissionDenied):
            create(cast, actor=cast.outsider)
        assert not Resident.objects.exists()


class ArchiveTests:
    def test_it_archives_and_then_keeps_the_record_read_only(self, cast):
        resident = create(cast)
        services.resident_archive(
            actor=cast.grid_worker, resident=resident, status="moved_out", on=datetime.date(2024, 5, 1)
        )
        resident.refresh_from_db()
        assert resident.status == ResidentStatus.MOVED_OUT and resident.archived_at is not None
        with pytest.raises(ValidationError):
            services.resident_update(actor=cast.director, resident=resident, name="改名")
        with pytest.raises(ValidationError):
            services.resident_archive(
                actor=cast.director, resident=resident, status="deceased", on=datetime.date(2024, 6, 1)
            )
        assert Resident.objects.get(pk=resident.pk).name == "测试人"

    def test_it_frees_the_head_of_household_role(self, cast):
        household = services.household_create(actor=None, dwelling=cast.dwellings[1], number="H6")
        head = create(cast, household=household, relation="head")
        services.resident_archive(actor=None, resident=head, status="deceased", on=datetime.date(2024, 5, 1))
        create(cast, id_number=ADULT_ID, household=household, relation="head")
        assert household.members.filter(relation="head").count() == 1

    def test_it_refuses_an_unknown_status(self, cast):
        resident = create(cast)
        with pytest.raises(ValidationError):
            services.resident_archive(actor=None, resident=resident, status="living", on=datetime.date(2024, 5, 1))


class HouseholdTests:
    def test_it_refuses_a_duplicate_number_in_the_community(self, cast):
        services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        with pytest.raises(ValidationError) as excinfo:
            services.household_create(actor=None, dwelling=cast.dwellings[1], number="H1")
        assert "number" in errors(excinfo)
        assert Household.objects.count() == 1

    def test_it_moves_living_members_with_their_household(self, cast):
        household = services.household_create(actor=None, dwelling=cast.dwellings[0], number="H1")
        member = create(cast, dwelling=cast.dwellings[0], household=household, relation="head")
        services.household_update(actor=cast.grid_leader, household=household, dwelling=cast.dwellings[1])
        assert Resident.objects.get(pk=member.pk).dwelling == cast.dwellings[1]
