"""Signing in: the page, lockout after repeated failures, and password hashing."""

import datetime
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from conftest import PASSWORD
from wangge.accounts import services as account_services
from wangge.accounts.models import LoginFailure

LOGIN = "/accounts/login/"
CJK = re.compile(r"[\u4e00-\u9fff]")


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def locked_errors(response) -> list[str]:
    form = response.context["form"]
    return [
        message for error in form.errors.as_data().get("__all__", []) if error.code == "locked" for message in error
    ]


@pytest.mark.usefixtures("fast_password_hashing")
class LoginPageTests:
    def test_it_renders_in_chinese_by_default(self, db):
        response = Client().get(LOGIN)
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="zh-hans"' in html
        main = html[html.index("<main") : html.index("</main>")]
        assert CJK.search(main), "the sign-in form should be in Chinese"
        assert "Sign in" not in main

    def test_it_stays_chinese_for_an_english_browser(self, db):
        response = Client().get(LOGIN, headers={"Accept-Language": "en"})
        html = response.content.decode()
        assert '<html lang="zh-hans"' in html
        assert "Sign in" not in html[html.index("<main") : html.index("</main>")]

    def test_it_renders_in_english_when_the_user_switched(self, db):
        language = translation.get_language()
        client = Client()
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        try:
            response = client.get(LOGIN)
        finally:
            translation.activate(language)  # the middleware activates the language for this thread
        assert response.status_code == 200
        assert '<html lang="en"' in response.content.decode()
        assert "Sign in" in response.content.decode()

    def test_it_signs_in_with_the_right_password(self, cast):
        client = Client()
        response = sign_in(client, "director", PASSWORD)
        assert response.status_code == 302
        assert signed_in(client)

    def test_it_refuses_a_wrong_password(self, cast):
        client = Client()
        response = sign_in(client, "director", "wrong-password")
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not signed_in(client)


@pytest.mark.usefixtures("fast_password_hashing")
class LockoutTests:
    def test_it_locks_the_account_after_the_failure_limit(self, cast):
        assert django_settings.LOGIN_FAILURE_LIMIT == 5
        client = Client()
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT):
            response = sign_in(client, "director", "wrong-password")
            assert response.status_code == 200
            assert not locked_errors(response)
        response = sign_in(client, "director", PASSWORD)
        assert response.status_code == 200
        assert not signed_in(client)
        messages = locked_errors(response)
        assert messages, "the form should say the account is locked"
        assert str(django_settings.LOGIN_FAILURE_WINDOW_MINUTES) in messages[0]
        assert escape(messages[0]) in response.content.decode()

    def test_it_does_not_lock_before_the_limit(self, cast):
        client = Client()
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT - 1):
            sign_in(client, "director", "wrong-password")
        response = sign_in(client, "director", PASSWORD)
        assert response.status_code == 302
        assert signed_in(client)

    def test_it_locks_the_backend_too_whatever_page_signs_in(self, cast):
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT):
            assert authenticate(None, username="director", password="wrong-password") is None
        assert authenticate(None, username="director", password=PASSWORD) is None

    def test_it_counts_failures_whatever_the_case_of_the_user_name(self, cast):
        client = Client()
        for username in ("Director", "DIRECTOR", "director", "DiReCtOr", "director"):
            sign_in(client, username, "wrong-password")
        assert LoginFailure.objects.filter(username="director").count() == 5
        assert locked_errors(sign_in(client, "director", PASSWORD))

    def test_it_locks_only_the_attacked_user_name(self, cast):
        client = Client()
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT):
            sign_in(client, "director", "wrong-password")
        assert sign_in(Client(), "gridleader", PASSWORD).status_code == 302

    def test_it_forgets_failures_older_than_the_window(self, cast):
        old = timezone.now() - datetime.timedelta(minutes=django_settings.LOGIN_FAILURE_WINDOW_MINUTES + 1)
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT):
            LoginFailure.objects.create(username="director", created_at=old)
        assert not account_services.login_is_locked("director")
        assert sign_in(Client(), "director", PASSWORD).status_code == 302

    def test_it_records_the_address_of_a_failure(self, cast):
        Client(REMOTE_ADDR="127.0.0.5").post(LOGIN, {"username": "director", "password": "wrong-password"})
        assert LoginFailure.objects.get().ip == "127.0.0.5"

    def test_it_clears_failures_after_a_successful_sign_in(self, cast):
        client = Client()
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT - 1):
            sign_in(client, "director", "wrong-password")
        assert LoginFailure.objects.filter(username="director").count() == django_settings.LOGIN_FAILURE_LIMIT - 1
        assert sign_in(client, "director", PASSWORD).status_code == 302
        assert not LoginFailure.objects.filter(username="director").exists()
        # The slate is clean: another limit-minus-one failures still don't lock.
        for _ in range(django_settings.LOGIN_FAILURE_LIMIT - 1):
            sign_in(Client(), "director", "wrong-password")
        assert sign_in(Client(), "director", PASSWORD).status_code == 302


class PasswordHashingTests:
    def test_it_hashes_passwords_with_argon2(self, db):
        user = account_services.user_create(actor=None, username="hashed", display_name="哈希", password=PASSWORD)
        assert user.password.startswith("argon2")
        assert PASSWORD not in user.password
        assert user.check_password(PASSWORD)
        assert not user.check_password("wrong-password")

    def test_it_gives_a_user_without_password_an_unusable_one(self, db):
        user = account_services.user_create(actor=None, username="nopassword", display_name="无密码")
        assert not user.has_usable_password()
        assert authenticate(None, username="nopassword", password="") is None
