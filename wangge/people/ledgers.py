"""The ledgers of the people register: residents (居民台账) and households (家庭户台账), see core.ledgers.

A resident's row names its dwelling by building code, unit and room number, and its household by number;
a household number seen for the first time creates the household. Residents are matched by their document
number (through the blind index) or, in a file exported from wangge, by the system number, so an export
imports back unchanged even when its personal columns are masked. Residents are written in bulk (one import
may hold 100,000 of them), each checked by the same `resident_validate` as the form, and each audited.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import Action
from wangge.core import audit, ledgers
from wangge.core.ledgers import MASKED, Column, Counts, ImportContext, Ledger, RowInvalid, cell_date, enum_choices
from wangge.core.pii import blind_index, mask_id_number, mask_phone, mask_text
from wangge.people import services
from wangge.people import tags as care_tags
from wangge.people.models import (
    Household,
    IdType,
    Relation,
    Residence,
    ResidenceRegistration,
    Resident,
    ResidentStatus,
    Sex,
)
from wangge.territory.models import Dwelling

# Where a service's field error is shown: the resident's field → the ledger's column.
_FIELD_COLUMNS = {"dwelling": "room", "household": "household", "on": "moved_in_on"}
# The fields an import compares to decide between "updated" and "unchanged".
_COMPARED = (
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "phone",
    "residence",
    "registered_address",
    "dwelling_id",
    "household_id",
    "relation",
    "tags",
    "sensitive_tags",
    "moved_in_on",
)


def _in_scope(ctx: ImportContext, path: str) -> bool:
    """The row lies in the import's area and the actor may add and change records there."""
    if not path.startswith(ctx.scope.path):
        return False
    if ctx.actor is None:
        return True
    if "rights" not in ctx.memo:  # asked for every row: the actor's prefixes are read once per pass
        ctx.memo["rights"] = [ctx.actor.area_prefixes(action) for action in (Action.ADD, Action.CHANGE)]
    return all(prefixes is None or any(path.startswith(p) for p in prefixes) for prefixes in ctx.memo["rights"])


def _dwellings(ctx: ImportContext) -> dict[tuple[str, str, str], tuple[int, str]]:
    """(building code, unit, room) → (dwelling id, area path) for the import's area, loaded once."""
    if "dwellings" not in ctx.memo:
        rows = Dwelling.objects.filter(area_path__startswith=ctx.scope.path).values_list(
            "id", "building__code", "unit", "number", "area_path"
        )
        ctx.memo["dwellings"] = {
            (code.upper(), unit.upper(), number.upper()): (pk, path) for pk, code, unit, number, path in rows
        }
    return ctx.memo["dwellings"]


def _households(ctx: ImportContext) -> dict[str, tuple[int | None, int]]:
    """Household number → (household id or None while it is new in this import, dwelling id)."""
    if "households" not in ctx.memo:
        rows = Household.objects.filter(community__path=ctx.scope.path).values_list("number", "id", "dwelling_id")
        ctx.memo["households"] = {number.upper(): (pk, dwelling) for number, pk, dwelling in rows}
    return ctx.memo["households"]


def _dwelling_of(values: dict[str, Any], ctx: ImportContext) -> tuple[int, str]:
    key = (values["building"].upper(), (values.get("unit") or "").upper(), values["room"].upper())
    found = _dwellings(ctx).get(key)
    if found is None:
        place = "-".join(part for part in (values["building"], values.get("unit"), values["room"]) if part)
        raise RowInvalid([("room", _("No dwelling %(place)s in this community.") % {"place": place})])
    if not _in_scope(ctx, found[1]):
        raise RowInvalid([("building", _("This dwelling lies outside the areas you may import into."))])
    return found


