"""Who answers for what (责任分解) and readiness (迎检): what a person or an area answers for in a campaign, and how
ready the campaign is for its assessment, in total, per item, grid and person, with the weakest standards first.

Both read through the selectors: a grid's staff see the assignments and tasks of their grid; readiness is the
community's figure, the same for everyone who works on the campaign.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.campaigns import selectors
from wangge.campaigns.models import Campaign, IndicatorAssignment, PlanTask, Scoring
from wangge.campaigns.plan_forms import taking_part
from wangge.campaigns.plan_views import task_state
from wangge.campaigns.views import campaign_page
from wangge.core.validators import validate_calendar_date
from wangge.territory.models import Area


def _ignored(request: HttpRequest, name: str) -> None:
    """Say that a choice was not understood (the page shows what it would without it)."""
    value = request.GET.get(name, "")[:40]
    messages.warning(request, _("“%(value)s” was not understood and was left out.") % {"value": value})


# Who answers for what


@dataclass
class AreaGroup:
    """What is answered for in one area: its standards (each with its state) and its plan tasks."""

    area: Area
    assignments: list[IndicatorAssignment] = field(default_factory=list)
    tasks: list[PlanTask] = field(default_factory=list)


def _by_area(assignments: list[IndicatorAssignment], tasks: list[PlanTask]) -> list[AreaGroup]:
    groups: dict[int, AreaGroup] = {}
    for assignment in assignments:
        groups.setdefault(assignment.area_id, AreaGroup(assignment.area)).assignments.append(assignment)
    for task in tasks:
        groups.setdefault(task.area_id, AreaGroup(task.area)).tasks.append(task)
    return sorted(groups.values(), key=lambda group: group.area.path)


def _people(assignments: list[IndicatorAssignment], tasks: list[PlanTask]) -> list[User]:
    """The people answering for something in what the user sees, by name."""
    people = {a.person_id: a.person for a in assignments} | {t.owner_id: t.owner for t in tasks}
    return sorted(people.values(), key=lambda person: (str(person), person.pk))


@campaign_page
def responsibilities(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a person (?person=) or an area (?area=) answers for: standards with target, due day, score and
    evidence, and plan tasks; by default the user's own, else the whole decomposition by area."""
    user = request.user
    campaign = selectors.campaign_for(user, pk)
    everything = selectors.responsibilities(user, campaign)
    people = _people(everything.assignments, everything.tasks)
    areas = list(taking_part(campaign).filter(pk__in=Area.objects.for_user(user).values("pk")))
    person = area = None
    raw_person, raw_area = request.GET.get("person", ""), request.GET.get("area", "")
    if raw_person:
        person = next((p for p in people if str(p.pk) == raw_person), None)
        if person is None:
            _ignored(request, "person")
    if raw_area:
        area = next((a for a in areas if a.code == raw_area), None)
        if area is None:
            _ignored(request, "area")
    mine = False
    if person is None and area is None and "all" not in request.GET and any(p.pk == user.pk for p in people):
        person, mine = user, True
    chosen = (
        everything
        if person is None and area is None
        else selectors.responsibilities(user, campaign, person=person, area=area)
    )
    states = {row.assignment.pk: row for state in selectors.standard_states(campaign) for row in state.assignments}
    today = timezone.localdate()
    for assignment in chosen.assignments:
        assignment.state = states.get(assignment.pk)
    for task in chosen.tasks:
        task.state = task_state(task, today)
    group = campaign.leadership_group
    members = list(group.members.select_related("person").order_by("order", "id")) if group else []
    return render(
        request,
        "campaigns/responsibilities.html",
        {
            "campaign": campaign,
            "people": people,
            "areas": areas,
            "person": person,
            "area": area,
            "mine": mine,
            "groups": _by_area(chosen.assignments, chosen.tasks),
            "assignment_count": len(chosen.assignments),
            "task_count": len(chosen.tasks),
            "leadership_group": group,
            "members": members,
        },
    )


# Readiness


def as_of_day(request: HttpRequest, campaign: Campaign) -> datetime.date:
    """?as_of=YYYY-MM-DD, or today (with a warning when the day is not understood), kept within the campaign."""
    day = timezone.localdate()
    raw = request.GET.get("as_of", "")
    if raw:
        try:
            chosen = datetime.date.fromisoformat(raw)
            validate_calendar_date(chosen)
        except (ValueError, ValidationError):
            _ignored(request, "as_of")
        else:
            day = chosen
    return min(max(day, campaign.starts_on), campaign.ends_on)


def shortfalls(state: selectors.StandardState) -> list[str]:
    """What keeps a standard from full marks and a complete ledger, in words: not assigned, not scored, the score
    with what it was computed from, the evidence filed of what is required."""
    indicator = state.indicator
    missing = []
    if not state.assigned:
        missing.append(_("not assigned to an area"))
    if state.score is None:
        if indicator.scoring == Scoring.MANUAL:
            missing.append(_("not scored"))
        else:
            missing.append(_("not scored: no records to judge by in the period"))
    elif state.score < indicator.points:
        text = _("score %(score)s of %(points)s") % {"score": state.score, "points": indicator.points}
        if state.basis is not None:
            bases = [state.basis.text]
        else:
            bases = [
                _("%(area)s: %(basis)s") % {"area": row.assignment.area.name, "basis": row.basis.text}
                for row in state.assignments
                if row.basis
            ]
        if bases:
            text = _("%(text)s (%(basis)s)") % {"text": text, "basis": "; ".join(bases)}
        missing.append(text)
    if not state.complete:
        required = indicator.evidence_required
        if state.assignments:
            # Each area's ledger counts up to what is required of it: a surplus in one does not fill another.
            filed = sum(min(row.evidence, required) for row in state.assignments)
            wanted = required * len(state.assignments)
        else:
            filed, wanted = min(state.evidence, required), required
        missing.append(_("evidence %(filed)d of %(wanted)d") % {"filed": filed, "wanted": wanted})
    return missing


@dataclass
class Shortfall:
    """A standard short of full marks or of its evidence, and what is missing."""

    state: selectors.StandardState
    missing: list[str]


@campaign_page
def readiness(request: HttpRequest, pk: int) -> HttpResponse:
    """迎检: the campaign's score of its full points, complete standards, progress per item, grid and person, and
    the standards furthest from full marks first, each saying what is missing; as of ?as_of= (default today)."""
    campaign = selectors.campaign_for(request.user, pk)
    as_of = as_of_day(request, campaign)
    report = selectors.readiness(campaign, as_of=as_of)
    weakest = [Shortfall(state, missing) for state in report.weakest if (missing := shortfalls(state))]
    return render(
        request,
        "campaigns/readiness.html",
        {
            "campaign": campaign,
            "as_of": as_of,
            "today": timezone.localdate(),
            "report": report,
            "weakest": weakest,
        },
    )
