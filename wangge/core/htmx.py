"""The htmx convention of every page (style.md): one view per URL answers with the whole page, or with its
partial when htmx asks for it (and the request is not boosted, which wants the whole page)."""

from django.http import HttpRequest


def wants_partial(request: HttpRequest) -> bool:
    """Whether the request is htmx asking for a part of the page."""
    return bool(request.htmx and not request.htmx.boosted)


def partial_or_page(request: HttpRequest, page: str, partial: str) -> str:
    """The template to render: `partial` for htmx, `page` for everything else."""
    return partial if wants_partial(request) else page
