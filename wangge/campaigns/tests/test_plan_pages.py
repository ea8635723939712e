"""The work plan pages: the timeline's positions and colours, the phase and task forms (good and bad input), the
owners' reports on their tasks, who may open and change what, and what the plan's page costs in queries."""

import datetime

import pytest
from django.utils import timezone

from wangge.accounts import services as account_services
from wangge.accounts.roles import Role
from wangge.campaigns import services
from wangge.campaigns.models import Campaign, Phase, PlanTask, TaskStatus, WorkPlan
from wangge.campaigns.plan_views import Span, gantt, month_ticks, next_month
from wangge.core.models import AuditEvent
from wangge.core.testing import query_counts
from wangge.territory import services as territory_services

from .conftest import END, START

pytestmark = pytest.mark.usefixtures("english")

DAY = datetime.timedelta(days=1)


def grid_worker_of(area, username: str, name: str):
    """Another grid worker, of `area`."""
    user = account_services.user_create(actor=None, username=username, display_name=name, password="x-pass-1234")
    territory_services.role_grant(actor=None, user=user, role=Role.GRID_WORKER, area=area)
    return user


def make_plan(campaign, name: str = "创建工作计划表") -> WorkPlan:
    return services.work_plan_create(actor=None, campaign=campaign, name=name)


def make_phase(plan, name: str, starts_on, ends_on, kind: str = "remediation") -> Phase:
    return services.phase_save(actor=None, plan=plan, name=name, starts_on=starts_on, ends_on=ends_on, kind=kind)


def make_task(plan, phase, title: str, owner, area, starts_on, due_on, **extra) -> PlanTask:
    return services.task_save(
        actor=None,
        plan=plan,
        phase=phase,
        title=title,
        owner=owner,
        area=area,
        starts_on=starts_on,
        due_on=due_on,
        **extra,
    )


@pytest.fixture
def plan(cast, tree):
    """The tree's campaign with a plan: phase 集中整治 (June to August) with a grid 1 task owned by the grid worker
    and a grid 2 task owned by the director; phase 巩固提升 (September) without tasks."""
    plan = make_plan(tree.campaign)
    remediation = make_phase(plan, "集中整治", START, datetime.date(2014, 8, 31))
    make_phase(plan, "巩固提升", datetime.date(2014, 9, 1), datetime.date(2014, 9, 30), kind="consolidation")
    make_task(
        plan, remediation, "清理楼院卫生死角", cast.grid_worker, cast.grid1, datetime.date(2014, 6, 10),
        datetime.date(2014, 7, 10), indicators=[tree.sweep, tree.bins],
    )  # fmt: skip
    make_task(
        plan,
        remediation,
        "门店门前三包",
        cast.director,
        cast.grid2,
        datetime.date(2014, 6, 15),
        datetime.date(2014, 8, 15),
    )
    return plan


def task_named(title: str) -> PlanTask:
    return PlanTask.objects.get(title=title)


def phase_named(name: str) -> Phase:
    return Phase.objects.get(name=name)


