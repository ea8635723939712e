"""Writes of campaigns: the campaign, its indicator tree, the decomposition, the work plan, evidence, scores.

Every function is atomic, checks the actor's role and scope, and records an audit event. Running a campaign
(the tree, the decomposition, the plan) is the director's (CAMPAIGN_ROLES); the grid staff file evidence,
score and report on what they answer for.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import CAMPAIGN_ROLES, INSPECT_ROLES, Action
from wangge.campaigns import documents, selectors
from wangge.campaigns.models import (
    CHILD_LEVEL,
    LINK_FIELDS,
    OPEN_TASK_STATES,
    UPLOAD_KINDS,
    Campaign,
    CampaignStatus,
    Evidence,
    EvidenceKind,
    Indicator,
    IndicatorAssignment,
    Level,
    Phase,
    PhaseKind,
    PlanTask,
    Scoring,
    TaskStatus,
    WorkPlan,
)
from wangge.cases.models import Case, Category
from wangge.core import audit, notifications
from wangge.core.scoping import check_actor_may
from wangge.core.validators import validate_calendar_date
from wangge.inspections.models import Inspection
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind, Compound, LeadershipGroup

# What a task's owner may report; the rest (cancelled, not started) changes the plan.
OWNER_STATES = (TaskStatus.DOING, TaskStatus.DONE)
CAMPAIGN_FIELDS = (
    "name",
    "issuer",
    "starts_on",
    "ends_on",
    "description",
    "total_points",
    "leadership_group",
    "public",
)
MAX_TEXT = 2000


# Checks shared by the writes


def check_runs(actor: User | None, community: Area) -> None:
    """The actor runs campaigns in `community`: its director, or the subdistrict above (the system may)."""
    if actor is None:
        return
    check_actor_may(actor, Action.CHANGE, community.path)
    if not actor.is_superuser and not actor.roles_at(community.path) & CAMPAIGN_ROLES:
        raise PermissionDenied(_("Only the community director runs a campaign."))


def check_open(campaign: Campaign) -> None:
    """A campaign that ended is a record: its tree, decomposition, plan, scores and evidence no longer change
    (the director reopens it to correct something, which the audit log shows)."""
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("This campaign has ended and its records no longer change. Reopen it first."))


def _check_field_role(actor: User | None, path: str) -> None:
    """The actor works in the field at `path` (files evidence, reports on tasks): office or grid staff there."""
    if actor is None:
        return
    check_actor_may(actor, Action.CHANGE, path)
    if not actor.is_superuser and not actor.roles_at(path) & INSPECT_ROLES:
        raise PermissionDenied(_("You do not work on this campaign in this area."))


def _record(actor: User | None, action: str, instance: Any, before: dict | None) -> None:
    audit.record(actor=actor, action=action, instance=instance, before=before, after=audit.snapshot(instance))


def _check_day(day: datetime.date | None, field: str) -> None:
    """A date an office could mean (far-off years overflow the date arithmetic of pages and scores)."""
    try:
        validate_calendar_date(day)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _codes(rows: Any) -> list[str]:
    """The codes of many-to-many rows (grids, standards), for an audit event's before and after."""
    return sorted(row.code for row in rows)


def _check_period(starts_on: datetime.date, ends_on: datetime.date, *, field: str = "ends_on") -> None:
    _check_day(starts_on, "starts_on")
    _check_day(ends_on, field)
    if ends_on < starts_on:
        raise ValidationError({field: _("The end date is before the start date.")})


