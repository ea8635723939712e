"""Searches of the register that never travel in a URL, and are limited and audited.

- A full ID or phone number finds one person by its blind index. Only office roles (`REGISTER_ROLES`) may
  search so, within their office areas: a building leader could otherwise test guessed numbers against the
  neighbours. Every such search is rate-limited per user and written to the audit log (`pii.search`, the
  number masked with the mask of what it is).
- A sensitive care tag selects the people with, say, a disability: a bulk reveal, so it needs a reason and
  is written to the audit log (`pii.filter`: tag, reason, rows).

The pages post these criteria once and keep them in the session under a random token (`?match=<token>`),
so that page flips carry the token, never the number, and are not logged again. The API takes a number in
the body of `POST /api/v1/residents/search/` and a sensitive tag with a `reason` parameter.
"""

import re
import secrets
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.core import audit
from wangge.core.pii import blind_index, blind_token, mask_id_number, mask_phone
from wangge.core.ratelimit import RateLimit, user_key
from wangge.core.validators import normalize_id_number, validate_phone
from wangge.people import selectors
from wangge.people import tags as care_tags
from wangge.people.models import REGISTER_ROLES

TAG_NAMESPACE = "people.resident.tag"
# A document number rather than a name: 15 to 18 letters and digits.
_DOCUMENT = re.compile(r"^[0-9A-Z]{15,18}$", re.ASCII)
# What no name holds and a phone or ID number does: seven digits in a row (after NFKC: full-width too).
_DIGITS = re.compile(r"\d{7,}", re.ASCII)
SESSION_KEY = "people.searches"
KEPT = 20  # the searches a session remembers (the oldest is forgotten first)


class TooManySearches(Exception):
    """Over the per-user limit of number searches."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def number_limit() -> RateLimit:
    return RateLimit(
        "people_number_search",
        limit=settings.PEOPLE_NUMBER_SEARCH_LIMIT,
        window=settings.PEOPLE_NUMBER_SEARCH_WINDOW_SECONDS,
    )


def parse_number(value: str) -> tuple[str, str, str] | None:
    """A full document or phone number as (kind, blind index, masked): kind "id_number" or "phone"; else None."""
    number = normalize_id_number(value or "")
    if _DOCUMENT.match(number):
        return "id_number", blind_index(number), mask_id_number(number)
    try:
        phone = validate_phone(value or "")
    except ValidationError:
        return None
    return "phone", blind_index(phone), mask_phone(phone)


def looks_like_number(value: str) -> bool:
    """Whether a search text is (or holds) an ID or phone number, which must not be sent in a URL."""
    return parse_number(value) is not None or bool(_DIGITS.search(normalize_id_number(value or "")))


@dataclass(frozen=True)
class Criteria:
    """What a search asked that does not go into a URL: a number's blind index, a sensitive tag and why."""

    kind: str = ""  # "id_number" or "phone"
    index: str = ""
    masked: str = ""
    tag: str = ""
    reason: str = ""

    def apply(self, queryset: QuerySet, user: User) -> QuerySet:
        if self.index:
            queryset = selectors.office_rows(queryset, user).filter(**{f"{self.kind}_index": self.index})
        if self.tag:
            # Only where the user may reveal personal data: elsewhere the filter would reveal the tag itself.
            queryset = queryset.for_user(user, Action.REVEAL_PII)
            queryset = queryset.filter(sensitive_tags_index__contains=blind_token(self.tag, TAG_NAMESPACE))
        return queryset

    def described(self) -> dict[str, str]:
        """What the audit log may say of the criteria (the number masked)."""
        return {key: value for key, value in (("number", self.masked), ("tag", self.tag)) if value}


def number_criteria(user: User, value: str) -> Criteria:
    """The criteria of a search by a full number, counted against the user's limit.

    PermissionDenied when the user may not search by number, ValidationError when `value` is no full ID or
    phone number, TooManySearches over the limit."""
    if not selectors.may_search_numbers(user):
        raise PermissionDenied(_("Only the office may look a resident up by ID or phone number."))
    parsed = parse_number(value)
    if parsed is None:
        raise ValidationError(_("Enter a full ID number (15 or 18 characters) or phone number."))
    limit = number_limit()
    if not limit.hit(None, client=user_key(user)):
        raise TooManySearches(limit.retry_after())
    kind, index, masked_number = parsed
    return Criteria(kind=kind, index=index, masked=masked_number)


def tag_criteria(user: User, tag: str, reason: str) -> Criteria:
    """The criteria of a filter by a sensitive tag: PermissionDenied or ValidationError when refused."""
    if not selectors.may_filter_sensitive(user):
        raise PermissionDenied(_("You may not reveal personal data here."))
    if tag not in care_tags.BY_CODE or not care_tags.BY_CODE[tag].sensitive:
        raise ValidationError(_("Choose a sensitive care tag."))
    reason = clean_reason(reason)
    if len(reason) < 2:
        raise ValidationError(_("Say why you filter by a sensitive care tag."))
    return Criteria(tag=tag, reason=reason)


def clean_reason(reason: str | None) -> str:
    return " ".join((reason or "").split())[:300]


def _widest(user: User, action: str, roles=None) -> str:
    prefixes = user.area_prefixes(action, roles=roles)
    return min(prefixes, key=len) if prefixes else ""


def record(user: User, criteria: Criteria, rows: int, *, channel: str) -> None:
    """Write what a search asked to the audit log: a number search and a sensitive-tag filter each once."""
    if criteria.index:
        audit.record_access(
            actor=user,
            action="pii.search",
            object_type="people.resident",
            area_path=_widest(user, Action.VIEW, REGISTER_ROLES),
            detail={"kind": criteria.kind, "number": criteria.masked, "rows": rows, "channel": channel},
        )
    if criteria.tag:
        record_tag_filter(user, criteria.tag, criteria.reason, rows, channel=channel)


def record_tag_filter(user: User, tag: str, reason: str, rows: int, *, channel: str) -> None:
    audit.record_access(
        actor=user,
        action="pii.filter",
        object_type="people.resident",
        area_path=_widest(user, Action.REVEAL_PII),
        detail={"tag": tag, "rows": rows, "channel": channel},
        reason=reason,
    )


def store(session: SessionBase, criteria: Criteria) -> str:
    """Keep the criteria in the session; the random token names them in the page's URLs."""
    token = secrets.token_urlsafe(12)
    kept = dict(session.get(SESSION_KEY, {}))
    while len(kept) >= KEPT:
        kept.pop(next(iter(kept)))
    kept[token] = asdict(criteria)
    session[SESSION_KEY] = kept
    return token


def load(session: SessionBase, token: str) -> Criteria | None:
    """The criteria a token names in this session, or None (another session's token finds nothing)."""
    data = session.get(SESSION_KEY, {}).get(token or "")
    return Criteria(**data) if isinstance(data, dict) else None
