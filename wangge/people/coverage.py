"""The households' part of the coverage report (无遗漏): a household is covered when its dwelling or the
dwelling's building has an active responsible person (包干到户). Registered with territory's coverage report."""

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.people.models import Household
from wangge.territory.models import Assignment
from wangge.territory.selectors import CoverageKind


def households_coverage(user: User, action: str, grid_ids: set[int]) -> tuple[dict[int, int], dict[int, list]]:
    """Per grid: how many households there are, and those nobody answers for. Two queries."""
    households = (
        Household.objects.for_user(user, action)
        .filter(dwelling__building__area_id__in=grid_ids)
        .annotate(
            covered=Exists(Assignment.objects.filter(active=True, dwelling=OuterRef("dwelling_id")))
            | Exists(Assignment.objects.filter(active=True, building=OuterRef("dwelling__building_id")))
        )
    )
    totals = {
        row["dwelling__building__area_id"]: row["n"]
        for row in households.values("dwelling__building__area_id").annotate(n=Count("id"))
    }
    unassigned: dict[int, list] = {}
    for household in households.filter(covered=False).select_related("dwelling__building").order_by("area_path", "pk"):
        unassigned.setdefault(household.dwelling.building.area_id, []).append(household)
    return totals, unassigned


HOUSEHOLDS = CoverageKind(kind="household", label=_("household"), count=households_coverage)
