"""What the browser tests share besides fixtures: where Chromium is, the screen sizes, where pictures go."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

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
