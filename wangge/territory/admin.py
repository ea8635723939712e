"""Django admin for configuration lists only; places and people are edited in the app, through services."""

from django.contrib import admin

from wangge.territory.models import Trade


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "small_trade", "order"]
    list_editable = ["small_trade", "order"]
    search_fields = ["code", "name"]
