"""Validators for Chinese identity numbers (GB 11643) and mobile numbers."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)


def normalize_id_number(value: str) -> str:
    """Half-width digits, upper-case X, no spaces: 全角 input from Chinese keyboards is common."""
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").strip().upper()


def id_number_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_birth_date(value: str) -> datetime.date:
    """The birth date an ID number carries (digits 7 to 14)."""
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def validate_id_number(value: str) -> str:
    """The normalised ID number, or a ValidationError saying what is wrong with it."""
    number = normalize_id_number(value)
    if not _ID_SHAPE.match(number):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id_shape")
    try:
        birth = id_number_birth_date(number)
    except ValueError:
        raise ValidationError(_("The birth date in this ID number does not exist."), code="id_birth_date") from None
    if birth > timezone.localdate() or birth.year < 1880:
        raise ValidationError(_("The birth date in this ID number is not possible."), code="id_birth_date")
    if id_number_check_character(number[:17]) != number[17]:
        raise ValidationError(_("This ID number's check digit is wrong; please check the number."), code="id_check")
    return number


def validate_calendar_date(value: datetime.date) -> None:
    """A date an office could mean (1900–2100): far-off dates overflow time-zone arithmetic."""
    if value is not None and not (1900 <= value.year <= 2100):
        raise ValidationError(_("Choose a date between 1900 and 2100."), code="date_range")


def normalize_mobile(value: str) -> str:
    """Half-width digits without spaces, dashes or a +86 prefix."""
    number = unicodedata.normalize("NFKC", value or "")
    number = re.sub(r"[\s-]", "", number)
    if number.startswith("+86"):
        number = number[3:]
    return number


def validate_mobile(value: str) -> str:
    """The normalised mobile number, or a ValidationError."""
    number = normalize_mobile(value)
    if not _MOBILE.match(number):
        raise ValidationError(_("A mobile number has 11 digits and starts with 13 to 19."), code="mobile")
    return number


# A landline: area code (3 digits for 010 and 02x, else 4), 7 or 8 digits, an optional extension.
_LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})$", re.ASCII)
_EXTENSION = re.compile(r"^\d{1,6}$", re.ASCII)
_LOCAL = re.compile(r"^[1-9]\d{6,7}$", re.ASCII)


def validate_phone(value: str) -> str:
    """A mobile (13800001234) or a landline in one canonical form (0371-60000000, 0371-60000000-12).

    One number must have one spelling, or its blind index would not find it.
    """
    try:
        return validate_mobile(value)
    except ValidationError:
        pass
    raw = unicodedata.normalize("NFKC", value or "").replace(" ", "").strip()
    raw = raw.removeprefix("+86")
    number, _sep, extension = raw.partition("#")
    digits = number.replace("-", "")
    parts = number.split("-")
    if len(parts) == 3:  # area-number-extension as typed
        digits, extension = parts[0] + parts[1], parts[2]
    match = _LANDLINE.match(digits)
    if match and (not extension or _EXTENSION.match(extension)):
        area, local = match.groups()
        return f"{area}-{local}" + (f"-{extension}" if extension else "")
    if _LOCAL.match(digits) and not extension:
        return digits
    raise ValidationError(_("Enter a mobile number (11 digits) or a landline such as 0371-12345678."), code="phone")
