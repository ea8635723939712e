"""Care tags (关爱标签): what the office marks a resident with so nobody in need is missed.

The list is fixed in code so that every deployment and every export speaks of the same tags. Tags marked
`sensitive` are sensitive personal information under the Personal Information Protection Law (health,
disability, subsistence allowance, persons of concern, children): they are stored encrypted, shown masked,
and only a user who may reveal personal data may see or filter by them.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CareTag:
    code: str
    label: str | Promise
    sensitive: bool


CARE_TAGS: tuple[CareTag, ...] = (
    CareTag("elderly_alone", _("elderly, living alone"), sensitive=False),
    CareTag("empty_nest", _("elderly, empty nest"), sensitive=False),
    CareTag("veteran", _("veteran"), sensitive=False),
    CareTag("party_member", _("Party member"), sensitive=False),
    CareTag("disabled", _("person with a disability"), sensitive=True),
    CareTag("subsistence", _("subsistence allowance (低保)"), sensitive=True),
    CareTag("special_hardship", _("special hardship support (特困)"), sensitive=True),
    CareTag("serious_illness", _("serious illness"), sensitive=True),
    CareTag("left_behind_child", _("left-behind child"), sensitive=True),
    CareTag("person_of_concern", _("person of concern"), sensitive=True),
)

BY_CODE: dict[str, CareTag] = {tag.code: tag for tag in CARE_TAGS}
PLAIN_CODES = frozenset(tag.code for tag in CARE_TAGS if not tag.sensitive)
SENSITIVE_CODES = frozenset(tag.code for tag in CARE_TAGS if tag.sensitive)


def choices(*, sensitive: bool | None = None) -> list[tuple[str, str | Promise]]:
    """(code, label) pairs for forms and drop-downs; all tags, or only the plain or the sensitive ones."""
    return [(tag.code, tag.label) for tag in CARE_TAGS if sensitive is None or tag.sensitive == sensitive]


def pack(codes: list[str] | set[str] | tuple[str, ...]) -> str:
    """The stored form: codes in the list's order between commas (",veteran,elderly_alone,"), or ""."""
    wanted = set(codes)
    ordered = [tag.code for tag in CARE_TAGS if tag.code in wanted]
    return f",{','.join(ordered)}," if ordered else ""


def unpack(value: str) -> list[str]:
    """The codes of a stored value, in the list's order."""
    present = {code for code in (value or "").split(",") if code}
    return [tag.code for tag in CARE_TAGS if tag.code in present]


def labels(value: str) -> list[str]:
    """The labels of a stored value."""
    return [str(BY_CODE[code].label) for code in unpack(value)]
