"""The one request-size guard: every API endpoint that takes uploads refuses a body over its limit with 413
before the body is read (no multipart parsing, nothing spooled to disk, nothing written), for anonymous
callers too; bodies within the limit go through."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.cases import services as case_services
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, Source, State
from wangge.core.models import AuditEvent
from wangge.core.testing import count_multipart_parses
from wangge.inspections import selectors as inspection_selectors
from wangge.inspections.models import Inspection

CASES = "/api/v1/cases/"
INSPECTIONS = "/api/v1/inspections/"


@pytest.fixture(autouse=True)
def small_photos(settings, tmp_path) -> None:
    """Photos of at most 1 MB: a case then takes at most 6 × 1 MB + 1 MB."""
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_MAX_BYTES = 1024 * 1024


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """How many multipart bodies were parsed (read, their files spooled to disk)."""
    return count_multipart_parses(monkeypatch)


def big_photo(mb: int = 8) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (mb * 1024 * 1024), content_type="image/jpeg")


def written() -> tuple[int, int, int, int, int]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CasePhoto.objects.count(),
        Inspection.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def case(cast) -> Case:
    return case_services.case_report(
        actor=cast.grid_worker,
        category=Category.objects.get(code="C04"),
        description="楼道里很吵",
        source=Source.PATROL,
        compound=cast.compound1,
    )


class ApiBodyLimitTests:
    def test_a_report_with_photos_over_the_limit_is_refused_unread(self, cast, parsed) -> None:
        before = written()
        form = {"category": "C04", "description": "楼道里很吵", "compound": "T-C01", "photos": [big_photo()]}
        response = cast.client(cast.grid_worker).post(CASES, form)
        assert response.status_code == 413
        assert response.json() == {"detail": "上传内容过大：最多 6 张照片，每张不超过 1 MB。"}
        assert parsed == [] and written() == before
        # Anonymous callers too: nothing is read to find out who they are.
        assert cast.client(None).post(CASES, form | {"photos": [big_photo()]}).status_code == 413
        assert parsed == [] and written() == before

    def test_the_handling_step_over_the_limit_is_refused_unread(self, cast, case, parsed) -> None:
        before = written()
        url = f"{CASES}{case.number}/handle/"
        response = cast.client(cast.grid_worker).post(url, {"note": "已处理", "photos": [big_photo()]})
        assert response.status_code == 413
        assert parsed == [] and written() == before

    def test_a_step_without_photos_takes_no_large_body(self, cast, case) -> None:
        before = written()
        url = f"{CASES}{case.number}/register/"
        padding = "x" * (2 * 1024 * 1024)
        client = cast.client(cast.grid_leader)
        response = client.post(url, {"note": padding}, content_type="application/json")
        assert response.status_code == 413 and response.json() == {"detail": "请求内容过大。"}
        assert written() == before
        # Within the limit the same step goes through.
        response = client.post(url, {"note": "登记"}, content_type="application/json")
        assert response.status_code == 200, response.content
        assert Case.objects.get(pk=case.pk).state != State.REPORTED

    def test_an_inspection_over_the_limit_is_refused_unread(self, cast, parsed) -> None:
        before = written()
        # One photo per item of the longest checklist in use, 1 MB each, and the form: one more MB is too much.
        photo = big_photo(inspection_selectors.most_photos() + 2)
        form = {"target": "shop", "place": "T-S001", "answers": "{}", "photo_X": photo}
        response = cast.client(cast.director).post(INSPECTIONS, form)
        assert response.status_code == 413
        assert "每个不合格项" in response.json()["detail"]
        assert parsed == [] and written() == before


class ApiWriteLimitTests:
    def test_a_place_or_resident_write_over_1_mb_is_refused_unread(self, cast, parsed) -> None:
        before = written()
        padding = "x" * (2 * 1024 * 1024)
        client = cast.client(cast.director)
        for url in ("/api/v1/compounds/", "/api/v1/assignments/", "/api/v1/residents/", "/api/v1/households/"):
            response = client.post(url, {"note": padding, "file": big_photo(2)})
            assert response.status_code == 413, (url, response.status_code)
        assert parsed == [] and written() == before


class UploadPageCsrfTests:
    """The upload pages are exempt from the CSRF middleware (it would read the upload first) and check CSRF
    themselves after the size check: a post without the token is still refused."""

    def test_the_staff_upload_pages_still_refuse_a_post_without_the_token(self, cast, case) -> None:
        before = written()
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.grid_leader)
        form = {"category": "C04", "description": "楼道里很吵", "compound": "T-C01"}
        for url in ("/cases/new/", f"/cases/{case.number}/act/register/", "/inspections/new/shop/T-S001/"):
            assert client.post(url, form).status_code == 403, url
        assert written() == before
