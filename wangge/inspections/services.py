"""Writes of inspections: checklists and their versions, schedules, the policy, and inspections themselves.

Every function is atomic, checks the actor's role and scope, and records an audit event. An inspection that
finds failures opens rectification cases through the cases service; one that finds the place fixed verifies
the open ones (cases.services.case_reinspect).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES, STANDARD_ROLES, Action
from wangge.cases import services as case_services
from wangge.cases import workflow
from wangge.cases.models import Case, CaseEvent, Category, Source, State
from wangge.core import audit, notifications
from wangge.core.files import process_photo
from wangge.core.scoping import check_actor_may
from wangge.inspections import selectors
from wangge.inspections.models import (
    Checklist,
    ChecklistItem,
    ChecklistStatus,
    Finding,
    Grouping,
    Inspection,
    Policy,
    Reinspection,
    Result,
    Schedule,
    Severity,
    Target,
    Unit,
)
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind, Building, Compound, Shop, ShopStatus, Trade

Place = Compound | Shop | Building

MAX_NOTE = 500
MAX_INSPECTION_NOTE = 2000
# An inspection may be entered after the visit (a phone without signal), but not dated in the future.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
CHECKLIST_FIELDS = ("name", "description", "pass_mark", "grouping")
ITEM_FIELDS = (
    "section",
    "text",
    "points",
    "severity",
    "category",
    "trades",
    "photo_required",
    "rectify_hours",
    "order",
)


# Standards (checklists)


def _check_standard_role(actor: User | None, community: Area | None) -> None:
    """The actor may write the standards of `community`: its director (or the subdistrict above); the shared
    standards, which every community without its own version uses, only the deployment's administrators."""
    if actor is None or actor.is_superuser:
        return
    if community is None:
        raise PermissionDenied(
            _("This standard is shared by every community: make your community's own version of it instead.")
        )
    check_actor_may(actor, Action.CHANGE, community.path)
    if not actor.roles_at(community.path) & STANDARD_ROLES:
        raise PermissionDenied(_("Only the community director edits inspection standards."))


def _owners(checklist: Checklist) -> Q:
    """The versions with the same owner as `checklist`: the shared ones, or one community's."""
    if checklist.community_id is None:
        return Q(code=checklist.code, community__isnull=True)
    return Q(code=checklist.code, community_id=checklist.community_id)


def _check_unused(checklist: Checklist) -> None:
    used = checklist.inspections.count()
    if used:
        raise ValidationError(
            _(
                "Version %(version)d of this checklist has been used by %(n)d inspections and cannot change, "
                "so that past inspections keep the standard they were scored on. Make a new version instead."
            )
            % {"version": checklist.version, "n": used}
        )


def _lock_editable(checklist_pk: int) -> Checklist:
    """The version, locked for the edit, if it may still change: neither used by an inspection nor retired."""
    checklist = Checklist.objects.select_for_update().get(pk=checklist_pk)
    _check_unused(checklist)
    if checklist.status == ChecklistStatus.RETIRED:
        raise ValidationError(_("A retired version cannot change."))
    return checklist


def _record(actor: User | None, action: str, instance: Any, before: dict | None) -> None:
    # Filed under the owning community (its auditors see it); a shared standard's under no area.
    audit.record(actor=actor, action=action, instance=instance, before=before, after=audit.snapshot(instance))


def _clean_checklist(checklist: Checklist) -> None:
    try:
        checklist.full_clean(exclude=["status", "published_at"], validate_unique=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    if checklist.pass_mark > 100:
        raise ValidationError({"pass_mark": _("The pass mark is a score out of 100.")})


@transaction.atomic
def checklist_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    target: str,
    community: Area | None = None,
    description: str = "",
    pass_mark: int = 80,
    grouping: str = Grouping.ITEM,
) -> Checklist:
    """A new standard of `community` (or a shared one: `community` None), as version 1 in draft."""
    _check_standard_role(actor, community)
    if Checklist.objects.filter(Q(community=None) | Q(community=community), code=code).exists():
        raise ValidationError({"code": _("A checklist with this code exists; make a new version of it instead.")})
    checklist = Checklist(
        community=community,
        code=code,
        name=name.strip(),
        target=target,
        description=description.strip(),
        pass_mark=pass_mark,
        grouping=grouping,
    )
    _clean_checklist(checklist)
    try:
        with transaction.atomic():
            checklist.save()
    except IntegrityError:
        # Someone created the same code at the same moment.
        raise ValidationError(
            {"code": _("A checklist with this code exists; make a new version of it instead.")}
        ) from None
    _record(actor, "checklist.create", checklist, None)
    return checklist


