"""The ledger pages: templates, uploads that become background jobs, the job's page while it runs and after,
who may see a job, the task itself (crashes included) and the sweep of old files."""

import datetime
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.core import ledgers, tasks
from wangge.core.models import ImportJob, ImportStatus
from wangge.territory.ledgers import COMPOUNDS, SHOPS
from wangge.territory.models import Compound

HOME = "410105008004"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads and error workbooks land in a temporary folder; progress in this test's own cache."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)},
    }


def compounds_xlsx(rows: list[list[Any]], name: str = "楼院台账.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([str(c.header) for c in COMPOUNDS.columns])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client: Any, file: SimpleUploadedFile, *, community: str = HOME, apply_valid: bool = False) -> Any:
    data = {"community": community, "file": file}
    if apply_valid:
        data["apply_valid"] = "on"
    return client.post("/ledgers/compounds/import/", data)


def only_job() -> ImportJob:
    return ImportJob.objects.get()


class IndexTests:
    def test_it_lists_the_ledgers_with_the_communities_one_may_import_into(self, cast) -> None:
        page = cast.client(cast.director).get("/ledgers/").content.decode()
        assert "/ledgers/compounds/template.xlsx" in page
        assert "/ledgers/shops/import/" in page
        assert "/ledgers/cases/import/" not in page  # export only
        assert cast.home.name in page and cast.next_door.name not in page

    def test_a_grid_worker_sees_templates_but_no_import_form(self, cast) -> None:
        page = cast.client(cast.grid_worker).get("/ledgers/").content.decode()
        assert "/ledgers/compounds/template.xlsx" in page
        assert "/ledgers/compounds/import/" not in page

    def test_it_keeps_out_residents_and_anonymous_visitors(self, cast) -> None:
        assert cast.client(cast.resident).get("/ledgers/").status_code == 403
        assert cast.client(None).get("/ledgers/").status_code == 302

    def test_it_serves_a_template(self, cast) -> None:
        response = cast.client(cast.grid_worker).get("/ledgers/shops/template.xlsx")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        assert sheet["A1"].value == f"{SHOPS.columns[0].header}*"
        assert sheet.data_validations.dataValidation
        assert cast.client(cast.grid_worker).get("/ledgers/nothing/template.xlsx").status_code == 404


class ImportTests:
    def test_an_upload_runs_and_shows_its_results(self, cast) -> None:
        client = cast.client(cast.director)
        response = upload(client, compounds_xlsx([["T-C09", "新院", cast.grid2.code, "", "none"]]))
        job = only_job()
        assert response.status_code == 302 and response["Location"] == f"/ledgers/jobs/{job.pk}/"
        assert (job.status, job.created, job.actor, job.scope_path) == ("done", 1, cast.director, cast.home.path)
        assert job.file_name == "楼院台账.xlsx"
        assert not job.upload  # personal data does not stay on disk
        assert Compound.objects.filter(code="T-C09").exists()
        page = client.get(response["Location"]).content.decode()
        assert "hx-trigger" not in page
        assert job.message in page

    def test_a_wrong_row_writes_nothing_and_is_listed_with_the_error_workbook(self, cast) -> None:
        client = cast.client(cast.director)
        rows = [["T-C09", "新院", cast.grid2.code, "", "none"], ["T-C10", "院", cast.next_grid.code, "", "none"]]
        upload(client, compounds_xlsx(rows))
        job = only_job()
        assert (job.status, job.error_count, job.created) == ("rejected", 1, 0)
        assert not Compound.objects.filter(code__in=["T-C09", "T-C10"]).exists()
        assert job.errors[0]["row"] == 3 and job.errors[0]["column"] == str(COMPOUNDS.columns[2].header)
        page = client.get(f"/ledgers/jobs/{job.pk}/").content.decode()
        assert cast.next_grid.code in page
        assert f"/ledgers/jobs/{job.pk}/errors.xlsx" in page
        errors = client.get(f"/ledgers/jobs/{job.pk}/errors.xlsx")
        lines = list(openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active.values)
        assert lines[1][0] == 3

    def test_apply_valid_imports_the_valid_rows(self, cast) -> None:
        rows = [["T-C09", "新院", cast.grid2.code, "", "none"], ["T-C10", "院", cast.next_grid.code, "", "none"]]
        upload(cast.client(cast.director), compounds_xlsx(rows), apply_valid=True)
        job = only_job()
        assert (job.status, job.created, job.error_count) == ("done", 1, 1)
        assert list(Compound.objects.filter(code__in=["T-C09", "T-C10"]).values_list("code", flat=True)) == ["T-C09"]

    def test_a_file_that_is_not_a_workbook_fails_with_its_message(self, cast) -> None:
        upload(cast.client(cast.director), SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100))
        job = only_job()
        assert job.status == "failed"
        assert ".xls" in job.message

    def test_it_refuses_an_upload_over_the_limit_before_saving_it(self, cast, settings) -> None:
        settings.IMPORT_MAX_MB = 0
        client = cast.client(cast.director)
        response = upload(client, compounds_xlsx([["T-C09", "新院", cast.grid2.code, "", "none"]]))
        assert response.status_code == 400
        assert "MB" in response.content.decode()
        # A body far over the limit is refused before it is read at all.
        response = upload(client, SimpleUploadedFile("big.xlsx", b"0" * 200_000))
        assert response.status_code == 413
        assert "MB" in response.content.decode()
        assert not ImportJob.objects.exists()
        assert not (settings.MEDIA_ROOT / "imports").exists()

    def test_it_refuses_a_community_one_may_not_import_into(self, cast) -> None:
        response = upload(cast.client(cast.director), compounds_xlsx([]), community=cast.next_door.code)
        assert response.status_code == 400
        assert not ImportJob.objects.exists()

    def test_roles_that_may_not_add_cannot_import(self, cast) -> None:
        for user in (cast.grid_worker, cast.auditor, cast.building_leader):
            assert upload(cast.client(user), compounds_xlsx([])).status_code == 403
        assert upload(cast.client(None), compounds_xlsx([])).status_code == 302
        assert not ImportJob.objects.exists()

    def test_it_needs_a_post_with_the_csrf_token(self, cast) -> None:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.director)
        assert upload(client, compounds_xlsx([])).status_code == 403
        assert client.get("/ledgers/compounds/import/").status_code == 405


