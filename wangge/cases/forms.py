"""Forms of the case pages: they parse and check the shape of input; the services judge and write."""

import datetime
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.cases import selectors, workflow
from wangge.cases.metrics import GROUPS
from wangge.cases.models import Case, Category, Level, Question, QuestionType, RejectReason, Source, State
from wangge.cases.services import MAX_DESCRIPTION, MAX_PHOTOS
from wangge.core.validators import validate_calendar_date
from wangge.territory.forms import add_service_errors, bootstrap
from wangge.territory.models import Area, AreaKind, Compound, Shop

# Sources a member of staff chooses from; residents, inspections and Open311 have their own ways in.
STAFF_SOURCES = [Source.PATROL, Source.HOTLINE, Source.BUILDING_LEADER, Source.REFERRAL]
# The photo errors of core/files.py, by code: shown on the photo field rather than above the form.
PHOTO_ERROR_CODES = {"too_large", "too_many_pixels", "format", "not_image"}
QUESTION_PREFIX = "q_"


def style(form: forms.BaseForm) -> forms.BaseForm:
    """Bootstrap classes on every widget; radio buttons and check boxes get the check-box class."""
    bootstrap(form)
    for field in form.fields.values():
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            field.widget.attrs["class"] = "form-check-input"
    return form


class StyledForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


def show_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError on the form: by field where it names one, photo errors on the photos."""
    if (
        not hasattr(error, "error_dict")
        and getattr(error, "code", None) in PHOTO_ERROR_CODES
        and "photos" in form.fields
    ):
        form.add_error("photos", error)
    elif hasattr(error, "error_dict") and "attributes" in error.error_dict:
        form.add_error(None, error.error_dict["attributes"])
    else:
        add_service_errors(form, error)


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.Field):
    """Up to six photos, each within the size limit. What is inside is checked by core/files.py in the service."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list:
        files = [f for f in (value if isinstance(value, list | tuple) else [value]) if f]
        if self.required and not files:
            raise ValidationError(_("Add at least one photo."), code="required")
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many")
        for upload in files:
            if upload.size > settings.PHOTO_MAX_BYTES:
                raise ValidationError(
                    _("This photo is too large (at most %(mb)d MB).") % {"mb": settings.PHOTO_MAX_BYTES // 2**20},
                    code="too_large",
                )
        return files


def _date_input() -> forms.DateInput:
    # A browser's date picker takes and gives ISO dates, whatever the language.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def question_field(question: Question) -> forms.Field:
    """The form field asking one of a category's extra questions."""
    common = {"label": question.label, "required": question.required, "help_text": question.help_text}
    choices = [(str(key), label) for key, label in question.choices]
    if question.datatype == QuestionType.NUMBER:
        return forms.FloatField(**common)
    if question.datatype == QuestionType.DATE:
        return forms.DateField(widget=_date_input(), **common)
    if question.datatype == QuestionType.SINGLE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if question.datatype == QuestionType.MULTIPLE:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(max_length=500, **common)


class QuestionsMixin:
    """Adds the chosen category's extra questions as fields `q_<code>`, and collects the answers."""

    def add_questions(self, category: Category | None) -> None:
        self.questions = list(category.questions.all()) if category else []
        for question in self.questions:
            self.fields[f"{QUESTION_PREFIX}{question.code}"] = question_field(question)

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"{QUESTION_PREFIX}{q.code}"] for q in self.questions]

    def answers(self) -> dict[str, Any]:
        answers = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"{QUESTION_PREFIX}{question.code}")
            answers[question.code] = value.isoformat() if hasattr(value, "isoformat") else value
        return answers


def chosen_category(queryset: Any, data: Any) -> Category | None:
    """The category named in submitted data (by code), if it is one of `queryset`."""
    code = (data or {}).get("category") or ""
    return queryset.filter(code=code).prefetch_related("questions").first() if code else None


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def valid_idempotency_key(value: str) -> str:
    """A key made by `new_idempotency_key`, or "" (anything else is ignored rather than trusted)."""
    try:
        return uuid.UUID(hex=value).hex if value and len(value) <= 36 else ""
    except ValueError:
        return ""


