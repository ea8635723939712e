"""`wangge sweep`: the periodic work (overdue cases, escalation, reminders, notification delivery)."""

from django.core.management.base import BaseCommand, CommandError

from wangge.core import sweep


class Command(BaseCommand):
    help = "Run the periodic work once: overdue cases, escalation, reminders, notification retries. Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--only", action="append", help="run only this task (repeatable)")
        parser.add_argument("--list", action="store_true", help="list the tasks and exit")

    def handle(self, *args, only: list[str] | None = None, list: bool = False, **options) -> None:
        known = sweep.tasks()
        if list:
            for name in known:
                self.stdout.write(name)
            return
        unknown = sorted(set(only or []) - set(known))
        if unknown:
            raise CommandError(f"unknown task: {', '.join(unknown)}; known: {', '.join(known)}")
        for name, counts in sweep.run(only=only).items():
            summary = ", ".join(f"{key}={value}" for key, value in counts.items()) or "nothing to do"
            self.stdout.write(f"{name}: {summary}")
