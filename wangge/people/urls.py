"""Staff pages of the people register."""

from django.urls import path

from wangge.people import views

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/edit/", views.resident_update, name="resident_update"),
    path("residents/<int:pk>/archive/", views.resident_archive, name="resident_archive"),
    path("residents/<int:pk>/registrations/new/", views.registration_create, name="registration_create"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_update, name="household_update"),
]
