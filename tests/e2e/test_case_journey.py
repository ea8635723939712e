"""Issue 3 in the browser: the closed loop of one case, from a resident's report to their rating.

A resident scans compound T-C01's QR code and reports litter with a photo; the grid leader registers the
case and dispatches it to the grid worker, who starts, handles it and adds a photo of the result; the grid
leader verifies and closes it; the resident follows the link they kept, sees the result and rates it.
And what roles must not do: the grid worker closing the case (403), the director next door opening it (404).
Four people, four browser contexts: nobody shares cookies.
"""

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from conftest import build_cast
from wangge.cases.models import Case, PhotoKind, Rating, State

from .browser import SCREENSHOTS, Viewport, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "case"
CATEGORY = "楼院环境卫生"  # C01: a photo before and after is required
DESCRIPTION = "三号楼东侧堆了一堆装修垃圾，已经放了一个星期。"
HANDLING_NOTE = "已联系物业清运，现场已清扫干净。"
COMMENT = "处理得很快，谢谢网格员！"


def jpeg(path: Path, colour: tuple[int, int, int], label: str) -> Path:
    """A small photo, as a phone would take it."""
    image = Image.new("RGB", (480, 360), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 200, 420, 330), fill=tuple(max(0, c - 60) for c in colour))
    draw.text((20, 20), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def state_badge(page: Page) -> Locator:
    return page.locator("main .case-state")


def open_case_list(page: Page, viewport: Viewport) -> None:
    """案件 → 工作台 in the main navigation; on a phone it hides behind the toggler."""
    if viewport.phone:
        page.locator(".navbar-toggler").click()
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text="案件").click()
    link = page.locator(f"#mainnav .dropdown-menu a[href='{reverse('cases:case_list')}']")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**" + reverse("cases:case_list"))


def show_queue(page: Page, queue: str) -> None:
    """Click a queue's tab."""
    page.locator(f".case-queues a[href^='?queue={queue}']").click()
    page.wait_for_url(f"**?queue={queue}")
    expect(page.locator(f".case-queues a[href^='?queue={queue}']")).to_have_attribute("aria-current", "page")


def open_row(page: Page, number: str) -> None:
    """Click the case's row in the queue shown."""
    row = page.locator(f".case-rows a[href='{reverse('cases:case_detail', args=[number])}']")
    expect(row).to_be_visible()
    row.click()
    page.wait_for_url("**" + reverse("cases:case_detail", args=[number]))


def action_button(page: Page, label: str) -> Locator:
    """The case page's button for an action, by its exact label (立案 is not 不予立案)."""
    return page.locator(".case-actions a").filter(has_text=re.compile(f"^\\s*{re.escape(label)}\\s*$"))


def act(page: Page, label: str, new_state: str, fill: Callable[[Locator], None] | None = None) -> None:
    """Take an action on the case page: its button loads the short form (htmx), the form's button submits it,
    and the page reloads showing the new state."""
    action_button(page, label).click()
    card = page.locator("#action-panel .case-action-card")
    expect(card.locator(".card-title")).to_have_text(label)
    if fill is not None:
        fill(card)
    card.locator("button[type=submit]").click()
    expect(state_badge(page)).to_have_text(new_state)
    expect(page.locator("main .alert-success")).to_contain_text(label)


def action_labels(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".case-actions a").all_inner_texts()]


def photo_loaded(page: Page, alt: str) -> None:
    """The photo is on the page and the browser could decode it."""
    image = page.locator(f"img[alt='{alt}']").first
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())


