"""The assessment binder (迎检台账): a campaign's evidence as the assessors ask for it, in one zip.

The zip holds `00 目录.xlsx` (the whole tree in order: number, text, method, points, self-assessed score,
evidence against what is required, complete or not, responsible persons) and, per item, a folder
"01 <item>" with the item's workbook "01 <item>.xlsx" (its contents and standards and, under each standard, its
evidence: title, kind, date, area, filed by, and the file's place in the zip, the minutes, or the linked record)
and the files under "<standard number> <short text>/<date> <title>.<ext>". Everything follows the tree's order.

What goes in is the evidence `user` may see (`selectors.evidence_for`: a grid's staff their grid's; withdrawn
evidence never); the scores and completeness are the campaign's (`selectors.standard_states`). Names are made
safe for Windows and unique in their folder; the zip is written to a temporary file, the files copied into it
in chunks, so neither the zip nor a large file is held in memory.
"""

import datetime
import io
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.campaigns import selectors
from wangge.campaigns.models import Campaign, Evidence, EvidenceKind, Level, Method
from wangge.campaigns.selectors import Node, StandardState
from wangge.cases.models import State
from wangge.core.ledgers import enum_label
from wangge.inspections.models import Result

# Windows refuses these characters and names; a path longer than 260 characters does not open in Explorer.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
ITEM_NAME = 40
STANDARD_NAME = 24
FILE_NAME = 60
CHUNK = 1 << 20
# Already compressed: stored as they are.
_STORED = {".jpg", ".jpeg", ".png", ".zip", ".docx", ".xlsx", ".pptx"}
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAP = Alignment(vertical="top", wrap_text=True)


def may_export(user: User, campaign: Campaign) -> bool:
    """Whether `user` may download the campaign's ledgers: the export right somewhere in its community."""
    prefixes = user.area_prefixes(Action.EXPORT)
    if prefixes is None:
        return True
    path = campaign.area_path
    return any(prefix.startswith(path) or path.startswith(prefix) for prefix in prefixes)


def safe_name(text: str, limit: int) -> str:
    """`text` as a file or folder name Windows accepts: no forbidden characters, no reserved name, no trailing
    dot or space, at most `limit` characters."""
    name = unicodedata.normalize("NFC", str(text or ""))
    name = _FORBIDDEN.sub("_", " ".join(name.split()))[:limit].strip(" .")
    if name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name or "_"


class Folder:
    """The names taken in one folder of the zip (compared as Windows does, ignoring case)."""

    def __init__(self, path: str = "") -> None:
        self.path = path
        self.taken: set[str] = set()

    def take(self, stem: str, suffix: str = "") -> str:
        """A unique name in this folder: `stem`, else `stem (2)` ...; returns the full path in the zip."""
        name, count = f"{stem}{suffix}", 1
        while name.lower() in self.taken:
            count += 1
            name = f"{stem} ({count}){suffix}"
        self.taken.add(name.lower())
        return f"{self.path}/{name}" if self.path else name


@dataclass
class Made:
    """A binder written to a temporary file (the caller sends and deletes it), and what it holds."""

    path: Path
    evidence: int
    files: int


def binder_evidence(user: User, campaign: Campaign) -> QuerySet[Evidence]:
    """The evidence that goes into `user`'s binder, with what the workbooks name."""
    return selectors.evidence_for(user, campaign).select_related(
        "case__category", "inspection__compound", "inspection__shop", "inspection__building", "compound"
    )


def _person(user: User | None) -> str:
    return (user.display_name or user.username) if user is not None else ""


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _suffix(evidence: Evidence) -> str:
    """The file's extension: the user's name's, else the stored file's."""
    suffix = PurePath(evidence.file_name).suffix.lower() or PurePath(evidence.file.name).suffix.lower()
    return f".{safe_name(suffix[1:], 10)}" if len(suffix) > 1 else ""


