"""The indicator system in Excel (测评体系): the template, the import into a campaign, and the export.

The layout is the national assessment systems': one row per standard (测评标准), with the columns 测评项目 |
测评内容 | 测评标准 | 测评方法 | 分值, then, optional, 编号 | 项目分值 | 内容分值 | 计分方式 | 巡查对象 | 公开 |
所需材料数. The header row may sit under a title row (it is looked for in the first rows of the first sheet);
columns this layout does not know (备注 ...) are left out and named on the result.

How a file is read:

- An item or content cell left blank, or merged with the cells above it, means "the same as above" (offices'
  files do both). A merged 测评方法, 计分方式, 巡查对象, 公开 or 所需材料数 holds for every row it covers; a
  standard's own cells (测评标准, 分值, 编号) are never shared, and a blank 测评方法 or 分值 is refused.
- A row with an item and/or content but no standard, method or points is a heading row: it opens the item or
  content (and may give its 项目分值 / 内容分值).
- An item or content appears once, its rows together: a content named under two items, or an item coming back
  after another, is refused.
- Numbers: a standard keeps its 编号 when given. A three-part 编号 (1.2.3) also numbers its content (1.2) and
  item (1); items and contents without such numbers are numbered by position ("1", "2" ..., "1.1", "1.2" ...)
  and standards without one by position under their content ("1.2.1" ...). A text that starts with a number of
  its own ("一、组织领导", "1 组织领导") is kept as it is: the number is still the position's, so that a
  file renumbered by hand in its texts does not renumber the campaign's records.
- 项目分值 and 内容分值, when given, must equal the sums below them; otherwise an item's or content's points
  are the sum. The items must add up to the campaign's full score when it has one.

How a file is written: everything is checked before anything is written, and then, inside one transaction
with the campaign locked, the file replaces the tree through `services.indicator_save` / `indicator_delete`
(actor: the importing user; only those who run the campaign may). Nodes are matched by number: a node whose
fields already equal the file's is left alone, so importing the same file twice changes nothing the second
time; the order is renumbered only when the file reorders the tree. A node missing from the file is deleted,
unless it is a standard with assignments, evidence (withdrawn evidence too) or plan tasks: then nothing is
written and the import names it, to be added back to the file or cleared first. What the file does not say, a
matched node keeps: an optional column the file does not have (计分方式, 巡查对象, 公开, 所需材料数), case
categories, an item's or content's "public" flag; a new node takes the defaults. A blank cell in a column the
file has means the default (scored by hand, not public, one piece of evidence).

Why not core.ledgers.run_import: it refuses merged cells, checks row by row (sums, the hierarchy and the
campaign's records can only be judged on the whole tree) and imports into a community, not a campaign. This
module reuses its file checks, cell parsing, columns, error workbook and template instead.
"""

import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from wangge.accounts.models import User
from wangge.campaigns import selectors, services
from wangge.campaigns.models import Campaign, Evidence, Indicator, IndicatorAssignment, Level, Method, PlanTask, Scoring
from wangge.core import ledgers
from wangge.core.ledgers import Column, LedgerFileError, RowError, enum_choices, enum_label
from wangge.core.models import ImportJob, ImportStatus
from wangge.inspections.models import Target

# The name import jobs and export audit events carry.
NAME = "campaign_indicators"
# The header row is looked for in the first rows (a title row above it is common).
HEADER_ROWS = 10
# A tree is a few hundred rows; a file far beyond this is not an indicator system.
MAX_ROWS = 5000
MAX_MERGES = 20000
CENT = Decimal("0.01")
MAX_POINTS = Decimal("100000")
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_HEADER_NOISE = re.compile(r"[*\s]|\((必填|选填|可选|分)\)")
_THREE_PARTS = re.compile(r"^([^.]+)\.([^.]+)\.([^.]+)$")
# A merge over several rows fills its value in for every row it covers, except in a standard's own cells.
OWN_CELLS = ("standard", "points", "code")
# Cells that only a standard has: a row with any of them is a standard row.
STANDARD_CELLS = ("method", "points", "code", "scoring", "target", "public", "evidence")
LEVEL_RANK = {Level.STANDARD: 0, Level.CONTENT: 1, Level.ITEM: 2}


