"""`wangge synth --scale community|subdistrict|district [--seed N]`: migrate, then fill the fresh database.

Synthetic data at the size of a real deployment for benchmarks and trials (see wangge/demo/synth.py):
a district is 150 communities, 1.5 million residents and 1 million cases. Refuses a database that already
holds areas, accounts, residents or cases, before touching it (not even migrating). Staff accounts
(synth-<community code>-director, -gl01 …) cannot sign in unless `--password-stdin` gives them one.
"""

import datetime
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from wangge.demo.synth import DEFAULT_SEED, SCALES, SynthRefused, synthesize
from wangge.demo.synth_sink import CHUNK


class Command(BaseCommand):
    help = "Fill a fresh database with synthetic communities, people and cases (community, subdistrict or district)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", required=True, choices=list(SCALES), help="how much to generate")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read a password for every staff account from standard input (default: none, no sign-in)",
        )
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None, help="the day the history ends (YYYY-MM-DD)"
        )
        parser.add_argument("--chunk", type=int, default=CHUNK, help=f"rows per insert (default {CHUNK})")
        parser.add_argument("--fingerprint", action="store_true", help="print a hash of the generated rows")
        parser.add_argument("--no-migrate", action="store_true", help="the database is migrated already")

    def handle(self, *args, scale: str, seed: int, today, chunk: int, **options) -> None:
        # Before anything else, even migrating: a database that is in use is never touched.
        self.refuse_a_database_in_use()
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else ""
        if options["password_stdin"] and not password:
            raise CommandError("No password on standard input.")
        if not options["no_migrate"]:
            self.stdout.write("Preparing the database …")
            call_command("migrate", verbosity=0, interactive=False)
        try:
            summary = synthesize(
                scale=scale,
                seed=seed,
                password=password or None,
                today=today,
                say=self.stdout.write,
                fingerprint=options["fingerprint"],
                chunk=chunk,
            )
        except SynthRefused as error:
            raise CommandError(str(error)) from None
        except Exception:
            if connection.vendor == "sqlite":
                # Chunks were committed as they went: what is there is a partial set, not to be used.
                self.stderr.write("The load failed: the database holds a partial set. Start again from a fresh one.")
            raise
        counts = summary.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthesised {scale} in {summary.seconds:.1f} s: {counts['communities']} communities, "
                f"{counts['grids']:,} grids, {counts['compounds']:,} compounds, {counts['shops']:,} shops, "
                f"{counts['living']:,} residents, {counts['households']:,} households, {counts['cases']:,} cases "
                f"({counts['case_events']:,} timeline steps), {sum(summary.rows.values()):,} rows in all."
            )
        )
        if summary.fingerprint:
            self.stdout.write(f"fingerprint {summary.fingerprint}")

    def refuse_a_database_in_use(self) -> None:
        """Refuse a database holding any area, account, resident or case (an empty, unmigrated one is fine)."""
        present = set(connection.introspection.table_names())
        held = []
        for table in ("territory_area", "accounts_user", "people_resident", "cases_case"):
            if table in present:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                    if cursor.fetchone():
                        held.append(table)
        if held:
            raise CommandError(
                f"This database is in use (it holds rows in {', '.join(held)}). wangge synth fills a fresh database "
                "only and writes nothing here: point DATABASE_URL (or WANGGE_VAR_DIR) at an empty one."
            )