@transaction.atomic
def checklist_update(*, actor: User | None, checklist: Checklist, **fields: Any) -> Checklist:
    """Change a version's name, description, pass mark or grouping; refused once an inspection has used it."""
    _check_standard_role(actor, checklist.community)
    checklist = _lock_editable(checklist.pk)
    before = audit.snapshot(checklist)
    for name, value in fields.items():
        if name not in CHECKLIST_FIELDS:
            raise ValueError(f"checklist field {name!r} cannot be set here")
        setattr(checklist, name, value.strip() if isinstance(value, str) else value)
    _clean_checklist(checklist)
    checklist.save()
    _record(actor, "checklist.update", checklist, before)
    return checklist


def _clean_item(item: ChecklistItem) -> None:
    if item.trades and item.checklist.target != Target.SHOP:
        raise ValidationError({"trades": _("Only shops have trades.")})
    if item.rectify_hours is not None and not 1 <= item.rectify_hours <= 24 * 365:
        raise ValidationError(
            {"rectify_hours": _("Hours to rectify: 1 to 8760, or empty for the category's deadline.")}
        )
    if item.trades:
        known = set(Trade.objects.filter(code__in=item.trades).values_list("code", flat=True))
        unknown = [code for code in item.trades if code not in known]
        if unknown:
            raise ValidationError({"trades": _("Unknown trade: %(codes)s") % {"codes": ", ".join(unknown)}})
    if not 1 <= item.points <= 100:
        raise ValidationError({"points": _("Points are a whole number from 1 to 100.")})
    try:
        item.full_clean(exclude=["checklist"], validate_unique=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from None
    clash = ChecklistItem.objects.filter(checklist=item.checklist, code=item.code).exclude(pk=item.pk)
    if clash.exists():
        raise ValidationError({"code": _("This checklist already has an item with this code.")})


@transaction.atomic
def checklist_item_save(
    *, actor: User | None, checklist: Checklist, item: ChecklistItem | None = None, code: str = "", **fields: Any
) -> ChecklistItem:
    """Add an item to a version, or change one; refused once an inspection has used the version."""
    _check_standard_role(actor, checklist.community)
    checklist = _lock_editable(checklist.pk)
    before = audit.snapshot(item) if item is not None else None
    if item is None:
        item = ChecklistItem(checklist=checklist, code=code.strip())
        if not fields.get("order"):
            fields["order"] = (checklist.items.aggregate(top=Max("order"))["top"] or 0) + 1
    elif item.checklist_id != checklist.pk:
        raise ValueError("the item belongs to another checklist")
    elif code and code.strip() != item.code:
        raise ValidationError({"code": _("An item's code stays the same across versions: relapse is counted by it.")})
    for name, value in fields.items():
        if name not in ITEM_FIELDS:
            raise ValueError(f"item field {name!r} cannot be set here")
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    _clean_item(item)
    item.save()
    _record(actor, "checklist.item_save", item, before)
    return item


@transaction.atomic
def checklist_item_delete(*, actor: User | None, item: ChecklistItem) -> None:
    """Remove an item from a version nobody has used yet."""
    checklist = _lock_editable(item.checklist_id)
    _check_standard_role(actor, checklist.community)
    before = audit.snapshot(item)
    audit.record(
        actor=actor, action="checklist.item_delete", instance=item, before=before, area_path=checklist.area_path
    )
    item.delete()


@transaction.atomic
def checklist_new_version(*, actor: User | None, checklist: Checklist, community: Area | None = None) -> Checklist:
    """A draft copy of a version to change and put in use, numbered after the newest of its code; an open draft
    of the same owner is reused. The copy belongs to `community` when given (a community's own version of a
    shared standard), else to the version's owner."""
    owner = community if community is not None else checklist.community
    if checklist.community_id is not None and owner is not None and owner.pk != checklist.community_id:
        raise PermissionDenied(_("This standard belongs to another community."))
    _check_standard_role(actor, owner)
    # Versions of a code are numbered across the shared standard and the community's own, so "v3" is one thing.
    related = Checklist.objects.select_for_update().filter(
        Q(community__isnull=True) | Q(community=owner), code=checklist.code
    )
    draft = related.filter(community=owner, status=ChecklistStatus.DRAFT).first()
    if draft is not None:
        return draft
    newest = related.aggregate(top=Max("version"))["top"]
    copy = Checklist.objects.create(
        community=owner,
        code=checklist.code,
        version=newest + 1,
        name=checklist.name,
        target=checklist.target,
        description=checklist.description,
        pass_mark=checklist.pass_mark,
        grouping=checklist.grouping,
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(checklist=copy, **{name: getattr(item, name) for name in ("code", *ITEM_FIELDS)})
            for item in checklist.items.all()
        ]
    )
    _record(actor, "checklist.new_version", copy, None)
    return copy