class JobPageTests:
    @pytest.fixture
    def job(self, cast) -> ImportJob:
        return ImportJob.objects.create(
            ledger="compounds",
            actor=cast.grid_leader,
            scope_path=cast.home.path,
            scope_code=cast.home.code,
            scope_name=cast.home.name,
            file_name="a.xlsx",
        )

    def test_it_polls_while_queued_checking_and_writing_then_stops(self, cast, job) -> None:
        client = cast.client(cast.grid_leader)
        url = f"/ledgers/jobs/{job.pk}/"
        page = client.get(url).content.decode()
        assert 'hx-trigger="every 1s"' in page and "progress-bar" in page
        job.status = ImportStatus.CHECKING
        job.save()
        caches["progress"].set(tasks.progress_key(job.pk), {"phase": "checking", "done": 500, "total": 2000})
        partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert partial.startswith('<div id="job-status"') and "25%" in partial and "500" in partial
        caches["progress"].set(tasks.progress_key(job.pk), {"phase": "writing", "done": 1500, "total": 2000})
        partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert "75%" in partial and "bg-success" in partial
        job.status, job.created, job.message = ImportStatus.DONE, 2000, "2000 created"
        job.save()
        partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert "hx-trigger" not in partial and "2000 created" in partial

    def test_it_is_seen_by_its_importer_and_the_community_auditors_only(self, cast, job) -> None:
        url = f"/ledgers/jobs/{job.pk}/"
        for user in (cast.grid_leader, cast.director, cast.auditor):
            assert cast.client(user).get(url).status_code == 200, user
        for user in (cast.grid_worker, cast.building_leader, cast.outsider):
            assert cast.client(user).get(url).status_code == 404, user
        assert cast.client(cast.outsider).get(f"{url}errors.xlsx").status_code == 404
        assert cast.client(None).get(url).status_code == 302

    def test_it_lists_the_users_recent_jobs(self, cast, job) -> None:
        assert f"/ledgers/jobs/{job.pk}/" in cast.client(cast.grid_leader).get("/ledgers/").content.decode()
        assert f"/ledgers/jobs/{job.pk}/" not in cast.client(cast.director).get("/ledgers/").content.decode()