def _check_within(campaign: Campaign, day: datetime.date | None, field: str) -> None:
    """A date of the campaign's plan lies inside the campaign's period."""
    if day is not None and not campaign.starts_on <= day <= campaign.ends_on:
        raise ValidationError(
            {
                field: _("The date must lie within the campaign (%(start)s to %(end)s).")
                % {"start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()}
            }
        )


def _check_person(actor: User | None, person: User, field: str, area: Area) -> None:
    """A responsible person is someone the actor may name (staff of or above the actor's areas) who works in
    the field where the work is: staff of that grid (or above it), or, for the community's own work, office or
    grid staff of the community; so they can file the evidence and report back."""
    if actor is not None and not territory_selectors.people_for(actor).filter(pk=person.pk).exists():
        raise ValidationError({field: _("No such person among the staff of your areas.")})
    prefixes = person.area_prefixes(Action.CHANGE, roles=INSPECT_ROLES)
    community_work = area.kind == AreaKind.COMMUNITY
    if prefixes is not None and not any(
        area.path.startswith(p) or (community_work and p.startswith(area.path)) for p in prefixes
    ):
        raise ValidationError(
            {field: _("%(name)s is not office or grid staff of %(area)s.") % {"name": person, "area": area.name}}
        )


def _check_area(campaign: Campaign, area: Area, field: str = "area") -> None:
    """`area` takes part in the campaign: the community itself, or one of the grids taking part."""
    if area.pk == campaign.community_id:
        return
    if not campaign.areas.filter(pk=area.pk).exists():
        raise ValidationError({field: _("%(area)s does not take part in this campaign.") % {"area": area.name}})


def _as_points(value: Any, field: str = "points") -> Decimal:
    try:
        points = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number of points.")}) from None
    if not points.is_finite() or points < 0 or points >= Decimal("100000"):
        raise ValidationError({field: _("Points must be between 0 and 99999.")})
    return points


# Campaigns


def _clean_campaign(campaign: Campaign) -> None:
    campaign.name = (campaign.name or "").strip()
    if not campaign.name:
        raise ValidationError({"name": _("A campaign needs a name.")})
    _check_period(campaign.starts_on, campaign.ends_on)
    if campaign.total_points is not None:
        campaign.total_points = _as_points(campaign.total_points, "total_points")
    group = campaign.leadership_group
    if group is not None and group.area_id != campaign.community_id:
        raise ValidationError({"leadership_group": _("The leadership group must be this community's.")})


def _set_areas(campaign: Campaign, areas: list[Area] | None) -> None:
    """The grids taking part: those given (every one a grid of the community), or all the community's grids."""
    grids = Area.objects.filter(kind=AreaKind.GRID, parent=campaign.community)
    if areas is None:
        campaign.areas.set(grids)
        return
    outside = [a.name for a in areas if a.kind != AreaKind.GRID or a.parent_id != campaign.community_id]
    if outside:
        raise ValidationError({"areas": _("Not a grid of this community: %(names)s") % {"names": "、".join(outside)}})
    removed = set(campaign.areas.values_list("pk", flat=True)) - {a.pk for a in areas}
    if removed and campaign.pk:
        in_use = (
            IndicatorAssignment.objects.filter(indicator__campaign=campaign, area_id__in=removed).exists()
            or PlanTask.objects.filter(plan__campaign=campaign, area_id__in=removed).exists()
        )
        if in_use:
            raise ValidationError({"areas": _("A grid with assignments or tasks cannot leave the campaign.")})
    campaign.areas.set(areas)


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    community: Area,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    issuer: str = "",
    description: str = "",
    total_points: Decimal | None = None,
    leadership_group: LeadershipGroup | None = None,
    public: bool = False,
    areas: list[Area] | None = None,
) -> Campaign:
    """A new campaign of `community`, in preparation; every grid takes part unless `areas` names them."""
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError({"community": _("A campaign is run by a community.")})
    check_runs(actor, community)
    if leadership_group is None:
        leadership_group, _members = territory_selectors.published_group(community)
    campaign = Campaign(
        community=community,
        name=name,
        issuer=issuer.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        description=description.strip(),
        total_points=total_points,
        leadership_group=leadership_group,
        public=public,
    )
    _clean_campaign(campaign)
    if Campaign.objects.filter(community=community, name=campaign.name).exists():
        raise ValidationError({"name": _("This community already has a campaign with this name.")})
    campaign.save()
    _set_areas(campaign, areas)
    _record(actor, "campaign.create", campaign, None)
    return campaign


