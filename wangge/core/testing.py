"""Helpers shared by the apps' tests (kept in the package so every app's tests import them the same way)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.http import multipartparser
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


def race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at the same moment, each in its own thread and database connection; return their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = job()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def count_multipart_parses(monkeypatch: Any) -> list[int]:
    """Spy on Django's multipart parser: the returned list grows by one per body parsed (read, its files spooled
    to disk), so a test can show that an upload was refused before it was read."""
    calls: list[int] = []
    parse = multipartparser.MultiPartParser.parse

    def spy(self: Any) -> Any:
        calls.append(1)
        return parse(self)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", spy)
    return calls
