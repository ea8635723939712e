"""`wangge pii rotate-key` and `wangge pii status`: moving encrypted personal data to a new key, online."""

import base64
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core import pii_rotation
from wangge.core.models import AuditEvent
from wangge.core.pii import EncryptedCharField, key_ring
from wangge.people import services as people_services
from wangge.people.models import ResidenceRegistration, Resident
from wangge.territory.models import Shop

NEW_KEY = base64.b64encode(bytes(range(200, 232))).decode()
NEW_ID = "knew"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def raw(model, pk, field_name: str) -> str:
    """The stored column, as the database holds it (never through the field's decryption)."""
    column, table, key = model._meta.get_field(field_name).column, model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(key)} = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def all_raw_values() -> list[tuple[str, str]]:
    """Every non-empty stored value of every encrypted column: (model.field, token)."""
    values = []
    for model, fields in pii_rotation.encrypted_models():
        for field in fields:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote(field.column)} FROM {quote(model._meta.db_table)}"  # noqa: S608 - names from the model
                )
                values += [(f"{model._meta.label_lower}.{field.name}", row[0]) for row in cursor.fetchall() if row[0]]
    return values


@pytest.fixture
def people(cast):
    """A resident with a phone, a document number and a permit, beside the cast's shops (contact name, phone)."""
    person = people_services.resident_create(
        actor=None,
        name="上官婉儿",
        sex="female",
        birth_date=datetime.date(1990, 1, 1),
        id_type="passport",
        id_number="E99887766",
        phone="13655556666",
        residence="floating",
        dwelling=cast.dwellings[0],
        moved_in_on=datetime.date(2024, 1, 1),
    )
    people_services.registration_create(
        actor=None,
        resident=person,
        registered_on=datetime.date(2024, 1, 2),
        permit_number="JZZ123456",
        expires_on=datetime.date(2026, 1, 2),
    )
    return person


@pytest.fixture
def new_key(settings, people):
    """The operator's step 1: the new key goes first in the ring, the old one stays after it."""
    old_id = key_ring().current_id
    settings.PII_KEYS = f"{NEW_ID}:{NEW_KEY},{settings.PII_KEYS}"
    assert key_ring().current_id == NEW_ID
    return old_id


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("pii", "rotate-key", *args, stdout=out)
    return out.getvalue()


def status() -> str:
    out = io.StringIO()
    call_command("pii", "status", stdout=out)
    return out.getvalue()


class LookupTests:
    def test_startswith_compares_the_stored_token_not_an_encryption_of_it(self, cast):
        field = Shop._meta.get_field("contact_phone")
        with CaptureQueriesContext(connection) as queries:
            found = list(Shop.objects.filter(pii_rotation.stale(field, "nosuchkey")).values_list("pk", flat=True))
        assert cast.shop1.pk in found
        sql = queries.captured_queries[-1]["sql"]
        assert "v1:nosuchkey:" in sql and "v1:%" in sql.replace("\\", "")

    def test_it_finds_every_model_with_encrypted_fields(self):
        labels = {model._meta.label_lower for model, _fields in pii_rotation.encrypted_models()}
        assert {"people.resident", "people.residenceregistration", "territory.shop", "accounts.user"} <= labels
        for _model, fields in pii_rotation.encrypted_models():
            assert all(isinstance(field, EncryptedCharField) for field in fields)