class IndicatorLedger(ledgers.Ledger):
    """The columns of the indicator system (not registered: it imports into a campaign, see the docstring)."""

    name = NAME
    title = gettext_lazy("Indicator system")
    model = Indicator
    columns = (
        Column("item", gettext_lazy("Assessment item"), required=True, max_length=2000, width=16,
               help=gettext_lazy("Blank or merged: the same item as the row above.")),
        Column("content", gettext_lazy("Assessment content"), required=True, max_length=2000, width=18,
               help=gettext_lazy("Blank or merged: the same content as the row above. A content belongs to one item.")),
        Column("standard", gettext_lazy("Assessment standard"), required=True, max_length=2000, width=48,
               help=gettext_lazy("One standard per row.")),
        Column("method", gettext_lazy("Assessment method"), required=True, kind="choice",
               choices=enum_choices(Method), width=12, help=gettext_lazy("How the assessors check the standard.")),
        Column("points", gettext_lazy("Points"), required=True, kind="decimal", width=8,
               help=gettext_lazy("The standard's points: a number, 0 or more.")),
        Column("code", gettext_lazy("Number"), kind="code", max_length=20, width=10,
               help=gettext_lazy("The standard's number, such as 1.2.3; empty: numbered by its position.")),
        Column("item_points", gettext_lazy("Item points"), kind="decimal", width=9,
               help=gettext_lazy("Optional: must equal the sum of the item's standards.")),
        Column("content_points", gettext_lazy("Content points"), kind="decimal", width=9,
               help=gettext_lazy("Optional: must equal the sum of the content's standards.")),
        Column("scoring", gettext_lazy("Scoring"), kind="choice", choices=enum_choices(Scoring), width=16,
               help=gettext_lazy("Empty: scored by hand.")),
        Column("target", gettext_lazy("Inspected places"), kind="choice", choices=enum_choices(Target), width=10,
               help=gettext_lazy("Only when scored from the inspection pass rate; empty: every kind of place.")),
        Column("public", gettext_lazy("Public"), kind="bool", width=6,
               help=gettext_lazy("是: its progress is shown on the public supervision page. Empty: 否.")),
        Column("evidence", gettext_lazy("Evidence required"), kind="int", width=8,
               help=gettext_lazy("How many pieces of evidence make the standard complete (0 to 50); empty: 1.")),
    )  # fmt: skip


LEDGER = IndicatorLedger()
COLUMNS = {column.key: column for column in LEDGER.columns}
KEYS = [column.key for column in LEDGER.columns]

# The Chinese headers offices use, accepted whatever the interface's language.
HEADER_ALIASES = {
    "item": ("测评项目", "项目", "考核项目", "评价项目", "测评项目名称", "一级指标"),
    "content": ("测评内容", "内容", "考核内容", "评价内容", "二级指标"),
    "standard": ("测评标准", "标准", "考核标准", "评价标准", "三级指标"),
    "method": ("测评方法", "方法", "考核方法", "评价方法"),
    "points": ("分值", "标准分值", "分数"),
    "code": ("编号", "标准编号", "指标编号"),
    "item_points": ("项目分值",),
    "content_points": ("内容分值",),
    "scoring": ("计分方式", "评分方式"),
    "target": ("巡查对象",),
    "public": ("公开", "是否公开"),
    "evidence": ("所需材料数", "材料数", "应有材料数"),
}
# The wordings of assessment systems, besides the labels of the choices.
CHOICE_ALIASES = {
    "method": {
        Method.MATERIALS: ("材料审核", "查阅资料", "资料审核", "材料审查", "查看资料", "台账审核", "网上申报"),
        Method.FIELD: ("实地考察", "实地查看", "实地检查", "实地察看", "实地测评", "实地暗访", "暗访"),
        Method.QUESTIONNAIRE: ("问卷调查", "问卷", "问卷测评"),
        Method.INTERVIEW: ("入户访问", "入户调查", "座谈", "访谈", "走访", "电话访问"),
        Method.DATA: ("数据核查", "数据分析", "数据比对"),
        Method.OTHER: ("其他",),
    },
    "scoring": {
        Scoring.MANUAL: ("人工评分", "手工评分", "人工打分", "人工"),
        Scoring.INSPECTIONS: ("巡查合格率", "按巡查合格率"),
        Scoring.CASE_CLOSURE: ("结案率", "按结案率", "案件结案率"),
        Scoring.CASE_ON_TIME: ("按期结案率", "按期办结率"),
    },
    "target": {
        Target.COMPOUND: ("楼院", "小区", "居民楼院"),
        Target.SHOP: ("门店", "街边门店", "沿街门店"),
        Target.OFFICE: ("写字楼",),
    },
}


def _fold(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


_CHOICE_ALIASES = {
    key: {_fold(alias): str(value) for value, aliases in table.items() for alias in aliases}
    for key, table in CHOICE_ALIASES.items()
}


def header(key: str) -> str:
    """The column's header in the active language (what an error names)."""
    return str(COLUMNS[key].header) if key in COLUMNS else ""


# Reading the workbook


@dataclass
class Row:
    """One row of the sheet: its number and its cells as read (merged cells filled in), by column key."""

    number: int
    raw: dict[str, Any]
    shared: set[str] = field(default_factory=set)  # keys whose value came from a merge over the row above


@dataclass
class Sheet:
    rows: list[Row]
    ignored: list[str]
    present: set[str]  # the keys of the columns the file has


def _header_key(text: Any) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(text or "")))


def _header_table() -> dict[str, str]:
    """Header text (either language, or an office's Chinese wording) → column key."""
    table: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for column in LEDGER.columns:
                table[_header_key(column.header)] = column.key
    for key, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            table[_header_key(alias)] = key
    return table


def _damaged() -> str:
    """What a file that cannot be read is told."""
    return _("This file is not an Excel workbook (.xlsx), or it is damaged.")


