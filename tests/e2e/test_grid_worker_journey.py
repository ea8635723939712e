"""A grid worker's day in the browser: the cases dispatched to them, a problem found on the round, the people
and places of their grid.

The grid worker of 第一网格 (网格员丙) signs in and opens "my cases": one case waits, bicycles blocking a unit door
of compound T-C01. They ask for a day more (the property company comes tomorrow), start, and report the
handling with a note and a photo. On the round they find a quarrel between neighbours and report it as a new
case, which they register themselves. Then the register of their grid: the family in building 1, masked, one
of them looked up by phone number (logged), and its household; the coverage report and the places never
visited. What the role must not do: see a resident's phone number in clear, not even by posting the reveal form
by hand (403, nothing written).

The handling steps themselves (start, handle with a photo) are the case journey's; here they come with the
postponement, the field report and the register around them.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, PhotoKind, Postponement, Source, State
from wangge.core.models import AuditEvent
from wangge.people.tests.conftest import ADULT_PHONE
from wangge.territory import selectors as territory_selectors

from .browser import Viewport, csrf_token, open_menu_link, open_nav_page, select_with_htmx, sign_in
from .cast import settle
from .test_case_journey import act, action_button, jpeg, open_case_list, open_row, photo_loaded, show_queue, state_badge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "grid-worker"
POSTPONEMENT_REASON = "物业明天统一清理车棚，需顺延一天"
HANDLING_NOTE = "已联系物业，单车已挪入车棚，单元门畅通。"
QUARREL = "二单元101与102因楼道堆放杂物发生争执，需上门调解。"


class GridWorkerJourneyTests:
    def test_it_works_its_queue_reports_from_the_round_and_looks_after_its_grid(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        settings,
        tmp_path: Path,
        fast_password_hashing: None,
    ) -> None:
        settings.MEDIA_ROOT = tmp_path / "media"
        cast = build_cast()
        hood = settle(cast)
        worker = cast.grid_worker
        bikes = case_services.case_report(
            actor=cast.grid_leader,
            category=Category.objects.get(code="E0505"),
            description="一号楼二单元门口共享单车堆放，挡住单元门。",
            source=Source.PATROL,
            compound=cast.compound1,
        )
        bikes = case_services.case_act(actor=cast.grid_leader, case=bikes, action="register")
        bikes = case_services.case_act(actor=cast.grid_leader, case=bikes, action="dispatch", assignee=worker)
        base = live_server.url

        # 1. My cases: the one dispatched to me, not the grid 002 case nor the closed one.
        sign_in(page, base, worker.username)
        open_case_list(page, viewport)
        expect(page.locator(".case-queues a[href^='?queue=mine'] .badge")).to_have_text("1")
        show_queue(page, "mine")
        expect(page.locator(".case-rows li")).to_have_count(1)
        expect(page.locator(".case-rows")).to_contain_text(cast.compound1.name)
        expect(page.locator(".case-rows")).not_to_contain_text(hood.overdue.number)
        screenshot(JOURNEY, "1-my-cases")
        open_row(page, bikes.number)
        expect(state_badge(page)).to_have_text("已派遣")

        # 2. A day more, with a reason; then start and report the handling with a photo.
        act(
            page,
            "申请延期",
            "已派遣",
            lambda card: (
                card.locator("input[name=reason]").fill(POSTPONEMENT_REASON),
                card.locator("input[name=hours]").fill("24"),
            ),
        )
        request = page.locator("main li", has_text=POSTPONEMENT_REASON)
        expect(request).to_contain_text("待审批")
        expect(request).to_contain_text("延长 24 小时")
        expect(action_button(page, "申请延期")).to_have_count(0)  # one request at a time
        act(page, "开始处置", "处置中")
        action_button(page, "处置反馈").click()
        card = page.locator("#action-panel .case-action-card")
        expect(card.locator(".card-title")).to_have_text("处置反馈")
        card.locator("textarea[name=note]").fill(HANDLING_NOTE)
        card.locator("input[type=file][name=photos]").set_input_files(jpeg(tmp_path / "after.jpg", (70, 140, 90), "ok"))
        screenshot(JOURNEY, "2-handling")
        card.locator("button[type=submit]").click()
        expect(state_badge(page)).to_have_text("已处置")
        photo_loaded(page, "处置后照片")
        expect(page.locator(".case-timeline")).to_contain_text(HANDLING_NOTE)
        # What follows is the grid leader's: the worker is offered none of it.
        labels = {text.strip() for text in page.locator(".case-actions a").all_inner_texts()}
        assert not labels & {"核查通过", "结案", "派遣", "开始处置", "处置反馈"}, labels
        screenshot(JOURNEY, "3-handled")
        bikes.refresh_from_db()
        assert bikes.state == State.HANDLED and bikes.assignee == worker
        postponement = Postponement.objects.get(case=bikes)
        assert (postponement.requested_by, postponement.hours, postponement.reason) == (
            worker,
            24,
            POSTPONEMENT_REASON,
        )
        assert bikes.photos.filter(kind=PhotoKind.AFTER).count() == 1

        # 3. On the round: a quarrel between neighbours, reported and registered on the spot.
        open_menu_link(page, viewport, "案件", reverse("cases:case_create"))
        form = page.locator("main form.case-form")
        select_with_htmx(page, form.locator("select[name=category]"), "C06")
        form.locator("textarea[name=description]").fill(QUARREL)
        compounds = form.locator("select[name=compound] option")
        assert compounds.all_inner_texts()[1:] == [str(cast.compound1)]  # only the places of their grid
        form.locator("select[name=compound]").select_option(cast.compound1.code)
        screenshot(JOURNEY, "4-field-report")
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        expect(state_badge(page)).to_have_text("已上报")
        expect(page.locator("main .alert-success")).to_contain_text("已上报")
        act(page, "立案", "已立案")
        quarrel = Case.objects.get(description=QUARREL)
        assert (quarrel.reporter, quarrel.source, quarrel.compound, quarrel.state) == (
            worker,
            Source.PATROL,
            cast.compound1,
            State.REGISTERED,
        )
        assert quarrel.area == cast.grid1

        # 4. The people of the grid: the family in building 1, masked; not the residents of grid 002 or next door.
        open_menu_link(page, viewport, "人口", reverse("people:resident_list"))
        rows = page.locator("#rows")
        expect(rows).to_contain_text(hood.adult.name)
        expect(rows).to_contain_text(hood.child.name)
        expect(rows).to_contain_text("138****5678")
        expect(rows).not_to_contain_text(hood.grid2.name)
        expect(rows).not_to_contain_text(hood.next_door.name)
        expect(rows).not_to_contain_text(ADULT_PHONE)
        expect(page.locator("#export")).to_have_count(0)  # no export right
        # A name reads on one line, on a phone too: the table scrolls sideways rather than stack its characters.
        name = rows.locator("a", has_text=hood.adult.name)
        font_size = name.evaluate("link => parseFloat(getComputedStyle(link).fontSize)")
        assert name.bounding_box()["height"] < 2 * font_size
        screenshot(JOURNEY, "5-residents")
        # A resident rings: looked up by the full number, which is posted (never in the address) and logged.
        page.locator("main details summary", has_text="按证件号或电话号码查找").click()
        lookup = page.locator("main form[method=post]")
        lookup.locator("input[name=number]").fill(ADULT_PHONE)
        lookup.locator("button[type=submit]").click()
        page.wait_for_url("**match=*")
        assert ADULT_PHONE not in page.url
        expect(page.locator("#match")).to_contain_text("138****5678")
        expect(rows.locator("tbody tr")).to_have_count(1)
        expect(rows).not_to_contain_text(hood.child.name)
        search = AuditEvent.objects.get(action="pii.search")
        assert search.actor == worker and ADULT_PHONE not in str(search.after)
        rows.locator("a", has_text=hood.adult.name).click()
        page.wait_for_url("**" + reverse("people:resident_detail", args=[hood.adult.pk]))
        phone = page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")
        expect(phone).to_have_text("138****5678")
        expect(page.locator("main .pii-field details")).to_have_count(0)  # nothing to reveal from here
        expect(page.locator("main")).not_to_contain_text(hood.adult.id_number)
        page.locator("main a", has_text="H1").click()
        page.wait_for_url("**" + reverse("people:household_detail", args=[hood.adult.household_id]))
        members = page.locator("main .list-group").first
        expect(members).to_contain_text(hood.adult.name)
        expect(members).to_contain_text(hood.child.name)
        expect(members).to_contain_text("138****5678")
        screenshot(JOURNEY, "6-household")

        # 5. Their places: who answers for what (无遗漏) and what was never visited (无死角), grid 001 only.
        open_nav_page(page, viewport, reverse("territory:coverage"))
        report = territory_selectors.coverage(worker, community=cast.home)
        assert [entry.grid for entry in report] == [cast.grid1]
        cards = page.locator("main .card")
        expect(cards).to_have_count(1)
        expect(cards.first).to_contain_text(cast.grid1.name)
        expect(page.locator("#coverage-summary")).to_contain_text(str(report[0].unassigned_count))
        expect(page.locator("main a", has_text="指定")).to_have_count(0)  # naming people is the leaders' job
        screenshot(JOURNEY, "7-coverage")
        open_menu_link(page, viewport, "巡查", reverse("inspections:overdue"))
        never = page.locator(f"[data-grid='{cast.grid1.code}'] [data-place='{cast.shop1.code}']:visible")
        expect(never).to_contain_text(cast.shop1.name)
        expect(never).to_contain_text("从未巡查")
        expect(page.locator(f"[data-grid='{cast.grid2.code}']")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text(cast.shop2.name)
        screenshot(JOURNEY, "8-never-visited")

    def test_it_may_not_see_a_phone_number_in_clear(
        self, live_server, page: Page, viewport: Viewport, fast_password_hashing: None
    ) -> None:
        cast = build_cast()
        hood = settle(cast)
        base = live_server.url
        sign_in(page, base, cast.grid_worker.username)
        page.goto(base + reverse("people:resident_detail", args=[hood.adult.pk]))
        expect(page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")).to_have_text("138****5678")
        events = AuditEvent.objects.count()

        # The form is not offered; posted by hand, with a reason and the page's own CSRF token, it is refused.
        response = page.request.post(
            base + reverse("pii_reveal", args=["people.resident", hood.adult.pk, "phone"]),
            form={"reason": "想看一下"},
            headers={"X-CSRFToken": csrf_token(page), "Referer": page.url},
        )
        assert response.status == 403
        body = response.text()
        assert ADULT_PHONE not in body
        assert "您无权在此查看个人信息明文" in body
        assert AuditEvent.objects.count() == events
        assert not AuditEvent.objects.filter(action="pii.reveal").exists()
