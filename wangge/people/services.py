"""Writes of the people register: residents, households, residence registrations, archiving and purging.

Every function is atomic, validates before writing, re-checks the actor's scope after the write and records
an audit event whose snapshots hold personal data only masked. `actor=None` is the system (sweep, demo).
The validation functions (`resident_validate`, `household_validate`) are also what the Excel import runs on
every row, so a row is accepted by the import exactly when the form would accept it.
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Action, Role
from wangge.core import audit, context, notifications
from wangge.core.models import AuditEvent, Notification
from wangge.core.pii import mask_name
from wangge.core.scoping import check_actor_may, ensure_in_scope
from wangge.core.validators import (
    id_number_birth_date,
    normalize_id_number,
    validate_calendar_date,
    validate_id_number,
    validate_phone,
)
from wangge.people import tags as care_tags
from wangge.people.floating import Stage, stages
from wangge.people.models import (
    REGISTER_ROLES,
    Household,
    IdType,
    Relation,
    Residence,
    ResidenceRegistration,
    Resident,
    ResidentStatus,
    Sex,
)
from wangge.territory.models import Area, AreaKind, Assignment, Dwelling, community_path_of

# Choices as sets, read once: an import checks them on every row.
_IDTYPE_VALUES = frozenset(IdType.values)
_SEX_VALUES = frozenset(Sex.values)
_RESIDENCE_VALUES = frozenset(Residence.values)
_RELATION_VALUES = frozenset(Relation.values)

# The fields a caller may set on a resident; the rest (status, archive, indexes) belong to the services.
RESIDENT_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "phone",
    "residence",
    "registered_address",
    "dwelling",
    "household",
    "relation",
    "tags",
    "sensitive_tags",
    "moved_in_on",
)


def _apply(resident: Resident, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in RESIDENT_FIELDS:
            raise ValidationError(_("Unknown field: %(name)s") % {"name": name})
        if name in ("tags", "sensitive_tags") and not isinstance(value, str):
            # pack() keeps known codes only: an unknown one must be refused here, not dropped in silence.
            unknown = {str(code) for code in value} - set(care_tags.BY_CODE)
            if unknown:
                raise ValidationError({name: _("Unknown care tag: %(tags)s") % {"tags": "、".join(sorted(unknown))}})
            value = care_tags.pack(value)
        setattr(resident, name, value)


def _split_tags(resident: Resident) -> None:
    """Tags go where their kind belongs: a sensitive tag typed among the plain ones is moved, not leaked."""
    codes = care_tags.unpack(resident.tags) + care_tags.unpack(resident.sensitive_tags)
    unknown = {c for c in (resident.tags + "," + resident.sensitive_tags).split(",") if c} - set(care_tags.BY_CODE)
    if unknown:
        raise ValidationError({"tags": _("Unknown care tag: %(tags)s") % {"tags": "、".join(sorted(unknown))}})
    resident.tags = care_tags.pack([c for c in codes if c in care_tags.PLAIN_CODES])
    resident.sensitive_tags = care_tags.pack([c for c in codes if c in care_tags.SENSITIVE_CODES])


def resident_validate(resident: Resident, *, today: datetime.date | None = None) -> None:
    """Normalise and check one resident without touching the database beyond its dwelling and household.

    Raises a ValidationError keyed by field. ID card numbers are checked (GB 11643) and must agree with the
    birth date and sex given; a missing birth date or sex is taken from the number.
    """
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    resident.name = " ".join((resident.name or "").split())
    if not resident.name:
        fail("name", _("Enter the name."))
    elif len(resident.name) > 50:
        fail("name", _("A name has at most 50 characters."))
    if resident.id_type not in _IDTYPE_VALUES:
        fail("id_type", _("Choose a document type."))
    number = normalize_id_number(resident.id_number)
    resident.id_number = number
    if not number:
        fail("id_number", _("Enter the document number."))
    elif resident.id_type == IdType.ID_CARD:
        try:
            resident.id_number = validate_id_number(number)
        except ValidationError as error:
            fail("id_number", error.messages[0])
        else:
            born = id_number_birth_date(resident.id_number)
            sex = Sex.MALE if int(resident.id_number[16]) % 2 else Sex.FEMALE
            if resident.birth_date is None:
                resident.birth_date = born
            elif resident.birth_date != born:
                fail(
                    "birth_date",
                    _("The birth date %(given)s contradicts the ID number (%(born)s).")
                    % {"given": resident.birth_date.isoformat(), "born": born.isoformat()},
                )
            if not resident.sex:
                resident.sex = sex
            elif resident.sex != sex:
                fail("sex", _("The sex contradicts the ID number."))
    elif len(number) > 30 or not number.isalnum():
        fail("id_number", _("A document number has at most 30 letters and digits."))
    if resident.sex not in _SEX_VALUES and "id_number" not in errors:
        # A wrong ID number is the one problem to report: the sex would have been read from it.
        fail("sex", _("Choose the sex."))
    for field in ("birth_date", "moved_in_on"):
        value = getattr(resident, field)
        if value is not None:
            try:
                validate_calendar_date(value)
            except ValidationError as error:
                fail(field, error.messages[0])
                continue
            if value > today:
                fail(field, _("This date lies in the future."))
    if resident.birth_date and resident.moved_in_on and resident.moved_in_on < resident.birth_date:
        fail("moved_in_on", _("Moved in before being born."))
    if resident.phone:
        try:
            resident.phone = validate_phone(resident.phone)
        except ValidationError as error:
            fail("phone", error.messages[0])
    if resident.residence not in _RESIDENCE_VALUES:
        fail("residence", _("Choose the residence type."))
    if resident.relation and resident.relation not in _RELATION_VALUES:
        fail("relation", _("Choose the relation to the head of household."))
    try:
        _split_tags(resident)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not resident.dwelling_id:
        fail("dwelling", _("Choose the dwelling the resident lives in."))
    elif resident.household_id and resident.household.dwelling_id != resident.dwelling_id:
        fail("household", _("The household lives in another dwelling."))
    if resident.household_id and not resident.relation:
        fail("relation", _("Say how the resident is related to the head of household."))
    if errors:
        raise ValidationError(errors)


def _check_unique(resident: Resident) -> None:
    """One person, one record: the document number is looked up by its blind index."""
    from wangge.core.pii import blind_index

    duplicate = Resident.objects.filter(id_number_index=blind_index(resident.id_number)).exclude(pk=resident.pk)
    if resident.id_number and duplicate.exists():
        raise ValidationError({"id_number": _("A resident with this document number is already registered.")})
    if resident.household_id and resident.relation == Relation.HEAD:
        heads = resident.household.members.filter(relation=Relation.HEAD).exclude(pk=resident.pk)
        if heads.exists():
            raise ValidationError({"relation": _("This household already has a head.")})


def _save(resident: Resident, *, actor: User | None, action: str, verb: str, before: dict | None) -> Resident:
    check_actor_may(actor, action, resident.dwelling.area_path)
    resident_validate(resident)
    _check_unique(resident)
    resident.save()
    ensure_in_scope(resident, actor=actor, action=action)
    audit.record(
        actor=actor,
        action=f"resident.{verb}",
        instance=resident,
        before=before,
        after=audit.snapshot(resident),
    )
    return resident


@transaction.atomic
def resident_create(*, actor: User | None, **fields: Any) -> Resident:
    """A new resident in a dwelling (and household) the actor may add people to."""
    resident = Resident()
    _apply(resident, fields)
    return _save(resident, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def resident_update(*, actor: User | None, resident: Resident, **fields: Any) -> Resident:
    """Change a living resident's details; archived records are read-only until purged."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    check_actor_may(actor, Action.CHANGE, resident.area_path)
    if resident.status != ResidentStatus.LIVING:
        raise ValidationError(_("This resident has moved out or died; the archived record cannot be changed."))
    before = audit.snapshot(resident)
    _apply(resident, fields)
    return _save(resident, actor=actor, action=Action.CHANGE, verb="update", before=before)