class TimelineTests:
    def test_it_places_a_task_by_its_days_on_the_campaigns_span(self, cast):
        first = datetime.date(2014, 1, 1)
        campaign = services.campaign_create(
            actor=None, community=cast.home, name="百日攻坚", starts_on=first, ends_on=first + 99 * DAY
        )
        plan = make_plan(campaign)
        phase = make_phase(plan, "攻坚", first, first + 49 * DAY)
        task = make_task(plan, phase, "第10到20天", cast.grid_worker, cast.grid1, first + 10 * DAY, first + 20 * DAY)
        chart = gantt(campaign, [phase], [task], today=first + 30 * DAY)
        row = chart.phases[0]
        assert chart.span.days == 100
        assert (row.left, row.width) == ("0.00", "50.00")
        assert (row.tasks[0].left, row.tasks[0].width) == ("10.00", "11.00")
        # Today (day 30) is marked in the middle of its day; the task, due on day 20 and still open, is overdue.
        assert chart.today_left == "30.50"
        assert row.tasks[0].state == "overdue"

        response = cast.client(cast.director).get(f"/campaigns/plans/{plan.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-task="{task.pk}"' in html
        assert "left: 10.00%; width: 11.00%" in html
        assert "left: 0.00%; width: 50.00%" in html

    def test_it_puts_the_month_ticks_on_the_first_days(self):
        span = Span(datetime.date(2014, 6, 1), datetime.date(2014, 10, 31))  # 153 days
        ticks = month_ticks(span)
        assert [tick.day for tick in ticks] == [datetime.date(2014, month, 1) for month in (6, 7, 8, 9, 10)]
        assert [tick.left for tick in ticks] == ["0.00", "19.61", "39.87", "60.13", "79.74"]
        # Over three years, a tick a quarter.
        long = month_ticks(Span(datetime.date(2014, 1, 15), datetime.date(2016, 12, 31)))
        assert [tick.day.month for tick in long[:4]] == [4, 7, 10, 1]

    def test_it_reaches_the_calendars_last_month_without_overflowing(self):
        last = datetime.date.max
        assert next_month(datetime.date(9999, 11, 1)) == datetime.date(9999, 12, 1)
        assert next_month(datetime.date(9999, 12, 1)) is None
        assert [tick.day for tick in month_ticks(Span(datetime.date(9999, 10, 15), last))] == [
            datetime.date(9999, 11, 1), datetime.date(9999, 12, 1)
        ]  # fmt: skip
        # A campaign stored before the dates were checked still draws.
        chart = gantt(Campaign(starts_on=datetime.date(9999, 12, 1), ends_on=last), [], [], today=last)
        assert [tick.day for tick in chart.ticks] == [datetime.date(9999, 12, 1)] and chart.today_left == "98.39"

    def test_it_colours_each_task_by_how_it_stands_today(self, cast):
        today = timezone.localdate()
        campaign = services.campaign_create(
            actor=None, community=cast.home, name="当期活动", starts_on=today - 50 * DAY, ends_on=today + 49 * DAY
        )
        plan = make_plan(campaign)
        phase = make_phase(plan, "全程", campaign.starts_on, campaign.ends_on)

        def task(title, due, status=None):
            made = make_task(plan, phase, title, cast.grid_worker, cast.grid1, today - 20 * DAY, due)
            if status:
                services.task_set_status(actor=None, task=made, status=status, done_on=today - 2 * DAY)
            return made.pk

        late = task("逾期未办", today - DAY)
        late_doing = task("逾期办理中", today - DAY, TaskStatus.DOING)
        done = task("按期完成", today - DAY, TaskStatus.DONE)
        cancelled = task("已取消", today - DAY, TaskStatus.CANCELLED)
        due_today = task("今天到期", today, TaskStatus.DOING)
        later = task("尚未开始", today + DAY)
        response = cast.client(cast.director).get(f"/campaigns/plans/{plan.pk}/")
        chart = response.context["gantt"]
        states = {bar.task.pk: bar.state for bar in chart.phases[0].tasks}
        assert states == {
            late: "overdue",
            late_doing: "overdue",
            done: "done",
            cancelled: "cancelled",
            due_today: "doing",
            later: "todo",
        }
        assert chart.today_left == "50.50"
        html = response.content.decode()
        assert f'data-today="{today:%Y-%m-%d}"' in html
        assert html.count('class="gantt-bar gantt-overdue"') == 2
        assert response.context["counts"]["overdue"] == 2

    def test_it_draws_no_today_line_outside_the_campaign(self, cast, plan):
        response = cast.client(cast.director).get(f"/campaigns/plans/{plan.pk}/")
        assert response.context["gantt"].today_left is None
        assert "data-today=" not in response.content.decode()
        # The campaign lies in 2014: every open task is overdue by now.
        assert {bar.state for row in response.context["gantt"].phases for bar in row.tasks} == {"overdue"}


class PlanPageTests:
    def test_it_shows_the_plan_to_everyone_working_on_the_campaign(self, cast, tree, plan):
        url = f"/campaigns/plans/{plan.pk}/"
        for user in (cast.director, cast.grid_leader, cast.grid_worker, cast.auditor):
            assert cast.client(user).get(url).status_code == 200, user
        html = cast.client(cast.director).get(url).content.decode()
        assert "清理楼院卫生死角" in html and "门店门前三包" in html
        # The standards a task serves link to them.
        assert f'href="/campaigns/indicators/{tree.sweep.pk}/"' in html
        assert f'href="/campaigns/phases/{phase_named("集中整治").pk}/edit/"' in html

    def test_it_shows_a_grid_worker_their_grids_tasks_without_the_forms(self, cast, plan):
        response = cast.client(cast.grid_worker).get(f"/campaigns/plans/{plan.pk}/")
        html = response.content.decode()
        assert "清理楼院卫生死角" in html
        assert "门店门前三包" not in html
        assert "/phases/new/" not in html and "/edit/" not in html
        # Their own task: the report form, offering what an owner may report.
        own = task_named("清理楼院卫生死角")
        assert f'action="/campaigns/tasks/{own.pk}/status/"' in html
        assert [value for value, _label in response.context["status_choices"]] == ["doing", "done"]

    def test_it_refuses_who_does_not_work_on_the_campaign(self, cast, plan):
        url = f"/campaigns/plans/{plan.pk}/"
        assert cast.client(cast.outsider).get(url).status_code == 404
        assert cast.client(cast.building_leader).get(url).status_code == 403
        assert cast.client(cast.resident).get(url).status_code == 403
        response = cast.client(None).get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
        assert cast.client(cast.director).get("/campaigns/plans/999999/").status_code == 404

    def test_it_answers_htmx_with_the_plans_body(self, cast, plan):
        response = cast.client(cast.director).get(f"/campaigns/plans/{plan.pk}/", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert html.startswith('<section id="plan-body"')
        assert "<html" not in html

    def test_it_reads_the_plan_in_a_fixed_number_of_queries(self, cast, tree, plan):
        client = cast.client(cast.director)
        urls = [f"/campaigns/plans/{plan.pk}/"]
        few = query_counts(client, urls)
        phase = make_phase(plan, "迎检", datetime.date(2014, 10, 1), datetime.date(2014, 10, 31), kind="assessment")
        for n in range(6):
            make_task(
                plan, phase, f"迎检准备{n}", cast.grid_leader, cast.grid1 if n % 2 else cast.home,
                datetime.date(2014, 10, 1), datetime.date(2014, 10, 20), indicators=[tree.ledger, tree.closure],
            )  # fmt: skip
        many = query_counts(client, urls)
        assert many == few


class PlanCreateTests:
    def test_it_creates_a_plan_and_opens_it(self, cast, tree):
        client = cast.client(cast.director)
        url = f"/campaigns/{tree.campaign.pk}/plans/new/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"name": " 创建工作计划 "})
        plan = WorkPlan.objects.get(campaign=tree.campaign)
        assert plan.name == "创建工作计划"
        assert response.status_code == 302 and response["Location"] == f"/campaigns/plans/{plan.pk}/"
        assert AuditEvent.objects.filter(action="work_plan.create").count() == 1

    def test_it_refuses_a_duplicate_or_empty_name(self, cast, tree):
        make_plan(tree.campaign, "计划")
        client = cast.client(cast.director)
        response = client.post(f"/campaigns/{tree.campaign.pk}/plans/new/", {"name": "计划"})
        assert response.status_code == 200
        assert "This campaign already has a work plan with this name." in response.content.decode()
        response = client.post(f"/campaigns/{tree.campaign.pk}/plans/new/", {"name": ""})
        assert "This field is required." in response.content.decode()
        assert WorkPlan.objects.filter(campaign=tree.campaign).count() == 1

    def test_it_lets_only_those_who_run_the_campaign_create_one(self, cast, tree):
        url = f"/campaigns/{tree.campaign.pk}/plans/new/"
        assert cast.client(cast.grid_leader).post(url, {"name": "计划"}).status_code == 403
        assert cast.client(cast.auditor).post(url, {"name": "计划"}).status_code == 403
        assert cast.client(cast.outsider).post(url, {"name": "计划"}).status_code == 404
        assert cast.client(None).post(url, {"name": "计划"}).status_code == 302
        assert not WorkPlan.objects.exists()


def phase_data(**changes) -> dict:
    return {"name": "动员部署", "kind": "mobilisation", "starts_on": "2014-06-01", "ends_on": "2014-06-15", **changes}


class PhaseFormTests:
    def test_it_adds_a_phase(self, cast, plan):
        client = cast.client(cast.director)
        url = f"/campaigns/plans/{plan.pk}/phases/new/"
        assert client.get(url).status_code == 200
        response = client.post(url, phase_data())
        phase = phase_named("动员部署")
        assert response["Location"] == f"/campaigns/plans/{plan.pk}/#phase-{phase.pk}"
        assert (phase.kind, phase.starts_on, phase.ends_on, phase.order) == (
            "mobilisation", START, datetime.date(2014, 6, 15), 3
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"ends_on": "2014-11-05"}, "The date must lie within the campaign (2014-06-01 to 2014-10-31)."),
            ({"starts_on": "2014-05-20"}, "The date must lie within the campaign (2014-06-01 to 2014-10-31)."),
            ({"starts_on": "2014-06-20"}, "The end date is before the start date."),
            ({"name": "  "}, "This field is required."),
            ({"kind": "party"}, "Select a valid choice."),
            ({"ends_on": "2014-02-30"}, "Enter a valid date."),
            ({"order": "99999999999999999999"}, "Ensure this value is less than or equal to 32767."),
        ],
    )
    def test_it_refuses_bad_input_and_writes_nothing(self, cast, plan, changes, message):
        before = Phase.objects.count()
        response = cast.client(cast.director).post(f"/campaigns/plans/{plan.pk}/phases/new/", phase_data(**changes))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Phase.objects.count() == before

    def test_it_refuses_days_no_office_means_on_both_dates_at_once(self, cast, plan):
        before = Phase.objects.count()
        response = cast.client(cast.director).post(
            f"/campaigns/plans/{plan.pk}/phases/new/", phase_data(starts_on="0001-01-01", ends_on="9999-12-31")
        )
        errors = response.context["form"].errors
        assert errors["starts_on"] == errors["ends_on"] == ["Choose a date between 1900 and 2100."]
        assert Phase.objects.count() == before

    def test_it_keeps_a_phases_tasks_within_its_dates(self, cast, plan):
        phase = phase_named("集中整治")
        response = cast.client(cast.director).post(
            f"/campaigns/phases/{phase.pk}/edit/",
            phase_data(name="集中整治", kind="remediation", starts_on="2014-06-01", ends_on="2014-07-31"),
        )
        assert "Tasks of this phase lie outside these dates." in response.content.decode()
        phase.refresh_from_db()
        assert phase.ends_on == datetime.date(2014, 8, 31)

    def test_it_changes_a_phase(self, cast, plan):
        phase = phase_named("巩固提升")
        client = cast.client(cast.director)
        assert client.get(f"/campaigns/phases/{phase.pk}/edit/").status_code == 200
        response = client.post(
            f"/campaigns/phases/{phase.pk}/edit/",
            phase_data(
                name="巩固提升阶段", kind="consolidation", starts_on="2014-09-01", ends_on="2014-10-15", order=5
            ),
        )
        assert response.status_code == 302
        phase.refresh_from_db()
        assert (phase.name, phase.ends_on, phase.order) == ("巩固提升阶段", datetime.date(2014, 10, 15), 5)

    def test_it_deletes_only_a_phase_without_tasks(self, cast, plan):
        client = cast.client(cast.director)
        busy, empty = phase_named("集中整治"), phase_named("巩固提升")
        response = client.post(f"/campaigns/phases/{busy.pk}/delete/", follow=True)
        assert "Move or remove the phase&#x27;s tasks first." in response.content.decode()
        assert Phase.objects.filter(pk=busy.pk).exists()
        response = client.post(f"/campaigns/phases/{empty.pk}/delete/")
        assert response.status_code == 302
        assert not Phase.objects.filter(pk=empty.pk).exists()
        assert client.get(f"/campaigns/phases/{busy.pk}/delete/").status_code == 405

    def test_it_lets_only_those_who_run_the_campaign_change_phases(self, cast, plan):
        phase = phase_named("巩固提升")
        for user, status in ((cast.grid_leader, 403), (cast.grid_worker, 403), (cast.outsider, 404)):
            client = cast.client(user)
            assert client.post(f"/campaigns/plans/{plan.pk}/phases/new/", phase_data()).status_code == status
            assert client.post(f"/campaigns/phases/{phase.pk}/edit/", phase_data()).status_code == status
            assert client.post(f"/campaigns/phases/{phase.pk}/delete/").status_code == status
        assert cast.client(None).post(f"/campaigns/phases/{phase.pk}/delete/").status_code == 302
        assert Phase.objects.filter(plan=plan).count() == 2
        assert phase_named("巩固提升").ends_on == datetime.date(2014, 9, 30)


