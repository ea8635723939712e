"""Issue 7 in the browser: a director imports the campaign's indicator system and decomposes a standard onto a
grid leader, who files evidence and scores it on a phone; the readiness page moves.

The community runs a campaign that started a month ago. The director (on a PC) imports the indicator system from
an Excel file in the offices' layout (测评项目 | 测评内容 | 测评标准 | 测评方法 | 分值, item cells left blank for "same
as above"), sees the points add up, and assigns the standard 垃圾桶配置到位 to 第一网格 and its grid leader. Readiness
stands at 0. The grid leader (on a phone) opens the standard from "who answers for what", files a photo of the
new bins, and scores the standard 3 of 3: readiness shows the score and one standard with complete evidence. What
the role must not do: the grid leader is refused the import page.
"""

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.campaigns import services
from wangge.campaigns.models import Evidence, Indicator, IndicatorAssignment

from .browser import DESKTOP, PHONE, SCREENSHOTS, Viewport, context_options, select_with_htmx, sign_in
from .conftest import TIMEOUT_MS
from .test_case_journey import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "campaign"
# One row per standard; a blank item cell means the item above (as offices fill them in).
ROWS = [
    ("市容环境", "楼院卫生", "楼院无卫生死角、无暴露垃圾", "实地考察", 4),
    ("", "楼院卫生", "垃圾桶配置到位，日产日清", "实地考察", 3),
    ("", "门店秩序", "门店无店外经营", "实地考察", 3),
    ("组织领导", "工作机制", "成立领导小组并在各楼院公示", "材料审核", 2),
]


def indicator_file(folder: Path) -> Path:
    """The indicator system as the district hands it down: 12 points in two items."""
    book = Workbook()
    sheet = book.active
    sheet.append(["测评项目", "测评内容", "测评标准", "测评方法", "分值"])
    for row in ROWS:
        sheet.append(list(row))
    path = folder / "指标体系.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("viewport", [DESKTOP], indirect=True, ids=["desktop"])
def test_the_director_decomposes_a_standard_and_the_grid_leader_files_its_evidence(
    page: Page, browser, live_server, viewport: Viewport, screenshot: Callable[[str, str], Path], tmp_path: Path
) -> None:
    cast = build_cast()
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=None,
        community=cast.home,
        name="四城联创",
        issuer="金水区",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=60),
        total_points=12,
    )
    base = live_server.url
    desk = page  # the director works at a PC

    # The director imports the indicator system: the tree shows it, and its points add up.
    sign_in(desk, base, cast.director.username)
    desk.goto(base + reverse("campaigns:indicator_import", args=[campaign.pk]))
    desk.locator("input[type=file]").set_input_files(indicator_file(tmp_path))
    desk.locator("main form button[type=submit]").click()
    expect(desk.locator("main")).to_contain_text("4")
    assert Indicator.objects.filter(campaign=campaign, level="standard").count() == 4
    desk.goto(base + reverse("campaigns:indicator_tree", args=[campaign.pk]))
    expect(desk.locator("main")).to_contain_text("垃圾桶配置到位")
    expect(desk.locator("main")).to_contain_text("12")
    screenshot(JOURNEY, "1-tree")

    # Readiness before anyone has done anything: nothing scored, no evidence.
    desk.goto(base + reverse("campaigns:readiness", args=[campaign.pk]))
    expect(desk.locator("[data-figure=percent]")).to_have_text("0.0%")
    expect(desk.locator("[data-figure=complete]")).to_contain_text("0")

    # The director assigns the bins standard to grid 1 and its grid leader.
    bins = Indicator.objects.get(campaign=campaign, text="垃圾桶配置到位，日产日清")
    desk.goto(base + reverse("campaigns:indicator_detail", args=[bins.pk]))
    form = desk.locator("#assign form")
    form.locator("select[name=area]").select_option(label=cast.grid1.name)
    form.locator("select[name=person]").select_option(label=cast.grid_leader.display_name)
    form.locator("input[name=target]").fill("每个单元门口一组分类垃圾桶")
    form.locator("input[name=due_on]").fill((today + datetime.timedelta(days=20)).isoformat())
    form.locator("button[type=submit]").click()
    expect(desk.locator("#assignments")).to_contain_text(cast.grid_leader.display_name)
    expect(desk.locator("#assignments")).to_contain_text("每个单元门口一组分类垃圾桶")
    assignment = IndicatorAssignment.objects.get(indicator=bins)
    assert (assignment.area, assignment.person) == (cast.grid1, cast.grid_leader)
    screenshot(JOURNEY, "2-assigned")

    # The grid leader, on a phone, finds what they answer for and files a photo against it.
    context = browser.new_context(**context_options(PHONE))
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    sign_in(phone, base, cast.grid_leader.username)
    phone.goto(base + reverse("campaigns:responsibilities", args=[campaign.pk]))
    phone.locator("main a", has_text="垃圾桶配置到位").first.click()
    phone.wait_for_url("**" + reverse("campaigns:indicator_detail", args=[bins.pk]))
    phone.locator("#evidence a[href*='evidence/new']").first.click()
    phone.wait_for_url("**" + reverse("campaigns:evidence_create", args=[campaign.pk]) + "*")
    form = phone.locator("#evidence-form")
    # Choosing the kind swaps in that kind's fields (htmx): wait for the swap, or the file would go to the old input.
    select_with_htmx(phone, form.locator("select[name=kind]"), "photo")
    form.locator("input[name=title]").fill("三号楼新增分类垃圾桶")
    form.locator("input[name=occurred_on]").fill(today.isoformat())
    form.locator("input[type=file]").set_input_files(jpeg(tmp_path / "bins.jpg", (40, 120, 60), "bins"))
    phone.screenshot(path=SCREENSHOTS / f"{JOURNEY}-3-evidence-form-phone.png", full_page=True)
    form.locator("button[type=submit]").click()
    phone.wait_for_url("**/campaigns/evidence/*/")
    evidence = Evidence.objects.get()
    assert (evidence.indicator, evidence.area, evidence.filed_by) == (bins, cast.grid1, cast.grid_leader)

    # ... and scores it, as its responsible person.
    phone.goto(base + reverse("campaigns:indicator_detail", args=[bins.pk]))
    score = phone.locator(f"#assignment-{assignment.pk} form").first
    score.locator(f"input[name=a{assignment.pk}-score]").fill("3")
    score.locator("button[type=submit]").click()
    expect(phone.locator(f"#assignment-{assignment.pk}")).to_contain_text("3")

    # Readiness moved: 3 of 12 points, one standard with its evidence complete.
    phone.goto(base + reverse("campaigns:readiness", args=[campaign.pk]))
    expect(phone.locator("[data-figure=percent]")).to_have_text("25.0%")
    expect(phone.locator("[data-figure=complete]")).to_contain_text("1")
    phone.screenshot(path=SCREENSHOTS / f"{JOURNEY}-4-readiness-phone.png", full_page=True)

    # What the grid leader must not do: import the indicator system.
    response = phone.goto(base + reverse("campaigns:indicator_import", args=[campaign.pk]))
    assert response is not None and response.status == 403
    context.close()
