"""Django admin for the configuration of cases: categories and their extra questions."""

from django.contrib import admin

from wangge.cases.models import Category, Question


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "code", "label", "datatype", "required", "choices", "help_text"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "class_name",
        "deadline_hours",
        "working_hours",
        "level",
        "photo_required",
        "public",
        "active",
    ]
    list_filter = ["kind", "level", "public", "active"]
    list_editable = ["deadline_hours", "working_hours", "level", "photo_required", "public", "active"]
    search_fields = ["code", "name", "class_name"]
    inlines = [QuestionInline]