@transaction.atomic
def checklist_publish(*, actor: User | None, checklist: Checklist, now: datetime.datetime | None = None) -> Checklist:
    """Put a version in use for its owner; the owner's version in use before it is retired (its inspections keep
    it). A community's own version replaces the shared standard in that community only."""
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    _check_standard_role(actor, checklist.community)
    if checklist.status != ChecklistStatus.DRAFT:
        raise ValidationError(_("Only a draft can be put in use."))
    items = list(checklist.items.select_related("category"))
    if not items:
        raise ValidationError(_("A checklist needs at least one item."))
    inactive = sorted(item.code for item in items if not item.category.active)
    if inactive:
        raise ValidationError(
            _("These items file failures under a case category that is no longer in use: %(codes)s")
            % {"codes": "、".join(inactive)}
        )
    before = audit.snapshot(checklist)
    for previous in Checklist.objects.select_for_update().filter(_owners(checklist), status=ChecklistStatus.PUBLISHED):
        previous_before = audit.snapshot(previous)
        previous.status = ChecklistStatus.RETIRED
        previous.save(update_fields=["status", "updated_at"])
        _record(actor, "checklist.retire", previous, previous_before)
    checklist.status = ChecklistStatus.PUBLISHED
    checklist.published_at = now or timezone.now()
    checklist.save(update_fields=["status", "published_at", "updated_at"])
    _record(actor, "checklist.publish", checklist, before)
    return checklist


@transaction.atomic
def checklist_retire(*, actor: User | None, checklist: Checklist) -> Checklist:
    """Take a version out of use (no new inspections against it); a community then uses the shared standard again."""
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    _check_standard_role(actor, checklist.community)
    if checklist.status == ChecklistStatus.RETIRED:
        return checklist
    before = audit.snapshot(checklist)
    checklist.status = ChecklistStatus.RETIRED
    checklist.save(update_fields=["status", "updated_at"])
    _record(actor, "checklist.retire", checklist, before)
    return checklist


# Schedules and policy


def _check_community(actor: User | None, community: Area) -> None:
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError({"community": _("Choose a community.")})
    check_actor_may(actor, Action.CHANGE, community.path)
    if actor is not None and not actor.is_superuser and not actor.roles_at(community.path) & STANDARD_ROLES:
        raise PermissionDenied(_("Only the community director sets inspection schedules."))


