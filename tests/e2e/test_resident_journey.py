"""A resident in the browser, with no account: from the compound's QR code to a report, its tracking link and a
rating.

A resident of compound T-C01 scans the QR code on the notice board, which opens the compound's public page: it
names the grid leader, the people who answer for the compound (the building leader and the grid worker) and
the campaign under way with its responsible person, and gives the office's phone for suggestions. They report
rubbish in the courtyard with a photo; the form warns that a neighbour may have reported it already, and the
neighbour's case, opened by its number, shows its progress but nothing the neighbour wrote. They send their own
report, keep the tracking link and find their case dispatched when they come back. Their noise complaint of
last month was closed: they rate it. What they must not do: open anyone's case without its tracking code (a
guessed code is 404), or a staff page (sign-in first).
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, PhotoKind, Rating, Source, State
from wangge.territory import services as territory_services

from .browser import Viewport, select_with_htmx
from .cast import running_campaign
from .test_case_journey import jpeg, photo_loaded, state_badge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "resident"
CATEGORY = "楼院环境卫生"  # C01: needs a photo
NEIGHBOURS_WORDS = "二号楼门口的快递箱堆满了纸壳，没人收拾。"
DESCRIPTION = "一号楼北侧的绿化带里有人倒了好几袋建筑垃圾。"
MY_PHONE = "13912345678"
NOISE = "楼上每晚装修到十二点，影响休息。"
COMMENT = "装修的邻居已经改到白天施工了，谢谢。"


def closed_noise_case(cast) -> Case:
    """The resident's noise complaint of last month, round the loop and closed, not yet rated."""
    case = case_services.case_report(
        actor=None,
        category=Category.objects.get(code="C04"),
        description=NOISE,
        source=Source.RESIDENT,
        compound=cast.compound1,
        attributes={"hours": ["night"]},
        reporter_phone=MY_PHONE,
    )
    steps = [
        ("register", cast.grid_leader, {}),
        ("dispatch", cast.grid_leader, {"assignee": cast.grid_worker}),
        ("handle", cast.grid_worker, {"note": "已上门协调，装修改在白天。"}),
        ("verify", cast.grid_leader, {}),
        ("close", cast.grid_leader, {}),
    ]
    for action, actor, fields in steps:
        case = case_services.case_act(actor=actor, case=case, action=action, **fields)
    return case