class ReportFields(QuestionsMixin, forms.Form):
    """What every report asks, from staff or residents."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), to_field_name="code")
    description = forms.CharField(
        label=_("Description"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 4})
    )
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"), help_text=_("Up to 6 photos. Location data in them is removed."))
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, categories: Any, category_code: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        if not self.is_bound:
            # A fresh key each time the form is shown; a retried submission sends the same key again.
            self.initial["idempotency_key"] = new_idempotency_key()
            self.initial["category"] = category_code
        self.category = chosen_category(categories, self.data if self.is_bound else {"category": category_code})
        self.add_questions(self.category)

    def clean_idempotency_key(self) -> str:
        return valid_idempotency_key(self.cleaned_data.get("idempotency_key", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            raise ValidationError(_("Give both longitude and latitude, or neither."))
        return data

    def report_data(self) -> dict[str, Any]:
        """The keyword arguments of `services.case_report` that this form gives."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "description": data["description"],
            "longitude": data.get("longitude"),
            "latitude": data.get("latitude"),
            "photos": data.get("photos") or [],
            "attributes": self.answers(),
            "idempotency_key": data.get("idempotency_key") or "",
        }


class CaseReportForm(ReportFields):
    """A case reported by a member of staff: the place is chosen among those in their scope."""

    source = forms.ChoiceField(label=_("Source"), choices=[(s.value, s.label) for s in STAFF_SOURCES])
    compound = forms.ModelChoiceField(
        label=_("Compound"), queryset=Compound.objects.none(), required=False, to_field_name="code"
    )
    shop = forms.ModelChoiceField(
        label=_("Street shop"), queryset=Shop.objects.none(), required=False, to_field_name="code"
    )
    area = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none(), required=False, to_field_name="code")
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=60, required=False)
    reporter_phone = forms.CharField(
        label=_("Resident's phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )

    field_order = ["category", "description", "source", "compound", "shop", "area", "address", "photos"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, categories=Category.objects.filter(active=True), **kwargs)
        self.fields["compound"].queryset = Compound.objects.for_user(user).order_by("code")
        self.fields["shop"].queryset = Shop.objects.for_user(user).order_by("code")
        self.fields["area"].queryset = Area.objects.for_user(user).filter(kind=AreaKind.GRID).order_by("path")
        for name in ("compound", "shop", "area"):
            self.fields[name].empty_label = "—"
        style(self)

    def report_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        # Only a phone call or a visit needs the resident's contact: otherwise none is kept (data minimisation).
        hotline = data["source"] == Source.HOTLINE
        return {
            **super().report_data(),
            "source": data["source"],
            "compound": data.get("compound"),
            "shop": data.get("shop"),
            "area": data.get("area"),
            "address": data.get("address") or "",
            "reporter_name": data.get("reporter_name", "") if hotline else "",
            "reporter_phone": data.get("reporter_phone", "") if hotline else "",
        }


class PublicReportForm(ReportFields):
    """A resident's report from the compound's QR code. Name and phone are optional."""

    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=60, required=False)
    reporter_phone = forms.CharField(
        label=_("Your mobile number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    reporter_email = forms.EmailField(
        label=_("Your e-mail, to hear when it is closed (optional)"),
        max_length=120,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # The honeypot: hidden from people, filled by form-filling robots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, categories=Category.objects.filter(active=True, public=True), **kwargs)
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        style(self)

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))

    def report_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().report_data(),
            "source": Source.RESIDENT,
            "reporter_name": data.get("reporter_name", ""),
            "reporter_phone": data.get("reporter_phone", ""),
            "reporter_email": data.get("reporter_email", ""),
        }