@transaction.atomic
def resident_archive(
    *, actor: User | None, resident: Resident, status: str, on: datetime.date, reason: str = ""
) -> Resident:
    """Record that a resident moved out or died; the record is kept for the retention period, then purged."""
    if status not in (ResidentStatus.MOVED_OUT, ResidentStatus.DECEASED):
        raise ValidationError({"status": _("Choose moved out or deceased.")})
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    check_actor_may(actor, Action.CHANGE, resident.area_path)
    if resident.status != ResidentStatus.LIVING:
        raise ValidationError(_("This resident is already archived."))
    validate_calendar_date(on)
    if on > timezone.localdate():
        raise ValidationError({"on": _("This date lies in the future.")})
    if resident.moved_in_on and on < resident.moved_in_on:
        raise ValidationError({"on": _("This date lies before the resident moved in.")})
    if resident.birth_date and on < resident.birth_date:
        raise ValidationError({"on": _("This date lies before the resident was born.")})
    before = audit.snapshot(resident)
    resident.status = status
    resident.moved_out_on = on
    resident.archived_at = timezone.now()
    if resident.relation == Relation.HEAD:
        resident.relation = Relation.OTHER  # the household names a new head; an archived one would block it
    resident.save()
    audit.record(
        actor=actor,
        action="resident.archive",
        instance=resident,
        before=before,
        after=audit.snapshot(resident),
        reason=reason,
    )
    return resident