def _merges(worksheet: Any) -> list[tuple[int, int, int, int]]:
    """Every merged range of a read-only sheet as (min_col, min_row, max_col, max_row), by streaming its XML."""
    found: set[str] = set()
    tail = b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            found.update(match.decode() for match in _MERGE.findall(data))
            tail = data[-200:]
            if len(found) > MAX_MERGES:
                raise LedgerFileError(_("The sheet has too many merged cells to be an indicator system."))
    try:
        return [range_boundaries(ref) for ref in sorted(found)]
    except ValueError:  # a column past XFD (AAAA1): no spreadsheet program wrote this
        raise LedgerFileError(_damaged()) from None


def _covered(
    merges: list[tuple[int, int, int, int]], header_row: int, last_row: int, columns: set[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, column index) of a cell a merge covers → (row, column index) of the cell holding its value, for the
    rows read (below the header, up to `last_row`) and the columns the header maps. A merge reaching past them
    (down to row 1048576, say) fills in only what is read: a few kilobytes of XML cannot make millions of cells.
    Merges never overlap in a file a spreadsheet program wrote; one that does is a damaged file."""
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    for min_col, min_row, _max_col, max_row in merges:
        column = min_col - 1
        if column not in columns or max_row <= min_row or max_row <= header_row or min_row >= last_row:
            continue
        for row in range(max(min_row + 1, header_row + 1), min(max_row, last_row) + 1):
            if (row, column) in covered:
                raise LedgerFileError(_damaged())
            covered[(row, column)] = (min_row, column)
    return covered


def read_sheet(path: Path) -> Sheet:
    """The rows of the workbook's first sheet below its header row; LedgerFileError when the file is unusable."""
    ledgers.check_file(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise LedgerFileError(_damaged()) from None
    try:
        return _read(workbook.worksheets[0])
    except ValueError:
        # openpyxl parses the sheet's XML as it goes: a range or value out of Excel's bounds (a merge down to row
        # 99999999999) surfaces while the rows are read.
        raise LedgerFileError(_damaged()) from None
    finally:
        workbook.close()


def _read(worksheet: Any) -> Sheet:
    """The sheet's rows under its header, merged cells filled in (see `read_sheet`)."""
    merges = _merges(worksheet)
    head = list(worksheet.iter_rows(min_row=1, max_row=HEADER_ROWS, values_only=True))
    header_row, positions, ignored = _find_header(head)
    # The rows taken: MAX_ROWS below the header (blank ones count); a row with anything in it further down refuses
    # the file. Merges are filled in for these rows only.
    last_row = header_row + MAX_ROWS
    covered = _covered(merges, header_row, last_row, {index for index, _key in positions})
    tops = set(covered.values())
    kept: dict[tuple[int, int], Any] = {}
    rows: list[Row] = []
    for number, values in enumerate(worksheet.iter_rows(min_row=header_row + 1, values_only=True), header_row + 1):
        values = values or ()
        raw: dict[str, Any] = {}
        shared: set[str] = set()
        for index, key in positions:
            value = values[index] if index < len(values) else None
            if (number, index) in tops:
                kept[(number, index)] = value
            source = covered.get((number, index))
            if source is not None:
                value = kept.get(source)
                shared.add(key)
            raw[key] = value
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in raw.values()):
            continue
        if number > last_row:
            raise LedgerFileError(
                _("The sheet has more than %(n)d rows: that is not one indicator system.") % {"n": MAX_ROWS}
            )
        rows.append(Row(number, raw, shared))
    return Sheet(rows, ignored, {key for _index, key in positions})


def _find_header(head: list[tuple]) -> tuple[int, list[tuple[int, str]], list[str]]:
    """(header row number, [(column index, key)], ignored headers) from the first rows of the sheet."""
    table = _header_table()
    required = {column.key for column in LEDGER.columns if column.required}
    best: set[str] = set()
    for number, values in enumerate(head, start=1):
        positions: list[tuple[int, str]] = []
        ignored: list[str] = []
        twice: list[str] = []
        for index, text in enumerate(values or ()):
            key = table.get(_header_key(text))
            if key is None:
                if _header_key(text):
                    ignored.append(str(text).strip())
            elif key in {known for _index, known in positions}:
                twice.append(str(text).strip())
            else:
                positions.append((index, key))
        keys = {key for _index, key in positions}
        if keys >= required:
            if twice:
                raise LedgerFileError(_("The column “%(header)s” appears twice.") % {"header": twice[0]})
            return number, positions, ignored
        best = keys if len(keys) > len(best) else best
    missing = [str(column.header) for column in LEDGER.columns if column.required and column.key not in best]
    raise LedgerFileError(
        " ".join(
            [
                _("Missing columns: %(columns)s.") % {"columns": "、".join(missing)},
                _("Download the template to see the expected headers."),
            ]
        )
    )


# Checking the rows and building the tree


@dataclass
class Spec:
    """A node of the tree as the file gives it, with the fields `services.indicator_save` takes."""

    level: str
    text: str
    row: int
    parent: "Spec | None" = None
    children: list["Spec"] = field(default_factory=list)
    code: str = ""
    given_code: str = ""
    points: Decimal = Decimal(0)
    declared: Decimal | None = None  # 项目分值 / 内容分值 as given
    declared_row: int = 0
    method: str = ""
    # A standard's optional cells; None: the file has no such column.
    scoring: str | None = None
    target: str | None = None
    public: bool | None = None
    evidence: int | None = None
    # A standard under it was refused: its sum is not the file's, and is not checked.
    broken: bool = False
    match: Indicator | None = None
    instance: Indicator | None = None


@dataclass
class Problems:
    """The problems found, in the order found; each names a row (0: the file as a whole) and a column."""

    errors: list[RowError] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)

    def add(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=header(key), message=message))
        self.rows.add(row)

    def __bool__(self) -> bool:
        return bool(self.errors)


