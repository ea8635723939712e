"""Excel ledgers (台账): templates to fill in, imports that check everything before writing, streamed exports.

The one ledger mechanism. An app describes each of its ledgers as a `Ledger` (columns with Chinese headers,
how a row is checked, how a batch of checked rows is written, how a record is exported) and registers it;
this module does the rest the same way for all of them:

- `template()`: a workbook with the headers, drop-down lists for the choice columns and an example row;
- `run_import()`: reads the workbook as a stream (openpyxl read-only: memory does not grow with the file),
  checks every row first (duplicates inside the file included) and then, in one transaction, writes either
  all rows or, if any row is wrong, nothing (unless the caller chose to apply the valid rows);
- `write_errors()`: the error workbook, with the row, the column and the message of every problem;
- `export()`: the rows a list page shows, written as a stream to a temporary file (openpyxl write-only).

Imports upsert by each ledger's natural key, so importing the same file again changes nothing.
"""

import contextvars
import datetime
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

# Excel serial day numbers of 1900-01-01 and 2100-12-31: a number in this range in a date column is a date.
_SERIAL_RANGE = (1, 73415)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_HEADER_NOISE = re.compile(r"[*＊\s]|（必填）|\(必填\)")
# Errors kept in memory for the page; all of them go to the error workbook.
ERROR_PREVIEW = 200
BATCH = 500


class _Masked:
    """A personal value that was exported masked (it holds *): the import keeps what is stored."""

    def __repr__(self) -> str:
        return "MASKED"


MASKED = _Masked()


class LedgerFileError(Exception):
    """The file as a whole can't be imported (not a workbook, too large, merged cells, wrong headers)."""


@dataclass(frozen=True)
class Column:
    """One column of a ledger: its key in row dicts, its header, and how a cell is read and written."""

    key: str
    header: str | Promise
    required: bool = False
    # text | code | int | decimal | date | choice | tags | bool
    kind: str = "text"
    choices: Callable[[], list[tuple[str, str]]] | None = None
    example: Any = ""
    width: int = 14
    max_length: int = 200
    # Personal data: exported masked unless revealed; a masked value in an import means "keep what is stored".
    pii: bool = False
    # Export-only columns (derived, like the grid's name) are ignored by imports.
    imported: bool = True
    help: str | Promise = ""


@dataclass
class RowError:
    row: int
    column: str
    message: str


class RowInvalid(Exception):
    """A row's problems: a list of (column key or "", message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "Counts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class ImportContext:
    """What a ledger's checks and writes need: who imports, into which area, and a per-import memo."""

    actor: Any
    scope: Any  # the Area (usually a community) the rows must lie in
    today: datetime.date = field(default_factory=timezone.localdate)
    memo: dict[str, Any] = field(default_factory=dict)


class Ledger:
    """A ledger: subclasses give the columns, the checks, the writes and the export rows."""

    name: str = ""
    title: str | Promise = ""
    model: type[models.Model]
    columns: tuple[Column, ...] = ()

    def prepare(self, ctx: ImportContext) -> None:
        """Load what every row will look up (places, choices) into `ctx.memo`, once per pass."""

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        """Check a batch of read rows; return (row number, cleaned row or RowInvalid) for each, in order."""
        raise NotImplementedError

    def natural_key(self, clean: Any) -> Any:
        """The key that says two rows are the same record (a duplicate in one file is an error)."""
        raise NotImplementedError

    def key_label(self) -> str:
        """The header of the natural key's column, for the duplicate message."""
        return str(self.columns[0].header)

    def apply_batch(self, cleans: list[Any], ctx: ImportContext) -> Counts:
        """Write a batch of checked rows (inside the import's transaction): create, update or leave each."""
        raise NotImplementedError

    def finish(self, ctx: ImportContext) -> Counts:
        """After the last batch, inside the import's transaction: write what needs every row of the file first."""
        return Counts()

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        """The queryset as the export needs it (select_related ...)."""
        return queryset

    def export_row(self, instance: models.Model, *, reveal: bool) -> list[Any]:
        """One record as a row of cells, in column order; personal data masked unless `reveal`."""
        raise NotImplementedError

    def example_row(self) -> list[Any]:
        return [
            str(column.example) if isinstance(column.example, Promise) else column.example for column in self.columns
        ]