class RotationTests:
    def test_it_reencrypts_every_value_under_the_new_key(self, cast, people, new_key):
        before = all_raw_values()
        assert before and all(token.startswith(f"v1:{new_key}:") for _label, token in before)
        output = rotate("--batch-size", "2")
        after = all_raw_values()
        assert len(after) == len(before)
        assert all(token.startswith(f"v1:{NEW_ID}:") for _label, token in after)
        assert f"total: {len(before)} values re-encrypted under {NEW_ID}" in output
        assert "people.resident: 2 re-encrypted" in output  # phone and document number
        # Still readable, through the ORM and the blind index alike.
        person = Resident.objects.get(pk=people.pk)
        assert (person.phone, person.id_number) == ("13655556666", "E99887766")
        assert Resident.objects.filter(phone_index=people.phone_index).exists()
        assert ResidenceRegistration.objects.get(resident=people).permit_number == "JZZ123456"
        assert Shop.objects.get(pk=cast.shop1.pk).contact_phone == "13800001234"
        assert raw(Resident, people.pk, "phone").startswith(f"v1:{NEW_ID}:")

    def test_it_audits_each_model_once_with_counts(self, cast, people, new_key):
        rotate()
        event = AuditEvent.objects.get(action="pii.rotate_key", object_type="people.resident")
        assert event.after == {
            "key": NEW_ID,
            "reencrypted": 2,
            "fields": {"id_number": 1, "phone": 1, "sensitive_tags": 0},
        }
        assert event.actor is None and "13655556666" not in str(event.after)
        labels = set(AuditEvent.objects.filter(action="pii.rotate_key").values_list("object_type", flat=True))
        assert {"people.resident", "people.residenceregistration", "territory.shop"} <= labels

    def test_a_second_run_changes_nothing(self, cast, people, new_key):
        rotate()
        first = all_raw_values()
        audits = AuditEvent.objects.count()
        output = rotate()
        assert all_raw_values() == first
        assert f"total: 0 values re-encrypted under {NEW_ID}" in output
        assert AuditEvent.objects.count() == audits

    def test_an_interrupted_run_is_finished_by_the_next(self, cast, people, new_key, monkeypatch):
        total = len(all_raw_values())
        real = pii_rotation._reencrypt
        calls = []

        def failing(*args, **kwargs):
            calls.append(args)
            if len(calls) == 3:
                raise RuntimeError("the machine went down")
            return real(*args, **kwargs)

        monkeypatch.setattr(pii_rotation, "_reencrypt", failing)
        with pytest.raises(RuntimeError):
            rotate("--batch-size", "1")
        # Two batches of one committed; the third was rolled back with its transaction.
        moved = [token for _label, token in all_raw_values() if token.startswith(f"v1:{NEW_ID}:")]
        assert len(moved) == 2
        assert f"under old keys: {total - 2}" in status()
        monkeypatch.setattr(pii_rotation, "_reencrypt", real)
        output = rotate("--batch-size", "1")
        assert f"total: {total - 2} values re-encrypted" in output
        assert all(token.startswith(f"v1:{NEW_ID}:") for _label, token in all_raw_values())
        assert Resident.objects.get(pk=people.pk).phone == "13655556666"

    def test_a_dry_run_only_counts(self, cast, people, new_key):
        before = all_raw_values()
        output = rotate("--dry-run")
        assert all_raw_values() == before
        assert f"total: {len(before)} values to re-encrypt under {NEW_ID}" in output
        assert not AuditEvent.objects.filter(action="pii.rotate_key").exists()

    def test_it_stops_at_a_value_whose_key_left_the_ring(self, cast, people, new_key):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Shop._meta.db_table} SET contact_phone = %s WHERE id = %s",  # noqa: S608
                ["v1:gone:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", cast.shop1.pk],
            )
        assert "unknown key=1" in status()
        with pytest.raises(CommandError, match="territory.shop.contact_phone"):
            rotate()

    def test_it_refuses_a_batch_size_below_one(self, new_key):
        with pytest.raises(CommandError):
            rotate("--batch-size", "0")


class StatusTests:
    def test_it_counts_values_per_key_and_those_under_old_keys(self, cast, people, new_key):
        total = len(all_raw_values())
        output = status()
        assert f"current key: {NEW_ID}; ring: {NEW_ID}, {new_key}" in output
        assert f"people.resident.phone: {NEW_ID}=0, {new_key}=1" in output
        assert f"under old keys: {total}" in output
        rotate()
        output = status()
        assert f"people.resident.phone: {NEW_ID}=1, {new_key}=0" in output
        assert "under old keys: 0" in output and "may be dropped" in output

    def test_after_dropping_the_old_key_everything_still_reads(self, cast, people, new_key, settings):
        rotate()
        settings.PII_KEYS = f"{NEW_ID}:{NEW_KEY}"  # the operator's last step
        assert Resident.objects.get(pk=people.pk).phone == "13655556666"
        assert "under old keys: 0" in status()
