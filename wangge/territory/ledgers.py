"""The ledgers (台账) of the territory: compounds, buildings, street shops and partner units (see core.ledgers).

Every row must lie in the import's community; every write goes through the territory services (validation,
scope re-check and an audit event per row). A row equal to what is stored is left alone, so importing an
exported file changes nothing. Contacts are personal data: exported masked unless revealed, and a masked
value in an import keeps what is stored.
"""

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import Action
from wangge.core import ledgers
from wangge.core.ledgers import (
    Column,
    Counts,
    ImportContext,
    Ledger,
    LedgerFileError,
    RowInvalid,
    enum_choices,
    enum_label,
)
from wangge.core.pii import masked
from wangge.core.validators import validate_phone
from wangge.territory import selectors, services
from wangge.territory.models import (
    Area,
    AreaKind,
    Building,
    BuildingKind,
    Compound,
    Management,
    PartnerKind,
    PartnerUnit,
    Shop,
    ShopStatus,
    Trade,
)

# A masked value (甄**, 138****1234) in an import means "keep the stored value".
MASK_CHARACTER = "*"


def _trades() -> list[tuple[str, str]]:
    return list(Trade.objects.values_list("code", "name"))


CODE = Column("code", gettext_lazy("Number"), required=True, kind="code", max_length=32, example="JXJ-C01")
LONGITUDE = Column(
    "longitude", gettext_lazy("Longitude"), kind="decimal", example=113.657, help=gettext_lazy("WGS-84 (GPS)")
)
LATITUDE = Column(
    "latitude", gettext_lazy("Latitude"), kind="decimal", example=34.788, help=gettext_lazy("WGS-84 (GPS)")
)
GRID_HELP = gettext_lazy("The 15-digit code of a grid of the community you import into.")