def shown(points: Decimal) -> str:
    """Points as a message shows them: 12, 4.5 (not 12.00, 4.50)."""
    text = f"{points:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _points(value: Any) -> Decimal:
    """A points cell as read (a float) as an exact amount; ValueError with a message when it is not one."""
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(_("Enter a number.")) from None
    if not points.is_finite():
        raise ValueError(_("Enter a number."))
    if points < 0:
        raise ValueError(_("Points cannot be negative."))
    if points >= MAX_POINTS:
        raise ValueError(_("Points must be between 0 and 99999."))
    return points.quantize(CENT)


def _parse(row: Row, problems: Problems) -> tuple[dict[str, Any], set[str]]:
    """The row's cells as values, and the keys of the cells that could not be read (their problems noted)."""
    values: dict[str, Any] = {}
    failed: set[str] = set()
    for key, value in row.raw.items():
        column = COLUMNS[key]
        if key in _CHOICE_ALIASES and value is not None:
            value = _CHOICE_ALIASES[key].get(_fold(value), value)
        try:
            parsed = ledgers.parse_cell(column, value)
            if key in ("points", "item_points", "content_points") and parsed is not None:
                parsed = _points(parsed)
        except ValueError as error:
            problems.add(row.number, key, str(error))
            failed.add(key)
            continue
        values[key] = parsed
    for key in OWN_CELLS:
        if key in row.shared and values.get(key) not in (None, ""):
            problems.add(
                row.number,
                key,
                _("This cell is merged with the row above: every standard has its own %(column)s.")
                % {"column": header(key)},
            )
            failed.add(key)
    return values, failed


class TreeBuilder:
    """Reads the rows in order into items, contents and standards, noting every problem."""

    def __init__(self, problems: Problems, present: set[str]) -> None:
        self.problems = problems
        self.present = present
        self.roots: list[Spec] = []
        self.item: Spec | None = None
        self.content: Spec | None = None
        self.items: dict[str, Spec] = {}
        self.contents: dict[str, Spec] = {}
        # A row was refused: the tree is not the file's whole, and its total is not checked.
        self.lost = False

    def add(self, row: Row) -> None:
        values, failed = _parse(row, self.problems)
        number = row.number
        if {"item", "content"} & failed or not self._place(
            number, values.get("item") or "", values.get("content") or ""
        ):
            self.lost = True
            return
        self._declare(number, values, "item_points", self.item)
        self._declare(number, values, "content_points", self.content)
        standard = values.get("standard") or ""
        if not standard and "standard" not in failed:
            if failed or any(values.get(key) not in (None, "") for key in STANDARD_CELLS):
                self.problems.add(number, "standard", _("Give the standard's text."))
                self._refused()
            return
        self._standard(number, standard, values, failed)

    def _refused(self) -> None:
        """The row's standard is not added: the sums above it cannot be checked."""
        self.lost = True
        for node in (self.item, self.content):
            if node is not None:
                node.broken = True

    def _place(self, number: int, item: str, content: str) -> bool:
        """Move to the row's item and content (new ones, or the same as above); False when the row has no item.

        After a new item without a content, `self.content` is None: a heading row, or a standard row refused."""
        if item and (self.item is None or item != self.item.text):
            first = self.items.get(item)
            if first is not None:
                self.problems.add(
                    number,
                    "item",
                    _("The item “%(item)s” already appeared in row %(row)d: keep an item's rows together.")
                    % {"item": item[:40], "row": first.row},
                )
                return False
            self.item = Spec(Level.ITEM, item, number)
            self.items[item] = self.item
            self.roots.append(self.item)
            self.content = None
        elif self.item is None:
            self.problems.add(number, "item", _("There is no item above this row: give the row's item."))
            return False
        if content and (self.content is None or content != self.content.text):
            first = self.contents.get(content)
            if first is not None:
                if first.parent is not self.item:
                    message = _(
                        "The content “%(content)s” is already under the item “%(item)s” (row %(row)d): a content "
                        "belongs to one item."
                    ) % {"content": content[:40], "item": first.parent.text[:40], "row": first.row}
                else:
                    message = _(
                        "The content “%(content)s” already appeared in row %(row)d: keep a content's rows together."
                    ) % {"content": content[:40], "row": first.row}
                self.problems.add(number, "content", message)
                return False
            self.content = Spec(Level.CONTENT, content, number, parent=self.item)
            self.contents[content] = self.content
            self.item.children.append(self.content)
        return True

    def _declare(self, number: int, values: dict[str, Any], key: str, node: Spec | None) -> None:
        declared = values.get(key)
        if declared is None or node is None:
            return
        if node.declared is None:
            node.declared, node.declared_row = declared, number
        elif node.declared != declared:
            self.problems.add(
                number,
                key,
                _("Row %(row)d gives %(points)s points here: give them once, or the same on every row.")
                % {"row": node.declared_row, "points": shown(node.declared)},
            )

    def _standard(self, number: int, text: str, values: dict[str, Any], failed: set[str]) -> None:
        if self.content is None:
            self.problems.add(
                number, "content", _("There is no content above this row under its item: give its content.")
            )
            self._refused()
            return
        ok = not failed
        if not values.get("method") and "method" not in failed:
            self.problems.add(number, "method", _("Say how the standard is assessed."))
            ok = False
        if values.get("points") is None and "points" not in failed:
            self.problems.add(number, "points", _("Give the standard's points."))
            ok = False
        # A column the file does not have is None here: a matched standard keeps its own value.
        scoring = (values.get("scoring") or Scoring.MANUAL) if "scoring" in self.present else None
        target = (values.get("target") or "") if "target" in self.present else None
        if target and scoring != Scoring.INSPECTIONS:
            self.problems.add(
                number, "target", _("Inspected places are given only for a standard scored from inspections.")
            )
            ok = False
        evidence = values.get("evidence")
        if evidence is not None and not 0 <= evidence <= 50:
            self.problems.add(number, "evidence", _("Give 0 to 50 pieces of evidence."))
            ok = False
        if not ok:
            self._refused()
            return
        self.content.children.append(
            Spec(
                Level.STANDARD,
                text,
                number,
                parent=self.content,
                given_code=values.get("code") or "",
                points=values["points"],
                method=values["method"],
                scoring=scoring,
                target=target,
                public=bool(values.get("public")) if "public" in self.present else None,
                evidence=(1 if evidence is None else evidence) if "evidence" in self.present else None,
            )
        )