_registry: dict[str, Ledger] = {}


# Helpers every app's ledgers use to declare columns and write rows


def enum_choices(enum: type[models.TextChoices]) -> Callable[[], list[tuple[str, str]]]:
    """A column's drop-down of an enum's values and labels, read when the template is made (in its language)."""
    return lambda: list(enum.choices)


def enum_label(enum: type[models.TextChoices], value: str) -> str:
    """The label a stored value shows in a ledger (the value itself when it is not one of the enum's)."""
    return str(enum(value).label) if value in enum.values else value


def local_time(value: datetime.datetime | None) -> str:
    """A moment as local text (Excel has no time zones; the office reads Beijing time)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def register(ledger: Ledger) -> Ledger:
    """Add a ledger (from an app's ledgers module, imported in its AppConfig.ready)."""
    _registry[ledger.name] = ledger
    return ledger


def ledgers() -> dict[str, Ledger]:
    return dict(_registry)


def get(name: str) -> Ledger:
    try:
        return _registry[name]
    except KeyError:
        raise LedgerFileError(_("Unknown ledger: %(name)s") % {"name": name}) from None


# Where imports go: the territory app says which areas (communities) a user may take an action in; core knows
# no areas. The finder takes (user or None for the system, action) and returns a queryset of areas with
# `code`, `name` and `path`.
ScopeFinder = Callable[[Any, str], models.QuerySet]
_scope_finder: ScopeFinder | None = None


def register_scopes(finder: ScopeFinder) -> None:
    """Tell the ledgers which areas an import may be filed under (called from the territory app's ready)."""
    global _scope_finder
    _scope_finder = finder


def scopes(user: Any, *actions: str) -> models.QuerySet:
    """The areas (communities) in which `user` (None: the system) may take every one of `actions`."""
    if _scope_finder is None:
        raise LedgerFileError(_("No area is known to import into."))
    found = _scope_finder(user, actions[0])
    for action in actions[1:]:
        found = found.filter(pk__in=_scope_finder(user, action).values("pk"))
    return found.order_by("path")


# Reading cells


def _text(value: Any, *, fold: bool = True) -> str:
    """The cell as trimmed text; `fold` turns full-width digits, letters and signs (全角) into plain ones."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return (unicodedata.normalize("NFKC", text) if fold else text).strip()


def parse_cell(column: Column, value: Any) -> Any:
    """The cell's value as the column's kind; raises ValueError with a message for the user."""
    # As the cell is read (folded, stripped): " =HYPERLINK(...)" or "＝..." would otherwise be kept as "=...".
    if isinstance(value, str) and _text(value).startswith("="):
        raise ValueError(_("This cell holds a formula; paste its value instead (Paste Special → Values)."))
    if column.kind == "code" and isinstance(value, int | float) and not isinstance(value, bool):
        # Excel keeps 15 significant digits: an 18-digit ID number typed as a number has lost its tail.
        if abs(value) >= 1e15:
            raise ValueError(_("Excel shortened this long number; format the column as text and type it again."))
    if column.kind in ("text", "code"):
        # Free text keeps its Chinese punctuation (（）、，) as typed; codes are folded to plain characters.
        text = _text(value, fold=column.kind == "code")
        if column.kind == "code":
            text = text.replace(" ", "")
        if len(text) > column.max_length:
            raise ValueError(_("At most %(n)d characters.") % {"n": column.max_length})
        return text
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "int":
        text = _text(value)
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(_("Enter a whole number."))
        return int(text)
    if column.kind == "decimal":
        try:
            return float(_text(value))
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
    if column.kind == "bool":
        text = _text(value).lower()
        if text in ("是", "y", "yes", "true", "1", "√", "✓"):
            return True
        if text in ("否", "n", "no", "false", "0", "×"):
            return False
        raise ValueError(_("Enter 是 or 否."))
    if column.kind == "choice":
        return parse_choice(column, _text(value))
    if column.kind == "tags":
        return [parse_choice(column, part) for part in _TAG_SEPARATORS.split(_text(value)) if part]
    raise ValueError(f"unknown column kind {column.kind}")


def parse_date(value: Any) -> datetime.date:
    """A date from a date cell, an Excel serial number, or text such as 2014-06-01, 2014/6/1, 2014年6月1日."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return from_excel(value).date()
        text = str(int(value)) if float(value).is_integer() else str(value)
    else:
        text = _text(value)
    if re.fullmatch(r"\d{5}", text) and _SERIAL_RANGE[0] <= int(text) <= _SERIAL_RANGE[1]:
        return from_excel(int(text)).date()
    text = text.replace(" ", "")
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("Not a date; write it as 2014-06-01."))