def task_data(cast, phase, **changes) -> dict:
    data = {
        "phase": phase.pk,
        "title": "垃圾桶补齐",
        "owner": cast.grid_worker.pk,
        "area": cast.grid1.pk,
        "starts_on": "2014-06-20",
        "due_on": "2014-06-30",
        "note": "每栋楼两个",
    }
    return {**data, **changes}


class TaskFormTests:
    def test_it_adds_a_task_with_the_standards_it_serves(self, cast, tree, plan):
        phase = phase_named("集中整治")
        client = cast.client(cast.director)
        page = client.get(f"/campaigns/plans/{plan.pk}/tasks/new/?phase={phase.pk}")
        assert page.status_code == 200
        assert page.context["form"].initial["phase"] == phase.pk
        response = client.post(
            f"/campaigns/plans/{plan.pk}/tasks/new/", task_data(cast, phase, indicators=[tree.bins.pk, tree.ledger.pk])
        )
        task = task_named("垃圾桶补齐")
        assert response["Location"] == f"/campaigns/plans/{plan.pk}/#task-{task.pk}"
        assert (task.owner, task.area, task.due_on, task.note) == (
            cast.grid_worker, cast.grid1, datetime.date(2014, 6, 30), "每栋楼两个"
        )  # fmt: skip
        assert set(task.indicators.all()) == {tree.bins, tree.ledger}

    def test_it_refuses_bad_input_and_writes_nothing(self, cast, tree, plan):
        other = services.campaign_create(
            actor=None, community=cast.home, name="另一活动", starts_on=START, ends_on=END, areas=[cast.grid1]
        )
        foreign = services.indicator_save(actor=None, campaign=other, level="item", code="9", text="别的", points=1)
        phase = phase_named("集中整治")
        later = phase_named("巩固提升")
        bad = [
            ({"due_on": "2014-09-10"}, "The task&#x27;s dates must lie within its phase (2014-06-01 to 2014-08-31)."),
            ({"starts_on": "2014-06-25", "due_on": "2014-06-20"}, "The end date is before the start date."),
            ({"owner": cast.outsider.pk}, "No such person among the staff of your areas."),
            ({"owner": cast.resident.pk}, "No such person among the staff of your areas."),
            ({"area": cast.next_grid.pk}, "Choose the community or a grid taking part."),
            ({"indicators": [foreign.pk]}, "Choose standards of this campaign."),
            ({"indicators": [tree.item1.pk]}, "Choose standards of this campaign."),
            ({"indicators": ["99999999999999999999"]}, "Choose standards of this campaign."),
            ({"indicators": [str(2**31)]}, "Choose standards of this campaign."),
            ({"indicators": ["²", "-1"]}, "Choose standards of this campaign."),
            ({"phase": Phase.objects.create(plan=make_plan(tree.campaign, "第二份"), name="外", starts_on=START,
                                            ends_on=END).pk}, "Choose a phase of this work plan."),
            ({"title": ""}, "This field is required."),
            ({"phase": later.pk}, "The task&#x27;s dates must lie within its phase (2014-09-01 to 2014-09-30)."),
        ]  # fmt: skip
        client = cast.client(cast.director)
        before = PlanTask.objects.count()
        for changes, message in bad:
            response = client.post(f"/campaigns/plans/{plan.pk}/tasks/new/", {**task_data(cast, phase), **changes})
            assert response.status_code == 200, changes
            assert message in response.content.decode(), changes
        assert PlanTask.objects.count() == before

    def test_it_refuses_days_no_office_means_on_both_dates_at_once(self, cast, plan):
        phase = phase_named("集中整治")
        before = PlanTask.objects.count()
        response = cast.client(cast.director).post(
            f"/campaigns/plans/{plan.pk}/tasks/new/",
            task_data(cast, phase, starts_on="1899-12-31", due_on="2101-01-01"),
        )
        errors = response.context["form"].errors
        assert errors["starts_on"] == errors["due_on"] == ["Choose a date between 1900 and 2100."]
        assert PlanTask.objects.count() == before

    def test_it_refuses_a_grid_that_does_not_take_part(self, cast):
        campaign = services.campaign_create(
            actor=None, community=cast.home, name="一网格试点", starts_on=START, ends_on=END, areas=[cast.grid1]
        )
        plan = make_plan(campaign)
        phase = make_phase(plan, "试点", START, END)
        client = cast.client(cast.director)
        response = client.post(f"/campaigns/plans/{plan.pk}/tasks/new/", task_data(cast, phase, area=cast.grid2.pk))
        assert "Choose the community or a grid taking part." in response.content.decode()
        assert not PlanTask.objects.exists()
        # The community itself always takes part.
        response = client.post(f"/campaigns/plans/{plan.pk}/tasks/new/", task_data(cast, phase, area=cast.home.pk))
        assert response.status_code == 302
        assert PlanTask.objects.get(phase=phase).area == cast.home

    def test_it_changes_a_task(self, cast, tree, plan):
        task = task_named("清理楼院卫生死角")
        client = cast.client(cast.director)
        page = client.get(f"/campaigns/tasks/{task.pk}/edit/")
        assert page.status_code == 200
        assert set(page.context["form"].initial["indicators"]) == {tree.sweep, tree.bins}
        response = client.post(
            f"/campaigns/tasks/{task.pk}/edit/",
            task_data(cast, task.phase, title="清理卫生死角", due_on="2014-07-20", indicators=[tree.sweep.pk]),
        )
        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.title, task.due_on) == ("清理卫生死角", datetime.date(2014, 7, 20))
        assert list(task.indicators.all()) == [tree.sweep]

    def test_it_lets_only_those_who_run_the_campaign_add_and_change_tasks(self, cast, plan):
        phase = phase_named("集中整治")
        own, other_grid = task_named("清理楼院卫生死角"), task_named("门店门前三包")
        grid_worker = cast.client(cast.grid_worker)
        assert grid_worker.post(f"/campaigns/plans/{plan.pk}/tasks/new/", task_data(cast, phase)).status_code == 403
        assert grid_worker.get(f"/campaigns/tasks/{own.pk}/edit/").status_code == 403
        assert grid_worker.post(f"/campaigns/tasks/{own.pk}/edit/", task_data(cast, phase)).status_code == 403
        # Another grid's task is not the grid worker's to see.
        assert grid_worker.get(f"/campaigns/tasks/{other_grid.pk}/edit/").status_code == 404
        assert cast.client(cast.outsider).get(f"/campaigns/tasks/{own.pk}/edit/").status_code == 404
        assert cast.client(cast.outsider).get(f"/campaigns/plans/{plan.pk}/tasks/new/").status_code == 404
        assert cast.client(None).get(f"/campaigns/tasks/{own.pk}/edit/").status_code == 302
        assert PlanTask.objects.count() == 2
        assert task_named("清理楼院卫生死角").title == "清理楼院卫生死角"