@dataclass
class ResidentRow:
    """A checked row: the resident as it will be saved, and what the import must do with it."""

    number: int
    resident: Resident
    existing: Resident | None
    household_number: str
    registration: tuple[datetime.date, str, datetime.date | None] | None
    changed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class ResidentLedger(Ledger):
    name = "residents"
    title = gettext_lazy("Residents")
    model = Resident
    columns = (
        Column(
            "system_id",
            gettext_lazy("System number"),
            kind="int",
            width=10,
            help=gettext_lazy("Leave empty for new residents; exports fill it in so that they import back."),
        ),
        Column("name", gettext_lazy("Name"), required=True, example="王小明", width=10, max_length=50),
        Column(
            "sex",
            gettext_lazy("Sex"),
            kind="choice",
            choices=enum_choices(Sex),
            example="男",
            width=6,
            help=gettext_lazy("May be left empty for ID cards: it is read from the number."),
        ),
        Column(
            "birth_date",
            gettext_lazy("Birth date"),
            kind="date",
            pii=True,  # with the masked ID number it would give the whole number back
            example="1980-05-01",
            width=12,
            help=gettext_lazy("2014-06-01, 2014/6/1 or 2014年6月1日; may be left empty for ID cards."),
        ),
        Column("id_type", gettext_lazy("Document type"), kind="choice", choices=enum_choices(IdType), width=14),
        Column(
            "id_number",
            gettext_lazy("Document number"),
            required=True,
            kind="code",
            pii=True,
            example="110101198005010012",
            width=22,
            max_length=40,
            help=gettext_lazy("Format the column as text, or Excel shortens 18-digit numbers."),
        ),
        Column("phone", gettext_lazy("Phone"), kind="code", pii=True, example="17000001234", width=14, max_length=30),
        Column(
            "residence",
            gettext_lazy("Residence type"),
            required=True,
            kind="choice",
            choices=enum_choices(Residence),
            example=Residence.REGISTERED.label,
            width=16,
        ),
        Column("registered_address", gettext_lazy("Place of household registration"), width=20),
        Column("building", gettext_lazy("Building code"), required=True, kind="code", example="JXJ-C01-B01", width=14),
        Column("unit", gettext_lazy("Unit"), kind="code", example="1", width=6, max_length=10),
        Column("room", gettext_lazy("Room number"), required=True, kind="code", example="101", width=8, max_length=20),
        Column("household", gettext_lazy("Household number"), kind="code", example="H0001", width=12, max_length=32),
        Column(
            "relation",
            gettext_lazy("Relation to the head"),
            kind="choice",
            choices=enum_choices(Relation),
            example=Relation.HEAD.label,
            width=12,
        ),
        Column(
            "tags",
            gettext_lazy("Care tags"),
            kind="tags",
            choices=lambda: care_tags.choices(sensitive=False),
            width=16,
            help=gettext_lazy("Several tags separated by 、 or commas."),
        ),
        Column(
            "sensitive_tags",
            gettext_lazy("Sensitive care tags"),
            kind="tags",
            pii=True,
            choices=lambda: care_tags.choices(sensitive=True),
            width=16,
            help=gettext_lazy("Sensitive personal information: stored encrypted, shown masked."),
        ),
        Column("moved_in_on", gettext_lazy("Moved in on"), kind="date", example="2010-03-01", width=12),
        Column("registered_on", gettext_lazy("Residence registered on"), kind="date", width=12),
        Column(
            "permit_number", gettext_lazy("Residence permit number"), kind="code", pii=True, width=20, max_length=30
        ),
        Column("permit_expires_on", gettext_lazy("Permit expires on"), kind="date", width=12),
        Column("grid", gettext_lazy("Grid"), imported=False, width=12),
        Column("compound", gettext_lazy("Compound"), imported=False, width=14),
        Column("status", gettext_lazy("Status"), imported=False, width=8),
    )

    def key_label(self) -> str:
        return str(_("document number"))

    def prepare(self, ctx: ImportContext) -> None:
        ctx.memo.clear()
        heads = Resident.objects.filter(
            household__community__path=ctx.scope.path, relation=Relation.HEAD, status=ResidentStatus.LIVING
        ).values_list("household__number", "id")
        ctx.memo["heads"] = {number.upper(): pk for number, pk in heads}

    def _existing(self, rows: list[tuple[int, dict[str, Any]]]) -> tuple[dict[str, Resident], dict[int, Resident]]:
        """The residents a batch refers to, by blind index and by system number, in one query."""
        indexes = [blind_index(v["id_number"]) for _n, v in rows if v.get("id_number") not in (None, "", MASKED)]
        system_ids = [v["system_id"] for _n, v in rows if v.get("system_id")]
        found = Resident.objects.filter(id_number_index__in=indexes) | Resident.objects.filter(pk__in=system_ids)
        found = found.select_related("household").prefetch_related(
            Prefetch("registrations", ResidenceRegistration.objects.order_by("-id"))
        )
        by_index, by_pk = {}, {}
        for resident in found:
            by_index[resident.id_number_index] = resident
            by_pk[resident.pk] = resident
        return by_index, by_pk

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        by_index, by_pk = self._existing(rows)
        outcomes = []
        for number, values in rows:
            try:
                outcomes.append((number, self._clean(number, values, ctx, by_index, by_pk)))
            except RowInvalid as invalid:
                outcomes.append((number, invalid))
        return outcomes

    def _clean(
        self,
        number: int,
        values: dict[str, Any],
        ctx: ImportContext,
        by_index: dict[str, Resident],
        by_pk: dict[int, Resident],
    ) -> ResidentRow:
        existing = None
        if values.get("system_id"):
            existing = by_pk.get(values["system_id"])
            if existing is None or not existing.area_path.startswith(ctx.scope.path):
                raise RowInvalid([("system_id", _("No resident with this system number in this community."))])
        if values.get("id_number") not in (None, "", MASKED):
            match = by_index.get(blind_index(values["id_number"]))
            if existing is not None and match is not None and match.pk != existing.pk:
                raise RowInvalid([("id_number", _("This document number belongs to another resident."))])
            existing = existing or match
        if existing is not None and not _in_scope(ctx, existing.area_path):
            raise RowInvalid([("id_number", _("This document number can't be registered here."))])
        self._claim(number, values, existing, ctx)
        dwelling_id, path = _dwelling_of(values, ctx)
        resident = Resident() if existing is None else _copy(existing)
        for key in ("name", "sex", "birth_date", "id_type", "id_number", "phone", "residence", "registered_address"):
            if key not in values:
                continue
            value = values[key]
            if value is MASKED:
                if existing is None:
                    raise RowInvalid([(key, _("A masked value can only stand for a resident already registered."))])
                continue
            setattr(resident, key, value if value is not None else ("" if key != "birth_date" else None))
        if not resident.id_type:
            resident.id_type = IdType.ID_CARD
        for key in ("tags", "sensitive_tags"):
            if key not in values:
                continue
            if values[key] is MASKED:
                if existing is None:
                    raise RowInvalid([(key, _("A masked value can only stand for a resident already registered."))])
                continue
            setattr(resident, key, care_tags.pack(values[key] or []))
        if "moved_in_on" in values:
            resident.moved_in_on = values["moved_in_on"]
        # A file without the household columns leaves households as they are.
        if "relation" in values:
            resident.relation = values["relation"] or ""
        resident.dwelling_id = dwelling_id
        resident.area_path = path
        household_number = ""
        if "household" in values:
            household_number = (values["household"] or "").upper()
            resident.household = None
        elif existing is not None and existing.household_id:
            household_number = existing.household.number.upper()
        if household_number:
            if not resident.relation:
                raise RowInvalid([("relation", _("Say how the resident is related to the head of household."))])
            self._check_household(number, household_number, dwelling_id, resident, existing, ctx)
        if existing is not None and existing.status != ResidentStatus.LIVING and _differs(existing, resident):
            raise RowInvalid([("", _("This resident has moved out or died; the archived record is read-only."))])
        try:
            services.resident_validate(resident, today=ctx.today)
        except ValidationError as error:
            raise RowInvalid(
                [(_FIELD_COLUMNS.get(f, f), m) for f, messages in error.message_dict.items() for m in messages]
            ) from None
        registration = self._registration(values, resident, existing)
        if registration is not None and existing is not None and existing.status != ResidentStatus.LIVING:
            raise RowInvalid([("", _("This resident has moved out or died; the archived record is read-only."))])
        row = ResidentRow(
            number=number,
            resident=resident,
            existing=existing,
            household_number=household_number,
            registration=registration,
        )
        row.changed = existing is None or _differs(existing, resident)
        return row

    def _check_household(
        self,
        number: int,
        household_number: str,
        dwelling_id: int,
        resident: Resident,
        existing: Resident | None,
        ctx: ImportContext,
    ) -> None:
        """The household lives in the row's dwelling, and has one head (in the register and in the file)."""
        households = _households(ctx)
        known = households.get(household_number)
        if known is None:
            households[household_number] = (None, dwelling_id)
        elif known[1] != dwelling_id:
            raise RowInvalid([("household", _("This household is registered in another dwelling."))])
        pk = households[household_number][0]
        # resident_validate compares the household's dwelling with the resident's: give it one to compare.
        resident.household = Household(pk=pk, number=household_number, dwelling_id=dwelling_id)
        resident.household_id = pk
        if resident.relation == Relation.HEAD:
            heads: dict[str, Any] = ctx.memo["heads"]
            holder = heads.get(household_number)
            me = existing.pk if existing is not None else f"row{number}"
            if holder is not None and holder != me:
                raise RowInvalid([("relation", _("This household already has a head."))])
            heads[household_number] = me

    def _registration(
        self, values: dict[str, Any], resident: Resident, existing: Resident | None
    ) -> tuple[datetime.date, str, datetime.date | None] | None:
        registered_on = values.get("registered_on")
        permit = values.get("permit_number")
        expires_on = values.get("permit_expires_on")
        latest = existing.registrations.all()[0] if existing is not None and existing.registrations.all() else None
        if permit is MASKED:
            permit = latest.permit_number if latest else ""
        if not (registered_on or permit or expires_on):
            return None
        problems = []
        if registered_on is None:
            problems.append(("registered_on", _("Give the date of the residence registration.")))
        if resident.residence == Residence.REGISTERED:
            problems.append(("residence", _("A resident registered here needs no residence registration.")))
        if registered_on and expires_on and expires_on <= registered_on:
            problems.append(("permit_expires_on", _("The permit must expire after the registration date.")))
        if permit and (len(permit) > 30 or not permit.isalnum()):
            problems.append(("permit_number", _("A permit number has at most 30 letters and digits.")))
        if problems:
            raise RowInvalid(problems)
        wanted = (registered_on, (permit or "").upper(), expires_on)
        if latest is not None and (latest.registered_on, latest.permit_number, latest.expires_on) == wanted:
            return None
        return wanted

    def _claim(self, number: int, values: dict[str, Any], existing: Resident | None, ctx: ImportContext) -> None:
        """One person, one row: a row may not name a resident, or a document number, another row names."""
        claims: dict[Any, int] = ctx.memo.setdefault("claims", {})
        keys = []
        if existing is not None:
            keys.append(("resident", existing.pk))
        if values.get("id_number") not in (None, "", MASKED):
            keys.append(("id", blind_index(values["id_number"])))
        for key in keys:
            if key in claims and claims[key] != number:
                raise RowInvalid(
                    [("", _("The same person as row %(row)d: each person may appear once.") % {"row": claims[key]})]
                )
        for key in keys:
            claims[key] = number

    def natural_key(self, clean: ResidentRow) -> None:
        return None  # duplicates are found while checking (_claim), by resident and by document number

    def apply_batch(self, cleans: list[ResidentRow], ctx: ImportContext) -> Counts:
        counts = Counts()
        households = _households(ctx)
        self._create_households(cleans, ctx, households)
        created, updated = [], []
        for row in cleans:
            if row.household_number:
                # The row held a stand-in household for the checks; the saved one may be new in this batch.
                Resident._meta.get_field("household").delete_cached_value(row.resident)
                row.resident.household_id = households[row.household_number][0]
            if row.existing is None:
                created.append(row)
                counts.created += 1
            elif _differs(row.existing, row.resident):
                updated.append(row)
                counts.updated += 1
            elif row.registration is not None:
                counts.updated += 1  # a new residence registration of an otherwise unchanged resident
            else:
                counts.unchanged += 1
        if created:
            Resident.objects.bulk_create([row.resident for row in created], batch_size=500)
            audit.record_many(
                actor=ctx.actor,
                action="resident.import",
                items=[(row.resident, None, audit.snapshot(row.resident)) for row in created],
            )
        if updated:
            now = timezone.now()
            for row in updated:
                row.resident.updated_at = now
                # bulk_update skips pre_save: the blind indexes are brought in step by hand.
                for index_field in _INDEXES:
                    Resident._meta.get_field(index_field).pre_save(row.resident, False)
            Resident.objects.bulk_update([row.resident for row in updated], _UPDATED_FIELDS, batch_size=500)
            audit.record_many(
                actor=ctx.actor,
                action="resident.import_update",
                items=[(row.resident, audit.snapshot(row.existing), audit.snapshot(row.resident)) for row in updated],
            )
        registrations = [
            ResidenceRegistration(
                resident_id=row.resident.pk,
                registered_on=row.registration[0],
                permit_number=row.registration[1],
                expires_on=row.registration[2],
                area_path=row.resident.area_path,
            )
            for row in cleans
            if row.registration is not None
        ]
        if registrations:
            ResidenceRegistration.objects.bulk_create(registrations, batch_size=500)
            audit.record_many(
                actor=ctx.actor,
                action="registration.import",
                items=[(registration, None, audit.snapshot(registration)) for registration in registrations],
            )
        return counts

    def _create_households(
        self, cleans: list[ResidentRow], ctx: ImportContext, households: dict[str, tuple[int | None, int]]
    ) -> None:
        """The households first named in this batch, created in bulk before their members."""
        paths = {row.resident.dwelling_id: row.resident.area_path for row in cleans}
        new = []
        for row in cleans:
            number = row.household_number
            if number and households[number][0] is None and number not in {h.number for h in new}:
                dwelling_id = households[number][1]
                new.append(
                    Household(community=ctx.scope, number=number, dwelling_id=dwelling_id, area_path=paths[dwelling_id])
                )
        if not new:
            return
        Household.objects.bulk_create(new, batch_size=500)
        for household in new:
            households[household.number] = (household.pk, household.dwelling_id)
        audit.record_many(
            actor=ctx.actor,
            action="household.import",
            items=[(household, None, audit.snapshot(household)) for household in new],
        )

    def export_queryset(self, queryset):
        return queryset.select_related(
            "dwelling__building__compound", "dwelling__building__area", "household"
        ).prefetch_related(Prefetch("registrations", ResidenceRegistration.objects.order_by("-id")))

    def export_row(self, instance: Resident, *, reveal: bool) -> list[Any]:
        dwelling = instance.dwelling
        building = dwelling.building
        registrations = list(instance.registrations.all())
        latest = registrations[0] if registrations else None
        plain = care_tags.labels(instance.tags)
        sensitive = care_tags.labels(instance.sensitive_tags)
        permit = latest.permit_number if latest else ""
        return [
            instance.pk,
            instance.name,
            instance.get_sex_display(),
            cell_date(instance.birth_date) if reveal else mask_text(cell_date(instance.birth_date)),
            instance.get_id_type_display(),
            instance.id_number if reveal else mask_id_number(instance.id_number),
            instance.phone if reveal else mask_phone(instance.phone),
            instance.get_residence_display(),
            instance.registered_address,
            building.code,
            dwelling.unit,
            dwelling.number,
            instance.household.number if instance.household else "",
            instance.get_relation_display() if instance.relation else "",
            "、".join(plain),
            "、".join(sensitive) if reveal else mask_text("、".join(sensitive)),
            cell_date(instance.moved_in_on),
            cell_date(latest.registered_on) if latest else "",
            permit if reveal else mask_id_number(permit),
            cell_date(latest.expires_on) if latest else "",
            building.area.name,
            building.compound.name if building.compound else "",
            instance.get_status_display(),
        ]


