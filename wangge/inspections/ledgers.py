"""The ledgers (台账) of inspections (see core.ledgers): the checklists' items, and the inspection records.

`checklist_items` (检查表) has one row per item; a file holds the whole of each checklist it names. Every row is
checked first (categories, trades, points, duplicate item codes, one name and place kind per checklist), then,
after the last row, each checklist is written through the services in the import's transaction: a checklist
whose items equal the version in use is left alone (importing an export changes nothing); any other goes into a
draft (a new version, or a new checklist), never into a version inspections have used. The director puts the
draft in use on the checklist's page. Only the director and the subdistrict administrator import standards.

`inspections` is export only: one row per inspection, what the inspection list shows, filters applied. The list
page narrows its queryset to what the user may export (`Inspection.objects.for_user(user, Action.EXPORT)`).
"""

import contextvars
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.accounts.roles import STANDARD_ROLES
from wangge.cases.models import Category
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
    local_time,
)
from wangge.inspections import services
from wangge.inspections.models import (
    Checklist,
    ChecklistItem,
    ChecklistStatus,
    Finding,
    Inspection,
    Result,
    Severity,
    Target,
)
from wangge.territory.models import Trade

# Trades in one cell: separated by 、 or commas (either width), semicolons or spaces.
_TRADE_SEPARATORS = re.compile(r"[、,，;；\s]+")
# The item fields a ledger row sets, compared to decide whether a checklist changed.
ROW_FIELDS = ("section", "text", "points", "severity", "category_id", "trades", "photo_required", "rectify_hours")
_MISSING = object()
# Trade code → name for the export under way (one query per export, not one per row).
_trade_names: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("trade_names", default=None)


def _yes(value: bool) -> str:
    return "是" if value else "否"


@dataclass
class ItemRow:
    """A checked row: the checklist it belongs to and the item's fields as the services take them."""

    number: int
    checklist: str
    name: str
    target: str
    code: str
    fields: dict[str, Any] = field(default_factory=dict)


def item_fields(item: ChecklistItem) -> dict[str, Any]:
    """A stored item's fields in the form a ledger row gives them, to compare the two."""
    return {
        "section": item.section,
        "text": item.text,
        "points": item.points,
        "severity": item.severity,
        "category_id": item.category_id,
        "trades": sorted(item.trades or []),
        "photo_required": item.photo_required,
        "rectify_hours": item.rectify_hours,
    }


