"""`wangge pii rotate-key|status`: move encrypted personal data to the current key, and show where it stands."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.core import pii_rotation
from wangge.core.pii import key_ring


class Command(BaseCommand):
    help = "Re-encrypt personal data under the current key of WANGGE_PII_KEYS (rotate-key), or count values per key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        rotate = sub.add_parser(
            "rotate-key", help="re-encrypt every value not under the current (first) key; resumable, online"
        )
        rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
        rotate.add_argument("--dry-run", action="store_true", help="only count what would be re-encrypted")
        sub.add_parser("status", help="how many values each key encrypts, and how many are still under old keys")

    def handle(self, *args: object, verb: str, **options: object) -> None:
        if verb == "status":
            self._status()
        else:
            self._rotate(batch_size=options["batch_size"], dry_run=options["dry_run"])

    def _rotate(self, *, batch_size: int, dry_run: bool) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        current = key_ring().current_id
        self.stdout.write(f"current key: {current}{' (dry run: nothing is changed)' if dry_run else ''}")
        try:
            report = pii_rotation.rotate(batch_size=batch_size, dry_run=dry_run, progress=self.stdout.write)
        except pii_rotation.RotationError as error:
            raise CommandError(f"{error}. Batches done so far are kept; run again once the ring is fixed.") from None
        total = sum(entry.total for entry in report)
        verb = "to re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"total: {total} values {verb} under {current}")

    def _status(self) -> None:
        ring = key_ring()
        report = pii_rotation.status()
        self.stdout.write(f"current key: {ring.current_id}; ring: {', '.join(ring.keys)}")
        for entry in report:
            keys = ", ".join(f"{key_id}={n}" for key_id, n in entry.by_key.items())
            unknown = f", unknown key={entry.unknown}" if entry.unknown else ""
            self.stdout.write(f"{entry.label}: {keys}{unknown}")
        old = sum(entry.old for entry in report)
        unknown = sum(entry.unknown for entry in report)
        self.stdout.write(
            f"under old keys: {old}" + (f" (of which under keys not in the ring: {unknown})" if unknown else "")
        )
        if not old:
            self.stdout.write(f"every value is under {ring.current_id}: the other keys may be dropped from the ring")
