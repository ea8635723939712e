"""Helpers shared by the apps' tests (kept in the package so every app's tests import them the same way)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def query_counts(client: Client, urls: list[str]) -> dict[str, int]:
    """How many queries each page or endpoint takes (after one warm-up request for the session)."""
    client.get(urls[0])
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, url  # noqa: S101 - a test helper: a failing page fails the test
        counts[url] = len(context.captured_queries)
    return counts
