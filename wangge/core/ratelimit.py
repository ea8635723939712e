"""A small fixed-window rate limiter on Django's cache, for the public pages that anybody may post to.

Clients are counted by a keyed hash of their address: the cache never holds an IP address in clear, and
the hash cannot be reversed by trying all four billion IPv4 addresses without the secret key. Counters
live in the configured cache, so several app servers share them only when the cache is shared (Redis or
the database cache); with the default per-process memory cache each process counts on its own.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from wangge.core.middleware import client_ip


def client_key(request: HttpRequest) -> str:
    """A stable, non-reversible name for the client's address."""
    address = client_ip(request) or "unknown"
    digest = hmac.new(settings.SECRET_KEY.encode(), f"ratelimit:{address}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per `window` seconds for one client in one `scope` (e.g. "public_report")."""

    scope: str
    limit: int
    window: int

    def _key(self, client: str, now: float) -> str:
        return f"ratelimit:{self.scope}:{client}:{int(now // self.window)}"

    def hit(self, request: HttpRequest | None, *, now: float | None = None, client: str | None = None) -> bool:
        """Count one hit of the request's client (or of `client`, e.g. `user_key(user)`); False when it goes
        over the limit (then refuse it)."""
        key = self._key(client or client_key(request), time.time() if now is None else now)
        # add() only creates the counter if it is missing, so two requests at once don't reset each other.
        cache.add(key, 0, timeout=self.window)
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter expired between add() and incr(): this hit starts a new window.
            cache.set(key, 1, timeout=self.window)
            count = 1
        return count <= self.limit

    def retry_after(self, *, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        now = time.time() if now is None else now
        return max(1, int(self.window - now % self.window))


def user_key(user) -> str:
    """A name for a signed-in user's own counter (staff limits follow the person, not the address)."""
    return f"user:{user.pk}"
