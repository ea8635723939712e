"""`wangge calendar import|list`: the holidays and make-up workdays that working-hour deadlines count with."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wangge.core.calendar import CalendarFileError, calendar_import, read_calendar_file
from wangge.core.models import CalendarDay


class Command(BaseCommand):
    help = "Import a calendar file (CSV: date,kind,name) or list the calendar's holidays and make-up workdays."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        importing = sub.add_parser("import", help="upsert the days of a CSV file by date; nothing if a row is bad")
        importing.add_argument("file", type=Path, help="CSV with the columns date,kind,name (kind: holiday or workday)")
        listing = sub.add_parser("list", help="list holidays and make-up workdays")
        listing.add_argument("--year", type=int, help="only this year")

    def handle(self, *args: object, verb: str, **options: object) -> None:
        if verb == "list":
            self._list(options.get("year"))
        else:
            self._import(options["file"])

    def _import(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(_("no such file: %s") % path)
        try:
            days = read_calendar_file(path)
        except CalendarFileError as error:
            heading = _("%s: nothing imported.") % path
            raise CommandError("\n".join([heading, *error.problems])) from None
        result = calendar_import(actor=None, days=days)
        counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        self.stdout.write(_("created %(created)d, updated %(updated)d, unchanged %(unchanged)d") % counts)

    def _list(self, year: int | None) -> None:
        days = CalendarDay.objects.all()
        if year is not None:
            days = days.filter(date__year=year)
        for day in days:
            self.stdout.write(f"{day.date:%Y-%m-%d}\t{day.date:%a}\t{day.kind}\t{day.name}")
