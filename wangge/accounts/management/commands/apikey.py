"""`wangge apikey create --user NAME [--name LABEL]`, `wangge apikey revoke PREFIX`, `wangge apikey list`."""

from django.core.management.base import BaseCommand, CommandError

from wangge.accounts import services
from wangge.accounts.models import ApiKey, User


class Command(BaseCommand):
    help = "Create, list or revoke API keys. `create` prints the new key alone on its last line."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a key for a user")
        create.add_argument("--user", required=True, help="user name")
        create.add_argument("--name", default="cli", help="what the key is for")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list keys (prefixes only)")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "create":
            try:
                user = User.objects.get(username=options["user"])
            except User.DoesNotExist:
                raise CommandError(f"no user named {options['user']!r}") from None
            api_key, key = services.api_key_create(actor=None, user=user, name=options["name"])
            self.stderr.write(f"API key {api_key.prefix} for {user.username}; it is shown only once:")
            self.stdout.write(key)
        elif verb == "revoke":
            try:
                api_key = ApiKey.objects.get(prefix=options["prefix"])
            except ApiKey.DoesNotExist:
                raise CommandError(f"no API key with prefix {options['prefix']!r}") from None
            services.api_key_revoke(actor=None, api_key=api_key)
            self.stdout.write(f"revoked {api_key.prefix}")
        else:
            for api_key in ApiKey.objects.select_related("user").order_by("created_at"):
                state = "revoked" if api_key.revoked_at else "active"
                self.stdout.write(f"{api_key.prefix}\t{api_key.user.username}\t{api_key.name}\t{state}")
