from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import ApiKey, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["role", "scope_name", "scope_path", "active"]
    readonly_fields = ["role", "scope_name", "scope_path", "active"]
    can_delete = False

    # Roles are granted through `wangge role grant` (a service, audited), never edited here.
    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "display_name"]
    fieldsets = [
        (None, {"fields": ["username", "password", "display_name"]}),
        (_("status"), {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    inlines = [MembershipInline]

    # Users and roles change through services (audited): the admin only shows them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "hashed", "last_used_at"]

    # Keys are created and revoked with `wangge apikey` (audited, shown once).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
