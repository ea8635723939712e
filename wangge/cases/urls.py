from django.urls import path

from wangge.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/metrics/", views.metrics_page, name="metrics"),
    path("cases/metrics.xlsx", views.metrics_export, name="metrics_export"),
    path("cases/photos/<int:pk>/", views.case_photo, name="case_photo"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/act/<str:action>/", views.case_act, name="case_act"),
    # Residents: report from the compound's QR code, follow with the tracking code, rate.
    path("p/c/<str:code>/report/", views.public_report, name="public_report"),
    path("p/t/<str:tracking_code>/", views.public_track, name="public_track"),
    path("p/cases/<str:number>/", views.public_case, name="public_case"),
    path("p/t/<str:tracking_code>/photos/<int:pk>/", views.public_photo, name="public_photo"),
]
