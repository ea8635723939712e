"""The Excel ledger pages: templates, imports with progress, error workbooks."""

app_name = "ledgers"
urlpatterns: list = []
