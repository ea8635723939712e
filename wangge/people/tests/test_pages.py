"""The people register's pages: who may open what, what each role sees, the reveal flow, the Excel exports,
the forms (through the services) and what the lists cost in queries."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.utils import translation

from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.people import services
from wangge.people import tags as care_tags
from wangge.people.models import Household, ResidenceRegistration, Resident, ResidentStatus
from wangge.people.tests.conftest import ADULT_ID, ADULT_PHONE, id_number

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
OFFICE = ("director", "grid_leader", "grid_worker", "auditor")


@pytest.fixture
def urls(people) -> dict[str, str]:
    adult, household = people.adult.pk, people.household.pk
    return {
        "resident_list": "/people/residents/",
        "resident_detail": f"/people/residents/{adult}/",
        "resident_create": "/people/residents/new/",
        "resident_update": f"/people/residents/{adult}/edit/",
        "resident_archive": f"/people/residents/{adult}/archive/",
        "registration_create": f"/people/residents/{adult}/registrations/new/",
        "household_list": "/people/households/",
        "household_detail": f"/people/households/{household}/",
        "household_create": "/people/households/new/",
        "household_update": f"/people/households/{household}/edit/",
        "resident_export": "/people/residents/?format=xlsx",
        "household_export": "/people/households/?format=xlsx",
    }


# Who may open each page (on the adult of household H1, in building 1 of grid 001).
ALLOWED = {
    "resident_list": (*OFFICE, "building_leader"),
    "resident_detail": (*OFFICE, "building_leader"),
    "resident_create": ("director", "grid_leader"),
    "resident_update": ("director", "grid_leader", "grid_worker"),
    "resident_archive": ("director", "grid_leader", "grid_worker"),
    "registration_create": ("director", "grid_leader", "grid_worker"),
    "household_list": (*OFFICE, "building_leader"),
    "household_detail": (*OFFICE, "building_leader"),
    "household_create": ("director", "grid_leader"),
    "household_update": ("director", "grid_leader", "grid_worker"),
    "resident_export": ("director", "grid_leader", "auditor"),
    "household_export": ("director", "grid_leader", "auditor"),
}
SINGLE = ["resident_detail", "resident_update", "resident_archive", "registration_create"]
SINGLE += ["household_detail", "household_update"]


def statuses(client, urls: list[str]) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


def text(response) -> str:
    return response.content.decode()


class AccessTests:
    @pytest.mark.parametrize("page", list(ALLOWED))
    def test_it_opens_the_page_to_the_allowed_roles(self, cast, urls, page):
        seen = {who: cast.client(getattr(cast, who)).get(urls[page]).status_code for who in ALLOWED[page]}
        assert seen == dict.fromkeys(ALLOWED[page], 200)

    @pytest.mark.parametrize("page", list(ALLOWED))
    def test_it_refuses_the_roles_without_the_action(self, cast, urls, page):
        refused = [who for who in (*OFFICE, "building_leader") if who not in ALLOWED[page]]
        seen = {who: cast.client(getattr(cast, who)).get(urls[page]).status_code for who in refused}
        assert seen == dict.fromkeys(refused, 403)

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast, urls):
        client = cast.client(None)
        for url in urls.values():
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url

    def test_it_hides_home_residents_from_the_outsider(self, cast, urls):
        client = cast.client(cast.outsider)
        pages = [urls[name] for name in SINGLE]
        assert statuses(client, pages) == dict.fromkeys(pages, 404)
        assert "王大明" not in text(client.get(urls["resident_list"]))

    def test_it_hides_residents_of_other_buildings_from_the_building_leader(self, cast, people):
        client = cast.client(cast.building_leader)
        pages = [f"/people/residents/{people.neighbour.pk}/", f"/people/residents/{people.grid2.pk}/"]
        assert statuses(client, pages) == dict.fromkeys(pages, 404)

    def test_it_hides_other_grids_from_a_grid_worker(self, cast, people):
        pages = [f"/people/residents/{people.grid2.pk}/", f"/people/residents/{people.grid2.pk}/edit/"]
        assert statuses(cast.client(cast.grid_worker), pages) == dict.fromkeys(pages, 404)

    def test_it_refuses_the_register_to_a_resident_account_and_shows_a_volunteer_nothing(self, cast, people, urls):
        assert cast.client(cast.resident).get(urls["resident_list"]).status_code == 403
        volunteer = cast.client(people.volunteer)
        assert volunteer.get(urls["resident_detail"]).status_code == 404
        assert "王大明" not in text(volunteer.get(urls["resident_list"]))


class ListTests:
    def test_it_shows_the_office_masked_data_and_hidden_sensitive_tags(self, cast, people, urls):
        with translation.override("en"):
            page = text(cast.client(cast.grid_worker).get(urls["resident_list"]))
        assert "王大明" in page and "赵邻居" in page and "孙二" not in page
        assert "138****5678" in page and ADULT_ID[:6] + "********" + ADULT_ID[-4:] in page
        assert not MOBILE.search(page) and ADULT_ID not in page
        assert "1 项敏感标签（已隐藏）" in page
        assert "person with a disability" not in page

    def test_it_shows_a_building_leader_names_dwellings_and_masked_phones_only(self, cast, people, urls):
        page = text(cast.client(cast.building_leader).get(urls["resident_list"]))
        assert "王大明" in page and "138****5678" in page
        assert "王**" in page and "王乐乐" not in page
        assert "赵邻居" not in page
        assert ADULT_ID[:6] not in page and "1980" not in page

    def test_it_answers_htmx_with_the_rows_only(self, cast, people, urls):
        response = cast.client(cast.director).get(urls["resident_list"], {"q": "王"}, HTTP_HX_REQUEST="true")
        assert "<html" not in text(response) and "王大明" in text(response)

    def test_it_filters_by_grid_compound_residence_and_tag(self, cast, people, urls):
        client = cast.client(cast.director)

        def listed(**params) -> set[str]:
            response = client.get(urls["resident_list"], params)
            return {card.resident.name for card in response.context["cards"]}

        assert listed(grid="410105008004002") == {"孙二"}
        assert listed(compound="T-C01") == {"王大明", "王乐乐", "赵邻居"}
        assert listed(residence="floating") == {"赵邻居"}
        assert listed(tag="elderly_alone") == {"孙二"}
        # A sensitive tag and a full number are posted instead (SearchTests).
        assert listed(tag="disabled") == set() and listed(q=ADULT_PHONE) == set()

    def test_it_does_not_offer_a_sensitive_tag_to_a_grid_leader(self, cast, people, urls):
        client = cast.client(cast.grid_leader)
        response = client.get(urls["resident_list"], {"tag": "disabled"})
        assert response.context["cards"] == []
        assert 'value="disabled"' not in text(client.get(urls["resident_list"]))

    def test_it_lists_archived_residents_apart(self, cast, people, urls):
        services.resident_archive(
            actor=None, resident=people.neighbour, status="moved_out", on=people.adult.created_at.date()
        )
        client = cast.client(cast.director)
        living = {card.resident.name for card in client.get(urls["resident_list"]).context["cards"]}
        archived = {c.resident.name for c in client.get(urls["resident_list"], {"status": "archived"}).context["cards"]}
        assert "赵邻居" not in living and archived == {"赵邻居"}

    def test_it_takes_as_many_queries_for_many_residents_as_for_few(self, cast, people, urls):
        client = cast.client(cast.director)
        pages = [urls["resident_list"], urls["household_list"]]
        before = query_counts(client, pages)
        for index in range(12):
            household = services.household_create(actor=None, dwelling=cast.dwellings[1], number=f"X{index}")
            services.resident_create(
                actor=None,
                name=f"新居民{index}",
                id_number=id_number("19900101", f"{index + 500:03d}"),
                phone=f"1350000{index:04d}",
                residence="registered",
                dwelling=cast.dwellings[1],
                household=household,
                relation="head",
                tags=["veteran"],
            )
        assert query_counts(client, pages) == before

    def test_it_shows_households_with_their_member_counts(self, cast, people, urls):
        response = cast.client(cast.grid_worker).get(urls["household_list"])
        households = list(response.context["page_obj"])
        assert [(h.number, h.member_count) for h in households] == [("H1", 2)]


class DetailTests:
    def test_it_shows_members_registrations_and_responsible_persons(self, cast, people, urls):
        page = text(cast.client(cast.director).get(urls["resident_detail"]))
        assert "王乐乐" in page  # household member
        assert "楼栋长丁" in page  # answers for building 1
        assert "138****5678" in page and ADULT_PHONE not in page

    def test_it_offers_the_reveal_only_to_a_director(self, cast, people, urls):
        assert "/pii/reveal/people.resident/" in text(cast.client(cast.director).get(urls["resident_detail"]))
        for who in ("grid_leader", "grid_worker", "auditor", "building_leader"):
            assert "/pii/reveal/" not in text(cast.client(getattr(cast, who)).get(urls["resident_detail"])), who

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor"])
    def test_it_shows_the_age_not_the_birth_date_to_who_may_not_reveal(self, cast, people, urls, who):
        # The masked ID hides exactly the birth date: both together would give the ID number back.
        client = cast.client(getattr(cast, who))
        page = text(client.get(urls["resident_detail"]))
        assert ADULT_ID[:6] + "********" + ADULT_ID[-4:] in page
        assert "1980-05-01" not in page and "1980" not in page
        assert str(people.adult.age()) in page
        assert "1980" not in text(client.get(urls["household_detail"]))

    def test_it_shows_the_birth_date_to_a_director(self, cast, people, urls):
        assert "1980-05-01" in text(cast.client(cast.director).get(urls["resident_detail"]))

    def test_it_leaves_the_birth_date_out_of_the_edit_form_and_keeps_it(self, cast, people):
        client = cast.client(cast.grid_worker)
        page = text(client.get(f"/people/residents/{people.adult.pk}/edit/"))
        assert "1980-05-01" not in page
        data = {"name": "王大明", "id_type": "id_card", "residence": "registered", "dwelling": cast.dwellings[0].pk}
        data.update(household=people.household.pk, relation="head", tags=["veteran"], registered_address="郑州")
        response = client.post(f"/people/residents/{people.adult.pk}/edit/", data)
        assert response.status_code == 302, response.context["form"].errors
        assert str(Resident.objects.get(pk=people.adult.pk).birth_date) == "1980-05-01"
        assert "1980-05-01" in text(cast.client(cast.director).get(f"/people/residents/{people.adult.pk}/edit/"))

    def test_it_shows_a_building_leader_no_id_birth_date_or_tags(self, cast, people):
        page = text(cast.client(cast.building_leader).get(f"/people/residents/{people.child.pk}/"))
        assert "王**" in page and "王乐乐" not in page
        assert "2018" not in page and "******" not in page


class RevealTests:
    def url(self, resident: Resident, field: str = "phone") -> str:
        return f"/pii/reveal/people.resident/{resident.pk}/{field}/"

    def test_it_shows_the_clear_value_once_and_logs_it(self, cast, people):
        response = cast.client(cast.director).post(
            self.url(people.adult), {"reason": "上门走访核实"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert ADULT_PHONE in text(response) and "<html" not in text(response)
        assert response["Cache-Control"] == "no-store"
        event = AuditEvent.objects.get(action="pii.reveal")
        assert (event.actor, event.object_id, event.reason) == (cast.director, str(people.adult.pk), "上门走访核实")
        assert event.after["field"] == "phone"
        assert ADULT_PHONE not in str(event.after)

    def test_it_reveals_sensitive_tags_by_their_labels(self, cast, people):
        response = cast.client(cast.director).post(self.url(people.adult, "sensitive_tags"), {"reason": "助残补贴"})
        with translation.override("zh-hans"):
            assert str(care_tags.BY_CODE["disabled"].label) in text(response)

    def test_it_asks_for_a_reason_and_logs_nothing_without_one(self, cast, people):
        response = cast.client(cast.director).post(self.url(people.adult), {"reason": " "}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        assert ADULT_PHONE not in text(response) and 'name="reason"' in text(response)
        assert not AuditEvent.objects.filter(action="pii.reveal").exists()

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor", "building_leader"])
    def test_it_refuses_roles_without_the_right(self, cast, people, who):
        response = cast.client(getattr(cast, who)).post(self.url(people.adult), {"reason": "想看看"})
        assert response.status_code == 403
        assert ADULT_PHONE not in text(response)
        assert 'role="alert"' in text(response)
        assert not AuditEvent.objects.filter(action="pii.reveal").exists()

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor", "building_leader"])
    def test_it_refuses_before_the_reason_and_shows_nothing_of_the_value(self, cast, people, who):
        client = cast.client(getattr(cast, who))
        with_phone = client.post(self.url(people.adult), {"reason": ""}, HTTP_HX_REQUEST="true")
        without_phone = client.post(self.url(people.child), {"reason": ""}, HTTP_HX_REQUEST="true")
        assert (with_phone.status_code, without_phone.status_code) == (403, 403)
        assert "138****5678" not in text(with_phone) and "—" not in text(with_phone)
        assert 'name="reason"' not in text(with_phone)
        # Whether there is a value at all is not told either: both answers say the same.
        assert text(with_phone).replace(str(people.adult.pk), "#") == text(without_phone).replace(
            str(people.child.pk), "#"
        )
        with translation.override("zh-hans"):
            assert "您无权在此查看个人信息明文" in text(client.post(self.url(people.adult), {"reason": "想看看"}))

    def test_it_reveals_only_the_allowed_fields(self, cast, people):
        from wangge.core.models import WebhookEndpoint

        endpoint = WebhookEndpoint.objects.create(
            scope_path=cast.home.path, name="群机器人", kind="json", url="https://example.com/hook", secret="s3cr3t"
        )
        client = cast.client(cast.director)
        response = client.post(f"/pii/reveal/core.webhookendpoint/{endpoint.pk}/secret/", {"reason": "想看看"})
        assert response.status_code == 404 and "s3cr3t" not in text(response)
        assert (
            client.post(f"/pii/reveal/core.webhookendpoint/{endpoint.pk}/url/", {"reason": "想看看"}).status_code == 404
        )
        assert not AuditEvent.objects.filter(action="pii.reveal").exists()

    def test_it_hides_out_of_scope_rows(self, cast, people):
        response = cast.client(cast.outsider).post(self.url(people.adult), {"reason": "想看看"})
        assert response.status_code == 404
        response = cast.client(cast.building_leader).post(self.url(people.neighbour), {"reason": "想看看"})
        assert response.status_code == 404

    def test_it_refuses_get_anonymous_and_unknown_fields(self, cast, people):
        assert cast.client(cast.director).get(self.url(people.adult)).status_code == 405
        assert cast.client(None).post(self.url(people.adult), {"reason": "想看看"}).status_code == 302
        client = cast.client(cast.director)
        assert client.post(self.url(people.adult, "name"), {"reason": "想看看"}).status_code == 404
        assert client.post("/pii/reveal/auth.user/1/phone/", {"reason": "想看看"}).status_code == 404
        assert client.post("/pii/reveal/nothing.here/1/phone/", {"reason": "想看看"}).status_code == 404

    def test_it_reveals_a_shop_contact_too(self, cast):
        response = cast.client(cast.director).post(
            f"/pii/reveal/territory.shop/{cast.shop1.pk}/contact_phone/", {"reason": "联系店主"}
        )
        assert response.status_code == 200 and "13800001234" in text(response)
        assert AuditEvent.objects.filter(action="pii.reveal", object_type="territory.shop").count() == 1


def token_of(response) -> str:
    """The `match` token a posted search redirects to (the number itself never in the URL)."""
    assert response.status_code == 303, response.status_code
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["match"][0]


class SearchTests:
    def test_it_posts_a_number_and_continues_with_a_token_only(self, cast, people):
        client = cast.client(cast.grid_worker)
        response = client.post("/people/residents/", {"number": ADULT_PHONE, "status": "living"})
        location = response["Location"]
        assert ADULT_PHONE not in location and "138" not in location
        assert "match=" in location and "status=living" in location
        page = client.get(location)
        assert [card.resident.name for card in page.context["cards"]] == ["王大明"]
        assert ADULT_PHONE not in text(page) and "138****5678" in text(page)
        assert "match=" in page.context["query"] and ADULT_PHONE not in page.context["query"]
        event = AuditEvent.objects.get(action="pii.search")
        assert (event.actor, event.after["kind"], event.after["number"], event.after["rows"]) == (
            cast.grid_worker,
            "phone",
            "138****5678",
            1,
        )
        # Page flips and htmx requests carry the token and are not logged again.
        client.get(location + "&page=1", HTTP_HX_REQUEST="true")
        assert AuditEvent.objects.filter(action="pii.search").count() == 1

    def test_it_does_not_search_a_number_sent_in_the_url(self, cast, people):
        response = cast.client(cast.director).get("/people/residents/", {"q": ADULT_ID})
        assert response.context["cards"] == [] and response.context["filter"].errors["q"]
        assert not AuditEvent.objects.filter(action="pii.search").exists()

    def test_it_keeps_a_token_to_its_session(self, cast, people):
        match = token_of(cast.client(cast.director).post("/people/residents/", {"number": ADULT_ID}))
        response = cast.client(cast.grid_worker).get("/people/residents/", {"match": match})
        assert response.status_code == 302 and "match" not in response["Location"]

    def test_it_refuses_the_number_search_to_a_building_leader(self, cast, people):
        client = cast.client(cast.building_leader)
        assert 'name="number"' not in text(client.get("/people/residents/"))
        assert client.get("/people/residents/").context["search_form"].offered is False
        assert client.post("/people/residents/", {"number": ADULT_PHONE}).status_code == 403
        assert not AuditEvent.objects.filter(action="pii.search").exists()

    def test_it_limits_number_searches_per_user(self, cast, people, settings):
        settings.PEOPLE_NUMBER_SEARCH_LIMIT = 2
        client = cast.client(cast.director)
        codes = [client.post("/people/residents/", {"number": ADULT_PHONE}).status_code for _ in range(3)]
        assert codes == [303, 303, 429]
        assert AuditEvent.objects.filter(action="pii.search").count() == 2

    def test_it_needs_a_reason_for_a_sensitive_tag_and_logs_it_once(self, cast, people):
        client = cast.client(cast.director)
        response = client.post("/people/residents/", {"sensitive_tag": "disabled"})
        assert response.status_code == 400 and response.context["search_form"].errors["reason"]
        assert not AuditEvent.objects.filter(action="pii.filter").exists()
        response = client.post("/people/residents/", {"sensitive_tag": "disabled", "reason": "助残补贴"})
        location = response["Location"]
        assert "disabled" not in location
        page = client.get(location)
        assert [card.resident.name for card in page.context["cards"]] == ["王大明"]
        client.get(location + "&page=1", HTTP_HX_REQUEST="true")
        event = AuditEvent.objects.get(action="pii.filter")
        assert (event.after["tag"], event.after["rows"], event.reason) == ("disabled", 1, "助残补贴")
        # The export of the filtered list is logged as an export and as a sensitive filter.
        client.get(location + "&format=xlsx")
        assert AuditEvent.objects.filter(action="pii.filter").count() == 2
        assert AuditEvent.objects.get(action="export.residents").after["filters"]["tag"] == "disabled"

    def test_it_offers_the_sensitive_tag_filter_only_to_who_may_reveal(self, cast, people):
        grid_leader = cast.client(cast.grid_leader)
        form = grid_leader.get("/people/residents/").context["search_form"]
        assert "sensitive_tag" not in form.fields and "number" in form.fields
        response = grid_leader.post("/people/residents/", {"sensitive_tag": "disabled", "reason": "想看看"})
        assert response.status_code == 400
        assert not AuditEvent.objects.filter(action="pii.filter").exists()


class BuildingLeaderListTests:
    def test_it_offers_a_building_leader_the_name_and_compound_only(self, cast, people):
        client = cast.client(cast.building_leader)
        response = client.get("/people/residents/")
        assert set(response.context["filter"].form.fields) == {"q", "compound"}
        page = text(response)
        for name in ("age", "residence", "tag", "status", "grid"):
            assert f'name="{name}"' not in page, name
        # Sent anyway, they are ignored (the page), and archived residents stay hidden.
        response = client.get("/people/residents/", {"age": "80+", "status": "all"})
        assert {card.resident.name for card in response.context["cards"]} == {"王大明", "王乐乐"}

    def test_it_shows_a_building_leader_no_sex_or_status(self, cast, people):
        with translation.override("en"):
            page = text(cast.client(cast.building_leader).get("/people/residents/"))
            detail = text(cast.client(cast.building_leader).get(f"/people/residents/{people.adult.pk}/"))
        assert ">Sex<" not in page and ">male<" not in page.lower()
        assert ">Sex<" not in detail and "Birth date" not in detail and ">Age<" not in detail


def workbook_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


class ExportTests:
    def test_it_exports_the_filtered_list_masked_and_logs_it(self, cast, people):
        response = cast.client(cast.grid_leader).get("/people/residents/", {"format": "xlsx", "q": "王"})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        rows = workbook_rows(response)
        body = " ".join(str(cell) for row in rows[1:] for cell in row)
        assert len(rows) == 3 and "王大明" in body and "赵邻居" not in body
        assert ADULT_PHONE not in body and ADULT_ID not in body and "138****5678" in body
        event = AuditEvent.objects.get(action="export.residents")
        assert event.actor == cast.grid_leader
        assert event.after["rows"] == 2 and event.after["reveal"] is False
        assert event.after["filters"]["q"] == "王"

    def test_it_exports_in_clear_to_a_director_with_a_reason(self, cast, people):
        client = cast.client(cast.director)
        match = token_of(client.post("/people/residents/", {"number": ADULT_ID}))
        response = client.get(
            "/people/residents/", {"format": "xlsx", "reveal": "1", "reason": "民政年报", "match": match}
        )
        body = " ".join(str(cell) for row in workbook_rows(response)[1:] for cell in row)
        assert ADULT_ID in body and ADULT_PHONE in body
        event = AuditEvent.objects.get(action="export.residents")
        assert event.after["reveal"] is True and event.after["reason"] == "民政年报" and event.after["rows"] == 1
        assert ADULT_ID not in str(event.after)  # the searched number is logged masked
        assert event.after["filters"]["number"] == ADULT_ID[:6] + "********" + ADULT_ID[-4:]

    def test_it_refuses_an_unmasked_export_without_a_reason_or_the_right(self, cast, people):
        response = cast.client(cast.director).get("/people/residents/", {"format": "xlsx", "reveal": "1"})
        assert response.status_code == 302
        response = cast.client(cast.grid_leader).get(
            "/people/residents/", {"format": "xlsx", "reveal": "1", "reason": "想要"}
        )
        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action__startswith="export.").exists()

    def test_it_exports_households(self, cast, people):
        response = cast.client(cast.auditor).get("/people/households/", {"format": "xlsx"})
        rows = workbook_rows(response)
        assert [row[0] for row in rows[1:]] == ["H1"]
        assert AuditEvent.objects.get(action="export.households").after["rows"] == 1

    def test_it_exports_only_the_exporters_scope(self, cast, people):
        response = cast.client(cast.outsider).get("/people/residents/", {"format": "xlsx"})
        body = " ".join(str(cell) for row in workbook_rows(response)[1:] for cell in row)
        assert "钱外" in body and "王大明" not in body


class FormTests:
    def form_data(self, cast, **changes) -> dict:
        data = {
            "name": "新来的",
            "id_type": "id_card",
            "id_number": id_number("19880808", "777"),
            "phone": "13911112222",
            "residence": "floating",
            "dwelling": cast.dwellings[1].pk,
            "tags": ["party_member"],
            "sensitive_tags": ["serious_illness"],
        }
        data.update(changes)
        return data

    def test_it_creates_a_resident_through_the_service(self, cast, people):
        response = cast.client(cast.grid_leader).post("/people/residents/new/", self.form_data(cast))
        resident = Resident.objects.get(name="新来的")
        assert response.status_code == 302 and response["Location"] == f"/people/residents/{resident.pk}/"
        assert resident.sex == "male" and str(resident.birth_date) == "1988-08-08"
        assert resident.tags == ",party_member," and resident.sensitive_tags == ",serious_illness,"
        assert AuditEvent.objects.filter(action="resident.create", object_id=str(resident.pk)).exists()

    def test_it_shows_service_errors_on_the_fields_and_writes_nothing(self, cast, people):
        bad = self.form_data(cast, id_number=ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1"), sex="female")
        response = cast.client(cast.director).post("/people/residents/new/", bad)
        assert response.status_code == 200
        assert response.context["form"].errors["id_number"]
        duplicate = self.form_data(cast, id_number=ADULT_ID)
        response = cast.client(cast.director).post("/people/residents/new/", duplicate)
        assert response.context["form"].errors["id_number"]
        assert not Resident.objects.filter(name="新来的").exists()

    def test_it_keeps_the_stored_id_phone_and_sensitive_tags_when_left_empty(self, cast, people):
        client = cast.client(cast.grid_worker)
        page = text(client.get(f"/people/residents/{people.adult.pk}/edit/"))
        assert ADULT_PHONE not in page and ADULT_ID not in page
        data = self.form_data(cast, name="王大明", id_number="", phone="", residence="registered", sensitive_tags=[])
        data.update(dwelling=cast.dwellings[0].pk, household=people.household.pk, relation="head", tags=["veteran"])
        response = client.post(f"/people/residents/{people.adult.pk}/edit/", data)
        assert response.status_code == 302, response.context["form"].errors
        adult = Resident.objects.get(pk=people.adult.pk)
        assert (adult.id_number, adult.phone, adult.sensitive_tags) == (ADULT_ID, ADULT_PHONE, ",disabled,")

    def test_it_archives_a_resident_and_then_refuses_edits(self, cast, people):
        client = cast.client(cast.grid_worker)
        response = client.post(
            f"/people/residents/{people.neighbour.pk}/archive/", {"status": "deceased", "on": "2024-01-02"}
        )
        assert response.status_code == 302
        neighbour = Resident.objects.get(pk=people.neighbour.pk)
        assert neighbour.status == ResidentStatus.DECEASED and str(neighbour.moved_out_on) == "2024-01-02"
        response = client.post(f"/people/residents/{people.neighbour.pk}/edit/", {"name": "改名"})
        assert response.status_code == 302
        assert Resident.objects.get(pk=people.neighbour.pk).name == "赵邻居"

    def test_it_refuses_a_future_archive_date(self, cast, people):
        response = cast.client(cast.director).post(
            f"/people/residents/{people.neighbour.pk}/archive/", {"status": "moved_out", "on": "2999-01-01"}
        )
        assert response.status_code == 200
        assert Resident.objects.get(pk=people.neighbour.pk).status == ResidentStatus.LIVING

    def test_it_records_a_residence_registration(self, cast, people):
        response = cast.client(cast.grid_worker).post(
            f"/people/residents/{people.neighbour.pk}/registrations/new/",
            {"registered_on": "2024-03-01", "permit_number": "ZZ4101052024001", "expires_on": "2025-03-01"},
        )
        assert response.status_code == 302
        registration = ResidenceRegistration.objects.get(resident=people.neighbour)
        assert registration.permit_number == "ZZ4101052024001"
        page = text(cast.client(cast.director).get(f"/people/residents/{people.neighbour.pk}/"))
        assert "ZZ4101052024001" not in page and "ZZ41" in page

    def test_it_refuses_a_registration_for_a_registered_resident(self, cast, people):
        response = cast.client(cast.director).post(
            f"/people/residents/{people.adult.pk}/registrations/new/", {"registered_on": "2024-03-01"}
        )
        assert response.status_code == 200 and response.context["form"].errors
        assert not ResidenceRegistration.objects.exists()

    def test_it_creates_and_edits_households(self, cast, people):
        client = cast.client(cast.grid_leader)
        response = client.post("/people/households/new/", {"number": "H2", "dwelling": cast.dwellings[1].pk})
        household = Household.objects.get(number="H2")
        assert response["Location"] == f"/people/households/{household.pk}/"
        response = client.post("/people/households/new/", {"number": "H2", "dwelling": cast.dwellings[1].pk})
        assert response.context["form"].errors["number"]
        response = client.post(
            f"/people/households/{household.pk}/edit/", {"number": "H2", "dwelling": cast.dwellings[1].pk, "note": "新"}
        )
        assert response.status_code == 302 and Household.objects.get(pk=household.pk).note == "新"

    def test_it_offers_only_dwellings_in_scope(self, cast, people):
        response = cast.client(cast.grid_leader).get("/people/residents/new/")
        offered = set(response.context["form"].fields["dwelling"].queryset)
        assert people.other_dwelling in offered and people.next_door.dwelling not in offered
        response = cast.client(cast.grid_leader).post(
            "/people/residents/new/", self.form_data(cast, dwelling=people.next_door.dwelling_id)
        )
        assert response.context["form"].errors["dwelling"]


class AuditPageTests:
    def test_it_lists_the_access_to_personal_data(self, cast, people):
        cast.client(cast.director).post(f"/pii/reveal/people.resident/{people.adult.pk}/phone/", {"reason": "走访"})
        cast.client(cast.grid_leader).get("/people/residents/", {"format": "xlsx"})
        response = cast.client(cast.auditor).get("/audit/", {"preset": "pii"})
        actions = sorted(event.action for event in response.context["page"])
        assert actions == ["export.residents", "pii.reveal"]
        # The other filters still work, with the preset and without it.
        response = cast.client(cast.auditor).get("/audit/", {"preset": "pii", "action": "pii."})
        assert [event.action for event in response.context["page"]] == ["pii.reveal"]
        response = cast.client(cast.auditor).get("/audit/", {"action": "resident.create"})
        assert {event.action for event in response.context["page"]} == {"resident.create"}

    def test_it_exports_the_filtered_log_and_logs_the_export(self, cast, people):
        cast.client(cast.director).post(f"/pii/reveal/people.resident/{people.adult.pk}/phone/", {"reason": "走访"})
        response = cast.client(cast.auditor).get("/audit/", {"preset": "pii", "format": "xlsx"})
        assert response.status_code == 200
        rows = workbook_rows(response)
        assert [row[2] for row in rows[1:]] == ["pii.reveal"]
        assert ADULT_PHONE not in " ".join(str(cell) for row in rows for cell in row)
        event = AuditEvent.objects.get(action="export.audit")
        assert event.after == {"filters": {"preset": "pii"}, "rows": 1}

    def test_it_refuses_the_log_and_its_export_to_others(self, cast, people):
        for who in ("grid_leader", "grid_worker", "building_leader"):
            client = cast.client(getattr(cast, who))
            assert client.get("/audit/", {"format": "xlsx"}).status_code == 403, who
        assert not AuditEvent.objects.filter(action="export.audit").exists()
        assert cast.client(None).get("/audit/", {"format": "xlsx"}).status_code == 302

    def test_it_keeps_the_outsiders_log_apart(self, cast, people):
        cast.client(cast.director).post(f"/pii/reveal/people.resident/{people.adult.pk}/phone/", {"reason": "走访"})
        response = cast.client(cast.outsider).get("/audit/", {"preset": "pii"})
        assert list(response.context["page"]) == []


class NavigationTests:
    def test_it_links_the_register_from_every_page(self, cast, people):
        page = text(cast.client(cast.grid_worker).get("/"))
        assert "/people/residents/" in page and "/people/households/" in page