class PlaceLedger(Ledger):
    """What the place ledgers share: scope and permission checks, the comparison, the writes through services."""

    # Column key → model field written by the service (the other columns are resolved by `resolve`).
    plain: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()
    create: Callable[..., Any]
    update: Callable[..., Any]
    update_arg: str = ""

    # Checks

    def prepare(self, ctx: ImportContext) -> None:
        scope: Area = ctx.scope
        ctx.memo["areas"] = {
            area.code: area for area in Area.objects.filter(path__startswith=scope.path, kind=AreaKind.GRID)
        }
        actor = ctx.actor
        ctx.memo["add"] = None if actor is None else actor.area_prefixes(Action.ADD)
        ctx.memo["change"] = None if actor is None else actor.area_prefixes(Action.CHANGE)
        ctx.memo["codes"] = {}

    def existing(self, rows: list[dict[str, Any]], ctx: ImportContext) -> dict[Any, models.Model]:
        """The stored records the batch's rows name, by code."""
        codes = [row["code"] for row in rows if row.get("code")]
        found = self.export_queryset(self.model.objects.filter(code__in=codes))
        return {place.code: place for place in found}

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        stored = self.existing([values for _number, values in rows], ctx)
        outcomes: list[tuple[int, Any]] = []
        for number, values in rows:
            try:
                outcomes.append((number, self.clean_row(number, values, stored, ctx)))
            except RowInvalid as invalid:
                outcomes.append((number, invalid))
        return outcomes

    def find(self, values: dict[str, Any], stored: dict[Any, models.Model]) -> models.Model | None:
        return stored.get(values["code"])

    def clean_row(
        self, number: int, values: dict[str, Any], stored: dict[Any, models.Model], ctx: ImportContext
    ) -> dict[str, Any]:
        """The row as service fields with the record it updates (or None), or RowInvalid with every problem."""
        problems: list[tuple[str, str]] = []
        instance = self.find(values, stored)
        fields: dict[str, Any] = {key: values[key] for key in self.plain if key in values}
        self.keep_or_take_pii(values, instance, fields, problems)
        try:
            self.resolve(values, instance, fields, ctx)
        except RowInvalid as invalid:
            problems.extend(invalid.problems)
        if not problems:
            problems.extend(self.validate(instance, fields, ctx))
        if problems:
            raise RowInvalid(problems)
        return {"row": number, "key": self.natural_key_of(values), "instance": instance, "fields": fields}

    def natural_key_of(self, values: dict[str, Any]) -> Any:
        return values["code"]

    def natural_key(self, clean: dict[str, Any]) -> Any:
        return clean["key"]

    def keep_or_take_pii(
        self,
        values: dict[str, Any],
        instance: models.Model | None,
        fields: dict[str, Any],
        problems: list[tuple[str, str]],
    ) -> None:
        """Personal data columns: a masked value keeps the stored one; a new record needs it in full."""
        for key in self.pii:
            if key not in values:
                continue
            value = values[key]
            if value is ledgers.MASKED or MASK_CHARACTER in value:
                if instance is None:
                    problems.append((key, _("A masked value can only keep what is stored; type it in full.")))
                continue
            if key.endswith("phone") and value:
                try:
                    value = validate_phone(value)
                except ValidationError as error:
                    problems.append((key, " ".join(error.messages)))
                    continue
            fields[key] = value

    def resolve(
        self, values: dict[str, Any], instance: models.Model | None, fields: dict[str, Any], ctx: ImportContext
    ) -> None:
        """Turn the row's codes (grid, trade, compound) into records of the import's community."""

    def grid(self, values: dict[str, Any], key: str, ctx: ImportContext) -> Area | None:
        """The grid a code names, which must be one of the community's."""
        code = values.get(key) or ""
        if not code:
            return None
        grid = ctx.memo["areas"].get(code)
        if grid is None:
            raise RowInvalid(
                [(key, _("%(code)s is not a grid of %(community)s.") % {"code": code, "community": ctx.scope.name})]
            )
        return grid

    def validate(self, instance: models.Model | None, fields: dict[str, Any], ctx: ImportContext) -> list:
        """What the service would refuse, found before anything is written: field rules, scope, rights, point."""
        problems: list[tuple[str, str]] = []
        scope: Area = ctx.scope
        if instance is not None and not instance.area_path.startswith(scope.path):
            return [("code", _("This number is already used by a record outside %(c)s.") % {"c": scope.name})]
        # A copy: the stored record stays as it is until the service writes it.
        candidate = self.model() if instance is None else copy.copy(instance)
        for name, value in fields.items():
            setattr(candidate, name, value)
        # Only the fields the row sets, and no relations (their checks would query; they were resolved above).
        unchecked = [f.name for f in self.model._meta.concrete_fields if f.name not in fields or f.is_relation]
        try:
            candidate.clean_fields(exclude=unchecked)
        except ValidationError as error:
            columns = {column.key for column in self.columns}
            for name, messages in error.message_dict.items():
                problems.extend((name if name in columns else "", message) for message in messages)
        if problems:
            return problems
        area = fields.get("area") or (instance.area if instance is not None else None)
        if area is None:
            return problems
        path = self.path_of(candidate, area)
        if not path.startswith(scope.path):
            return [("", _("This record would lie outside %(c)s.") % {"c": scope.name})]
        if not self.may(ctx, Action.ADD if instance is None else Action.CHANGE, path) or (
            instance is not None and not self.may(ctx, Action.CHANGE, instance.area_path)
        ):
            return [("", _("You are not responsible for %(area)s.") % {"area": area.name})]
        if area.kind == AreaKind.GRID and hasattr(candidate, "longitude"):
            try:
                services._check_point(candidate, area)
            except ValidationError as error:
                problems.append(("longitude", " ".join(error.messages)))
        return problems

    def path_of(self, candidate: models.Model, area: Area) -> str:
        return area.path

    @staticmethod
    def may(ctx: ImportContext, action: str, path: str) -> bool:
        prefixes = ctx.memo[action]
        return prefixes is None or any(path.startswith(prefix) for prefix in prefixes)

    # Writes

    @staticmethod
    def changed(instance: models.Model, fields: dict[str, Any]) -> dict[str, Any]:
        """The fields whose value differs from the stored one."""
        changes = {}
        for name, value in fields.items():
            if isinstance(value, models.Model) or (value is None and hasattr(instance, f"{name}_id")):
                if getattr(instance, f"{name}_id") != (value.pk if value is not None else None):
                    changes[name] = value
            elif (getattr(instance, name) or None) != (value or None):
                # Blank and NULL are the same to a ledger: an empty cell.
                changes[name] = value
        return changes

    def apply_batch(self, cleans: list[dict[str, Any]], ctx: ImportContext) -> Counts:
        counts = Counts()
        for clean in cleans:
            instance = clean["instance"]
            try:
                if instance is None:
                    self.create(actor=ctx.actor, **clean["fields"])
                    counts.created += 1
                    continue
                changes = self.changed(instance, clean["fields"])
                if not changes:
                    counts.unchanged += 1
                    continue
                self.update(actor=ctx.actor, **{self.update_arg: instance}, **changes)
                counts.updated += 1
            except (ValidationError, PermissionDenied) as error:
                # The checks should have caught it; the transaction is rolled back and the file refused.
                message = " ".join(getattr(error, "messages", None) or [str(error)])
                raise LedgerFileError(
                    _("Row %(row)d could not be written: %(message)s Nothing was imported.")
                    % {"row": clean["row"], "message": message}
                ) from None
        return counts

    # Exports

    def pii_cell(self, instance: models.Model, field: str, *, reveal: bool) -> str:
        return getattr(instance, field) if reveal else masked(instance, field)


