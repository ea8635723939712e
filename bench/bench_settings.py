"""The product's settings with a bench-only URL root: everything of wangge.urls plus the ceiling view."""

from wangge.settings import *  # noqa: F403 - the same settings, middleware and apps as production

ROOT_URLCONF = "bench_urls"