def _choice_lookup(column: Column) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in column.choices():
        table[str(value).lower()] = value
        table[unicodedata.normalize("NFKC", str(label)).strip().lower()] = value
    return table


# The choice tables of the import pass under way: a column's choices may come from the database (trades), and
# building its table for every cell would cost three queries a cell.
_choice_tables: contextvars.ContextVar[dict[int, dict[str, str]] | None] = contextvars.ContextVar(
    "ledger_choice_tables", default=None
)


def _choice_table(column: Column) -> dict[str, str]:
    """Label (either language) or code → stored value; built once per import pass."""
    tables = _choice_tables.get()
    if tables is not None and id(column) in tables:
        return tables[id(column)]
    table = _choice_lookup(column)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            table.update(_choice_lookup(column))
    if tables is not None:
        tables[id(column)] = table
    return table


def parse_choice(column: Column, text: str) -> str:
    """The stored value of a choice given as its label (any language) or its code."""
    table = _choice_table(column)
    value = table.get(text.lower())
    if value is None:
        allowed = "、".join(str(label) for _value, label in column.choices())
        raise ValueError(_("“%(text)s” is not one of: %(allowed)s") % {"text": text[:30], "allowed": allowed})
    return value


# Reading workbooks


def _header_key(text: Any) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(text or "")))


def _header_map(ledger: Ledger) -> dict[str, Column]:
    """Header text → column, in both languages, so a template made in English imports too."""
    table: dict[str, Column] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for column in ledger.columns:
                table[_header_key(column.header)] = column
    return table


def check_file(path: Path) -> None:
    """File-level checks before any row is read: size, that it is an .xlsx workbook, its unpacked size."""
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_MB * 1024 * 1024
    if size > limit:
        raise LedgerFileError(
            _("The file is %(size).0f MB; at most %(limit)d MB can be imported at once. Split it into parts.")
            % {"size": size / 1024 / 1024, "limit": settings.IMPORT_MAX_MB}
        )
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise LedgerFileError(_("This is an old-style .xls file; open it in Excel or WPS and save it as .xlsx."))
        raise LedgerFileError(_("This file is not an Excel workbook (.xlsx)."))
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if "[Content_Types].xml" not in archive.namelist():
            raise LedgerFileError(_("This file is not an Excel workbook (.xlsx)."))
    # A small zip that unpacks to gigabytes is an attack, not a ledger.
    if unpacked > limit * 20:
        raise LedgerFileError(_("This workbook unpacks to more data than can be imported."))


def _merged_ranges(worksheet: Any) -> list[str]:
    """The merged ranges of a read-only sheet, found by streaming its XML (openpyxl does not expose them)."""
    found: list[str] = []
    tail = b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            found.extend(match.decode() for match in _MERGE.findall(data))
            tail = data[-200:]
            if len(found) > 20:
                break
    return sorted(set(found))