@transaction.atomic
def campaign_update(
    *, actor: User | None, campaign: Campaign, areas: list[Area] | None = None, **changes: Any
) -> Campaign:
    """Change a campaign's facts (and, with `areas`, the grids taking part)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_runs(actor, campaign.community)
    before = audit.snapshot(campaign)
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"not campaign fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    _clean_campaign(campaign)
    if Campaign.objects.filter(community=campaign.community, name=campaign.name).exclude(pk=campaign.pk).exists():
        raise ValidationError({"name": _("This community already has a campaign with this name.")})
    _check_plan_fits(campaign)
    campaign.save()
    before = {**before, "areas": _codes(campaign.areas.all())}
    if areas is not None:
        _set_areas(campaign, areas)
    after = {**audit.snapshot(campaign), "areas": _codes(campaign.areas.all())}
    audit.record(actor=actor, action="campaign.update", instance=campaign, before=before, after=after)
    return campaign


def _check_plan_fits(campaign: Campaign) -> None:
    """The phases and tasks already planned still lie inside the (new) period."""
    outside = Phase.objects.filter(plan__campaign=campaign).exclude(
        starts_on__gte=campaign.starts_on, ends_on__lte=campaign.ends_on
    )
    outside_tasks = PlanTask.objects.filter(plan__campaign=campaign).exclude(
        starts_on__gte=campaign.starts_on, due_on__lte=campaign.ends_on
    )
    if outside.exists() or outside_tasks.exists():
        raise ValidationError({"ends_on": _("Phases or tasks of the work plan lie outside these dates.")})


@transaction.atomic
def campaign_set_status(*, actor: User | None, campaign: Campaign, status: str) -> Campaign:
    """Start or close a campaign (or take it back to preparation); starting asks for a tree whose points add up."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_runs(actor, campaign.community)
    if status not in CampaignStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == CampaignStatus.ACTIVE:
        problems = selectors.points_problems(campaign)
        if problems:
            raise ValidationError({"status": [_("The points of the indicator system do not add up."), *problems]})
    before = audit.snapshot(campaign)
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at", "area_path"])
    _record(actor, "campaign.status", campaign, before)
    return campaign


# The indicator tree


def _clean_indicator(indicator: Indicator) -> None:
    indicator.code = (indicator.code or "").strip()
    indicator.text = (indicator.text or "").strip()
    if not indicator.code:
        raise ValidationError({"code": _("Give the indicator a number.")})
    if not indicator.text:
        raise ValidationError({"text": _("Give the indicator a text.")})
    if len(indicator.text) > MAX_TEXT:
        raise ValidationError({"text": _("The text is too long (at most %(n)d characters).") % {"n": MAX_TEXT}})
    indicator.points = _as_points(indicator.points)
    parent = indicator.parent
    if indicator.level == Level.ITEM:
        if parent is not None:
            raise ValidationError({"parent": _("An item is at the top of the indicator system.")})
    elif parent is None or CHILD_LEVEL.get(parent.level) != indicator.level:
        raise ValidationError({"parent": _("A content belongs to an item, and a standard to a content.")})
    elif parent.campaign_id != indicator.campaign_id:
        raise ValidationError({"parent": _("The parent belongs to another campaign.")})
    if indicator.level != Level.STANDARD:
        # Only standards are checked, scored and evidenced; the levels above carry a title and points.
        indicator.method = ""
        indicator.scoring = Scoring.MANUAL
        indicator.inspection_target = ""
        indicator.case_category = None
        indicator.evidence_required = 0
    elif not indicator.method:
        raise ValidationError({"method": _("Say how the standard is assessed.")})
    if indicator.scoring != Scoring.INSPECTIONS:
        indicator.inspection_target = ""
    if indicator.scoring not in (Scoring.CASE_CLOSURE, Scoring.CASE_ON_TIME):
        indicator.case_category = None
    if indicator.evidence_required > 50:
        raise ValidationError({"evidence_required": _("At most 50 pieces of evidence per standard.")})


