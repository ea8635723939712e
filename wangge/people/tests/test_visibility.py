"""Who sees which residents, and which of their fields: the register's scoping and `ResidentCard`."""

import re

import pytest
from django.db import connection

from wangge.people import selectors
from wangge.people.filters import ResidentFilter
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
        assert card.birth_date is not None and card.age >= 40
        assert card.household == people.household
        assert card.tag_labels and card.tags == ["veteran"]
        assert card.sensitive_count == 1
        assert "disabled" not in str(card.__dict__.get("tags"))

    def test_it_shows_a_building_leader_name_sex_dwelling_and_masked_phone_only(self, cast, people):
        card = selectors.ResidentCard.of(people.adult, cast.building_leader)
        assert not card.full and not card.revealable
        assert (card.name, card.sex, card.phone) == ("王大明", people.adult.get_sex_display(), "138****5678")
        assert card.dwelling == str(people.adult.dwelling)
        hidden = (card.id_number, card.birth_date, card.age, card.residence, card.household, card.id_type)
        assert hidden == (None,) * 6
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

    def test_it_lets_a_director_filter_by_a_sensitive_tag(self, cast, people):
        assert self.filtered(cast.director, tag="disabled") == {"王大明"}
        assert self.filtered(cast.director, tag="left_behind_child") == {"王乐乐"}

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "building_leader", "auditor"])
    def test_it_refuses_the_sensitive_filter_to_others(self, cast, people, who):
        assert self.filtered(getattr(cast, who), tag="disabled") == {"<invalid>"}

    def test_it_filters_everyone_by_a_plain_tag(self, cast, people):
        assert self.filtered(cast.grid_worker, tag="veteran") == {"王大明"}

    def test_it_finds_one_person_by_full_id_or_phone_number(self, cast, people):
        assert self.filtered(cast.director, q=ADULT_ID.lower()) == {"王大明"}
        full_width = ADULT_PHONE.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert self.filtered(cast.director, q=full_width) == {"王大明"}
        assert self.filtered(cast.director, q="王") == {"王大明", "王乐乐"}
        assert self.filtered(cast.outsider, q=ADULT_ID) == set()
        # A building leader sees no ID numbers, so cannot test one either; a phone number finds the neighbour.
        assert self.filtered(cast.building_leader, q=ADULT_ID) == set()
        assert self.filtered(cast.building_leader, q=ADULT_PHONE) == {"王大明"}

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
        assert ADULT_PHONE not in dump and not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", dump)
        assert "disabled" not in dump and "left_behind_child" not in dump

    def test_it_keeps_households_scoped_like_residents(self, cast, people):
        assert set(Household.objects.for_user(cast.outsider)) == set()
