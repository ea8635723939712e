"""Staff pages of the people register."""

app_name = "people"
urlpatterns: list = []
