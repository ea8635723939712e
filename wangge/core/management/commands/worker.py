"""`wangge worker`: the background worker that runs queued jobs (imports, and whatever is enqueued later).

The project's task backend is the database (django-tasks-db): a job enqueued by a request is stored as a row,
and this process picks the rows up and runs them. Run one (or more) beside the web server in production, e.g.
as a systemd service: `wangge worker`. It is django-tasks-db's `db_worker` under the project's own name, with
the same options (`wangge worker --help`): `--queue-name`, `--interval`, `--batch` (run what is queued, then
exit; for cron), `--max-tasks`, `--worker-id`, `--reload`/`--no-reload` (default: reload only when
WANGGE_DEBUG is on). SIGTERM or Ctrl+C lets the running job finish; a second one abandons it.
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "Run the background worker: pick up queued jobs (imports ...) from the database and run them."
