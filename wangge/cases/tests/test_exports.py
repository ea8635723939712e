"""`?format=xlsx` on the case lists: the queue as shown with its filters, only cases the user may export,
no reporter's personal data, 403 without the export right, and an audit row for every export."""

import io
from typing import Any

import openpyxl
import pytest

from wangge.cases import services
from wangge.cases.ledgers import CASES
from wangge.cases.models import Case, Category
from wangge.core.models import AuditEvent


def report(cast: Any, *, actor: Any = None, compound: Any = None, **fields: Any) -> Case:
    return services.case_report(
        actor=actor or cast.grid_worker,
        category=Category.objects.get(code="C04"),
        description="夜间装修噪声",
        source="hotline",
        compound=compound or cast.compound1,
        reporter_name="报案人甲",
        reporter_phone="13911112222",
        **fields,
    )


def rows(response: Any) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values)


@pytest.fixture
def cases(cast) -> dict[str, Case]:
    return {
        "home": report(cast),
        "home2": report(cast, actor=cast.director, compound=cast.compound2),
        "next_door": report(cast, actor=cast.outsider, compound=cast.next_compound),
    }


class CaseExportTests:
    def test_it_exports_the_queue_with_its_filters_and_audits_it(self, cast, cases) -> None:
        response = cast.client(cast.director).get(f"/cases/?queue=all&grid={cast.grid1.code}&format=xlsx")
        assert response.status_code == 200
        found = rows(response)
        assert found[0] == tuple(str(column.header) for column in CASES.columns)
        assert [row[0] for row in found[1:]] == [cases["home"].number]
        assert found[1][4] == cast.compound1.name
        event = AuditEvent.objects.get(action="export.cases")
        assert event.actor == cast.director
        assert event.after["rows"] == 1
        assert event.after["filters"] == {"queue": "all", "grid": cast.grid1.code}

    def test_it_never_shows_cases_out_of_scope_nor_reporters(self, cast, cases) -> None:
        found = rows(cast.client(cast.director).get("/cases/?queue=all&format=xlsx"))
        numbers = {row[0] for row in found[1:]}
        assert numbers == {cases["home"].number, cases["home2"].number}
        assert "报案人甲" not in str(found) and "13911112222" not in str(found) and "1391" not in str(found)
        found = rows(cast.client(cast.grid_leader).get("/cases/?queue=all&format=xlsx"))
        assert {row[0] for row in found[1:]} == {cases["home"].number}
        found = rows(cast.client(cast.outsider).get("/cases/?queue=all&format=xlsx"))
        assert {row[0] for row in found[1:]} == {cases["next_door"].number}

    def test_an_auditor_may_export(self, cast, cases) -> None:
        assert cast.client(cast.auditor).get("/cases/?queue=all&format=xlsx").status_code == 200

    def test_roles_without_the_export_right_get_403(self, cast, cases) -> None:
        for user in (cast.grid_worker, cast.building_leader):
            assert cast.client(user).get("/cases/?queue=all&format=xlsx").status_code == 403
        assert cast.client(cast.resident).get("/cases/?format=xlsx").status_code == 403
        assert cast.client(None).get("/cases/?format=xlsx").status_code == 302
        assert not AuditEvent.objects.filter(action="export.cases").exists()

    def test_the_list_offers_the_button_to_those_who_may_export(self, cast, cases) -> None:
        page = cast.client(cast.director).get("/cases/?queue=all&state=reported").content.decode()
        assert "format=xlsx" in page and "state=reported" in page
        assert "format=xlsx" not in cast.client(cast.grid_worker).get("/cases/").content.decode()

    def test_a_row_says_whether_the_case_is_overdue(self, cast, cases) -> None:
        row = CASES.export_row(cases["home"], reveal=False)
        assert row[2] == cases["home"].get_state_display()
        assert row[8] in ("no", "否")