def flatten(roots: list[Spec]) -> list[Spec]:
    """The nodes in reading order: item, its first content, that content's standards, ..."""
    result: list[Spec] = []
    for node in roots:
        result.append(node)
        result.extend(flatten(node.children))
    return result


def _common(parts: list[str]) -> str | None:
    return parts[0] if parts and len(set(parts)) == 1 else None


def number(roots: list[Spec], problems: Problems) -> None:
    """Give every node its number (see the module's docstring) and refuse numbers used twice."""
    for position, item in enumerate(roots, start=1):
        standards = [s for content in item.children for s in content.children]
        given = [m.groups() for s in standards if (m := _THREE_PARTS.match(s.given_code))]
        item.code = _common([parts[0] for parts in given]) or str(position)
        for place, content in enumerate(item.children, start=1):
            own = [m.groups() for s in content.children if (m := _THREE_PARTS.match(s.given_code))]
            content.code = _common([f"{a}.{b}" for a, b, _c in own]) or f"{item.code}.{place}"
            for index, standard in enumerate(content.children, start=1):
                standard.code = standard.given_code or f"{content.code}.{index}"
                parts = _THREE_PARTS.match(standard.given_code)
                if parts and f"{parts[1]}.{parts[2]}" != content.code:
                    problems.add(
                        standard.row,
                        "code",
                        _("The number %(code)s does not fit under its content, numbered %(content)s.")
                        % {"code": standard.code, "content": content.code},
                    )
    seen: dict[str, Spec] = {}
    for node in flatten(roots):
        first = seen.get(node.code)
        if first is None:
            seen[node.code] = node
            continue
        key = {Level.ITEM: "item", Level.CONTENT: "content"}.get(node.level, "code")
        problems.add(
            node.row,
            key,
            _("The number %(code)s is used twice (rows %(first)d and %(row)d).")
            % {"code": node.code, "first": first.row, "row": node.row},
        )
    for node in flatten(roots):
        if len(node.code) > 20:
            problems.add(node.row, "code", _("A number has at most 20 characters."))


def add_up(campaign: Campaign, roots: list[Spec], problems: Problems, *, whole: bool = True) -> None:
    """Give items and contents their points and refuse declared points that differ from the sums (and, when
    the file was read `whole`, items that do not add up to the campaign's full score)."""
    for item in roots:
        for content in item.children:
            _sum(content, "content_points", problems)
        _sum(item, "item_points", problems)
    total = sum((item.points for item in roots), Decimal(0))
    if whole and campaign.total_points is not None and roots and total != campaign.total_points:
        problems.add(
            0,
            "item_points",
            _("The items add up to %(sum)s points, but the campaign's full score is %(total)s.")
            % {"sum": shown(total), "total": shown(campaign.total_points)},
        )


def _sum(node: Spec, key: str, problems: Problems) -> None:
    below = sum((child.points for child in node.children), Decimal(0))
    if node.declared is None:
        node.points = below
        return
    node.points = node.declared
    if node.children and not node.broken and node.declared != below:
        problems.add(
            node.declared_row,
            key,
            _("%(text)s has %(points)s points, but the indicators under it add up to %(sum)s.")
            % {"text": node.text[:40], "points": shown(node.declared), "sum": shown(below)},
        )