class TaskStatusTests:
    def test_it_lets_the_owner_report_progress_and_completion(self, cast, plan):
        task = task_named("清理楼院卫生死角")
        client = cast.client(cast.grid_worker)
        response = client.post(f"/campaigns/tasks/{task.pk}/status/", {"status": "doing"})
        assert response["Location"] == f"/campaigns/plans/{plan.pk}/#task-{task.pk}"
        task.refresh_from_db()
        assert task.status == "doing"
        response = client.post(
            f"/campaigns/tasks/{task.pk}/status/",
            {"status": "done", "done_on": "2014-07-08"},
            headers={"HX-Request": "true"},
        )
        html = response.content.decode()
        assert response.status_code == 200 and html.startswith('<section id="plan-body"')
        assert "清理楼院卫生死角: done." in html
        task.refresh_from_db()
        assert (task.status, task.done_on) == ("done", datetime.date(2014, 7, 8))
        bar = response.context["gantt"].phases[0].tasks[0]
        assert (bar.task.pk, bar.state) == (task.pk, "done")
        assert AuditEvent.objects.filter(action="plan_task.status", actor=cast.grid_worker).count() == 2

    def test_it_takes_done_without_a_day_as_done_today(self, cast, plan):
        task = task_named("清理楼院卫生死角")
        cast.client(cast.grid_worker).post(f"/campaigns/tasks/{task.pk}/status/", {"status": "done", "done_on": ""})
        task.refresh_from_db()
        assert (task.status, task.done_on) == ("done", timezone.localdate())

    def test_it_refuses_a_bad_report_and_writes_nothing(self, cast, plan):
        task = task_named("清理楼院卫生死角")
        client = cast.client(cast.grid_worker)
        tomorrow = timezone.localdate() + DAY
        cases = [
            ({"status": "done", "done_on": tomorrow.isoformat()}, "A task cannot be done in the future."),
            ({"status": "done", "done_on": "2014-06-01"}, "A task cannot be done before it starts."),
            ({"status": "cancelled"}, "Select a valid choice."),  # cancelling is the director's
            ({"status": "finished"}, "Select a valid choice."),
            ({"status": "done", "done_on": "0001-01-01"}, "Choose a date between 1900 and 2100."),
        ]
        for data, message in cases:
            response = client.post(f"/campaigns/tasks/{task.pk}/status/", data, headers={"HX-Request": "true"})
            assert message in response.content.decode(), data
            response = client.post(f"/campaigns/tasks/{task.pk}/status/", data, follow=True)
            assert message in response.content.decode(), data
        task.refresh_from_db()
        assert (task.status, task.done_on) == ("todo", None)
        assert not AuditEvent.objects.filter(action="plan_task.status").exists()

    def test_it_refuses_everyone_but_the_owner_and_those_who_run_the_campaign(self, cast, plan):
        task = task_named("清理楼院卫生死角")
        colleague = grid_worker_of(cast.grid1, "colleague", "网格员庚")
        neighbour = grid_worker_of(cast.grid2, "neighbour", "网格员辛")
        url = f"/campaigns/tasks/{task.pk}/status/"
        assert cast.client(colleague).post(url, {"status": "doing"}).status_code == 403
        assert cast.client(cast.grid_leader).post(url, {"status": "doing"}).status_code == 403
        assert cast.client(cast.auditor).post(url, {"status": "doing"}).status_code == 403
        assert cast.client(neighbour).post(url, {"status": "doing"}).status_code == 404
        assert cast.client(cast.outsider).post(url, {"status": "doing"}).status_code == 404
        assert cast.client(cast.building_leader).post(url, {"status": "doing"}).status_code == 403
        assert cast.client(None).post(url, {"status": "doing"}).status_code == 302
        assert cast.client(cast.grid_worker).get(url).status_code == 405
        task.refresh_from_db()
        assert task.status == "todo"
        # The colleague's page offers no report form for a task that is not theirs.
        html = cast.client(colleague).get(f"/campaigns/plans/{plan.pk}/").content.decode()
        assert "清理楼院卫生死角" in html and f'action="{url}"' not in html

    def test_it_lets_the_director_cancel_and_reopen_any_task(self, cast, plan):
        task = task_named("清理楼院卫生死角")
        client = cast.client(cast.director)
        client.post(f"/campaigns/tasks/{task.pk}/status/", {"status": "cancelled"})
        task.refresh_from_db()
        assert task.status == "cancelled"
        client.post(f"/campaigns/tasks/{task.pk}/status/", {"status": "todo"})
        task.refresh_from_db()
        assert task.status == "todo"