class CaseJourneyTests:
    def test_a_residents_report_goes_round_the_loop_and_is_rated(
        self,
        live_server,
        page: Page,
        new_page: Callable[[], Page],
        viewport: Viewport,
        settings,
        fast_password_hashing: None,
        tmp_path: Path,
    ) -> None:
        settings.MEDIA_ROOT = tmp_path / "media"
        # Reports counted by the rate limiter in earlier tests of this process (same address) must not refuse ours.
        cache.clear()
        before_photo = jpeg(tmp_path / "before.jpg", (150, 110, 70), "before")
        after_photo = jpeg(tmp_path / "after.jpg", (60, 150, 80), "after")
        cast = build_cast()
        base = live_server.url

        def snap(person: Page, step: str) -> None:
            # Without animations: the full-page shot resizes the window, and the case map would be caught
            # half-way through following it.
            SCREENSHOTS.mkdir(exist_ok=True)
            path = SCREENSHOTS / f"{JOURNEY}-{step}-{viewport.name}.png"
            person.screenshot(path=path, full_page=True, animations="disabled")

        # 1. The resident: from the compound's public page to the report form, and on to the tracking page.
        resident = page
        resident.goto(base + reverse("territory:public_compound", args=[cast.compound1.code]))
        resident.locator(f"a[href='{reverse('cases:public_report', args=[cast.compound1.code])}']").click()
        resident.wait_for_url("**" + reverse("cases:public_report", args=[cast.compound1.code]))
        expect(resident.locator("main h1")).to_have_text("我要反映问题")
        form = resident.locator("main form.case-form")
        form.locator("select[name=category]").select_option(label=CATEGORY)
        form.locator("textarea[name=description]").fill(DESCRIPTION)
        form.locator("input[type=file][name=photos]").set_input_files(before_photo)
        snap(resident, "report")
        form.locator("button[type=submit]").click()
        resident.wait_for_url("**/p/t/*/")
        tracking_url = resident.url
        expect(resident.locator("main h1")).to_have_text(CATEGORY)
        expect(state_badge(resident)).to_have_text("已上报")
        expect(resident.locator("main .alert-success")).to_be_visible()
        expect(resident.locator(".case-steps [aria-current=step]")).to_contain_text("上报")
        photo_loaded(resident, "处置前照片")
        number = resident.locator("main code").first.inner_text().strip()
        assert number.isdigit(), number
        snap(resident, "tracking")

        # 2. The grid leader: the new reports, register, dispatch to the grid worker.
        leader = new_page()
        sign_in(leader, base, "gridleader")
        open_case_list(leader, viewport)
        show_queue(leader, "new")
        open_row(leader, number)
        expect(state_badge(leader)).to_have_text("已上报")
        expect(leader.locator("main .case-description")).to_contain_text(DESCRIPTION)
        assert action_labels(leader) == ["立案", "不予立案"]
        act(leader, "立案", "已立案")
        act(
            leader,
            "派遣",
            "已派遣",
            lambda card: card.locator("select[name=assignee]").select_option(label=cast.grid_worker.display_name),
        )
        expect(leader.locator("main dl")).to_contain_text(cast.grid_worker.display_name)
        snap(leader, "dispatched")

        # 3. The grid worker: the case waits in "my cases"; start, then report the handling with a photo.
        worker = new_page()
        sign_in(worker, base, "gridworker")
        open_case_list(worker, viewport)
        expect(worker.locator(".case-queues a[href^='?queue=mine'] .badge")).to_have_text("1")
        show_queue(worker, "mine")
        expect(worker.locator(".case-rows li")).to_have_count(1)
        snap(worker, "queue")
        open_row(worker, number)
        expect(state_badge(worker)).to_have_text("已派遣")
        assert "开始处置" in action_labels(worker)
        assert not {"派遣", "核查通过", "结案"} & set(action_labels(worker))
        act(worker, "开始处置", "处置中")
        action_button(worker, "处置反馈").click()
        card = worker.locator("#action-panel .case-action-card")
        expect(card.locator(".card-title")).to_have_text("处置反馈")
        card.locator("textarea[name=note]").fill(HANDLING_NOTE)
        card.locator("input[type=file][name=photos]").set_input_files(after_photo)
        snap(worker, "handling")
        card.locator("button[type=submit]").click()
        expect(state_badge(worker)).to_have_text("已处置")
        photo_loaded(worker, "处置后照片")
        expect(action_button(worker, "处置反馈")).to_have_count(0)
        assert not {"开始处置", "处置反馈", "核查通过", "结案"} & set(action_labels(worker))

        # 4. The grid leader: verify from the "to verify" queue, then close.
        open_case_list(leader, viewport)
        show_queue(leader, "verify")
        open_row(leader, number)
        expect(state_badge(leader)).to_have_text("已处置")
        expect(leader.locator(".case-timeline")).to_contain_text(HANDLING_NOTE)
        act(leader, "核查通过", "已核查")

        # 6a. What the grid worker must not do: close the case, even now that it could be closed.
        response = worker.goto(base + reverse("cases:case_act", args=[number, "close"]))
        assert response is not None
        assert response.status == 403
        expect(worker.locator("form[action*='/act/close/']")).to_have_count(0)

        act(leader, "结案", "已结案")
        expect(action_button(leader, "结案")).to_have_count(0)
        photo_loaded(leader, "处置前照片")
        photo_loaded(leader, "处置后照片")
        snap(leader, "closed")

        # 5. The resident: back to the page they kept; the result, its photo, and five stars.
        resident.goto(tracking_url)
        expect(state_badge(resident)).to_have_text("已结案")
        expect(resident.locator(".case-steps [aria-current=step]")).to_contain_text("结案")
        expect(resident.locator(".case-timeline")).to_contain_text(HANDLING_NOTE)
        photo_loaded(resident, "处置后照片")
        rating = resident.locator("main form", has=resident.locator("input[name=form][value=rate]"))
        rating.get_by_label("★★★★★", exact=True).check()
        rating.locator("textarea[name=comment]").fill(COMMENT)
        rating.locator("button[type=submit]").click()
        expect(resident.locator("main .alert-success")).to_have_text("感谢您的评价。")
        expect(resident.locator("main")).to_contain_text("您的评价")
        expect(resident.locator("main")).to_contain_text(COMMENT)
        expect(resident.locator("input[name=form][value=rate]")).to_have_count(0)  # rated once only
        assert resident.url == tracking_url
        snap(resident, "rated")

        # 6b. The director next door: the case does not exist for them.
        outsider = new_page()
        sign_in(outsider, base, "outsider")
        response = outsider.goto(base + reverse("cases:case_detail", args=[number]))
        assert response is not None
        assert response.status == 404
        expect(outsider.locator("body")).not_to_contain_text(DESCRIPTION)

        # And in the database.
        case = Case.objects.get(number=number)
        assert case.state == State.CLOSED
        assert case.assignee == cast.grid_worker
        assert case.compound == cast.compound1
        assert tracking_url.endswith(reverse("cases:public_track", args=[case.tracking_code]))
        assert Rating.objects.get(case=case).stars == 5
        assert Rating.objects.get(case=case).comment == COMMENT
        photos = {kind: list(case.photos.filter(kind=kind)) for kind in (PhotoKind.BEFORE, PhotoKind.AFTER)}
        assert len(photos[PhotoKind.BEFORE]) == len(photos[PhotoKind.AFTER]) == 1
        for photo in [*photos[PhotoKind.BEFORE], *photos[PhotoKind.AFTER]]:
            stored = Path(photo.image.path)
            assert stored.is_relative_to(tmp_path), stored
            assert stored.is_file()
