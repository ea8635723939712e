"""One URL root: staff pages, public pages, the API, the admin and the health check."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from wangge.core import rest
from wangge.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("wangge.accounts.urls")),
    path("audit/", core_views.audit_list, name="audit"),
    path("pii/reveal/<str:label>/<int:pk>/<str:field>/", core_views.pii_reveal_view, name="pii_reveal"),
    path("notifications/", include("wangge.core.notification_urls")),
    path("ledgers/", include("wangge.core.ledger_urls")),
    path("people/", include("wangge.people.urls")),
    path("people/floating/", include("wangge.people.floating_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("wangge.territory.api_urls")),
    path("api/v1/", include("wangge.cases.api_urls")),
    path("api/v1/", include("wangge.people.api_urls")),
    path("api/v1/", include("wangge.inspections.api_urls")),
    path("api/v1/", include("wangge.campaigns.api_urls")),
    # JSON, not the pages' HTML, for a URL under /api/ that names nothing; only URLs ending in a slash, so that
    # CommonMiddleware still redirects /api/v1/cases to /api/v1/cases/.
    re_path(r"^api/(?:.*/)?$", rest.not_found),
    path("open311/v2/", include("wangge.open311.urls")),
    path("admin/", admin.site.urls),
    path("", include("wangge.campaigns.urls")),
    path("", include("wangge.inspections.urls")),
    path("", include("wangge.cases.urls")),
    path("", include("wangge.territory.urls")),
]
