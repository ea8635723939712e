"""Reads of campaigns: who may see which campaign, the indicator tree and its totals, the self-assessment
scores (by hand or derived from inspections and cases) and readiness (迎检) per item, grid and person.

Derived scores (domain.md): an inspection-based standard scores points × the pass rate of the period's
inspections in the assignment's area (of one kind of place, or all); a case-based one points × the closure
rate or on-time closure rate (cases.metrics) of the cases reported there in the period, leaving out the
rectification cases that inspections open (the inspection standards judge those). The period is the
campaign's, up to `as_of`. A standard with no record to judge by has no score, which counts as 0 in readiness:
an assessment does not give points for what cannot be shown.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import CAMPAIGN_ROLES, CAMPAIGN_VIEW_ROLES, Action
from wangge.campaigns.models import (
    Campaign,
    CampaignStatus,
    Evidence,
    Indicator,
    IndicatorAssignment,
    Level,
    PlanTask,
    Scoring,
    WorkPlan,
)
from wangge.cases.metrics import case_metrics
from wangge.cases.models import Case, Source
from wangge.inspections.models import Inspection
from wangge.inspections.selectors import day_end, day_start
from wangge.territory.models import Area, community_path_of

CENT = Decimal("0.01")


# Who sees which campaign


def campaigns_for(user: User, action: str = Action.VIEW) -> QuerySet[Campaign]:
    """The campaigns `user` works on: those of the communities where they hold a staff role (a grid worker's
    too: the campaign is the community's, above the grid)."""
    prefixes = user.area_prefixes(action, roles=CAMPAIGN_VIEW_ROLES) if user.is_authenticated else []
    campaigns = Campaign.objects.select_related("community", "leadership_group")
    if prefixes is None:
        return campaigns
    if not prefixes:
        return campaigns.none()
    holding = {path for prefix in prefixes if (path := community_path_of(prefix))}
    condition = Q(area_path__in=holding)
    for prefix in prefixes:
        condition |= Q(area_path__startswith=prefix)
    return campaigns.filter(condition)


def campaign_for(user: User, pk: int, action: str = Action.VIEW) -> Campaign:
    """One campaign `user` works on, or 404 (another community's campaign is not confirmed to exist)."""
    campaign = campaigns_for(user, action).filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def may_run(user: User, campaign: Campaign) -> bool:
    """Whether `user` runs the campaign (edits its tree, decomposition and plan, scores any standard)."""
    return user.is_superuser or bool(user.roles_at(campaign.area_path) & CAMPAIGN_ROLES)


def may_change(user: User, campaign: Campaign) -> bool:
    """Whether `user` may change the campaign's records now: they run it, and it has not ended."""
    return campaign.status != CampaignStatus.CLOSED and may_run(user, campaign)


def public_campaigns(community: Area) -> QuerySet[Campaign]:
    """The campaigns a community publishes for supervision, newest first."""
    return Campaign.objects.filter(community=community, public=True).exclude(status="draft").order_by("-starts_on")


# The tree


@dataclass
class Node:
    """One indicator with the nodes under it, in order."""

    indicator: Indicator
    children: list["Node"] = field(default_factory=list)

    @property
    def children_points(self) -> Decimal:
        return sum((child.indicator.points for child in self.children), Decimal(0))

    def standards(self) -> list[Indicator]:
        if self.indicator.level == Level.STANDARD:
            return [self.indicator]
        return [s for child in self.children for s in child.standards()]


def tree(campaign: Campaign) -> list[Node]:
    """The campaign's items, each with its contents and their standards, in order (one query)."""
    indicators = Indicator.objects.filter(campaign=campaign).select_related("case_category").order_by("order", "id")
    return _tree_of(indicators)


def _tree_of(indicators: Iterable[Indicator]) -> list[Node]:
    """The tree of one campaign's indicators, given in order."""
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for indicator in indicators:
        nodes[indicator.pk] = Node(indicator)
    for node in nodes.values():
        parent_id = node.indicator.parent_id
        (nodes[parent_id].children if parent_id in nodes else roots).append(node)
    return roots


def flatten(roots: list[Node]) -> list[Indicator]:
    """The tree's indicators in reading order: item, its first content, that content's standards, ..."""
    result: list[Indicator] = []
    for node in roots:
        result.append(node.indicator)
        result.extend(flatten(node.children))
    return result


def points_problems(campaign: Campaign, roots: list[Node] | None = None) -> list[str]:
    """Where the points do not add up: an item or content whose points differ from the sum below it, a node
    with nothing under it, or items that do not add up to the campaign's total."""
    roots = tree(campaign) if roots is None else roots
    problems: list[str] = []
    if not roots:
        return [_("The indicator system is empty.")]

    def check(node: Node) -> None:
        indicator = node.indicator
        if indicator.level == Level.STANDARD:
            return
        if not node.children:
            problems.append(_("%(code)s has nothing under it.") % {"code": indicator.code})
            return
        if node.children_points != indicator.points:
            problems.append(
                _("%(code)s has %(points)s points, but the indicators under it add up to %(sum)s.")
                % {"code": indicator.code, "points": indicator.points, "sum": node.children_points}
            )
        for child in node.children:
            check(child)

    for node in roots:
        check(node)
    total = sum((node.indicator.points for node in roots), Decimal(0))
    if campaign.total_points is not None and total != campaign.total_points:
        problems.append(
            _("The items add up to %(sum)s points, but the campaign's full score is %(total)s.")
            % {"sum": total, "total": campaign.total_points}
        )
    return problems


# Scores


@dataclass
class Basis:
    """What a derived score was computed from, for the page to say ("42 of 45 inspections passed")."""

    part: int
    whole: int
    scoring: str

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.part) / Decimal(self.whole) if self.whole else None

    @property
    def text(self) -> str:
        """The figures in words, in the language of the page."""
        figures = {"part": self.part, "whole": self.whole}
        if self.scoring == Scoring.INSPECTIONS:
            return _("%(part)d of %(whole)d inspections passed") % figures
        if self.scoring == Scoring.CASE_ON_TIME:
            return _("%(part)d of %(whole)d cases closed on time") % figures
        return _("%(part)d of %(whole)d cases closed") % figures

    @property
    def label(self) -> str:
        """What was counted, without the figures."""
        labels = {Scoring.INSPECTIONS: _("inspections passed"), Scoring.CASE_ON_TIME: _("cases closed on time")}
        return labels.get(self.scoring, _("cases closed"))


