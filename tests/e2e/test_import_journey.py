"""Issue 5 in the browser: the director imports the residents' ledger, a row is wrong, nothing is written;
the error workbook names the row, the column and the problem; the same file with 「仅导入无误的行」 writes the
valid rows. And what a role must not do: the grid worker may not import (the form is not offered).
"""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.core.validators import id_number_check_character
from wangge.people.models import Household, Resident

from .browser import Viewport, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "import"


def made_up_id(birth: str, sequence: int) -> str:
    first17 = f"410105{birth}{sequence:03d}"
    return first17 + id_number_check_character(first17)


def ledger_with_one_bad_row(folder: Path) -> Path:
    """Three residents of one household; the second's ID number has a wrong check character."""
    bad = made_up_id("19820302", 22)
    bad = bad[:-1] + ("1" if bad[-1] != "1" else "2")
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件号码", "人口类型", "楼栋编号", "单元", "房号", "户号", "与户主关系"])
    sheet.append(["王大明", made_up_id("19800501", 11), "户籍人口", "T-C01-B1", "1", "101", "H1", "户主"])
    sheet.append(["李小红", bad, "户籍人口", "T-C01-B1", "1", "101", "H1", "配偶"])
    sheet.append(["王乐乐", made_up_id("20150808", 31), "户籍人口", "T-C01-B1", "1", "101", "H1", "子女"])
    path = folder / "居民台账.xlsx"
    book.save(path)
    return path


def start_import(page: Page, workbook: Path, *, only_valid: bool) -> None:
    card = page.locator("form", has=page.locator("#residents-file"))
    card.locator("#residents-file").set_input_files(str(workbook))
    if only_valid:
        card.locator("#residents-apply-valid").check()
    card.locator("button[type=submit]").click()
    page.wait_for_url("**/ledgers/jobs/**")
    expect(page.locator("#job-status .alert")).to_be_visible()


def test_an_import_with_errors_writes_nothing_and_explains_itself(
    live_server, page: Page, viewport: Viewport, screenshot, tmp_path: Path
) -> None:
    cast = build_cast()
    cast.director  # noqa: B018 - the cast's users exist from here on
    workbook = ledger_with_one_bad_row(tmp_path)
    sign_in(page, live_server.url, "director")
    page.goto(live_server.url + reverse("ledgers:index"))
    expect(page.locator("h1")).to_have_text("台账")
    with page.expect_download() as template:
        page.locator(f"a[href='{reverse('ledgers:template', args=['residents'])}']").click()
    headers = [cell.value for cell in load_workbook(io.BytesIO(template.value.path().read_bytes())).worksheets[0][1]]
    assert "证件号码*" in headers

    start_import(page, workbook, only_valid=False)
    problems = page.locator("#job-status table tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first.locator("td").nth(0)).to_have_text("3")
    expect(problems.first.locator("td").nth(1)).to_have_text("证件号码")
    expect(problems.first.locator("td").nth(2)).to_contain_text("校验")
    screenshot(JOURNEY, "errors")
    assert Resident.objects.count() == 0
    assert Household.objects.count() == 0

    with page.expect_download() as errors:
        page.locator("a[href$='errors.xlsx']").click()
    lines = [
        tuple(row)
        for row in load_workbook(io.BytesIO(errors.value.path().read_bytes())).active.iter_rows(values_only=True)
    ]
    assert lines[0] == ("行号", "列", "问题")
    assert lines[1][:2] == (3, "证件号码")

    page.goto(live_server.url + reverse("ledgers:index"))
    start_import(page, workbook, only_valid=True)
    expect(page.locator("#job-status dl")).to_contain_text("2")
    screenshot(JOURNEY, "valid-rows")
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["王乐乐", "王大明"]
    assert Household.objects.get().number == "H1"


def test_a_grid_worker_is_not_offered_the_import(live_server, page: Page, viewport: Viewport) -> None:
    build_cast()
    sign_in(page, live_server.url, "gridworker")
    page.goto(live_server.url + reverse("ledgers:index"))
    expect(page.locator("#residents-file")).to_have_count(0)
    response = page.request.post(
        live_server.url + reverse("ledgers:start", args=["residents"]),
        headers={"X-CSRFToken": page.context.cookies()[0]["value"] if page.context.cookies() else ""},
    )
    assert response.status in (403, 400)
    assert Resident.objects.count() == 0
