"""Staff pages of the floating population: registrations due, expiring and expired, monthly figures."""

app_name = "floating"
urlpatterns: list = []
