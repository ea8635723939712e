from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from wangge.accounts import services


class SignInForm(AuthenticationForm):
    """Django's sign-in form that says so when the user name is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-ins. This account is locked for %(minutes)d minutes; try again later."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and services.login_is_locked(username):
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES},
            )
        return super().clean()