@transaction.atomic
def schedule_save(
    *,
    actor: User | None,
    community: Area,
    target: str,
    every: int,
    unit: str,
    trades: list[str] | None = None,
    active: bool = True,
    schedule: Schedule | None = None,
) -> Schedule:
    """Set how often places of a kind (optionally of some trades) in a community are visited."""
    _check_community(actor, community)
    before = audit.snapshot(schedule)
    if schedule is None:
        schedule = Schedule(community=community)
    elif schedule.community_id != community.pk:
        raise ValueError("the schedule belongs to another community")
    schedule.target, schedule.every, schedule.unit = target, every, unit
    schedule.trades, schedule.active = sorted(set(trades or [])), active
    errors: dict[str, str] = {}
    if target not in Target.values:
        errors["target"] = _("Choose a kind of place.")
    if unit not in Unit.values:
        errors["unit"] = _("Choose days, weeks or months.")
    if not isinstance(every, int) or not 1 <= every <= 366:
        errors["every"] = _("Say how many: 1 to 366.")
    if schedule.trades and target != Target.SHOP:
        errors["trades"] = _("Only shops have trades.")
    known = set(Trade.objects.filter(code__in=schedule.trades).values_list("code", flat=True))
    if set(schedule.trades) - known:
        errors["trades"] = _("Unknown trade: %(codes)s") % {"codes": ", ".join(sorted(set(schedule.trades) - known))}
    if not errors and active:
        others = Schedule.objects.filter(community=community, target=target, active=True).exclude(pk=schedule.pk)
        for other in others:
            if not schedule.trades and not other.trades:
                errors["target"] = _("This kind of place already has a schedule: change that one instead.")
            elif set(schedule.trades) & set(other.trades):
                shared = "、".join(sorted(set(schedule.trades) & set(other.trades)))
                errors["trades"] = _("These trades already have a schedule: %(codes)s") % {"codes": shared}
    if errors:
        raise ValidationError(errors)
    schedule.save()
    audit.record(
        actor=actor,
        action="inspection_schedule.update" if before else "inspection_schedule.create",
        instance=schedule,
        before=before,
        after=audit.snapshot(schedule),
    )
    return schedule


def policy_of(community: Area) -> Policy:
    """The community's inspection policy, or the defaults when it has set none (unsaved)."""
    return Policy.objects.filter(community=community).first() or Policy(community=community)


@transaction.atomic
def policy_update(*, actor: User | None, community: Area, **fields: Any) -> Policy:
    """Set the community's relapse window and whether (and how long) its red/black list is public."""
    _check_community(actor, community)
    policy = Policy.objects.select_for_update().filter(community=community).first() or Policy(community=community)
    before = audit.snapshot(policy) if policy.pk else None
    for name, value in fields.items():
        if name not in ("relapse_days", "public_ranking", "ranking_size"):
            raise ValueError(f"policy field {name!r} cannot be set here")
        setattr(policy, name, value)
    errors = {}
    if not 1 <= policy.relapse_days <= 365:
        errors["relapse_days"] = _("A relapse window of 1 to 365 days.")
    if not 1 <= policy.ranking_size <= 50:
        errors["ranking_size"] = _("1 to 50 places on each list.")
    if errors:
        raise ValidationError(errors)
    policy.save()
    audit.record(
        actor=actor, action="inspection_policy.update", instance=policy, before=before, after=audit.snapshot(policy)
    )
    return policy


# Inspections


@dataclass
class Answer:
    """The inspector's answer to one item: pass, fail or not applicable; a failure with a note and a photo."""

    result: str
    note: str = ""
    photo: Any = None  # an uploaded file


def items_for(checklist: Checklist, place: Place) -> list[ChecklistItem]:
    """The checklist's items that apply to the place (a shop's trade decides its extra items)."""
    trade = place.trade.code if isinstance(place, Shop) else None
    items = checklist.items.select_related("category").order_by("order", "id")
    return [item for item in items if item.applies_to(trade)]


def exact_score(items: Iterable[ChecklistItem], results: dict[str, str]) -> Decimal:
    """Points passed out of points answered (not-applicable items don't count), as a score of 100, unrounded."""
    answered = [item for item in items if results.get(item.code) in (Result.PASS, Result.FAIL)]
    total = sum(item.points for item in answered)
    if not total:
        return Decimal(100)
    passed = sum(item.points for item in answered if results[item.code] == Result.PASS)
    return Decimal(100) * passed / total