def residents_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete archived residents whose retention period has passed (a sweep task; idempotent, concurrency-safe)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PEOPLE_RETENTION_DAYS)
    purged = kept = 0
    expired = Resident.objects.filter(archived_at__lt=cutoff).order_by("archived_at", "pk").values_list("pk", flat=True)
    for pk in list(expired[:5000]):
        try:
            with transaction.atomic():
                # A concurrent sweep holding the row purges it; this one moves on.
                resident = Resident.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
                if resident is None or resident.archived_at is None or resident.archived_at >= cutoff:
                    continue
                _record_purge(resident)
                resident.delete()
        except ProtectedError:
            # Another record still needs this resident (e.g. a case or a service record); kept until it goes.
            kept += 1
            continue
        purged += 1
    return {"purged": purged, "kept": kept}


def _record_purge(resident: Resident) -> None:
    """The audit row of a purge: that a record existed and when it went, nothing about whose it was."""
    # audit.record would put str(resident), the name, into object_repr: written here without it.
    request = context.current()
    AuditEvent.objects.create(
        actor=None,
        actor_label="system",
        action="resident.purge",
        object_type=resident._meta.label_lower,
        object_id=str(resident.pk),
        object_repr=f"resident #{resident.pk}",
        before={
            "status": resident.status,
            "residence": resident.residence,
            "archived_at": resident.archived_at.isoformat(),
            "registrations": resident.registrations.count(),
        },
        after=None,
        reason=_("Retention period of %(days)d days passed.") % {"days": settings.PEOPLE_RETENTION_DAYS},
        request_id=request.request_id,
        ip=request.ip,
        area_path=resident.area_path,
    )


# Reminders about residence registration (the floating population)

_REMINDER_EVENTS = {
    "due": "people.registration_due",
    "expiring": "people.permit_expiring",
    "expired": "people.permit_expired",
}


