"""Forms of the evidence ledger: filing a piece of evidence, and the ledger's filters. They parse and look up what
the user may choose; `services.evidence_file` checks and writes."""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.accounts.roles import INSPECT_ROLES, Action
from wangge.campaigns import documents, selectors
from wangge.campaigns.models import Campaign, EvidenceKind, Indicator, Level
from wangge.cases.models import Case
from wangge.core.validators import validate_calendar_date
from wangge.inspections.models import Inspection
from wangge.territory.forms import add_service_errors, bootstrap
from wangge.territory.models import Area, Compound

# How many of the area's latest inspections the form offers to choose from (older ones: by number).
RECENT_INSPECTIONS = 20
MAX_MINUTES = 20000
# What the file input offers to pick, by kind (the service checks the content whatever the name).
DOCUMENT_ACCEPT = ",".join(documents.DOCUMENT_TYPES)
FILE_KINDS = (EvidenceKind.PHOTO, EvidenceKind.DOCUMENT, EvidenceKind.MEETING)
# What the form sends back when the kind or the area changes (never the CSRF token: it would land in a URL).
REFRESH_FIELDS = ("area", "kind", "text", "case", "inspection_number")
# A linked record the user may not see, or one outside the evidence's area.
LINK_UNKNOWN = {
    "case": _("No case with this number in your areas."),
    "inspection": _("No inspection with this number in your areas."),
}
LINK_OUTSIDE = {
    "case": _("No case with this number in %(area)s."),
    "inspection": _("No inspection with this number in %(area)s."),
    "compound": _("No compound with this code in %(area)s."),
}


def filing_areas(user: User, campaign: Campaign) -> QuerySet[Area]:
    """The areas taking part in the campaign where `user` may file evidence: where they work in the field."""
    taking_part = Q(pk=campaign.community_id) | Q(pk__in=campaign.areas.values("pk"))
    return Area.objects.for_user(user, Action.CHANGE, roles=INSPECT_ROLES).filter(taking_part).order_by("path")


def ledger_areas(user: User, campaign: Campaign) -> QuerySet[Area]:
    """The areas taking part in the campaign whose evidence `user` may see."""
    taking_part = Q(pk=campaign.community_id) | Q(pk__in=campaign.areas.values("pk"))
    return Area.objects.for_user(user).filter(taking_part).order_by("path")


def standard_choices(campaign: Campaign) -> list[tuple[str, list[tuple[int, str]]]]:
    """The campaign's standards grouped under their contents, in the tree's order (one query)."""
    groups = []
    for item in selectors.tree(campaign):
        for content in item.children:
            standards = [(n.indicator.pk, f"{n.indicator.code} {n.indicator.text[:60]}") for n in content.children]
            if standards:
                groups.append((f"{content.indicator.code} {content.indicator.text[:40]}", standards))
    return groups


