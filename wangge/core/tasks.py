"""Background work of the core: Excel ledger imports, run by the worker (`manage.py db_worker`).

A job is created by the import page with its upload saved; `run_import_job` takes it to its end. Progress goes
to the shared `progress` cache (the web process reads it for the job's page) and, while the rows are being
checked, to the job's row too: the writing happens inside one transaction, so only the cache can show it.
"""

import contextlib
import datetime
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from wangge.core import ledgers
from wangge.core.models import IMPORT_RUNNING, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# How long a running job's progress stays in the cache, and how long finished jobs keep their files.
PROGRESS_SECONDS = 24 * 3600
KEEP_FILES = datetime.timedelta(days=7)
# A job still checking or writing after this long was cut off (the worker was killed): it is marked failed.
STALE_AFTER = datetime.timedelta(hours=12)
# Importing needs both: new records are added, existing ones changed.
IMPORT_ACTIONS = ("add", "change")


def progress_key(job_id: Any) -> str:
    """The cache key of one job's progress."""
    return f"ledger-import:{job_id}"


def read_progress(job: ImportJob) -> dict[str, Any]:
    """Phase, rows done and rows expected of a job: from the cache while it runs, else from its row."""
    if job.is_running:
        found = caches["progress"].get(progress_key(job.pk))
        if found:
            return found
    phase = job.status if job.is_running else "done"
    return {"phase": phase, "done": job.processed, "total": job.total}


@contextlib.contextmanager
def _local_file(upload: FieldFile) -> Iterator[Path]:
    """The upload as a path on this machine (a temporary copy when the storage is remote)."""
    try:
        local = Path(upload.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(prefix="wangge-import-", suffix=".xlsx") as copy:
        with upload.open("rb") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def _summary(job: ImportJob, result: ledgers.ImportResult) -> str:
    counts = result.counts
    if not result.applied:
        return _(
            "%(problems)d problems in %(rows)d of %(total)d rows; nothing was imported. "
            "Correct the rows listed below and import the file again."
        ) % {"problems": result.error_count, "rows": len(result.error_rows), "total": result.total}
    message = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
    }
    if result.error_count:
        message += " " + _("%(rows)d rows with problems were left out.") % {"rows": len(result.error_rows)}
    return message


@task()
def run_import_job(job_id: str) -> str:
    """Take a queued import job to its end: done, rejected or failed; never left running, the upload deleted."""
    job = ImportJob.objects.select_related("actor").filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None:
        # Already run (a retried task) or deleted: nothing to do.
        return "gone"
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _run(job)
        except ledgers.LedgerFileError as error:
            _finish(job, ImportStatus.FAILED, message=str(error))
        except Exception:
            # The log keeps the traceback for the administrator; the job's page says only what happened.
            logger.exception("import job %s failed", job.pk)
            _finish(
                job,
                ImportStatus.FAILED,
                message=_(
                    "The import stopped because of an error in the system; nothing was imported. "
                    "Try again later, or tell the administrator."
                ),
            )
        finally:
            if job.upload:
                job.upload.delete(save=False)
                ImportJob.objects.filter(pk=job.pk).update(upload="")
            caches["progress"].delete(progress_key(job.pk))
    return job.status


def _run(job: ImportJob) -> None:
    ledger = ledgers.get(job.ledger)
    # Checked again now: the importer's role may have been revoked while the job waited.
    scope = ledgers.scopes(job.actor, *IMPORT_ACTIONS).filter(path=job.scope_path).first()
    if job.actor is None or scope is None:
        raise ledgers.LedgerFileError(_("You may no longer import into this community."))
    job.status = ImportStatus.CHECKING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at", "updated_at"])
    cache = caches["progress"]
    key = progress_key(job.pk)

    def progress(phase: str, done: int, total: int) -> None:
        cache.set(key, {"phase": phase, "done": done, "total": total}, PROGRESS_SECONDS)
        if phase == "checking":
            ImportJob.objects.filter(pk=job.pk).update(processed=done, total=total, updated_at=timezone.now())

    with tempfile.TemporaryDirectory(prefix="wangge-import-") as folder, _local_file(job.upload) as path:
        error_path = Path(folder) / "errors.xlsx"
        result = ledgers.run_import(
            ledger,
            path,
            actor=job.actor,
            scope=scope,
            apply_valid=job.apply_valid,
            progress=progress,
            error_path=error_path,
        )
        if result.error_path is not None:
            with result.error_path.open("rb") as handle:
                job.error_file.save("errors.xlsx", File(handle), save=False)
    job.total = result.total
    job.processed = result.total
    job.error_count = result.error_count
    job.created = result.counts.created
    job.updated = result.counts.updated
    job.unchanged = result.counts.unchanged
    job.errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
    _finish(job, ImportStatus.DONE if result.applied else ImportStatus.REJECTED, message=_summary(job, result))


def _finish(job: ImportJob, status: str, *, message: str) -> None:
    job.status = status
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save()


def imports_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the files of jobs older than a week, and fail jobs cut off mid-run (a killed worker)."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(
        status__in=IMPORT_RUNNING - {ImportStatus.QUEUED}, started_at__lt=now - STALE_AFTER
    )
    failed = 0
    for job in stale:
        _finish(job, ImportStatus.FAILED, message=_("The import was cut off before it finished; nothing was imported."))
        failed += 1
    cleaned = 0
    old = ImportJob.objects.filter(created_at__lt=now - KEEP_FILES).exclude(
        status__in=[ImportStatus.CHECKING, ImportStatus.WRITING]
    )
    for job in old.filter(~Q(upload="") | ~Q(error_file="")):
        for field in (job.upload, job.error_file):
            if field:
                field.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(upload="", error_file="")
        cleaned += 1
    return {"failed": failed, "files_deleted": cleaned}
