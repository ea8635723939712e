"""`wangge user create USERNAME --name NAME [--password-stdin]`, `wangge user deactivate USERNAME`, `user list`."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wangge.accounts import services
from wangge.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create, deactivate or list accounts (audited as the system). An account made without a password "
        "cannot sign in: right for an integrator that only uses an API key."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create an account")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="the person's or system's name as shown")
        create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        deactivate = sub.add_parser("deactivate", help="stop an account signing in and using its keys")
        deactivate.add_argument("username")
        sub.add_parser("list", help="list accounts")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "create":
            password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
            try:
                user = services.user_create(
                    actor=None, username=options["username"], display_name=options["name"], password=password
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stdout.write(f"created {user.username}" + ("" if password else " (no password: API key only)"))
        elif verb == "deactivate":
            try:
                user = User.objects.get(username=options["username"])
            except User.DoesNotExist:
                raise CommandError(f"no user named {options['username']!r}") from None
            services.user_deactivate(actor=None, user=user)
            self.stdout.write(f"deactivated {user.username}")
        else:
            for user in User.objects.order_by("username"):
                self.stdout.write(f"{user.username}\t{user.display_name}\t{'active' if user.is_active else 'inactive'}")
