"""The notification outbox: services `notify` inside their transaction; the sweep calls `deliver_due`.

Channels: in-app (shown at once), email (Django's mail backend) and webhooks (WeCom and DingTalk group bots,
generic JSON). A row is one message to one target; its dedupe key makes `notify` idempotent, and claiming a
row before sending makes concurrent sweeps send it once. Delivery is at least once: a receiver that must not
act twice can use the JSON delivery's `id`, which is the same on every retry.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wangge.core.models import Notification, NotificationChannel, NotificationState, WebhookEndpoint, WebhookKind
from wangge.core.pii import blind_index

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, ... attempt; the attempt after the last wait is the last one.
BACKOFF = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
HTTP_TIMEOUT = 5
# A claimed row is not due for this long: enough for one send (at most HTTP_TIMEOUT), and if the sender
# dies in between, the row comes due again by itself.
CLAIM_LEASE = datetime.timedelta(minutes=5)
_MAX_RESPONSE_BYTES = 64 * 1024
_MAX_BOT_BODY = 1000  # characters; keeps a WeCom markdown message under its 4096-byte limit
_DUE_STATES = [NotificationState.PENDING, NotificationState.FAILED]


# Writing: notify.


def _key(dedupe_key: str, channel: str, target: object) -> str:
    key = f"{dedupe_key}:{channel}:{target}"
    max_length = Notification._meta.get_field("dedupe_key").max_length
    if len(key) > max_length:
        # Still unique and stable for the same arguments, just not readable.
        key = f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def _path_prefixes(area_path: str) -> list[str]:
    """Every prefix of a materialized path that is itself a path, from the root ("") down to the path."""
    prefixes = [""]
    parts = [part for part in area_path.split("/") if part]
    for end in range(1, len(parts) + 1):
        prefixes.append("/".join(parts[:end]) + "/")
    if area_path not in prefixes:
        prefixes.append(area_path)
    return prefixes


def matching_endpoints(*, event: str, area_path: str) -> list[WebhookEndpoint]:
    """Active endpoints whose area holds `area_path` and that subscribe to `event`."""
    # Only what matching needs: the URL and secret stay encrypted in the database.
    candidates = WebhookEndpoint.objects.filter(active=True, area_path__in=_path_prefixes(area_path)).only(
        "id", "area_path", "events"
    )
    return [endpoint for endpoint in candidates.order_by("id") if endpoint.wants(event)]


def notify(
    *,
    event: str,
    area_path: str,
    subject: str,
    body: str,
    link: str = "",
    payload: dict[str, Any] | None = None,
    recipients: Iterable[Any] = (),
    emails: Iterable[str] = (),
    dedupe_key: str,
) -> list[Notification]:
    """The outbox rows of one event, created once per dedupe key: in-app and email per recipient, one per webhook.

    `emails` are addresses without an account (a resident who asked to hear back); they are stored encrypted
    and only their blind index goes into the dedupe key.

    Call it inside the service's transaction, so the messages exist exactly when the change does. In-app rows
    are delivered at once; the others wait for `deliver_due`. Returns every row of this key, new or not.
    """
    now = timezone.now()
    common = {
        "event": event,
        "area_path": area_path,
        "subject": subject[: Notification._meta.get_field("subject").max_length],
        "body": body,
        "link": link,
        "payload": payload or {},
    }
    rows: list[Notification] = []
    users = {user.pk: user for user in recipients if user is not None and user.pk and user.is_active}
    for user in users.values():
        rows.append(
            Notification(
                channel=NotificationChannel.IN_APP,
                recipient=user,
                dedupe_key=_key(dedupe_key, NotificationChannel.IN_APP, user.pk),
                state=NotificationState.SENT,
                sent_at=now,
                **common,
            )
        )
        if user.email:
            rows.append(
                Notification(
                    channel=NotificationChannel.EMAIL,
                    recipient=user,
                    email=user.email,
                    dedupe_key=_key(dedupe_key, NotificationChannel.EMAIL, user.pk),
                    next_attempt_at=now,
                    **common,
                )
            )
    for address in {address.strip() for address in emails if address and address.strip()}:
        rows.append(
            Notification(
                channel=NotificationChannel.EMAIL,
                email=address,
                dedupe_key=_key(dedupe_key, NotificationChannel.EMAIL, blind_index(address)[:16]),
                next_attempt_at=now,
                **common,
            )
        )
    for endpoint in matching_endpoints(event=event, area_path=area_path):
        rows.append(
            Notification(
                channel=NotificationChannel.WEBHOOK,
                endpoint=endpoint,
                dedupe_key=_key(dedupe_key, NotificationChannel.WEBHOOK, endpoint.pk),
                next_attempt_at=now,
                **common,
            )
        )
    keys = [row.dedupe_key for row in rows]
    with transaction.atomic():
        existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        # A concurrent notify with the same key may insert between the check and here: the conflict is ignored.
        Notification.objects.bulk_create([row for row in rows if row.dedupe_key not in existing], ignore_conflicts=True)
        return list(Notification.objects.filter(dedupe_key__in=keys).order_by("id"))


def unread_count(user: Any) -> int:
    """How many in-app notifications `user` has not read (0 for anonymous visitors)."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=NotificationChannel.IN_APP, read_at=None).count()


