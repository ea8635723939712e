"""`wangge export <ledger> --community CODE --out FILE`: a community's records as an Excel ledger (台账).

Personal data is masked unless `--reveal --reason TEXT` (and, with `--user`, the user may reveal it there).
Every export is audited, like the pages' exports.
"""

import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core import audit, ledgers

# accounts.roles.Action names; core does not import accounts.
EXPORT, REVEAL_PII = "export", "reveal_pii"


class Command(BaseCommand):
    help = "Export a community's records as an Excel ledger (masked unless --reveal --reason). Audited."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ledger", help=f"the ledger: {', '.join(sorted(ledgers.ledgers()))}")
        parser.add_argument("--community", required=True, help="12-digit community code")
        parser.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
        parser.add_argument("--user", help="export as this user (their rights apply); default: the system")
        parser.add_argument("--reveal", action="store_true", help="personal data in clear (needs --reason)")
        parser.add_argument("--reason", default="", help="why personal data is exported in clear (audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ledger = ledgers.get(options["ledger"])
        except ledgers.LedgerFileError as error:
            raise CommandError(f"{error} (known: {', '.join(sorted(ledgers.ledgers()))})") from None
        actor = self._actor(options.get("user"))
        community = ledgers.scopes(actor, EXPORT).filter(code=options["community"]).first()
        if community is None:
            raise CommandError(f"no community {options['community']} that {actor or 'the system'} may export")
        reveal = options["reveal"]
        reason = " ".join(options["reason"].split())
        if reveal and len(reason) < 2:
            raise CommandError("--reveal needs --reason: say why personal data leaves the system in clear")
        if reveal and actor is not None and not _covers(actor.area_prefixes(REVEAL_PII), community.path):
            raise CommandError(f"{actor} may not reveal personal data in {community.name}")
        rows = ledger.model.objects.filter(area_path__startswith=community.path)
        if actor is not None:
            rows = rows.for_user(actor, EXPORT)
        rows = ledger.export_queryset(rows)
        count = rows.count()
        path = ledgers.export(ledger, rows.iterator(chunk_size=2000), reveal=reveal)
        try:
            shutil.move(path, options["out"])
        finally:
            path.unlink(missing_ok=True)
        detail = {"community": community.code, "rows": count, "reveal": reveal, "command": True}
        if reveal:
            detail["reason"] = reason
        audit.record_export(actor=actor, name=ledger.name, area_path=community.path, detail=detail)
        self.stdout.write(f"{count} rows written to {options['out']}" + (" (personal data in clear)" if reveal else ""))

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no active user {username}") from None


def _covers(prefixes: list[str] | None, path: str) -> bool:
    return prefixes is None or any(path.startswith(prefix) for prefix in prefixes)
