"""The in-app inbox (include under notifications/)."""

from django.urls import path

from wangge.core import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("mark-read/", views.notification_mark_read, name="mark_read"),
    path("<int:pk>/open/", views.notification_open, name="open"),
]