class CompoundLedger(PlaceLedger):
    name = "compounds"
    title = gettext_lazy("Compounds")
    model = Compound
    create = staticmethod(services.compound_create)
    update = staticmethod(services.compound_update)
    update_arg = "compound"
    plain = ("code", "name", "address", "management", "management_name", "longitude", "latitude")
    columns = (
        CODE,
        Column("name", gettext_lazy("Place name"), required=True, max_length=100, example="俭学街1号院", width=20),
        Column(
            "area",
            gettext_lazy("Grid code"),
            required=True,
            kind="code",
            example="410105008004001",
            width=18,
            help=GRID_HELP,
        ),
        Column("address", gettext_lazy("Address"), example="俭学街1号", width=24),
        Column(
            "management",
            gettext_lazy("Management"),
            required=True,
            kind="choice",
            choices=enum_choices(Management),
            example=str(Management.NONE.label),
            width=18,
        ),
        Column("management_name", gettext_lazy("Managing body"), max_length=100, width=20),
        LONGITUDE,
        LATITUDE,
    )

    def resolve(self, values, instance, fields, ctx) -> None:
        if "area" in values:
            fields["area"] = self.grid(values, "area", ctx)

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.select_related("area")

    def export_row(self, instance: Compound, *, reveal: bool) -> list[Any]:
        return [
            instance.code,
            instance.name,
            instance.area.code,
            instance.address,
            enum_label(Management, instance.management),
            instance.management_name,
            instance.longitude,
            instance.latitude,
        ]


class BuildingLedger(PlaceLedger):
    name = "buildings"
    title = gettext_lazy("Buildings")
    model = Building
    create = staticmethod(services.building_create)
    update = staticmethod(services.building_update)
    update_arg = "building"
    plain = ("code", "name", "address", "floors", "longitude", "latitude")
    columns = (
        Column("code", gettext_lazy("Number"), required=True, kind="code", max_length=32, example="JXJ-C01-B1"),
        Column("name", gettext_lazy("Place name"), required=True, max_length=100, example="1号楼", width=20),
        Column(
            "kind",
            gettext_lazy("Kind"),
            kind="choice",
            choices=enum_choices(BuildingKind),
            example=str(BuildingKind.RESIDENTIAL.label),
        ),
        Column(
            "compound",
            gettext_lazy("Compound number"),
            kind="code",
            max_length=32,
            example="JXJ-C01",
            help=gettext_lazy("Residential buildings: the compound they stand in (its grid is used)."),
        ),
        Column(
            "area",
            gettext_lazy("Grid code"),
            kind="code",
            width=18,
            help=gettext_lazy("Office buildings (no compound): the grid they stand in."),
        ),
        Column("address", gettext_lazy("Address"), width=24),
        Column("floors", gettext_lazy("Floors"), kind="int", example=6, width=8),
        LONGITUDE,
        LATITUDE,
    )

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        compounds = Compound.objects.filter(area_path__startswith=ctx.scope.path).select_related("area")
        ctx.memo["compounds"] = {compound.code: compound for compound in compounds}

    def resolve(self, values, instance, fields, ctx) -> None:
        if "kind" in values:
            if values["kind"]:
                fields["kind"] = values["kind"]
            elif instance is None:
                fields["kind"] = BuildingKind.RESIDENTIAL
        compound = None
        if "compound" in values:
            code = values["compound"]
            if code:
                compound = ctx.memo["compounds"].get(code)
                if compound is None:
                    raise RowInvalid(
                        [("compound", _("%(code)s is not a compound of %(c)s.") % {"code": code, "c": ctx.scope.name})]
                    )
            fields["compound"] = compound
        elif instance is not None and instance.compound_id:
            compound = instance.compound
        grid = self.grid(values, "area", ctx) if "area" in values else None
        if compound is not None:
            if grid is not None and grid.pk != compound.area_id:
                raise RowInvalid(
                    [
                        (
                            "area",
                            _("Compound %(code)s lies in grid %(grid)s.")
                            % {"code": compound.code, "grid": compound.area.code},
                        )
                    ]
                )
            fields["area"] = compound.area
            return
        if grid is None and values.get("longitude") is not None and values.get("latitude") is not None:
            grid = selectors.locate_grid(values["longitude"], values["latitude"], within=ctx.scope)
        if grid is None and (instance is None or "area" in values):
            raise RowInvalid([("area", _("Give the compound number or the grid code."))])
        if grid is not None:
            fields["area"] = grid

    def path_of(self, candidate: Building, area: Area) -> str:
        compound = candidate.compound if candidate.compound_id else None
        return compound.area_path if compound is not None else area.path

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.select_related("area", "compound")

    def export_row(self, instance: Building, *, reveal: bool) -> list[Any]:
        return [
            instance.code,
            instance.name,
            enum_label(BuildingKind, instance.kind),
            instance.compound.code if instance.compound_id else "",
            instance.area.code,
            instance.address,
            instance.floors,
            instance.longitude,
            instance.latitude,
        ]


