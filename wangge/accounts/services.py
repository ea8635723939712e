"""Writes of the accounts app: users, memberships, API keys, sign-in failures."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import ApiKey, LoginFailure, Membership, User
from wangge.accounts.roles import Role
from wangge.core import audit
from wangge.core.validators import validate_mobile


@transaction.atomic
def user_create(
    *, actor: User | None, username: str, display_name: str, password: str | None = None, phone: str = ""
) -> User:
    """A new active user; the password is hashed (Argon2), none given means the user cannot sign in yet."""
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("Enter a user name.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is already taken.")})
    user = User(username=username, display_name=display_name.strip())
    if phone:
        user.phone = validate_mobile(phone)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action="user.create", instance=user, after=audit.snapshot(user), area_path="")
    return user


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> User:
    """The account can no longer sign in, and its API keys stop working (they check the user is active)."""
    before = audit.snapshot(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor, action="user.deactivate", instance=user, before=before, after=audit.snapshot(user), area_path=""
    )
    return user


@transaction.atomic
def membership_grant(*, actor: User | None, user: User, role: str, scope_path: str, scope_name: str) -> Membership:
    """`user` holds `role` in the area or compound at `scope_path`. Territory services check the scope first."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, scope_path=scope_path, defaults={"scope_name": scope_name}
    )
    if not created and not membership.active:
        membership.active = True
        membership.save(update_fields=["active", "updated_at"])
    user.forget_scope()
    audit.record(
        actor=actor,
        action="membership.grant",
        instance=membership,
        after=audit.snapshot(membership),
        area_path=scope_path,
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    """The membership no longer gives its role (kept for history)."""
    before = audit.snapshot(membership)
    membership.active = False
    membership.save(update_fields=["active", "updated_at"])
    membership.user.forget_scope()
    audit.record(
        actor=actor,
        action="membership.revoke",
        instance=membership,
        before=before,
        after=audit.snapshot(membership),
        area_path=membership.scope_path,
    )
    return membership


@transaction.atomic
def api_key_create(*, actor: User | None, user: User, name: str) -> tuple[ApiKey, str]:
    """A new API key for `user`. Returns the row and the key itself, which is never stored and shown only now."""
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name, e.g. the integrator's system.")})
    prefix = secrets.token_hex(4)
    key = f"wg_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(user=user, name=name.strip(), prefix=prefix, hashed=ApiKey.hash(key))
    audit.record(actor=actor, action="apikey.create", instance=api_key, after=audit.snapshot(api_key), area_path="")
    return api_key, key


@transaction.atomic
def api_key_revoke(*, actor: User | None, api_key: ApiKey) -> ApiKey:
    """The key stops working at once."""
    before = audit.snapshot(api_key)
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at", "updated_at"])
    audit.record(
        actor=actor,
        action="apikey.revoke",
        instance=api_key,
        before=before,
        after=audit.snapshot(api_key),
        area_path="",
    )
    return api_key


def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def login_is_locked(username: str) -> bool:
    """Whether sign-in for this user name is locked after too many recent failures."""
    recent = LoginFailure.objects.filter(username=username.lower(), created_at__gte=_window_start())
    return recent.count() >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(*, username: str, ip: str | None) -> None:
    """Remember one failed sign-in."""
    LoginFailure.objects.create(username=username, ip=ip)


def login_failures_clear(*, username: str) -> None:
    """A successful sign-in forgives earlier failures."""
    LoginFailure.objects.filter(username=username.lower()).delete()