@transaction.atomic
def indicator_save(
    *,
    actor: User | None,
    campaign: Campaign,
    level: str,
    code: str,
    text: str,
    points: Any,
    parent: Indicator | None = None,
    indicator: Indicator | None = None,
    method: str = "",
    order: int | None = None,
    public: bool = False,
    scoring: str = Scoring.MANUAL,
    inspection_target: str = "",
    case_category: Category | None = None,
    evidence_required: int = 1,
) -> Indicator:
    """Add a node to the campaign's tree (or change `indicator`). Totals are checked on the tree page and when the
    campaign starts, not on each edit: a tree is entered one node at a time."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check_runs(actor, campaign.community)
    check_open(campaign)
    if indicator is not None:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk, campaign=campaign)
        before = audit.snapshot(indicator)
        if level != indicator.level and (indicator.children.exists() or _has_records(indicator)):
            raise ValidationError({"level": _("An indicator with indicators or records under it keeps its level.")})
    else:
        indicator = Indicator(campaign=campaign)
        before = None
    if order is None:
        order = indicator.order if indicator.pk else _next_order(campaign)
    for name, value in {
        "level": level,
        "code": code,
        "text": text,
        "points": points,
        "parent": parent,
        "method": method,
        "order": order,
        "public": public,
        "scoring": scoring,
        "inspection_target": inspection_target,
        "case_category": case_category,
        "evidence_required": evidence_required,
    }.items():
        setattr(indicator, name, value)
    _clean_indicator(indicator)
    if before is not None and indicator.level != Level.STANDARD and _has_records(indicator):
        raise ValidationError({"level": _("A standard with assignments or evidence stays a standard.")})
    clash = Indicator.objects.filter(campaign=campaign, code=indicator.code).exclude(pk=indicator.pk)
    if clash.exists():
        raise ValidationError(
            {"code": _("Number %(code)s is already used in this campaign.") % {"code": indicator.code}}
        )
    indicator.save()
    _record(actor, "indicator.create" if before is None else "indicator.update", indicator, before)
    return indicator


def _next_order(campaign: Campaign) -> int:
    return (Indicator.objects.filter(campaign=campaign).aggregate(m=Max("order"))["m"] or 0) + 10


def _has_records(indicator: Indicator) -> bool:
    return indicator.assignments.exists() or indicator.evidence.exists() or indicator.plan_tasks.exists()


@transaction.atomic
def indicator_delete(*, actor: User | None, indicator: Indicator) -> None:
    """Remove a node of the tree that has nothing under it: no indicators, assignments, evidence or tasks."""
    indicator = Indicator.objects.select_for_update().select_related("campaign__community").get(pk=indicator.pk)
    check_runs(actor, indicator.campaign.community)
    check_open(indicator.campaign)
    if indicator.children.exists():
        raise ValidationError(_("Remove the indicators under it first."))
    if _has_records(indicator):
        raise ValidationError(_("This standard has assignments, evidence or tasks and cannot be removed."))
    before = audit.snapshot(indicator)
    audit.record(actor=actor, action="indicator.delete", instance=indicator, before=before, after=None)
    indicator.delete()


# Decomposition


@transaction.atomic
def assignment_save(
    *,
    actor: User | None,
    indicator: Indicator,
    area: Area,
    person: User,
    target: str = "",
    due_on: datetime.date | None = None,
) -> IndicatorAssignment:
    """Assign a standard to an area taking part and a responsible person (or change who, what and by when)."""
    indicator = Indicator.objects.select_related("campaign__community").get(pk=indicator.pk)
    campaign = indicator.campaign
    check_runs(actor, campaign.community)
    check_open(campaign)
    if not indicator.is_standard:
        raise ValidationError({"indicator": _("Only a standard is assigned; an item or content is not.")})
    _check_area(campaign, area)
    _check_person(actor, person, "person", area)
    target = target.strip()
    if len(target) > 200:
        raise ValidationError({"target": _("The target is too long (at most 200 characters).")})
    _check_within(campaign, due_on, "due_on")
    assignment = IndicatorAssignment.objects.select_for_update().filter(indicator=indicator, area=area).first()
    before = audit.snapshot(assignment)
    if assignment is None:
        assignment = IndicatorAssignment(indicator=indicator, area=area)
    assignment.person = person
    assignment.target = target
    assignment.due_on = due_on
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError(_("This standard was just assigned in this area by someone else: reload.")) from None
    _record(
        actor, "indicator_assignment.create" if before is None else "indicator_assignment.update", assignment, before
    )
    # The system's writes (a set-up, the demo) are not a person's decision to tell anyone about.
    if actor is not None and person.pk != actor.pk:
        notifications.notify(
            recipients=[person],
            event="campaign.assigned",
            subject=_("You answer for a standard of %(campaign)s") % {"campaign": campaign.name},
            body=f"{indicator.code} {indicator.text[:120]} · {area.name}",
            link=reverse("campaigns:responsibilities", args=[campaign.pk]) + f"?person={person.pk}",
            area_path=assignment.area_path,
            dedupe_key=f"indicator-assigned:{assignment.pk}:{person.pk}",
        )
    return assignment


@transaction.atomic
def assignment_delete(*, actor: User | None, assignment: IndicatorAssignment) -> None:
    """Take an assignment back (a standard no longer decomposed onto that area)."""
    assignment = (
        IndicatorAssignment.objects.select_for_update()
        .select_related("indicator__campaign__community")
        .get(pk=assignment.pk)
    )
    check_runs(actor, assignment.indicator.campaign.community)
    check_open(assignment.indicator.campaign)
    audit.record(
        actor=actor,
        action="indicator_assignment.delete",
        instance=assignment,
        before=audit.snapshot(assignment),
        after=None,
    )
    assignment.delete()


@transaction.atomic
def assignment_score(
    *, actor: User | None, assignment: IndicatorAssignment, score: Any, note: str = ""
) -> IndicatorAssignment:
    """The self-assessment of a standard scored by hand, for the assignment's area: by its responsible person or
    the director. A derived standard scores itself; `score` None clears a score."""
    assignment = (
        IndicatorAssignment.objects.select_for_update()
        .select_related("indicator__campaign__community")
        .get(pk=assignment.pk)
    )
    indicator = assignment.indicator
    if actor is not None and actor.pk != assignment.person_id:
        check_runs(actor, indicator.campaign.community)
    check_open(indicator.campaign)
    if indicator.scoring != Scoring.MANUAL:
        raise ValidationError({"score": _("This standard is scored from wangge's records, not by hand.")})
    if score is not None and score != "":
        score = _as_points(score, "score")
        if score > indicator.points:
            raise ValidationError(
                {"score": _("The score cannot exceed the standard's %(points)s points.") % {"points": indicator.points}}
            )
    else:
        score = None
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"score_note": _("The note is too long (at most 300 characters).")})
    before = audit.snapshot(assignment)
    assignment.score = score
    assignment.score_note = note
    assignment.scored_by = actor if score is not None else None
    assignment.scored_at = timezone.now() if score is not None else None
    assignment.save()
    _record(actor, "indicator_assignment.score", assignment, before)
    return assignment


# Work plans


@transaction.atomic
def work_plan_create(*, actor: User | None, campaign: Campaign, name: str) -> WorkPlan:
    """A campaign's work plan (工作计划表)."""
    check_runs(actor, campaign.community)
    check_open(campaign)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A work plan needs a name.")})
    if WorkPlan.objects.filter(campaign=campaign, name=name).exists():
        raise ValidationError({"name": _("This campaign already has a work plan with this name.")})
    plan = WorkPlan.objects.create(campaign=campaign, name=name)
    _record(actor, "work_plan.create", plan, None)
    return plan


