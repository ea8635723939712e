"""Issue 6 in the browser: a grid worker inspects a shop on a phone, and re-inspects it later.

The grid worker of grid 001 answers for shop T-S001 (a noodle restaurant). On a phone-sized window they open
巡查 → 现场巡查 from the menu, pick the shop from their places due now, pass every item but two (门前卫生 and
店外经营), which fail with a note and a photo each, and save: the inspection scores below the pass mark and
two rectification cases appear, dispatched to them. A later re-inspection passes every item, and both cases
close. What the role must not do: an auditor is refused the inspection form.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.cases.models import Case, State
from wangge.inspections.models import Finding, Inspection, Reinspection
from wangge.territory import services as territory_services

from .browser import PHONE, SCREENSHOTS, Viewport, sign_in
from .test_case_journey import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "inspection"
FAILING = {"MD02": "门口地面有油污，垃圾袋堆在台阶上", "MD05": "桌椅摆到人行道上经营"}


def open_inspect_page(page: Page, viewport: Viewport) -> None:
    """巡查 → 现场巡查 in the main navigation; on a phone it hides behind the toggler."""
    if viewport.phone:
        page.locator(".navbar-toggler").click()
    page.locator("#mainnav .nav-link.dropdown-toggle", has_text="巡查").click()
    link = page.locator(f"#mainnav .dropdown-menu a[href='{reverse('inspections:place_choose')}']")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**" + reverse("inspections:place_choose"))


def answer(page: Page, code: str, label: str) -> None:
    """Tap one of an item's big buttons (合格 / 不合格 / 不适用)."""
    page.locator(f"#item-{code} .btn-group label", has_text=label).first.click()


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["phone"])
def test_a_grid_worker_inspects_a_shop_and_re_inspects_it(
    page: Page, live_server, viewport: Viewport, screenshot: Callable[[str, str], Path], tmp_path: Path
) -> None:
    cast = build_cast()
    territory_services.assignment_create(actor=None, person=cast.grid_worker, place=cast.shop1, duty="门店每日巡查")
    base = live_server.url
    sign_in(page, base, cast.grid_worker.username)

    # The shop has never been visited: it heads the worker's list of places to visit now.
    open_inspect_page(page, viewport)
    due = page.locator("[data-due] a", has_text=cast.shop1.name)
    expect(due).to_contain_text("从未巡查")
    screenshot(JOURNEY, "1-due")
    due.click()
    page.wait_for_url("**" + reverse("inspections:inspection_create", args=["shop", cast.shop1.code]))

    # Every item passes but two; a failed item asks for what is wrong and a photo.
    items = page.locator("[data-item]")
    codes = [items.nth(i).get_attribute("id").removeprefix("item-") for i in range(items.count())]
    assert {"MD02", "MD05", "XC01"} <= set(codes)  # the restaurant's extra items are there
    assert "MF01" not in codes  # a salon's are not
    for code in codes:
        answer(page, code, "合格")
    for number, (code, note) in enumerate(FAILING.items()):
        answer(page, code, "不合格")
        item = page.locator(f"#item-{code}")
        item.locator("textarea, input[type=text]").first.fill(note)
        item.locator("input[type=file]").set_input_files(jpeg(tmp_path / f"{code}.jpg", (150, 110, 60 + number), code))
    expect(page.locator("[data-score-preview]")).to_contain_text("不合格")
    screenshot(JOURNEY, "2-form")
    page.locator("[data-submit]").click()
    page.wait_for_url("**/inspections/*/")

    # Saved: scored below the pass mark, two rectification cases opened and dispatched to the worker.
    expect(page.locator("[data-result]")).to_have_text("不合格")
    inspection = Inspection.objects.get()
    assert inspection.failed_count == 2 and not inspection.passed
    cases = list(Case.objects.filter(source="inspection").order_by("number"))
    assert len(cases) == 2
    assert {case.state for case in cases} == {State.DISPATCHED}
    assert {case.assignee for case in cases} == {cast.grid_worker}
    assert set(Finding.objects.filter(case__in=cases).values_list("item_code", flat=True)) == set(FAILING)
    outcome = page.locator("[data-outcome]")
    for case in cases:
        expect(outcome.locator(f"a[href='{reverse('cases:case_detail', args=[case.number])}']")).to_be_visible()
    expect(page.locator("#finding-MD02 img")).to_be_visible()  # the photo, through the scoped view
    screenshot(JOURNEY, "3-record")

    # The re-inspection: the form marks the two items as re-inspecting their cases; everything passes now.
    page.goto(base + reverse("inspections:inspection_create", args=["shop", cast.shop1.code]))
    for code in FAILING:
        expect(page.locator(f"#item-{code}")).to_contain_text("复查")
    for code in codes:
        answer(page, code, "合格")
    screenshot(JOURNEY, "4-reinspect")
    page.locator("[data-submit]").click()
    page.wait_for_url("**/inspections/*/")
    expect(page.locator("[data-result]")).to_have_text("合格")
    expect(page.locator("[data-outcome]")).to_contain_text("复查")
    assert {case.state for case in Case.objects.filter(source="inspection")} == {State.CLOSED}
    assert Reinspection.objects.filter(fixed=True).count() == 2

    # The case page tells the whole story: dispatched by the inspection, closed by the re-inspection.
    page.goto(base + reverse("cases:case_detail", args=[cases[0].number]))
    expect(page.locator("main .case-state")).to_have_text("已结案")
    screenshot(JOURNEY, "5-case-closed")
    assert (SCREENSHOTS / f"{JOURNEY}-3-record-{viewport.name}.png").exists()


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["phone"])
def test_an_auditor_may_read_inspections_but_not_inspect(page: Page, live_server, viewport: Viewport) -> None:
    cast = build_cast()
    sign_in(page, live_server.url, cast.auditor.username)
    response = page.goto(live_server.url + reverse("inspections:inspection_create", args=["shop", cast.shop1.code]))
    assert response is not None and response.status == 403
    response = page.goto(live_server.url + reverse("inspections:inspection_list"))
    assert response is not None and response.status == 200