def _responsible_persons(residents: list[Resident]) -> dict[int, list[User]]:
    """Who is told about each resident: their dwelling's or building's responsible persons, else the grid's staff.

    Four queries for any number of residents.
    """
    dwelling_ids = {r.dwelling_id for r in residents}
    building_ids = {r.dwelling.building_id for r in residents}
    by_dwelling: dict[int, list[User]] = {}
    by_building: dict[int, list[User]] = {}
    assignments = Assignment.objects.filter(active=True, person__is_active=True).filter(
        Q(dwelling_id__in=dwelling_ids) | Q(building_id__in=building_ids)
    )
    assignments = list(assignments.select_related("person").order_by("id"))
    # Only staff of the register hear about registrations: a building leader answering for the building does
    # not see residence registrations, so must not be told about them either.
    office_paths: dict[int, list[str]] = {}
    for user_id, path in Membership.objects.filter(
        active=True, role__in=REGISTER_ROLES, user_id__in={a.person_id for a in assignments}
    ).values_list("user_id", "scope_path"):
        office_paths.setdefault(user_id, []).append(path)
    for assignment in assignments:
        if not any(assignment.area_path.startswith(p) for p in office_paths.get(assignment.person_id, ())):
            continue
        if assignment.dwelling_id:
            by_dwelling.setdefault(assignment.dwelling_id, []).append(assignment.person)
        else:
            by_building.setdefault(assignment.building_id, []).append(assignment.person)
    grids = {r.dwelling.building.area_id: r.dwelling.building.area for r in residents}
    grid_staff: dict[int, list[User]] = {}
    wider: dict[int, list[User]] = {}
    grid_roles = [Role.GRID_LEADER, Role.GRID_WORKER]
    prefixes = {path for grid in grids.values() for path in _ancestors(grid.path)}
    memberships = Membership.objects.filter(active=True, user__is_active=True, scope_path__in=prefixes)
    for membership in memberships.filter(role__in=[*grid_roles, Role.DIRECTOR]).select_related("user").order_by("id"):
        for grid_id, grid in grids.items():
            if membership.scope_path == grid.path and membership.role in grid_roles:
                grid_staff.setdefault(grid_id, []).append(membership.user)
            elif grid.path.startswith(membership.scope_path) and membership.scope_path != grid.path:
                wider.setdefault(grid_id, []).append(membership.user)
    told: dict[int, list[User]] = {}
    for resident in residents:
        grid_id = resident.dwelling.building.area_id
        # Nobody in the grid itself: the community's grid staff and director answer for it.
        told[resident.pk] = (
            by_dwelling.get(resident.dwelling_id)
            or by_building.get(resident.dwelling.building_id)
            or grid_staff.get(grid_id)
            or wider.get(grid_id, [])
        )
    return told


def _ancestors(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]