@transaction.atomic
def phase_save(
    *,
    actor: User | None,
    plan: WorkPlan,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    kind: str = PhaseKind.OTHER,
    order: int | None = None,
    phase: Phase | None = None,
) -> Phase:
    """Add a phase to the plan (or change `phase`): named, dated inside the campaign."""
    plan = WorkPlan.objects.select_related("campaign__community").get(pk=plan.pk)
    campaign = plan.campaign
    check_runs(actor, campaign.community)
    check_open(campaign)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A phase needs a name.")})
    if kind not in PhaseKind.values:
        raise ValidationError({"kind": _("Unknown kind of phase.")})
    _check_period(starts_on, ends_on)
    _check_within(campaign, starts_on, "starts_on")
    _check_within(campaign, ends_on, "ends_on")
    if phase is not None:
        phase = Phase.objects.select_for_update().get(pk=phase.pk, plan=plan)
        before = audit.snapshot(phase)
        outside = phase.tasks.exclude(starts_on__gte=starts_on, due_on__lte=ends_on)
        if outside.exists():
            raise ValidationError({"ends_on": _("Tasks of this phase lie outside these dates.")})
    else:
        phase = Phase(plan=plan)
        before = None
    if order is None:
        order = phase.order if phase.pk else (plan.phases.aggregate(m=Max("order"))["m"] or 0) + 1
    phase.name, phase.kind, phase.starts_on, phase.ends_on, phase.order = name, kind, starts_on, ends_on, order
    phase.save()
    _record(actor, "phase.create" if before is None else "phase.update", phase, before)
    return phase


