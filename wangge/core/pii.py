"""Personal data: encryption at rest (AES-256-GCM with a key ring), blind index for exact lookup, masking.

The one PII mechanism of the project. A model declares `phone = EncryptedCharField(...)` and, for lookup,
`phone_index = BlindIndexField(source="phone")`; the database holds only ciphertext and an HMAC.
The clear value lives in Python memory only and is shown masked unless a permitted user reveals it.
"""

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


@dataclass(frozen=True)
class KeyRing:
    """Encryption keys by id; the first is the one new values are encrypted with."""

    current_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            key_id, sep, encoded = part.partition(":")
            if not sep or not key_id.isalnum():
                raise ImproperlyConfigured("WANGGE_PII_KEYS must look like 'k1:<base64 32 bytes>,k0:<...>'")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise ImproperlyConfigured(f"WANGGE_PII_KEYS: key {key_id} is not valid base64") from None
            if len(key) != 32:
                raise ImproperlyConfigured(f"WANGGE_PII_KEYS: key {key_id} must be 32 bytes (AES-256)")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise ImproperlyConfigured("WANGGE_PII_KEYS holds no key")
        return cls(current_id=order[0], keys=keys)


@lru_cache(maxsize=4)
def _ring(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def key_ring() -> KeyRing:
    """The configured key ring (parsed once per distinct setting)."""
    return _ring(settings.PII_KEYS)


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, tampering, or the wrong column."""


def encrypt(plain: str, *, context: str) -> str:
    """Ciphertext for `plain`, bound to `context` (the column), under the current key."""
    ring = key_ring()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plain.encode(), context.encode())
    return f"{_PREFIX}:{ring.current_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    """The clear value of a token made by `encrypt` with the same context."""
    try:
        prefix, key_id, encoded = token.split(":", 2)
    except ValueError:
        raise DecryptionError("not an encrypted value") from None
    key = key_ring().keys.get(key_id)
    if prefix != _PREFIX or key is None:
        raise DecryptionError(f"unknown key id {key_id!r}")
    try:
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise ValueError("too short")
        return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, ValueError):
        raise DecryptionError("ciphertext does not verify") from None


def key_id_of(token: str) -> str:
    """The id of the key a stored token was encrypted with."""
    return token.split(":", 2)[1]


def normalize(value: str) -> str:
    """The canonical form used for indexing: full-width to half-width, no spaces, upper case."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").upper()


def blind_index(value: str) -> str:
    """A keyed hash of the normalised value: equal values match, the value can't be read back."""
    key = settings.PII_INDEX_KEY.encode()
    return hmac.new(key, normalize(value).encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """A text value stored encrypted. Reads and writes clear text in Python; the column holds ciphertext.

    `masker` is how the value is shown when not revealed (see the mask_* functions).
    """

    description = "Encrypted text (PII)"

    def __init__(self, *args, masker: str = "mask_text", max_length_clear: int = 64, **kwargs) -> None:
        self.masker = masker
        self.max_length_clear = max_length_clear
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["masker"] = self.masker
        kwargs["max_length_clear"] = self.max_length_clear
        return name, path, args, kwargs

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value, context=self.context())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(value, context=self.context())

    def mask(self, value: str) -> str:
        return MASKERS[self.masker](value)


class BlindIndexField(models.CharField):
    """The HMAC of another field's value, kept in step on save, for exact lookup without decrypting."""

    def __init__(self, *args, source: str, **kwargs) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        index = blind_index(value) if value else ""
        setattr(model_instance, self.attname, index)
        return index


class BlindIndexSetField(models.CharField):
    """Blind indexes of each code in another field's comma-separated value, for "has this code" lookups.

    Used for sensitive tags: the column shows which rows share a code, never which code it is. Filter with
    `field__contains=blind_token(code, namespace)`.
    """

    def __init__(self, *args, source: str, namespace: str, **kwargs) -> None:
        self.source = source
        self.namespace = namespace
        kwargs.setdefault("max_length", 400)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["namespace"] = self.namespace
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = index_set(getattr(model_instance, self.source), self.namespace)
        setattr(model_instance, self.attname, value)
        return value


def blind_token(code: str, namespace: str) -> str:
    """The token of one code in a BlindIndexSetField: 32 hex characters of its blind index."""
    return blind_index(f"{namespace}:{code}")[:32]


def index_set(value: str, namespace: str) -> str:
    """The stored tokens of a comma-separated value: space-separated, sorted, each once."""
    codes = {code for code in (value or "").split(",") if code}
    return " ".join(sorted(blind_token(code, namespace) for code in codes))


def mask_id_number(value: str) -> str:
    """410105********1234: the address part and the last four characters."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; other numbers keep their first three and last two characters."""
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(value: str) -> str:
    """张*, 李** : the first character (the family name, for most names) stays, the rest is hidden."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def mask_text(value: str) -> str:
    """Nothing of the value, only that there is one."""
    return "******" if value else ""


MASKERS: dict[str, Callable[[str], str]] = {
    "mask_id_number": mask_id_number,
    "mask_phone": mask_phone,
    "mask_name": mask_name,
    "mask_text": mask_text,
}


def pii_fields(model: type[models.Model]) -> list[EncryptedCharField]:
    """The encrypted fields of a model."""
    return [f for f in model._meta.get_fields() if isinstance(f, EncryptedCharField)]


def masked(instance: models.Model, field_name: str) -> str:
    """The masked display of one encrypted field of an instance."""
    field = instance._meta.get_field(field_name)
    return field.mask(getattr(instance, field_name))