# Comparing with the campaign's tree and writing


@dataclass
class Plan:
    """What the import will do: the file's nodes (matched by number) and the campaign's nodes to delete."""

    nodes: list[Spec]
    deletes: list[Indicator]
    renumber: bool


def _with_records(campaign: Campaign) -> set[int]:
    """The campaign's standards with assignments, evidence (withdrawn too) or plan tasks."""
    found = set(IndicatorAssignment.objects.filter(indicator__campaign=campaign).values_list("indicator_id", flat=True))
    found |= set(Evidence.objects.filter(indicator__campaign=campaign).values_list("indicator_id", flat=True))
    tasks = PlanTask.indicators.through.objects.filter(indicator__campaign=campaign)
    found |= set(tasks.values_list("indicator_id", flat=True))
    return found


def plan(campaign: Campaign, roots: list[Spec], problems: Problems) -> Plan:
    """Match the file's nodes to the campaign's by number; refuse what would remove or change a node's records."""
    existing = {indicator.code: indicator for indicator in Indicator.objects.filter(campaign=campaign)}
    records = _with_records(campaign)
    nodes = flatten(roots)
    wanted: set[str] = set()
    for node in nodes:
        old = existing.get(node.code)
        if old is not None and old.level == node.level:
            node.match = old
            wanted.add(node.code)
        elif old is not None and old.pk in records:
            problems.add(
                node.row,
                "code",
                _("Number %(code)s is a standard with assignments, evidence or tasks; it cannot become a %(level)s.")
                % {"code": node.code, "level": Level(node.level).label},
            )
    deletes = sorted(
        (old for code, old in existing.items() if code not in wanted),
        key=lambda indicator: (LEVEL_RANK[indicator.level], indicator.order, indicator.pk),
    )
    for old in deletes:
        if old.pk in records:
            problems.add(
                0,
                "code",
                _(
                    "Standard %(code)s “%(text)s” has assignments, evidence or tasks but is not in the file: add it "
                    "back, or take its records off first."
                )
                % {"code": old.code, "text": old.text[:40]},
            )
    stored = [indicator.code for indicator in selectors.flatten(selectors.tree(campaign))]
    return Plan(nodes=nodes, deletes=deletes, renumber=stored != [node.code for node in nodes])


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def _fields(node: Spec, order: int) -> dict[str, Any]:
    """The node's fields as `services.indicator_save` takes them: what the file leaves out, a matched node keeps
    (a new one takes the default); what only a standard has is cleared from the levels above."""
    match = node.match
    if node.level != Level.STANDARD:
        scoring, target, evidence = Scoring.MANUAL, "", 0
        public = match.public if match is not None else False
    else:
        scoring = node.scoring or (match.scoring if match is not None else Scoring.MANUAL)
        if node.target is not None:
            target = node.target
        else:
            target = match.inspection_target if match is not None and scoring == Scoring.INSPECTIONS else ""
        public = node.public if node.public is not None else (match.public if match is not None else False)
        evidence = node.evidence if node.evidence is not None else (match.evidence_required if match else 1)
    keeps_category = match is not None and scoring in (Scoring.CASE_CLOSURE, Scoring.CASE_ON_TIME)
    return {
        "level": node.level,
        "code": node.code,
        "text": node.text,
        "points": node.points,
        "method": node.method,
        "order": order,
        "public": public,
        "scoring": scoring,
        "inspection_target": target,
        "case_category": match.case_category if keeps_category else None,
        "evidence_required": evidence,
    }


def _differs(indicator: Indicator, fields: dict[str, Any], parent: Indicator | None) -> bool:
    if indicator.parent_id != (parent.pk if parent is not None else None):
        return True
    for name, value in fields.items():
        current = indicator.case_category_id if name == "case_category" else getattr(indicator, name)
        if name == "case_category":
            value = value.pk if value is not None else None
        if current != value:
            return True
    return False


def write(campaign: Campaign, roots: list[Spec], actor: User | None, problems: Problems) -> Counts | None:
    """Replace the campaign's tree by the file's, inside one transaction; None (nothing written) on problems."""
    counts = Counts()
    with transaction.atomic():
        # Locked and compared again inside the transaction: an edit since the check is seen, not overwritten.
        campaign = Campaign.objects.select_for_update().select_related("community").get(pk=campaign.pk)
        services.check_runs(actor, campaign.community)
        planned = plan(campaign, roots, problems)
        if problems:
            return None
        codes = {node.code for node in planned.nodes}
        try:
            for old in planned.deletes:
                if old.level == Level.STANDARD:
                    services.indicator_delete(actor=actor, indicator=old)
                    counts.deleted += 1
                elif old.code in codes:
                    # Its number goes to a node of another level in the file: it steps aside until deleted below.
                    _move_aside(campaign, old, actor)
            for position, node in enumerate(planned.nodes, start=1):
                order = position * 10 if planned.renumber or node.match is None else node.match.order
                fields = _fields(node, order)
                parent = node.parent.instance if node.parent is not None else None
                if node.match is not None and not _differs(node.match, fields, parent):
                    node.instance = node.match
                    counts.unchanged += 1
                    continue
                node.instance = services.indicator_save(
                    actor=actor, campaign=campaign, parent=parent, indicator=node.match, **fields
                )
                if node.match is None:
                    counts.created += 1
                else:
                    counts.updated += 1
            for old in planned.deletes:
                if old.level != Level.STANDARD:
                    services.indicator_delete(actor=actor, indicator=old)
                    counts.deleted += 1
        except ValidationError as error:
            # The checks should have caught it; the transaction is rolled back and the file refused.
            problems.add(0, "", " ".join(error.messages))
            transaction.set_rollback(True)
            return None
    return counts