def assignee_choices(case: Case) -> Any:
    """People who may be given the case: field staff whose scope contains it (building leaders for their compound)."""
    path = case.area_path
    paths = {path[: i + 1] for i, ch in enumerate(path) if ch == "/"}
    roles = set(workflow.FIELD)
    if case.level == Level.COMPOUND:
        roles.add(Role.BUILDING_LEADER)
    return (
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__scope_path__in=paths, memberships__role__in=roles
        )
        .distinct()
        .order_by("display_name", "username")
    )


class ActionForm(forms.Form):
    """The short form of one action: the fields its transition needs, and the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, transition: workflow.Transition, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transition = transition
        needs = transition.needs
        action = transition.action
        self.initial.setdefault("version", case.version)
        self.fields["note"].required = "note" in needs
        if action == "reject":
            self.fields["reason"] = forms.ChoiceField(label=_("Reason"), choices=RejectReason.choices)
        elif "reason" in needs:
            self.fields["reason"] = forms.CharField(label=_("Reason"), max_length=300)
        if "assignee" in needs:
            self.fields["assignee"] = forms.ModelChoiceField(
                label=_("Assign to"), queryset=assignee_choices(case), required=False
            )
            self.fields["department"] = forms.CharField(
                label=_("Or a department"),
                max_length=100,
                required=False,
                help_text=_("When a department handles it rather than a person."),
            )
        if "hours" in needs:
            self.fields["hours"] = forms.IntegerField(label=_("Extra hours"), min_value=1, max_value=24 * 30)
        if action == "decide_postponement":
            self.fields["approve"] = forms.TypedChoiceField(
                label=_("Decision"),
                choices=[("yes", _("Approve")), ("no", _("Refuse"))],
                coerce=lambda value: value == "yes",
                widget=forms.RadioSelect,
            )
        if "after_photo" in needs:
            self.fields["photos"] = PhotosField(label=_("Photos after handling"), required=case.category.photo_required)
        style(self)

    def act_data(self) -> dict[str, Any]:
        """The keyword arguments of `services.case_act` that this form gives."""
        data = self.cleaned_data
        known = ("note", "reason", "assignee", "department", "hours", "approve", "photos")
        return {name: data[name] for name in known if name in data and data[name] is not None}


class CaseFilterForm(forms.Form):
    """The filters of the case list (the queue is chosen by its tab)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, description or address")}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, to_field_name="code"
    )
    state = forms.ChoiceField(label=_("State"), choices=[("", _("All states")), *State.choices], required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none(), required=False, to_field_name="code")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Area.objects.for_user(user).filter(kind=AreaKind.GRID).order_by("path")
        # On a phone the labels are hidden: the empty choice says what the list is.
        self.fields["category"].empty_label = _("All categories")
        self.fields["grid"].empty_label = _("All grids")
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
        style(self)

    def filter(self, cases: Any) -> Any:
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        cases = selectors.search(cases, data.get("q") or "")
        if data.get("category"):
            cases = cases.filter(category=data["category"])
        if data.get("state"):
            cases = cases.filter(state=data["state"])
        if data.get("grid"):
            cases = cases.filter(area=data["grid"])
        return cases


class MetricsForm(StyledForm):
    """The period (by the day a case was reported) and the grouping of the metrics page."""

    since = forms.DateField(label=_("From"), required=False, widget=_date_input(), validators=[validate_calendar_date])
    until = forms.DateField(label=_("To"), required=False, widget=_date_input(), validators=[validate_calendar_date])
    by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[("grid", _("grid")), ("person", _("person")), ("category", _("category")), ("month", _("month"))],
    )

    def period(self) -> tuple[datetime.date, datetime.date, str]:
        """since, until (both dates, inclusive) and the grouping; this year by grid when not given."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        since = data.get("since") or today.replace(month=1, day=1)
        until = data.get("until") or today
        by = data.get("by") if data.get("by") in GROUPS else "grid"
        return since, until, by


class RatingForm(StyledForm):
    """The reporter's stars and comment on a closed case."""

    stars = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NotFixedForm(StyledForm):
    """The reporter says the problem is still there."""

    note = forms.CharField(label=_("What is still wrong?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
