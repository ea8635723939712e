"""The inspection form: one answer per item (pass, fail, not applicable), with a note and a photo for a failure.

The form checks only the shape of the input (lengths, a photo's size); `services.inspection_record` judges the
answers (every item answered, a failure explained and photographed where the item asks) and writes.
"""

import itertools
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wangge.cases.forms import new_idempotency_key, valid_idempotency_key
from wangge.cases.models import Case
from wangge.inspections.models import ChecklistItem, Result
from wangge.inspections.services import MAX_INSPECTION_NOTE, MAX_NOTE, Answer

RESULT, NOTE, PHOTO = "result_", "note_", "photo_"


class PhotoField(forms.FileField):
    """One photo of a failure, within the size limit; what is inside is checked by core/files.py in the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.FileInput(attrs={"accept": "image/*", "capture": "environment", "class": "form-control"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload and upload.size > settings.PHOTO_MAX_BYTES:
            raise ValidationError(
                _("This photo is too large (at most %(mb)d MB).") % {"mb": settings.PHOTO_MAX_BYTES // 2**20},
                code="too_large",
            )
        return upload


@dataclass
class ItemRow:
    """One item as the form shows it: the item, its three fields, the open cases it re-inspects, its errors."""

    item: ChecklistItem
    result: forms.BoundField
    note: forms.BoundField
    photo: forms.BoundField
    cases: list[Case] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [*self.result.errors, *self.note.errors, *self.photo.errors]

    @property
    def failing(self) -> bool:
        return self.result.value() == Result.FAIL


class InspectionForm(forms.Form):
    """The answers to a checklist's items that apply to one place, a general note, and the idempotency key."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_INSPECTION_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, items: list[ChecklistItem], cases: dict[str, list[Case]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.cases = cases or {}
        if not self.is_bound:
            # A fresh key each time the form is shown; a retried submission sends the same key again.
            self.initial["idempotency_key"] = new_idempotency_key()
        for item in items:
            self.fields[RESULT + item.code] = forms.ChoiceField(
                label=item.text,
                choices=Result.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
            )
            self.fields[NOTE + item.code] = forms.CharField(
                label=_("What is wrong"),
                required=False,
                max_length=MAX_NOTE,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
            self.fields[PHOTO + item.code] = PhotoField(label=_("Photo"))

    def clean_idempotency_key(self) -> str:
        return valid_idempotency_key(self.cleaned_data.get("idempotency_key", ""))

    def rows(self) -> list[ItemRow]:
        """The items in the checklist's order, each with its fields."""
        return [
            ItemRow(
                item=item,
                result=self[RESULT + item.code],
                note=self[NOTE + item.code],
                photo=self[PHOTO + item.code],
                cases=self.cases.get(item.code, []),
            )
            for item in self.items
        ]

    def sections(self) -> list[tuple[str, list[ItemRow]]]:
        """The rows grouped by section, sections in the order their first item comes."""
        return [(section, list(rows)) for section, rows in itertools.groupby(self.rows(), key=lambda r: r.item.section)]

    def answers(self) -> dict[str, Answer]:
        """The answers given, by item code (an unanswered item is left out: the service says it is missing)."""
        answers = {}
        for item in self.items:
            result = self.cleaned_data.get(RESULT + item.code)
            if result:
                answers[item.code] = Answer(
                    result=result,
                    note=self.cleaned_data.get(NOTE + item.code) or "",
                    photo=self.cleaned_data.get(PHOTO + item.code) or None,
                )
        return answers

    @property
    def photos_sent(self) -> bool:
        """Whether the submission carried photos (a form shown again cannot keep them)."""
        return self.is_bound and any(self.files.get(PHOTO + item.code) for item in self.items)

    def show_service_error(self, error: ValidationError) -> None:
        """A refusal of `inspection_record` on the form: an item's under the item, the note's under the note."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        codes = {item.code for item in self.items}
        for key, messages in error.message_dict.items():
            code = key.removeprefix("item_")
            if key.startswith("item_") and code in codes:
                self.add_error(RESULT + code, messages)
            elif key == "note":
                self.add_error("note", messages)
            else:
                self.add_error(None, messages)