def _move_aside(campaign: Campaign, indicator: Indicator, actor: User | None) -> None:
    """Give a node about to be deleted a number nobody uses, so that the file's node can take its number."""
    indicator = Indicator.objects.get(pk=indicator.pk)
    services.indicator_save(
        actor=actor,
        campaign=campaign,
        indicator=indicator,
        level=indicator.level,
        code=f"~{indicator.pk}"[:20],
        text=indicator.text,
        points=indicator.points,
        parent=indicator.parent,
        order=indicator.order,
    )


# The import as a whole


@dataclass
class TreeImport:
    """What an import did: rows read, problems found, and what was written (nothing when there are problems)."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    counts: Counts = field(default_factory=Counts)
    applied: bool = False
    ignored: list[str] = field(default_factory=list)
    error_path: Path | None = None

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        """One sentence for the page and the import job."""
        if not self.applied:
            return _("%(problems)d problems found; nothing was imported. Correct them and import the file again.") % {
                "problems": self.error_count
            }
        counts = self.counts
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(deleted)d deleted.") % {
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "deleted": counts.deleted,
        }


def import_tree(campaign: Campaign, path: Path, *, actor: User | None, error_path: Path | None = None) -> TreeImport:
    """Check the workbook as a whole, then make it the campaign's tree, or write nothing and list every problem.

    Raises LedgerFileError when the file as a whole is unusable, PermissionDenied when `actor` does not run the
    campaign. With `error_path`, the error workbook is written there when there are problems.
    """
    services.check_runs(actor, campaign.community)
    sheet = read_sheet(path)
    result = TreeImport(rows=len(sheet.rows), ignored=sheet.ignored)
    if not sheet.rows:
        raise LedgerFileError(_("The sheet has no indicators under its header row."))
    problems = Problems()
    builder = TreeBuilder(problems, sheet.present)
    for row in sheet.rows:
        builder.add(row)
    number(builder.roots, problems)
    add_up(campaign, builder.roots, problems, whole=not builder.lost)
    if not problems:
        plan(campaign, builder.roots, problems)
    if not problems:
        counts = write(campaign, builder.roots, actor, problems)
        if counts is not None:
            result.counts, result.applied = counts, True
    result.errors = sorted(problems.errors, key=lambda error: error.row)
    result.error_rows = problems.rows
    if result.errors and error_path is not None:
        result.error_path = ledgers.write_errors(result.errors, error_path)
    return result


def import_upload(campaign: Campaign, upload: Any, *, actor: User) -> tuple[TreeImport | None, ImportJob]:
    """Import an uploaded workbook now, and keep the run as an import job (its error workbook for download)."""
    job = ImportJob(
        ledger=NAME,
        actor=actor,
        scope_path=campaign.area_path,
        scope_code=campaign.community.code[:15],
        scope_name=f"{campaign.community.name} · {campaign.name}"[:100],
        file_name=Path(str(getattr(upload, "name", "") or "upload.xlsx")).name[:200],
        started_at=timezone.now(),
    )
    result = None
    with tempfile.TemporaryDirectory(prefix="wangge-indicators-") as folder:
        source = Path(folder) / "upload.xlsx"
        with source.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            result = import_tree(campaign, source, actor=actor, error_path=Path(folder) / "errors.xlsx")
        except LedgerFileError as error:
            job.status, job.message = ImportStatus.FAILED, str(error)[:500]
        else:
            job.status = ImportStatus.DONE if result.applied else ImportStatus.REJECTED
            job.message = result.summary()[:500]
            job.total = job.processed = result.rows
            job.error_count = result.error_count
            job.created, job.updated, job.unchanged = (
                result.counts.created,
                result.counts.updated,
                result.counts.unchanged,
            )
            job.errors = [
                {"row": e.row, "column": e.column, "message": e.message} for e in result.errors[: ledgers.ERROR_PREVIEW]
            ]
            if result.error_path is not None:
                with result.error_path.open("rb") as handle:
                    job.error_file.save("errors.xlsx", File(handle), save=False)
        job.finished_at = timezone.now()
        job.save()
    return result, job


# The template and the export


_BOLD = Font(bold=True)
_TOP = Alignment(vertical="top", wrap_text=True)
# A small community assessment system (两项, 10 分): what the template shows, and what it imports as.
EXAMPLE = [
    ["一、组织领导", "1.1 领导机制", "成立以社区党委书记为组长的创建工作领导小组，职责分工明确",
     Method.MATERIALS, 2, "1.1.1", 4, 3, Scoring.MANUAL, "", False, 1],
    [None, None, "制定年度创建工作计划，每季度召开专题推进会",
     Method.MATERIALS, 1, "1.1.2", None, None, Scoring.MANUAL, "", False, 4],
    [None, "1.2 宣传发动", "主要路段、楼院宣传栏和公益广告覆盖率达到100%",
     Method.FIELD, 1, "1.2.1", None, 1, Scoring.MANUAL, "", True, 2],
    ["二、市容环境", "2.1 环境卫生", "楼院、背街小巷干净整洁，无卫生死角、无积存垃圾",
     Method.FIELD, 3, "2.1.1", 6, 4, Scoring.INSPECTIONS, Target.COMPOUND, True, 1],
    [None, None, "垃圾分类设施配置到位，定时定点投放",
     Method.FIELD, 1, "2.1.2", None, None, Scoring.MANUAL, "", False, 1],
    [None, "2.2 市容秩序", "沿街门店无店外经营、占道经营和乱贴乱画",
     Method.FIELD, 2, "2.2.1", None, 2, Scoring.INSPECTIONS, Target.SHOP, True, 1],
]  # fmt: skip
_ENUMS = {"method": Method, "scoring": Scoring, "target": Target}


def _cell_value(key: str, value: Any) -> Any:
    """A value as the sheet shows it: choices by their label, yes/no as 是/否, points as plain numbers."""
    if key in _ENUMS:
        return enum_label(_ENUMS[key], value) if value else None
    if key == "public":
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write a cell; text that starts with "=" stays text (openpyxl would write a formula that Excel runs)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _merge_down(sheet: Any, key: str, first: int, last: int) -> None:
    if last > first:
        letter = get_column_letter(KEYS.index(key) + 1)
        sheet.merge_cells(f"{letter}{first}:{letter}{last}")


def template_workbook() -> Workbook:
    """The template: headers (required ones marked *), drop-downs, notes, and an example that imports as it is."""
    workbook = ledgers.template(LEDGER)
    sheet = workbook.worksheets[0]
    for number, values in enumerate(EXAMPLE, start=2):
        for index, (key, value) in enumerate(zip(KEYS, values, strict=True), start=1):
            cell = _put(sheet, number, index, _cell_value(key, value) if value is not None else None)
            cell.font = Font()
            cell.alignment = _TOP
    # The items and contents merged over their standards, as offices' files have them.
    for key, first, last in (("item", 2, 4), ("item", 5, 7), ("content", 2, 3), ("content", 5, 6)):
        _merge_down(sheet, key, first, last)
        _merge_down(sheet, f"{key}_points", first, last)
    notes = workbook.worksheets[-1]
    # core's note says the example row is skipped; this template's example imports as it is.
    notes.cell(row=notes.max_row, column=1, value=_("The example rows import as they are: replace them with yours."))
    notes.append([_("Blank or merged item and content cells mean: the same as the row above.")])
    notes.append([_("Importing replaces the campaign's indicator system; a standard with records must stay in it.")])
    return workbook


def export_tree(campaign: Campaign) -> tuple[Path, int]:
    """The campaign's tree in the layout the import reads (items and contents merged over their standards), in
    a temporary file the caller sends and deletes; and the number of standards."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(LEDGER.title)[:31]
    for index, column in enumerate(LEDGER.columns, start=1):
        _put(sheet, 1, index, str(column.header)).font = _BOLD
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    row = 2
    standards = 0
    for item in selectors.tree(campaign):
        item_first = row
        for content in item.children or [None]:
            content_first = row
            for standard in (content.children if content else []) or [None]:
                values = dict.fromkeys(KEYS)
                if row == item_first:
                    values["item"], values["item_points"] = item.indicator.text, item.indicator.points
                if content is not None and row == content_first:
                    values["content"], values["content_points"] = content.indicator.text, content.indicator.points
                if standard is not None:
                    values.update(_standard_cells(standard.indicator))
                    standards += 1
                for index, key in enumerate(KEYS, start=1):
                    value = values[key]
                    cell = _put(sheet, row, index, _cell_value(key, value) if value is not None else None)
                    cell.alignment = _TOP
                    if key == "code":
                        cell.number_format = "@"
                row += 1
            if content is not None:
                _merge_down(sheet, "content", content_first, row - 1)
                _merge_down(sheet, "content_points", content_first, row - 1)
        _merge_down(sheet, "item", item_first, row - 1)
        _merge_down(sheet, "item_points", item_first, row - 1)
    handle = tempfile.NamedTemporaryFile(prefix="wangge-indicators-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return Path(handle.name), standards


def _standard_cells(indicator: Indicator) -> dict[str, Any]:
    return {
        "standard": indicator.text,
        "method": indicator.method,
        "points": indicator.points,
        "code": indicator.code,
        "scoring": indicator.scoring,
        "target": indicator.inspection_target if indicator.scoring == Scoring.INSPECTIONS else "",
        "public": indicator.public,
        "evidence": indicator.evidence_required,
    }