def _date_input() -> forms.DateInput:
    """A date field the phone's date picker fills, sent back as ISO."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _chosen_pk(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


class EvidenceForm(forms.Form):
    """A piece of evidence: the standard, the area, the kind, a title and date, and by kind a file, minutes, or the
    case, inspection or compound it points to. The choices are what the user may file for and link to."""

    indicator = forms.TypedChoiceField(label=_("Assessment standard"), coerce=int)
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Choose an area taking part in this campaign where you work.")},
    )
    kind = forms.ChoiceField(label=_("Kind of evidence"), choices=EvidenceKind.choices, initial=EvidenceKind.PHOTO)
    title = forms.CharField(label=_("Title"), max_length=200)
    occurred_on = forms.DateField(label=_("Date"), widget=_date_input(), validators=[validate_calendar_date])
    file = forms.FileField(label=_("File"), required=False)
    text = forms.CharField(
        label=_("Minutes"), required=False, max_length=MAX_MINUTES, widget=forms.Textarea(attrs={"rows": 6})
    )
    case = forms.CharField(label=_("Case number"), required=False, max_length=20)
    inspection = forms.TypedChoiceField(label=_("Inspection"), required=False, coerce=int, empty_value=None)
    inspection_number = forms.IntegerField(
        label=_("or the inspection's number"), required=False, min_value=1, max_value=2**31 - 1
    )
    compound = forms.ModelChoiceField(label=_("Compound"), required=False, queryset=Compound.objects.none())

    def __init__(self, *args: Any, user: User, campaign: Campaign, refresh_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.campaign = user, campaign
        self.standards = standard_choices(campaign)
        self.fields["indicator"].choices = [("", "---------"), *self.standards]
        areas = filing_areas(user, campaign)
        self.fields["area"].queryset = areas
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        area = self._area(areas)
        if area is not None:
            compounds = Compound.objects.for_user(user).filter(area_path__startswith=area.path)
            self.fields["compound"].queryset = compounds.order_by("code")
        self.recent = self._recent_inspections(area)
        self.fields["inspection"].choices = [
            ("", "---------"),
            *[(i.pk, f"{i.inspected_at:%Y-%m-%d} · {i.place} · {i.score}") for i in self.recent],
        ]
        kind = self._value("kind") or EvidenceKind.PHOTO
        self.kind_name = kind if kind in EvidenceKind.values else EvidenceKind.PHOTO
        # No `capture`: a phone then offers the camera and the photos already taken (evidence is often older).
        accept = "image/*" if self.kind_name == EvidenceKind.PHOTO else DOCUMENT_ACCEPT
        self.fields["file"].widget.attrs["accept"] = accept
        if refresh_url:
            # Changing the kind or the area brings back the fields and choices that go with it (htmx).
            refresh = {
                "hx-get": refresh_url,
                "hx-target": "#kind-fields",
                "hx-trigger": "change",
                "hx-include": ",".join(f"[name={name}]" for name in REFRESH_FIELDS),
            }
            self.fields["kind"].widget.attrs.update(refresh)
            self.fields["area"].widget.attrs.update(refresh)
        self.fields["case"].widget.attrs.update(placeholder=_("e.g. 20140612000007"), inputmode="text")
        bootstrap(self)

    def _value(self, name: str) -> Any:
        """What the form holds for a field before cleaning: the posted value, or the initial one."""
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def _area(self, areas: QuerySet[Area]) -> Area | None:
        """The chosen area among the user's (the one choice when there is only one), for the dependent choices."""
        pk = _chosen_pk(self._value("area"))
        if pk is not None:
            return areas.filter(pk=pk).first()
        only = list(areas[:2])
        return only[0] if len(only) == 1 else None

    def _recent_inspections(self, area: Area | None) -> list[Inspection]:
        if area is None:
            return []
        inspections = Inspection.objects.for_user(self.user).filter(area_path__startswith=area.path)
        return list(
            inspections.select_related("compound", "shop", "building").order_by("-inspected_at", "-id")[
                :RECENT_INSPECTIONS
            ]
        )

    @property
    def kind_fields(self) -> list[forms.BoundField]:
        """The fields the chosen kind of evidence asks for, in the order the form shows them."""
        names = {
            EvidenceKind.PHOTO: ["file"],
            EvidenceKind.DOCUMENT: ["file"],
            EvidenceKind.MEETING: ["text", "file"],
            EvidenceKind.CASE: ["case"],
            EvidenceKind.INSPECTION: ["inspection", "inspection_number"],
            EvidenceKind.NOTICE: ["compound"],
        }[self.kind_name]
        return [self[name] for name in names]

    def clean_indicator(self) -> Indicator:
        indicator = Indicator.objects.filter(
            campaign=self.campaign, level=Level.STANDARD, pk=self.cleaned_data["indicator"]
        ).first()
        if indicator is None:
            raise forms.ValidationError(_("Choose a standard of this campaign."))
        return indicator

    def clean_case(self) -> Case | None:
        number = self.cleaned_data["case"].strip()
        if self.cleaned_data.get("kind") != EvidenceKind.CASE:
            return None
        if not number:
            raise forms.ValidationError(_("Enter the case number."))
        # Only the user's cases are found: another area's case is "not found", not "not yours".
        return self._linked(Case.objects.for_user(self.user).filter(number=number), "case")

    def _linked(self, records: QuerySet, field: str) -> Any:
        """The one record of `records` in the chosen area: the evidence's area's ledger shows what it links to, so
        the record must lie in that area (a grid's evidence links that grid's case), not elsewhere in the user's."""
        area = self.cleaned_data.get("area")
        found = records.filter(area_path__startswith=area.path).first() if area is not None else records.first()
        if found is None:
            if area is not None and records.exists():
                raise forms.ValidationError(LINK_OUTSIDE[field] % {"area": area.name})
            raise forms.ValidationError(LINK_UNKNOWN[field])
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == EvidenceKind.INSPECTION:
            pk = data.get("inspection") or data.get("inspection_number")
            if pk is None:
                self.add_error("inspection", _("Choose the inspection, or enter its number."))
                data["inspection"] = None
            else:
                try:
                    data["inspection"] = self._linked(
                        Inspection.objects.for_user(self.user).filter(pk=pk), "inspection"
                    )
                except forms.ValidationError as error:
                    self.add_error("inspection_number", error)
                    data["inspection"] = None
        else:
            data["inspection"] = None
        if kind != EvidenceKind.NOTICE:
            data["compound"] = None
        if kind not in FILE_KINDS:
            data["file"] = None
        if kind != EvidenceKind.MEETING:
            data["text"] = ""
        return data

    def show_service_error(self, error: forms.ValidationError) -> None:
        """A service's refusal on the form, by field where it names one."""
        add_service_errors(self, error)

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned form as `services.evidence_file` takes it."""
        data = self.cleaned_data
        return {
            "indicator": data["indicator"],
            "area": data["area"],
            "kind": data["kind"],
            "title": data["title"],
            "occurred_on": data["occurred_on"],
            "upload": data.get("file") or None,
            "text": data.get("text") or "",
            "case": data.get("case"),
            "inspection": data.get("inspection"),
            "compound": data.get("compound"),
        }


class WithdrawForm(forms.Form):
    """Why a piece of evidence leaves the ledger."""

    reason = forms.CharField(
        label=_("Reason for withdrawal"), max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class LedgerFilterForm(forms.Form):
    """The ledger's filters: an item, an area, a kind of evidence, incomplete standards only."""

    item = forms.TypedChoiceField(label=_("Assessment item"), required=False, coerce=int, empty_value=None)
    area = forms.ModelChoiceField(label=_("Area"), required=False, queryset=Area.objects.none())
    kind = forms.ChoiceField(label=_("Kind of evidence"), required=False)
    incomplete = forms.BooleanField(label=_("Incomplete only"), required=False)

    def __init__(self, *args: Any, items: list[Indicator], areas: QuerySet[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("All items")), *[(i.pk, f"{i.code} {i.text[:30]}") for i in items]]
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("All areas")
        self.fields["kind"].choices = [("", _("All kinds")), *EvidenceKind.choices]
        bootstrap(self)

    def chosen(self) -> dict[str, Any]:
        """The filters understood (one not understood is left out)."""
        if not self.is_bound:
            return {"item": None, "area": None, "kind": "", "incomplete": False}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "item": data.get("item"),
            "area": data.get("area"),
            "kind": data.get("kind") or "",
            "incomplete": bool(data.get("incomplete")),
        }