def score_of(items: Iterable[ChecklistItem], results: dict[str, str]) -> Decimal:
    """The score as stored and shown: `exact_score` to one decimal."""
    return exact_score(items, results).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _place_fields(place: Place) -> dict[str, Any]:
    if isinstance(place, Compound):
        return {"compound": place}
    if isinstance(place, Shop):
        return {"shop": place}
    return {"building": place}


def _check_place(actor: User, place: Place, checklist: Checklist) -> None:
    if not type(place).objects.for_user(actor).filter(pk=place.pk).exists():
        raise PermissionDenied(_("You are not responsible for this area."))
    if not actor.is_superuser and not actor.roles_at(place.area_path) & INSPECT_ROLES:
        raise PermissionDenied(_("Your role does not inspect places."))
    in_use = selectors.checklists_in_use(selectors.community_of(place))
    if checklist.status != ChecklistStatus.PUBLISHED or not in_use.filter(pk=checklist.pk).exists():
        raise ValidationError({"checklist": _("This checklist version is not in use.")})
    if checklist.target != selectors.target_of(place):
        raise ValidationError({"checklist": _("This checklist is for another kind of place.")})
    if isinstance(place, Shop) and place.status != ShopStatus.OPEN:
        raise ValidationError({"place": _("This shop has closed down.")})


def _check_answers(items: list[ChecklistItem], answers: dict[str, Answer]) -> dict[str, Any]:
    """Every applicable item answered; a failure with its note and (when the item asks) a photo. Photos processed."""
    errors: dict[str, list[str]] = {}
    codes = {item.code for item in items}
    unknown = sorted(set(answers) - codes)
    if unknown:
        errors["answers"] = [_("Not an item of this checklist: %(codes)s") % {"codes": ", ".join(unknown)}]
    processed: dict[str, Any] = {}
    for item in items:
        answer = answers.get(item.code)
        key = f"item_{item.code}"
        if answer is None or answer.result not in Result.values:
            errors[key] = [_("Answer this item: pass, fail or not applicable.")]
            continue
        answer.note = (answer.note or "").strip()
        if len(answer.note) > MAX_NOTE:
            errors[key] = [_("The note is too long (at most 500 characters).")]
            continue
        if answer.result == Result.NOT_APPLICABLE and item.severity == Severity.CRITICAL:
            # A critical item fails the inspection by itself: it is always checked.
            errors[key] = [_("A critical item is always checked: answer pass or fail.")]
            continue
        if answer.result != Result.FAIL:
            continue
        if not item.category.active:
            errors[key] = [
                _(
                    "The case category of this item (%(category)s) is no longer in use: "
                    "ask the director to fix the checklist."
                )
                % {"category": item.category.name}
            ]
            continue
        if not answer.note:
            errors[key] = [_("Say what is wrong.")]
        if item.photo_required and not answer.photo:
            errors.setdefault(key, []).append(_("This item needs a photo of the failure."))
        if answer.photo:
            try:
                processed[item.code] = process_photo(answer.photo)
            except ValidationError as error:
                errors.setdefault(key, []).extend(error.messages)
    if not errors and all(answers[item.code].result == Result.NOT_APPLICABLE for item in items):
        errors["answers"] = [_("Every item is marked not applicable: an inspection checks at least one item.")]
    if errors:
        raise ValidationError(errors)
    return processed


def _responsible(place: Place, inspector: User, level: str, path: str) -> User:
    """Who rectifies: the place's responsible person when they can handle the case, else the inspector."""
    for assignment in territory_selectors.responsible_for(place):
        person = assignment.person
        roles = person.roles_at(path)
        if person.is_active and (
            workflow.may("handle", state=State.IN_PROGRESS, roles=roles, case_level=level)
            or workflow.may_by_inspection("handle", state=State.IN_PROGRESS, roles=roles, source=Source.INSPECTION)
        ):
            return person
    return inspector


