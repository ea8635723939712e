"""Forms of the campaign pages: a campaign's facts, one node of the indicator tree, an assignment, a score.
They parse; the services check and write."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.campaigns.models import Campaign, Indicator, IndicatorAssignment, Level
from wangge.cases.models import Category
from wangge.core.validators import validate_calendar_date
from wangge.territory.forms import bootstrap
from wangge.territory.models import Area, AreaKind, LeadershipGroup


def _date_input() -> forms.DateInput:
    """A date field the phone's date picker fills, sent back as ISO."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# The largest id a row can have (a signed 32-bit key): a bigger number names nothing, and SQLite cannot even look
# it up in an `in` list.
MAX_ID = 2**31 - 1

# How far down a sibling list an indicator can be placed (a tree has a few dozen per level).
MAX_ORDER = 99999


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id that refuses, as an invalid choice, any value no row's id can be."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
                )
        return super()._check_values(value)


def calendar_dates(form: forms.BaseForm, *names: str) -> None:
    """Refuse, on the form's date fields `names`, a day no office means (year 1, year 9999)."""
    for name in names:
        form.fields[name].validators.append(validate_calendar_date)


CAMPAIGN_FORM_FIELDS = ["name", "issuer", "starts_on", "ends_on", "total_points", "description", "leadership_group"]


class CampaignForm(forms.ModelForm):
    """A campaign's facts and the grids taking part (every grid of the community, unless some are unticked)."""

    areas = IdsChoiceField(
        label=_("Grids taking part"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("The grids the standards are decomposed onto."),
    )

    field_order = [*CAMPAIGN_FORM_FIELDS, "areas", "public"]

    class Meta:
        model = Campaign
        fields = [*CAMPAIGN_FORM_FIELDS, "public"]
        widgets = {
            "starts_on": _date_input(),
            "ends_on": _date_input(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        # "name" alone reads as a person's name (姓名) in the interface, "description" as a case's (问题描述).
        labels = {"name": _("Campaign name"), "description": _("About the campaign")}

    def __init__(self, *args: Any, community: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grids = Area.objects.filter(kind=AreaKind.GRID, parent=community).order_by("code")
        self.fields["areas"].queryset = grids
        self.fields["leadership_group"].queryset = LeadershipGroup.objects.filter(area=community).order_by(
            "-created_at"
        )
        if self.instance.pk:
            self.fields["areas"].initial = list(self.instance.areas.values_list("pk", flat=True))
        else:
            self.fields["areas"].initial = list(grids.values_list("pk", flat=True))
        self.fields["total_points"].widget.attrs.update(min=0, step="0.01")
        calendar_dates(self, "starts_on", "ends_on")
        bootstrap(self)

    def validate_unique(self) -> None:
        """The service says when the community already has a campaign of this name."""

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service (`areas` as a list)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["areas"] = list(self.cleaned_data["areas"])
        return data


# The fields of a node by level: items and contents carry a number, a text and points; a standard says how it
# is assessed and scored, and how much evidence completes it.
UPPER_FIELDS = ["code", "text", "points", "order"]
STANDARD_FIELDS = [
    "code",
    "text",
    "points",
    "method",
    "scoring",
    "inspection_target",
    "case_category",
    "evidence_required",
    "public",
    "order",
]


class IndicatorForm(forms.ModelForm):
    """One node of the tree at a given level (its level and parent are fixed by where it is added)."""

    class Meta:
        model = Indicator
        fields = STANDARD_FIELDS
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        labels = {"code": _("Number"), "text": _("Text of the indicator")}

    def __init__(self, *args: Any, level: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = level
        if level != Level.STANDARD:
            for name in set(STANDARD_FIELDS) - set(UPPER_FIELDS):
                del self.fields[name]
        else:
            self.fields["method"].required = True
            self.fields["case_category"].queryset = Category.objects.filter(active=True).order_by("order", "code")
            self.fields["inspection_target"].help_text = _("Scored from inspections: of which places (empty: all).")
            self.fields["case_category"].help_text = _("Scored from cases: of which category (empty: all).")
            required = self.fields["evidence_required"]
            required.validators += [MinValueValidator(0), MaxValueValidator(50)]
            required.widget.attrs.update(min=0, max=50)
        order = self.fields["order"]
        order.required = False
        order.validators.append(MaxValueValidator(MAX_ORDER))
        order.widget.attrs.update(min=0, max=MAX_ORDER)
        if not self.instance.pk:
            # Empty, not the model's 0: a new node goes after its siblings unless told otherwise.
            self.initial["order"] = None
        self.fields["order"].help_text = _("Leave empty to keep it where it is (a new one goes last).")
        self.fields["points"].widget.attrs.update(min=0, step="0.01")
        bootstrap(self)

    def validate_unique(self) -> None:
        """The service checks the number against the campaign's other indicators."""

    def _post_clean(self) -> None:
        """The service checks the node as a whole (its level, parent and campaign are not the form's)."""

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service."""
        return {name: self.cleaned_data[name] for name in self.fields}


class AssignmentForm(forms.Form):
    """Decompose a standard onto an area taking part and a responsible person, with a target and a due date."""

    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    person = forms.ModelChoiceField(label=_("Responsible person"), queryset=User.objects.none())
    target = forms.CharField(label=_("Target"), max_length=200, required=False)
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=_date_input(), validators=[validate_calendar_date]
    )

    def __init__(self, *args: Any, campaign: Campaign, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The community itself, then the grids taking part.
        taking_part = Q(pk=campaign.community_id) | Q(pk__in=campaign.areas.values("pk"))
        self.fields["area"].queryset = Area.objects.filter(taking_part).order_by("path")
        self.fields["person"].queryset = people.order_by("display_name", "username")
        bootstrap(self)

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service."""
        return dict(self.cleaned_data)


class ScoreForm(forms.ModelForm):
    """The self-assessed score of a standard scored by hand, for one area; empty clears it."""

    class Meta:
        model = IndicatorAssignment
        fields = ["score", "score_note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].widget.attrs.update(min=0, step="0.01")
        bootstrap(self)

    def validate_unique(self) -> None:
        """Nothing unique to check: the assignment exists."""

    def _post_clean(self) -> None:
        """The service checks the score against the standard's points."""

    def service_data(self) -> dict[str, Any]:
        """The cleaned values, named as the service takes them."""
        return {"score": self.cleaned_data["score"], "note": self.cleaned_data["score_note"] or ""}
