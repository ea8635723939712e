"""The ledger engine: every bad workbook gets a clear message and writes nothing; cells are read as people
type them (dates as text or serial numbers, full-width digits, spaces); templates and error workbooks."""

import datetime
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db.models import TextChoices

from wangge.core import ledgers
from wangge.core.ledgers import Column, Counts, ImportContext, Ledger, LedgerFileError, RowInvalid
from wangge.territory.ledgers import COMPOUNDS
from wangge.territory.models import Compound

pytestmark = pytest.mark.django_db


class Colour(TextChoices):
    RED = "red", "红色"
    BLUE = "blue", "蓝色"


class ProbeLedger(Ledger):
    """A ledger that writes into a list: the engine's reading and flow, without a model."""

    name = "probe"
    title = "Probe"
    columns = (
        Column("code", "Code", required=True, kind="code", example="X-1"),
        Column("day", "Day", kind="date", example="2014-06-01"),
        Column("count", "Count", kind="int", example=3),
        Column("colour", "Colour", kind="choice", choices=lambda: list(Colour.choices), example="红色"),
        Column("note", "Note"),
    )

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    def clean_batch(self, rows: list[tuple[int, dict[str, Any]]], ctx: ImportContext) -> list[tuple[int, Any]]:
        return [
            (number, RowInvalid([("note", "bad note")]) if values.get("note") == "bad" else values)
            for number, values in rows
        ]

    def natural_key(self, clean: dict[str, Any]) -> Any:
        return clean["code"]

    def apply_batch(self, cleans: list[dict[str, Any]], ctx: ImportContext) -> Counts:
        self.written.extend(cleans)
        return Counts(created=len(cleans))


def workbook(path: Path, header: list[Any], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


PROBE_HEADER = ["Code", "Day", "Count", "Colour", "Note"]


def probe(tmp_path: Path, rows: list[list[Any]], **options: Any) -> tuple[ProbeLedger, ledgers.ImportResult]:
    ledger = ProbeLedger()
    path = workbook(tmp_path / "probe.xlsx", PROBE_HEADER, rows)
    return ledger, ledgers.run_import(ledger, path, actor=None, scope=None, **options)


def compounds_file(tmp_path: Path, rows: list[list[Any]], header: list[Any] | None = None) -> Path:
    header = header if header is not None else [str(c.header) for c in COMPOUNDS.columns]
    return workbook(tmp_path / "compounds.xlsx", header, rows)


def import_compounds(cast: Any, path: Path, **options: Any) -> ledgers.ImportResult:
    return ledgers.run_import(COMPOUNDS, path, actor=cast.director, scope=cast.home, **options)


class CellTests:
    def test_it_reads_dates_as_text_and_as_excel_serial_numbers(self, tmp_path) -> None:
        rows = [
            ["A1", "2014-06-01"],
            ["A2", "2014/6/1"],
            ["A3", "2014年6月1日"],
            ["A4", 41791],
            ["A5", "41791"],
            ["A6", datetime.datetime(2014, 6, 1)],
            ["A7", "２０１４－０６－０１"],
        ]
        ledger, result = probe(tmp_path, rows)
        assert result.errors == []
        assert {row["day"] for row in ledger.written} == {datetime.date(2014, 6, 1)}

    def test_it_refuses_a_date_it_cannot_read(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["A1", "六月一日"], ["A2", "2014-13-01"]])
        assert [(e.row, e.column) for e in result.errors] == [(2, "Day"), (3, "Day")]
        assert ledger.written == []

    def test_it_folds_full_width_digits_and_spaces(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [[" Ａ－１ ", None, "１２", " 蓝色 ", "　说明（一）　"]])
        assert result.errors == []
        assert ledger.written[0] == {"code": "A-1", "day": None, "count": 12, "colour": "blue", "note": "说明（一）"}

    def test_it_refuses_formulas(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["A1", None, "=1+2"]])
        assert "formula" in result.errors[0].message.lower() or "公式" in result.errors[0].message
        assert ledger.written == []

    @pytest.mark.parametrize("cell", [" =1+2", '\u3000=HYPERLINK("http://x.example")', "＝1+2"])
    def test_it_refuses_a_formula_behind_spaces_or_in_full_width(self, tmp_path, cell) -> None:
        # The cell is read stripped and folded: these would be kept as "=..." text otherwise.
        ledger, result = probe(tmp_path, [["A1", None, None, None, cell], [cell]])
        assert [(e.row, e.column) for e in result.errors] == [(2, "Note"), (3, "Code")]
        assert all("formula" in e.message.lower() or "公式" in e.message for e in result.errors)
        assert ledger.written == []

    def test_it_refuses_a_long_number_excel_has_shortened(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [[410105199001011234]])
        assert result.errors[0].column == "Code"

    def test_it_refuses_an_unknown_choice_naming_the_allowed_ones(self, tmp_path) -> None:
        _ledger, result = probe(tmp_path, [["A1", None, None, "绿色"]])
        assert "红色" in result.errors[0].message and "蓝色" in result.errors[0].message

    def test_it_lists_every_bad_cell_of_a_row(self, tmp_path) -> None:
        _ledger, result = probe(tmp_path, [["A1", "someday", "many"]])
        assert [e.column for e in result.errors] == ["Day", "Count"]
        assert result.error_rows == {2}


