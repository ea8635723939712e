"""Reads of cases: queues, the timeline, nearby duplicates, the public view. User reads start from `for_user`."""

import math

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases import workflow
from wangge.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    PostponementState,
    State,
    next_level,
)

QUEUES = ("mine", "grid", "new", "overdue", "verify", "all")


def cases_for(user: User) -> QuerySet[Case]:
    """Every case the user may see, with what list pages show."""
    return Case.objects.for_user(user).select_related("category", "area", "compound", "assignee")


def queue(user: User, name: str) -> QuerySet[Case]:
    """A work queue: my cases (待办), my grids' open cases, new reports to register, overdue, awaiting verification."""
    cases = cases_for(user)
    if name == "mine":
        return cases.filter(assignee=user, state__in=[State.DISPATCHED, State.IN_PROGRESS]).order_by("deadline_at")
    if name == "grid":
        return cases.filter(state__in=OPEN_STATES).order_by("deadline_at", "-reported_at")
    if name == "new":
        return cases.filter(state=State.REPORTED).order_by("reported_at")
    if name == "overdue":
        return cases.filter(state__in=OPEN_STATES, deadline_at__lt=timezone.now()).order_by("deadline_at")
    if name == "verify":
        return cases.filter(state=State.HANDLED).order_by("handled_at")
    return cases.order_by("-reported_at")


def queue_counts(user: User) -> dict[str, int]:
    """How many cases wait in each queue: one query, over the new and open cases only (never the closed ones,
    which grow without end). The conditions are those of `queue`."""
    now = timezone.now()
    working = [State.DISPATCHED, State.IN_PROGRESS]
    return (
        Case.objects.for_user(user)
        .filter(state__in=[State.REPORTED, *OPEN_STATES])
        .aggregate(
            mine=Count("pk", filter=Q(assignee=user, state__in=working)),
            grid=Count("pk", filter=Q(state__in=OPEN_STATES)),
            new=Count("pk", filter=Q(state=State.REPORTED)),
            overdue=Count("pk", filter=Q(state__in=OPEN_STATES, deadline_at__lt=now)),
            verify=Count("pk", filter=Q(state=State.HANDLED)),
        )
    )


def actions_for(user: User, case: Case) -> list[workflow.Transition]:
    """The actions this user may take on this case now, in the table's order; none offered that must fail.

    A postponement is decided only while one waits and asked only while none does; nothing escalates past
    the top level.
    """
    roles = user.roles_at(case.area_path)
    allowed = [
        t
        for action, t in workflow.TRANSITIONS.items()
        if workflow.may(action, state=case.state, roles=roles, case_level=case.level)
    ]
    if any(t.action in ("request_postponement", "decide_postponement") for t in allowed):
        waiting = case.postponements.filter(state=PostponementState.REQUESTED).exists()
        hidden = "request_postponement" if waiting else "decide_postponement"
        allowed = [t for t in allowed if t.action != hidden]
    if next_level(case.level) is None:
        allowed = [t for t in allowed if t.action != "escalate"]
    return allowed


def timeline(case: Case, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    """The case's steps, oldest first."""
    events = case.events.select_related("actor").order_by("at", "id")
    return events.filter(public=True) if public_only else events


def photos(case: Case, *, public_only: bool = False) -> QuerySet[CasePhoto]:
    """The case's photos, before ones first."""
    # "before" sorts after "after": descending kind puts the before photos first.
    found = case.photos.order_by("-kind", "created_at", "id")
    return found.filter(public=True) if public_only else found


def nearby_open(category: Category, longitude: float, latitude: float, *, metres: float = 100) -> list[Case]:
    """Open cases of the same category within `metres` of a point: offered as "follow this one instead"."""
    dlat = metres / 110_574.0
    dlng = metres / (111_320.0 * math.cos(math.radians(latitude)))
    candidates = Case.objects.filter(
        category=category,
        state__in=[State.REPORTED, *OPEN_STATES],
        longitude__range=(longitude - dlng, longitude + dlng),
        latitude__range=(latitude - dlat, latitude + dlat),
    ).order_by("-reported_at")[:5]
    return list(candidates)


def by_tracking_code(code: str) -> Case | None:
    """The case a reporter's tracking link names (public: the code is the secret)."""
    if not code or len(code) > 32:
        return None
    return Case.objects.select_related("category", "area", "compound").filter(tracking_code=code).first()


def search(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    text = text.strip()
    if not text:
        return cases
    return cases.filter(Q(number__icontains=text) | Q(description__icontains=text) | Q(address__icontains=text))
