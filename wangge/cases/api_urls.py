"""The cases API under /api/v1/. A SimpleRouter: the territory's router already serves the API root there."""

from rest_framework.routers import SimpleRouter

from wangge.cases import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("case-categories", api.CategoryViewSet, basename="case-category")
router.register("case-metrics", api.CaseMetricsViewSet, basename="case-metrics")

urlpatterns = router.urls
