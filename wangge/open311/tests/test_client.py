"""An independent GeoReport v2 client (the `georeport` package) drives a real server, in JSON and in XML.

`georeport` 0.3.1 lists services, reads definitions and follows requests; it cannot file one (its README
says so), so the request is filed with a plain form POST, as the specification describes it.
"""

import pytest
import requests
from georeport import GeoReport

from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.cases import services as case_services
from wangge.cases.models import Case
from wangge.territory import services as territory_services

# The server runs in another thread: committed data, and the seeded categories restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
HOME = "410105008004"


@pytest.fixture
def api_key(cast) -> str:
    user = account_services.user_create(actor=None, username="integrator", display_name="市12345", password="x-7d1c")
    territory_services.role_grant(actor=None, user=user, role=Role.PARTNER_REP, area=cast.home)
    return account_services.api_key_create(actor=None, user=user, name="12345 hotline")[1]


@pytest.mark.parametrize("fmt", ["json", "xml"])
class GeoReportClientTests:
    def test_a_third_party_client_lists_files_and_follows_a_request_to_closed(
        self, cast, api_key, live_server, settings, tmp_path, fmt
    ):
        settings.MEDIA_ROOT = tmp_path
        root = f"{live_server.url}/open311/v2"
        client = GeoReport(root, jurisdiction=HOME, api_key=api_key, output_format=fmt)

        services = client.get_service_list()
        assert {s["service_code"]: s["service_name"] for s in services}["C03"] == "设施报修"
        definition = client.get_service_definition("C03")
        attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert attributes[0]["code"] == "facility"

        filed = requests.post(
            f"{root}/requests.{fmt}",
            data={
                "jurisdiction_id": HOME,
                "api_key": api_key,
                "service_code": "C03",
                "description": "三号楼楼道灯不亮",
                "attribute[facility]": "light",
                "lat": "34.7880",
                "long": "113.6570",
            },
            timeout=10,
        )
        assert filed.status_code == 201
        number = Case.objects.get().number
        assert number in filed.text

        assert client.get_service_request(number)["status"] == "open"
        case = Case.objects.get(number=number)
        for action, actor, extra in [
            ("register", cast.grid_worker, {}),
            ("dispatch", cast.grid_leader, {"assignee": cast.grid_worker}),
            ("handle", cast.grid_worker, {"note": "已更换灯泡"}),
            ("verify", cast.grid_leader, {}),
            ("close", cast.grid_leader, {}),
        ]:
            case = case_services.case_act(actor=actor, case=case, action=action, **extra)

        followed = client.get_service_request(number)
        assert (followed["status"], followed["status_notes"]) == ("closed", "已结案")
        listed = client.get_service_requests(service_request_id=number)
        listed = listed if isinstance(listed, list) else [listed]
        assert [r["service_request_id"] for r in listed] == [number]
        closed = client.get_service_requests(status="closed", service_code="C03")
        closed = closed if isinstance(closed, list) else [closed]
        assert [r["service_request_id"] for r in closed] == [number]
