"""The one PII mechanism: encryption with a key ring, blind index, masking, and what reaches the database and logs."""

import base64
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from wangge.core import pii
from wangge.core.models import AuditEvent
from wangge.core.pii import (
    DecryptionError,
    KeyRing,
    blind_index,
    decrypt,
    encrypt,
    key_id_of,
    key_ring,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    masked,
)
from wangge.territory import services
from wangge.territory.models import Shop, Trade

OLD_KEY = base64.b64encode(bytes(range(32))).decode()
NEW_KEY = base64.b64encode(bytes(range(100, 132))).decode()
CONTEXT = "territory.shop.contact_phone"


@pytest.fixture
def fresh_ring():
    """Forget parsed key rings before and after, so one test's ring never serves another."""
    pii._ring.cache_clear()
    yield
    pii._ring.cache_clear()


class EncryptionTests:
    def test_it_round_trips_a_value(self):
        token = encrypt("13800001234", context=CONTEXT)
        assert decrypt(token, context=CONTEXT) == "13800001234"

    def test_it_round_trips_chinese_text(self):
        token = encrypt("欧阳娜娜", context="territory.shop.contact_name")
        assert decrypt(token, context="territory.shop.contact_name") == "欧阳娜娜"

    def test_it_does_not_keep_the_clear_value_in_the_token(self):
        token = encrypt("13800001234", context=CONTEXT)
        assert "13800001234" not in token
        assert token.startswith(f"v1:{key_ring().current_id}:")

    def test_it_uses_a_fresh_nonce_every_time(self):
        tokens = {encrypt("13800001234", context=CONTEXT) for _ in range(5)}
        assert len(tokens) == 5

    def test_it_binds_the_ciphertext_to_its_column(self):
        token = encrypt("13800001234", context=CONTEXT)
        with pytest.raises(DecryptionError):
            decrypt(token, context="territory.shop.contact_name")

    def test_it_refuses_a_tampered_ciphertext(self):
        token = encrypt("13800001234", context=CONTEXT)
        prefix, key_id, encoded = token.split(":", 2)
        raw = bytearray(base64.b64decode(encoded))
        raw[-1] ^= 0x01
        tampered = f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}"
        with pytest.raises(DecryptionError):
            decrypt(tampered, context=CONTEXT)

    @pytest.mark.parametrize("cut", [1, 2, 3])
    def test_it_refuses_a_truncated_ciphertext_with_a_decryption_error(self, cut):
        token = encrypt("13800001234", context=CONTEXT)
        with pytest.raises(DecryptionError):
            decrypt(token[:-cut], context=CONTEXT)

    def test_it_refuses_a_token_too_short_to_hold_a_nonce(self):
        with pytest.raises(DecryptionError):
            decrypt(f"v1:{key_ring().current_id}:AAAA", context=CONTEXT)

    @pytest.mark.parametrize("token", ["13800001234", "", "v2:k1:AAAA", "v1:nokey:AAAAAAAAAAAAAAAAAAAAAAAA"])
    def test_it_refuses_what_is_not_one_of_its_tokens(self, token):
        with pytest.raises(DecryptionError):
            decrypt(token, context=CONTEXT)


