"""`wangge synth --scale community|subdistrict|district [--seed N]`: migrate, then fill the fresh database.

Synthetic data at the size of a real deployment for benchmarks and trials (see wangge/demo/synth.py):
a district is 150 communities, 1.5 million residents and 1 million cases. Refuses a database that already
holds a territory. Staff accounts (synth-<community code>-director, -gl01 …) cannot sign in unless
`--password` gives them one.
"""

import datetime

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
            "--password", default="", help="password of every staff account (default: none, no sign-in)"
        )
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None, help="the day the history ends (YYYY-MM-DD)"
        )
        parser.add_argument("--chunk", type=int, default=CHUNK, help=f"rows per insert (default {CHUNK})")
        parser.add_argument("--fingerprint", action="store_true", help="print a hash of the generated rows")
        parser.add_argument("--no-migrate", action="store_true", help="the database is migrated already")

    def handle(self, *args, scale: str, seed: int, password: str, today, chunk: int, **options) -> None:
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