def period_of(campaign: Campaign, as_of: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The campaign's period as moments, up to the end of `as_of` when it is still running."""
    end = min(campaign.ends_on, as_of)
    return day_start(campaign.starts_on), day_end(max(end, campaign.starts_on))


class Deriver:
    """Derived scores, one aggregate per (area, what is read), computed once per page."""

    def __init__(self, campaign: Campaign, as_of: datetime.date) -> None:
        self.since, self.until = period_of(campaign, as_of)
        self._cache: dict[tuple, Basis] = {}

    def basis(self, indicator: Indicator, area: Area) -> Basis | None:
        if indicator.scoring == Scoring.MANUAL:
            return None
        if indicator.scoring == Scoring.INSPECTIONS:
            key = ("inspections", area.path, indicator.inspection_target)
        else:
            key = (indicator.scoring, area.path, indicator.case_category_id)
        if key not in self._cache:
            self._cache[key] = self._compute(indicator, area)
        return self._cache[key]

    def _compute(self, indicator: Indicator, area: Area) -> Basis:
        if indicator.scoring == Scoring.INSPECTIONS:
            inspections = Inspection.objects.filter(
                area_path__startswith=area.path, inspected_at__gte=self.since, inspected_at__lte=self.until
            )
            if indicator.inspection_target:
                inspections = inspections.filter(target=indicator.inspection_target)
            counts = inspections.aggregate(whole=Count("id"), part=Count("id", filter=Q(passed=True)))
            return Basis(counts["part"], counts["whole"], Scoring.INSPECTIONS)
        # Rectification cases opened by inspections are not residents' problems: the inspection standards score
        # them, and they close at the next visit, after their deadline, by design.
        cases = Case.objects.filter(
            area_path__startswith=area.path, reported_at__gte=self.since, reported_at__lte=self.until
        ).exclude(source=Source.INSPECTION)
        if indicator.case_category_id:
            cases = cases.filter(category_id=indicator.case_category_id)
        metrics = case_metrics(cases, now=min(self.until, timezone.now()))[0]
        effective = metrics.due - metrics.suspended
        if indicator.scoring == Scoring.CASE_ON_TIME:
            return Basis(metrics.closed_on_time, effective, Scoring.CASE_ON_TIME)
        return Basis(metrics.closed, effective, Scoring.CASE_CLOSURE)


@dataclass
class AssignmentState:
    """One assignment as the self-assessment sees it: its score (by hand or derived) and its evidence."""

    assignment: IndicatorAssignment
    score: Decimal | None
    basis: Basis | None
    evidence: int
    complete: bool


@dataclass
class StandardState:
    """One standard: its score (the mean over the areas it is assigned to), evidence, and what is missing."""

    indicator: Indicator
    assignments: list[AssignmentState]
    score: Decimal | None
    basis: Basis | None
    evidence: int
    complete: bool

    @property
    def ratio(self) -> Decimal:
        if not self.indicator.points:
            return Decimal(1)
        return (self.score or Decimal(0)) / self.indicator.points

    @property
    def assigned(self) -> bool:
        return bool(self.assignments)

    @property
    def required(self) -> int:
        """The pieces the standard needs in all: its count in each area it is assigned to (or once)."""
        return self.indicator.evidence_required * max(1, len(self.assignments))

    @property
    def areas_complete(self) -> int:
        return sum(row.complete for row in self.assignments)


@dataclass
class Progress:
    """Readiness of one group of standards (an item, a grid, a person, the whole campaign)."""

    key: str
    label: str
    points: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    standards: int = 0
    complete: int = 0
    unscored: int = 0

    @property
    def ratio(self) -> Decimal | None:
        return self.score / self.points if self.points else None

    @property
    def percent(self) -> Decimal | None:
        ratio = self.ratio
        return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, points: Decimal, score: Decimal | None, complete: bool) -> None:
        self.points += points
        self.score += score or Decimal(0)
        self.standards += 1
        self.complete += int(complete)
        self.unscored += int(score is None)


