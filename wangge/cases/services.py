"""Writes of the closed loop. Every change of a case goes through `case_report` or `case_act`.

Each is atomic, checks the transition table (`workflow.py`), the actor's roles over the case and what the
action needs, locks the case and compares its version (two people acting at once: one wins, the other is
told to reload), appends to the case's timeline, records an audit event and queues notifications.
"""

import datetime
import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from wangge.accounts.models import User
from wangge.accounts.roles import REPORT_ROLES, Action
from wangge.cases import workflow
from wangge.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    PhotoKind,
    Postponement,
    PostponementState,
    Question,
    QuestionType,
    Rating,
    RejectReason,
    Source,
    State,
    next_level,
)
from wangge.core import audit, notifications
from wangge.core.calendar import add_hours
from wangge.core.coords import validate_wgs84
from wangge.core.files import process_photo
from wangge.core.validators import validate_phone
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind, Compound, Shop

MAX_PHOTOS = 6
MAX_DESCRIPTION = 4000


class CaseChanged(ValidationError):
    """Someone else changed the case since the actor loaded it."""

    def __init__(self) -> None:
        super().__init__(_("Someone else has just changed this case. Reload it and try again."), code="stale")


# Reporting


def idempotency_key_for(actor: User | None, key: str) -> str:
    """The stored form of a client's idempotency key: one caller's key never finds another caller's case."""
    return f"user{actor.pk}:{key}" if actor is not None else f"public:{key}"


def _answers(category: Category, answers: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """The answers to the category's extra questions, typed and checked; unknown keys are refused.

    `required=False`: a required question may go unanswered (a rectification case, see `case_report`).
    """
    questions = {q.code: q for q in category.questions.all()}
    unknown = set(answers) - set(questions)
    if unknown:
        raise ValidationError({"attributes": _("Unknown question: %(codes)s") % {"codes": ", ".join(sorted(unknown))}})
    clean: dict[str, Any] = {}
    for code, question in questions.items():
        value = answers.get(code)
        if value in (None, "", []):
            if question.required and required:
                raise ValidationError({"attributes": _("Please answer: %(q)s") % {"q": question.label}})
            continue
        clean[code] = _typed_answer(question, value)
    return clean


def _typed_answer(question: Question, value: Any) -> Any:
    wrong = ValidationError({"attributes": _("This answer does not fit the question: %(q)s") % {"q": question.label}})
    if question.datatype == QuestionType.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise wrong from None
        if not math.isfinite(number):  # "nan", "inf", "1e999": no JSON column can hold them
            raise wrong
        return int(number) if number.is_integer() else number
    if question.datatype == QuestionType.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise wrong from None
    if question.datatype == QuestionType.SINGLE:
        if str(value) not in question.choice_keys():
            raise wrong
        return str(value)
    if question.datatype == QuestionType.MULTIPLE:
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        if not values or any(v not in question.choice_keys() for v in values):
            raise wrong
        return values
    text = str(value).strip()
    if len(text) > 500 or "\x00" in text:
        raise wrong
    return text


def _place(
    *, area: Area | None, compound: Compound | None, shop: Shop | None, longitude: float | None, latitude: float | None
) -> Area:
    """The grid a case belongs to, from its compound, shop, point or grid; a point must lie in the community."""
    if longitude is not None or latitude is not None:
        if longitude is None or latitude is None:
            raise ValidationError({"location": _("Give both longitude and latitude, or neither.")})
        try:
            validate_wgs84(longitude, latitude)
        except ValueError:
            raise ValidationError({"location": _("Longitude must be within ±180 and latitude within ±90.")}) from None
    grid = compound.area if compound else shop.area if shop else area
    if grid is None and longitude is not None:
        grid = territory_selectors.locate_grid(longitude, latitude)
        if grid is None:
            raise ValidationError({"location": _("This location lies outside the communities we serve.")})
    if grid is None:
        raise ValidationError({"location": _("Say where the problem is: a compound, a shop or a point on the map.")})
    if grid.kind != AreaKind.GRID:
        raise ValidationError({"location": _("Choose a grid.")})
    if longitude is not None:
        community = grid.parent
        if community.boundary and not shape(community.boundary).buffer(0.0005).contains(Point(longitude, latitude)):
            raise ValidationError(
                {"location": _("This location lies outside %(community)s.") % {"community": community}}
            )
    return grid


def _store_photos(case: Case, uploads: Iterable, kind: str, actor: User | None) -> list[CasePhoto]:
    # Every upload is checked before the first file is written: a bad one leaves no orphan on disk.
    try:
        processed = [process_photo(upload) for upload in uploads]
    except ValidationError as error:
        raise ValidationError({"photos": error.messages}) from None
    photos = []
    for photo in processed:
        photos.append(
            CasePhoto.objects.create(
                case=case, kind=kind, image=photo.content, width=photo.width, height=photo.height, uploaded_by=actor
            )
        )
    return photos


def _staff_to_tell(case: Case) -> list[User]:
    """Who hears of a case: its assignee, else the grid's leaders and workers."""
    if case.assignee_id:
        return [case.assignee]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__role__in=["grid_leader", "grid_worker"],
            memberships__scope_path=case.area.path,
        ).distinct()
    )


