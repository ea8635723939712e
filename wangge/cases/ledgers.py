"""The ledger (台账) of cases: export only, what the case lists show, without the reporter's personal data."""

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.cases.models import OPEN_STATES, Case, State
from wangge.core import ledgers
from wangge.core.ledgers import Column, Ledger, local_time


class CaseLedger(Ledger):
    name = "cases"
    title = gettext_lazy("Cases")
    model = Case
    columns = (
        Column("number", gettext_lazy("Number"), imported=False, width=16),
        Column("category", gettext_lazy("Category"), imported=False, width=20),
        Column("state", gettext_lazy("State"), imported=False, width=10),
        Column("grid", gettext_lazy("Grid"), imported=False, width=14),
        Column("place", gettext_lazy("Compound or shop"), imported=False, width=20),
        Column("reported_at", gettext_lazy("Reported at"), imported=False, width=17),
        Column("deadline_at", gettext_lazy("Deadline"), imported=False, width=17),
        Column("closed_at", gettext_lazy("Closed at"), imported=False, width=17),
        Column("overdue", gettext_lazy("Overdue?"), imported=False, width=9),
    )

    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        # Only what the columns need: the reporter's encrypted fields are never read.
        return (
            queryset.select_related(None)
            .select_related("category", "area", "compound", "shop")
            .only(
                "number",
                "state",
                "reported_at",
                "deadline_at",
                "closed_at",
                "overdue_at",
                "category__name",
                "area__name",
                "compound__name",
                "shop__name",
            )
        )

    def export_row(self, instance: Case, *, reveal: bool) -> list[Any]:
        place = instance.shop or instance.compound
        late_open = instance.state in OPEN_STATES and instance.deadline_at and instance.deadline_at < timezone.now()
        late_closed = (
            instance.state == State.CLOSED
            and instance.deadline_at
            and instance.closed_at
            and instance.closed_at > instance.deadline_at
        )
        return [
            instance.number or "",
            instance.category.name,
            instance.get_state_display(),
            instance.area.name,
            place.name if place else "",
            local_time(instance.reported_at),
            local_time(instance.deadline_at),
            local_time(instance.closed_at),
            _("yes") if instance.overdue_at or late_open or late_closed else _("no"),
        ]


CASES = ledgers.register(CaseLedger())
