"""`wangge import <ledger> FILE --community CODE`: import an Excel ledger (台账) from the command line.

Runs in this process with a progress bar on stderr; exits with status 1 when rows were refused (the error
workbook is written next to the file unless `--errors` says where). `wangge import grids FILE.geojson
--community CODE` still imports grid boundaries (the territory's command, which this one stands in front of).
"""

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from wangge.core import ledgers
from wangge.core.tasks import IMPORT_ACTIONS

# Subjects that are not Excel ledgers, and the app whose `import` command handles them.
OTHER_IMPORTS = {"grids": "wangge.territory"}


class Progress:
    """A one-line progress bar on stderr: phase, rows done, rows per second."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.phase = ""
        # On a terminal the line redraws itself; in a log file each update is a line of its own.
        self.tty = stream.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.phase and self.tty:
                self.stream.write("")
            self.phase = phase
            self.started = time.monotonic()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        filled = int(self.WIDTH * done / total) if total else 0
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"{phase:<8} [{bar}] {done}/{total or '?'} rows, {done / elapsed:,.0f} rows/s"
        self.stream.write(("\r" if self.tty else "") + line, ending="" if self.tty else "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.phase and self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Import an Excel ledger into a community: everything is checked first; any wrong row writes nothing "
        "unless --apply-valid. `grids FILE.geojson --community CODE` imports grid boundaries."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("ledger", help=f"the ledger: {', '.join(sorted(ledgers.ledgers()))}, or grids")
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="12-digit community code")
        parser.add_argument("--user", help="import as this user (their rights apply); default: the system")
        parser.add_argument("--apply-valid", action="store_true", help="write the valid rows even if others are wrong")
        parser.add_argument("--errors", type=Path, help="where to write the error workbook (default: next to FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["ledger"]
        if name in OTHER_IMPORTS:
            command = load_command_class(OTHER_IMPORTS[name], "import")
            call_command(
                command,
                name,
                str(options["file"]),
                "--community",
                options["community"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            return
        try:
            ledger = ledgers.get(name)
        except ledgers.LedgerFileError as error:
            raise CommandError(f"{error} (known: {', '.join(sorted(ledgers.ledgers()))}, grids)") from None
        if not any(column.imported for column in ledger.columns):
            raise CommandError(f"the {name} ledger is export-only")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = self._actor(options.get("user"))
        scope = ledgers.scopes(actor, *IMPORT_ACTIONS).filter(code=options["community"]).first()
        if scope is None:
            raise CommandError(f"no community {options['community']} that {actor or 'the system'} may import into")
        error_path = options.get("errors") or path.with_name(f"{path.stem}-errors.xlsx")
        progress = Progress(self.stderr)
        try:
            result = ledgers.run_import(
                ledger,
                path,
                actor=actor,
                scope=scope,
                apply_valid=options["apply_valid"],
                progress=progress,
                error_path=error_path,
            )
        except ledgers.LedgerFileError as error:
            progress.close()
            raise CommandError(str(error)) from None
        progress.close()
        counts = result.counts
        if result.applied:
            self.stdout.write(
                f"{result.total} rows: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {len(result.error_rows)} refused"
            )
        else:
            self.stdout.write(f"{result.total} rows: nothing imported")
        if result.error_count:
            for error in result.errors[:20]:
                self.stderr.write(f"row {error.row} {error.column}: {error.message}")
            if result.error_count > 20:
                self.stderr.write(f"... {result.error_count - 20} more")
            self.stderr.write(f"error workbook: {result.error_path}")
            raise SystemExit(1)

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no active user {username}") from None
