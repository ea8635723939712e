"""Forms of the inspection settings page (schedules and the red/black list policy): they parse the shape of the
input; services.schedule_save and services.policy_update judge and write."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.inspections.models import Policy, Schedule, Target, Unit
from wangge.territory.forms import bootstrap
from wangge.territory.models import Trade


class ScheduleForm(forms.Form):
    """How often places of a kind (optionally of some trades) are visited."""

    target = forms.ChoiceField(label=_("Place kind"), choices=Target.choices)
    trades = forms.MultipleChoiceField(
        label=_("Only for trades"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Shops only. None ticked: every shop."),
    )
    # Shown side by side (settings.html): the interval, then its unit.
    every = forms.IntegerField(label=_("Interval"), min_value=1, max_value=366, initial=1)
    unit = forms.ChoiceField(label=_("Unit of the period"), choices=Unit.choices, initial=Unit.WEEK)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trades"].choices = [(trade.code, trade.name) for trade in Trade.objects.order_by("order", "code")]
        bootstrap(self)
        self.fields["trades"].widget.attrs["class"] = "form-check-input"

    @classmethod
    def of(cls, schedule: Schedule) -> "ScheduleForm":
        """The form filled with a schedule's values, to edit it."""
        return cls(
            initial={
                "target": schedule.target,
                "trades": schedule.trades,
                "every": schedule.every,
                "unit": schedule.unit,
                "active": schedule.active,
            }
        )


class PolicyForm(forms.Form):
    """The relapse window and the public red/black list."""

    relapse_days = forms.IntegerField(
        label=_("Relapse window (days)"),
        min_value=1,
        max_value=365,
        help_text=_("Failing an item again within this many days of its verified rectification counts a relapse."),
    )
    public_ranking = forms.BooleanField(label=_("Publish the red/black list"), required=False)
    ranking_size = forms.IntegerField(label=_("Places on each of the red and black lists"), min_value=1, max_value=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @classmethod
    def of(cls, policy: Policy) -> "PolicyForm":
        """The form filled with the community's policy (its defaults when none is saved)."""
        return cls(
            initial={
                "relapse_days": policy.relapse_days,
                "public_ranking": policy.public_ranking,
                "ranking_size": policy.ranking_size,
            }
        )
