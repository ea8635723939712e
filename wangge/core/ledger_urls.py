"""The Excel ledger pages: templates, imports with progress, error workbooks."""

from django.urls import path

from wangge.core import ledger_views

app_name = "ledgers"
urlpatterns = [
    path("", ledger_views.index, name="index"),
    path("jobs/<uuid:pk>/", ledger_views.job, name="job"),
    path("jobs/<uuid:pk>/errors.xlsx", ledger_views.job_errors, name="job_errors"),
    path("<str:name>/template.xlsx", ledger_views.template, name="template"),
    path("<str:name>/import/", ledger_views.start, name="start"),
]
