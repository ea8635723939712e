"""Two people acting on the same case at once, with real concurrent database connections.

Meant for PostgreSQL, where row locks make the second transaction wait and then see the first's change;
it runs on SQLite too, where the database lock serialises the writers.
"""

import pytest
from django.db import connection

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Category
from wangge.core.notifications import Notification
from wangge.core.testing import race

# Committed data that other connections can see; the seeded categories and trades are restored afterwards.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent connections are PostgreSQL's; SQLite's in-memory test database has neither",
    ),
]


@pytest.fixture
def reported(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = Category.objects.get(code="C04")
    return services.case_report(
        actor=None, category=category, description="楼道噪声", source="resident", compound=cast.compound1
    )


class ConcurrentActionTests:
    def test_it_lets_exactly_one_of_two_simultaneous_actions_win(self, cast, reported):
        version = reported.version

        def register():
            case = Case.objects.get(pk=reported.pk)
            return services.case_act(actor=cast.grid_leader, case=case, action="register", version=version)

        def reject():
            case = Case.objects.get(pk=reported.pk)
            return services.case_act(
                actor=cast.director, case=case, action="reject", reason="duplicate", version=version
            )

        outcomes = race(register, reject)
        winners = [o for o in outcomes if isinstance(o, Case)]
        losers = [o for o in outcomes if isinstance(o, services.CaseChanged)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        case = Case.objects.get(pk=reported.pk)
        assert case.state == winners[0].state and case.version == version + 1
        assert CaseEvent.objects.filter(case=case).exclude(action="report").count() == 1

    def test_it_runs_the_sweep_twice_at_once_without_doubling_anything(self, cast, reported):
        import datetime

        from django.utils import timezone

        case = services.case_act(actor=cast.grid_leader, case=reported, action="register")
        past = timezone.now() - datetime.timedelta(hours=30)
        services.case_act(actor=cast.grid_leader, case=case, action="dispatch", assignee=cast.grid_worker, now=past)
        outcomes = race(services.cases_sweep, services.cases_sweep)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert sum(o["overdue"] for o in outcomes) == 1
        assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1
        assert Notification.objects.filter(event="case.overdue", channel="in_app").count() == 1