class KeyRingTests:
    def test_it_parses_a_ring_and_encrypts_with_the_first_key(self):
        ring = KeyRing.parse(f"k2:{NEW_KEY}, k1:{OLD_KEY}")
        assert ring.current_id == "k2"
        assert ring.keys == {"k2": base64.b64decode(NEW_KEY), "k1": base64.b64decode(OLD_KEY)}

    @pytest.mark.parametrize(
        "spec",
        [
            "",
            " , ",
            "k1:not*base64",
            f"k1:{base64.b64encode(bytes(16)).decode()}",
            f"k1:{base64.b64encode(bytes(33)).decode()}",
            OLD_KEY,
            f"k-1:{OLD_KEY}",
        ],
        ids=["empty", "only-commas", "bad-base64", "16-bytes", "33-bytes", "no-id", "bad-id"],
    )
    def test_it_refuses_a_bad_ring(self, spec):
        with pytest.raises(ImproperlyConfigured):
            KeyRing.parse(spec)

    def test_it_refuses_a_bad_ring_from_the_settings(self, fresh_ring):
        with override_settings(PII_KEYS="k1:short"), pytest.raises(ImproperlyConfigured):
            encrypt("13800001234", context=CONTEXT)

    def test_it_still_decrypts_values_of_an_older_key_after_rotation(self, fresh_ring):
        with override_settings(PII_KEYS=f"k1:{OLD_KEY}"):
            old_token = encrypt("13800001234", context=CONTEXT)
        with override_settings(PII_KEYS=f"k2:{NEW_KEY},k1:{OLD_KEY}"):
            assert decrypt(old_token, context=CONTEXT) == "13800001234"
            new_token = encrypt("13800001234", context=CONTEXT)
        assert key_id_of(old_token) == "k1"
        assert key_id_of(new_token) == "k2"

    def test_it_cannot_decrypt_once_the_old_key_is_dropped(self, fresh_ring):
        with override_settings(PII_KEYS=f"k1:{OLD_KEY}"):
            old_token = encrypt("13800001234", context=CONTEXT)
        with override_settings(PII_KEYS=f"k2:{NEW_KEY}"), pytest.raises(DecryptionError):
            decrypt(old_token, context=CONTEXT)

    def test_it_does_not_accept_another_key_under_the_same_id(self, fresh_ring):
        with override_settings(PII_KEYS=f"k1:{OLD_KEY}"):
            token = encrypt("13800001234", context=CONTEXT)
        with override_settings(PII_KEYS=f"k1:{NEW_KEY}"), pytest.raises(DecryptionError):
            decrypt(token, context=CONTEXT)


class BlindIndexTests:
    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("13800001234", "１３８００００１２３４"),
            ("41010519900101123X", "41010519900101123x"),
            ("41010519900101123X", "４１０１０５１９９００１０１１２３ｘ"),
            ("138 0000 1234", "13800001234"),
            ("138\u30000000\u30001234", "13800001234"),
        ],
        ids=["full-width", "case", "full-width-lower", "spaces", "ideographic-spaces"],
    )
    def test_it_is_equal_for_variants_of_one_value(self, one, other):
        assert blind_index(one) == blind_index(other)

    def test_it_differs_for_different_values(self):
        assert blind_index("13800001234") != blind_index("13800001235")

    def test_it_does_not_contain_the_value(self):
        index = blind_index("13800001234")
        assert len(index) == 64
        assert "13800001234" not in index

    def test_it_depends_on_the_index_key(self):
        before = blind_index("13800001234")
        with override_settings(PII_INDEX_KEY="another-index-key"):
            assert blind_index("13800001234") != before


class MaskingTests:
    def test_it_masks_an_id_number(self):
        assert mask_id_number("410105199001011234") == "410105********1234"

    def test_it_masks_a_short_id_number_without_showing_its_end(self):
        assert mask_id_number("41010519") == "41******"

    def test_it_masks_a_mobile(self):
        assert mask_phone("13812345678") == "138****5678"

    def test_it_masks_a_landline_keeping_its_length(self):
        assert mask_phone("0371-60001234") == "037********34"

    def test_it_masks_a_very_short_number_entirely(self):
        assert mask_phone("12345") == "*****"

    @pytest.mark.parametrize(("name", "shown"), [("张三", "张*"), ("甄测试", "甄**"), ("张", "张*")])
    def test_it_masks_a_name(self, name, shown):
        assert mask_name(name) == shown

    def test_it_masks_free_text_entirely(self):
        assert mask_text("住院治疗中") == "******"

    @pytest.mark.parametrize("masker", [mask_id_number, mask_phone, mask_name, mask_text])
    def test_it_shows_nothing_for_nothing(self, masker):
        assert masker("") == ""

    def test_it_masks_a_field_of_an_instance_by_its_masker(self):
        shop = Shop(contact_name="甄测试", contact_phone="13800001234")
        assert masked(shop, "contact_name") == "甄**"
        assert masked(shop, "contact_phone") == "138****1234"


