"""The work plan pages (工作计划表): a plan's phases and tasks as a table and as a timeline drawn on the server
(a Gantt chart), the phase and task forms of those who run the campaign, and the owners' reports on their tasks.

Everyone who works on the campaign reads its plans; a grid's staff see the tasks of their grid (the one scoping
mechanism). Writes go through the services, which check role and scope again and audit.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES
from wangge.campaigns import selectors, services
from wangge.campaigns.models import (
    OPEN_TASK_STATES,
    Campaign,
    CampaignStatus,
    Indicator,
    Phase,
    PlanTask,
    TaskStatus,
    WorkPlan,
)
from wangge.campaigns.plan_forms import PhaseForm, PlanForm, TaskForm, TaskStatusForm
from wangge.campaigns.views import campaign_page
from wangge.core.htmx import wants_partial
from wangge.territory.forms import add_service_errors

PLAN_PARTIAL = "campaigns/partials/plan_body.html"
OVERDUE = "overdue"


# The timeline


def _percent(value: float) -> str:
    """A position on the timeline as CSS wants it (a dot, whatever the language), kept within the chart."""
    return f"{max(0.0, min(100.0, value)):.2f}"


@dataclass(frozen=True)
class Span:
    """The days a timeline shows (both ends included) and where a day or a run of days sits on it."""

    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def days(self) -> int:
        return max((self.ends_on - self.starts_on).days + 1, 1)

    def left(self, day: datetime.date) -> str:
        """Where `day` begins, in % of the span."""
        return _percent((day - self.starts_on).days / self.days * 100)

    def width(self, first: datetime.date, last: datetime.date) -> str:
        """How much of the span the days `first` to `last` (both included) take, in %."""
        return _percent(((last - first).days + 1) / self.days * 100)

    def contains(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Tick:
    """A month's first day on the timeline's axis."""

    day: datetime.date
    left: str


def next_month(first: datetime.date) -> datetime.date | None:
    """The first day of the month after `first`'s, or None past the calendar's last month (9999-12)."""
    if first.month < 12:
        return first.replace(day=1, month=first.month + 1)
    if first.year < datetime.MAXYEAR:
        return datetime.date(first.year + 1, 1, 1)
    return None


def month_ticks(span: Span) -> list[Tick]:
    """The first days of the months inside the span (every quarter's, or every year's, on a long span)."""
    firsts = []
    month: datetime.date | None = span.starts_on.replace(day=1)
    while month is not None and month <= span.ends_on:
        if month >= span.starts_on:
            firsts.append(month)
        month = next_month(month)
    # A label needs room: about a dozen ticks fit the chart's narrowest width.
    step = 1 if len(firsts) <= 12 else 3 if len(firsts) <= 36 else 12
    if step > 1:
        firsts = [day for day in firsts if (day.month - 1) % step == 0]
    return [Tick(day, span.left(day)) for day in firsts]


def task_state(task: PlanTask, today: datetime.date) -> str:
    """How a task stands today: its status, or overdue when it is still open after its due day."""
    if task.status in OPEN_TASK_STATES and task.due_on < today:
        return OVERDUE
    return task.status


STATE_LABELS = {
    TaskStatus.TODO: TaskStatus.TODO.label,
    TaskStatus.DOING: TaskStatus.DOING.label,
    TaskStatus.DONE: TaskStatus.DONE.label,
    TaskStatus.CANCELLED: TaskStatus.CANCELLED.label,
}


@dataclass
class TaskBar:
    """One task on the timeline: where its bar sits and how it stands."""

    task: PlanTask
    state: str
    left: str
    width: str

    @property
    def state_label(self) -> str:
        return _("overdue") if self.state == OVERDUE else str(STATE_LABELS.get(self.state, self.state))


@dataclass
class PhaseRow:
    """One phase on the timeline: its band and its tasks' bars."""

    phase: Phase
    left: str
    width: str
    tasks: list[TaskBar] = field(default_factory=list)


@dataclass
class Gantt:
    """The timeline of a work plan over its campaign's days, and the counts the page heads it with."""

    span: Span
    ticks: list[Tick]
    today: datetime.date
    today_left: str | None
    phases: list[PhaseRow]

    @property
    def counts(self) -> dict[str, int]:
        """How many tasks stand in each state (overdue ones counted as overdue only)."""
        counts = dict.fromkeys([*TaskStatus.values, OVERDUE], 0)
        for row in self.phases:
            for bar in row.tasks:
                counts[bar.state] += 1
        return counts

    @property
    def task_count(self) -> int:
        return sum(len(row.tasks) for row in self.phases)


