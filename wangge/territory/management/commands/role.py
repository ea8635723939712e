"""`wangge role grant|revoke|list`: who holds which role where (memberships), from the command line."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wangge.accounts import services as account_services
from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.territory import services
from wangge.territory.models import Area, Compound


class Command(BaseCommand):
    help = "Grant, revoke or list roles in areas (audited as the system)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        for verb in ("grant", "revoke"):
            command = sub.add_parser(verb)
            command.add_argument("--user", required=True, help="user name")
            command.add_argument("--role", required=True, choices=Role.values)
            where = command.add_mutually_exclusive_group(required=True)
            where.add_argument("--area", help="code of a subdistrict, community or grid")
            where.add_argument("--compound", help="code of a compound (building leaders)")
        listing = sub.add_parser("list")
        listing.add_argument("--user", help="only this user")

    def handle(self, *args, verb: str, **options) -> None:
        if verb == "list":
            memberships = Membership.objects.filter(active=True).select_related("user").order_by("scope_path", "role")
            if options.get("user"):
                memberships = memberships.filter(user__username=options["user"])
            for membership in memberships:
                self.stdout.write(
                    f"{membership.user.username}\t{membership.role}\t{membership.scope_name}\t{membership.scope_path}"
                )
            return
        try:
            user = User.objects.get(username=options["user"])
            area = Area.objects.get(code=options["area"]) if options.get("area") else None
            compound = Compound.objects.get(code=options["compound"]) if options.get("compound") else None
        except (User.DoesNotExist, Area.DoesNotExist, Compound.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        if verb == "grant":
            try:
                membership = services.role_grant(
                    actor=None, user=user, role=options["role"], area=area, compound=compound
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stdout.write(f"granted: {membership}")
        else:
            path = compound.area_path if compound else area.path
            membership = Membership.objects.filter(
                user=user, role=options["role"], scope_path=path, active=True
            ).first()
            if membership is None:
                raise CommandError("no such active role")
            account_services.membership_revoke(actor=None, membership=membership)
            self.stdout.write(f"revoked: {membership}")