def _notify(
    case: Case,
    event: str,
    subject: str,
    *,
    recipients: list[User] | None = None,
    emails: list[str] | None = None,
    link: str = "",
    key: str = "",
) -> None:
    notifications.notify(
        event=f"case.{event}",
        area_path=case.area_path,
        subject=subject,
        body=f"{case.number} {case.category.name}: {case.description[:140]}",
        link=link or reverse("cases:case_detail", args=[case.number]),
        payload={"number": case.number, "state": case.state, "category": case.category.code, "level": case.level},
        recipients=recipients if recipients is not None else _staff_to_tell(case),
        emails=emails or [],
        dedupe_key=f"case:{case.pk}:{event}:{key or case.version}",
    )


def _event(
    case: Case,
    action: str,
    actor: User | None,
    *,
    at: datetime.datetime,
    from_state: str = "",
    note: str = "",
    public: bool = True,
    data: dict | None = None,
) -> CaseEvent:
    label = "" if actor is None else (actor.display_name or actor.get_username())
    return CaseEvent.objects.create(
        case=case,
        at=at,
        action=action,
        from_state=from_state,
        to_state=case.state,
        actor=actor,
        actor_label=label,
        note=note,
        public=public,
        data=data or {},
    )


@transaction.atomic
def case_report(
    *,
    actor: User | None,
    category: Category,
    description: str,
    source: str,
    area: Area | None = None,
    compound: Compound | None = None,
    shop: Shop | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    address: str = "",
    attributes: dict[str, Any] | None = None,
    photos: Iterable = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    idempotency_key: str = "",
    by_inspection: bool = False,
    now: datetime.datetime | None = None,
) -> Case:
    """A new case in state `reported`. The same idempotency key returns the case it made the first time.

    `by_inspection`: the case is a failure an inspection found (`rectification_open`, only the inspections
    service says so). The inspection is its own evidence: the checklist item decides whether it needs a photo,
    and the category's extra questions, asked of reporters, are not asked.
    """
    now = now or timezone.now()
    idempotency_key = idempotency_key_for(actor, idempotency_key[:60]) if idempotency_key else ""
    if idempotency_key:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if not category.active or (actor is None and not category.public):
        raise ValidationError({"category": _("This category cannot be reported here.")})
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the problem.")})
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": _("The description is too long (at most 4000 characters).")})
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)d photos.") % {"n": MAX_PHOTOS}})
    if category.photo_required and not photos and not by_inspection:
        raise ValidationError({"photos": _("This category needs at least one photo.")})
    grid = _place(area=area, compound=compound, shop=shop, longitude=longitude, latitude=latitude)
    if actor is not None:
        path = compound.area_path if compound else grid.path
        prefixes = actor.area_prefixes(Action.VIEW)
        if prefixes is not None and not any(path.startswith(p) for p in prefixes):
            raise PermissionDenied(_("You are not responsible for this area."))
        if not actor.roles_at(path) & REPORT_ROLES:
            raise PermissionDenied(_("Your role does not file cases; it only reads them."))
    phone = ""
    if reporter_phone.strip():
        try:
            phone = validate_phone(reporter_phone)
        except ValidationError as error:
            raise ValidationError({"reporter_phone": error.messages}) from None
    case = Case(
        category=category,
        description=description,
        attributes=_answers(category, attributes or {}, required=not by_inspection),
        source=source,
        level=category.level,
        area=grid,
        compound=compound,
        shop=shop,
        address=(address or (compound.address if compound else shop.address if shop else ""))[:200],
        longitude=longitude if longitude is not None else (compound.longitude if compound else None),
        latitude=latitude if latitude is not None else (compound.latitude if compound else None),
        reporter=actor,
        reporter_name=reporter_name.strip()[:60],
        reporter_phone=phone,
        reporter_email=reporter_email.strip()[:120],
        idempotency_key=idempotency_key or None,
        reported_at=now,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # The same submission raced itself: the first one won, answer with its case.
        existing = Case.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        if existing is None:
            raise
        return existing
    case.number = f"{timezone.localdate(now):%Y%m%d}{case.pk:06d}"
    case.save(update_fields=["number"])
    _store_photos(case, photos, PhotoKind.BEFORE, actor)
    _event(case, "report", actor, at=now, data={"source": source})
    audit.record(actor=actor, action="case.report", instance=case, after=audit.snapshot(case))
    _notify(case, "reported", _("New case %(number)s") % {"number": case.number})
    return case


# The loop


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ValidationError({field: message})


@transaction.atomic
def case_act(
    *,
    actor: User,
    case: Case,
    action: str,
    version: int | None = None,
    note: str = "",
    reason: str = "",
    assignee: User | None = None,
    department: str = "",
    hours: int | None = None,
    approve: bool | None = None,
    photos: Iterable = (),
    deadline_hours: int | None = None,
    by_inspection: bool = False,
    now: datetime.datetime | None = None,
) -> Case:
    """Take one action of the transition table on a case, as `actor` (see workflow.TRANSITIONS).

    `by_inspection`: the action is taken by an inspection of the case's place (workflow.may_by_inspection);
    only the inspections service says so. `deadline_hours` replaces the category's deadline at first dispatch.
    Returns the case as it is now; the instance passed in is left as it was loaded.
    """
    now = now or timezone.now()
    locked = Case.objects.select_for_update(of=("self",)).select_related("category", "area__parent").get(pk=case.pk)
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError(_("Unknown action."))
    if not Case.objects.for_user(actor).filter(pk=locked.pk).exists():
        raise PermissionDenied(_("You are not responsible for this area."))
    if version is not None and locked.version != version:
        raise CaseChanged()
    if locked.state not in transition.sources:
        raise ValidationError(
            _("A case that is %(state)s cannot be given this action.") % {"state": locked.get_state_display()}
        )
    roles = actor.roles_at(locked.area_path)
    allowed = workflow.may(action, state=locked.state, roles=roles, case_level=locked.level) or (
        by_inspection and workflow.may_by_inspection(action, state=locked.state, roles=roles, source=locked.source)
    )
    if not allowed:
        raise PermissionDenied(_("Your role does not allow this action on this case."))
    note = (note or "").strip()
    if "note" in transition.needs:
        _require(bool(note), "note", _("Please write a note."))
    before = audit.snapshot(locked)
    from_state = locked.state
    photos = list(photos)
    effects = _EFFECTS.get(action)
    event_data: dict[str, Any] = {}
    if effects is not None:
        event_data = (
            effects(
                locked,
                actor=actor,
                note=note,
                reason=reason,
                assignee=assignee,
                department=department,
                hours=hours,
                approve=approve,
                photos=photos,
                deadline_hours=deadline_hours,
                by_inspection=by_inspection,
                now=now,
            )
            or {}
        )
    if transition.target is not None:
        locked.state = transition.target
    locked.version += 1
    locked.save()
    _event(
        locked, action, actor, at=now, from_state=from_state, note=note, public=action not in _PRIVATE, data=event_data
    )
    audit.record(
        actor=actor,
        action=f"case.{action}",
        instance=locked,
        before=before,
        after=audit.snapshot(locked),
        reason=(note or reason)[:300],
    )
    _after(locked, action)
    return locked


# Timeline entries residents don't see on the tracking page.
_PRIVATE = {"urge", "request_postponement", "decide_postponement", "escalate"}


def _register(case: Case, *, now: datetime.datetime, **unused: Any) -> None:
    case.registered_at = now


def _reject(case: Case, *, reason: str, **unused: Any) -> dict:
    _require(reason in RejectReason.values, "reason", _("Choose why the case is rejected."))
    case.reject_reason = reason
    return {"reason": reason}


def _dispatch(
    case: Case,
    *,
    assignee: User | None,
    department: str,
    deadline_hours: int | None,
    now: datetime.datetime,
    **unused: Any,
) -> dict:
    department = (department or "").strip()
    _require(assignee is not None or bool(department), "assignee", _("Choose who handles the case."))
    if assignee is not None:
        can_handle = workflow.may(
            "handle", state=State.IN_PROGRESS, roles=assignee.roles_at(case.area_path), case_level=case.level
        )
        _require(
            assignee.is_active and can_handle,
            "assignee",
            _("%(person)s does not handle cases in the area of this case.") % {"person": assignee},
        )
    case.assignee = assignee
    case.department = department[:100]
    if case.dispatched_at is None:
        # The clock starts at the first dispatch; a re-dispatch keeps the deadline.
        case.dispatched_at = now
        hours = deadline_hours or case.category.deadline_hours
        case.deadline_at = add_hours(now, hours, working=case.category.working_hours)
    return {"assignee": assignee.get_username() if assignee else "", "department": case.department}


def _handle(
    case: Case, *, actor: User, photos: list, by_inspection: bool, now: datetime.datetime, **unused: Any
) -> dict:
    # A re-inspection that finds the place fixed is itself the evidence of handling.
    if case.category.photo_required and not by_inspection:
        _require(bool(photos), "photos", _("This category needs a photo after handling."))
    _require(len(photos) <= MAX_PHOTOS, "photos", _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    _store_photos(case, photos, PhotoKind.AFTER, actor)
    case.handled_at = now
    return {"photos": len(photos)}


def _verify(case: Case, *, now: datetime.datetime, **unused: Any) -> None:
    case.verified_at = now


def _rework(case: Case, **unused: Any) -> None:
    case.rework_count += 1
    case.handled_at = None


def _close(case: Case, *, now: datetime.datetime, **unused: Any) -> dict:
    case.closed_at = now
    return {"on_time": case.deadline_at is None or now <= case.deadline_at}


def _suspend(case: Case, **unused: Any) -> None:
    case.state_before_suspension = case.state


def _resume(case: Case, **unused: Any) -> None:
    case.state = case.state_before_suspension or State.REGISTERED
    case.state_before_suspension = ""


def _escalate(case: Case, **unused: Any) -> dict:
    above = next_level(case.level)
    _require(above is not None, "level", _("This case is already at the highest level."))
    previous, case.level = case.level, above
    return {"from": previous, "to": above}


def _request_postponement(case: Case, *, actor: User, reason: str, hours: int | None, **unused: Any) -> dict:
    reason = (reason or "").strip()
    _require(bool(reason), "reason", _("Say why more time is needed."))
    _require(hours is not None and 1 <= hours <= 24 * 30, "hours", _("Ask for 1 to 720 more hours."))
    pending = case.postponements.filter(state=PostponementState.REQUESTED).exists()
    _require(not pending, "hours", _("A postponement of this case is already waiting for a decision."))
    Postponement.objects.create(case=case, requested_by=actor, reason=reason[:300], hours=hours)
    return {"hours": hours, "reason": reason[:300]}


def _decide_postponement(
    case: Case, *, actor: User, approve: bool | None, now: datetime.datetime, **unused: Any
) -> dict:
    request = case.postponements.filter(state=PostponementState.REQUESTED).first()
    _require(request is not None, "approve", _("No postponement is waiting for a decision."))
    _require(approve is not None, "approve", _("Approve or refuse the postponement."))
    request.state = PostponementState.APPROVED if approve else PostponementState.REFUSED
    request.decided_by, request.decided_at = actor, now
    request.save()
    if approve:
        case.deadline_at = add_hours(case.deadline_at or now, request.hours, working=case.category.working_hours)
        case.postponed = True
        case.overdue_at = None
    return {"approved": bool(approve), "hours": request.hours}


def _reopen(case: Case, **unused: Any) -> None:
    case.reopen_count += 1
    case.closed_at = None
    case.verified_at = None
    case.handled_at = None


_EFFECTS = {
    "register": _register,
    "reject": _reject,
    "dispatch": _dispatch,
    "handle": _handle,
    "verify": _verify,
    "rework": _rework,
    "close": _close,
    "suspend": _suspend,
    "resume": _resume,
    "escalate": _escalate,
    "request_postponement": _request_postponement,
    "decide_postponement": _decide_postponement,
    "reopen": _reopen,
}


def _after(case: Case, action: str) -> None:
    """Who hears of an action."""
    if action == "dispatch" and case.assignee_id:
        _notify(case, "dispatched", _("Case %(number)s is yours") % {"number": case.number}, recipients=[case.assignee])
    elif action == "rework":
        _notify(case, "rework", _("Case %(number)s was not fixed: rework") % {"number": case.number})
    elif action == "urge":
        _notify(case, "urged", _("Case %(number)s is being urged (督办)") % {"number": case.number})
    elif action == "escalate":
        _notify(case, "escalated", _("Case %(number)s was escalated") % {"number": case.number}, recipients=[])
    elif action == "close":
        # The reporter hears of it: in the inbox when they have an account, by e-mail when they left an address
        # (the tracking link in the message lets them rate it or say it is not fixed).
        reporters = [case.reporter] if case.reporter_id else []
        subject = _("Case %(number)s is closed") % {"number": case.number}
        _notify(case, "closed", subject, recipients=reporters)
        if case.reporter_email:
            _notify(
                case,
                "closed",
                subject,
                recipients=[],
                emails=[case.reporter_email],
                link=reverse("cases:public_track", args=[case.tracking_code]),
                key=f"{case.version}:reporter",
            )
    elif action == "reopen":
        _notify(case, "reopened", _("Case %(number)s was reopened") % {"number": case.number})


# Rectification (整改): cases opened and verified by inspections


@transaction.atomic
def rectification_open(
    *,
    actor: User,
    category: Category,
    description: str,
    assignee: User,
    deadline_hours: int,
    compound: Compound | None = None,
    shop: Shop | None = None,
    area: Area | None = None,
    address: str = "",
    photos: Iterable = (),
    now: datetime.datetime | None = None,
) -> Case:
    """A rectification case for a failure an inspection found: reported, registered and dispatched at once.

    An inspection by standard needs no registration check (the inspector is staff measuring against a
    standard); the case goes straight to `assignee` (the place's responsible person) with its own deadline.
    """
    now = now or timezone.now()
    case = case_report(
        actor=actor,
        category=category,
        description=description,
        source=Source.INSPECTION,
        compound=compound,
        shop=shop,
        area=area,
        address=address,
        photos=photos,
        by_inspection=True,
        now=now,
    )
    case = case_act(actor=actor, case=case, action="register", by_inspection=True, now=now)
    return case_act(
        actor=actor,
        case=case,
        action="dispatch",
        assignee=assignee,
        deadline_hours=deadline_hours,
        by_inspection=True,
        now=now,
    )


@transaction.atomic
def case_reinspect(*, actor: User, case: Case, passed: bool, note: str, now: datetime.datetime | None = None) -> Case:
    """What a re-inspection of the place found: fixed verifies and closes the case, not fixed sends it back.

    A case not yet reported handled is handled by the re-inspection itself when it finds the place fixed. A case
    still being handled that is found not fixed keeps its course; the timeline records the re-inspection.
    """
    now = now or timezone.now()
    # The steps follow the case as it is now (locked), not as the caller read it: someone may have moved it.
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if case.state not in OPEN_STATES:
        return case
    steps: list[str]
    if passed:
        steps = {
            State.DISPATCHED: ["handle", "verify", "close"],
            State.IN_PROGRESS: ["handle", "verify", "close"],
            State.HANDLED: ["verify", "close"],
            State.VERIFIED: ["close"],
        }.get(case.state, [])
    else:
        steps = ["rework"] if case.state == State.HANDLED else []
    for action in steps:
        case = case_act(actor=actor, case=case, action=action, note=note, by_inspection=True, now=now)
    if not steps:
        case.version += 1
        case.save(update_fields=["version", "updated_at"])
        _event(case, "reinspect", actor, at=now, from_state=case.state, note=note, data={"passed": passed})
        audit.record(actor=actor, action="case.reinspect", instance=case, reason=note[:300])
    return case


# The reporter's loop (through the tracking link)


@transaction.atomic
def case_rate(*, case: Case, stars: int, comment: str = "", now: datetime.datetime | None = None) -> Rating:
    """The reporter's rating of a closed case (once)."""
    now = now or timezone.now()
    locked = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if locked.state != State.CLOSED:
        raise ValidationError(_("Only a closed case can be rated."))
    if Rating.objects.filter(case=locked).exists():
        raise ValidationError(_("This case has already been rated."))
    if not (isinstance(stars, int) and 1 <= stars <= 5):
        raise ValidationError({"stars": _("Give 1 to 5 stars.")})
    rating = Rating.objects.create(case=locked, stars=stars, comment=(comment or "").strip()[:500])
    # The reporter's words stay off the public pages (anyone may open a case's public page by its number).
    _event(locked, "rate", None, at=now, note=rating.comment, public=False, data={"stars": stars})
    audit.record(actor=None, action="case.rate", instance=locked, after={"stars": stars})
    return rating


@transaction.atomic
def case_not_fixed(*, case: Case, note: str, now: datetime.datetime | None = None) -> Case:
    """The reporter says a closed case is not fixed: within 7 days of closure it reopens and its grid is told."""
    now = now or timezone.now()
    locked = Case.objects.select_for_update(of=("self",)).select_related("category", "area").get(pk=case.pk)
    note = (note or "").strip()
    if locked.state != State.CLOSED or locked.closed_at is None:
        raise ValidationError(_("Only a closed case can be reopened."))
    if now - locked.closed_at > datetime.timedelta(days=workflow.NOT_FIXED_DAYS):
        raise ValidationError(
            _("A case can be reopened within %(days)d days of closure; please report a new one.")
            % {"days": workflow.NOT_FIXED_DAYS}
        )
    if not note:
        raise ValidationError({"note": _("Please say what is still wrong.")})
    before = audit.snapshot(locked)
    _reopen(locked)
    locked.state = State.IN_PROGRESS
    locked.version += 1
    locked.save()
    _event(locked, "not_fixed", None, at=now, from_state=State.CLOSED, note=note[:1000])
    audit.record(actor=None, action="case.not_fixed", instance=locked, before=before, after=audit.snapshot(locked))
    _after(locked, "reopen")
    return locked


# Following the territory


def cases_follow_place(sender: type, *, place: Compound | Shop, old_path: str, **kwargs: Any) -> None:
    """A compound or shop moved to another grid: its cases move with it, so the new grid's staff see them."""
    cases = Case.objects.filter(compound=place) if isinstance(place, Compound) else Case.objects.filter(shop=place)
    for case in cases.select_related("compound", "area"):
        case.area = place.area
        case.save(update_fields=["area", "area_path", "updated_at"])


# The sweep


def cases_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark overdue cases, escalate them one level and tell their grid; remind of deadlines within 4 hours.

    Idempotent and safe to run twice at once: each case is locked and re-checked before it is changed.
    """
    now = now or timezone.now()
    marked = due_soon = 0
    due = Case.objects.filter(state__in=workflow.OPEN_STATES, deadline_at__lt=now, overdue_at__isnull=True)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).select_related("category", "area").get(pk=pk)
            if case.overdue_at is not None or case.state not in workflow.OPEN_STATES:
                continue
            before = audit.snapshot(case)
            case.overdue_at = now
            above = next_level(case.level)
            data = {"deadline": case.deadline_at.isoformat()}
            if above is not None and case.level in ("compound", "community"):
                data.update({"from": case.level, "to": above})
                case.level = above
            case.version += 1
            case.save()
            _event(case, "overdue", None, at=now, public=False, data=data)
            audit.record(actor=None, action="case.overdue", instance=case, before=before, after=audit.snapshot(case))
            _notify(case, "overdue", _("Case %(number)s is overdue") % {"number": case.number}, key="overdue")
            marked += 1
    soon = Case.objects.filter(
        state__in=workflow.OPEN_STATES,
        deadline_at__gte=now,
        deadline_at__lt=now + datetime.timedelta(hours=4),
        assignee__isnull=False,
    ).select_related("category", "assignee", "area")
    for case in soon:
        # The deadline is in the key: one reminder per deadline, however often the sweep runs.
        _notify(
            case,
            "deadline_soon",
            _("Case %(number)s is due soon") % {"number": case.number},
            recipients=[case.assignee],
            key=f"remind:{case.deadline_at.isoformat()}",
        )
        due_soon += 1
    return {"overdue": marked, "due_soon": due_soon}
