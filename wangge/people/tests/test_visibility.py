"""Who sees which residents, and which of their fields: the register's scoping and `ResidentCard`."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from wangge.people import search, selectors
from wangge.people.filters import ResidentFilter, ResidentPageFilter
from wangge.people.models import Household, ResidenceRegistration, Resident
from wangge.people.services import registration_create
from wangge.people.tests.conftest import ADULT_ID, ADULT_PHONE

EVERYONE_HOME = {"王大明", "王乐乐", "赵邻居", "孙二"}
GRID1 = {"王大明", "王乐乐", "赵邻居"}


def names(queryset) -> set[str]:
    return {resident.name for resident in queryset}


class ScopeTests:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            ("director", EVERYONE_HOME),
            ("auditor", EVERYONE_HOME),
            ("grid_leader", GRID1),
            ("grid_worker", GRID1),
            ("building_leader", {"王大明", "王乐乐"}),
            ("outsider", {"钱外"}),
            ("resident", set()),
        ],
    )
    def test_it_shows_each_role_its_residents(self, cast, people, who, expected):
        assert names(selectors.residents_for(getattr(cast, who))) == expected

    def test_it_shows_a_volunteer_no_resident(self, cast, people):
        # Volunteers may view places, but have no duty that needs the register (PIPL: minimum necessary).
        assert names(selectors.residents_for(people.volunteer)) == set()
        assert not selectors.households_for(people.volunteer).exists()

    def test_it_narrows_a_building_leader_to_the_buildings_they_answer_for(self, cast, people):
        assert not selectors.residents_for(cast.building_leader).filter(pk=people.neighbour.pk).exists()
        assert list(selectors.households_for(cast.building_leader)) == [people.household]

    def test_it_forgets_a_building_whose_assignment_ended(self, cast, people):
        from wangge.territory import services as territory_services
        from wangge.territory.models import Assignment

        assignment = Assignment.objects.get(person=cast.building_leader, building=cast.building1)
        territory_services.assignment_end(actor=None, assignment=assignment)
        assert names(selectors.residents_for(cast.building_leader)) == set()

    def test_it_shows_building_leaders_no_registration(self, cast, people):
        registration_create(actor=None, resident=people.neighbour, registered_on=people.neighbour.created_at.date())
        assert not ResidenceRegistration.objects.for_user(cast.building_leader).exists()
        assert ResidenceRegistration.objects.for_user(cast.grid_worker).count() == 1

    def test_it_lets_only_directors_reveal(self, cast, people):
        allowed = {
            who
            for who in ("director", "grid_leader", "grid_worker", "building_leader", "auditor")
            if Resident.objects.for_user(getattr(cast, who), "reveal_pii").filter(pk=people.adult.pk).exists()
        }
        assert allowed == {"director"}


class CardTests:
    @pytest.mark.parametrize("who", ["director", "grid_leader", "grid_worker", "auditor"])
    def test_it_shows_the_office_the_full_record_masked(self, cast, people, who):
        card = selectors.ResidentCard.of(people.adult, getattr(cast, who))
        assert card.full
        assert card.name == "王大明"
        assert card.id_number == ADULT_ID[:6] + "********" + ADULT_ID[-4:]
        assert card.phone == "138****5678"
        assert card.age >= 40
        # The masked ID hides the birth date: only who may reveal the ID sees it (the director here).
        assert (card.birth_date is not None) == (who == "director")
        assert card.household == people.household
        assert card.tag_labels and card.tags == ["veteran"]
        assert card.sensitive_count == 1
        assert "disabled" not in str(card.__dict__.get("tags"))

    def test_it_shows_a_building_leader_name_dwelling_and_masked_phone_only(self, cast, people):
        card = selectors.ResidentCard.of(people.adult, cast.building_leader)
        assert not card.full and not card.revealable
        assert (card.name, card.phone) == ("王大明", "138****5678")
        assert card.dwelling == str(people.adult.dwelling)
        hidden = (card.id_number, card.birth_date, card.age, card.residence, card.household, card.id_type, card.sex)
        assert hidden == (None,) * 7
        assert card.status_label == ""
        assert (card.tags, card.tag_labels, card.sensitive_count) == ([], [], 0)

    def test_it_masks_a_childs_name_for_a_building_leader(self, cast, people):
        assert people.child.is_child
        assert selectors.ResidentCard.of(people.child, cast.building_leader).name == "王**"
        assert selectors.ResidentCard.of(people.child, cast.grid_worker).name == "王乐乐"

    def test_it_offers_the_reveal_only_to_those_who_may(self, cast, people):
        assert selectors.ResidentCard.of(people.adult, cast.director).revealable
        assert not selectors.ResidentCard.of(people.adult, cast.grid_leader).revealable
        assert not selectors.ResidentCard.of(people.adult, cast.auditor).revealable

    def test_it_says_how_many_sensitive_tags_are_hidden(self, cast, people):
        from django.utils import translation

        with translation.override("en"):
            assert (
                selectors.ResidentCard.of(people.adult, cast.director).sensitive_summary == "1 sensitive tag (hidden)"
            )


class SensitiveFilterTests:
    def filtered(self, user, **params) -> set[str]:
        request = type("Request", (), {"user": user})()
        filterset = ResidentFilter(params, queryset=selectors.residents_for(user), request=request)
        return names(filterset.qs) if filterset.is_valid() else {"<invalid>"}

    def test_it_lets_a_director_filter_by_a_sensitive_tag_with_a_reason(self, cast, people):
        assert self.filtered(cast.director, tag="disabled", reason="助残补贴") == {"王大明"}
        assert self.filtered(cast.director, tag="left_behind_child", reason="关爱走访") == {"王乐乐"}
        assert self.filtered(cast.director, tag="disabled") == {"<invalid>"}
        assert self.filtered(cast.director, tag="disabled", reason=" ") == {"<invalid>"}

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "building_leader", "auditor"])
    def test_it_refuses_the_sensitive_filter_to_others(self, cast, people, who):
        assert self.filtered(getattr(cast, who), tag="disabled", reason="想看看") == {"<invalid>"}

    def test_it_filters_everyone_by_a_plain_tag(self, cast, people):
        assert self.filtered(cast.grid_worker, tag="veteran") == {"王大明"}

    def searched(self, user, number: str, **params) -> set[str]:
        request = type("Request", (), {"user": user})()
        criteria = search.number_criteria(user, number)
        filterset = ResidentFilter(params, queryset=selectors.residents_for(user), request=request, criteria=criteria)
        return names(filterset.qs) if filterset.is_valid() else {"<invalid>"}

    def test_it_finds_one_person_by_full_id_or_phone_number(self, cast, people):
        assert self.searched(cast.director, ADULT_ID.lower()) == {"王大明"}
        full_width = ADULT_PHONE.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert self.searched(cast.director, full_width) == {"王大明"}
        assert self.filtered(cast.director, q="王") == {"王大明", "王乐乐"}
        assert self.searched(cast.outsider, ADULT_ID) == set()

    def test_it_takes_no_number_from_the_search_box(self, cast, people):
        # A number in `q` would sit in URLs and server logs: it is refused, not searched (not even as a name).
        for number in (ADULT_ID, ADULT_PHONE, "0371-60000000", ADULT_PHONE[:8]):
            assert self.filtered(cast.director, q=number) == {"<invalid>"}, number

    def test_it_lets_no_building_leader_search_by_number(self, cast, people):
        # A building leader could otherwise test guessed numbers against the neighbours.
        for number in (ADULT_ID, ADULT_PHONE):
            with pytest.raises(PermissionDenied):
                search.number_criteria(cast.building_leader, number)
        assert not selectors.may_search_numbers(cast.building_leader)
        assert all(selectors.may_search_numbers(getattr(cast, who)) for who in ("director", "grid_worker", "auditor"))

    def test_it_offers_a_building_leader_the_name_and_compound_only(self, cast, people):
        request = type("Request", (), {"user": cast.building_leader})()
        filterset = ResidentFilter(
            {"age": "0-13"}, queryset=selectors.residents_for(cast.building_leader), request=request
        )
        assert set(filterset.form.fields) == {"q", "compound"}
        assert not filterset.is_valid()  # the API refuses what the page simply does not offer
        for params in ({"residence": "registered"}, {"tag": "veteran"}, {"status": "archived"}, {"grid": "x"}):
            assert self.filtered(cast.building_leader, **params) == {"<invalid>"}, params
        assert self.filtered(cast.building_leader, q="王") == {"王大明", "王乐乐"}
        page = ResidentPageFilter(
            {"age": "0-13", "q": "王"}, queryset=selectors.residents_for(cast.building_leader), request=request
        )
        assert page.is_valid() and names(page.qs) == {"王大明", "王乐乐"}  # the age band is ignored

    def test_it_matches_no_row_seen_only_as_building_leader_by_a_hidden_field(self, cast, people):
        from wangge.territory import services as territory_services

        # A grid worker of grid 002 who is also building leader of building 1 (grid 001).
        territory_services.role_grant(actor=None, user=cast.building_leader, role="grid_worker", area=cast.grid2)
        leader = type(cast.building_leader).objects.get(pk=cast.building_leader.pk)
        assert self.filtered(leader, q="王") == {"王大明", "王乐乐"}
        assert self.filtered(leader, age="0-13") == set()
        assert self.filtered(leader, tag="veteran") == set()
        assert self.filtered(leader, tag="elderly_alone") == {"孙二"}

    def test_it_filters_by_age_band_and_status(self, cast, people):
        assert self.filtered(cast.director, age="0-13") == {"王乐乐"}
        adults = {r.name for r in (people.adult, people.neighbour, people.grid2) if 18 <= r.age() <= 59}
        assert self.filtered(cast.director, age="18-59") == adults
        assert self.filtered(cast.director, status="archived") == set()


class StorageTests:
    def test_it_never_stores_an_id_or_phone_number_in_clear(self, cast, people):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM people_resident")
            rows = cursor.fetchall()
            cursor.execute("SELECT * FROM people_residenceregistration")
            rows += cursor.fetchall()
        dump = " ".join(str(value) for row in rows for value in row)
        assert len(rows) >= 5
        assert ADULT_ID not in dump and ADULT_ID[-8:] not in dump
        # Blind indexes are hex digests, in which eleven digits may run on by chance: the pattern skips them.
        readable = " ".join(word for word in dump.split() if not re.fullmatch(r"[0-9a-f]{32,}", word))
        assert ADULT_PHONE not in dump and not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", readable)
        assert "disabled" not in dump and "left_behind_child" not in dump

    def test_it_keeps_households_scoped_like_residents(self, cast, people):
        assert set(Household.objects.for_user(cast.outsider)) == set()
