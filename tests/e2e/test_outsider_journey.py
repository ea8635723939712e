"""People with no role in 俭学街社区, in the browser: an anonymous visitor, and the neighbouring community's director.

The visitor reads what the community publishes (a compound's public page and report form, the campaign's public
supervision page, a case followed by its number) and nothing else: every staff page sends them to sign in, the
REST API answers 401 without a key (or with a wrong one), and nothing is written. Then the director next door
signs in on the same browser: the compound, a case, a resident, a building, a shop and the campaign of 俭学街 are
404 for them, and neither the pages' lists nor the API's lists nor their audit log name any of them, while
their own community's compound, case and resident are there.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from playwright.sync_api import APIRequestContext, Page, expect

from conftest import Cast, build_cast
from wangge.campaigns.models import Campaign
from wangge.cases import services as case_services
from wangge.cases.models import Case, Category, Source
from wangge.core.models import AuditEvent
from wangge.people.models import Resident
from wangge.people.tests.conftest import ADULT_PHONE, family, next_door_resident

from .browser import Viewport, csrf_token, sign_in
from .cast import running_campaign

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOURNEY = "outsider"
HOME_CASE = "测试一号院南门路灯不亮，晚上出入很不方便。"
NEXT_CASE = "邻里一号院有住户深夜装修。"
PUBLIC_PREFIXES = ("p/", "healthz", "i18n/", "accounts/", "api/", "open311/", "admin/")


def routes(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the project with its whole route."""
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def staff_urls(cast: Cast, case: Case, resident: Resident, campaign: Campaign) -> list[str]:
    """Every staff page, with the home community's objects as arguments (public pages, sign-in, the API, Open311
    and the Django admin have their own rules). Built from the URL configuration: a page added later is covered."""
    values = {
        "code": cast.compound1.code,
        "number": case.number,
        "action": "close",
        "target": "compound",
        "label": "people.resident",
        "field": "phone",
        "name": "residents",
    }
    found = []
    for route, pattern in routes(get_resolver()):
        if not isinstance(pattern.pattern, RoutePattern) or route.startswith(PUBLIC_PREFIXES):
            continue
        # Campaign pages take the campaign's id, people pages the resident's; the others are refused before any
        # lookup, whatever the id.
        by_kind = {
            "int": str(campaign.pk if route.startswith("campaigns/") else resident.pk),
            "uuid": str(uuid.uuid4()),
        }

        def argument(match: re.Match, by_kind: dict = by_kind) -> str:
            return by_kind.get(match.group(1) or "str") or values.get(match.group(2), "x")

        found.append("/" + re.sub(r"<(?:(\w+):)?(\w+)>", argument, route))
    return found


