"""The fixed-window rate limiter of the public pages."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from wangge.core.ratelimit import RateLimit, client_key

WINDOW = 600
START = 1_700_000_400.0  # the start of a window (a multiple of WINDOW)


def request_from(address: str):
    return RequestFactory().post("/p/c/T-C01/report/", REMOTE_ADDR=address)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


class RateLimitTests:
    def test_it_allows_up_to_the_limit_within_a_window(self):
        limit = RateLimit("test", limit=3, window=WINDOW)
        request = request_from("198.51.100.7")
        assert [limit.hit(request, now=START + n) for n in range(5)] == [True, True, True, False, False]

    def test_it_starts_again_in_the_next_window(self):
        limit = RateLimit("test", limit=1, window=WINDOW)
        request = request_from("198.51.100.7")
        assert (limit.hit(request, now=START), limit.hit(request, now=START + 1)) == (True, False)
        assert limit.hit(request, now=START + WINDOW)

    def test_it_counts_each_client_on_its_own(self):
        limit = RateLimit("test", limit=1, window=WINDOW)
        assert limit.hit(request_from("198.51.100.7"), now=START)
        assert limit.hit(request_from("2001:db8::1"), now=START)
        assert not limit.hit(request_from("198.51.100.7"), now=START)

    def test_it_counts_each_scope_on_its_own(self):
        request = request_from("198.51.100.7")
        assert RateLimit("reports", limit=1, window=WINDOW).hit(request, now=START)
        assert RateLimit("ratings", limit=1, window=WINDOW).hit(request, now=START)

    def test_it_keeps_no_address_in_clear(self):
        request = request_from("198.51.100.7")
        RateLimit("test", limit=5, window=WINDOW).hit(request, now=START)
        keys = list(cache._cache.keys())  # LocMemCache, the test cache
        assert keys
        assert not [key for key in keys if "198.51.100.7" in key]
        assert client_key(request) != client_key(request_from("198.51.100.8"))
        assert len(client_key(request)) == 32

    def test_it_names_the_seconds_left_in_the_window(self):
        limit = RateLimit("test", limit=1, window=WINDOW)
        assert limit.retry_after(now=START + 100) == WINDOW - 100
        assert limit.retry_after(now=START) == WINDOW

    def test_it_survives_a_counter_that_expired_meanwhile(self, monkeypatch):
        limit = RateLimit("test", limit=2, window=WINDOW)

        def gone(key: str) -> int:
            raise ValueError(key)

        monkeypatch.setattr(cache, "incr", gone)
        assert limit.hit(request_from("198.51.100.7"), now=START)
