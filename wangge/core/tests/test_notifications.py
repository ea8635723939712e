"""The notification outbox: who gets what, delivery to WeCom, DingTalk, JSON and email, retries, and the inbox.

Webhooks are delivered to a real HTTP server on 127.0.0.1 that records requests and answers as told.
"""

import base64
import datetime
import hashlib
import hmac
import json
import smtplib
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from wangge import urls as root_urls
from wangge.core import notifications
from wangge.core.models import Notification, WebhookEndpoint
from wangge.core.notification_views import unread_notifications
from wangge.core.notifications import BACKOFF, CLAIM_LEASE, deliver_due, notify, unread_count

# The project's URLs with the inbox, whether or not the root URLconf includes it yet.
urlpatterns = list(root_urls.urlpatterns)
if not any(getattr(pattern, "namespace", None) == "notifications" for pattern in urlpatterns):
    urlpatterns.insert(0, path("notifications/", include("wangge.core.notification_urls")))

WECOM_KEY = "wecom-key-5f1e2d3c"
DINGTALK_TOKEN = "ding-token-8a7b6c5d"
DINGTALK_SECRET = "SECdingtalk-secret-0123456789"
JSON_SECRET = "json-hmac-secret-abcdef"
PUBLIC = "https://wangge.example.org"


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server's record of what it was sent, and the answers it is told to give, in order."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)

    def url(self, path_and_query: str) -> str:
        return f"http://127.0.0.1:{self.port}{path_and_query}"

    def reply(self, status: int, body: bytes | dict = b"", headers: dict[str, str] | None = None) -> None:
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        self.replies.append((status, content, headers or {}))


