"""API keys: created by `wangge apikey`, shown once, stored hashed, revocable, scoped like their user."""

import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from wangge.accounts.models import ApiKey, User
from wangge.core.models import AuditEvent
from wangge.territory.models import Compound

COMPOUNDS = "/api/v1/compounds/"


def create_key(username: str) -> str:
    """The key printed by `apikey create` for `username`."""
    out = io.StringIO()
    call_command("apikey", "create", "--user", username, "--name", "integration test", stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()[-1]


def get(path: str, key: str | None = None):
    headers = {"Authorization": f"Token {key}"} if key is not None else {}
    return Client().get(path, headers=headers)


class ApiKeyCommandTests:
    def test_it_prints_the_key_alone_on_its_last_line(self, cast):
        out, err = io.StringIO(), io.StringIO()
        call_command("apikey", "create", "--user", "director", stdout=out, stderr=err)
        last = out.getvalue().splitlines()[-1]
        assert re.fullmatch(r"wg_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}", last)
        api_key = ApiKey.objects.get()
        assert last.startswith(f"wg_{api_key.prefix}_")
        assert api_key.user == cast.director
        assert api_key.name == "cli"
        assert last not in err.getvalue()

    def test_it_refuses_an_unknown_user(self, cast):
        with pytest.raises(CommandError, match="nobody"):
            call_command("apikey", "create", "--user", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
        assert not ApiKey.objects.exists()

    def test_it_lists_prefixes_but_never_keys(self, cast):
        key = create_key("director")
        out = io.StringIO()
        call_command("apikey", "list", stdout=out)
        assert ApiKey.objects.get().prefix in out.getvalue()
        assert "active" in out.getvalue()
        assert key not in out.getvalue()

    def test_it_audits_creation_and_revocation_without_the_key(self, cast):
        key = create_key("director")
        call_command("apikey", "revoke", ApiKey.objects.get().prefix, stdout=io.StringIO())
        events = AuditEvent.objects.filter(action__startswith="apikey.").order_by("id")
        assert [event.action for event in events] == ["apikey.create", "apikey.revoke"]
        assert all(key not in json.dumps([event.before, event.after]) for event in events)


class ApiKeyStorageTests:
    def test_it_stores_only_the_hash(self, cast):
        key = create_key("director")
        row = ApiKey.objects.values().get()
        assert all(key not in str(value) for value in row.values())
        # The secret itself may contain "_" (token_urlsafe): split off "wg_<prefix>_" only.
        secret_part = key.split("_", 2)[2]
        assert all(secret_part not in str(value) for value in row.values())
        assert row["hashed"] == hashlib.sha256(key.encode()).hexdigest()

    def test_it_gives_every_key_its_own_prefix_and_hash(self, cast):
        keys = {create_key("director") for _ in range(3)}
        assert len(keys) == 3
        assert ApiKey.objects.values("prefix").distinct().count() == 3
        assert ApiKey.objects.values("hashed").distinct().count() == 3


class ApiKeyAuthenticationTests:
    def test_it_lets_a_key_read_its_users_compounds(self, cast):
        key = create_key("director")
        response = get(COMPOUNDS, key)
        assert response.status_code == 200
        data = response.json()
        assert data["count"] == Compound.objects.for_user(cast.director).count() == 2
        assert {row["code"] for row in data["results"]} == {"T-C01", "T-C02"}

    def test_it_scopes_a_key_like_its_user(self, cast):
        response = get(COMPOUNDS, create_key("gridworker"))
        assert response.status_code == 200
        assert [row["code"] for row in response.json()["results"]] == ["T-C01"]

    def test_it_records_when_a_key_was_last_used(self, cast):
        key = create_key("director")
        assert ApiKey.objects.get().last_used_at is None
        get(COMPOUNDS, key)
        assert ApiKey.objects.get().last_used_at is not None

    def test_it_refuses_a_revoked_key(self, cast):
        key = create_key("director")
        call_command("apikey", "revoke", ApiKey.objects.get().prefix, stdout=io.StringIO())
        response = get(COMPOUNDS, key)
        assert response.status_code == 401
        assert "results" not in response.json()

    def test_it_refuses_a_wrong_key(self, cast):
        key = create_key("director")
        response = get(COMPOUNDS, key[:-1] + ("A" if key[-1] != "A" else "B"))
        assert response.status_code == 401

    def test_it_refuses_the_stored_hash_as_a_key(self, cast):
        create_key("director")
        response = get(COMPOUNDS, ApiKey.objects.get().hashed)
        assert response.status_code == 401

    def test_it_refuses_a_request_without_key_or_session(self, cast):
        response = get(COMPOUNDS)
        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    def test_it_refuses_the_key_of_an_inactive_user(self, cast):
        key = create_key("director")
        User.objects.filter(pk=cast.director.pk).update(is_active=False)
        response = get(COMPOUNDS, key)
        assert response.status_code == 401

    def test_it_still_accepts_a_session(self, cast):
        response = cast.client(cast.director).get(COMPOUNDS)
        assert response.status_code == 200
        assert response.json()["count"] == 2