_INDEXES = ("id_number_index", "phone_index", "sensitive_tags_index")
_UPDATED_FIELDS = [name.removesuffix("_id") for name in _COMPARED] + ["area_path", *_INDEXES, "updated_at"]


def _copy(resident: Resident) -> Resident:
    """An unsaved-looking copy to change, so the original stays as the 'before' of the audit."""
    copy = Resident()
    for model_field in Resident._meta.concrete_fields:
        setattr(copy, model_field.attname, getattr(resident, model_field.attname))
    if resident.household_id:
        copy.household = resident.household  # already loaded: checking it costs no query
    return copy


def _differs(old: Resident, new: Resident) -> bool:
    return any(getattr(old, name) != getattr(new, name) for name in _COMPARED)


@dataclass
class HouseholdRow:
    number: int
    household: Household
    existing: Household | None
    changed: bool


class HouseholdLedger(Ledger):
    name = "households"
    title = gettext_lazy("Households")
    model = Household
    columns = (
        Column("number", gettext_lazy("Household number"), required=True, kind="code", example="H0001", width=12),
        Column("building", gettext_lazy("Building code"), required=True, kind="code", example="JXJ-C01-B01", width=14),
        Column("unit", gettext_lazy("Unit"), kind="code", example="1", width=6, max_length=10),
        Column("room", gettext_lazy("Room number"), required=True, kind="code", example="101", width=8, max_length=20),
        Column("note", gettext_lazy("Note"), width=20),
        Column("head", gettext_lazy("Head of household"), imported=False, width=10),
        Column("members", gettext_lazy("Number of members"), imported=False, width=6),
        Column("grid", gettext_lazy("Grid"), imported=False, width=12),
        Column("compound", gettext_lazy("Compound"), imported=False, width=14),
    )

    def prepare(self, ctx: ImportContext) -> None:
        ctx.memo.clear()

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        if "by_number" not in ctx.memo:
            # Household numbers match whatever their case (h-1 and H-1 are one household), loaded once.
            ctx.memo["by_number"] = {
                h.number.upper(): h for h in Household.objects.filter(community__path=ctx.scope.path)
            }
        existing = ctx.memo["by_number"]
        outcomes: list[tuple[int, Any]] = []
        for number, values in rows:
            try:
                dwelling_id, path = _dwelling_of(values, ctx)
                found = existing.get(values["number"].upper())
                if found is not None and not _in_scope(ctx, found.area_path):
                    raise RowInvalid([("number", _("This household lies outside the areas you may import into."))])
                note = values.get("note") or ""
                household = Household(number=values["number"].upper(), dwelling_id=dwelling_id, note=note)
                household.area_path = path
                changed = found is None or found.dwelling_id != dwelling_id or found.note != note
                outcomes.append((number, HouseholdRow(number, household, found, changed)))
            except RowInvalid as invalid:
                outcomes.append((number, invalid))
        return outcomes

    def natural_key(self, clean: HouseholdRow) -> str:
        return clean.household.number

    def key_label(self) -> str:
        return str(_("household number"))

    def apply_batch(self, cleans: list[HouseholdRow], ctx: ImportContext) -> Counts:
        counts = Counts()
        dwellings = Dwelling.objects.in_bulk([row.household.dwelling_id for row in cleans])
        for row in cleans:
            dwelling = dwellings[row.household.dwelling_id]
            if row.existing is None:
                services.household_create(
                    actor=ctx.actor, dwelling=dwelling, number=row.household.number, note=row.household.note
                )
                counts.created += 1
            elif row.changed:
                services.household_update(
                    actor=ctx.actor, household=row.existing, dwelling=dwelling, note=row.household.note
                )
                counts.updated += 1
            else:
                counts.unchanged += 1
        return counts

    def export_queryset(self, queryset):
        return queryset.select_related("dwelling__building__compound", "dwelling__building__area").prefetch_related(
            Prefetch("members", Resident.objects.filter(status=ResidentStatus.LIVING).order_by("id"))
        )

    def export_row(self, instance: Household, *, reveal: bool) -> list[Any]:
        building = instance.dwelling.building
        members = list(instance.members.all())
        head = next((m for m in members if m.relation == Relation.HEAD), None)
        return [
            instance.number,
            building.code,
            instance.dwelling.unit,
            instance.dwelling.number,
            instance.note,
            head.name if head else "",
            len(members),
            building.area.name,
            building.compound.name if building.compound else "",
        ]


RESIDENTS = ledgers.register(ResidentLedger())
HOUSEHOLDS = ledgers.register(HouseholdLedger())