class ShopLedger(PlaceLedger):
    name = "shops"
    title = gettext_lazy("Street shops")
    model = Shop
    create = staticmethod(services.shop_create)
    update = staticmethod(services.shop_update)
    update_arg = "shop"
    plain = ("code", "name", "address", "longitude", "latitude")
    pii = ("contact_name", "contact_phone")
    columns = (
        Column("code", gettext_lazy("Number"), required=True, kind="code", max_length=32, example="JXJ-S001"),
        Column("name", gettext_lazy("Place name"), required=True, max_length=100, example="俭学街面馆", width=20),
        Column("trade", gettext_lazy("Trade"), required=True, kind="choice", choices=_trades, example="小餐饮"),
        Column(
            "licence_number",
            gettext_lazy("Business licence number"),
            kind="code",
            max_length=30,
            width=22,
            help=gettext_lazy("A shop imported again under a new number but the same licence is the same shop."),
        ),
        Column(
            "area",
            gettext_lazy("Grid code"),
            required=True,
            kind="code",
            example="410105008004001",
            width=18,
            help=GRID_HELP,
        ),
        Column("address", gettext_lazy("Address"), required=True, example="俭学街1号", width=24),
        Column(
            "contact_name",
            gettext_lazy("Contact person"),
            pii=True,
            max_length=60,
            help=gettext_lazy("Personal data. A masked value (王**) keeps what is stored."),
        ),
        Column(
            "contact_phone",
            gettext_lazy("Contact phone"),
            pii=True,
            kind="code",
            max_length=30,
            width=16,
            help=gettext_lazy("Personal data. A masked value (138****1234) keeps what is stored."),
        ),
        Column(
            "status",
            gettext_lazy("Status"),
            kind="choice",
            choices=enum_choices(ShopStatus),
            example=str(ShopStatus.OPEN.label),
        ),
        LONGITUDE,
        LATITUDE,
    )

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        ctx.memo["trades"] = {trade.code: trade for trade in Trade.objects.all()}

    def existing(self, rows: list[dict[str, Any]], ctx: ImportContext) -> dict[Any, models.Model]:
        codes = [row["code"] for row in rows if row.get("code")]
        licences = [row["licence_number"] for row in rows if row.get("licence_number")]
        found = Shop.objects.filter(models.Q(code__in=codes) | models.Q(licence_number__in=licences))
        stored: dict[Any, models.Model] = {}
        for shop in found.select_related("area", "trade"):
            stored[("code", shop.code)] = shop
            if shop.licence_number:
                stored[("licence", shop.licence_number)] = shop
        return stored

    def find(self, values: dict[str, Any], stored: dict[Any, models.Model]) -> models.Model | None:
        # The licence names the shop whatever its number; without one the number does.
        licence = values.get("licence_number")
        if licence and ("licence", licence) in stored:
            return stored[("licence", licence)]
        return stored.get(("code", values["code"]))

    def natural_key_of(self, values: dict[str, Any]) -> Any:
        licence = values.get("licence_number")
        return ("licence", licence) if licence else ("code", values["code"])

    def key_label(self) -> str:
        return _("number or business licence number")

    def clean_row(self, number, values, stored, ctx) -> dict[str, Any]:
        # Two rows with different licences may still share a number: that is a duplicate too.
        seen = ctx.memo["codes"]
        if values["code"] in seen:
            raise RowInvalid(
                [
                    (
                        "code",
                        _("The same number as row %(row)d: each shop may appear once.") % {"row": seen[values["code"]]},
                    )
                ]
            )
        clean = super().clean_row(number, values, stored, ctx)
        seen[values["code"]] = number
        instance = clean["instance"]
        other = stored.get(("code", values["code"]))
        if other is not None and instance is not None and other.pk != instance.pk:
            raise RowInvalid(
                [
                    (
                        "code",
                        _("This number belongs to another shop (licence %(licence)s).")
                        % {"licence": other.licence_number or "—"},
                    )
                ]
            )
        return clean

    def resolve(self, values, instance, fields, ctx) -> None:
        if "licence_number" in values:
            fields["licence_number"] = values["licence_number"] or None
        if "trade" in values:
            fields["trade"] = ctx.memo["trades"][values["trade"]]
        if "status" in values:
            if values["status"]:
                fields["status"] = values["status"]
            elif instance is None:
                fields["status"] = ShopStatus.OPEN
        if "area" in values:
            fields["area"] = self.grid(values, "area", ctx)

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.select_related("area", "trade")

    def export_row(self, instance: Shop, *, reveal: bool) -> list[Any]:
        return [
            instance.code,
            instance.name,
            instance.trade.name,
            instance.licence_number or "",
            instance.area.code,
            instance.address,
            self.pii_cell(instance, "contact_name", reveal=reveal),
            self.pii_cell(instance, "contact_phone", reveal=reveal),
            enum_label(ShopStatus, instance.status),
            instance.longitude,
            instance.latitude,
        ]