class StoredPiiTests:
    def _raw_row(self, shop: Shop) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {Shop._meta.db_table} WHERE id = %s", [shop.pk])  # noqa: S608 - our table
            columns = [column[0] for column in cursor.description]
            return dict(zip(columns, cursor.fetchone(), strict=True))

    def test_it_keeps_no_clear_phone_or_name_in_the_row(self, cast):
        row = self._raw_row(cast.shop1)
        text = json.dumps(row, default=str, ensure_ascii=False)
        assert "13800001234" not in text
        assert "甄测试" not in text
        assert "甄" not in text
        assert row["contact_phone"].startswith("v1:")
        assert row["contact_name"].startswith("v1:")

    def test_it_stores_ciphertext_that_decrypts_with_the_columns_context(self, cast):
        row = self._raw_row(cast.shop1)
        assert decrypt(row["contact_phone"], context="territory.shop.contact_phone") == "13800001234"
        assert decrypt(row["contact_name"], context="territory.shop.contact_name") == "甄测试"

    def test_it_reads_clear_values_back_through_the_model(self, cast):
        shop = Shop.objects.get(pk=cast.shop1.pk)
        assert shop.contact_phone == "13800001234"
        assert shop.contact_name == "甄测试"

    def test_it_refuses_a_value_copied_into_another_column(self, cast):
        row = self._raw_row(cast.shop1)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Shop._meta.db_table} SET contact_name = %s WHERE id = %s",  # noqa: S608 - our table
                [row["contact_phone"], cast.shop1.pk],
            )
        with pytest.raises(DecryptionError):
            Shop.objects.get(pk=cast.shop1.pk)

    def test_it_finds_a_shop_by_the_blind_index(self, cast):
        found = Shop.objects.filter(contact_phone_index=blind_index("13800001234"))
        assert list(found) == [cast.shop1]

    def test_it_finds_a_shop_by_the_index_of_a_full_width_phone(self, cast):
        found = Shop.objects.filter(contact_phone_index=blind_index("１３８００００１２３４"))
        assert list(found) == [cast.shop1]

    def test_it_keeps_the_index_in_step_when_the_phone_changes(self, cast):
        services.shop_update(actor=cast.grid_leader, shop=cast.shop1, contact_phone="13900005678")
        assert not Shop.objects.filter(contact_phone_index=blind_index("13800001234")).exists()
        assert Shop.objects.get(contact_phone_index=blind_index("13900005678")) == cast.shop1

    def test_it_stores_an_empty_value_as_empty(self, cast):
        row = self._raw_row(cast.shop2)
        assert row["contact_phone"] == ""
        assert row["contact_phone_index"] == ""

    def test_it_audits_only_the_masked_phone_and_name(self, cast):
        event = AuditEvent.objects.get(action="shop.create", object_id=str(cast.shop1.pk))
        assert event.after["contact_phone"] == "138****1234"
        assert event.after["contact_name"] == "甄**"
        assert "contact_phone_index" not in event.after
        text = json.dumps([event.before, event.after], ensure_ascii=False)
        assert "13800001234" not in text
        assert "甄测试" not in text

    def test_it_audits_a_phone_change_masked_on_both_sides(self, cast):
        services.shop_update(actor=cast.grid_leader, shop=cast.shop1, contact_phone="13900005678")
        event = AuditEvent.objects.get(action="shop.update", object_id=str(cast.shop1.pk))
        assert event.before["contact_phone"] == "138****1234"
        assert event.after["contact_phone"] == "139****5678"
        text = json.dumps([event.before, event.after])
        assert "13800001234" not in text
        assert "13900005678" not in text


class PiiInLogsTests:
    def test_it_keeps_phone_and_name_out_of_the_logs(self, cast, caplog):
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="django.db.backends")
        # Capturing queries turns on SQL logging with parameters, as DEBUG=True would in development.
        with CaptureQueriesContext(connection):
            services.shop_create(
                actor=cast.grid_leader,
                code="T-S009",
                name="日志测试店",
                trade=Trade.objects.get(code="restaurant"),
                area=cast.grid1,
                address="俭学街9号",
                contact_name="黎明亮",
                contact_phone="139 1234 5678",
            )
        assert "territory_shop" in caplog.text  # the SQL was logged, so what follows means something
        assert "13912345678" not in caplog.text
        assert "139 1234 5678" not in caplog.text
        assert "黎明亮" not in caplog.text

    def test_it_does_not_echo_a_rejected_phone_in_the_error(self, cast):
        with pytest.raises(ValidationError) as error:
            services.shop_create(
                actor=cast.grid_leader,
                code="T-S010",
                name="错误号码店",
                trade=Trade.objects.get(code="restaurant"),
                area=cast.grid1,
                address="俭学街10号",
                contact_phone="139123456789999",
            )
        assert "contact_phone" in error.value.message_dict
        assert "139123456789999" not in str(error.value)
