"""The one audit mechanism: append-only events written by every service, in the service's transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from wangge.accounts import services as account_services
from wangge.core import audit
from wangge.core.context import RequestContext, reset, set_current
from wangge.core.models import AuditEvent
from wangge.territory import services
from wangge.territory.models import Compound, Shop, Trade


def counts() -> dict[str, int]:
    """How many events of each action the log holds."""
    result: dict[str, int] = {}
    for action in AuditEvent.objects.values_list("action", flat=True):
        result[action] = result.get(action, 0) + 1
    return result


class AppendOnlyTests:
    def test_it_refuses_to_save_an_existing_event(self, cast):
        event = AuditEvent.objects.filter(action="shop.create").first()
        event.reason = "rewritten"
        with pytest.raises(PermissionError):
            event.save()
        assert AuditEvent.objects.get(pk=event.pk).reason == ""

    def test_it_refuses_to_delete_an_event(self, cast):
        event = AuditEvent.objects.first()
        with pytest.raises(PermissionError):
            event.delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_it_refuses_a_queryset_update(self, cast):
        before = AuditEvent.objects.filter(reason="").count()
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(action="shop.create").update(reason="rewritten")
        with pytest.raises(PermissionError):
            AuditEvent.objects.update(reason="rewritten")
        assert AuditEvent.objects.filter(reason="").count() == before

    def test_it_refuses_a_bulk_update(self, cast):
        events = list(AuditEvent.objects.all()[:3])
        for event in events:
            event.reason = "rewritten"
        with pytest.raises(PermissionError), transaction.atomic():
            AuditEvent.objects.bulk_update(events, ["reason"])
        assert not AuditEvent.objects.filter(reason="rewritten").exists()

    def test_it_refuses_a_queryset_delete(self, cast):
        total = AuditEvent.objects.count()
        with pytest.raises(PermissionError):
            AuditEvent.objects.filter(action="shop.create").delete()
        with pytest.raises(PermissionError):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == total > 0


class ServicesAuditTests:
    def test_it_records_every_write_of_the_cast(self, cast):
        assert counts() == {
            "area.create": 7,
            "compound.create": 3,
            "building.create": 2,
            "dwelling.create": 2,
            "shop.create": 3,
            "partnerunit.create": 1,
            "user.create": 7,
            "membership.grant": 7,
        }

    def test_it_records_the_object_and_a_snapshot(self, cast):
        event = AuditEvent.objects.get(action="compound.create", object_id=str(cast.compound1.pk))
        assert event.object_type == "territory.compound"
        assert event.object_repr == "测试一号院"
        assert event.area_path == cast.compound1.area_path
        assert event.before is None
        assert event.after["code"] == "T-C01"
        assert event.after["area_id"] == cast.grid1.pk
        assert event.actor is None
        assert event.actor_label == "system"

    @pytest.mark.parametrize(
        ("action", "write"),
        [
            (
                "compound.create",
                lambda c: services.compound_create(
                    actor=c.grid_leader, code="T-C09", name="新院", area=c.grid1, management="none"
                ),
            ),
            (
                "compound.update",
                lambda c: services.compound_update(actor=c.grid_worker, compound=c.compound1, name="改名"),
            ),
            (
                "building.create",
                lambda c: services.building_create(
                    actor=c.grid_leader, code="T-C01-B9", name="九号楼", compound=c.compound1
                ),
            ),
            (
                "building.update",
                lambda c: services.building_update(actor=c.grid_worker, building=c.building1, floors=6),
            ),
            (
                "dwelling.create",
                lambda c: services.dwelling_create(actor=c.grid_leader, building=c.building1, number="301"),
            ),
            (
                "shop.create",
                lambda c: services.shop_create(
                    actor=c.grid_leader,
                    code="T-S009",
                    name="新店",
                    trade=Trade.objects.get(code="grocery"),
                    area=c.grid1,
                    address="俭学街9号",
                ),
            ),
            ("shop.update", lambda c: services.shop_update(actor=c.grid_worker, shop=c.shop1, address="俭学街1号附1")),
            (
                "partnerunit.create",
                lambda c: services.partner_unit_create(
                    actor=c.director, code="T-P9", name="新共建单位", kind="government", area=c.home
                ),
            ),
            (
                "partnerunit.update",
                lambda c: services.partner_unit_update(actor=c.director, partner_unit=c.partner, joint_work="义诊"),
            ),
            (
                "assignment.create",
                lambda c: services.assignment_create(actor=c.grid_leader, person=c.grid_worker, place=c.compound1),
            ),
            (
                "assignment.end",
                lambda c: services.assignment_end(
                    actor=c.grid_leader,
                    assignment=services.assignment_create(actor=None, person=c.grid_worker, place=c.shop1),
                ),
            ),
            (
                "area.update",
                lambda c: services.area_update(actor=c.director, area=c.grid1, office_phone="0371-60001111"),
            ),
            (
                "leadershipgroup.create",
                lambda c: services.leadership_group_create(actor=c.director, area=c.home, name="创建工作领导小组"),
            ),
            (
                "leadershipmember.add",
                lambda c: services.leadership_member_add(
                    actor=c.director,
                    group=services.leadership_group_create(actor=None, area=c.home, name="创建工作领导小组"),
                    person=c.grid_worker,
                    position="member",
                ),
            ),
            (
                "membership.grant",
                lambda c: services.role_grant(actor=c.director, user=c.resident, role="volunteer", area=c.grid1),
            ),
            (
                "membership.revoke",
                lambda c: account_services.membership_revoke(
                    actor=c.director, membership=c.grid_worker.memberships.get()
                ),
            ),
            (
                "user.create",
                lambda c: account_services.user_create(actor=c.director, username="newcomer", display_name="新人"),
            ),
        ],
        ids=lambda value: value if isinstance(value, str) else None,
    )
    def test_it_records_one_event_per_write(self, cast, action, write):
        before = counts()
        instance = write(cast)
        after = counts()
        assert after.get(action, 0) == before.get(action, 0) + 1
        event = AuditEvent.objects.filter(action=action).order_by("-id").first()
        assert event.object_id == str(instance.pk)
        assert event.object_type == instance._meta.label_lower

    def test_it_records_the_actor_and_both_sides_of_a_change(self, cast):
        services.shop_update(actor=cast.grid_worker, shop=cast.shop1, address="俭学街1号附1")
        event = AuditEvent.objects.get(action="shop.update")
        assert event.actor == cast.grid_worker
        assert event.actor_label == "网格员丙"
        assert event.before["address"] == "俭学街1号"
        assert event.after["address"] == "俭学街1号附1"
        assert event.area_path == cast.grid1.path

    def test_it_never_snapshots_a_password(self, cast):
        event = AuditEvent.objects.get(action="user.create", object_id=str(cast.director.pk))
        assert "password" not in event.after
        assert cast.director.password not in str(event.after)


class AtomicityTests:
    def test_it_writes_nothing_when_validation_fails(self, cast):
        shops, events = Shop.objects.count(), AuditEvent.objects.count()
        with pytest.raises(ValidationError):
            services.shop_create(
                actor=cast.grid_leader,
                code="T-S010",
                name="错误号码店",
                trade=Trade.objects.get(code="restaurant"),
                area=cast.grid1,
                address="俭学街10号",
                contact_phone="12345",
            )
        assert Shop.objects.count() == shops
        assert AuditEvent.objects.count() == events

    def test_it_writes_nothing_when_an_update_fails_validation(self, cast):
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationError):
            services.shop_update(actor=cast.grid_leader, shop=cast.shop1, name="改名", contact_phone="12345")
        shop = Shop.objects.get(pk=cast.shop1.pk)
        assert shop.name == "测试面馆"
        assert shop.contact_phone == "13800001234"
        assert AuditEvent.objects.count() == events

    def test_it_rolls_the_write_back_when_the_audit_event_cannot_be_written(self, cast, monkeypatch):
        def broken_record(**kwargs):
            raise RuntimeError("the audit log is unavailable")

        monkeypatch.setattr(audit, "record", broken_record)
        with pytest.raises(RuntimeError):
            services.compound_create(
                actor=cast.grid_leader, code="T-C09", name="新院", area=cast.grid1, management="none"
            )
        assert not Compound.objects.filter(code="T-C09").exists()


class RequestContextTests:
    def test_it_records_the_request_id_and_address(self, cast):
        token = set_current(RequestContext(request_id="abc12345", ip="127.0.0.9"))
        try:
            compound = services.compound_create(
                actor=cast.grid_leader, code="T-C09", name="新院", area=cast.grid1, management="none"
            )
        finally:
            reset(token)
        event = AuditEvent.objects.get(action="compound.create", object_id=str(compound.pk))
        assert event.request_id == "abc12345"
        assert event.ip == "127.0.0.9"

    def test_it_records_no_request_outside_a_request(self, cast):
        compound = services.compound_create(
            actor=cast.grid_leader, code="T-C09", name="新院", area=cast.grid1, management="none"
        )
        event = AuditEvent.objects.get(action="compound.create", object_id=str(compound.pk))
        assert event.request_id == ""
        assert event.ip is None

    def test_it_records_the_request_of_an_api_write(self, cast):
        response = cast.client(cast.grid_leader).post(
            "/api/v1/compounds/",
            {"code": "T-C09", "name": "新院", "area": cast.grid1.code, "management": "none"},
            content_type="application/json",
            headers={"X-Request-ID": "req-0123456789"},
            REMOTE_ADDR="127.0.0.7",
        )
        assert response.status_code == 201, response.content
        assert response["X-Request-ID"] == "req-0123456789"
        event = AuditEvent.objects.get(action="compound.create", object_id=str(Compound.objects.get(code="T-C09").pk))
        assert event.request_id == "req-0123456789"
        assert event.ip == "127.0.0.7"
        assert event.actor == cast.grid_leader

    def test_it_replaces_a_request_id_it_does_not_trust(self, cast):
        response = cast.client(cast.grid_leader).post(
            "/api/v1/compounds/",
            {"code": "T-C09", "name": "新院", "area": cast.grid1.code, "management": "none"},
            content_type="application/json",
            headers={"X-Request-ID": "<script>"},
        )
        assert response.status_code == 201, response.content
        event = AuditEvent.objects.get(action="compound.create", object_id=str(Compound.objects.get(code="T-C09").pk))
        assert event.request_id == response["X-Request-ID"]
        assert len(event.request_id) == 32
        assert "<" not in event.request_id


class AuditPageTests:
    def test_it_lists_the_events_of_the_auditors_areas(self, cast):
        response = cast.client(cast.auditor).get("/audit/")
        assert response.status_code == 200
        events = list(response.context["page"])
        assert events
        assert all(event.area_path.startswith(cast.home.path) for event in events)
        assert "测试面馆" in response.content.decode()
        assert "邻里超市" not in response.content.decode()

    def test_it_shows_the_outsider_only_next_door(self, cast):
        response = cast.client(cast.outsider).get("/audit/")
        assert response.status_code == 200
        events = list(response.context["page"])
        assert events
        assert all(event.area_path.startswith(cast.next_door.path) for event in events)
        assert "测试面馆" not in response.content.decode()

    def test_it_filters_by_action(self, cast):
        response = cast.client(cast.auditor).get("/audit/", {"action": "shop."})
        actions = {event.action for event in response.context["page"]}
        assert actions == {"shop.create"}

    def test_it_returns_only_the_rows_to_htmx(self, cast):
        response = cast.client(cast.auditor).get("/audit/", {"action": "shop."}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "core/partials/audit_rows.html"
        assert "<html" not in response.content.decode()

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "building_leader", "resident"])
    def test_it_refuses_roles_without_view_audit(self, cast, who):
        response = cast.client(getattr(cast, who)).get("/audit/")
        assert response.status_code == 403

    def test_it_sends_anonymous_visitors_to_sign_in(self, cast):
        response = cast.client(None).get("/audit/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_it_uses_as_many_queries_for_many_events_as_for_few(self, cast):
        client = cast.client(cast.auditor)
        client.get("/audit/")  # warm up the session and the user's memberships
        with CaptureQueriesContext(connection) as few:
            first = client.get("/audit/")
        for number in range(10):
            services.compound_update(actor=cast.director, compound=cast.compound2, name=f"测试二号院{number}")
        with CaptureQueriesContext(connection) as many:
            second = client.get("/audit/")
        assert len(second.context["page"]) == len(first.context["page"]) + 10
        assert len(many.captured_queries) == len(few.captured_queries)