class FlowTests:
    def test_it_writes_nothing_when_a_row_is_wrong(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["A1"], ["A2", None, None, None, "bad"], ["A3"]])
        assert (result.applied, ledger.written) == (False, [])
        assert result.error_rows == {3}

    def test_apply_valid_writes_exactly_the_valid_rows(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["A1"], ["A2", None, None, None, "bad"], ["A3"]], apply_valid=True)
        assert result.applied
        assert [row["code"] for row in ledger.written] == ["A1", "A3"]
        assert result.counts.created == 2

    def test_it_refuses_duplicate_rows(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["A1"], ["A2"], ["A1"]])
        assert result.error_rows == {4}
        assert "2" in result.errors[0].message
        assert ledger.written == []

    def test_it_skips_the_example_row_and_empty_rows(self, tmp_path) -> None:
        ledger, result = probe(tmp_path, [["X-1", "2014-06-01", 3, "红色"], [None, "  "], ["A1"]])
        assert [row["code"] for row in ledger.written] == ["A1"]
        assert result.total == 1

    def test_it_reports_progress_through_both_phases(self, tmp_path) -> None:
        seen: list[tuple[str, int, int]] = []
        probe(tmp_path, [["A1"], ["A2"]], progress=lambda phase, done, total: seen.append((phase, done, total)))
        assert seen[0] == ("checking", 2, 2)
        assert seen[-1] == ("writing", 2, 2)

    def test_it_stops_a_file_with_too_many_rows(self, tmp_path, settings) -> None:
        settings.IMPORT_MAX_ROWS = 2
        with pytest.raises(LedgerFileError, match="2"):
            probe(tmp_path, [["A1"], ["A2"], ["A3"]])


class FileTests:
    """Whole-file problems: a clear message, and nothing written (rows counted before and after)."""

    @pytest.fixture
    def counted(self, cast):
        before = Compound.objects.count()
        yield cast
        assert Compound.objects.count() == before

    def good_row(self, cast) -> list[Any]:
        return ["T-C09", "新院", cast.grid1.code, "", "none"]

    def test_it_names_missing_and_unknown_headers(self, counted, tmp_path) -> None:
        path = compounds_file(tmp_path, [self.good_row(counted)], header=["Number", "Colour", "Grid code"])
        with pytest.raises(LedgerFileError) as error:
            import_compounds(counted, path)
        message = str(error.value)
        assert "Colour" in message
        assert str(COMPOUNDS.columns[1].header) in message  # the name column is missing

    def test_it_refuses_a_header_given_twice(self, counted, tmp_path) -> None:
        header = [str(c.header) for c in COMPOUNDS.columns[:5]] + [str(COMPOUNDS.columns[1].header)]
        with pytest.raises(LedgerFileError):
            import_compounds(counted, compounds_file(tmp_path, [self.good_row(counted)], header=header))

    def test_it_accepts_headers_marked_required(self, cast, tmp_path) -> None:
        header = [f"{c.header}*" if c.required else str(c.header) for c in COMPOUNDS.columns]
        result = import_compounds(cast, compounds_file(tmp_path, [self.good_row(cast)], header=header))
        assert result.counts.created == 1

    def test_it_refuses_merged_cells(self, counted, tmp_path) -> None:
        path = compounds_file(tmp_path, [self.good_row(counted), self.good_row(counted)])
        book = openpyxl.load_workbook(path)
        book.active.merge_cells("C2:C3")
        book.save(path)
        with pytest.raises(LedgerFileError, match="C2:C3"):
            import_compounds(counted, path)

    def test_it_refuses_a_file_that_is_not_a_workbook(self, counted, tmp_path) -> None:
        path = tmp_path / "list.xlsx"
        path.write_text("编号,名称\nT-C09,新院\n", encoding="utf-8")
        with pytest.raises(LedgerFileError, match="xlsx"):
            import_compounds(counted, path)

    def test_it_refuses_a_zip_that_is_not_a_workbook(self, counted, tmp_path) -> None:
        path = tmp_path / "archive.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
        with pytest.raises(LedgerFileError, match="xlsx"):
            import_compounds(counted, path)

    def test_it_tells_to_save_an_old_xls_as_xlsx(self, counted, tmp_path) -> None:
        path = tmp_path / "old.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
        with pytest.raises(LedgerFileError, match=r"\.xls"):
            import_compounds(counted, path)

    def test_it_refuses_a_file_over_the_size_limit(self, counted, tmp_path, settings) -> None:
        settings.IMPORT_MAX_MB = 0
        with pytest.raises(LedgerFileError, match="MB"):
            import_compounds(counted, compounds_file(tmp_path, [self.good_row(counted)]))

    def test_it_refuses_a_grid_out_of_scope(self, counted, tmp_path) -> None:
        row = ["T-C09", "新院", counted.next_grid.code, "", "none"]
        result = import_compounds(counted, compounds_file(tmp_path, [self.good_row(counted), row]))
        assert not result.applied
        assert [e.row for e in result.errors] == [3]
        assert counted.next_grid.code in result.errors[0].message

    def test_it_refuses_duplicates_in_the_file(self, counted, tmp_path) -> None:
        path = compounds_file(tmp_path, [self.good_row(counted), self.good_row(counted)])
        result = import_compounds(counted, path)
        assert result.error_rows == {3}


