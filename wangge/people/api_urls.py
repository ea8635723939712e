"""The people register's REST endpoints under /api/v1/."""

urlpatterns: list = []
