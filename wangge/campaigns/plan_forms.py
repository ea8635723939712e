"""Forms of the work plan pages: a plan's name, a phase, a task, a task's report. They parse; the services write."""

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.campaigns.forms import IdsChoiceField, calendar_dates
from wangge.campaigns.models import Campaign, Indicator, Level, Phase, PlanTask, TaskStatus, WorkPlan
from wangge.core.validators import validate_calendar_date
from wangge.territory import selectors as territory_selectors
from wangge.territory.forms import bootstrap
from wangge.territory.models import Area


def _day_widget(campaign: Campaign) -> forms.DateInput:
    """A date picker that offers the campaign's days (the service checks them again)."""
    return forms.DateInput(
        attrs={"type": "date", "min": campaign.starts_on.isoformat(), "max": campaign.ends_on.isoformat()},
        format="%Y-%m-%d",
    )


def taking_part(campaign: Campaign) -> Any:
    """The areas a campaign's tasks and records may belong to: the community and the grids taking part."""
    return Area.objects.filter(Q(pk=campaign.community_id) | Q(pk__in=campaign.areas.values("pk"))).order_by("path")


class PlanForm(forms.Form):
    """A new work plan of a campaign: its name."""

    name = forms.CharField(label=_("Work plan name"), max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["placeholder"] = _("e.g. Work plan of the campaign")
        bootstrap(self)


class PhaseForm(forms.ModelForm):
    """A phase of a work plan: its name, kind and dates (inside the campaign), and its place in the order."""

    # Not a model field here: empty means "last", which the service works out (the model would refuse None).
    order = forms.IntegerField(
        label=_("Order"), required=False, min_value=0, max_value=32767, help_text=_("Empty: after the last phase.")
    )

    class Meta:
        model = Phase
        fields = ["name", "kind", "starts_on", "ends_on"]
        # "name" alone reads as a person's name (姓名) in the interface.
        labels = {"name": _("Phase name")}

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_on", "ends_on"):
            self.fields[name].widget = _day_widget(campaign)
        calendar_dates(self, "starts_on", "ends_on")
        if self.instance.pk:
            self.initial["order"] = self.instance.order
        bootstrap(self)

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service."""
        return {name: self.cleaned_data[name] for name in [*self.Meta.fields, "order"]}


class TaskForm(forms.ModelForm):
    """A task of a plan: its phase, title, owner, area, dates, the standards it serves and a note."""

    class Meta:
        model = PlanTask
        fields = ["phase", "title", "owner", "area", "starts_on", "due_on", "indicators", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"indicators": IdsChoiceField}

    def __init__(self, *args: Any, plan: WorkPlan, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign = plan.campaign
        fields = self.fields
        fields["phase"].queryset = plan.phases.order_by("order", "starts_on", "id")
        fields["phase"].empty_label = None
        fields["phase"].error_messages["invalid_choice"] = _("Choose a phase of this work plan.")
        fields["owner"].queryset = territory_selectors.people_for(user).order_by("display_name", "username")
        fields["owner"].error_messages["invalid_choice"] = _("No such person among the staff of your areas.")
        fields["area"].queryset = taking_part(campaign)
        fields["area"].error_messages["invalid_choice"] = _("Choose the community or a grid taking part.")
        fields["indicators"].queryset = Indicator.objects.filter(campaign=campaign, level=Level.STANDARD).order_by(
            "order", "id"
        )
        fields["indicators"].error_messages["invalid_choice"] = _("Choose standards of this campaign.")
        fields["indicators"].widget.attrs["size"] = 6
        fields["indicators"].help_text = _("Hold Ctrl (or ⌘) to choose more than one.")
        for name in ("starts_on", "due_on"):
            fields[name].widget = _day_widget(campaign)
        calendar_dates(self, "starts_on", "due_on")
        bootstrap(self)

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["indicators"] = list(data["indicators"])
        return data


class TaskStatusForm(forms.Form):
    """A report on a task: in progress, done (on a day), cancelled, or back to not started."""

    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
        validators=[validate_calendar_date],
    )

    def __init__(self, *args: Any, runs: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not runs:
            # An owner reports progress; cancelling or reopening a task is the director's.
            self.fields["status"].choices = [
                (value, label) for value, label in TaskStatus.choices if value in (TaskStatus.DOING, TaskStatus.DONE)
            ]
        bootstrap(self)