class ErrorWorkbookTests:
    def test_it_lists_row_column_and_problem(self, cast, tmp_path) -> None:
        rows = [
            ["T-C09", "新院", cast.next_grid.code, "", "none"],
            ["T-C10", "", cast.grid1.code, "", "nonsense"],
        ]
        errors = tmp_path / "errors.xlsx"
        result = import_compounds(cast, compounds_file(tmp_path, rows), error_path=errors)
        assert result.error_path == errors
        sheet = openpyxl.load_workbook(errors).active
        lines = list(sheet.iter_rows(values_only=True))
        assert len(lines) == 1 + result.error_count == 4
        assert [line[0] for line in lines[1:]] == [2, 3, 3]
        assert lines[1][1] == str(COMPOUNDS.columns[2].header)
        assert {line[1] for line in lines[2:]} == {str(COMPOUNDS.columns[1].header), str(COMPOUNDS.columns[4].header)}
        assert all(line[2] for line in lines[1:])

    def test_it_writes_a_message_that_looks_like_a_formula_as_text(self, tmp_path) -> None:
        # Messages may quote the file ("=HYPERLINK(...)" has 5 points ...): Excel must show them, not run them.
        message = '=HYPERLINK("http://evil.example/x","点击") has 5 points'
        path = ledgers.write_errors([ledgers.RowError(2, "=Item", message)], tmp_path / "errors.xlsx")
        with zipfile.ZipFile(path) as archive:
            assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
        lines = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
        assert lines[1] == (2, "=Item", message)

    def test_no_error_workbook_without_errors(self, cast, tmp_path) -> None:
        errors = tmp_path / "errors.xlsx"
        result = import_compounds(
            cast, compounds_file(tmp_path, [["T-C09", "新院", cast.grid1.code, "", "none"]]), error_path=errors
        )
        assert result.error_path is None and not errors.exists()


class TemplateTests:
    def test_it_has_the_headers_drop_downs_and_an_example_that_is_skipped(self, cast, tmp_path) -> None:
        path = tmp_path / "template.xlsx"
        ledgers.template(COMPOUNDS).save(path)
        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        assert header[0] == f"{COMPOUNDS.columns[0].header}*"
        assert str(COMPOUNDS.columns[5].header) in header
        validations = sheet.data_validations.dataValidation
        assert any("E2" in str(v.sqref) for v in validations)  # the management column offers its choices
        assert sheet["A2"].value == COMPOUNDS.columns[0].example
        before = Compound.objects.count()
        result = import_compounds(cast, path)
        assert (result.total, result.errors, Compound.objects.count()) == (0, [], before)

    def test_a_filled_template_imports(self, cast, tmp_path) -> None:
        path = tmp_path / "template.xlsx"
        book = ledgers.template(COMPOUNDS)
        book.worksheets[0].append(["T-C09", "新院", cast.grid1.code, "", "unmanaged (no managing body)"])
        book.save(path)
        result = import_compounds(cast, path)
        assert result.counts.created == 1, result.errors
