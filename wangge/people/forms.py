"""Forms of the people register: they parse input; the services validate it and write.

Personal data is never sent back to the browser in clear: an edit form shows the ID and phone number empty
with the masked value as a hint (left empty, the stored value stays), and sensitive tags unticked.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wangge.accounts.models import User
from wangge.core.pii import masked
from wangge.people import selectors
from wangge.people import tags as care_tags
from wangge.people.models import IdType, Relation, Residence, Resident, ResidentStatus, Sex
from wangge.territory.forms import add_service_errors, bootstrap

__all__ = [
    "ArchiveForm",
    "HouseholdForm",
    "RegistrationForm",
    "ResidentForm",
    "ResidentSearchForm",
    "add_service_errors",
    "bootstrap",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ResidentForm(forms.Form):
    """A new resident, or a living resident's details; `resident` given means editing."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_type = forms.ChoiceField(label=_("Document type"), choices=IdType.choices, initial=IdType.ID_CARD)
    id_number = forms.CharField(label=_("Document number"), max_length=40)
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("", _("— from the ID number —")), *Sex.choices],
        required=False,
    )
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=DateInput(), help_text=_("Left empty: read from the ID number.")
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput({"inputmode": "tel"})
    )
    residence = forms.ChoiceField(label=_("Residence type"), choices=Residence.choices)
    registered_address = forms.CharField(label=_("Place of household registration"), max_length=200, required=False)
    dwelling = forms.ModelChoiceField(label=_("Dwelling"), queryset=Resident.objects.none())
    household = forms.ModelChoiceField(label=_("Household"), queryset=Resident.objects.none(), required=False)
    relation = forms.ChoiceField(
        label=_("Relation to the head"), choices=[("", "—"), *Relation.choices], required=False
    )
    moved_in_on = forms.DateField(label=_("Moved in on"), required=False, widget=DateInput())
    tags = forms.MultipleChoiceField(
        label=_("Care tags"),
        choices=care_tags.choices(sensitive=False),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sensitive_tags = forms.MultipleChoiceField(
        label=_("Sensitive care tags"),
        choices=care_tags.choices(sensitive=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sensitive personal information: stored encrypted, shown only to those who may reveal it."),
    )
    clear_sensitive_tags = forms.BooleanField(label=_("Remove all sensitive care tags"), required=False)

    def __init__(self, *args: Any, user: User, action: str, resident: Resident | None = None, **kwargs: Any) -> None:
        self.resident = resident
        # The birth date is what the masked ID hides: shown only to who may reveal the ID (else: left empty).
        self.birth_date_hidden = resident is not None and not selectors.may_reveal(user, resident.area_path)
        if resident is not None:
            initial = self.initial_of(resident)
            if self.birth_date_hidden:
                initial.pop("birth_date")
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].queryset = selectors.dwellings_for(user, action)
        self.fields["household"].queryset = (
            selectors.households_for(user, action).select_related("dwelling__building").order_by("number")
        )
        if resident is None:
            del self.fields["clear_sensitive_tags"]
        else:
            self._hide_personal_data(resident)
        bootstrap(self)
        for name in ("tags", "sensitive_tags"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        if "clear_sensitive_tags" in self.fields:
            self.fields["clear_sensitive_tags"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_of(resident: Resident) -> dict[str, Any]:
        """What the edit form starts from: everything but the encrypted fields."""
        return {
            "name": resident.name,
            "id_type": resident.id_type,
            "sex": resident.sex,
            "birth_date": resident.birth_date,
            "residence": resident.residence,
            "registered_address": resident.registered_address,
            "dwelling": resident.dwelling_id,
            "household": resident.household_id,
            "relation": resident.relation,
            "moved_in_on": resident.moved_in_on,
            "tags": care_tags.unpack(resident.tags),
        }

    def _hide_personal_data(self, resident: Resident) -> None:
        if self.birth_date_hidden and resident.birth_date:
            self.fields["birth_date"].help_text = _(
                "Hidden (it is part of the ID number). Leave empty to keep it, or to read it from a new ID number."
            )
        for name in ("id_number", "phone"):
            field = self.fields[name]
            field.required = False
            current = masked(resident, name)
            if current:
                field.widget.attrs["placeholder"] = current
                field.help_text = _("Leave empty to keep the current value.")
        count = len(care_tags.unpack(resident.sensitive_tags))
        if count:
            self.fields["sensitive_tags"].help_text = ngettext(
                "%(n)d sensitive tag is recorded and hidden. Tick tags to replace it; leave all unticked to keep it.",
                "%(n)d sensitive tags are recorded and hidden. Tick tags to replace them; leave all unticked to keep "
                "them.",
                count,
            ) % {"n": count}
        else:
            del self.fields["clear_sensitive_tags"]

    def service_data(self) -> dict[str, Any]:
        """The values to hand to resident_create or resident_update."""
        data = dict(self.cleaned_data)
        clear = data.pop("clear_sensitive_tags", False)
        data["relation"] = data.get("relation") or ""
        if self.resident is not None:
            for name in ("id_number", "phone"):
                if not data.get(name):
                    data.pop(name)
            if self.birth_date_hidden and not data.get("birth_date"):
                # Kept, unless a new ID card number is given: then it is read from the number.
                if not ("id_number" in data and data.get("id_type") == IdType.ID_CARD):
                    data.pop("birth_date", None)
            if clear:
                data["sensitive_tags"] = []
            elif not data.get("sensitive_tags"):
                data.pop("sensitive_tags")
        return data


class ResidentSearchForm(forms.Form):
    """What the resident list takes by POST only, never in a URL: a full ID or phone number (office roles), a
    sensitive care tag with the reason (those who may reveal personal data). See `people.search`."""

    number = forms.CharField(
        label=_("Full ID or phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput({"autocomplete": "off", "spellcheck": "false"}),
    )
    sensitive_tag = forms.ChoiceField(label=_("Sensitive care tag"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Required with a sensitive care tag. Your name, the tag, the reason and the count are logged."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not selectors.may_search_numbers(user):
            del self.fields["number"]
        if selectors.may_filter_sensitive(user):
            self.fields["sensitive_tag"].choices = [("", "—"), *care_tags.choices(sensitive=True)]
        else:
            del self.fields["sensitive_tag"]
            del self.fields["reason"]
        bootstrap(self)

    @property
    def offered(self) -> bool:
        return bool(self.fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("number") and not data.get("sensitive_tag"):
            raise forms.ValidationError(_("Enter a number or choose a sensitive care tag."))
        if data.get("sensitive_tag") and len(" ".join((data.get("reason") or "").split())) < 2:
            self.add_error("reason", _("Say why you filter by a sensitive care tag."))
        return data


class ArchiveForm(forms.Form):
    """Record that a resident moved out or died."""

    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[(ResidentStatus.MOVED_OUT, _("moved out")), (ResidentStatus.DECEASED, _("deceased"))],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(label=_("On"), widget=DateInput())
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["status"].widget.attrs["class"] = "form-check-input"


class HouseholdForm(forms.Form):
    """A household's number, dwelling and note."""

    number = forms.CharField(label=_("Household number"), max_length=32)
    dwelling = forms.ModelChoiceField(label=_("Dwelling"), queryset=Resident.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].queryset = selectors.dwellings_for(user, action)
        bootstrap(self)


class RegistrationForm(forms.Form):
    """A residence registration (居住登记) and the permit, when one was issued."""

    registered_on = forms.DateField(label=_("Registered on"), widget=DateInput())
    permit_number = forms.CharField(label=_("Residence permit number"), max_length=40, required=False)
    expires_on = forms.DateField(label=_("Permit expires on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)