@dataclass
class Readiness:
    """迎检: how ready the campaign is, in total and per item, grid and person, with the weakest standards first."""

    campaign: Campaign
    as_of: datetime.date
    total: Progress
    items: list[Progress]
    grids: list[Progress]
    people: list[Progress]
    standards: list[StandardState]

    @property
    def weakest(self) -> list[StandardState]:
        """The standards furthest from full marks, then those missing evidence: where the work is."""
        return sorted(self.standards, key=lambda s: (s.ratio, s.complete, s.indicator.order))


def _quantized(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


@dataclass
class _Read:
    """What the scores of some campaigns are worked out from, read once for all of them (a list page's)."""

    indicators: dict[int, list[Indicator]]  # per campaign, in order
    evidence: dict[tuple[int, int], int]  # per (standard, area)
    assignments: dict[int, list[IndicatorAssignment]]  # per standard, by area

    @classmethod
    def of(cls, campaigns: list[Campaign], as_of: datetime.date) -> "_Read":
        indicators: dict[int, list[Indicator]] = {campaign.pk: [] for campaign in campaigns}
        rows = Indicator.objects.filter(campaign__in=campaigns).select_related("case_category").order_by("order", "id")
        for indicator in rows:
            indicators[indicator.campaign_id].append(indicator)
        assignments: dict[int, list[IndicatorAssignment]] = defaultdict(list)
        for assignment in (
            IndicatorAssignment.objects.filter(indicator__campaign__in=campaigns)
            .select_related("area", "person")
            .order_by("area__path")
        ):
            assignments[assignment.indicator_id].append(assignment)
        return cls(indicators, _evidence_counts(campaigns, as_of), assignments)


def _evidence_counts(campaigns: list[Campaign], as_of: datetime.date) -> dict[tuple[int, int], int]:
    rows = (
        Evidence.objects.current()
        .filter(indicator__campaign__in=campaigns, occurred_on__lte=as_of)
        .values("indicator_id", "area_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(row["indicator_id"], row["area_id"]): row["n"] for row in rows}


def standard_states(
    campaign: Campaign, *, as_of: datetime.date | None = None, read: _Read | None = None
) -> list[StandardState]:
    """Every standard of the campaign with its scores and evidence, in the tree's order."""
    as_of = as_of or timezone.localdate()
    deriver = Deriver(campaign, as_of)
    read = read or _Read.of([campaign], as_of)
    evidence, by_indicator = read.evidence, read.assignments
    states = []
    for indicator in flatten(_tree_of(read.indicators[campaign.pk])):
        if indicator.level != Level.STANDARD:
            continue
        required = indicator.evidence_required
        rows = []
        for assignment in by_indicator[indicator.pk]:
            basis = deriver.basis(indicator, assignment.area)
            if basis is None:
                score = assignment.score
            else:
                score = None if basis.rate is None else _quantized(indicator.points * basis.rate)
            count = evidence.get((indicator.pk, assignment.area_id), 0)
            rows.append(AssignmentState(assignment, score, basis, count, count >= required))
        total_evidence = sum(n for (pk, _area), n in evidence.items() if pk == indicator.pk)
        if rows:
            scored = [row.score for row in rows]
            score = None if all(s is None for s in scored) else sum(s or Decimal(0) for s in scored) / len(rows)
            basis = None
            complete = all(row.complete for row in rows)
        else:
            # Not decomposed yet: a derived standard still scores over the whole community.
            basis = deriver.basis(indicator, campaign.community)
            score = None if basis is None or basis.rate is None else indicator.points * basis.rate
            complete = total_evidence >= required
        states.append(StandardState(indicator, rows, _quantized(score), basis, total_evidence, complete))
    return states


def readiness_of(campaigns: list[Campaign], *, as_of: datetime.date | None = None) -> list[Readiness]:
    """The readiness of each of the campaigns (a list page's), their trees, assignments and evidence read at once.

    Only the derived scores (inspections passed, cases closed) still cost an aggregate per campaign, area and kind.
    """
    as_of = as_of or timezone.localdate()
    read = _Read.of(campaigns, as_of)
    return [readiness(campaign, as_of=as_of, read=read) for campaign in campaigns]


def readiness(campaign: Campaign, *, as_of: datetime.date | None = None, read: _Read | None = None) -> Readiness:
    """The campaign's readiness as of a day (today by default)."""
    as_of = as_of or timezone.localdate()
    read = read or _Read.of([campaign], as_of)
    roots = _tree_of(read.indicators[campaign.pk])
    states = standard_states(campaign, as_of=as_of, read=read)
    state_of = {state.indicator.pk: state for state in states}
    total = Progress("", campaign.name)
    items = []
    for node in roots:
        progress = Progress(node.indicator.code, node.indicator.text)
        for standard in node.standards():
            state = state_of[standard.pk]
            progress.add(standard.points, state.score, state.complete)
            total.add(standard.points, state.score, state.complete)
        items.append(progress)
    grids: dict[str, Progress] = {}
    people: dict[int, Progress] = {}
    for state in states:
        for row in state.assignments:
            area, person = row.assignment.area, row.assignment.person
            grid = grids.setdefault(area.path, Progress(area.code, area.name))
            grid.add(state.indicator.points, row.score, row.complete)
            who = people.setdefault(person.pk, Progress(str(person.pk), person.display_name or person.username))
            who.add(state.indicator.points, row.score, row.complete)
    order = [grids[path] for path in sorted(grids)]
    return Readiness(
        campaign=campaign,
        as_of=as_of,
        total=total,
        items=items,
        grids=order,
        people=sorted(people.values(), key=lambda p: (p.ratio if p.ratio is not None else Decimal(2), p.label)),
        standards=states,
    )


# Responsibilities


@dataclass
class Responsibilities:
    """Everything one person or one area answers for in a campaign: standards and plan tasks."""

    assignments: list[IndicatorAssignment]
    tasks: list[PlanTask]


def responsibilities(
    user: User, campaign: Campaign, *, person: User | None = None, area: Area | None = None
) -> Responsibilities:
    """What `person` (or the people of `area`) answers for in the campaign, as far as `user` may see."""
    assignments = (
        IndicatorAssignment.objects.for_user(user)
        .filter(indicator__campaign=campaign)
        .select_related("indicator__parent__parent", "area", "person")
        .order_by("indicator__order", "area__path")
    )
    tasks = (
        PlanTask.objects.for_user(user)
        .filter(plan__campaign=campaign)
        .select_related("phase", "area", "owner", "plan")
        .order_by("due_on", "id")
    )
    if person is not None:
        assignments = assignments.filter(person=person)
        tasks = tasks.filter(owner=person)
    if area is not None:
        assignments = assignments.filter(area_path__startswith=area.path)
        tasks = tasks.filter(area_path__startswith=area.path)
    return Responsibilities(list(assignments), list(tasks))


def plans_of(campaign: Campaign) -> QuerySet[WorkPlan]:
    return WorkPlan.objects.filter(campaign=campaign).order_by("id")


def evidence_for(user: User, campaign: Campaign) -> QuerySet[Evidence]:
    """The campaign's current evidence `user` may see (a grid's staff: their grid's), in the tree's order."""
    return (
        Evidence.objects.for_user(user)
        .current()
        .filter(indicator__campaign=campaign)
        .select_related("indicator", "area", "filed_by", "case", "inspection", "compound")
        .order_by("indicator__order", "occurred_on", "id")
    )
