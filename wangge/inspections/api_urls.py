"""Inspections' REST endpoints under /api/v1/: the checklists (read only) and the inspections."""

from rest_framework.routers import DefaultRouter

from wangge.inspections import api

router = DefaultRouter()
router.include_root_view = False
router.register("checklists", api.ChecklistViewSet, basename="checklist")
router.register("inspections", api.InspectionViewSet, basename="inspection")

urlpatterns = router.urls
