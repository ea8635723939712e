"""The evidence ledger (台账): the ledger in the tree's order with each standard's completeness, filing a piece of
evidence (on a phone too), one piece and its file, and withdrawing a piece. Views parse, call, render.

Who sees what is the scoping's: a grid's staff see their grid's pieces (and every standard's count); filing is
for the field roles in the areas they work in; withdrawing is the filer's or the director's.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import User
from wangge.accounts.roles import Action
from wangge.campaigns import binder, selectors, services
from wangge.campaigns.evidence_forms import (
    MAX_MINUTES,
    EvidenceForm,
    LedgerFilterForm,
    WithdrawForm,
    filing_areas,
    ledger_areas,
)
from wangge.campaigns.models import Campaign, CampaignStatus, Evidence, EvidenceKind, Indicator
from wangge.campaigns.selectors import AssignmentState, Node, StandardState
from wangge.campaigns.views import campaign_page
from wangge.cases.models import Case
from wangge.core.bodylimit import body_limit
from wangge.core.htmx import partial_or_page
from wangge.core.scoping import get_for_user
from wangge.territory.models import Area

# Room for the text fields (the minutes) and the multipart boundaries around the one file.
FORM_OVERHEAD = 1024 * 1024 + MAX_MINUTES * 4
EVIDENCE_RELATED = (
    "indicator__parent__parent",
    "indicator__campaign__community",
    "area",
    "filed_by",
    "withdrawn_by",
    "case__category",
    "inspection__compound",
    "inspection__shop",
    "inspection__building",
    "compound",
)


# The ledger


@dataclass
class LedgerStandard:
    """One standard in the ledger: its state, the pieces shown, and its completeness (in the chosen area)."""

    state: StandardState
    pieces: list[Evidence]
    areas: list[AssignmentState]
    evidence: int
    complete: bool
    required: int  # in the chosen area, or in all the areas the standard is assigned to

    @property
    def indicator(self) -> Indicator:
        return self.state.indicator


@dataclass
class LedgerGroup:
    """A content (测评内容) of an item with its standards, as the ledger shows them."""

    indicator: Indicator
    standards: list[LedgerStandard] = field(default_factory=list)


@dataclass
class Ledger:
    """The ledger as shown: items, each with its contents and their standards, and the totals of what is shown."""

    items: list[tuple[Indicator, list[LedgerGroup]]]
    standards: int = 0
    complete: int = 0
    pieces: int = 0

    @property
    def incomplete(self) -> int:
        return self.standards - self.complete


def _visible(user: User, path: str) -> bool:
    prefixes = user.area_prefixes(Action.VIEW)
    return prefixes is None or any(path.startswith(prefix) for prefix in prefixes)


def ledger(
    user: User,
    campaign: Campaign,
    *,
    item: int | None = None,
    area: Area | None = None,
    kind: str = "",
    incomplete: bool = False,
    roots: list[Node] | None = None,
) -> Ledger:
    """The campaign's ledger as `user` may see it, in the tree's order: every standard with its completeness (in
    `area` when one is chosen, else over the campaign) and the pieces the user may see, filtered.

    A fixed number of queries, however many pieces there are."""
    states = {state.indicator.pk: state for state in selectors.standard_states(campaign)}
    evidence = selectors.evidence_for(user, campaign)
    if area is not None:
        evidence = evidence.filter(area=area)
    pieces: dict[int, list[Evidence]] = defaultdict(list)
    for piece in evidence:
        pieces[piece.indicator_id].append(piece)
    result = Ledger(items=[])
    for root in selectors.tree(campaign) if roots is None else roots:
        if item is not None and root.indicator.pk != item:
            continue
        groups = []
        for content in root.children:
            group = LedgerGroup(content.indicator)
            for node in content.children:
                state = states.get(node.indicator.pk)
                if state is None:
                    continue
                mine = pieces.get(node.indicator.pk, [])
                if area is not None:
                    # Everything filed in an area the user may choose is theirs to see: the count is exact.
                    required = node.indicator.evidence_required
                    count, complete = len(mine), len(mine) >= required
                else:
                    count, complete, required = state.evidence, state.complete, state.required
                shown = [piece for piece in mine if not kind or piece.kind == kind]
                if (incomplete and complete) or (kind and not shown):
                    continue
                areas = [row for row in state.assignments if _visible(user, row.assignment.area.path)]
                if area is not None:
                    areas = [row for row in areas if row.assignment.area_id == area.pk]
                group.standards.append(LedgerStandard(state, shown, areas, count, complete, required))
                result.standards += 1
                result.complete += int(complete)
                result.pieces += len(shown)
            if group.standards:
                groups.append(group)
        if groups:
            result.items.append((root.indicator, groups))
    return result


@campaign_page
def evidence_list(request: HttpRequest, pk: int) -> HttpResponse:
    """台账: the ledger by the tree's order, each standard's completeness and its pieces, with filters."""
    campaign = selectors.campaign_for(request.user, pk)
    roots = selectors.tree(campaign)
    items = [node.indicator for node in roots]
    filters = LedgerFilterForm(request.GET or None, items=items, areas=ledger_areas(request.user, campaign))
    chosen = filters.chosen()
    context = {
        "campaign": campaign,
        "filters": filters,
        "chosen": chosen,
        "ledger": ledger(request.user, campaign, **chosen, roots=roots),
        "may_file": campaign.status != CampaignStatus.CLOSED and filing_areas(request.user, campaign).exists(),
        "may_export": binder.may_export(request.user, campaign),
    }
    template = partial_or_page(request, "campaigns/evidence_list.html", "campaigns/partials/evidence_ledger.html")
    return render(request, template, context)


# Filing


def evidence_body_limit(**_view_kwargs: Any) -> int:
    """The largest request that files one piece of evidence: the larger file limit, the minutes and the form."""
    return max(settings.EVIDENCE_MAX_BYTES, settings.PHOTO_MAX_BYTES) + FORM_OVERHEAD


def evidence_too_large_message() -> str:
    """What a refused piece of evidence is told."""
    largest = max(settings.EVIDENCE_MAX_BYTES, settings.PHOTO_MAX_BYTES)
    return _("This file is too large (at most %(mb)d MB).") % {"mb": largest // 2**20}


def refused_as_too_large(message: Callable[[], str]) -> Callable[[HttpRequest], HttpResponse]:
    """The answer to a body over the limit (413): a page saying `message()`."""

    def refuse(request: HttpRequest) -> HttpResponse:
        return render(request, "campaigns/evidence_refused.html", {"message": message()}, status=413)

    return refuse


def _initial(request: HttpRequest, user: User, campaign: Campaign) -> dict[str, Any]:
    """What the form starts with: today, and what the query string chooses (?indicator=, ?area=, ?kind=; htmx
    sends the whole form back this way when the kind or the area changes)."""
    names = ("indicator", "area", "kind", "title", "occurred_on", "text", "case", "inspection_number", "compound")
    initial: dict[str, Any] = {name: request.GET[name] for name in names if request.GET.get(name)}
    initial.setdefault("occurred_on", timezone.localdate())
    initial.setdefault("kind", EvidenceKind.PHOTO)
    indicator = str(initial.get("indicator", ""))
    if "area" not in initial and indicator.isascii() and indicator.isdigit():
        # A standard chosen from the ledger: the user's area it is assigned to, when there is one.
        assigned = filing_areas(user, campaign).filter(indicator_assignments__indicator_id=int(indicator)).first()
        if assigned is not None:
            initial["area"] = assigned.pk
    return initial


@campaign_page
@body_limit(evidence_body_limit, refused_as_too_large(evidence_too_large_message))
def evidence_create(request: HttpRequest, pk: int) -> HttpResponse:
    """File a piece of evidence against a standard for one of the user's areas; a refusal writes nothing."""
    user = request.user
    campaign = selectors.campaign_for(user, pk)
    if not filing_areas(user, campaign).exists():
        raise PermissionDenied(_("You do not file evidence for this campaign."))
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, user=user, campaign=campaign, refresh_url=request.path)
        if form.is_valid():
            try:
                evidence = services.evidence_file(actor=user, **form.service_kwargs())
            except ValidationError as error:
                form.show_service_error(error)
            else:
                messages.success(request, _("Evidence filed: %(title)s") % {"title": evidence.title})
                return redirect("campaigns:evidence_detail", pk=evidence.pk)
    else:
        initial = _initial(request, user, campaign)
        form = EvidenceForm(initial=initial, user=user, campaign=campaign, refresh_url=request.path)
    context = {
        "campaign": campaign,
        "form": form,
        "file_sent": bool(request.FILES),
        "max_mb": settings.EVIDENCE_MAX_BYTES // 2**20,
        "photo_max_mb": settings.PHOTO_MAX_BYTES // 2**20,
    }
    template = partial_or_page(request, "campaigns/evidence_form.html", "campaigns/partials/evidence_kind_fields.html")
    return render(request, template, context)


