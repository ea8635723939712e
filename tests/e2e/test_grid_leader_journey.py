"""A grid leader's day in the browser: sign in, read the figures, look at the map, print a notice board.

And the thing the role must not do: open a compound of the neighbouring community.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.territory.models import Compound

from .browser import SCREENSHOTS, Viewport, open_nav_link, sign_in

# The `browser` fixture (tests/e2e/conftest.py) brings a committed, transactional test database: the cast is
# built inside each test with build_cast(), not with the `cast` fixture, whose data the live server cannot see.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "grid-leader"


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


class GridLeaderJourneyTests:
    def test_it_signs_in_reads_the_figures_opens_the_map_and_prints_a_notice_board(
        self, live_server, page: Page, viewport: Viewport, screenshot: Callable[[str, str], Path]
    ) -> None:
        cast = build_cast()
        compound = cast.compound1

        sign_in(page, live_server.url, "gridleader")
        figures = page.locator("#figures")
        expect(figures).to_be_visible()
        expected = Compound.objects.for_user(cast.grid_leader).count()
        expect(figures.locator("[data-figure=compounds]")).to_have_text(str(expected))
        expect(page.locator("main h1")).to_have_text(cast.home.name)
        screenshot(JOURNEY, "overview")

        open_nav_link(page, viewport, reverse("territory:map"))
        grid_map = page.locator("#grid-map[data-loaded]")
        expect(grid_map).to_be_attached()
        expect(grid_map.locator("path.leaflet-interactive").first).to_be_attached()
        assert grid_map.locator("path.leaflet-interactive").count() >= 1
        expect(grid_map.locator(".grid-label", has_text=cast.grid1.name)).to_be_visible()
        screenshot(JOURNEY, "map")

        page.goto(live_server.url + reverse("territory:compound_detail", args=[compound.code]))
        expect(page.locator("main h1")).to_have_text(compound.name)
        screenshot(JOURNEY, "compound")
        page.locator(f"a[href='{reverse('territory:notice_board', args=[compound.code])}']").click()

        board = page.locator("#notice-board")
        expect(board).to_contain_text(compound.name)
        expect(board).to_contain_text(cast.grid_leader.display_name)
        expect(board.locator(".qr svg")).to_be_visible()
        screenshot(JOURNEY, "notice-board")

        page.emulate_media(media="print")
        expect(page.locator("nav.navbar")).to_be_hidden()
        screenshot(JOURNEY, "notice-board-print")
        # One file per viewport: under xdist both viewports may print at the same moment.
        pdf_path = SCREENSHOTS / f"notice-board-{viewport.name}.pdf"
        page.pdf(path=pdf_path, prefer_css_page_size=True, print_background=True)
        pdf = pdf_path.read_bytes()
        assert pdf.startswith(b"%PDF")
        assert pdf_page_count(pdf) == 1, "the notice board prints on one A4 page"

    def test_it_gets_404_for_a_compound_next_door(
        self, live_server, page: Page, screenshot: Callable[[str, str], Path]
    ) -> None:
        cast = build_cast()
        sign_in(page, live_server.url, "gridleader")

        for name in ("territory:compound_detail", "territory:notice_board"):
            response = page.goto(live_server.url + reverse(name, args=[cast.next_compound.code]))
            assert response is not None
            assert response.status == 404, name
            expect(page.locator("body")).not_to_contain_text(cast.next_compound.name)
        screenshot(JOURNEY, "next-door-404")