def gantt(campaign: Campaign, phases: list[Phase], tasks: list[PlanTask], today: datetime.date) -> Gantt:
    """The plan's phases as bands and tasks as bars, placed by their dates on the campaign's span, as of `today`."""
    span = Span(campaign.starts_on, campaign.ends_on)
    rows = {
        phase.pk: PhaseRow(phase, span.left(phase.starts_on), span.width(phase.starts_on, phase.ends_on))
        for phase in phases
    }
    for task in tasks:
        row = rows.get(task.phase_id)
        if row is not None:
            bar = TaskBar(
                task, task_state(task, today), span.left(task.starts_on), span.width(task.starts_on, task.due_on)
            )
            row.tasks.append(bar)
    # The line marks the middle of today's column.
    today_left = _percent(((today - span.starts_on).days + 0.5) / span.days * 100) if span.contains(today) else None
    return Gantt(span, month_ticks(span), today, today_left, list(rows.values()))


# Reads shared by the pages


def _plan(user: User, pk: int) -> WorkPlan:
    """A work plan of a campaign the user works on (404 otherwise), with its campaign."""
    plan = get_object_or_404(WorkPlan, pk=pk)
    plan.campaign = selectors.campaign_for(user, plan.campaign_id)
    return plan


def _check_runs(user: User, campaign: Campaign) -> None:
    """Only those who run the campaign change its plan (403 before any form is shown)."""
    if not selectors.may_run(user, campaign):
        raise PermissionDenied


def _may_report(user: User, task: PlanTask, runs: bool, campaign: Campaign) -> bool:
    """Whether the user reports on the task: its owner working in the field there, or someone who runs the campaign
    (not once the campaign has ended)."""
    if campaign.status == CampaignStatus.CLOSED:
        return False
    if runs:
        return True
    return task.owner_id == user.pk and bool(user.is_superuser or user.roles_at(task.area_path) & INSPECT_ROLES)


def _plan_context(request: HttpRequest, plan: WorkPlan, **extra: Any) -> dict[str, Any]:
    """What the plan's page and its body show: the timeline, the tasks by phase, and what the user may do."""
    user = request.user
    campaign = plan.campaign
    runs = selectors.may_change(user, campaign)
    phases = list(plan.phases.order_by("order", "starts_on", "id"))
    tasks = list(
        PlanTask.objects.for_user(user)
        .filter(plan=plan)
        .select_related("owner", "area")
        .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")))
        .order_by("starts_on", "due_on", "id")
    )
    for task in tasks:
        task.reportable = _may_report(user, task, runs, campaign)
    status_choices = TaskStatusForm(runs=runs).fields["status"].choices
    timeline = gantt(campaign, phases, tasks, timezone.localdate())
    return {
        "campaign": campaign,
        "plan": plan,
        "gantt": timeline,
        "counts": timeline.counts,
        "may_run": runs,
        "status_choices": status_choices,
        **extra,
    }


def _back_to_plan(plan: WorkPlan, anchor: str = "") -> HttpResponse:
    return redirect(reverse("campaigns:plan_detail", args=[plan.pk]) + (f"#{anchor}" if anchor else ""))


# Pages


@campaign_page
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The work plan table (工作计划表): its timeline, then its tasks by phase with owner, area, dates, status and
    the standards they serve; the forms for those who run the campaign, the report form for each task's owner."""
    plan = _plan(request.user, pk)
    context = _plan_context(request, plan)
    if wants_partial(request):
        return render(request, PLAN_PARTIAL, context)
    context["plans"] = list(selectors.plans_of(plan.campaign))
    return render(request, "campaigns/plan_detail.html", context)