class TaskTests:
    def queued(self, cast, rows: list[list[Any]], user: Any = None) -> ImportJob:
        job = ImportJob(
            ledger="compounds",
            actor=user or cast.director,
            scope_path=cast.home.path,
            scope_code=cast.home.code,
            scope_name=cast.home.name,
            file_name="a.xlsx",
        )
        job.upload.save("a.xlsx", ContentFile(compounds_xlsx(rows).read()), save=False)
        job.save()
        return job

    def test_it_runs_a_job_to_its_end_and_records_progress(self, cast) -> None:
        job = self.queued(cast, [["T-C09", "新院", cast.grid2.code, "", "none"]])
        upload_path = Path(job.upload.path)
        assert tasks.run_import_job.call(str(job.pk)) == "done"
        job.refresh_from_db()
        assert (job.total, job.processed, job.created, job.started_at is not None) == (1, 1, 1, True)
        assert job.finished_at is not None and not upload_path.exists()
        assert caches["progress"].get(tasks.progress_key(job.pk)) is None
        assert tasks.run_import_job.call(str(job.pk)) == "gone"  # a retried task does nothing twice

    def test_a_crash_fails_the_job_without_details_and_deletes_the_upload(self, cast, monkeypatch, caplog) -> None:
        job = self.queued(cast, [["T-C09", "新院", cast.grid2.code, "", "none"]])

        def crash(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("secret 13800001234")

        monkeypatch.setattr(ledgers, "run_import", crash)
        assert tasks.run_import_job.call(str(job.pk)) == "failed"
        job.refresh_from_db()
        assert job.status == "failed" and job.message
        assert "13800001234" not in job.message and "Traceback" not in job.message
        assert not job.upload
        assert "RuntimeError" in caplog.text

    def test_it_fails_when_the_importer_lost_the_right(self, cast) -> None:
        job = self.queued(cast, [["T-C09", "新院", cast.grid2.code, "", "none"]])
        cast.director.memberships.update(active=False)
        tasks.run_import_job.call(str(job.pk))
        job.refresh_from_db()
        assert job.status == "failed"
        assert not Compound.objects.filter(code="T-C09").exists()

    def test_the_sweep_deletes_old_files_and_fails_cut_off_jobs(self, cast) -> None:
        job = self.queued(cast, [["T-C09", "院", cast.next_grid.code, "", "none"]])
        tasks.run_import_job.call(str(job.pk))
        job.refresh_from_db()
        error_path = Path(job.error_file.path)
        assert error_path.exists()
        stuck = self.queued(cast, [])
        ImportJob.objects.filter(pk=stuck.pk).update(
            status=ImportStatus.WRITING, started_at=timezone.now() - datetime.timedelta(days=1)
        )
        assert tasks.imports_sweep() == {"failed": 1, "files_deleted": 0}
        later = timezone.now() + datetime.timedelta(days=8)
        assert tasks.imports_sweep(now=later)["files_deleted"] == 2
        job.refresh_from_db()
        assert not job.error_file and not error_path.exists()
        assert ImportJob.objects.get(pk=stuck.pk).status == "failed"


class WorkerTests:
    """With the project's database backend, the upload only queues the job; the worker runs it."""

    # Serialized rollback: a plain transactional test's flush recreates content types with new ids, which then
    # clash with the snapshot the browser tests restore.
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)
    def test_the_worker_runs_a_queued_job(self, cast, settings) -> None:
        from django.core.management import call_command

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        upload(cast.client(cast.director), compounds_xlsx([["T-C09", "新院", cast.grid2.code, "", "none"]]))
        job = only_job()
        assert job.status == "queued" and job.upload
        page = cast.client(cast.director).get(f"/ledgers/jobs/{job.pk}/").content.decode()
        assert 'hx-trigger="every 1s"' in page
        call_command("db_worker", "--batch", "--no-reload", stdout=io.StringIO(), stderr=io.StringIO())
        job.refresh_from_db()
        assert (job.status, job.created) == ("done", 1)
        assert Compound.objects.filter(code="T-C09").exists()
