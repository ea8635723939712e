"""The people register's REST endpoints under /api/v1/."""

from rest_framework.routers import DefaultRouter

from wangge.people import api

router = DefaultRouter()
router.include_root_view = False
router.register("residents", api.ResidentViewSet, basename="resident")
router.register("households", api.HouseholdViewSet, basename="household")

urlpatterns = router.urls
