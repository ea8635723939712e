"""Staff pages of inspections under /inspections/, and the public red/black list under /p/."""

from django.urls import path

from wangge.inspections import checklist_views, report_views, views

app_name = "inspections"
urlpatterns = [
    # Inspecting (views.py)
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.place_choose, name="place_choose"),
    path("inspections/new/<str:target>/<str:code>/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/findings/<int:pk>/photo/", views.finding_photo, name="finding_photo"),
    path("inspections/places/<str:target>/<str:code>/", views.place_history, name="place_history"),
    # Standards (checklist_views.py)
    path("inspections/checklists/", checklist_views.checklist_list, name="checklist_list"),
    path("inspections/checklists/new/", checklist_views.checklist_create, name="checklist_create"),
    path("inspections/checklists/<int:pk>/", checklist_views.checklist_detail, name="checklist_detail"),
    path("inspections/checklists/<int:pk>/edit/", checklist_views.checklist_update, name="checklist_update"),
    path("inspections/checklists/<int:pk>/items/new/", checklist_views.item_create, name="item_create"),
    path("inspections/checklists/items/<int:pk>/edit/", checklist_views.item_update, name="item_update"),
    path("inspections/checklists/items/<int:pk>/delete/", checklist_views.item_delete, name="item_delete"),
    path(
        "inspections/checklists/<int:pk>/new-version/",
        checklist_views.checklist_new_version,
        name="checklist_new_version",
    ),
    path("inspections/checklists/<int:pk>/publish/", checklist_views.checklist_publish, name="checklist_publish"),
    path("inspections/checklists/<int:pk>/retire/", checklist_views.checklist_retire, name="checklist_retire"),
    path("inspections/checklists/<int:pk>.xlsx", checklist_views.checklist_export, name="checklist_export"),
    # Reports and settings (report_views.py)
    path("inspections/report/", report_views.grid_report, name="report"),
    path("inspections/overdue/", report_views.overdue, name="overdue"),
    path("inspections/relapses/", report_views.relapses, name="relapses"),
    path("inspections/rankings/", report_views.rankings, name="rankings"),
    path("inspections/map/", report_views.visit_map, name="map"),
    path("inspections/map/data.geojson", report_views.visit_map_data, name="map_data"),
    path("inspections/settings/", report_views.settings_page, name="settings"),
    path("p/ranking/<str:code>/", report_views.public_ranking, name="public_ranking"),
]
