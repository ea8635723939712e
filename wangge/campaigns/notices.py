"""What campaigns publish (公示): who answers for a public campaign's standards in each area, for the public
supervision page and every compound's notice board.

Only public facts leave here: staff display names, the areas they answer for, and the numbers and texts of the
standards marked public; the other standards are only counted. Territory shows the notice-board section through
its registry (`register_notice_section`), so territory never imports campaigns.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wangge.accounts.models import User
from wangge.campaigns import selectors
from wangge.campaigns.models import Campaign, CampaignStatus, Indicator, IndicatorAssignment
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, Compound
from wangge.territory.selectors import NoticeSection


@dataclass
class Answerer:
    """One person answering for standards of a campaign in one area: the public ones by name, the others counted."""

    person: User
    area: Area
    public: list[Indicator] = field(default_factory=list)
    others: int = 0

    @property
    def name(self) -> str:
        # Never the login name: a public page shows the name staff go by, or says only that someone answers.
        return self.person.display_name or _("a staff member")

    def facts(self) -> str:
        """The standards in words, for a notice board's row."""
        parts = [f"{indicator.code} {indicator.text}" for indicator in self.public]
        if self.others and parts:
            parts.append(
                ngettext("and %(n)d more standard", "and %(n)d more standards", self.others) % {"n": self.others}
            )
        elif self.others:
            parts.append(ngettext("%(n)d standard", "%(n)d standards", self.others) % {"n": self.others})
        return " · ".join(parts)


def answerers(campaign: Campaign) -> dict[int, list[Answerer]]:
    """Who answers for the campaign's standards, by area id, each person once per area (one query)."""
    assignments = (
        IndicatorAssignment.objects.filter(indicator__campaign=campaign)
        .select_related("indicator", "person", "area")
        .order_by("area__path", "indicator__order", "indicator_id")
    )
    found: dict[tuple[int, int], Answerer] = {}
    by_area: dict[int, list[Answerer]] = defaultdict(list)
    for assignment in assignments:
        key = (assignment.area_id, assignment.person_id)
        if key not in found:
            found[key] = Answerer(assignment.person, assignment.area)
            by_area[assignment.area_id].append(found[key])
        if assignment.indicator.public:
            found[key].public.append(assignment.indicator)
        else:
            found[key].others += 1
    return dict(by_area)


def campaign_sections(compound: Compound) -> list[NoticeSection]:
    """The notice board's sections for a compound: per campaign under way and published by its community, who
    answers for the campaign in the compound's grid and in the whole community."""
    grid = compound.area
    community = grid.parent
    if community is None:
        return []
    sections = []
    for campaign in selectors.public_campaigns(community).filter(status=CampaignStatus.ACTIVE):
        by_area = answerers(campaign)
        rows = [(answerer.name, answerer.facts()) for answerer in by_area.get(grid.pk, [])]
        rows += [
            (answerer.name, _("Whole community: %(standards)s") % {"standards": answerer.facts()})
            for answerer in by_area.get(community.pk, [])
        ]
        if rows:
            sections.append(
                NoticeSection(
                    title=_("%(campaign)s: who answers for it") % {"campaign": campaign.name},
                    rows=rows,
                    note=_("Who answers for the campaign's standards in this grid and in the whole community."),
                )
            )
    return sections


def register() -> None:
    """Put the campaigns' section on every compound's notice board (called from CampaignsConfig.ready)."""
    territory_selectors.register_notice_section(campaign_sections)