# One piece


def _evidence_for(request: HttpRequest, pk: int) -> Evidence:
    """A piece of evidence the user may see (withdrawn ones too: they are kept), or 404."""
    return get_for_user(Evidence.objects.select_related(*EVIDENCE_RELATED), request.user, pk=pk)


def _may_withdraw(user: User, evidence: Evidence) -> bool:
    return evidence.withdrawn_at is None and (
        user.pk == evidence.filed_by_id or selectors.may_run(user, evidence.indicator.campaign)
    )


def _detail(request: HttpRequest, evidence: Evidence, form: WithdrawForm | None = None, status: int = 200):
    context = {
        "campaign": evidence.indicator.campaign,
        "evidence": evidence,
        "standard": evidence.indicator,
        "content": evidence.indicator.parent,
        "item": evidence.indicator.parent.parent if evidence.indicator.parent else None,
        "is_photo": evidence.content_type.startswith("image/"),
        "may_withdraw": _may_withdraw(request.user, evidence),
        # The case's own page only for those who may open it; the others read its number and state here.
        "case_visible": evidence.case_id is not None
        and Case.objects.for_user(request.user).filter(pk=evidence.case_id).exists(),
        "withdraw_form": form or WithdrawForm(),
    }
    return render(request, "campaigns/evidence_detail.html", context, status=status)


@campaign_page
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One piece of evidence: what it is, for which standard and area, who filed it, its file or link."""
    return _detail(request, _evidence_for(request, pk))


@campaign_page
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file, as a download under the name it was filed with, never rendered by the browser."""
    evidence = _evidence_for(request, pk)
    if not evidence.file:
        raise Http404
    name = evidence.file_name or PurePath(evidence.file.name).name
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
@campaign_page
def evidence_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a piece out of the ledger, saying why: its filer or the director (the piece is kept)."""
    evidence = _evidence_for(request, pk)
    if request.user.pk != evidence.filed_by_id and not selectors.may_run(request.user, evidence.indicator.campaign):
        raise PermissionDenied(_("Only the person who filed it or the community director withdraws evidence."))
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_withdraw(actor=request.user, evidence=evidence, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(request, _("Evidence withdrawn: %(title)s") % {"title": evidence.title})
            return redirect("campaigns:evidence_list", pk=evidence.indicator.campaign_id)
    return _detail(request, evidence, form, status=400)