def api_urls(cast: Cast, case: Case, resident: Resident) -> list[str]:
    """Every endpoint of the REST API (lists, records and actions), with the home community's objects."""
    values = {"code": cast.compound1.code, "number": case.number, "pk": str(resident.pk), "task_id": "1"}
    found = []
    for route, _pattern in routes(get_resolver()):
        if not route.startswith("api/v1/^") or "format" in route:
            continue
        regex = route.removeprefix("api/v1/").lstrip("^").rstrip("$")
        found.append("/api/v1/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], regex))
    return found


def listed(request: APIRequestContext, base: str, endpoint: str) -> list[dict]:
    response = request.get(base + endpoint)
    assert response.status == 200, endpoint
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


class OutsiderJourneyTests:
    def test_nobody_from_outside_sees_more_than_the_public_pages(
        self,
        live_server,
        page: Page,
        viewport: Viewport,
        screenshot: Callable[[str, str], Path],
        fast_password_hashing: None,
    ) -> None:
        cast = build_cast()
        campaign = running_campaign(cast)
        case = case_services.case_report(
            actor=cast.grid_worker,
            category=Category.objects.get(code="C04"),
            description=HOME_CASE,
            source=Source.PATROL,
            compound=cast.compound1,
        )
        _household, resident, _child = family(cast)
        next_resident = next_door_resident(cast)
        next_case = case_services.case_report(
            actor=cast.outsider,
            category=Category.objects.get(code="C04"),
            description=NEXT_CASE,
            source=Source.PATROL,
            compound=cast.next_compound,
        )
        base = live_server.url
        cases_before, audit_before = Case.objects.count(), AuditEvent.objects.count()

        # 1. The visitor: what the community publishes opens without an account.
        page.goto(base + reverse("territory:public_compound", args=[cast.compound1.code]))
        expect(page.locator("main h1")).to_have_text(cast.compound1.name)
        expect(page.locator("main")).to_contain_text(cast.grid_leader.display_name)
        screenshot(JOURNEY, "1-public-compound")
        response = page.goto(base + reverse("cases:public_report", args=[cast.compound1.code]))
        assert response is not None and response.status == 200
        expect(page.locator("main h1")).to_have_text("我要反映问题")
        response = page.goto(base + reverse("campaigns:public_campaign", args=[cast.home.code]))
        assert response is not None and response.status == 200
        expect(page.locator("main")).to_contain_text(campaign.name)
        expect(page.locator("main")).to_contain_text("楼院无卫生死角")
        screenshot(JOURNEY, "2-public-campaign")
        response = page.goto(base + reverse("cases:public_case", args=[case.number]))
        assert response is not None and response.status == 200
        expect(page.locator("main .case-state")).to_have_text("已上报")
        expect(page.locator("main")).not_to_contain_text(HOME_CASE)

        # 2. Every staff page sends the visitor to sign in, before it looks anything up.
        login = base + reverse("accounts:login")
        urls = staff_urls(cast, case, resident, campaign)
        assert len(urls) > 80 and "/people/residents/" in urls and "/audit/" in urls
        token = csrf_token(page)
        refused = {}
        for url in urls:
            response = page.request.get(base + url, max_redirects=0)
            if response.status == 405:  # a form's target only: the POST must want a sign-in too
                response = page.request.post(
                    base + url, form={"csrfmiddlewaretoken": token}, headers={"Referer": base}, max_redirects=0
                )
            location = response.headers.get("location", "")
            if response.status != 302 or not location.startswith(f"{reverse('accounts:login')}?next="):
                refused[url] = (response.status, location)
        assert refused == {}
        page.goto(base + reverse("people:resident_detail", args=[resident.pk]))
        assert page.url.startswith(login + "?next=")
        expect(page.locator("main form input[name=username]")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("王大明")
        screenshot(JOURNEY, "3-sign-in-first")

        # 3. The API without a key, or with a made-up one: 401, and nothing written.
        endpoints = api_urls(cast, case, resident)
        assert "/api/v1/residents/" in endpoints and f"/api/v1/cases/{case.number}/close/" in endpoints
        answers = {}
        for endpoint in endpoints:
            for headers in ({}, {"Authorization": "Token made-up-key"}):
                answers[endpoint, "get", bool(headers)] = page.request.get(base + endpoint, headers=headers).status
        report = {"category": "C04", "description": "匿名提交", "compound": cast.compound1.code, "source": "patrol"}
        answers["/api/v1/cases/", "post", False] = page.request.post(base + "/api/v1/cases/", data=report).status
        answers[f"/api/v1/cases/{case.number}/close/", "post", False] = page.request.post(
            base + f"/api/v1/cases/{case.number}/close/"
        ).status
        assert {key: status for key, status in answers.items() if status != 401} == {}
        body = page.request.get(base + "/api/v1/residents/").text()
        assert "王大明" not in body and ADULT_PHONE not in body
        assert (Case.objects.count(), AuditEvent.objects.count()) == (cases_before, audit_before)

        # 4. The director next door signs in on the same browser: their own community only.
        sign_in(page, base, cast.outsider.username)
        expect(page.locator("main h1")).to_have_text(cast.next_door.name)
        expect(page.locator("body")).not_to_contain_text(cast.home.name)
        screenshot(JOURNEY, "4-next-door-overview")

        # 404 for everything of 俭学街, by address.
        for url in (
            reverse("territory:compound_detail", args=[cast.compound1.code]),
            reverse("territory:notice_board", args=[cast.compound1.code]),
            reverse("territory:building_detail", args=[cast.building1.code]),
            reverse("territory:shop_detail", args=[cast.shop1.code]),
            reverse("cases:case_detail", args=[case.number]),
            reverse("people:resident_detail", args=[resident.pk]),
            reverse("campaigns:campaign_detail", args=[campaign.pk]),
        ):
            response = page.goto(base + url)
            assert response is not None and response.status == 404, url
            for hidden in (cast.compound1.name, HOME_CASE, "王大明", cast.shop1.name, campaign.name):
                expect(page.locator("body")).not_to_contain_text(hidden)
        screenshot(JOURNEY, "5-next-door-404")

        # ... and in no list: the pages', the API's, the audit log's; their own community's things are there.
        lists = {
            reverse("territory:compound_list"): (cast.next_compound.name, [cast.compound1.name, cast.compound2.name]),
            reverse("territory:shop_list"): (cast.next_shop.name, [cast.shop1.name, cast.shop2.name]),
            reverse("cases:case_list") + "?queue=all": (next_case.number, [case.number]),
            reverse("people:resident_list"): ("钱外", ["王大明"]),
            reverse("campaigns:campaign_list"): (None, [campaign.name]),
            reverse("audit"): (None, [cast.compound1.name, cast.home.name, "王大明"]),
        }
        for url, (present, absent) in lists.items():
            response = page.goto(base + url)
            assert response is not None and response.status == 200, url
            if present:
                expect(page.locator("main")).to_contain_text(present)
            for hidden in absent:
                expect(page.locator("main")).not_to_contain_text(hidden)
            if url == reverse("cases:case_list") + "?queue=all":
                screenshot(JOURNEY, "6-next-door-cases")
        assert {row["code"] for row in listed(page.request, base, "/api/v1/compounds/")} == {cast.next_compound.code}
        assert {row["number"] for row in listed(page.request, base, "/api/v1/cases/")} == {next_case.number}
        assert {row["id"] for row in listed(page.request, base, "/api/v1/residents/")} == {next_resident.pk}
        assert listed(page.request, base, "/api/v1/campaigns/") == []
        for endpoint in (
            f"/api/v1/compounds/{cast.compound1.code}/",
            f"/api/v1/cases/{case.number}/",
            f"/api/v1/residents/{resident.pk}/",
        ):
            assert page.request.get(base + endpoint).status == 404, endpoint
