"""The Django admin holds configuration only: trades, case categories, webhook endpoints, the calendar."""

import pytest

from wangge.core.models import WebhookEndpoint


class ConfigurationAdminTests:
    @pytest.mark.parametrize(
        "url",
        [
            "/admin/core/webhookendpoint/add/",
            "/admin/core/calendarday/",
            "/admin/cases/category/",
            "/admin/territory/trade/",
            "/admin/core/auditevent/",
        ],
    )
    def test_it_opens_the_configuration_lists(self, admin_client, url):
        assert admin_client.get(url).status_code == 200

    def test_it_configures_a_group_bot_for_a_grid(self, cast, admin_client):
        response = admin_client.post(
            "/admin/core/webhookendpoint/add/",
            {
                "name": "第一网格企业微信群",
                "kind": "wecom",
                "area": cast.grid1.pk,
                "url": "https://bots.example.invalid/send?key=made-up",
                "secret": "",
                "events": "[]",
                "active": "on",
            },
        )
        assert response.status_code == 302
        assert WebhookEndpoint.objects.get().scope_path == cast.grid1.path

    def test_it_never_lets_the_audit_log_be_edited(self, admin_client):
        assert admin_client.get("/admin/core/auditevent/add/").status_code == 403