@transaction.atomic
def phase_delete(*, actor: User | None, phase: Phase) -> None:
    """Remove a phase without tasks."""
    phase = Phase.objects.select_for_update().select_related("plan__campaign__community").get(pk=phase.pk)
    check_runs(actor, phase.plan.campaign.community)
    check_open(phase.plan.campaign)
    if phase.tasks.exists():
        raise ValidationError(_("Move or remove the phase's tasks first."))
    audit.record(actor=actor, action="phase.delete", instance=phase, before=audit.snapshot(phase), after=None)
    phase.delete()


@transaction.atomic
def task_save(
    *,
    actor: User | None,
    plan: WorkPlan,
    phase: Phase,
    title: str,
    owner: User,
    area: Area,
    starts_on: datetime.date,
    due_on: datetime.date,
    indicators: list[Indicator] | None = None,
    note: str = "",
    task: PlanTask | None = None,
) -> PlanTask:
    """Add a task to a phase of the plan (or change `task`): its owner and area, its dates inside the phase, and
    the standards it serves."""
    plan = WorkPlan.objects.select_related("campaign__community").get(pk=plan.pk)
    campaign = plan.campaign
    check_runs(actor, campaign.community)
    check_open(campaign)
    if phase.plan_id != plan.pk:
        raise ValidationError({"phase": _("The phase belongs to another work plan.")})
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A task needs a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title is too long (at most 200 characters).")})
    _check_period(starts_on, due_on, field="due_on")
    if starts_on < phase.starts_on or due_on > phase.ends_on:
        raise ValidationError(
            {
                "due_on": _("The task's dates must lie within its phase (%(start)s to %(end)s).")
                % {"start": phase.starts_on.isoformat(), "end": phase.ends_on.isoformat()}
            }
        )
    _check_area(campaign, area)
    _check_person(actor, owner, "owner", area)
    indicators = list(indicators or [])
    if any(i.campaign_id != campaign.pk or not i.is_standard for i in indicators):
        raise ValidationError({"indicators": _("A task serves standards of its own campaign.")})
    if task is not None:
        task = PlanTask.objects.select_for_update().get(pk=task.pk, plan=plan)
        before = audit.snapshot(task)
    else:
        task = PlanTask(plan=plan)
        before = None
    task.phase, task.title, task.owner, task.area = phase, title, owner, area
    task.starts_on, task.due_on, task.note = starts_on, due_on, note.strip()
    if before is not None:
        before["indicators"] = _codes(task.indicators.all())
    task.save()
    task.indicators.set(indicators)
    after = {**audit.snapshot(task), "indicators": _codes(task.indicators.all())}
    action = "plan_task.create" if before is None else "plan_task.update"
    audit.record(actor=actor, action=action, instance=task, before=before, after=after)
    return task


