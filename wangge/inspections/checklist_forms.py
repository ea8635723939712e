"""Forms of the checklist pages: a checklist's own fields and one item. They parse; the services write."""

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Category
from wangge.inspections.models import Checklist, ChecklistItem
from wangge.territory.forms import bootstrap
from wangge.territory.models import Trade


def _limit(field: forms.Field, low: int, high: int) -> None:
    """Bound a whole-number field derived from a model field (its validators are made before we can say)."""
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update(min=low, max=high)


class ChecklistForm(forms.ModelForm):
    """A new checklist (code, name, kind of place, ...), or the fields of a version that may still change."""

    class Meta:
        model = Checklist
        fields = ["code", "name", "target", "description", "pass_mark", "grouping"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        # "name" alone reads as a person's name (姓名) in the interface.
        labels = {"code": _("Checklist code"), "name": _("Checklist name"), "target": _("Place kind")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The code and the kind of place name the standard across its versions: they never change.
            del self.fields["code"]
            del self.fields["target"]
        else:
            self.fields["code"].help_text = _("Letters, digits, - and _, e.g. compound-sanitation.")
        _limit(self.fields["pass_mark"], 0, 100)
        bootstrap(self)

    def validate_unique(self) -> None:
        """The service says when a code is taken (with what to do instead)."""

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service."""
        return {name: self.cleaned_data[name] for name in self.fields}


class ItemForm(forms.ModelForm):
    """One item of a checklist; its code is fixed once the item exists (relapses are counted by it)."""

    trades = forms.MultipleChoiceField(
        label=_("only for trades"),
        required=False,
        help_text=_("Street shops only. None chosen: every place the checklist is for."),
    )

    class Meta:
        model = ChecklistItem
        fields = ["code", "section", "text", "points", "severity", "category", "photo_required", "rectify_hours"]

    def __init__(self, *args: Any, target: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["code"]
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("order", "code")
        _limit(self.fields["points"], 1, 100)
        _limit(self.fields["rectify_hours"], 1, 24 * 365)
        if target == "shop":
            self.fields["trades"].choices = list(Trade.objects.values_list("code", "name"))
            self.fields["trades"].widget.attrs["size"] = 6
            self.fields["trades"].initial = list(self.instance.trades or [])
        else:
            del self.fields["trades"]
        bootstrap(self)

    def validate_unique(self) -> None:
        """The service checks the code against the checklist's other items."""

    def service_data(self) -> dict[str, Any]:
        """The cleaned values to hand to the service (the code only for a new item)."""
        return {name: self.cleaned_data[name] for name in self.fields}