# Delivering: deliver_due.


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    skipped: int = 0  # claimed by a concurrent run, or no longer due

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, dead {self.dead}, skipped {self.skipped}"


class DeliveryError(Exception):
    """A delivery that did not succeed; the message is safe to store (no URL, key, secret or address)."""


class _GiveUp(DeliveryError):
    """A failure that no retry can mend."""


def _absolute(link: str) -> str:
    """The link as an address a bot's reader can open; relative when no public base URL is configured."""
    if not link or link.startswith(("https://", "http://")):
        return link
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{link}" if base and link.startswith("/") else link


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in _short(body, _MAX_BOT_BODY).splitlines())


def wecom_message(notification: Notification) -> dict[str, Any]:
    """The WeCom group-bot message (markdown) of a notification."""
    lines = [f"**{notification.subject}**"]
    if notification.body:
        lines.append(_quoted(notification.body))
    if link := _absolute(notification.link):
        lines.append("[" + _("View details") + f"]({link})")
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def dingtalk_message(notification: Notification) -> dict[str, Any]:
    """The DingTalk group-bot message (markdown) of a notification."""
    lines = [f"#### {notification.subject}"]
    if notification.body:
        lines.append(_quoted(notification.body))
    if link := _absolute(notification.link):
        lines.append("\n[" + _("View details") + f"]({link})")
    return {"msgtype": "markdown", "markdown": {"title": notification.subject, "text": "\n".join(lines)}}


