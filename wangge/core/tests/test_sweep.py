"""`wangge sweep`: the registered tasks run once per call, by name or all."""

import io

import pytest
from django.core.management import CommandError, call_command

from wangge.core import sweep


class SweepCommandTests:
    def test_it_lists_the_registered_tasks(self, db):
        out = io.StringIO()
        call_command("sweep", "--list", stdout=out)
        assert out.getvalue().split() == list(sweep.tasks())
        assert {"cases", "notifications"} <= set(sweep.tasks())

    def test_it_runs_every_task_and_reports_its_counts(self, db):
        out = io.StringIO()
        call_command("sweep", stdout=out)
        lines = out.getvalue().splitlines()
        assert [line.split(":")[0] for line in lines] == list(sweep.tasks())
        assert any(line.startswith("cases: overdue=0") for line in lines)

    def test_it_runs_only_the_named_task(self, db):
        out = io.StringIO()
        call_command("sweep", "--only", "notifications", stdout=out)
        assert out.getvalue().startswith("notifications:") and "cases" not in out.getvalue()

    def test_it_refuses_an_unknown_task(self, db):
        with pytest.raises(CommandError, match="unknown task"):
            call_command("sweep", "--only", "laundry")
