"""An auditor's day in the browser: the audit log, the cases and the people register, read and exported.

The auditor of 俭学街社区 (审计员戊) signs in, reads the audit log, narrows it to the director's doings, opens the
access log of personal data (where the director's look at 王大明's phone number stands with its reason) and
exports it; reads the cases (all of them, one overdue) and exports the list; reads the people register, which
shows them every number masked. What the role must not do: change anything. No case action is offered, and
the actions and the reveal posted by hand are refused (403) with nothing written.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import build_cast
from wangge.cases.models import Case, CaseEvent
from wangge.core.models import AuditEvent
from wangge.core.reveal import pii_reveal
from wangge.people.models import Resident
from wangge.people.tests.conftest import ADULT_PHONE

from .browser import Viewport, csrf_token, open_menu_link, open_nav_page, sign_in, wait_for_htmx, workbook_text
from .cast import REVEAL_REASON, settle
from .test_case_journey import open_case_list, open_row, show_queue, state_badge

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "auditor"


class AuditorJourneyTests:
    def test_it_reads_and_exports_the_audit_log_the_cases_and_the_register(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        fast_password_hashing: None,
    ) -> None:
        cast = build_cast()
        hood = settle(cast)
        pii_reveal(actor=cast.director, instance=hood.adult, field="phone", reason=REVEAL_REASON)
        auditor = cast.auditor
        base = live_server.url

        # 1. The audit log of the community, then only what the director did.
        sign_in(page, base, auditor.username)
        open_nav_page(page, viewport, reverse("audit"))
        expect(page.locator("main h1")).to_have_text("审计日志")
        in_scope = AuditEvent.objects.for_user(auditor, "view_audit")
        assert in_scope.exclude(actor=cast.director).exists()  # the filter has something to leave out
        # Every event in scope, one row each (the page holds 50).
        expect(page.locator("#audit-rows tbody tr")).to_have_count(min(in_scope.count(), 50))
        # Typed, then on to the next field: the list follows (htmx), without reloading the page.
        actor = page.locator("main form input[name=actor]")
        actor.fill(cast.director.display_name)
        with page.expect_response(lambda response: "actor=" in response.url):
            actor.press("Tab")
        wait_for_htmx(page)
        mine = in_scope.filter(actor_label__icontains=cast.director.display_name).count()
        assert 0 < mine < 50
        rows = page.locator("#audit-rows tbody tr")
        expect(rows).to_have_count(mine)
        actors = {row.locator("td").nth(1).inner_text().strip() for row in rows.all()}
        assert actors == {cast.director.display_name}, actors
        assert "actor=" in page.url  # the filtered log has its own address, to come back to
        # Readable on a phone: a row takes a few lines at most (the table scrolls sideways), not one per character.
        height, line = rows.first.evaluate(
            "row => [row.getBoundingClientRect().height, parseFloat(getComputedStyle(row).lineHeight)]"
        )
        assert height < 4 * line, (height, line)
        screenshot(JOURNEY, "1-audit-log-filtered")

        # 2. The access log of personal data: the director's reveal, with its reason; exported.
        page.locator("main .nav-pills a", has_text="个人信息访问").click()
        page.wait_for_url("**preset=pii")
        reveal = page.locator("#audit-rows tbody tr", has_text=REVEAL_REASON)
        expect(reveal).to_have_count(1)
        expect(reveal).to_contain_text(cast.director.display_name)
        expect(page.locator("main")).not_to_contain_text(ADULT_PHONE)
        screenshot(JOURNEY, "2-access-log")
        with page.expect_download() as download:
            page.locator("#audit-export").click()
        exported = workbook_text(download.value)
        assert REVEAL_REASON in exported and "pii.reveal" in exported
        assert ADULT_PHONE not in exported
        audit_export = AuditEvent.objects.get(action="export.audit")
        assert audit_export.actor == auditor and audit_export.after["filters"] == {"preset": "pii"}

        # 3. The cases: all of them, read-only; the list exported.
        open_case_list(page, viewport)
        expect(page.locator("main a[href='" + reverse("cases:case_create") + "']")).to_have_count(0)
        expect(page.locator(".case-queues a[href^='?queue=mine'] .badge")).to_have_text("0")
        show_queue(page, "all")
        expect(page.locator(".case-rows li")).to_have_count(2)
        screenshot(JOURNEY, "3-cases")
        with page.expect_download() as download:
            page.locator("#rows a", has_text="导出 Excel").click()
        exported = workbook_text(download.value)
        assert hood.closed.number in exported and hood.overdue.number in exported
        assert AuditEvent.objects.get(action="export.cases").actor == auditor
        open_row(page, hood.overdue.number)
        expect(state_badge(page)).to_have_text("已派遣")
        expect(page.locator("main .badge", has_text="超期")).to_be_visible()
        expect(page.locator(".case-timeline")).to_contain_text("派遣")
        expect(page.locator(".case-actions")).to_have_count(0)
        screenshot(JOURNEY, "4-case")

        # 4. The people register, masked, with nothing to reveal or export in clear.
        open_menu_link(page, viewport, "人口", reverse("people:resident_list"))
        rows = page.locator("#rows")
        for resident in (hood.adult, hood.child, hood.grid2):
            expect(rows).to_contain_text(resident.name)
        expect(rows).not_to_contain_text(hood.next_door.name)
        expect(rows).to_contain_text("138****5678")
        expect(rows).not_to_contain_text(ADULT_PHONE)
        expect(page.locator("#export a", has_text="导出 Excel")).to_be_visible()
        expect(page.locator("#export details")).to_have_count(0)  # no unmasked export
        expect(page.locator("main a[href='" + reverse("people:resident_create") + "']")).to_have_count(0)
        screenshot(JOURNEY, "5-residents")
        rows.locator("a", has_text=hood.adult.name).click()
        page.wait_for_url("**" + reverse("people:resident_detail", args=[hood.adult.pk]))
        expect(page.locator(f"#pii-peopleresident-{hood.adult.pk}-phone")).to_have_text("138****5678")
        expect(page.locator(f"#pii-peopleresident-{hood.adult.pk}-id_number")).to_contain_text("********")
        expect(page.locator("main .pii-field details")).to_have_count(0)
        expect(
            page.locator("main a[href='" + reverse("people:resident_update", args=[hood.adult.pk]) + "']")
        ).to_have_count(0)
        screenshot(JOURNEY, "6-resident")

    def test_it_may_change_nothing(
        self, live_server, page: Page, viewport: Viewport, fast_password_hashing: None
    ) -> None:
        cast = build_cast()
        hood = settle(cast)
        base = live_server.url
        case = hood.overdue
        sign_in(page, base, cast.auditor.username)
        page.goto(base + reverse("cases:case_detail", args=[case.number]))
        expect(page.locator(".case-actions")).to_have_count(0)
        token = csrf_token(page)
        before = (AuditEvent.objects.count(), CaseEvent.objects.count(), Case.objects.get(pk=case.pk).version)

        def post(url: str, form: dict) -> int:
            return page.request.post(base + url, form=form, headers={"X-CSRFToken": token, "Referer": page.url}).status

        version = str(case.version)
        # The short forms are not even shown; posted by hand, each action is refused.
        for action, form in {
            "urge": {"version": version, "note": "请尽快处理"},
            "start": {"version": version},
            "dispatch": {"version": version, "assignee": str(cast.grid_worker.pk)},
            "suspend": {"version": version, "note": "暂缓"},
        }.items():
            url = reverse("cases:case_act", args=[case.number, action])
            assert page.goto(base + url).status == 403, action
            assert post(url, form) == 403, action
        reveal = reverse("pii_reveal", args=["people.resident", hood.adult.pk, "phone"])
        assert post(reveal, {"reason": "审计抽查"}) == 403
        resident_edit = reverse("people:resident_update", args=[hood.adult.pk])
        assert post(resident_edit, {"name": "改名", "phone": "13900000000"}) in (403, 404)

        case = Case.objects.get(pk=case.pk)
        assert (AuditEvent.objects.count(), CaseEvent.objects.count(), case.version) == before
        assert case.state == hood.overdue.state and case.assignee == hood.worker2
        adult = Resident.objects.get(pk=hood.adult.pk)
        assert (adult.name, adult.phone) == (hood.adult.name, ADULT_PHONE)