@campaign_page
def plan_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new work plan of the campaign (its name; the overview page posts here), then its page."""
    campaign = selectors.campaign_for(request.user, pk)
    _check_runs(request.user, campaign)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.work_plan_create(actor=request.user, campaign=campaign, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Work plan %(name)s created: add its phases.") % {"name": plan.name})
            return _back_to_plan(plan)
    return render(request, "campaigns/plan_form.html", {"campaign": campaign, "form": form})


def _phase_page(request: HttpRequest, plan: WorkPlan, form: PhaseForm, phase: Phase | None) -> HttpResponse:
    return render(
        request, "campaigns/phase_form.html", {"campaign": plan.campaign, "plan": plan, "form": form, "phase": phase}
    )


@campaign_page
def phase_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a phase to the plan: named, of a kind, dated inside the campaign."""
    plan = _plan(request.user, pk)
    _check_runs(request.user, plan.campaign)
    form = PhaseForm(request.POST or None, campaign=plan.campaign)
    if request.method == "POST" and form.is_valid():
        try:
            phase = services.phase_save(actor=request.user, plan=plan, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Phase %(name)s added.") % {"name": phase.name})
            return _back_to_plan(plan, f"phase-{phase.pk}")
    return _phase_page(request, plan, form, None)


def _phase(user: User, pk: int) -> tuple[Phase, WorkPlan]:
    """A phase of a plan the user may read (404 otherwise), with its plan."""
    phase = get_object_or_404(Phase, pk=pk)
    return phase, _plan(user, phase.plan_id)


@campaign_page
def phase_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a phase's name, kind, dates or order; its tasks must still lie within its dates."""
    phase, plan = _phase(request.user, pk)
    _check_runs(request.user, plan.campaign)
    # The form works on a copy; the service reads the stored phase and records before and after.
    form = PhaseForm(request.POST or None, instance=Phase.objects.get(pk=phase.pk), campaign=plan.campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_save(actor=request.user, plan=plan, phase=phase, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Phase %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return _back_to_plan(plan, f"phase-{phase.pk}")
    return _phase_page(request, plan, form, phase)


@campaign_page
@require_POST
def phase_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a phase that has no tasks (the service says what to do otherwise)."""
    phase, plan = _phase(request.user, pk)
    _check_runs(request.user, plan.campaign)
    try:
        services.phase_delete(actor=request.user, phase=phase)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to_plan(plan, f"phase-{phase.pk}")
    messages.success(request, _("Phase %(name)s deleted.") % {"name": phase.name})
    return _back_to_plan(plan)


def _task_page(request: HttpRequest, plan: WorkPlan, form: TaskForm, task: PlanTask | None) -> HttpResponse:
    return render(
        request, "campaigns/task_form.html", {"campaign": plan.campaign, "plan": plan, "form": form, "task": task}
    )


@campaign_page
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a task to a phase of the plan (?phase= chooses it): owner, area, dates within the phase, standards."""
    plan = _plan(request.user, pk)
    _check_runs(request.user, plan.campaign)
    initial = {}
    phase = request.GET.get("phase", "")
    if phase.isascii() and phase.isdigit():
        initial["phase"] = int(phase)
    form = TaskForm(request.POST or None, initial=initial, plan=plan, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_save(actor=request.user, plan=plan, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task %(title)s added.") % {"title": task.title})
            return _back_to_plan(plan, f"task-{task.pk}")
    return _task_page(request, plan, form, None)


def _task(user: User, pk: int) -> tuple[PlanTask, WorkPlan]:
    """A task the user may see (their grid's, for a grid's staff; 404 otherwise), with its plan."""
    task = get_object_or_404(PlanTask.objects.for_user(user), pk=pk)
    return task, _plan(user, task.plan_id)


@campaign_page
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a task: its phase, title, owner, area, dates, standards or note."""
    task, plan = _task(request.user, pk)
    _check_runs(request.user, plan.campaign)
    form = TaskForm(request.POST or None, instance=PlanTask.objects.get(pk=task.pk), plan=plan, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_save(actor=request.user, plan=plan, task=task, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task %(title)s saved.") % {"title": form.cleaned_data["title"]})
            return _back_to_plan(plan, f"task-{task.pk}")
    return _task_page(request, plan, form, task)


@campaign_page
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Report on a task: in progress, done (on a day) or cancelled. With htmx the plan's body answers."""
    task, plan = _task(request.user, pk)
    runs = selectors.may_run(request.user, plan.campaign)
    if not _may_report(request.user, task, runs, plan.campaign):
        raise PermissionDenied
    form = TaskStatusForm(request.POST, runs=runs)
    notice = problem = ""
    if form.is_valid():
        try:
            task = services.task_set_status(
                actor=request.user, task=task, status=form.cleaned_data["status"], done_on=form.cleaned_data["done_on"]
            )
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            notice = _("%(title)s: %(status)s.") % {"title": task.title, "status": task.get_status_display()}
    else:
        problem = " ".join(message for errors in form.errors.values() for message in errors)
    if wants_partial(request):
        return render(request, PLAN_PARTIAL, _plan_context(request, plan, notice=notice, problem=problem))
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, notice)
    return _back_to_plan(plan, f"task-{task.pk}")
