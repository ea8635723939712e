"""Staff pages of the floating population: registrations due, expiring and expired, monthly figures."""

from django.urls import path

from wangge.people import floating_views as views

app_name = "floating"
urlpatterns = [
    path("", views.index, name="index"),
    path("monthly/", views.monthly, name="monthly"),
]
