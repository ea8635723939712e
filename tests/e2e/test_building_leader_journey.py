"""A building leader's day in the browser: their compound, its buildings and residents, a problem reported and
taken up inside the compound (小事不出楼院).

楼栋长丁 leads compound T-C01 and answers for its building 1. Signed in (on a phone, usually), they open their
compound from the menu: its buildings and who answers for it. The residents page lists the people of building
1 only, by name, dwelling and masked phone, a child's name masked too. They report night-time noise in the
compound, find it among the new reports and register it themselves: noise is a small matter of the compound.
What the role must not do: reveal a resident's phone in clear (refused, nothing logged as revealed), or open
another compound, of their community or the next (404), or a resident of a building they don't answer for.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.cases.models import Case, Level, Source, State
from wangge.core.models import AuditEvent
from wangge.people.tests.conftest import ADULT_ID, ADULT_PHONE, CHILD_ID, NEIGHBOUR_PHONE, building2_neighbour, family
from wangge.territory import services as territory_services

from .browser import Viewport, open_menu_link, select_with_htmx, sign_in
from .test_case_journey import action_button, state_badge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "building-leader"
NOISE = "三单元有住户每晚十一点后还在装修，邻居反映多次。"


def post_from_the_page(page: Page, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer, as a user who copied the address from someone else's page would:
    a plain POST with the page's CSRF token."""
    page.evaluate(
        """([action, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            for (const [name, value] of Object.entries({csrfmiddlewaretoken: token, ...fields})) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [action, fields],
    )


class BuildingLeaderJourneyTests:
    def test_it_sees_its_compound_and_residents_and_takes_up_a_small_matter(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        fast_password_hashing: None,
    ) -> None:
        cast = build_cast()
        compound, leader = cast.compound1, cast.building_leader
        territory_services.assignment_create(actor=None, person=leader, place=cast.building1, duty="联系本楼住户")
        _household, adult, _child = family(cast)
        building2, _dwelling, neighbour = building2_neighbour(cast)
        base = live_server.url

        # 1. Signed in, the compound from the menu: only theirs is listed; its buildings and who answers for it.
        sign_in(page, base, leader.username)
        open_menu_link(page, viewport, "辖区", reverse("territory:compound_list"))
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(compound.name)
        screenshot(JOURNEY, "1-compounds")
        rows.first.locator(f"a[href='{reverse('territory:compound_detail', args=[compound.code])}']").click()
        page.wait_for_url("**" + reverse("territory:compound_detail", args=[compound.code]))
        main = page.locator("main")
        expect(main.locator("h1")).to_have_text(compound.name)
        buildings = main.locator("table tbody tr")
        expect(buildings).to_have_count(2)
        expect(buildings.nth(0)).to_contain_text(cast.building1.name)
        expect(buildings.nth(1)).to_contain_text(building2.name)
        expect(main.locator("table thead")).to_contain_text("名称")  # a building's name, not a person's 姓名
        expect(main.locator("table thead")).not_to_contain_text("姓名")
        expect(main.locator("a", has_text="编辑")).to_have_count(0)  # a building leader only reads
        screenshot(JOURNEY, "2-compound")

        # 2. The residents of building 1: names, dwellings, masked phones; a child's name masked; nobody else.
        open_menu_link(page, viewport, "人口", reverse("people:resident_list"))
        expect(main).to_contain_text("作为楼栋长")
        residents = main.locator("table tbody tr")
        expect(residents).to_have_count(2)
        expect(residents.filter(has_text="王大明")).to_contain_text("138****5678")
        expect(residents.filter(has_text="王**")).to_have_count(1)
        for hidden in ("王乐乐", "赵邻居", ADULT_PHONE, ADULT_ID, CHILD_ID, NEIGHBOUR_PHONE, "残疾"):
            expect(main).not_to_contain_text(hidden)
        screenshot(JOURNEY, "3-residents")
        residents.filter(has_text="王大明").locator("a").first.click()
        page.wait_for_url("**" + reverse("people:resident_detail", args=[adult.pk]))
        expect(main.locator("h1")).to_have_text("王大明")
        expect(main).to_contain_text("138****5678")
        expect(main).to_contain_text(cast.building1.name)
        expect(main.locator("details summary", has_text="查看")).to_have_count(0)  # nothing to reveal
        for hidden in (ADULT_PHONE, ADULT_ID, "退役军人", "残疾", "出生日期"):
            expect(main).not_to_contain_text(hidden)
        screenshot(JOURNEY, "4-resident")

        # What the role must not do: reveal the phone all the same, by posting the office's reveal form.
        reveal = reverse("pii_reveal", args=["people.resident", adult.pk, "phone"])
        with page.expect_response(lambda response: response.url == base + reveal) as answer:
            post_from_the_page(page, reveal, {"reason": "上门走访"})
        assert answer.value.status == 403
        expect(main).to_contain_text("您无权在此查看个人信息明文。")
        expect(page.locator("body")).not_to_contain_text(ADULT_PHONE)
        expect(page.locator("body")).not_to_contain_text("138****5678")  # not even masked
        screenshot(JOURNEY, "5-reveal-refused")
        assert not AuditEvent.objects.filter(action="pii.reveal").exists()

        # 3. A problem in the compound: 案件 → 新建案件, noise at night, reported as building leader.
        open_menu_link(page, viewport, "案件", reverse("cases:case_create"))
        form = main.locator("form.case-form")
        select_with_htmx(page, form.locator("select[name=category]"), label="噪声扰民")
        form.get_by_label("深夜").check()
        form.locator("textarea[name=description]").fill(NOISE)
        form.locator("select[name=source]").select_option(label="楼栋长")
        compounds = form.locator("select[name=compound] option")
        assert compounds.all_inner_texts() == ["—", compound.name]  # only their own compound to choose
        form.locator("select[name=compound]").select_option(label=compound.name)
        screenshot(JOURNEY, "6-report")
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        number = page.url.rstrip("/").rsplit("/", 1)[-1]
        expect(main.locator(".alert-success")).to_have_text(f"案件 {number} 已上报。")
        expect(state_badge(page)).to_have_text("已上报")
        case = Case.objects.get(number=number)
        assert (case.reporter, case.source, case.compound, case.level) == (
            leader,
            Source.BUILDING_LEADER,
            compound,
            Level.COMPOUND,
        )
        assert case.attributes == {"hours": ["night"]}

        # 4. Later, among the new reports of the work queues; a small matter, so they register it themselves.
        open_menu_link(page, viewport, "案件", reverse("cases:case_list"))
        page.locator(".case-queues a[href^='?queue=new']").click()
        page.wait_for_url("**?queue=new")
        row = page.locator(f".case-rows a[href='{reverse('cases:case_detail', args=[number])}']")
        expect(row).to_contain_text("噪声扰民")
        screenshot(JOURNEY, "7-new-reports")
        row.click()
        page.wait_for_url("**" + reverse("cases:case_detail", args=[number]))
        expect(action_button(page, "不予立案")).to_have_count(0)  # turning a report down is the grid leader's
        action_button(page, "立案").click()
        card = page.locator("#action-panel .case-action-card")
        expect(card.locator(".card-title")).to_have_text("立案")
        card.locator("button[type=submit]").click()
        expect(state_badge(page)).to_have_text("已立案")
        screenshot(JOURNEY, "8-registered")
        case.refresh_from_db()
        assert case.state == State.REGISTERED

        # What the role must not do: another compound of the community, one next door, a neighbour's resident.
        for url in (
            reverse("territory:compound_detail", args=[cast.compound2.code]),
            reverse("territory:compound_detail", args=[cast.next_compound.code]),
            reverse("territory:notice_board", args=[cast.compound2.code]),
            reverse("people:resident_detail", args=[neighbour.pk]),
        ):
            response = page.goto(base + url)
            assert response is not None and response.status == 404, url
            for hidden in (cast.compound2.name, cast.next_compound.name, "赵邻居"):
                expect(page.locator("body")).not_to_contain_text(hidden)
        screenshot(JOURNEY, "9-other-compound-404")
        assert Case.objects.count() == 1
