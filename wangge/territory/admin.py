"""Django admin for configuration lists only; places and people are edited in the app, through services."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.core.models import CalendarDay, WebhookEndpoint
from wangge.territory.models import Area, AreaKind, Trade


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "small_trade", "order"]
    list_editable = ["small_trade", "order"]
    search_fields = ["code", "name"]


class WebhookEndpointForm(forms.ModelForm):
    """Choose the grid or community by name; the endpoint stores its path (core knows no areas)."""

    area = forms.ModelChoiceField(
        label=_("area"),
        queryset=Area.objects.filter(kind__in=[AreaKind.SUBDISTRICT, AreaKind.COMMUNITY, AreaKind.GRID]),
        help_text=_("It gets the events of this area and of everything in it."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "area", "url", "secret", "events", "active"]
        # The secret is never sent back to the browser; left empty on editing, the stored one stays.
        widgets = {"url": forms.TextInput(attrs={"size": 80}), "secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False
        if self.instance.pk:
            self.fields["area"].initial = Area.objects.filter(path=self.instance.scope_path).first()
            self._stored_secret = self.instance.secret

    def clean_secret(self) -> str:
        return self.cleaned_data.get("secret") or getattr(self, "_stored_secret", "")

    def save(self, commit: bool = True) -> WebhookEndpoint:
        self.instance.scope_path = self.cleaned_data["area"].path
        return super().save(commit=commit)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Group bots (WeCom, DingTalk) and JSON receivers, configured per grid or community."""

    form = WebhookEndpointForm
    list_display = ["name", "kind", "scope_path", "active"]
    list_filter = ["kind", "active"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up workdays (also imported with `wangge calendar import`)."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
