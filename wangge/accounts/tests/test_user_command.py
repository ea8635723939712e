"""`wangge user`: accounts from the command line, e.g. an integrator that only uses an API key."""

import io

import pytest
from django.core.management import CommandError, call_command

from wangge.accounts import services
from wangge.accounts.models import User
from wangge.core.models import AuditEvent


class UserCommandTests:
    def test_it_creates_an_account_that_cannot_sign_in(self, db):
        out = io.StringIO()
        call_command("user", "create", "hotline", "--name", "12345 热线", stdout=out)
        user = User.objects.get(username="hotline")
        assert user.display_name == "12345 热线" and not user.has_usable_password()
        assert "API key only" in out.getvalue()
        assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()

    def test_it_refuses_a_taken_name(self, db):
        call_command("user", "create", "hotline", "--name", "热线", stdout=io.StringIO())
        with pytest.raises(CommandError):
            call_command("user", "create", "HOTLINE", "--name", "另一个", stdout=io.StringIO())

    def test_it_deactivates_an_account_and_its_keys(self, cast):
        _key, key = services.api_key_create(actor=None, user=cast.grid_worker, name="test")
        headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
        assert cast.client(None).get("/api/v1/shops/", **headers).status_code == 200
        call_command("user", "deactivate", "gridworker", stdout=io.StringIO())
        assert cast.client(None).get("/api/v1/shops/", **headers).status_code == 401