def _case_place(place: Place) -> dict[str, Any]:
    """Where the case of a place's failure lies: its compound or shop; an office building's compound, else its grid
    (so the case's path is the building's own, and its responsible person is judged where the case is)."""
    if isinstance(place, Building):
        where = {"compound": place.compound} if place.compound_id else {"area": place.area}
        return {**where, "address": place.address or place.name}
    return _place_fields(place)


def _open_rectification(
    actor: User,
    inspection: Inspection,
    failures: list[tuple[ChecklistItem, Finding]],
    place: Place,
    photo_bytes: dict[str, bytes],
) -> list[Case]:
    """Rectification cases for the new failures: one per item, or one for all, as the checklist says."""
    groups = (
        [failures] if inspection.checklist.grouping == Grouping.INSPECTION and failures else [[f] for f in failures]
    )
    cases = []
    for group in groups:
        first_item = group[0][0]
        lines = [f"{item.code} {item.text}：{finding.note}" for item, finding in group]
        description = _("Inspection against %(checklist)s found: %(lines)s") % {
            "checklist": inspection.checklist.name,
            "lines": "；".join(lines),
        }
        photos = [
            ContentFile(photo_bytes[item.code], name="finding.jpg")
            for item, _finding in group
            if item.code in photo_bytes
        ][: case_services.MAX_PHOTOS]
        hours = min(item.rectify_hours or item.category.deadline_hours for item, _finding in group)
        # Grouped failures of different categories file under the first failing item's category.
        category: Category = first_item.category
        case = case_services.rectification_open(
            actor=actor,
            category=category,
            description=description[: case_services.MAX_DESCRIPTION],
            assignee=_responsible(place, actor, category.level, place.area_path),
            deadline_hours=hours,
            photos=photos,
            now=inspection.inspected_at,
            **_case_place(place),
        )
        Finding.objects.filter(pk__in=[finding.pk for _item, finding in group]).update(case=case)
        cases.append(case)
    return cases