def floating_remind(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Tell the responsible persons once per registration and stage: due, permit expiring, permit expired.

    Idempotent: the outbox's dedupe key holds the stage and the registration (or, when none, the resident),
    so two sweeps at once or a sweep every minute send each reminder once. Messages carry the masked name only.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    # One query tells which reminders went out already, so a quiet minute costs a few queries, not one per person.
    sent = {
        key.rsplit(":", 2)[0]
        for key in Notification.objects.filter(event__in=_REMINDER_EVENTS.values()).values_list("dedupe_key", flat=True)
    }
    subjects = {
        Stage.DUE: _("Residence registration due: %(name)s"),
        Stage.EXPIRING: _("Residence permit expires soon: %(name)s"),
        Stage.EXPIRED: _("Residence permit expired: %(name)s"),
    }
    counts = dict.fromkeys(Stage.ALL, 0)
    residents = Resident.objects.select_related("dwelling__building__area")
    residents = residents.defer("id_number", "phone", "sensitive_tags")
    for stage, queryset in stages(residents, ResidenceRegistration.objects.all(), today=today).items():
        pending: list[tuple[Resident, str]] = []
        for resident in queryset.order_by("id"):
            subject_id = resident.latest_registration_id or resident.pk
            kind = "registration" if resident.latest_registration_id else "resident"
            key = f"people:{kind}:{subject_id}:{stage}"
            if key not in sent:
                pending.append((resident, key))
        told = _responsible_persons([resident for resident, _key in pending])
        for resident, key in pending:
            grid = resident.dwelling.building.area
            notifications.notify(
                event=_REMINDER_EVENTS[stage],
                area_path=resident.area_path,
                subject=subjects[stage] % {"name": mask_name(resident.name)},
                body=_("%(grid)s: open the floating population page to help the resident register or renew.")
                % {"grid": grid.name},
                link=f"{reverse('floating:index')}?grid={grid.code}",
                payload={"stage": stage, "grid": grid.code, "registration": resident.latest_registration_id},
                recipients=told[resident.pk],
                dedupe_key=key,
            )
            counts[stage] += 1
    return counts


def people_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The people register's periodic work: registration reminders, then purging past the retention period."""
    return {**floating_remind(now=now), **residents_purge(now=now)}


# Households


def household_validate(household: Household) -> None:
    """Check a household's number and dwelling (its community follows from the dwelling)."""
    errors: dict[str, list[str]] = {}
    household.number = (household.number or "").strip()
    if not household.number:
        errors["number"] = [_("Enter the household number.")]
    elif len(household.number) > 32:
        errors["number"] = [_("A household number has at most 32 characters.")]
    if not household.dwelling_id:
        errors["dwelling"] = [_("Choose the dwelling the household lives in.")]
    if errors:
        raise ValidationError(errors)
    community_path = community_path_of(household.dwelling.area_path)
    household.community = Area.objects.get(kind=AreaKind.COMMUNITY, path=community_path)


def _household_save(
    household: Household, *, actor: User | None, action: str, verb: str, before: dict | None
) -> Household:
    household_validate(household)
    check_actor_may(actor, action, household.dwelling.area_path)
    clash = Household.objects.filter(community=household.community, number__iexact=household.number).exclude(
        pk=household.pk
    )
    if clash.exists():
        raise ValidationError({"number": _("This household number is already used in the community.")})
    household.save()
    ensure_in_scope(household, actor=actor, action=action)
    audit.record(
        actor=actor, action=f"household.{verb}", instance=household, before=before, after=audit.snapshot(household)
    )
    return household


@transaction.atomic
def household_create(*, actor: User | None, dwelling: Dwelling, number: str, note: str = "") -> Household:
    """A new household in a dwelling; its members join it through resident_create or resident_update."""
    household = Household(dwelling=dwelling, number=number, note=note)
    return _household_save(household, actor=actor, action=Action.ADD, verb="create", before=None)


@transaction.atomic
def household_update(*, actor: User | None, household: Household, **fields: Any) -> Household:
    """Change a household's number, note or dwelling; its living members move with it."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    check_actor_may(actor, Action.CHANGE, household.area_path)
    before = audit.snapshot(household)
    for name, value in fields.items():
        if name not in ("number", "note", "dwelling"):
            raise ValidationError(_("Unknown field: %(name)s") % {"name": name})
        setattr(household, name, value)
    household = _household_save(household, actor=actor, action=Action.CHANGE, verb="update", before=before)
    for member in household.members.filter(status=ResidentStatus.LIVING).exclude(dwelling=household.dwelling):
        resident_update(actor=actor, resident=member, dwelling=household.dwelling)
    return household


# Residence registration of floating residents


@transaction.atomic
def registration_create(
    *,
    actor: User | None,
    resident: Resident,
    registered_on: datetime.date,
    permit_number: str = "",
    expires_on: datetime.date | None = None,
) -> ResidenceRegistration:
    """Record a residence registration (居住登记), and the residence permit when one was issued."""
    check_actor_may(actor, Action.CHANGE, resident.area_path)
    errors: dict[str, list[str]] = {}
    resident = Resident.objects.select_for_update().get(pk=resident.pk)  # its status now, not when it was read
    if resident.status != ResidentStatus.LIVING:
        raise ValidationError(_("This resident has moved out or died; the archived record cannot be changed."))
    if resident.residence == Residence.REGISTERED:
        errors["resident"] = [_("A resident registered here needs no residence registration.")]
    for field, value in (("registered_on", registered_on), ("expires_on", expires_on)):
        if value is not None:
            try:
                validate_calendar_date(value)
            except ValidationError as error:
                errors[field] = error.messages
    if registered_on and registered_on > timezone.localdate():
        errors.setdefault("registered_on", []).append(_("This date lies in the future."))
    if expires_on and registered_on and expires_on <= registered_on:
        errors.setdefault("expires_on", []).append(_("The permit must expire after the registration date."))
    permit_number = normalize_id_number(permit_number)
    if permit_number and (len(permit_number) > 30 or not permit_number.isalnum()):
        errors["permit_number"] = [_("A permit number has at most 30 letters and digits.")]
    if errors:
        raise ValidationError(errors)
    registration = ResidenceRegistration(
        resident=resident, registered_on=registered_on, permit_number=permit_number, expires_on=expires_on
    )
    registration.save()
    ensure_in_scope(registration, actor=actor, action=Action.CHANGE)
    audit.record(actor=actor, action="registration.create", instance=registration, after=audit.snapshot(registration))
    return registration