@dataclass
class Sheet:
    """An open ledger workbook: its column positions, ready to stream rows."""

    workbook: Any
    worksheet: Any
    positions: list[tuple[int, Column]]

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, {column key: raw value}) for every non-empty row below the header."""
        for number, values in enumerate(self.worksheet.iter_rows(min_row=2, values_only=True), start=2):
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield number, {column.key: (values[i] if i < len(values) else None) for i, column in self.positions}

    def estimate(self) -> int:
        """Rows below the header as the sheet declares them (formatted empty rows count): a progress hint."""
        declared = self.worksheet.max_row
        return max(declared - 1, 0) if isinstance(declared, int) else 0

    def close(self) -> None:
        self.workbook.close()


def open_sheet(ledger: Ledger, path: Path) -> Sheet:
    """Open the workbook's first sheet and match its header row to the ledger's columns."""
    check_file(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise LedgerFileError(_("This file is not an Excel workbook (.xlsx), or it is damaged.")) from None
    try:
        worksheet = workbook.worksheets[0]
        merged = _merged_ranges(worksheet)
        if merged:
            raise LedgerFileError(
                _("The sheet has merged cells (%(ranges)s); unmerge them so that every row stands alone.")
                % {"ranges": ", ".join(merged[:10])}
            )
        header = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
        table = _header_map(ledger)
        positions: list[tuple[int, Column]] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for index, text in enumerate(header):
            key = _header_key(text)
            if not key:
                continue
            column = table.get(key)
            if column is None:
                unknown.append(str(text).strip())
            elif column.key in seen:
                raise LedgerFileError(_("The column “%(header)s” appears twice.") % {"header": str(text).strip()})
            elif column.imported:
                positions.append((index, column))
                seen.add(column.key)
            else:
                seen.add(column.key)
        problems: list[str] = []
        missing = [str(c.header) for c in ledger.columns if c.required and c.key not in seen]
        if missing:
            problems.append(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
        if unknown:
            problems.append(_("Unknown columns: %(columns)s.") % {"columns": "、".join(unknown[:10])})
        if problems:
            problems.append(_("Download the template to see the expected headers."))
            raise LedgerFileError(" ".join(problems))
        return Sheet(workbook=workbook, worksheet=worksheet, positions=positions)
    except BaseException:
        workbook.close()
        raise


def read_row(ledger: Ledger, raw: dict[str, Any]) -> dict[str, Any]:
    """Parse each present cell by its column; raises RowInvalid listing every bad cell."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    columns = {column.key: column for column in ledger.columns}
    for key, value in raw.items():
        column = columns[key]
        if column.pii and isinstance(value, str) and "*" in value:
            values[key] = MASKED  # exported masked: keep the stored value
            continue
        try:
            values[key] = parse_cell(column, value)
        except ValueError as error:
            problems.append((key, str(error)))
            continue
        if column.required and values[key] in (None, "", []):
            problems.append((key, _("This column must be filled in.")))
    if problems:
        raise RowInvalid(problems)
    return values


# Importing


@dataclass
class ImportResult:
    """What an import did: rows read, problems found, and what was written (nothing when errors and not forced)."""

    total: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    error_rows: set[int] = field(default_factory=set)
    counts: Counts = field(default_factory=Counts)
    applied: bool = False
    error_path: Path | None = None

    @property
    def valid(self) -> int:
        return self.total - len(self.error_rows)


Progress = Callable[[str, int, int], None]


def _noop(phase: str, done: int, total: int) -> None:
    return None


def _is_example(ledger: Ledger, raw: dict[str, Any]) -> bool:
    """The template's example row left in place is skipped, not imported."""
    example = dict(zip((column.key for column in ledger.columns), ledger.example_row(), strict=True))
    return all(_text(value) == _text(example.get(key, "")) for key, value in raw.items())


