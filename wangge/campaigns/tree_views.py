"""The indicator tree pages: the tree with its totals check, adding and changing its nodes inline (htmx answers
with the tree section, a plain request with the whole page), and one standard's page: its decomposition onto
areas and people, their scores, its evidence and the plan tasks serving it."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES
from wangge.campaigns import binder, selectors, services
from wangge.campaigns.forms import AssignmentForm, IndicatorForm, ScoreForm
from wangge.campaigns.models import (
    CHILD_LEVEL,
    Campaign,
    CampaignStatus,
    Indicator,
    IndicatorAssignment,
    Level,
    PlanTask,
    Scoring,
)
from wangge.campaigns.views import campaign_page, campaign_to_run
from wangge.core.htmx import wants_partial
from wangge.territory import selectors as territory_selectors
from wangge.territory.forms import add_service_errors

TREE_PARTIAL = "campaigns/partials/indicator_tree.html"


# Lookups


def _indicator(user: User, pk: int) -> Indicator:
    """An indicator of a campaign the user works on (404 otherwise)."""
    indicators = Indicator.objects.filter(campaign__in=selectors.campaigns_for(user).values("pk")).select_related(
        "campaign__community", "campaign__leadership_group", "parent__parent", "case_category"
    )
    return get_object_or_404(indicators, pk=pk)


def _assignment(user: User, pk: int) -> IndicatorAssignment:
    """An assignment the user may see, of a campaign they work on (404 otherwise: another grid's is out of scope)."""
    assignments = (
        IndicatorAssignment.objects.for_user(user)
        .filter(indicator__campaign__in=selectors.campaigns_for(user).values("pk"))
        .select_related("indicator__campaign__community", "area", "person")
    )
    return get_object_or_404(assignments, pk=pk)


def _visible_assignments(user: User, campaign: Campaign) -> set[int]:
    """The ids of the campaign's assignments the user may see: a grid's staff see their grid's only (another grid's
    target, due date, score and note are not theirs to read); the community's director and auditor see all."""
    visible = IndicatorAssignment.objects.for_user(user).filter(indicator__campaign=campaign)
    return set(visible.values_list("pk", flat=True))


def _shown(state: selectors.StandardState, visible: set[int]) -> list[selectors.AssignmentState]:
    return [row for row in state.assignments if row.assignment.pk in visible]


def _runs(user: User, campaign: Campaign) -> None:
    if not selectors.may_run(user, campaign):
        raise PermissionDenied


# The tree


def _tree_context(user: User, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    """The tree with every standard's state (who answers for it, evidence, score) and the totals check."""
    roots = selectors.tree(campaign)
    states = {state.indicator.pk: state for state in selectors.standard_states(campaign)}
    visible = _visible_assignments(user, campaign)
    for item in roots:
        for content in item.children:
            for standard in content.children:
                state = states.get(standard.indicator.pk)
                standard.indicator.state = state
                # The standard's own score and evidence are the community's; who answers for it is listed only
                # where the user may see it, the rest counted.
                shown = _shown(state, visible) if state is not None else []
                standard.indicator.shown_assignments = shown
                standard.indicator.hidden_assignments = len(state.assignments) - len(shown) if state else 0
    return {
        "campaign": campaign,
        "roots": roots,
        "problems": selectors.points_problems(campaign, roots),
        "total_points": sum((node.indicator.points for node in roots), 0),
        "may_run": selectors.may_change(user, campaign),
        "may_export": binder.may_export(user, campaign),
        **extra,
    }


@campaign_page
def indicator_tree(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's indicator system: items, contents and standards, with the totals check at the top."""
    campaign = selectors.campaign_for(request.user, pk)
    template = TREE_PARTIAL if wants_partial(request) else "campaigns/indicator_tree.html"
    return render(request, template, _tree_context(request.user, campaign))


def _form_response(
    request: HttpRequest,
    campaign: Campaign,
    form: IndicatorForm,
    *,
    parent: Indicator | None = None,
    editing: Indicator | None = None,
) -> HttpResponse:
    """The tree section with the form above it (htmx), or the form's own page."""
    if editing is not None:
        url = reverse("campaigns:indicator_edit", args=[editing.pk])
    else:
        url = reverse("campaigns:indicator_create", args=[campaign.pk])
    extra = {"indicator_form": form, "form_url": url, "parent": parent, "editing": editing}
    if wants_partial(request):
        return render(request, TREE_PARTIAL, _tree_context(request.user, campaign, **extra))
    return render(request, "campaigns/indicator_form.html", {"campaign": campaign, **extra})


def _saved(request: HttpRequest, campaign: Campaign, notice: str, anchor: str = "") -> HttpResponse:
    """After a change of the tree: the fresh tree section (htmx), or back to the tree page."""
    if wants_partial(request):
        return render(request, TREE_PARTIAL, _tree_context(request.user, campaign, notice=notice))
    messages.success(request, notice)
    return redirect(reverse("campaigns:indicator_tree", args=[campaign.pk]) + anchor)


def _suggested_code(campaign: Campaign, parent: Indicator | None) -> str:
    """The next number under `parent` ("1.3" after "1.1" and "1.2"), for the form to start from."""
    siblings = Indicator.objects.filter(campaign=campaign, parent=parent).count()
    return f"{parent.code}.{siblings + 1}" if parent is not None else str(siblings + 1)


@campaign_page
def indicator_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an item, a content under an item (?parent=) or a standard under a content."""
    campaign = campaign_to_run(request.user, pk)
    parent = None
    parent_pk = request.POST.get("parent") or request.GET.get("parent")
    if parent_pk:
        if not (parent_pk.isascii() and parent_pk.isdigit()):
            raise Http404
        parent = get_object_or_404(Indicator, campaign=campaign, pk=parent_pk)
    # Under a standard nothing can go: the service says so (a standard's "child" is refused by its level).
    level = CHILD_LEVEL.get(parent.level, Level.STANDARD) if parent is not None else Level.ITEM
    form = IndicatorForm(request.POST or None, level=level, initial={"code": _suggested_code(campaign, parent)})
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_save(
                actor=request.user, campaign=campaign, level=level, parent=parent, **form.service_data()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            notice = _("%(code)s added.") % {"code": indicator.code}
            return _saved(request, campaign, notice, f"#ind-{indicator.pk}")
    return _form_response(request, campaign, form, parent=parent)


@campaign_page
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a node of the tree; its level and place in the tree stay."""
    indicator = _indicator(request.user, pk)
    campaign = indicator.campaign
    _runs(request.user, campaign)
    # The form works on a copy; the service gets the stored node and records before and after.
    form = IndicatorForm(request.POST or None, instance=Indicator.objects.get(pk=indicator.pk), level=indicator.level)
    if request.method == "POST" and form.is_valid():
        data = {"public": indicator.public, **form.service_data()}
        try:
            services.indicator_save(
                actor=request.user,
                campaign=campaign,
                indicator=indicator,
                level=indicator.level,
                parent=indicator.parent,
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            notice = _("%(code)s saved.") % {"code": data["code"]}
            return _saved(request, campaign, notice, f"#ind-{indicator.pk}")
    return _form_response(request, campaign, form, editing=indicator)


@campaign_page
@require_POST
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a node with nothing under it; the service says what stands in the way."""
    indicator = _indicator(request.user, pk)
    campaign = indicator.campaign
    _runs(request.user, campaign)
    try:
        services.indicator_delete(actor=request.user, indicator=indicator)
    except ValidationError as error:
        problem = " ".join(error.messages)
        if wants_partial(request):
            return render(request, TREE_PARTIAL, _tree_context(request.user, campaign, problem=problem))
        messages.error(request, problem)
        return redirect(reverse("campaigns:indicator_tree", args=[campaign.pk]) + f"#ind-{indicator.pk}")
    return _saved(request, campaign, _("%(code)s deleted.") % {"code": indicator.code})


# One standard


def _standard_page(
    request: HttpRequest,
    indicator: Indicator,
    *,
    assign_form: AssignmentForm | None = None,
    score_form: ScoreForm | None = None,
    scored: int | None = None,
) -> HttpResponse:
    """A standard's page, with the bound form that was refused when there is one."""
    user = request.user
    campaign = indicator.campaign
    runs = selectors.may_change(user, campaign)
    still_open = campaign.status != CampaignStatus.CLOSED
    state = next(s for s in selectors.standard_states(campaign) if s.indicator.pk == indicator.pk)
    by_hand = indicator.scoring == Scoring.MANUAL
    rows = []
    # The figures above are the standard's over the community; the rows only the areas the user may see.
    shown = _shown(state, _visible_assignments(user, campaign))
    for row in shown:
        assignment = row.assignment
        may_score = by_hand and still_open and (runs or assignment.person_id == user.pk)
        if scored == assignment.pk:
            form = score_form  # refused: shown with its message, even on a standard not scored by hand
        else:
            form = ScoreForm(instance=assignment, prefix=f"a{assignment.pk}") if may_score else None
        rows.append({"state": row, "assignment": assignment, "score_form": form})
    if runs and assign_form is None:
        # "Change" on an assignment opens the form with its values (?area=).
        current = next((r["assignment"] for r in rows if str(r["assignment"].area_id) == request.GET.get("area")), None)
        initial = (
            {"area": current.area, "person": current.person, "target": current.target, "due_on": current.due_on}
            if current
            else {}
        )
        assign_form = AssignmentForm(campaign=campaign, people=territory_selectors.people_for(user), initial=initial)
    tasks = (
        PlanTask.objects.for_user(user)
        .filter(indicators=indicator)
        .select_related("plan", "phase", "owner", "area")
        .order_by("due_on", "id")
    )
    context = {
        "campaign": campaign,
        "indicator": indicator,
        "state": state,
        "rows": rows,
        "hidden_assignments": len(state.assignments) - len(shown),
        "may_run": runs,
        "assign_form": assign_form if runs else None,
        "evidence": list(selectors.evidence_for(user, campaign).filter(indicator=indicator)),
        "tasks": list(tasks),
        # Evidence is filed by the staff working in the field (an auditor reads it).
        "may_file": user.is_superuser or bool(user.roles() & INSPECT_ROLES),
    }
    return render(request, "campaigns/indicator_detail.html", context)


@campaign_page
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A standard: its text, method, points and scoring, who answers for it where, its evidence and tasks."""
    indicator = _indicator(request.user, pk)
    if not indicator.is_standard:
        # An item or content is read in the tree, where its standards are.
        return redirect(reverse("campaigns:indicator_tree", args=[indicator.campaign_id]) + f"#ind-{indicator.pk}")
    return _standard_page(request, indicator)


def _back_to(indicator: Indicator, anchor: str = "#assignments") -> HttpResponse:
    return redirect(reverse("campaigns:indicator_detail", args=[indicator.pk]) + anchor)


@campaign_page
def assignment_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the standard to an area and a responsible person (or change who, what and by when there)."""
    indicator = _indicator(request.user, pk)
    _runs(request.user, indicator.campaign)
    if request.method != "POST":
        return _back_to(indicator, "#assign")
    if not indicator.is_standard:
        # Only a standard is assigned: the service's word, shown where the node is, in the tree.
        messages.error(request, _("Only a standard is assigned; an item or content is not."))
        return redirect(reverse("campaigns:indicator_tree", args=[indicator.campaign_id]) + f"#ind-{indicator.pk}")
    form = AssignmentForm(
        request.POST, campaign=indicator.campaign, people=territory_selectors.people_for(request.user)
    )
    if form.is_valid():
        try:
            assignment = services.assignment_save(actor=request.user, indicator=indicator, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(area)s: %(person)s answers for %(code)s.")
                % {"area": assignment.area.name, "person": assignment.person, "code": indicator.code},
            )
            return _back_to(indicator)
    return _standard_page(request, indicator, assign_form=form)


@campaign_page
@require_POST
def assignment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the standard back from an area."""
    assignment = _assignment(request.user, pk)
    indicator = assignment.indicator
    _runs(request.user, indicator.campaign)
    try:
        services.assignment_delete(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(area)s no longer answers for %(code)s.")
            % {
                "area": assignment.area.name,
                "code": indicator.code,
            },
        )
    return _back_to(indicator)


@campaign_page
@require_POST
def assignment_score(request: HttpRequest, pk: int) -> HttpResponse:
    """The self-assessed score of a standard scored by hand, for one area: by its responsible person or a runner."""
    assignment = _assignment(request.user, pk)
    indicator = assignment.indicator
    if assignment.person_id != request.user.pk:
        _runs(request.user, indicator.campaign)
    form = ScoreForm(request.POST, instance=IndicatorAssignment.objects.get(pk=assignment.pk), prefix=f"a{pk}")
    if form.is_valid():
        try:
            services.assignment_score(actor=request.user, assignment=assignment, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Score saved for %(area)s.") % {"area": assignment.area.name})
            return _back_to(indicator, f"#assignment-{assignment.pk}")
    return _standard_page(request, _indicator(request.user, indicator.pk), score_form=form, scored=assignment.pk)
