"""The periodic work behind `wangge sweep`: each app registers its own idempotent tasks here.

Run it every minute from cron or a systemd timer. Every task must be safe to run twice at once (they lock
and re-check the rows they change), so overlapping runs do no harm and no scheduler daemon is needed.
"""

import datetime
from collections.abc import Callable

Task = Callable[..., dict[str, int]]

_tasks: dict[str, Task] = {}


def register(name: str, task: Task) -> None:
    """Add a task (called from an AppConfig.ready); it takes `now=` and returns counts for the log."""
    _tasks[name] = task


def tasks() -> dict[str, Task]:
    """The registered tasks in the order they were added."""
    return dict(_tasks)


def run(*, now: datetime.datetime | None = None, only: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Run the tasks (or some of them) once and return what each did."""
    return {name: task(now=now) for name, task in _tasks.items() if not only or name in only}