def json_message(notification: Notification) -> dict[str, Any]:
    """The generic JSON delivery of a notification; `id` is the same on every retry."""
    return {
        "event": notification.event,
        "subject": notification.subject,
        "body": notification.body,
        "link": _absolute(notification.link),
        "data": notification.payload,
        "id": notification.pk,
    }


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature of a request: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), before URL-encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def json_signature(secret: str, body: bytes) -> str:
    """The X-Wangge-Signature header of a JSON delivery: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the endpoint's own host: a bot key must not be carried elsewhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            raise DeliveryError(f"HTTP {code}: redirect to another host refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST `body` to `url`; the status and (the start of) the response, whatever the status."""
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise DeliveryError("the endpoint's address is not http or https")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "wangge", **headers},
    )
    opener = urllib.request.build_opener(_SameHostRedirects)
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.read(_MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as error:
        return error.code, error.read(_MAX_RESPONSE_BYTES)
    except urllib.error.URLError as error:
        reason = error.reason
        text = reason if isinstance(reason, str) else getattr(reason, "strerror", None) or type(reason).__name__
        raise DeliveryError(text) from None
    except TimeoutError:
        raise DeliveryError("timed out") from None
    except OSError as error:
        raise DeliveryError(error.strerror or type(error).__name__) from None


def _bot_result(status: int, content: bytes) -> None:
    """Group bots answer 200 with {"errcode": 0} on success, and an errcode and errmsg otherwise."""
    if status != 200:
        raise DeliveryError(f"HTTP {status}")
    try:
        answer = json.loads(content)
    except ValueError:
        raise DeliveryError("HTTP 200 but the answer is not JSON") from None
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise DeliveryError(f"errcode {errcode}: {errmsg}")


def _send_webhook(notification: Notification, endpoint: WebhookEndpoint) -> None:
    url = endpoint.url
    headers: dict[str, str] = {}
    if endpoint.kind == WebhookKind.WECOM:
        body = json.dumps(wecom_message(notification), ensure_ascii=False).encode()
    elif endpoint.kind == WebhookKind.DINGTALK:
        body = json.dumps(dingtalk_message(notification), ensure_ascii=False).encode()
        if endpoint.secret:
            # DingTalk checks the timestamp against its own clock, so it is the real time, not the run's `now`.
            timestamp = int(time.time() * 1000)
            query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(endpoint.secret, timestamp)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
    else:
        body = json.dumps(json_message(notification), ensure_ascii=False, cls=DjangoJSONEncoder).encode()
        headers["X-Wangge-Event"] = notification.event
        headers["X-Wangge-Delivery"] = str(notification.pk)
        if endpoint.secret:
            headers["X-Wangge-Signature"] = json_signature(endpoint.secret, body)
    status, content = _post(url, body, headers)
    if endpoint.kind == WebhookKind.JSON:
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")
    else:
        _bot_result(status, content)


def _send_email(notification: Notification) -> None:
    text = notification.body
    if link := _absolute(notification.link):
        text = f"{text}\n\n{link}" if text else link
    # A line break in a subject is refused by the mail library (header injection).
    subject = " ".join(notification.subject.splitlines())
    send_mail(subject, text, None, [notification.email], fail_silently=False)


def _send(notification: Notification) -> None:
    """Deliver one row or raise; `DeliveryError` for an answer that says no, anything else for a crash."""
    with translation.override(settings.LANGUAGE_CODE):
        if notification.channel == NotificationChannel.EMAIL:
            _send_email(notification)
        elif notification.channel == NotificationChannel.WEBHOOK:
            endpoint = notification.endpoint
            if endpoint is None or not endpoint.active:
                raise _GiveUp("the endpoint was removed or deactivated")
            _send_webhook(notification, endpoint)
        else:
            raise _GiveUp(f"channel {notification.channel} is not delivered")


def _secrets_of(notification: Notification) -> list[str]:
    """Strings that must never be stored in `last_error`: the endpoint's URL and its parts, the secret, the address."""
    found: list[str] = []
    if notification.email:
        found.append(notification.email)
    endpoint = notification.endpoint
    if endpoint is not None:
        found += [endpoint.url, endpoint.secret]
        parts = urllib.parse.urlsplit(endpoint.url)
        found += [parts.path, parts.query]
        found += [value for _name, value in urllib.parse.parse_qsl(parts.query)]
    # Longest first, so that a URL is hidden whole rather than piecemeal.
    return sorted({text for text in found if text and len(text) >= 4}, key=len, reverse=True)


def _safe_error(error: BaseException, notification: Notification) -> str:
    text = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
    for secret in _secrets_of(notification):
        text = text.replace(secret, "***")
    return _short(" ".join(text.split()), Notification._meta.get_field("last_error").max_length)


def _claim(pk: int, now: datetime.datetime) -> bool:
    """Take one due row for this run, or learn that another run has it; the claim outlives this transaction."""
    due = Notification.objects.filter(pk=pk, state__in=_DUE_STATES, next_attempt_at__lte=now)
    with transaction.atomic():
        # PostgreSQL: a row being claimed by another run is skipped, not waited for. SQLite has no row locks;
        # there the conditional update below, one writer at a time, is what makes the claim exclusive.
        if not due.select_for_update(skip_locked=True).values_list("pk", flat=True).first():
            return False
        return due.update(next_attempt_at=now + CLAIM_LEASE) == 1


def _finish(
    notification: Notification, now: datetime.datetime, error: BaseException | None, report: DeliveryReport
) -> None:
    attempts = notification.attempts + 1
    rows = Notification.objects.filter(pk=notification.pk)
    if error is None:
        rows.update(
            state=NotificationState.SENT, attempts=F("attempts") + 1, sent_at=now, next_attempt_at=None, last_error=""
        )
        report.sent += 1
        return
    message = _safe_error(error, notification)
    logger.warning(
        "notification %s (%s) failed, attempt %s: %s", notification.pk, notification.channel, attempts, message
    )
    if attempts >= MAX_ATTEMPTS or isinstance(error, _GiveUp):
        rows.update(state=NotificationState.DEAD, attempts=F("attempts") + 1, next_attempt_at=None, last_error=message)
        report.dead += 1
    else:
        rows.update(
            state=NotificationState.FAILED,
            attempts=F("attempts") + 1,
            next_attempt_at=now + BACKOFF[attempts - 1],
            last_error=message,
        )
        report.retrying += 1


def deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Send up to `limit` due email and webhook rows, each once even with concurrent runs; retry failures later.

    A failed row is tried again after 1 min, 5 min, 30 min, 2 h and 12 h; after the 6th failed attempt it is dead.
    `now` is the run's clock (tests pass one).
    """
    now = now or timezone.now()
    report = DeliveryReport()
    candidates = list(
        Notification.objects.filter(state__in=_DUE_STATES, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        if not _claim(pk, now):
            report.skipped += 1
            continue
        # Sent outside any transaction: no lock is held while a slow endpoint answers.
        notification = Notification.objects.select_related("endpoint").get(pk=pk)
        error: BaseException | None = None
        try:
            _send(notification)
        except Exception as exc:  # noqa: BLE001 - one broken row must not stop the others
            error = exc
        _finish(notification, now, error, report)
    return report