def _relapse_of(place: Place, code: str, at: datetime.datetime, days: int) -> Case | None:
    """The rectification of the same item at the same place verified within `days` before `at`, if any."""
    lookup = selectors.place_lookup(place, "findings__inspection__")
    return (
        Case.objects.filter(
            source=Source.INSPECTION,
            findings__item_code=code,
            verified_at__gte=at - datetime.timedelta(days=days),
            verified_at__lte=at,
            **lookup,
        )
        .order_by("-verified_at")
        .first()
    )


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    checklist: Checklist,
    place: Place,
    answers: dict[str, Answer],
    note: str = "",
    inspected_at: datetime.datetime | None = None,
    idempotency_key: str = "",
    now: datetime.datetime | None = None,
) -> Inspection:
    """One inspection of a place, scored, with rectification cases for what failed and re-inspection of open ones.

    Every item that applies must be answered; nothing is written unless everything is right. The same
    idempotency key (a phone sending twice) returns the inspection it made the first time.
    """
    now = now or timezone.now()
    inspected_at = inspected_at or now
    key = case_services.idempotency_key_for(actor, idempotency_key[:60]) if idempotency_key else None
    if key:
        existing = Inspection.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    _check_place(actor, place, checklist)
    # One inspection of a place at a time: a second inspector waits here, then sees the first one's cases.
    type(place).objects.select_for_update().filter(pk=place.pk).exists()
    if inspected_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"inspected_at": _("An inspection cannot be dated in the future.")})
    if inspected_at < now - datetime.timedelta(days=settings.INSPECTION_LATE_ENTRY_DAYS):
        raise ValidationError(
            {
                "inspected_at": _("An inspection is entered at most %(days)d days after it took place.")
                % {"days": settings.INSPECTION_LATE_ENTRY_DAYS}
            }
        )
    later = Inspection.objects.filter(**selectors.place_lookup(place), inspected_at__gt=inspected_at).first()
    if later is not None:
        # Re-inspection and relapse read the place's history in order: an earlier visit entered later would
        # judge cases that did not exist yet.
        raise ValidationError(
            {
                "inspected_at": _(
                    "This place was inspected later, on %(day)s: enter inspections in the order they took place."
                )
                % {"day": timezone.localtime(later.inspected_at).strftime("%Y-%m-%d %H:%M")}
            }
        )
    note = (note or "").strip()
    if len(note) > MAX_INSPECTION_NOTE:
        raise ValidationError({"note": _("The note is too long (at most 2000 characters).")})
    items = items_for(checklist, place)
    if not items:
        raise ValidationError({"checklist": _("No item of this checklist applies to this place.")})
    photos = _check_answers(items, answers)
    open_before = selectors.open_rectifications(place)
    if open_before:
        # Read again under lock: the cases side may move a case (verify it, say) while this inspection runs.
        fresh = Case.objects.select_for_update(of=("self",)).in_bulk([case.pk for case in open_before])
        open_before = {fresh[case.pk]: codes for case, codes in open_before.items()}
        changed = CaseEvent.objects.filter(case__in=list(fresh.values())).aggregate(latest=Max("at"))["latest"]
        if changed is not None and inspected_at < changed:
            # A late entry would judge the cases as they are now but date the steps back: history out of order.
            raise ValidationError(
                {
                    "inspected_at": _(
                        "A rectification case of this place changed later, on %(day)s: "
                        "enter inspections in the order they took place."
                    )
                    % {"day": timezone.localtime(changed).strftime("%Y-%m-%d %H:%M")}
                }
            )
    results = {item.code: answers[item.code].result for item in items}
    failed = [item for item in items if results[item.code] == Result.FAIL]
    critical = any(item.severity == Severity.CRITICAL for item in failed)
    # Passing is judged on the exact score: 79.96 does not pass a mark of 80 by rounding up.
    passed = exact_score(items, results) >= checklist.pass_mark and not critical
    inspection = Inspection(
        checklist=checklist,
        target=checklist.target,
        area=place.area,
        inspector=actor,
        inspected_at=inspected_at,
        score=score_of(items, results),
        passed=passed,
        failed_count=len(failed),
        note=note,
        idempotency_key=key,
        **_place_fields(place),
    )
    try:
        with transaction.atomic():
            inspection.save()
    except IntegrityError:
        existing = Inspection.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    photo_bytes = {code: photo.content.read() for code, photo in photos.items()}
    findings: dict[str, Finding] = {}
    for item in items:
        answer = answers[item.code]
        findings[item.code] = Finding.objects.create(
            inspection=inspection, item=item, item_code=item.code, result=answer.result, note=answer.note
        )
    policy = policy_of(place.area.parent)
    # Re-inspection (复查): the place's open rectification cases, each judged by the items it was opened for.
    still_open: set[str] = set()
    for case, codes in open_before.items():
        if not codes <= set(findings):
            # Inspected against a standard without all the case's items: it cannot judge the case, but a failure
            # of one of its items is still that case's problem, not a new one.
            failing = [findings[code] for code in codes if code in findings and findings[code].result == Result.FAIL]
            Finding.objects.filter(pk__in=[finding.pk for finding in failing]).update(case=case)
            still_open |= {finding.item_code for finding in failing}
            continue
        answered = [findings[code] for code in sorted(codes) if findings[code].result != Result.NOT_APPLICABLE]
        if not answered:
            continue
        failing = [finding for finding in answered if finding.result == Result.FAIL]
        codes_failing = "、".join(f.item_code for f in failing)
        if failing and case.state == State.VERIFIED:
            # Verified fixed, and failing again before it was closed: the rectification stands (the case closes),
            # and this failure is a new one: it opens its own case and counts as a relapse.
            message = _(
                "Re-inspection: failing again after the rectification was verified (%(items)s); a new case is opened."
            ) % {"items": codes_failing}
            case_services.case_reinspect(actor=actor, case=case, passed=True, note=message, now=inspected_at)
            Reinspection.objects.create(inspection=inspection, case=case, fixed=False)
            continue
        if failing:
            Finding.objects.filter(pk__in=[finding.pk for finding in failing]).update(case=case)
            message = _("Re-inspection: not fixed (%(items)s).") % {"items": codes_failing}
        else:
            message = _("Re-inspection: fixed.")
        case_services.case_reinspect(actor=actor, case=case, passed=not failing, note=message, now=inspected_at)
        Reinspection.objects.create(inspection=inspection, case=case, fixed=not failing)
        still_open |= {finding.item_code for finding in failing}
    # A suspended case (缓办: waiting on what the office cannot hurry, e.g. a property dispute) is not re-inspected,
    # but its items failing again are still its problem, not a new case.
    for case, codes in selectors.open_rectifications(place, states={State.SUSPENDED}).items():
        failing = [findings[code] for code in codes if code in findings and findings[code].result == Result.FAIL]
        Finding.objects.filter(pk__in=[finding.pk for finding in failing]).update(case=case)
        still_open |= {finding.item_code for finding in failing}
    # Relapse (易反复): the same item failing again soon after its rectification was verified. A failure an
    # open case is still about is the same failure, not a new one.
    relapses = 0
    new_failures = []
    for item in failed:
        if item.code in still_open:
            continue
        relapsed = _relapse_of(place, item.code, inspected_at, policy.relapse_days)
        if relapsed is not None:
            findings[item.code].relapse_of = relapsed
            findings[item.code].save(update_fields=["relapse_of"])
            relapses += 1
        new_failures.append((item, findings[item.code]))
    _open_rectification(actor, inspection, new_failures, place, photo_bytes)
    # The photos are written last, so that a refusal anywhere above leaves no file behind.
    for code, data in photo_bytes.items():
        finding = findings[code]
        finding.photo.save(photos[code].content.name, ContentFile(data), save=False)
        Finding.objects.filter(pk=finding.pk).update(photo=finding.photo.name)
    if relapses:
        inspection.relapse_count = relapses
        inspection.save(update_fields=["relapse_count", "updated_at"])
    audit.record(actor=actor, action="inspection.record", instance=inspection, after=audit.snapshot(inspection))
    return inspection


