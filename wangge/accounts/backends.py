"""Authentication backend that refuses locked-out user names, whatever form or page signs in."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from wangge.accounts import services
from wangge.core.middleware import client_ip


class LockoutBackend(ModelBackend):
    """Django's model backend, but a user name with too many recent failures cannot sign in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and services.login_is_locked(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _remember_failure(sender, credentials, request=None, **kwargs) -> None:
    username = credentials.get("username")
    if username:
        services.login_failure_record(username=username, ip=client_ip(request) if request else None)


@receiver(user_logged_in)
def _forgive_failures(sender, request, user, **kwargs) -> None:
    services.login_failures_clear(username=user.get_username())