@transaction.atomic
def task_set_status(
    *, actor: User | None, task: PlanTask, status: str, done_on: datetime.date | None = None
) -> PlanTask:
    """Report on a task: its owner or the director moves it to in progress, done (on a day) or cancelled."""
    task = PlanTask.objects.select_for_update().select_related("plan__campaign__community").get(pk=task.pk)
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if actor is not None and actor.pk != task.owner_id:
        check_runs(actor, task.plan.campaign.community)
    elif actor is not None:
        _check_field_role(actor, task.area_path)
        if status not in OWNER_STATES and not selectors.may_run(actor, task.plan.campaign):
            # The owner reports progress; cancelling or resetting a task is a change of plan, the director's.
            raise PermissionDenied(_("Only the community director cancels or resets a task."))
    check_open(task.plan.campaign)
    today = timezone.localdate()
    if status == TaskStatus.DONE:
        done_on = done_on or today
        if done_on > today:
            raise ValidationError({"done_on": _("A task cannot be done in the future.")})
        if done_on < task.starts_on:
            raise ValidationError({"done_on": _("A task cannot be done before it starts.")})
    else:
        done_on = None
    before = audit.snapshot(task)
    task.status, task.done_on = status, done_on
    task.save()
    _record(actor, "plan_task.status", task, before)
    return task


# Evidence


def _check_link(actor: User | None, kind: str, link: Any, area: Area) -> None:
    """A linked record exists, is the actor's to see, and lies in the evidence's area: whoever reads the area's
    ledger may then see what it points to."""
    if link is None:
        raise ValidationError({LINK_FIELDS[kind]: _("Choose the record this evidence points to.")})
    model = type(link)
    visible = model.objects.for_user(actor) if actor is not None else model.objects.all()
    if not visible.filter(pk=link.pk, area_path__startswith=area.path).exists():
        raise ValidationError({LINK_FIELDS[kind]: _("No such record in %(area)s.") % {"area": area.name}})