def _linked(evidence: Evidence) -> str:
    """The linked record, as the assessors read it."""
    if evidence.kind == EvidenceKind.CASE and evidence.case is not None:
        case = evidence.case
        # Never the case's description: it may name residents, and a binder travels (assessors, other offices).
        return _("Case %(number)s: %(category)s (%(state)s)") % {
            # Never the tracking code: it is the reporter's secret (their page rates and reopens the case).
            "number": case.number or _("not yet registered"),
            "category": case.category.name,
            "state": enum_label(State, case.state),
        }
    if evidence.kind == EvidenceKind.INSPECTION and evidence.inspection is not None:
        inspection = evidence.inspection
        place = inspection.place
        return _("Inspection of %(place)s on %(date)s: %(score)s points, %(result)s") % {
            "place": f"{place.name} ({place.code})" if place is not None else "",
            "date": timezone.localtime(inspection.inspected_at).date().isoformat(),
            "score": inspection.score,
            "result": enum_label(Result, Result.PASS if inspection.passed else Result.FAIL),
        }
    if evidence.kind == EvidenceKind.NOTICE and evidence.compound is not None:
        compound = evidence.compound
        return _("Notice board of %(compound)s (%(code)s)") % {"compound": compound.name, "code": compound.code}
    return ""


def _persons(state: StandardState | None) -> str:
    if state is None:
        return ""
    return "；".join(f"{row.assignment.area.name} {_person(row.assignment.person)}" for row in state.assignments)


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write a cell (an empty text stays empty); text that starts with "=" stays text (a title must not become a
    formula Excel runs)."""
    cell = sheet.cell(row=row, column=column, value=None if value == "" else value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    cell.alignment = _WRAP
    return cell


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "Sheet"


@dataclass
class Placed:
    """One piece of evidence with the path its file takes in the zip (empty: no file)."""

    evidence: Evidence
    path: str


def _scores(node: Node, states: dict[int, StandardState]) -> tuple[Decimal | None, bool]:
    """An item's or content's self-assessed score (the sum of its standards' scores) and completeness."""
    found = [states[s.pk] for s in node.standards() if s.pk in states]
    scored = [state.score for state in found if state.score is not None]
    score = sum(scored, Decimal(0)) if scored else None
    return score, bool(found) and all(state.complete for state in found)


def _contents_workbook(roots: list[Node], states: dict[int, StandardState], counts: dict[int, int]) -> bytes:
    """00 目录.xlsx: every node of the tree in order, with its state."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(_("Contents"))
    headers = [
        _("Number"),
        _("Level"),
        _("Text"),
        _("Assessment method"),
        _("Points"),
        _("Self-assessed score"),
        _("Evidence (filed / required)"),
        _("Complete"),
        _("Responsible persons"),
        _("In this binder"),
    ]
    for column, text in enumerate(headers, start=1):
        _put(sheet, 1, column, text).font = _BOLD
    for letter, width in zip("ABCDEFGHIJ", (10, 8, 50, 12, 8, 10, 12, 8, 30, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    row = 2

    def walk(nodes: list[Node]) -> None:
        nonlocal row
        for node in nodes:
            indicator = node.indicator
            values: list[Any] = [indicator.code, enum_label(Level, indicator.level), indicator.text]
            if indicator.level == Level.STANDARD:
                state = states.get(indicator.pk)
                values += [
                    enum_label(Method, indicator.method),
                    _number(indicator.points),
                    _number(state.score) if state else None,
                    f"{state.evidence if state else 0}/{state.required if state else indicator.evidence_required}",
                    _yes(bool(state and state.complete)),
                    _persons(state),
                    counts.get(indicator.pk, 0),
                ]
            else:
                score, complete = _scores(node, states)
                values += ["", _number(indicator.points), _number(score), "", _yes(complete), "", None]
            for column, value in enumerate(values, start=1):
                cell = _put(sheet, row, column, value)
                if indicator.level != Level.STANDARD:
                    cell.font = _BOLD
            row += 1
            walk(node.children)

    walk(roots)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _item_workbook(item: Node, states: dict[int, StandardState], placed: dict[int, list[Placed]], folder: str) -> bytes:
    """The item's workbook: its contents and standards and, under each standard, its evidence."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(f"{item.indicator.code} {item.indicator.text}")
    _put(sheet, 1, 1, f"{item.indicator.code} {item.indicator.text}").font = _TITLE
    _put(sheet, 1, 4, _number(item.indicator.points))
    headers = [
        _("Number"),
        _("Content, standard or evidence"),
        _("Assessment method"),
        _("Points"),
        _("Self-assessed score"),
        _("Evidence (filed / required)"),
        _("Complete"),
        _("Responsible persons"),
        _("Kind"),
        _("Date"),
        _("Area"),
        _("Filed by"),
        _("File in the binder"),
        _("Minutes or linked record"),
    ]
    for column, text in enumerate(headers, start=1):
        _put(sheet, 2, column, text).font = _BOLD
    for letter, width in zip("ABCDEFGHIJKLMN", (10, 44, 12, 8, 10, 12, 8, 24, 10, 11, 12, 10, 48, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    row = 3
    for content in item.children:
        score, complete = _scores(content, states)
        values = [content.indicator.code, content.indicator.text, "", _number(content.indicator.points)]
        values += [_number(score), "", _yes(complete)]
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value).font = _BOLD
        row += 1
        for node in content.children:
            standard = node.indicator
            state = states.get(standard.pk)
            values = [
                standard.code,
                standard.text,
                enum_label(Method, standard.method),
                _number(standard.points),
                _number(state.score) if state else None,
                f"{state.evidence if state else 0}/{state.required if state else standard.evidence_required}",
                _yes(bool(state and state.complete)),
                _persons(state),
            ]
            for column, value in enumerate(values, start=1):
                _put(sheet, row, column, value)
            row += 1
            for piece in placed.get(standard.pk, []):
                evidence = piece.evidence
                values = [
                    "",
                    f"· {evidence.title}",
                    *[""] * 6,
                    enum_label(EvidenceKind, evidence.kind),
                    evidence.occurred_on.isoformat(),
                    evidence.area.name,
                    _person(evidence.filed_by),
                    piece.path,
                    evidence.text or _linked(evidence),
                ]
                for column, value in enumerate(values, start=1):
                    cell = _put(sheet, row, column, value)
                if piece.path:
                    # A link relative to the item's workbook opens the file once the zip is unpacked.
                    cell = sheet.cell(row=row, column=13)
                    cell.hyperlink = piece.path[len(folder) + 1 :]
                    cell.style = "Hyperlink"
                row += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes, stamp: tuple) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _copy_file(archive: zipfile.ZipFile, name: str, evidence: Evidence, stamp: tuple) -> None:
    """Copy a stored file into the zip in chunks."""
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED if PurePath(name).suffix.lower() in _STORED else zipfile.ZIP_DEFLATED
    with evidence.file.open("rb") as source, archive.open(info, "w", force_zip64=evidence.size > 1 << 30) as target:
        shutil.copyfileobj(source, target, CHUNK)


def build(user: User, campaign: Campaign, *, as_of: datetime.date | None = None) -> Made:
    """Write `user`'s binder of the campaign to a temporary file (the caller checks the export right)."""
    roots = selectors.tree(campaign)
    states = {state.indicator.pk: state for state in selectors.standard_states(campaign, as_of=as_of)}
    by_standard: dict[int, list[Evidence]] = defaultdict(list)
    total = 0
    for evidence in binder_evidence(user, campaign):
        by_standard[evidence.indicator_id].append(evidence)
        total += 1
    counts = {pk: len(pieces) for pk, pieces in by_standard.items()}
    now = timezone.localtime()
    stamp = (now.year, now.month, now.day, now.hour, now.minute, now.second)
    handle = tempfile.NamedTemporaryFile(prefix="wangge-binder-", suffix=".zip", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    files = 0
    width = max(2, len(str(len(roots))))
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            top = Folder()
            # Outside the f-string: xgettext does not read calls inside one.
            contents_name = _("Contents")
            contents = top.take(f"{0:0{width}d} {contents_name}", ".xlsx")
            _write_bytes(archive, contents, _contents_workbook(roots, states, counts), stamp)
            for position, item in enumerate(roots, start=1):
                stem = f"{position:0{width}d} {safe_name(item.indicator.text, ITEM_NAME)}"
                folder = Folder(top.take(stem))
                workbook_name = folder.take(stem, ".xlsx")
                placed: dict[int, list[Placed]] = {}
                copies: list[Placed] = []
                for standard in item.standards():
                    pieces = by_standard.get(standard.pk, [])
                    if not pieces:
                        continue
                    standard_folder = None
                    for evidence in pieces:
                        piece = Placed(evidence, "")
                        if evidence.file and evidence.file.storage.exists(evidence.file.name):
                            if standard_folder is None:
                                short = safe_name(f"{standard.code} {standard.text}", STANDARD_NAME)
                                standard_folder = Folder(folder.take(short))
                            title = safe_name(f"{evidence.occurred_on.isoformat()} {evidence.title}", FILE_NAME)
                            piece.path = standard_folder.take(title, _suffix(evidence))
                            copies.append(piece)
                        placed.setdefault(standard.pk, []).append(piece)
                _write_bytes(archive, workbook_name, _item_workbook(item, states, placed, folder.path), stamp)
                for piece in copies:
                    _copy_file(archive, piece.path, piece.evidence, stamp)
                    files += 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Made(path=path, evidence=total, files=files)
