from django.urls import path

from wangge.territory import views
from wangge.territory.views import (
    BUILDINGS,
    COMPOUNDS,
    PARTNER_UNITS,
    SHOPS,
    PlaceDetailView,
    PlaceFormView,
    PlaceListView,
)

app_name = "territory"


def _place_urls(prefix: str, pages) -> list:
    return [
        path(f"{prefix}/", PlaceListView.as_view(pages=pages), name=f"{pages.name}_list"),
        path(f"{prefix}/new/", PlaceFormView.as_view(pages=pages), name=f"{pages.name}_create"),
        path(f"{prefix}/<str:code>/", PlaceDetailView.as_view(pages=pages), name=f"{pages.name}_detail"),
        path(f"{prefix}/<str:code>/edit/", PlaceFormView.as_view(pages=pages), name=f"{pages.name}_update"),
    ]


urlpatterns = [
    path("", views.overview, name="overview"),
    path("map/", views.grid_map, name="map"),
    path("map/data.geojson", views.map_data, name="map_data"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage.xlsx", views.coverage_export, name="coverage_export"),
    path("assignments/new/<str:kind>/<str:key>/", views.assignment_create, name="assignment_create"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("compounds/<str:code>/notice-board/", views.notice_board, name="notice_board"),
    *_place_urls("compounds", COMPOUNDS),
    *_place_urls("buildings", BUILDINGS),
    *_place_urls("shops", SHOPS),
    *_place_urls("partner-units", PARTNER_UNITS),
    path("p/c/<str:code>/", views.public_compound, name="public_compound"),
]