class PartnerUnitLedger(PlaceLedger):
    name = "partner_units"
    title = gettext_lazy("Partner units")
    model = PartnerUnit
    create = staticmethod(services.partner_unit_create)
    update = staticmethod(services.partner_unit_update)
    update_arg = "partner_unit"
    plain = ("code", "name", "kind", "address", "joint_work")
    pii = ("contact_name", "contact_phone")
    columns = (
        Column("code", gettext_lazy("Number"), required=True, kind="code", max_length=32, example="JXJ-P01"),
        Column("name", gettext_lazy("Unit name"), required=True, max_length=100, example="某某小学", width=24),
        Column(
            "kind",
            gettext_lazy("Kind"),
            required=True,
            kind="choice",
            choices=enum_choices(PartnerKind),
            example=str(PartnerKind.INSTITUTION.label),
            width=20,
        ),
        Column(
            "area",
            gettext_lazy("Area code"),
            required=True,
            kind="code",
            example="410105008004",
            width=18,
            help=gettext_lazy("The community's 12-digit code, or the 15-digit code of one of its grids."),
        ),
        Column("address", gettext_lazy("Address"), width=24),
        Column(
            "contact_name",
            gettext_lazy("Contact person"),
            pii=True,
            max_length=60,
            help=gettext_lazy("Personal data. A masked value (王**) keeps what is stored."),
        ),
        Column(
            "contact_phone",
            gettext_lazy("Contact phone"),
            pii=True,
            kind="code",
            max_length=30,
            width=16,
            help=gettext_lazy("Personal data. A masked value (138****1234) keeps what is stored."),
        ),
        Column("joint_work", gettext_lazy("Joint work items"), max_length=2000, width=30),
    )

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        ctx.memo["areas"][ctx.scope.code] = ctx.scope

    def grid(self, values: dict[str, Any], key: str, ctx: ImportContext) -> Area | None:
        code = values.get(key) or ""
        area = ctx.memo["areas"].get(code)
        if area is None:
            raise RowInvalid(
                [(key, _("%(code)s is neither %(c)s nor one of its grids.") % {"code": code, "c": ctx.scope.name})]
            )
        return area

    def resolve(self, values, instance, fields, ctx) -> None:
        if "area" in values:
            fields["area"] = self.grid(values, "area", ctx)

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.select_related("area")

    def export_row(self, instance: PartnerUnit, *, reveal: bool) -> list[Any]:
        return [
            instance.code,
            instance.name,
            enum_label(PartnerKind, instance.kind),
            instance.area.code,
            instance.address,
            self.pii_cell(instance, "contact_name", reveal=reveal),
            self.pii_cell(instance, "contact_phone", reveal=reveal),
            instance.joint_work,
        ]


COMPOUNDS = ledgers.register(CompoundLedger())
BUILDINGS = ledgers.register(BuildingLedger())
SHOPS = ledgers.register(ShopLedger())
PARTNER_UNITS = ledgers.register(PartnerUnitLedger())


def import_scopes(user: Any, action: str) -> models.QuerySet:
    """The communities a user (None: the system, all of them) may import into for `action`."""
    if user is None:
        return Area.objects.filter(kind=AreaKind.COMMUNITY)
    return selectors.communities_for(user, action)


ledgers.register_scopes(import_scopes)
