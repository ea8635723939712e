"""Users, their memberships (role × area), API keys and failed sign-ins."""

import hashlib
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Role, allows
from wangge.core.models import ScopedQuerySet, TimeStampedModel
from wangge.core.pii import BlindIndexField, EncryptedCharField


class User(AbstractUser):
    """用户: a member of staff, a building leader, a volunteer or a resident with an account."""

    display_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = EncryptedCharField(_("mobile number"), masker="mask_phone")
    phone_index = BlindIndexField(source="phone")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def _paths_by_role(self) -> dict[str, list[str]]:
        """This user's active memberships, role → scope paths, read once per instance (one request)."""
        cache: dict[str, list[str]] | None = self.__dict__.get("_paths_by_role_cache")
        if cache is None:
            cache = {}
            for role, path in self.memberships.filter(active=True).values_list("role", "scope_path"):
                cache.setdefault(role, []).append(path)
            self.__dict__["_paths_by_role_cache"] = cache
        return cache

    def area_prefixes(self, action: str, *, roles: Collection[str] | None = None) -> list[str] | None:
        """Path prefixes under which this user may take `action` (through `roles` only, when given).

        None means everywhere (superuser).
        """
        if not self.is_active:
            return []
        if self.is_superuser:
            return None
        paths = self._paths_by_role()
        return sorted(
            {
                p
                for role, prefixes in paths.items()
                if allows(role, action) and (roles is None or role in roles)
                for p in prefixes
            }
        )

    def forget_scope(self) -> None:
        """Drop the cached memberships (after a grant or revocation in the same request)."""
        self.__dict__.pop("_paths_by_role_cache", None)

    def roles_at(self, path: str) -> set[str]:
        """The roles this user holds over a row at `path` (memberships whose scope contains it)."""
        if not self.is_active:
            return set()
        if self.is_superuser:
            return {Role.SUBDISTRICT_ADMIN}
        return {role for role, scopes in self._paths_by_role().items() if any(path.startswith(s) for s in scopes)}

    def roles(self) -> set[str]:
        """The roles this user holds anywhere."""
        return set(self._paths_by_role())

    def can(self, action: str) -> bool:
        """Whether this user may take `action` somewhere (for showing menu entries and buttons)."""
        prefixes = self.area_prefixes(action)
        return prefixes is None or bool(prefixes)


class MembershipQuerySet(ScopedQuerySet):
    scope_field = "scope_path"


class Membership(TimeStampedModel):
    """角色任职: a user holds a role in an area (subdistrict, community, grid) or, for building leaders, a compound.

    The scope is kept as the area's materialized path so that accounts need not know the territory models;
    the territory services validate the area and write the path.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), related_name="memberships", on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    scope_path = models.CharField(_("scope"), max_length=120, db_index=True)
    scope_name = models.CharField(_("scope name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope_path"], name="membership_unique_role_scope")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_name}"


class ApiKey(TimeStampedModel):
    """API 密钥: a key for `Authorization: Token <key>`, stored hashed, shown once, revocable."""

    user = models.ForeignKey(User, verbose_name=_("user"), related_name="api_keys", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    hashed = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def hash(key: str) -> str:
        # Keys are 256-bit random: a fast hash is enough, and it lets us look the key up directly.
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(models.Model):
    """登录失败: one failed sign-in, kept to lock out guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.username} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = self.username.lower()[:150]
        super().save(*args, **kwargs)