def _content(checklist: Checklist, items: list[ChecklistItem]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A version's name and its items in order, to compare with a file's rows."""
    return checklist.name, [(item.code, item_fields(item)) for item in items]


class ChecklistItemLedger(Ledger):
    name = "checklist_items"
    title = gettext_lazy("Checklists")
    model = ChecklistItem
    columns = (
        Column(
            "checklist",
            gettext_lazy("Checklist code"),
            required=True,
            kind="code",
            max_length=40,
            example="compound-sanitation",
            width=22,
            help=gettext_lazy(
                "Letters, digits, - and _. The file holds every item of each checklist it names: an item left out "
                "is removed from the new version."
            ),
        ),
        Column(
            "name",
            gettext_lazy("Checklist name"),
            required=True,
            max_length=100,
            example="楼院环境卫生检查表",
            width=24,
        ),
        Column(
            "target",
            gettext_lazy("Place kind"),
            required=True,
            kind="choice",
            choices=enum_choices(Target),
            example=Target.COMPOUND.label,
            width=12,
            help=gettext_lazy("The same for every row of a checklist; it cannot change once the checklist exists."),
        ),
        Column(
            "code",
            gettext_lazy("Item code"),
            required=True,
            kind="code",
            max_length=20,
            example="HY99",
            width=10,
            help=gettext_lazy("Stays the same across versions: relapses are counted by it."),
        ),
        Column("section", gettext_lazy("Section"), max_length=40, example="环境卫生", width=12),
        Column(
            "text",
            gettext_lazy("Standard"),
            required=True,
            max_length=200,
            example="楼道内无堆放杂物、无飞线充电",
            width=40,
        ),
        Column(
            "points",
            gettext_lazy("Points"),
            required=True,
            kind="int",
            example=15,
            width=8,
            help=gettext_lazy("A whole number from 1 to 100."),
        ),
        Column(
            "severity",
            gettext_lazy("Severity"),
            kind="choice",
            choices=enum_choices(Severity),
            example=Severity.MAJOR.label,
            width=16,
            help=gettext_lazy("Empty: minor. A critical failure fails the inspection whatever its score."),
        ),
        Column(
            "category",
            gettext_lazy("Case category code"),
            required=True,
            kind="code",
            example="C01",
            width=12,
            help=gettext_lazy("The case category a failure of this item is filed under (its code or its name)."),
        ),
        Column(
            "trades",
            gettext_lazy("Only for trades"),
            max_length=500,
            width=18,
            help=gettext_lazy(
                "Street shops only: trade codes or names separated by 、 or commas. Empty: every place of the kind."
            ),
        ),
        Column(
            "photo_required",
            gettext_lazy("Photo of a failure required"),
            kind="bool",
            example="是",
            width=10,
            help=gettext_lazy("是 or 否; empty: 是."),
        ),
        Column(
            "rectify_hours",
            gettext_lazy("Hours to rectify"),
            kind="int",
            example=24,
            width=10,
            help=gettext_lazy("Empty: the case category's deadline."),
        ),
    )

    def key_label(self) -> str:
        return _("checklist code and item code")

    # Checks

    def prepare(self, ctx: ImportContext) -> None:
        actor = ctx.actor
        scope = ctx.scope
        if actor is not None and not actor.is_superuser and not (scope and actor.roles_at(scope.path) & STANDARD_ROLES):
            raise LedgerFileError(_("Only the community director edits inspection standards."))
        ctx.memo.clear()
        categories: dict[str, Category] = {}
        for category in Category.objects.filter(active=True).order_by("order", "code"):
            categories.setdefault(category.name.lower(), category)
        categories.update({category.code.lower(): category for category in categories.values()})
        ctx.memo["categories"] = categories
        trades: dict[str, str] = {}
        for code, name in Trade.objects.values_list("code", "name"):
            trades[name.lower()] = code
            trades[code.lower()] = code
        ctx.memo["trades"] = trades
        # Checklist code → place kind of the checklists already stored.
        ctx.memo["targets"] = dict(self._versions(ctx).values_list("code", "target").distinct())
        # Checklist code → (first row, name, place kind) as this file gives them.
        ctx.memo["seen"] = {}
        ctx.memo["rows"] = {}

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        outcomes: list[tuple[int, Any]] = []
        for number, values in rows:
            try:
                outcomes.append((number, self._clean(number, values, ctx)))
            except RowInvalid as invalid:
                outcomes.append((number, invalid))
        return outcomes

    def _clean(self, number: int, values: dict[str, Any], ctx: ImportContext) -> ItemRow:
        problems: list[tuple[str, str]] = []
        checklist = values["checklist"]
        try:
            validate_slug(checklist)
        except ValidationError as error:
            problems.append(("checklist", " ".join(error.messages)))
        target = values["target"]
        stored_target = ctx.memo["targets"].get(checklist)
        if stored_target is not None and stored_target != target:
            problems.append(
                (
                    "target",
                    _("This checklist is for %(target)s; the place kind of a checklist cannot change.")
                    % {"target": enum_label(Target, stored_target)},
                )
            )
        seen = ctx.memo["seen"].get(checklist)
        if seen is not None:
            first, name, first_target = seen
            if name != values["name"]:
                problems.append(("name", _("Row %(row)d names this checklist differently.") % {"row": first}))
            if first_target != target:
                problems.append(("target", _("Row %(row)d gives this checklist another place kind.") % {"row": first}))
        category = ctx.memo["categories"].get(values["category"].lower())
        if category is None:
            problems.append(("category", _("Unknown case category: %(code)s") % {"code": values["category"]}))
        trades, unknown = [], []
        for part in _TRADE_SEPARATORS.split(values.get("trades") or ""):
            if part:
                code = ctx.memo["trades"].get(part.lower())
                if code is None:
                    unknown.append(part)
                elif code not in trades:
                    trades.append(code)
        if unknown:
            problems.append(("trades", _("Unknown trade: %(codes)s") % {"codes": ", ".join(unknown)}))
        if trades and target != Target.SHOP:
            problems.append(("trades", _("Only shops have trades.")))
        points = values["points"]
        if not 1 <= points <= 100:
            problems.append(("points", _("Points are a whole number from 1 to 100.")))
        hours = values.get("rectify_hours")
        if hours is not None and not 1 <= hours <= 24 * 365:
            problems.append(("rectify_hours", _("Give the hours to rectify as 1 to 8760, or leave it empty.")))
        if problems:
            raise RowInvalid(problems)
        if seen is None:
            ctx.memo["seen"][checklist] = (number, values["name"], target)
        photo = values.get("photo_required")
        return ItemRow(
            number=number,
            checklist=checklist,
            name=values["name"],
            target=target,
            code=values["code"],
            fields={
                "section": values.get("section") or "",
                "text": values["text"],
                "points": points,
                "severity": values.get("severity") or Severity.MINOR,
                "category_id": category.pk,
                "trades": sorted(trades),
                "photo_required": True if photo is None else photo,
                "rectify_hours": hours,
            },
        )

    def natural_key(self, clean: ItemRow) -> tuple[str, str]:
        return (clean.checklist, clean.code.upper())

    # Writes: rows are gathered, then each checklist is written once every row has been read.

    def apply_batch(self, cleans: list[ItemRow], ctx: ImportContext) -> Counts:
        for row in cleans:
            ctx.memo["rows"].setdefault(row.checklist, []).append(row)
        return Counts()

    def finish(self, ctx: ImportContext) -> Counts:
        counts = Counts()
        for code, rows in ctx.memo["rows"].items():
            try:
                counts.add(self._write(code, rows, ctx))
            except (ValidationError, PermissionDenied) as error:
                # The checks should have caught it; the transaction is rolled back and the file refused.
                message = " ".join(getattr(error, "messages", None) or [str(error)])
                raise LedgerFileError(
                    _("Checklist %(code)s could not be written: %(message)s Nothing was imported.")
                    % {"code": code, "message": message}
                ) from None
        return counts

    def _write(self, code: str, rows: list[ItemRow], ctx: ImportContext) -> Counts:
        """One checklist of the file: left alone when it equals the version in use, else written to a draft."""
        community = ctx.scope
        versions = list(self._versions(ctx).filter(code=code).prefetch_related("items").order_by("-version"))
        # What the community uses now: its own version in use, else the shared one; a draft only of its own.
        in_use = next((v for v in versions if v.status == ChecklistStatus.PUBLISHED and v.community_id), None)
        in_use = in_use or next((v for v in versions if v.status == ChecklistStatus.PUBLISHED), None)
        draft = next((v for v in versions if v.status == ChecklistStatus.DRAFT and v.community_id), None)
        baseline = in_use or draft
        wanted = (rows[0].name, [(row.code, row.fields) for row in rows])
        old: dict[str, dict[str, Any]] = {}
        if baseline is not None:
            old = {item.code: item_fields(item) for item in self._ordered(baseline)}
        counts = Counts(
            created=sum(1 for row in rows if row.code not in old),
            updated=sum(1 for row in rows if row.code in old and old[row.code] != row.fields),
            unchanged=sum(1 for row in rows if old.get(row.code) == row.fields),
        )
        if baseline is not None and _content(baseline, self._ordered(baseline)) == wanted:
            return Counts(unchanged=len(rows))
        if baseline is not None and baseline.name != rows[0].name:
            # The name is a cell of every row: a new name changes them all.
            counts.updated, counts.unchanged = counts.updated + counts.unchanged, 0
        if in_use is None and draft is None and not versions:
            draft = services.checklist_create(
                actor=ctx.actor, community=community, code=code, name=rows[0].name, target=rows[0].target
            )
        elif draft is None:
            draft = services.checklist_new_version(
                actor=ctx.actor, checklist=in_use or versions[0], community=community
            )
        self._sync(draft, rows, ctx)
        return counts

    @staticmethod
    def _versions(ctx: ImportContext) -> models.QuerySet:
        """The versions an import into the community works with: the shared standards and the community's own."""
        return Checklist.objects.filter(Q(community__isnull=True) | Q(community=ctx.scope))

    @staticmethod
    def _ordered(checklist: Checklist) -> list[ChecklistItem]:
        return sorted(checklist.items.all(), key=lambda item: (item.order, item.pk))

    def _sync(self, draft: Checklist, rows: list[ItemRow], ctx: ImportContext) -> None:
        """Make the draft hold exactly the rows' items, in the rows' order, through the services."""
        actor = ctx.actor
        if draft.name != rows[0].name:
            draft = services.checklist_update(actor=actor, checklist=draft, name=rows[0].name)
        stored = {item.code: item for item in draft.items.order_by("order", "pk")}
        wanted = [row.code for row in rows]
        for item_code, item in stored.items():
            if item_code not in wanted:
                services.checklist_item_delete(actor=actor, item=item)
        # Orders are renumbered only when the sequence changes, so an unchanged order keeps its numbers.
        kept = [item_code for item_code in stored if item_code in wanted]
        renumber = kept != wanted
        categories = {category.pk: category for category in ctx.memo["categories"].values()}
        for position, row in enumerate(rows, start=1):
            item = stored.get(row.code)
            before = item_fields(item) if item is not None else {}
            changes = {name: value for name, value in row.fields.items() if before.get(name, _MISSING) != value}
            if "category_id" in changes:
                changes["category"] = categories[changes.pop("category_id")]
            if item is None:
                services.checklist_item_save(actor=actor, checklist=draft, code=row.code, order=position, **changes)
                continue
            if renumber and item.order != position:
                changes["order"] = position
            if changes:
                services.checklist_item_save(actor=actor, checklist=draft, item=item, **changes)

    # Exports

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        _trade_names.set(dict(Trade.objects.values_list("code", "name")))
        return queryset.select_related("checklist", "category").order_by(
            "checklist__target", "checklist__code", "checklist__version", "order", "pk"
        )

    def export_row(self, instance: ChecklistItem, *, reveal: bool) -> list[Any]:
        names = _trade_names.get()
        if names is None:
            names = dict(Trade.objects.values_list("code", "name"))
            _trade_names.set(names)
        checklist = instance.checklist
        return [
            checklist.code,
            checklist.name,
            enum_label(Target, checklist.target),
            instance.code,
            instance.section,
            instance.text,
            instance.points,
            enum_label(Severity, instance.severity),
            instance.category.code,
            "、".join(names.get(code, code) for code in instance.trades or []),
            _yes(instance.photo_required),
            instance.rectify_hours,
        ]


class InspectionLedger(Ledger):
    name = "inspections"
    title = gettext_lazy("Inspection records")
    model = Inspection
    columns = (
        Column("inspected_at", gettext_lazy("Inspected at"), imported=False, width=17),
        Column("grid", gettext_lazy("Grid"), imported=False, width=14),
        Column("target", gettext_lazy("Place kind"), imported=False, width=10),
        Column("place_code", gettext_lazy("Place code"), imported=False, width=14),
        Column("place_name", gettext_lazy("Place name"), imported=False, width=20),
        Column("checklist", gettext_lazy("Checklist code"), imported=False, width=20),
        Column("version", gettext_lazy("Version"), imported=False, width=6),
        Column("inspector", gettext_lazy("Inspector"), imported=False, width=12),
        Column("score", gettext_lazy("Score"), imported=False, width=8),
        Column("passed", gettext_lazy("Passed"), imported=False, width=8),
        Column("failed", gettext_lazy("Failed items"), imported=False, width=20),
        Column("relapses", gettext_lazy("Relapses"), imported=False, width=8),
        Column("cases", gettext_lazy("Rectification cases"), imported=False, width=20),
    )

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        # Only what the columns need; the failed findings come per chunk of the streamed export (one query each).
        failed = (
            Finding.objects.filter(result=Result.FAIL)
            .select_related("case")
            .only("inspection_id", "item_code", "case__number")
            .order_by("item__order", "pk")
        )
        return (
            queryset.select_related(None)
            .select_related("area", "checklist", "inspector", "compound", "shop", "building")
            .only(
                "inspected_at",
                "target",
                "score",
                "passed",
                "relapse_count",
                "area__name",
                "checklist__code",
                "checklist__version",
                "inspector__username",
                "inspector__display_name",
                "compound__code",
                "compound__name",
                "shop__code",
                "shop__name",
                "building__code",
                "building__name",
            )
            .prefetch_related(Prefetch("findings", queryset=failed, to_attr="failed_findings"))
        )

    def export_row(self, instance: Inspection, *, reveal: bool) -> list[Any]:
        place = instance.place
        failed = getattr(instance, "failed_findings", None)
        if failed is None:
            failed = list(instance.findings.filter(result=Result.FAIL).select_related("case"))
        numbers = list(dict.fromkeys(f.case.number for f in failed if f.case_id and f.case.number))
        inspector = instance.inspector
        return [
            local_time(instance.inspected_at),
            instance.area.name,
            enum_label(Target, instance.target),
            place.code if place else "",
            place.name if place else "",
            instance.checklist.code,
            instance.checklist.version,
            getattr(inspector, "display_name", "") or inspector.get_username(),
            float(instance.score),
            _yes(instance.passed),
            "、".join(f.item_code for f in failed),
            instance.relapse_count,
            "、".join(numbers),
        ]


CHECKLIST_ITEMS = ledgers.register(ChecklistItemLedger())
INSPECTIONS = ledgers.register(InspectionLedger())
