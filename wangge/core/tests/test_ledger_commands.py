"""`wangge import <ledger>` and `wangge export <ledger>`: progress on stderr, exit status 1 when rows are
refused, the error workbook next to the file, rights of `--user`, masked exports unless revealed with a reason."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wangge.core.models import AuditEvent
from wangge.territory.ledgers import COMPOUNDS, SHOPS
from wangge.territory.models import Compound, Shop


def compounds_file(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    book.active.append([str(c.header) for c in COMPOUNDS.columns])
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class ImportCommandTests:
    def test_it_imports_with_a_progress_bar(self, cast, tmp_path) -> None:
        path = compounds_file(tmp_path / "c.xlsx", [["T-C09", "新院", cast.grid2.code, "", "none"]])
        out, err = run("import", "compounds", str(path), "--community", cast.home.code)
        assert "1 created" in out
        assert "checking" in err and "writing" in err and "rows/s" in err
        assert Compound.objects.get(code="T-C09").area == cast.grid2
        assert AuditEvent.objects.filter(action="compound.create", actor=None).exists()

    def test_refused_rows_exit_1_with_the_error_workbook_next_to_the_file(self, cast, tmp_path) -> None:
        path = compounds_file(
            tmp_path / "c.xlsx",
            [["T-C09", "新院", cast.grid2.code, "", "none"], ["T-C10", "院", cast.next_grid.code, "", "none"]],
        )
        err = io.StringIO()
        with pytest.raises(SystemExit) as exit_status:
            call_command(
                "import", "compounds", str(path), "--community", cast.home.code, stdout=io.StringIO(), stderr=err
            )
        assert exit_status.value.code == 1
        assert "row 3" in err.getvalue()
        errors = tmp_path / "c-errors.xlsx"
        assert errors.exists()
        assert list(openpyxl.load_workbook(errors).active.values)[1][0] == 3
        assert not Compound.objects.filter(code__in=["T-C09", "T-C10"]).exists()

    def test_apply_valid_and_a_chosen_error_file(self, cast, tmp_path) -> None:
        path = compounds_file(
            tmp_path / "c.xlsx",
            [["T-C09", "新院", cast.grid2.code, "", "none"], ["T-C10", "院", cast.next_grid.code, "", "none"]],
        )
        errors = tmp_path / "out" / "problems.xlsx"
        errors.parent.mkdir()
        with pytest.raises(SystemExit):
            run(
                "import",
                "compounds",
                str(path),
                "--community",
                cast.home.code,
                "--apply-valid",
                "--errors",
                str(errors),
            )
        assert errors.exists()
        assert Compound.objects.filter(code="T-C09").exists()

    def test_a_user_imports_only_where_they_may(self, cast, tmp_path) -> None:
        path = compounds_file(tmp_path / "c.xlsx", [["T-C09", "新院", cast.grid2.code, "", "none"]])
        with pytest.raises(CommandError):
            run("import", "compounds", str(path), "--community", cast.home.code, "--user", cast.grid_worker.username)
        with pytest.raises(SystemExit):
            # A grid leader of grid 001 may import into the community, but not a row in grid 002.
            run("import", "compounds", str(path), "--community", cast.home.code, "--user", cast.grid_leader.username)
        out, _err = run("import", "compounds", str(path), "--community", cast.home.code, "--user", "director")
        assert "1 created" in out
        assert Compound.objects.get(code="T-C09").area == cast.grid2

    def test_file_level_problems_are_command_errors(self, cast, tmp_path) -> None:
        bad = tmp_path / "bad.xlsx"
        bad.write_text("not a workbook")
        with pytest.raises(CommandError, match="xlsx"):
            run("import", "compounds", str(bad), "--community", cast.home.code)
        with pytest.raises(CommandError, match="no such file"):
            run("import", "compounds", str(tmp_path / "missing.xlsx"), "--community", cast.home.code)
        with pytest.raises(CommandError, match="nothing"):
            run("import", "nothing", str(bad), "--community", cast.home.code)
        with pytest.raises(CommandError, match="export-only"):
            run("import", "cases", str(bad), "--community", cast.home.code)
        with pytest.raises(CommandError):
            run("import", "compounds", str(bad), "--community", "999999999999")


class ExportCommandTests:
    def test_it_exports_a_community_masked_and_audited(self, cast, tmp_path) -> None:
        out_path = tmp_path / "shops.xlsx"
        out, _err = run("export", "shops", "--community", cast.home.code, "--out", str(out_path))
        assert "2 rows" in out
        rows = list(openpyxl.load_workbook(out_path).active.values)
        assert rows[0][0] == str(SHOPS.columns[0].header)
        assert {row[0] for row in rows[1:]} == {"T-S001", "T-S002"}
        assert "13800001234" not in str(rows)
        event = AuditEvent.objects.get(action="export.shops")
        assert event.area_path == cast.home.path and event.after["rows"] == 2 and not event.after["reveal"]

    def test_reveal_needs_a_reason_and_the_right(self, cast, tmp_path) -> None:
        out_path = tmp_path / "shops.xlsx"
        with pytest.raises(CommandError, match="reason"):
            run("export", "shops", "--community", cast.home.code, "--out", str(out_path), "--reveal")
        with pytest.raises(CommandError):
            run(
                "export",
                "shops",
                "--community",
                cast.home.code,
                "--out",
                str(out_path),
                "--reveal",
                "--reason",
                "核对",
                "--user",
                cast.auditor.username,
            )
        run(
            "export",
            "shops",
            "--community",
            cast.home.code,
            "--out",
            str(out_path),
            "--reveal",
            "--reason",
            "核对联系人",
            "--user",
            cast.director.username,
        )
        assert "13800001234" in str(list(openpyxl.load_workbook(out_path).active.values))
        event = AuditEvent.objects.get(action="export.shops")
        assert (event.actor, event.after["reveal"], event.after["reason"]) == (cast.director, True, "核对联系人")

    def test_a_user_exports_only_their_scope(self, cast, tmp_path) -> None:
        out_path = tmp_path / "c.xlsx"
        run("export", "compounds", "--community", cast.home.code, "--out", str(out_path), "--user", "gridleader")
        assert [row[0] for row in list(openpyxl.load_workbook(out_path).active.values)[1:]] == ["T-C01"]
        with pytest.raises(CommandError):
            run("export", "compounds", "--community", cast.home.code, "--out", str(out_path), "--user", "gridworker")

    def test_export_then_import_changes_nothing(self, cast, tmp_path) -> None:
        out_path = tmp_path / "shops.xlsx"
        run("export", "shops", "--community", cast.home.code, "--out", str(out_path))
        before = [(s.code, s.contact_name, s.contact_phone, s.updated_at) for s in Shop.objects.order_by("pk")]
        out, _err = run("import", "shops", str(out_path), "--community", cast.home.code)
        assert "2 unchanged" in out
        assert [(s.code, s.contact_name, s.contact_phone, s.updated_at) for s in Shop.objects.order_by("pk")] == before
