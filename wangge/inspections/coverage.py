"""The visits' part of the coverage report (无死角): per grid, the places whose visit is overdue or that were
never visited. Registered with territory's coverage report."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.inspections.selectors import visits_of
from wangge.territory.models import Area
from wangge.territory.selectors import CoverageGap


def overdue_visits(user: User, action: str, community: Area, grid_ids: set[int]) -> dict[int, list]:
    """Per grid id: the places overdue for a visit today, most overdue first (never visited first of all)."""
    gaps: dict[int, list] = {}
    visits = [v for v in visits_of(community, as_of=timezone.localdate(), user=user, action=action) if v.overdue]
    visits.sort(key=lambda v: (v.due is not None, v.due or v.as_of))
    for visit in visits:
        if visit.grid.pk in grid_ids:
            gaps.setdefault(visit.grid.pk, []).append(visit)
    return gaps


VISITS = CoverageGap(
    name="visit",
    label=_("overdue for a visit"),
    find=overdue_visits,
    template="inspections/partials/coverage_visits.html",
)
