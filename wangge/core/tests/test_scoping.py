"""The one scoping mechanism: `for_user`, the re-check after a write, and 404-before-403 lookups."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wangge.accounts import services as account_services
from wangge.accounts.models import User
from wangge.core.models import AuditEvent
from wangge.core.scoping import ensure_in_scope, get_for_user
from wangge.territory import services
from wangge.territory.models import Area, Building, Compound, Dwelling, PartnerUnit, Shop


def codes(queryset) -> set[str]:
    return {row.code for row in queryset}


class ForUserTests:
    def test_it_shows_the_director_both_grids(self, cast):
        assert codes(Compound.objects.for_user(cast.director)) == {"T-C01", "T-C02"}
        assert codes(Shop.objects.for_user(cast.director)) == {"T-S001", "T-S002"}
        assert codes(Building.objects.for_user(cast.director)) == {"T-C01-B1", "T-O1"}
        assert codes(PartnerUnit.objects.for_user(cast.director)) == {"T-P1"}
        assert set(Dwelling.objects.for_user(cast.director)) == set(cast.dwellings)
        assert set(Area.objects.for_user(cast.director)) == {cast.home, cast.grid1, cast.grid2}

    def test_it_shows_the_grid_worker_only_grid_001(self, cast):
        assert codes(Compound.objects.for_user(cast.grid_worker)) == {"T-C01"}
        assert codes(Shop.objects.for_user(cast.grid_worker)) == {"T-S001"}
        assert codes(Building.objects.for_user(cast.grid_worker)) == {"T-C01-B1"}
        assert codes(PartnerUnit.objects.for_user(cast.grid_worker)) == set()
        assert set(Area.objects.for_user(cast.grid_worker)) == {cast.grid1}

    def test_it_shows_the_building_leader_only_their_compound(self, cast):
        assert codes(Compound.objects.for_user(cast.building_leader)) == {"T-C01"}
        assert codes(Building.objects.for_user(cast.building_leader)) == {"T-C01-B1"}
        assert set(Dwelling.objects.for_user(cast.building_leader)) == set(cast.dwellings)
        assert codes(Shop.objects.for_user(cast.building_leader)) == set()
        assert not Area.objects.for_user(cast.building_leader).exists()

    def test_it_shows_the_outsider_only_next_door(self, cast):
        assert codes(Compound.objects.for_user(cast.outsider)) == {"N-C01"}
        assert codes(Shop.objects.for_user(cast.outsider)) == {"N-S001"}
        assert set(Area.objects.for_user(cast.outsider)) == {cast.next_door, cast.next_grid}

    def test_it_shows_the_auditor_the_community_but_lets_it_change_nothing(self, cast):
        assert codes(Compound.objects.for_user(cast.auditor)) == {"T-C01", "T-C02"}
        assert not Compound.objects.for_user(cast.auditor, "change").exists()
        assert codes(Compound.objects.for_user(cast.auditor, "export")) == {"T-C01", "T-C02"}

    def test_it_filters_by_the_action(self, cast):
        assert codes(Compound.objects.for_user(cast.grid_worker, "change")) == {"T-C01"}
        assert not Compound.objects.for_user(cast.grid_worker, "add").exists()
        assert codes(Compound.objects.for_user(cast.grid_leader, "add")) == {"T-C01"}
        assert not Compound.objects.for_user(cast.grid_leader, "delete").exists()
        assert codes(Compound.objects.for_user(cast.director, "delete")) == {"T-C01", "T-C02"}

    @pytest.mark.parametrize("anonymous", [None, AnonymousUser()], ids=["none", "anonymous-user"])
    def test_it_shows_anonymous_visitors_nothing(self, cast, anonymous):
        assert not Compound.objects.for_user(anonymous).exists()
        assert not Shop.objects.for_user(anonymous).exists()
        assert not Area.objects.for_user(anonymous).exists()

    def test_it_shows_a_resident_account_nothing(self, cast):
        assert not Compound.objects.for_user(cast.resident).exists()
        assert not Dwelling.objects.for_user(cast.resident).exists()

    def test_it_shows_an_inactive_user_nothing(self, cast):
        User.objects.filter(pk=cast.director.pk).update(is_active=False)
        director = User.objects.get(pk=cast.director.pk)
        assert not Compound.objects.for_user(director).exists()
        assert not Area.objects.for_user(director).exists()

    def test_it_shows_nothing_once_a_membership_is_revoked(self, cast):
        account_services.membership_revoke(actor=None, membership=cast.grid_worker.memberships.get())
        assert not Compound.objects.for_user(cast.grid_worker).exists()

    def test_it_shows_a_superuser_everything(self, cast):
        root = User.objects.create_superuser(username="root", password=None)
        assert codes(Compound.objects.for_user(root)) == {"T-C01", "T-C02", "N-C01"}
        assert Area.objects.for_user(root).count() == Area.objects.count()

    def test_it_does_not_mistake_a_similar_code_for_a_prefix(self, cast):
        # The building leader's scope ends in "T-C01/": a compound T-C011 of the same grid is not under it.
        similar = services.compound_create(
            actor=None, code="T-C011", name="相似编号院", area=cast.grid1, management="none"
        )
        assert similar not in Compound.objects.for_user(cast.building_leader)
        assert similar in Compound.objects.for_user(cast.grid_worker)


class EnsureInScopeTests:
    def test_it_rolls_back_a_move_out_of_the_actors_scope(self, cast):
        with pytest.raises(PermissionDenied):
            services.shop_update(actor=cast.grid_leader, shop=cast.shop1, area=cast.grid2)
        shop = Shop.objects.get(pk=cast.shop1.pk)
        assert shop.area == cast.grid1
        assert shop.area_path == cast.grid1.path
        assert not AuditEvent.objects.filter(action="shop.update").exists()

    def test_it_rolls_back_a_compound_moved_out_of_scope_with_its_buildings(self, cast):
        with pytest.raises(PermissionDenied):
            services.compound_update(
                actor=cast.grid_worker, compound=cast.compound1, area=cast.grid2, longitude=113.6600, latitude=34.7880
            )
        home_path = f"{cast.grid1.path}T-C01/"
        compound = Compound.objects.get(pk=cast.compound1.pk)
        assert compound.area == cast.grid1
        assert compound.area_path == home_path
        assert Building.objects.get(pk=cast.building1.pk).area_path == home_path
        assert Dwelling.objects.filter(area_path=home_path).count() == 2

    def test_it_lets_a_move_within_the_actors_scope_through(self, cast):
        services.shop_update(actor=cast.director, shop=cast.shop1, area=cast.grid2)
        assert Shop.objects.get(pk=cast.shop1.pk).area_path == cast.grid2.path

    def test_it_refuses_a_row_the_actor_cannot_take_the_action_on(self, cast):
        with pytest.raises(PermissionDenied):
            ensure_in_scope(cast.shop1, actor=cast.grid_worker, action="delete")
        with pytest.raises(PermissionDenied):
            ensure_in_scope(cast.next_shop, actor=cast.grid_worker, action="change")

    def test_it_accepts_a_row_in_scope(self, cast):
        assert ensure_in_scope(cast.shop1, actor=cast.grid_worker, action="change") is None

    def test_it_does_not_limit_the_system(self, cast):
        assert ensure_in_scope(cast.next_shop, actor=None, action="delete") is None


class GetForUserTests:
    def test_it_returns_a_row_in_scope(self, cast):
        assert get_for_user(Shop.objects.all(), cast.grid_leader, "change", code="T-S001") == cast.shop1

    def test_it_gives_404_out_of_scope(self, cast):
        with pytest.raises(Http404):
            get_for_user(Shop.objects.all(), cast.grid_worker, code="N-S001")

    def test_it_gives_404_out_of_scope_even_for_an_action_the_role_has(self, cast):
        with pytest.raises(Http404):
            get_for_user(Shop.objects.all(), cast.outsider, "change", code="T-S001")

    def test_it_gives_404_to_anonymous_visitors(self, cast):
        with pytest.raises(Http404):
            get_for_user(Shop.objects.all(), AnonymousUser(), code="T-S001")

    def test_it_gives_404_for_a_row_that_does_not_exist(self, cast):
        with pytest.raises(Http404):
            get_for_user(Shop.objects.all(), cast.director, code="NO-SUCH-SHOP")

    def test_it_gives_403_when_the_row_is_visible_but_the_action_is_not_allowed(self, cast):
        with pytest.raises(PermissionDenied):
            get_for_user(Shop.objects.all(), cast.grid_worker, "delete", code="T-S001")
        with pytest.raises(PermissionDenied):
            get_for_user(Compound.objects.all(), cast.building_leader, "change", code="T-C01")