# Following the territory


def inspections_follow_place(sender: type, *, place: Compound | Shop, old_path: str, **kwargs: Any) -> None:
    """A compound or shop moved to another grid: its inspections (and those of office buildings in the compound)
    move with it, so the new grid's staff see the place's history and the old grid's no longer do."""
    if isinstance(place, Compound):
        inspections = Inspection.objects.filter(Q(compound=place) | Q(building__compound=place))
    else:
        inspections = Inspection.objects.filter(shop=place)
    for inspection in inspections.select_related("compound__area", "shop__area", "building__area"):
        inspection.area = inspection.place.area
        inspection.save(update_fields=["area", "area_path", "updated_at"])


# Sweep: reminders of overdue visits


def inspections_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Once a day per person: a reminder listing the places they answer for whose visit is overdue."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reminded = 0
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY):
        overdue = [visit for visit in selectors.visits_of(community, as_of=today) if visit.overdue]
        by_person: dict[int, list] = {}
        people: dict[int, User] = {}
        for visit in overdue:
            for person in visit.responsible:
                by_person.setdefault(person.pk, []).append(visit)
                people[person.pk] = person
        for person_id, visits in by_person.items():
            names = "、".join(str(visit.place) for visit in visits[:10])
            started = timezone.now()
            rows = notifications.notify(
                event="inspection.overdue",
                area_path=community.path,
                subject=ngettext(
                    "%(n)d place is overdue for a visit", "%(n)d places are overdue for a visit", len(visits)
                )
                % {"n": len(visits)},
                body=names + ("…" if len(visits) > 10 else ""),
                link=reverse("inspections:overdue") + f"?community={community.code}",
                payload={"places": len(visits)},
                recipients=[people[person_id]],
                # Per community too: someone who answers for places in two communities hears of each.
                dedupe_key=f"inspection-overdue:{community.pk}:{person_id}:{today.isoformat()}",
            )
            # Counted only when this run wrote the reminder (a second run the same day finds it there).
            reminded += any(row.created_at >= started for row in rows)
    return {"reminded": reminded}
