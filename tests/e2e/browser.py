"""What the browser tests share besides fixtures: where Chromium is, the screen sizes, where pictures go, and the
small steps every journey takes (signing in, the navigation, htmx, CSRF tokens, downloads)."""

import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import Download, Locator, Page, expect

from conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

# Without the background-networking flags Chromium's connections get refused on a closed network (its
# background services keep dialling out); the sandbox needs privileges a CI container does not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium binary to drive: $WANGGE_CHROMIUM, then Debian's /usr/bin/chromium, then the PATH."""
    configured = os.environ.get("WANGGE_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class Viewport:
    """A screen size the journeys run at."""

    name: str
    width: int
    height: int
    phone: bool = False


DESKTOP = Viewport("desktop", 1366, 900)
PHONE = Viewport("phone", 390, 844, phone=True)


def context_options(viewport: Viewport) -> dict:
    """A browser context like our users': the viewport's size and touch, reading Chinese, in China's time zone."""
    return {
        "viewport": {"width": viewport.width, "height": viewport.height},
        "is_mobile": viewport.phone,
        "has_touch": viewport.phone,
        "device_scale_factor": 2 if viewport.phone else 1,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


def sign_in(page: Page, base_url: str, username: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(base_url + reverse("accounts:login"))
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(base_url + reverse("territory:overview"))


def open_nav_link(page: Page, viewport: Viewport, href: str) -> None:
    """Follow a link of the main navigation; on a phone it hides behind the toggler."""
    link = page.locator(f"#mainnav a.nav-link[href='{href}']")
    if viewport.phone:
        expect(link).to_be_hidden()
        page.locator(".navbar-toggler").click()
    expect(link).to_be_visible()
    link.click()


def open_nav_page(page: Page, viewport: Viewport, href: str) -> None:
    """Follow a link of the main navigation (open_nav_link) and wait until its page has loaded."""
    open_nav_link(page, viewport, href)
    page.wait_for_url("**" + href)


def open_menu_link(page: Page, viewport: Viewport, menu: str, href: str) -> None:
    """A page under one of the main navigation's menus (人口, 巡查, 案件 …); on a phone they hide behind the toggler."""
    if viewport.phone:
        page.locator(".navbar-toggler").click()
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text=menu).click()
    link = page.locator(f"#mainnav .dropdown-menu a[href='{href}']")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**" + href)


def csrf_token(page: Page) -> str:
    """The CSRF token the page itself sends with htmx requests (base.html puts it in hx-headers)."""
    return page.evaluate("() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")


def wait_for_htmx(page: Page) -> None:
    """Until htmx has swapped and settled whatever it was doing."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def select_with_htmx(page: Page, select: Locator, value: str | None = None, *, label: str | None = None) -> None:
    """Choose an option of a select that htmx follows (a case's category brings its own fields), then wait until
    the swap has settled."""
    with page.expect_response(lambda response: response.request.headers.get("hx-request") == "true"):
        select.select_option(value, label=label)
    wait_for_htmx(page)


def workbook_text(download: Download) -> str:
    """Every filled cell of every sheet of a downloaded workbook, joined by spaces."""
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    return " ".join(str(cell) for row in rows for cell in row if cell is not None)