@pytest.fixture
def receiver(monkeypatch) -> Receiver:
    """A local webhook receiver; it answers like a happy group bot unless told otherwise."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            parts = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(
                Received(parts.path, dict(urllib.parse.parse_qsl(parts.query)), dict(self.headers.items()), body)
            )
            status, content, headers = (
                state.replies.pop(0) if state.replies else (200, b'{"errcode": 0, "errmsg": "ok"}', {})
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    # A short poll interval: shutting down waits for the next poll.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_url(settings) -> str:
    settings.PUBLIC_BASE_URL = PUBLIC
    return PUBLIC


def endpoint(
    area, kind: str, url: str, *, secret: str = "", events: list[str] | None = None, **extra
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        scope_path=area.path,
        name=f"{kind} {area.name}",
        kind=kind,
        url=url,
        secret=secret,
        events=events or [],
        **extra,
    )


def case_closed(area_path: str, *, key: str = "case:1:closed", recipients=(), **extra) -> list[Notification]:
    return notify(
        event="case.closed",
        area_path=area_path,
        subject="案件已办结",
        body="俭学街1号门前垃圾已清理。\n请评价。",
        link="/cases/1/",
        payload={"case": 1, "closed_at": datetime.datetime(2014, 10, 11, 9, 30, tzinfo=datetime.UTC)},
        recipients=recipients,
        dedupe_key=key,
        **extra,
    )


def webhook_rows() -> list[Notification]:
    return list(Notification.objects.filter(channel="webhook").order_by("id"))


def closed_port() -> int:
    """A local port that refuses connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def later(**delta: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


class NotifyTests:
    def test_it_delivers_in_app_at_once(self, cast):
        [row] = case_closed(cast.compound1.area_path, recipients=[cast.grid_worker])
        assert (row.channel, row.recipient, row.state) == ("in_app", cast.grid_worker, "sent")
        assert row.sent_at is not None and row.read_at is None
        assert row.area_path == cast.compound1.area_path
        assert row.payload == {"case": 1, "closed_at": "2014-10-11T09:30:00Z"}

    def test_it_emails_recipients_who_have_an_address(self, cast):
        cast.grid_worker.email = "worker@example.org"
        cast.grid_worker.save()
        rows = case_closed(cast.grid1.path, recipients=[cast.grid_worker, cast.director])
        assert sorted((row.channel, row.recipient.username) for row in rows) == [
            ("email", "gridworker"),
            ("in_app", "director"),
            ("in_app", "gridworker"),
        ]
        email = next(row for row in rows if row.channel == "email")
        assert (email.email, email.state, email.attempts) == ("worker@example.org", "pending", 0)

    def test_it_creates_nothing_new_for_the_same_key(self, cast):
        endpoint(cast.home, "json", "http://127.0.0.1:9/hook")
        first = case_closed(cast.grid1.path, recipients=[cast.grid_worker, cast.grid_worker, cast.director])
        second = case_closed(cast.grid1.path, recipients=[cast.grid_worker, cast.director])
        assert len(first) == 3
        assert [row.pk for row in second] == [row.pk for row in first]
        assert Notification.objects.count() == 3
        assert {row.dedupe_key for row in first} == {
            f"case:1:closed:in_app:{cast.grid_worker.pk}",
            f"case:1:closed:in_app:{cast.director.pk}",
            f"case:1:closed:webhook:{WebhookEndpoint.objects.get().pk}",
        }

    def test_it_keeps_long_keys_unique_and_stable(self, cast):
        key = "x" * 300
        first = case_closed(cast.grid1.path, key=key, recipients=[cast.grid_worker])
        again = case_closed(cast.grid1.path, key=key, recipients=[cast.grid_worker])
        assert [row.pk for row in again] == [row.pk for row in first]
        assert first[0].dedupe_key.startswith("sha256:")

    def test_it_sends_an_areas_events_to_its_endpoints_and_the_areas_above(self, cast):
        grid1 = endpoint(cast.grid1, "wecom", "http://127.0.0.1:9/grid1")
        grid2 = endpoint(cast.grid2, "wecom", "http://127.0.0.1:9/grid2")
        community = endpoint(cast.home, "dingtalk", "http://127.0.0.1:9/home")
        endpoint(cast.next_door, "json", "http://127.0.0.1:9/next")
        endpoint(cast.home, "json", "http://127.0.0.1:9/off", active=False)
        case_closed(cast.compound1.area_path, key="case:1")
        assert {row.endpoint for row in webhook_rows()} == {grid1, community}
        case_closed(cast.compound2.area_path, key="case:2")
        assert {row.endpoint for row in webhook_rows() if row.dedupe_key.startswith("case:2:")} == {grid2, community}

    def test_it_sends_only_the_events_an_endpoint_subscribes_to(self, cast):
        exact = endpoint(cast.home, "json", "http://127.0.0.1:9/a", events=["case.closed"])
        pattern = endpoint(cast.home, "json", "http://127.0.0.1:9/b", events=["case.*"])
        endpoint(cast.home, "json", "http://127.0.0.1:9/c", events=["inspection.finding", "case.opened"])
        everything = endpoint(cast.home, "json", "http://127.0.0.1:9/d")
        case_closed(cast.grid1.path)
        assert {row.endpoint for row in webhook_rows()} == {exact, pattern, everything}

    def test_it_writes_nothing_when_the_change_rolls_back(self, cast):
        with pytest.raises(RuntimeError), transaction.atomic():
            case_closed(cast.grid1.path, recipients=[cast.grid_worker])
            raise RuntimeError("the service failed after notifying")
        assert not Notification.objects.exists()

    def test_it_skips_inactive_users(self, cast):
        cast.grid_worker.is_active = False
        cast.grid_worker.save()
        assert case_closed(cast.grid1.path, recipients=[cast.grid_worker]) == []

    def test_it_scopes_rows_by_area(self, cast):
        case_closed(cast.compound1.area_path, key="one", recipients=[cast.director])
        case_closed(cast.compound2.area_path, key="two", recipients=[cast.director])
        assert Notification.objects.for_user(cast.grid_worker).count() == 1
        assert Notification.objects.for_user(cast.director).count() == 2
        assert Notification.objects.for_user(cast.outsider).count() == 0

    def test_it_stores_endpoint_keys_encrypted(self, cast):
        hook = endpoint(cast.home, "wecom", f"http://127.0.0.1:9/send?key={WECOM_KEY}", secret=JSON_SECRET)
        with connection.cursor() as cursor:
            cursor.execute("SELECT url, secret FROM core_webhookendpoint WHERE id = %s", [hook.pk])
            stored = " ".join(cursor.fetchone())
        assert WECOM_KEY not in stored and JSON_SECRET not in stored
        assert WebhookEndpoint.objects.get(pk=hook.pk).url.endswith(WECOM_KEY)


class WebhookDeliveryTests:
    def test_it_posts_markdown_to_wecom(self, cast, receiver, public_url):
        endpoint(cast.home, "wecom", receiver.url(f"/cgi-bin/webhook/send?key={WECOM_KEY}"))
        case_closed(cast.grid1.path)
        report = deliver_due(now=later(seconds=1))
        assert (report.sent, report.retrying, report.dead) == (1, 0, 0)
        [request] = receiver.requests
        assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": WECOM_KEY})
        message = request.json()
        assert message["msgtype"] == "markdown"
        content = message["markdown"]["content"]
        assert content.startswith("**案件已办结**\n> 俭学街1号门前垃圾已清理。\n> 请评价。\n")
        assert content.endswith(f"]({PUBLIC}/cases/1/)")
        [row] = webhook_rows()
        assert (row.state, row.attempts, row.last_error, row.next_attempt_at) == ("sent", 1, "", None)

    def test_it_sends_a_relative_link_without_a_public_address(self, cast, receiver, settings):
        settings.PUBLIC_BASE_URL = ""
        endpoint(cast.home, "wecom", receiver.url(f"/send?key={WECOM_KEY}"))
        case_closed(cast.grid1.path)
        deliver_due(now=later(seconds=1))
        assert receiver.requests[0].json()["markdown"]["content"].endswith("](/cases/1/)")

    def test_it_retries_when_wecom_answers_an_errcode(self, cast, receiver):
        endpoint(cast.home, "wecom", receiver.url(f"/send?key={WECOM_KEY}"))
        receiver.reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        case_closed(cast.grid1.path)
        now = later(seconds=1)
        report = deliver_due(now=now)
        assert (report.sent, report.retrying) == (0, 1)
        [row] = webhook_rows()
        assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 1, now + datetime.timedelta(minutes=1))
        assert row.last_error == "errcode 93000: invalid webhook url"

    def test_it_signs_dingtalk_requests(self, cast, receiver, public_url):
        endpoint(
            cast.home, "dingtalk", receiver.url(f"/robot/send?access_token={DINGTALK_TOKEN}"), secret=DINGTALK_SECRET
        )
        case_closed(cast.grid1.path)
        before = int(timezone.now().timestamp() * 1000)
        assert deliver_due(now=later(seconds=1)).sent == 1
        [request] = receiver.requests
        assert request.query["access_token"] == DINGTALK_TOKEN
        timestamp = int(request.query["timestamp"])
        assert before - 1000 <= timestamp <= before + 60_000
        expected = hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256)
        assert request.query["sign"] == base64.b64encode(expected.digest()).decode()
        message = request.json()
        assert message["msgtype"] == "markdown"
        assert message["markdown"]["title"] == "案件已办结"
        assert "> 俭学街1号门前垃圾已清理。" in message["markdown"]["text"]
        assert f"({PUBLIC}/cases/1/)" in message["markdown"]["text"]

    def test_it_sends_dingtalk_unsigned_without_a_secret(self, cast, receiver):
        endpoint(cast.home, "dingtalk", receiver.url(f"/robot/send?access_token={DINGTALK_TOKEN}"))
        case_closed(cast.grid1.path)
        deliver_due(now=later(seconds=1))
        assert receiver.requests[0].query == {"access_token": DINGTALK_TOKEN}

    def test_it_retries_when_dingtalk_answers_an_errcode(self, cast, receiver):
        endpoint(cast.home, "dingtalk", receiver.url("/robot/send"), secret=DINGTALK_SECRET)
        receiver.reply(200, {"errcode": 310000, "errmsg": "sign not match"})
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).retrying == 1
        assert webhook_rows()[0].last_error == "errcode 310000: sign not match"

    def test_it_signs_json_deliveries_with_hmac(self, cast, receiver, public_url):
        endpoint(cast.home, "json", receiver.url("/wangge/events"), secret=JSON_SECRET)
        receiver.reply(204)
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).sent == 1
        [request] = receiver.requests
        expected = "sha256=" + hmac.new(JSON_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Wangge-Signature"] == expected
        [row] = webhook_rows()
        assert request.headers["X-Wangge-Event"] == "case.closed"
        assert request.headers["X-Wangge-Delivery"] == str(row.pk)
        assert request.json() == {
            "event": "case.closed",
            "subject": "案件已办结",
            "body": "俭学街1号门前垃圾已清理。\n请评价。",
            "link": f"{PUBLIC}/cases/1/",
            "data": {"case": 1, "closed_at": "2014-10-11T09:30:00Z"},
            "id": row.pk,
        }

    def test_it_sends_json_unsigned_without_a_secret(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"))
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).sent == 1
        assert "X-Wangge-Signature" not in receiver.requests[0].headers

    def test_it_takes_any_2xx_from_a_json_receiver_and_nothing_else(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"))
        receiver.reply(202, b"queued")
        receiver.reply(404, b"no such hook")
        case_closed(cast.grid1.path, key="a")
        case_closed(cast.grid1.path, key="b")
        report = deliver_due(now=later(seconds=1))
        assert (report.sent, report.retrying) == (1, 1)
        assert sorted(row.state for row in webhook_rows()) == ["failed", "sent"]

    def test_it_backs_off_after_a_server_error(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"))
        receiver.reply(500, b"oops")
        receiver.reply(500, b"oops")
        case_closed(cast.grid1.path)
        start = later(seconds=1)
        deliver_due(now=start)
        [row] = webhook_rows()
        assert (row.state, row.attempts, row.last_error) == ("failed", 1, "HTTP 500")
        assert row.next_attempt_at == start + datetime.timedelta(minutes=1)
        # Not due yet: nothing is sent.
        assert deliver_due(now=start + datetime.timedelta(seconds=59)).sent == 0
        assert len(receiver.requests) == 1
        second = start + datetime.timedelta(minutes=1)
        deliver_due(now=second)
        row.refresh_from_db()
        assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 2, second + datetime.timedelta(minutes=5))
        third = row.next_attempt_at
        assert deliver_due(now=third).sent == 1
        row.refresh_from_db()
        assert (row.state, row.attempts, row.last_error, row.sent_at) == ("sent", 3, "", third)

    def test_it_gives_up_after_six_attempts(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"))
        for _ in range(7):
            receiver.reply(500)
        case_closed(cast.grid1.path)
        now = later(seconds=1)
        waits = []
        for attempt in range(1, 7):
            report = deliver_due(now=now)
            row = webhook_rows()[0]
            assert row.attempts == attempt
            if attempt < 6:
                assert (report.retrying, row.state) == (1, "failed")
                waits.append(row.next_attempt_at - now)
                now = row.next_attempt_at
        assert waits == BACKOFF
        assert (report.dead, row.state, row.next_attempt_at) == (1, "dead", None)
        assert deliver_due(now=now + datetime.timedelta(days=30)).sent == 0
        assert len(receiver.requests) == 6

    def test_it_sends_once_when_run_twice(self, cast, receiver):
        endpoint(cast.home, "wecom", receiver.url(f"/send?key={WECOM_KEY}"))
        case_closed(cast.grid1.path)
        case_closed(cast.grid1.path)
        now = later(seconds=1)
        assert deliver_due(now=now).sent == 1
        assert deliver_due(now=now).sent == 0
        assert deliver_due(now=now + datetime.timedelta(days=1)).sent == 0
        assert len(receiver.requests) == 1

    def test_it_sends_once_when_a_second_run_starts_during_a_send(self, cast, receiver, monkeypatch):
        endpoint(cast.home, "wecom", receiver.url(f"/send?key={WECOM_KEY}"))
        case_closed(cast.grid1.path)
        now = later(seconds=1)
        overlapping = []
        send = notifications._send_webhook

        def send_while_another_run_starts(notification, hook) -> None:
            overlapping.append(deliver_due(now=now))
            send(notification, hook)

        monkeypatch.setattr(notifications, "_send_webhook", send_while_another_run_starts)
        assert deliver_due(now=now).sent == 1
        assert (overlapping[0].sent, overlapping[0].skipped) == (0, 0)
        assert len(receiver.requests) == 1

    def test_it_lets_only_one_run_claim_a_row(self, cast):
        endpoint(cast.home, "json", "http://127.0.0.1:9/events")
        case_closed(cast.grid1.path)
        [row] = webhook_rows()
        now = later(seconds=1)
        assert notifications._claim(row.pk, now) is True
        assert notifications._claim(row.pk, now) is False
        assert deliver_due(now=now).sent == 0

    def test_it_takes_over_a_claim_whose_sender_died(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"))
        case_closed(cast.grid1.path)
        [row] = webhook_rows()
        now = later(seconds=1)
        notifications._claim(row.pk, now)  # ... and the process is killed before it sends
        assert deliver_due(now=now + CLAIM_LEASE).sent == 1

    def test_it_refuses_a_redirect_to_another_host(self, cast, receiver):
        endpoint(cast.home, "json", receiver.url("/events"), secret=JSON_SECRET)
        receiver.reply(307, headers={"Location": "http://127.0.0.2:9/stolen"})
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).retrying == 1
        assert webhook_rows()[0].last_error == "HTTP 307: redirect to another host refused"
        assert len(receiver.requests) == 1

    def test_it_retries_when_nobody_answers(self, cast, receiver):
        endpoint(cast.home, "wecom", f"http://127.0.0.1:{closed_port()}/send?key={WECOM_KEY}")
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).retrying == 1
        error = webhook_rows()[0].last_error
        assert error and WECOM_KEY not in error and "127.0.0.1" not in error

    def test_it_gives_up_on_a_deactivated_endpoint(self, cast, receiver):
        hook = endpoint(cast.home, "json", receiver.url("/events"))
        case_closed(cast.grid1.path)
        WebhookEndpoint.objects.filter(pk=hook.pk).update(active=False)
        assert deliver_due(now=later(seconds=1)).dead == 1
        assert receiver.requests == []

    def test_it_never_stores_keys_or_secrets_in_errors(self, cast, receiver):
        wecom_url = receiver.url(f"/send?key={WECOM_KEY}")
        endpoint(cast.grid1, "wecom", wecom_url)
        endpoint(
            cast.grid1, "dingtalk", receiver.url(f"/robot/send?access_token={DINGTALK_TOKEN}"), secret=DINGTALK_SECRET
        )
        endpoint(cast.grid1, "json", receiver.url(f"/events?token={WECOM_KEY}x"), secret=JSON_SECRET)
        # Each answer echoes what the request carried, as some servers do.
        receiver.reply(200, {"errcode": 93000, "errmsg": f"invalid webhook url {wecom_url} key={WECOM_KEY}"})
        receiver.reply(200, {"errcode": 310000, "errmsg": f"sign not match: {DINGTALK_SECRET} {DINGTALK_TOKEN}"})
        receiver.reply(500, f"token={WECOM_KEY}x secret={JSON_SECRET}".encode())
        case_closed(cast.grid1.path)
        assert deliver_due(now=later(seconds=1)).retrying == 3
        errors = [row.last_error for row in webhook_rows()]
        assert all(errors)
        for error in errors:
            for secret in (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, JSON_SECRET):
                assert secret not in error
        assert errors[0].startswith("errcode 93000: invalid webhook url ***")

    def test_it_leaves_in_app_rows_alone(self, cast, receiver):
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        report = deliver_due(now=later(days=1))
        assert (report.sent, report.retrying, report.dead, report.skipped) == (0, 0, 0, 0)


class EmailDeliveryTests:
    def test_it_sends_email_through_django(self, cast, mailoutbox, public_url):
        cast.grid_worker.email = "worker@example.org"
        cast.grid_worker.save()
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        assert deliver_due(now=later(seconds=1)).sent == 1
        [mail] = mailoutbox
        assert (mail.to, mail.subject) == (["worker@example.org"], "案件已办结")
        assert mail.body == f"俭学街1号门前垃圾已清理。\n请评价。\n\n{PUBLIC}/cases/1/"
        assert Notification.objects.get(channel="email").state == "sent"
        assert deliver_due(now=later(days=1)).sent == 0
        assert len(mailoutbox) == 1

    def test_it_keeps_the_address_out_of_errors(self, cast, monkeypatch):
        cast.grid_worker.email = "worker@example.org"
        cast.grid_worker.save()

        def refuse(*args, **kwargs) -> None:
            raise smtplib.SMTPRecipientsRefused({"worker@example.org": (550, b"no such user")})

        monkeypatch.setattr(notifications, "send_mail", refuse)
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        assert deliver_due(now=later(seconds=1)).retrying == 1
        error = Notification.objects.get(channel="email").last_error
        assert error.startswith("SMTPRecipientsRefused") and "worker@example.org" not in error


@pytest.mark.urls(__name__)
class InboxPageTests:
    URL = "/notifications/"

    def test_it_shows_the_recipient_their_notifications(self, cast):
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        response = cast.client(cast.grid_worker).get(self.URL)
        assert response.status_code == 200
        content = response.content.decode()
        assert "案件已办结" in content and "list-group-item-primary" in content
        assert "<html" in content

    def test_it_shows_nobody_else_the_notification(self, cast):
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        for user in (cast.director, cast.grid_leader, cast.outsider):
            response = cast.client(user).get(self.URL)
            assert response.status_code == 200
            assert "案件已办结" not in response.content.decode()

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast):
        response = cast.client(None).get(self.URL)
        assert response.status_code == 302
        assert "/accounts/" in response["Location"]

    def test_it_returns_only_the_rows_to_htmx(self, cast):
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        response = cast.client(cast.grid_worker).get(self.URL, headers={"HX-Request": "true"})
        content = response.content.decode()
        assert "<html" not in content and 'id="notification-rows"' in content and "案件已办结" in content

    def test_it_pages_newest_first(self, cast, django_assert_max_num_queries):
        for number in range(25):
            case_closed(cast.grid1.path, key=f"case:{number}", recipients=[cast.grid_worker])
        client = cast.client(cast.grid_worker)
        with django_assert_max_num_queries(8):
            first = client.get(self.URL).content.decode()
        rows = Notification.objects.filter(recipient=cast.grid_worker).order_by("-created_at", "-id")
        assert f'id="notification-{rows[0].pk}"' in first and f'id="notification-{rows[24].pk}"' not in first
        second = client.get(self.URL, {"page": 2}).content.decode()
        assert second.count('class="list-group-item') == 5

    def test_it_marks_one_read(self, cast):
        [row] = case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        response = cast.client(cast.grid_worker).post(f"{self.URL}mark-read/", {"id": row.pk})
        assert response.status_code == 302
        row.refresh_from_db()
        assert row.read_at is not None
        assert unread_count(cast.grid_worker) == 0

    def test_it_refuses_to_mark_someone_elses(self, cast):
        [row] = case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        response = cast.client(cast.director).post(f"{self.URL}mark-read/", {"id": row.pk})
        assert response.status_code == 404
        row.refresh_from_db()
        assert row.read_at is None

    def test_it_marks_all_read_for_htmx(self, cast):
        case_closed(cast.grid1.path, key="a", recipients=[cast.grid_worker, cast.director])
        case_closed(cast.grid1.path, key="b", recipients=[cast.grid_worker])
        assert unread_count(cast.grid_worker) == 2
        response = cast.client(cast.grid_worker).post(
            f"{self.URL}mark-read/", {"all": "1"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        assert response["HX-Trigger"] == "notifications-read"
        assert "<html" not in response.content.decode()
        assert unread_count(cast.grid_worker) == 0
        assert unread_count(cast.director) == 1

    def test_it_refuses_get_to_mark_read(self, cast):
        assert cast.client(cast.grid_worker).get(f"{self.URL}mark-read/").status_code == 405

    def test_it_opens_the_link_and_marks_it_read(self, cast):
        [row] = case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        response = cast.client(cast.grid_worker).get(f"{self.URL}{row.pk}/open/")
        assert (response.status_code, response["Location"]) == (302, "/cases/1/")
        row.refresh_from_db()
        assert row.read_at is not None
        assert cast.client(cast.director).get(f"{self.URL}{row.pk}/open/").status_code == 404

    def test_it_never_opens_another_site(self, cast):
        [row] = notify(
            event="x",
            area_path=cast.grid1.path,
            subject="s",
            body="",
            link="https://evil.example/",
            recipients=[cast.grid_worker],
            dedupe_key="x",
        )
        response = cast.client(cast.grid_worker).get(f"{self.URL}{row.pk}/open/")
        assert response["Location"] == self.URL


class UnreadCountTests:
    def test_it_counts_unread_in_app_notifications(self, cast):
        cast.grid_worker.email = "worker@example.org"
        cast.grid_worker.save()
        case_closed(cast.grid1.path, key="a", recipients=[cast.grid_worker])
        case_closed(cast.grid1.path, key="b", recipients=[cast.grid_worker])
        Notification.objects.filter(dedupe_key__startswith="a:").update(read_at=timezone.now())
        assert unread_count(cast.grid_worker) == 1
        assert unread_count(cast.director) == 0
        assert unread_count(AnonymousUser()) == 0

    def test_it_counts_only_when_a_template_asks(self, cast):
        case_closed(cast.grid1.path, recipients=[cast.grid_worker])
        request = RequestFactory().get("/")
        request.user = cast.grid_worker
        with CaptureQueriesContext(connection) as queries:
            context = unread_notifications(request)
        assert len(queries) == 0
        assert str(context["unread_notifications"]) == "1"