@transaction.atomic
def evidence_file(
    *,
    actor: User,
    indicator: Indicator,
    area: Area,
    kind: str,
    title: str,
    occurred_on: datetime.date,
    upload: Any = None,
    text: str = "",
    case: Case | None = None,
    inspection: Inspection | None = None,
    compound: Compound | None = None,
) -> Evidence:
    """File a piece of evidence against a standard for an area taking part: a photo or document (checked and
    stored), written minutes of a meeting (with an optional document), or a link to a case, an inspection or a
    compound's notice board. The file is written last: a refused piece leaves nothing behind."""
    indicator = Indicator.objects.select_related("campaign__community").get(pk=indicator.pk)
    campaign = indicator.campaign
    if actor is None:
        raise ValidationError(_("Evidence is filed by a person."))
    if not selectors.campaigns_for(actor).filter(pk=campaign.pk).exists():
        raise PermissionDenied(_("You do not work on this campaign in this area."))
    _check_field_role(actor, area.path)
    check_open(campaign)
    if not indicator.is_standard:
        raise ValidationError({"indicator": _("Evidence is filed against a standard.")})
    _check_area(campaign, area)
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": _("Unknown kind of evidence.")})
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the evidence a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title is too long (at most 200 characters).")})
    _check_day(occurred_on, "occurred_on")
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    links = {"case": case, "inspection": inspection, "compound": compound}
    link_field = LINK_FIELDS.get(kind)
    if link_field is not None:
        _check_link(actor, kind, links[link_field], area)
    links = {name: (value if name == link_field else None) for name, value in links.items()}
    text = text.strip()
    if kind == EvidenceKind.MEETING and not text and upload is None:
        raise ValidationError({"text": _("Write the minutes of the meeting, or attach them.")})
    if len(text) > 20000:
        raise ValidationError({"text": _("The minutes are too long (at most 20000 characters).")})
    stored = None
    if kind in UPLOAD_KINDS or (kind == EvidenceKind.MEETING and upload is not None):
        if upload is None:
            raise ValidationError({"file": _("Attach the file.")})
        stored = documents.process_upload(upload, photo=kind == EvidenceKind.PHOTO)
    evidence = Evidence(
        indicator=indicator,
        area=area,
        kind=kind,
        title=title,
        occurred_on=occurred_on,
        text=text,
        filed_by=actor,
        **links,
    )
    if stored is not None:
        evidence.file_name, evidence.content_type, evidence.size = stored.name, stored.content_type, stored.size
    evidence.save()
    if stored is not None:
        # Written last, so that a refusal anywhere above leaves no file behind.
        evidence.file.save(stored.content.name, stored.content, save=False)
        Evidence.objects.filter(pk=evidence.pk).update(file=evidence.file.name)
    _record(actor, "evidence.file", evidence, None)
    return evidence


@transaction.atomic
def evidence_withdraw(*, actor: User | None, evidence: Evidence, reason: str) -> Evidence:
    """Take a piece of evidence out of the ledger, saying why; it is kept with who withdrew it and when."""
    evidence = Evidence.objects.select_for_update().select_related("indicator__campaign__community").get(pk=evidence.pk)
    if actor is not None and actor.pk != evidence.filed_by_id:
        check_runs(actor, evidence.indicator.campaign.community)
    check_open(evidence.indicator.campaign)
    if evidence.withdrawn_at is not None:
        raise ValidationError(_("This evidence was already withdrawn."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the evidence is withdrawn.")})
    before = audit.snapshot(evidence)
    evidence.withdrawn_at = timezone.now()
    evidence.withdrawn_by = actor
    evidence.withdrawn_reason = reason[:300]
    evidence.save()
    _record(actor, "evidence.withdraw", evidence, before)
    return evidence


# The sweep


def campaigns_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remind the owners of overdue plan tasks of running campaigns, once a day each."""
    now = now or timezone.now()
    started = timezone.now()
    today = timezone.localtime(now).date()
    overdue = (
        PlanTask.objects.filter(
            status__in=OPEN_TASK_STATES, due_on__lt=today, plan__campaign__status=CampaignStatus.ACTIVE
        )
        .select_related("owner", "plan__campaign")
        .order_by("due_on", "id")
    )
    reminded = 0
    for task in overdue:
        days = (today - task.due_on).days
        rows = notifications.notify(
            recipients=[task.owner],
            event="campaign.task_overdue",
            subject=_("Plan task overdue: %(title)s") % {"title": task.title},
            body=_("%(campaign)s: due %(due)s, %(days)d days ago.")
            % {"campaign": task.plan.campaign.name, "due": task.due_on.isoformat(), "days": days},
            link=reverse("campaigns:plan_detail", args=[task.plan_id]),
            area_path=task.area_path,
            dedupe_key=f"plan-task-overdue:{task.pk}:{today.isoformat()}",
        )
        reminded += any(row.created_at >= started for row in rows)  # not again the same day
    return {"overdue_tasks": overdue.count(), "reminders": reminded}
