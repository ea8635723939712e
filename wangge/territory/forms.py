"""Forms parse and validate input; the services write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.pii import masked
from wangge.territory.models import Area, AreaKind, Building, Compound, PartnerUnit, Shop


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one the form has."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def bootstrap(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget of a form Bootstrap's class for its kind."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)
    return form


class ScopedModelForm(forms.ModelForm):
    """A model form whose area choices are the grids where the user may take `action`."""

    area_kinds: tuple[str, ...] = (AreaKind.GRID,)

    def __init__(self, *args, user: User, action: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if "area" in self.fields:
            self.fields["area"].queryset = (
                Area.objects.for_user(user, action).filter(kind__in=self.area_kinds).order_by("path")
            )
        bootstrap(self)

    def service_data(self) -> dict:
        """The cleaned values to hand to the service."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactFormMixin:
    """Personal contact fields are never sent back to the browser in clear.

    Editing shows them empty with the masked value as a hint; left empty, the stored value stays.
    """

    pii_fields = ("contact_name", "contact_phone")

    def hide_personal_data(self) -> None:
        if not self.instance.pk:
            return
        for name in self.pii_fields:
            self.initial[name] = ""
            field = self.fields[name]
            field.required = False
            current = masked(self.instance, name)
            if current:
                field.widget.attrs["placeholder"] = current
                field.help_text = _("Leave empty to keep the current value.")

    def service_data(self) -> dict:
        data = super().service_data()
        if self.instance.pk:
            for name in self.pii_fields:
                if not data.get(name):
                    data.pop(name, None)
        return data


class CompoundForm(ScopedModelForm):
    class Meta:
        model = Compound
        fields = ["code", "name", "area", "address", "management", "management_name", "longitude", "latitude"]


class BuildingForm(ScopedModelForm):
    class Meta:
        model = Building
        fields = ["code", "name", "kind", "compound", "area", "address", "floors", "longitude", "latitude"]
        help_texts = {"area": _("For a building in a compound, the compound's grid is used.")}

    def __init__(self, *args, user: User, action: str, **kwargs) -> None:
        super().__init__(*args, user=user, action=action, **kwargs)
        self.fields["compound"].queryset = Compound.objects.for_user(user, action).order_by("code")
        self.fields["area"].required = False


class ShopForm(ContactFormMixin, ScopedModelForm):
    class Meta:
        model = Shop
        fields = [
            "code",
            "name",
            "trade",
            "licence_number",
            "area",
            "address",
            "contact_name",
            "contact_phone",
            "status",
            "longitude",
            "latitude",
        ]
        widgets = {"contact_name": forms.TextInput(), "contact_phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hide_personal_data()


class PartnerUnitForm(ContactFormMixin, ScopedModelForm):
    area_kinds = (AreaKind.COMMUNITY, AreaKind.GRID)

    class Meta:
        model = PartnerUnit
        fields = ["code", "name", "kind", "area", "address", "contact_name", "contact_phone", "joint_work"]
        widgets = {
            "contact_name": forms.TextInput(),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "joint_work": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hide_personal_data()


class AssignmentForm(forms.Form):
    """Name a responsible person for a place: the choices are people who work in the place's area."""

    person = forms.ModelChoiceField(label=_("Responsible person"), queryset=User.objects.none())
    duty = forms.CharField(label=_("Duty"), max_length=100, required=False)

    def __init__(self, *args, place_path: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Everyone holding a working role whose scope contains the place: the scope paths above it.
        paths = {place_path[: i + 1] for i, ch in enumerate(place_path) if ch == "/"}
        working_roles = [role for role in Role.values if role != Role.RESIDENT]
        self.fields["person"].queryset = (
            User.objects.filter(
                is_active=True,
                memberships__active=True,
                memberships__scope_path__in=paths,
                memberships__role__in=working_roles,
            )
            .distinct()
            .order_by("display_name", "username")
        )
        bootstrap(self)
