"""The daily sweep of campaigns: the owner of each overdue open task of a running campaign is reminded once a day."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import Cast
from wangge.accounts.models import User
from wangge.campaigns import services
from wangge.campaigns.models import PlanTask
from wangge.campaigns.tests.conftest import Tree
from wangge.core import sweep
from wangge.core.models import Notification

pytestmark = pytest.mark.usefixtures("english")

ZONE = ZoneInfo("Asia/Shanghai")
# Thursday 10 July 2014, 07:00 local time: the sweep's morning run, in the middle of the campaign.
MORNING = datetime.datetime(2014, 7, 10, 7, 0, tzinfo=ZONE)


@pytest.fixture
def plan(cast: Cast, tree: Tree):
    """The campaign under way with one phase (June and July) of its work plan."""
    services.campaign_set_status(actor=None, campaign=tree.campaign, status="active")
    work_plan = services.work_plan_create(actor=None, campaign=tree.campaign, name="创建工作计划")
    phase = services.phase_save(
        actor=None,
        plan=work_plan,
        name="集中整治",
        kind="remediation",
        starts_on=datetime.date(2014, 6, 1),
        ends_on=datetime.date(2014, 7, 31),
    )
    return work_plan, phase


def task(cast: Cast, plan, title: str, owner: User, due_on: datetime.date) -> PlanTask:
    work_plan, phase = plan
    return services.task_save(
        actor=None,
        plan=work_plan,
        phase=phase,
        title=title,
        owner=owner,
        area=cast.grid1,
        starts_on=datetime.date(2014, 6, 1),
        due_on=due_on,
    )


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(event="campaign.task_overdue").order_by("pk"))


class CampaignsSweepTests:
    def test_it_reminds_the_owner_of_an_overdue_task(self, cast: Cast, tree: Tree, plan) -> None:
        overdue = task(cast, plan, "清理楼道堆物", cast.grid_worker, datetime.date(2014, 7, 7))
        result = services.campaigns_sweep(now=MORNING)
        assert result == {"overdue_tasks": 1, "reminders": 1}
        (reminder,) = reminders()
        assert reminder.recipient == cast.grid_worker
        assert reminder.subject == "Plan task overdue: 清理楼道堆物"
        assert reminder.body == "四城联创: due 2014-07-07, 3 days ago."
        assert reminder.link == f"/campaigns/plans/{overdue.plan_id}/"
        assert reminder.area_path == cast.grid1.path

    def test_it_leaves_tasks_not_yet_due_alone(self, cast: Cast, tree: Tree, plan) -> None:
        task(cast, plan, "今天到期", cast.grid_worker, datetime.date(2014, 7, 10))
        task(cast, plan, "月底到期", cast.grid_worker, datetime.date(2014, 7, 31))
        assert services.campaigns_sweep(now=MORNING)["overdue_tasks"] == 0
        assert reminders() == []

    @pytest.mark.parametrize("status", ["done", "cancelled"])
    def test_it_leaves_finished_tasks_alone(self, cast: Cast, tree: Tree, plan, status: str) -> None:
        finished = task(cast, plan, "已处理", cast.grid_worker, datetime.date(2014, 7, 1))
        services.task_set_status(actor=None, task=finished, status=status, done_on=datetime.date(2014, 6, 30))
        services.campaigns_sweep(now=MORNING)
        assert reminders() == []

    def test_it_reminds_of_a_task_in_progress(self, cast: Cast, tree: Tree, plan) -> None:
        started = task(cast, plan, "进行中", cast.grid_worker, datetime.date(2014, 7, 1))
        services.task_set_status(actor=None, task=started, status="doing")
        services.campaigns_sweep(now=MORNING)
        assert [n.recipient for n in reminders()] == [cast.grid_worker]

    @pytest.mark.parametrize("status", ["draft", "closed"])
    def test_it_leaves_campaigns_not_under_way_alone(self, cast: Cast, tree: Tree, plan, status: str) -> None:
        task(cast, plan, "逾期任务", cast.grid_worker, datetime.date(2014, 7, 1))
        services.campaign_set_status(actor=None, campaign=tree.campaign, status=status)
        assert services.campaigns_sweep(now=MORNING)["overdue_tasks"] == 0
        assert reminders() == []

    def test_it_sends_nothing_new_on_a_second_run_the_same_day(self, cast: Cast, tree: Tree, plan) -> None:
        task(cast, plan, "逾期任务", cast.grid_worker, datetime.date(2014, 7, 1))
        services.campaigns_sweep(now=MORNING)
        services.campaigns_sweep(now=MORNING.replace(hour=19))
        assert len(reminders()) == 1

    def test_it_reminds_again_the_next_day(self, cast: Cast, tree: Tree, plan) -> None:
        task(cast, plan, "逾期任务", cast.grid_worker, datetime.date(2014, 7, 1))
        services.campaigns_sweep(now=MORNING)
        services.campaigns_sweep(now=MORNING + datetime.timedelta(days=1))
        assert [n.body for n in reminders()] == [
            "四城联创: due 2014-07-01, 9 days ago.",
            "四城联创: due 2014-07-01, 10 days ago.",
        ]

    def test_it_reminds_each_owner_of_their_own_tasks(self, cast: Cast, tree: Tree, plan) -> None:
        task(cast, plan, "网格员的任务", cast.grid_worker, datetime.date(2014, 7, 1))
        task(cast, plan, "网格长的任务", cast.grid_leader, datetime.date(2014, 7, 2))
        services.campaigns_sweep(now=MORNING)
        assert {(n.recipient.username, n.subject) for n in reminders()} == {
            ("gridworker", "Plan task overdue: 网格员的任务"),
            ("gridleader", "Plan task overdue: 网格长的任务"),
        }

    def test_it_runs_in_the_core_sweep_by_name(self, cast: Cast, tree: Tree, plan) -> None:
        task(cast, plan, "逾期任务", cast.grid_worker, datetime.date(2014, 7, 1))
        assert "campaigns" in sweep.tasks()
        result = sweep.run(now=MORNING, only=["campaigns"])
        assert result == {"campaigns": {"overdue_tasks": 1, "reminders": 1}}
        assert len(reminders()) == 1
