from django.urls import path  # noqa: F401 - the router's routes come with the API

urlpatterns: list = []
