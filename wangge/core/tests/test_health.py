"""The health check, and settings that fail loudly on nonsense and on missing secrets."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client

from wangge.settings import PROJECT_DIR, envbool, envint, envlist


class HealthzTests:
    def test_it_reports_the_database_ok(self, db):
        response = Client().get("/healthz")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"status": "ok", "database": "ok", "vendor": connection.vendor}

    def test_it_needs_no_sign_in(self, db):
        response = Client().get("/healthz", follow=False)
        assert response.status_code == 200

    def test_it_answers_only_get(self, db):
        assert Client().post("/healthz").status_code == 405


class EnvHelpersTests:
    @pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), (" Yes ", True), ("ON", True)])
    def test_it_reads_true(self, monkeypatch, raw, value):
        monkeypatch.setenv("WANGGE_TEST_FLAG", raw)
        assert envbool("WANGGE_TEST_FLAG") is value

    @pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
    def test_it_reads_false(self, monkeypatch, raw):
        monkeypatch.setenv("WANGGE_TEST_FLAG", raw)
        assert envbool("WANGGE_TEST_FLAG", default=True) is False

    def test_it_uses_the_default_when_unset(self, monkeypatch):
        monkeypatch.delenv("WANGGE_TEST_FLAG", raising=False)
        assert envbool("WANGGE_TEST_FLAG", default=True) is True
        assert envint("WANGGE_TEST_FLAG", 7) == 7

    @pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y e s"])
    def test_it_refuses_a_nonsense_boolean(self, monkeypatch, raw):
        monkeypatch.setenv("WANGGE_TEST_FLAG", raw)
        with pytest.raises(ImproperlyConfigured, match="WANGGE_TEST_FLAG"):
            envbool("WANGGE_TEST_FLAG")

    def test_it_reads_an_integer(self, monkeypatch):
        monkeypatch.setenv("WANGGE_TEST_NUMBER", " 42 ")
        assert envint("WANGGE_TEST_NUMBER", 7) == 42

    def test_it_uses_the_default_for_an_empty_integer(self, monkeypatch):
        monkeypatch.setenv("WANGGE_TEST_NUMBER", "  ")
        assert envint("WANGGE_TEST_NUMBER", 7) == 7

    @pytest.mark.parametrize("raw", ["ten", "4.5", "1e3", "5 minutes"])
    def test_it_refuses_a_nonsense_integer(self, monkeypatch, raw):
        monkeypatch.setenv("WANGGE_TEST_NUMBER", raw)
        with pytest.raises(ImproperlyConfigured, match="WANGGE_TEST_NUMBER"):
            envint("WANGGE_TEST_NUMBER", 7)

    def test_it_reads_a_list(self, monkeypatch):
        monkeypatch.setenv("WANGGE_TEST_LIST", " a.example, ,b.example ")
        assert envlist("WANGGE_TEST_LIST", []) == ["a.example", "b.example"]


def import_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, in production mode, with only the given WANGGE_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_") and k != "DATABASE_URL"}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update({"WANGGE_DEBUG": "false", "WANGGE_VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import wangge.settings"],
        cwd=PROJECT_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class ProductionSettingsTests:
    def test_it_refuses_to_start_without_a_secret_key(self, tmp_path):
        result = import_settings(tmp_path)
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "WANGGE_SECRET_KEY" in result.stderr
        assert not (tmp_path / "var").exists(), "production mode must not generate secrets"

    def test_it_refuses_to_start_without_the_pii_keys(self, tmp_path):
        result = import_settings(tmp_path, WANGGE_SECRET_KEY="s" * 50)
        assert result.returncode != 0
        assert "WANGGE_PII_KEYS" in result.stderr

    def test_it_starts_when_every_secret_is_given(self, tmp_path):
        result = import_settings(
            tmp_path,
            WANGGE_SECRET_KEY="s" * 50,
            WANGGE_PII_KEYS="k1:" + "A" * 43 + "=",
            WANGGE_PII_INDEX_KEY="i" * 43,
            WANGGE_ALLOWED_HOSTS="wangge.example",
        )
        assert result.returncode == 0, result.stderr