class ResidentJourneyTests:
    def test_a_resident_scans_the_code_reports_follows_and_rates(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        settings,
        fast_password_hashing: None,
        tmp_path: Path,
    ) -> None:
        settings.MEDIA_ROOT = tmp_path / "media"
        cache.clear()  # the report rate limit counts by address, across the tests of this process
        cast = build_cast()
        compound = cast.compound1
        territory_services.assignment_create(
            actor=None, person=cast.building_leader, place=compound, duty="联系本院住户"
        )
        territory_services.assignment_create(actor=None, person=cast.grid_worker, place=compound, duty="每周巡查")
        running_campaign(cast)
        neighbours = case_services.case_report(
            actor=None,
            category=Category.objects.get(code="C01"),
            description=NEIGHBOURS_WORDS,
            source=Source.RESIDENT,
            compound=compound,
            photos=[SimpleUploadedFile("boxes.jpg", jpeg(tmp_path / "boxes.jpg", (90, 90, 60), "boxes").read_bytes())],
            reporter_name="邻居庚",
        )
        noise = closed_noise_case(cast)
        base = live_server.url

        # 1. The QR code on the notice board opens the compound's public page: who answers for what.
        page.goto(base + reverse("territory:public_compound", args=[compound.code]))
        main = page.locator("main")
        expect(main.locator("h1")).to_have_text(compound.name)
        facts = main.locator("table").first
        expect(facts.locator("tr", has_text="网格长")).to_contain_text(cast.grid_leader.display_name)
        responsible = facts.locator("tr", has_text="本楼院责任人")
        expect(responsible).to_contain_text(f"{cast.building_leader.display_name}（联系本院住户）")
        expect(responsible).to_contain_text(f"{cast.grid_worker.display_name}（每周巡查）")
        campaign = main.locator("[data-notice-section]")
        expect(campaign).to_have_text("文明城市创建责任人")
        expect(main).to_contain_text("1.1.1 楼院无卫生死角")
        expect(main).to_contain_text("反映问题或提出建议，请拨打社区办公电话：0371-60000000。")
        # No staff navigation, nothing personal: only the names staff go by.
        expect(page.locator("#mainnav")).to_have_count(0)
        expect(main).not_to_contain_text(cast.building_leader.username)
        screenshot(JOURNEY, "1-compound")

        # 2. 我要反映问题: choosing the category warns that a neighbour may have reported it already.
        page.locator(f"main a[href='{reverse('cases:public_report', args=[compound.code])}']").click()
        page.wait_for_url("**" + reverse("cases:public_report", args=[compound.code]))
        expect(main.locator("h1")).to_have_text("我要反映问题")
        form = main.locator("form.case-form")
        select_with_htmx(page, form.locator("select[name=category]"), label=CATEGORY)
        similar = form.locator("#category-extras .alert-info")
        expect(similar).to_contain_text("可能已经有人反映过")
        expect(form.locator("#category-extras")).to_contain_text("需要至少上传一张照片")
        screenshot(JOURNEY, "2-similar")

        # What the resident must not see: the neighbour's case opened by its number shows the steps only.
        similar.locator(f"a[href='{reverse('cases:public_case', args=[neighbours.number])}']").click()
        page.wait_for_url("**" + reverse("cases:public_case", args=[neighbours.number]))
        expect(state_badge(page)).to_have_text("已上报")
        expect(main).not_to_contain_text(NEIGHBOURS_WORDS)
        expect(main).not_to_contain_text("邻居庚")
        expect(main.locator("input[name=form]")).to_have_count(0)  # neither rating nor reopening
        expect(main).not_to_contain_text(neighbours.tracking_code)
        screenshot(JOURNEY, "3-neighbours-case")

        # 3. Their own report: another problem of the same kind, with a photo and a phone number to call back.
        page.goto(base + reverse("cases:public_report", args=[compound.code]))
        select_with_htmx(page, form.locator("select[name=category]"), label=CATEGORY)
        form.locator("textarea[name=description]").fill(DESCRIPTION)
        form.locator("input[type=file][name=photos]").set_input_files(
            jpeg(tmp_path / "rubbish.jpg", (120, 100, 80), "rubbish")
        )
        form.locator("input[name=reporter_phone]").fill(MY_PHONE)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/p/t/*/")
        tracking_url = page.url
        expect(main.locator(".alert-success")).to_have_text("感谢您的反映！请保存本页以便查看办理进度。")
        expect(main.locator("h1")).to_have_text(CATEGORY)
        expect(state_badge(page)).to_have_text("已上报")
        expect(main.locator(".case-description")).to_have_text(DESCRIPTION)
        photo_loaded(page, "处置前照片")
        expect(main).not_to_contain_text(MY_PHONE)  # never on a public page, even the reporter's own
        expect(main).to_contain_text("请保存本页网址")
        screenshot(JOURNEY, "4-tracking")

        mine = Case.objects.get(description=DESCRIPTION)
        assert tracking_url.endswith(reverse("cases:public_track", args=[mine.tracking_code]))
        assert (mine.source, mine.compound, mine.reporter, mine.state) == (
            Source.RESIDENT,
            compound,
            None,
            State.REPORTED,
        )
        assert mine.reporter_phone == MY_PHONE
        assert mine.photos.filter(kind=PhotoKind.BEFORE, public=True).count() == 1
        assert Case.objects.count() == 3

        # 4. Two hours later the grid has taken it up: the link they kept shows it dispatched.
        case_services.case_act(actor=cast.grid_leader, case=mine, action="register")
        case_services.case_act(actor=cast.grid_leader, case=mine, action="dispatch", assignee=cast.grid_worker)
        page.goto(tracking_url)
        expect(state_badge(page)).to_have_text("已派遣")
        expect(main.locator(".case-steps [aria-current=step]")).to_contain_text("派遣")
        expect(main).not_to_contain_text(cast.grid_worker.display_name)  # no names of staff on the steps
        screenshot(JOURNEY, "5-followed")

        # 5. Last month's noise complaint was closed: its link offers the rating, once.
        noise_url = base + reverse("cases:public_track", args=[noise.tracking_code])
        page.goto(noise_url)
        expect(state_badge(page)).to_have_text("已结案")
        expect(main.locator(".case-description")).to_have_text(NOISE)
        expect(main.locator(".card", has=page.locator("input[name=form][value=rate]"))).to_contain_text("评价处理结果")
        rating = main.locator("form", has=page.locator("input[name=form][value=rate]"))
        rating.get_by_label("★★★★", exact=True).check()
        rating.locator("textarea[name=comment]").fill(COMMENT)
        screenshot(JOURNEY, "6-rating")
        rating.locator("button[type=submit]").click()
        expect(main.locator(".alert-success")).to_have_text("感谢您的评价。")
        expect(main).to_contain_text("您的评价：")
        expect(main).to_contain_text(COMMENT)
        expect(main.locator("input[name=form][value=rate]")).to_have_count(0)
        screenshot(JOURNEY, "7-rated")
        assert (Rating.objects.get(case=noise).stars, Rating.objects.get(case=noise).comment) == (4, COMMENT)

        # 6. What the resident must not do: guess someone's tracking link, or open the staff page of a case.
        guessed = neighbours.tracking_code[:-1] + ("A" if neighbours.tracking_code[-1] != "A" else "B")
        response = page.goto(base + reverse("cases:public_track", args=[guessed]))
        assert response is not None and response.status == 404
        expect(page.locator("body")).not_to_contain_text(NEIGHBOURS_WORDS)
        staff_page = reverse("cases:case_detail", args=[mine.number])
        page.goto(base + staff_page)
        assert page.url == f"{base}{reverse('accounts:login')}?next={staff_page}"
        expect(page.locator("main form input[name=password]")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(DESCRIPTION)
        screenshot(JOURNEY, "8-staff-page-sign-in")

        # Nothing else was written: the neighbour's case is as it was, no rating but ours.
        neighbours.refresh_from_db()
        assert neighbours.state == State.REPORTED
        assert list(Rating.objects.values_list("case__number", flat=True)) == [noise.number]
        assert Case.objects.count() == 3