def _batches(sheet: Sheet, ledger: Ledger, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for number, raw in sheet.rows():
        if number == 2 and _is_example(ledger, raw):
            continue
        batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _checked(ledger: Ledger, batch: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
    """Read and check a batch: cells first, then the ledger's own checks on the rows whose cells read."""
    outcomes: dict[int, Any] = {}
    readable: list[tuple[int, dict[str, Any]]] = []
    for number, raw in batch:
        try:
            readable.append((number, read_row(ledger, raw)))
        except RowInvalid as invalid:
            outcomes[number] = invalid
    for number, outcome in ledger.clean_batch(readable, ctx):
        outcomes[number] = outcome
    return [(number, outcomes[number]) for number, _raw in batch]


def run_import(
    ledger: Ledger,
    path: Path,
    *,
    actor: Any,
    scope: Any,
    apply_valid: bool = False,
    progress: Progress = _noop,
    error_path: Path | None = None,
) -> ImportResult:
    """Check every row of the workbook, then write all of it in one transaction, or nothing.

    With errors, nothing is written unless `apply_valid`: then the valid rows are written and the others
    listed. The error workbook goes to `error_path` when there are errors. Raises LedgerFileError when the
    file as a whole is unusable.
    """
    result = ImportResult()
    headers = {column.key: str(column.header) for column in ledger.columns}
    first_rows: dict[Any, int] = {}

    def problem(row: int, key: str, message: str) -> None:
        result.error_rows.add(row)
        result.error_count += 1
        if len(result.errors) < ERROR_PREVIEW:
            result.errors.append(RowError(row=row, column=headers.get(key, ""), message=message))
        if writer is not None:
            writer.append(row, headers.get(key, ""), message)

    writer = _ErrorWriter(error_path) if error_path is not None else None
    tables = _choice_tables.set({})
    try:
        _check(
            ledger,
            path,
            ctx=ImportContext(actor=actor, scope=scope),
            result=result,
            problem=problem,
            first_rows=first_rows,
            progress=progress,
        )
        if writer is not None:
            result.error_path = writer.close() if result.error_count else writer.discard()
        if result.error_count and not apply_valid:
            return result
        _choice_tables.set({})
        _apply(ledger, path, ctx=ImportContext(actor=actor, scope=scope), result=result, progress=progress)
    except BaseException:
        if writer is not None and result.error_path is None:
            writer.discard()
        raise
    finally:
        _choice_tables.reset(tables)
    return result


def _check(
    ledger: Ledger,
    path: Path,
    *,
    ctx: ImportContext,
    result: ImportResult,
    problem: Callable[[int, str, str], None],
    first_rows: dict[Any, int],
    progress: Progress,
) -> None:
    """The first pass: every row read and checked, problems reported, nothing written."""
    ledger.prepare(ctx)
    sheet = open_sheet(ledger, path)
    estimate = sheet.estimate()
    try:
        for batch in _batches(sheet, ledger, BATCH):
            for number, outcome in _checked(ledger, batch, ctx):
                result.total += 1
                if result.total > settings.IMPORT_MAX_ROWS:
                    raise LedgerFileError(
                        _("The file has more than %(n)d rows; split it into parts.") % {"n": settings.IMPORT_MAX_ROWS}
                    )
                if isinstance(outcome, RowInvalid):
                    for key, message in outcome.problems:
                        problem(number, key, message)
                    continue
                key = ledger.natural_key(outcome)
                if key is not None:
                    if key in first_rows:
                        problem(
                            number,
                            "",
                            _("The same %(key)s as row %(row)d: each record may appear once.")
                            % {"key": ledger.key_label(), "row": first_rows[key]},
                        )
                        continue
                    first_rows[key] = number
            # A sheet without a declared size (openpyxl's own write-only files) has no estimate: total unknown.
            progress("checking", result.total, estimate if estimate >= result.total else 0)
    finally:
        sheet.close()
    first_rows.clear()


@transaction.atomic
def _apply(ledger: Ledger, path: Path, *, ctx: ImportContext, result: ImportResult, progress: Progress) -> None:
    """The second pass: the same rows, checked again inside the transaction, written batch by batch."""
    ledger.prepare(ctx)
    sheet = open_sheet(ledger, path)
    done = 0
    try:
        for batch in _batches(sheet, ledger, BATCH):
            batch = [(number, raw) for number, raw in batch if number not in result.error_rows]
            cleans = []
            for number, outcome in _checked(ledger, batch, ctx):
                if isinstance(outcome, RowInvalid):
                    # The register changed between the passes (another import, an edit): stop, write nothing.
                    raise LedgerFileError(
                        _("Row %(row)d no longer passes its checks: %(message)s. Nothing was imported; try again.")
                        % {"row": number, "message": outcome.problems[0][1]}
                    )
                cleans.append(outcome)
            if cleans:
                result.counts.add(ledger.apply_batch(cleans, ctx))
            done += len(batch)
            progress("writing", done, result.valid)
        result.counts.add(ledger.finish(ctx))
    finally:
        sheet.close()
    result.applied = True


class _ErrorWriter:
    """The error workbook, written as a stream: row, column, message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(_("Problems"))
        self.sheet.column_dimensions["A"].width = 8
        self.sheet.column_dimensions["B"].width = 18
        self.sheet.column_dimensions["C"].width = 80
        self.sheet.append([_("Row"), _("Column"), _("Problem")])

    def append(self, row: int, column: str, message: str) -> None:
        # A message may quote the file's text ("=HYPERLINK(...)" has 5 points ...): it stays text, never a formula.
        self.sheet.append([row, as_text_cell(self.sheet, column), as_text_cell(self.sheet, message)])

    def close(self) -> Path:
        self.workbook.save(self.path)
        self.closed = True
        return self.path

    def discard(self) -> None:
        """No workbook after all. A write-only sheet streams to a temporary file that only saving closes."""
        if not getattr(self, "closed", False):
            self.close()
            self.path.unlink(missing_ok=True)
        return None


def write_errors(errors: Iterable[RowError], path: Path) -> Path:
    """An error workbook from a list of problems."""
    writer = _ErrorWriter(path)
    for error in errors:
        writer.append(error.row, error.column, error.message)
    return writer.close()


# Templates and exports


_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_EXAMPLE_FONT = Font(italic=True, color="808080")


def template(ledger: Ledger) -> Workbook:
    """A workbook to fill in: headers (required ones marked *), drop-downs, an example row, and the notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(ledger.title)[:31]
    options = workbook.create_sheet(_("Options"))
    options.sheet_state = "hidden"
    notes = workbook.create_sheet(_("Notes"))
    notes.append([_("Column"), _("Required"), _("How to fill it in")])
    imported = [column for column in ledger.columns if column.imported]
    for index, column in enumerate(imported, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=f"{column.header}*" if column.required else str(column.header))
        cell.font = _HEADER_FONT
        if column.required:
            cell.fill = _REQUIRED_FILL
        sheet.column_dimensions[letter].width = column.width
        value = str(column.example) if isinstance(column.example, Promise) else column.example
        example = sheet.cell(row=2, column=index, value=value if value != "" else None)
        example.font = _EXAMPLE_FONT
        if column.kind in ("code", "text"):
            # Text format keeps long numbers (ID numbers) and leading zeros as typed.
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.kind in ("choice", "bool", "tags"):
            labels = [str(label) for _value, label in column.choices()] if column.choices else ["是", "否"]
            for row, label in enumerate(labels, start=1):
                options.cell(row=row, column=index, value=label)
            validation = DataValidation(
                type="list",
                formula1=f"'{options.title}'!${letter}$1:${letter}${len(labels)}",
                allow_blank=not column.required,
                showErrorMessage=column.kind != "tags",
                errorTitle=str(column.header),
                error=_("Choose a value from the list."),
            )
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)
        notes.append([str(column.header), _("yes") if column.required else "", str(column.help)])
    notes.append([])
    notes.append([_("The grey example row is skipped when left unchanged; overwrite or delete it.")])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 80
    sheet.freeze_panes = "A2"
    return workbook


def as_text_cell(sheet: Any, value: Any) -> Any:
    """`value` for a row of a write-only sheet; text that starts with "=" stays text (openpyxl would write a
    formula, which Excel runs when the file is opened: a shop named "=HYPERLINK(...)" must not)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def export(ledger: Ledger, rows: Iterable[models.Model], *, reveal: bool) -> Path:
    """The records as a ledger workbook in a temporary file, written as a stream (bounded memory).

    The caller sends the file and deletes it. The header row is the template's, so the file imports again.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(ledger.title)[:31])
    for index, column in enumerate(ledger.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([str(column.header) for column in ledger.columns])
    for instance in rows:
        sheet.append([as_text_cell(sheet, value) for value in ledger.export_row(instance, reveal=reveal)])
    handle = tempfile.NamedTemporaryFile(prefix="wangge-export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return Path(handle.name)


def cell_date(value: datetime.date | None) -> str:
    """Dates export as ISO text: Excel shows them as typed and they import back unchanged."""
    return value.isoformat() if value else ""
