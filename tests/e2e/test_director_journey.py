"""A community director's day in the browser, at a PC: the figures, the loop's indicators, coverage, a
responsible person named, a resident's phone number seen once, a ledger exported.

The director (主任甲) signs in to the overview of 俭学街社区, reads the case metrics of the last month (one case
closed on time, one overdue: 结案率 50.0%), opens the coverage report (无遗漏无死角), names the grid worker of
第二网格 responsible for compound T-C02 from it, looks up 王大明's phone number with a reason (and finds that in
the access log of personal data), and exports the residents' ledger (masked). What the role must not do: open
the neighbouring community's pages, which do not exist for them (404).

The set-up shared with the grid worker's and the auditor's journeys (cast.settle): a family in grid 001, a
resident of grid 002 and one next door; a grid worker of grid 002; two cases of the last days.
"""

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.core.models import AuditEvent
from wangge.core.pii import mask_name
from wangge.people.models import Resident
from wangge.people.tests.conftest import ADULT_PHONE
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Assignment

from .browser import Viewport, open_menu_link, open_nav_page, sign_in, wait_for_htmx, workbook_text
from .cast import REVEAL_REASON, settle
from .test_case_journey import open_case_list

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "director"


class DirectorJourneyTests:
    def test_it_reads_the_figures_closes_a_coverage_gap_reveals_a_phone_once_and_exports_a_ledger(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        fast_password_hashing: None,
    ) -> None:
        cast = build_cast()
        hood = settle(cast)
        base = live_server.url
        director = cast.director

        # 1. The overview: the community's figures, both grids.
        sign_in(page, base, director.username)
        expect(page.locator("main h1")).to_have_text(cast.home.name)
        figures = page.locator("#figures")
        expect(figures.locator("[data-figure=compounds]")).to_have_text("2")
        expect(figures.locator("[data-figure=shops]")).to_have_text("2")
        expect(figures.locator("[data-figure=grids]")).to_have_text("2")
        expect(page.locator("main table")).to_contain_text(cast.grid2.name)
        screenshot(JOURNEY, "1-overview")

        # 2. The loop's indicators over the last month: one case closed on time, one overdue.
        open_case_list(page, viewport)
        expect(page.locator(".case-queues a[href^='?queue=overdue'] .badge")).to_have_text("1")
        # Less motion, as a user may ask: the chart is drawn at once, so its screenshot shows the bars.
        page.emulate_media(reduced_motion="reduce")
        page.goto(base + reverse("cases:metrics"))
        expect(page.locator("main h1")).to_have_text("案件指标")
        since = timezone.localdate() - datetime.timedelta(days=30)
        page.locator("main form input[name=since]").fill(since.isoformat())
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"**since={since.isoformat()}*")
        closure = page.locator(".figure-card", has_text="结案率").first
        expect(closure.locator(".figure-value")).to_have_text("50.0%")
        on_time = page.locator(".figure-card", has_text="按期结案率")
        expect(on_time.locator(".figure-value")).to_have_text("50.0%")
        total = page.locator(".metrics-table tfoot tr")
        expect(total.locator("td").nth(3)).to_have_text("2")  # due: the closed one and the overdue one
        expect(total.locator("td").nth(4)).to_have_text("1")  # closed
        expect(total.locator("td").nth(9)).to_have_text("50.0%")  # overdue rate
        expect(page.locator("#metrics-chart canvas, #metrics-chart svg").first).to_be_attached()
        screenshot(JOURNEY, "2-metrics")

        # 3. Coverage (无遗漏无死角): the places nobody answers for, and one of them assigned from the report.
        open_nav_page(page, viewport, reverse("territory:coverage"))
        report = territory_selectors.coverage(director, community=cast.home)
        gaps = sum(entry.unassigned_count for entry in report)
        places = sum(entry.place_count for entry in report)
        summary = page.locator("#coverage-summary")
        expect(summary).to_contain_text(f"{gaps}")
        expect(summary).to_contain_text(f"{places}")
        assign = page.locator(
            f"a[href='{reverse('territory:assignment_create', args=['compound', cast.compound2.code])}']"
        )
        expect(assign).to_have_text("指定")
        screenshot(JOURNEY, "3-coverage")
        assign.click()
        expect(page.locator("main h1")).to_have_text("指定责任人")
        form = page.locator("main form")
        form.locator("select[name=person]").select_option(label=hood.worker2.display_name)
        form.locator("input[name=duty]").fill("楼院包干")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**" + reverse("territory:coverage"))
        expect(page.locator("main .alert-success")).to_contain_text(
            f"已指定{hood.worker2.display_name}为{cast.compound2}的责任人"
        )
        expect(assign).to_have_count(0)
        expect(summary).to_contain_text(f"{gaps - 1}")
        assignment = Assignment.objects.get(compound=cast.compound2, active=True)
        assert (assignment.person, assignment.duty) == (hood.worker2, "楼院包干")
        assert AuditEvent.objects.filter(actor=director, action="assignment.create").count() == 1

        # 4. A resident's phone number in clear, once, with a reason; the access log shows who, when and why.
        open_menu_link(page, viewport, "人口", reverse("people:resident_list"))
        expect(page.locator("#rows")).to_contain_text("138****5678")
        expect(page.locator("#rows")).not_to_contain_text(ADULT_PHONE)
        page.locator("#rows a", has_text=hood.adult.name).click()
        page.wait_for_url("**" + reverse("people:resident_detail", args=[hood.adult.pk]))
        phone = page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")
        expect(phone).to_contain_text("138****5678")
        phone.locator("summary", has_text="查看").click()
        phone.locator("input[name=reason]").fill(REVEAL_REASON)
        screenshot(JOURNEY, "4-reveal-reason")
        with page.expect_response(lambda response: "/pii/reveal/" in response.url):
            phone.locator("button[type=submit]").click()
        wait_for_htmx(page)
        revealed = page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")
        expect(revealed).to_contain_text(ADULT_PHONE)
        expect(revealed).to_contain_text("已查看，已留痕")
        screenshot(JOURNEY, "5-revealed")
        reveal = AuditEvent.objects.get(action="pii.reveal")
        assert (reveal.actor, reveal.reason, reveal.object_id) == (director, REVEAL_REASON, str(hood.adult.pk))
        assert reveal.after["field"] == "phone"
        # Seen once: the page shows it masked again.
        page.reload()
        expect(page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")).not_to_contain_text(ADULT_PHONE)

        open_nav_page(page, viewport, reverse("audit"))
        page.locator("main .nav-pills a", has_text="个人信息访问").click()
        page.wait_for_url("**preset=pii")
        row = page.locator("#audit-rows tbody tr", has_text=REVEAL_REASON)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("pii.reveal")
        expect(row).to_contain_text(director.display_name)
        # The log names whose value was seen only masked: it is read by more people than the register.
        expect(row).to_contain_text(mask_name(hood.adult.name))
        expect(row).not_to_contain_text(hood.adult.name)
        screenshot(JOURNEY, "6-access-log")

        # 5. The residents' ledger, masked, as the list shows it; the export is in the audit log.
        page.goto(base + reverse("people:resident_list"))
        with page.expect_download() as download:
            page.locator("#export a", has_text="导出 Excel").click()
        flat = workbook_text(download.value)
        assert hood.adult.name in flat and hood.grid2.name in flat
        assert hood.next_door.name not in flat
        assert "138****5678" in flat and ADULT_PHONE not in flat
        export = AuditEvent.objects.get(action="export.residents")
        assert export.actor == director
        assert export.after["rows"] == Resident.objects.for_user(director).count() == 3
        assert export.after["reveal"] is False

    def test_the_neighbouring_community_is_not_there_for_them(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        fast_password_hashing: None,
    ) -> None:
        cast = build_cast()
        hood = settle(cast)
        base = live_server.url
        sign_in(page, base, cast.director.username)
        next_door = f"?community={cast.next_door.code}"
        pages = [
            reverse("territory:overview") + next_door,
            reverse("territory:coverage") + next_door,
            reverse("territory:coverage_export") + next_door,
            reverse("territory:compound_detail", args=[cast.next_compound.code]),
            reverse("territory:shop_detail", args=[cast.next_shop.code]),
            reverse("people:resident_detail", args=[hood.next_door.pk]),
        ]
        for url in pages:
            response = page.goto(base + url)
            assert response is not None
            assert response.status == 404, url
            body = page.locator("body")
            for name in (cast.next_door.name, cast.next_compound.name, cast.next_shop.name, hood.next_door.name):
                expect(body).not_to_contain_text(name)
        screenshot(JOURNEY, "7-next-door-404")
        # And the pages they may open show nothing of next door either.
        page.goto(base + reverse("territory:compound_list"))
        expect(page.locator("main")).to_contain_text(cast.compound1.name)
        expect(page.locator("main")).not_to_contain_text(cast.next_compound.name)
        assert not AuditEvent.objects.filter(action__startswith="export.").exists()
