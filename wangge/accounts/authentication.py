"""`Authorization: Token <key>` for the REST API."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from wangge.accounts.models import ApiKey


class ApiKeyAuthentication(authentication.TokenAuthentication):
    """Looks the key up by its hash; a revoked key or an inactive user is refused."""

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        try:
            api_key = ApiKey.objects.select_related("user").get(hashed=ApiKey.hash(key))
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        if not api_key.is_active:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        # Record use at most once a minute, so a busy integrator doesn't turn every read into a write.
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return api_key.user, api_key
