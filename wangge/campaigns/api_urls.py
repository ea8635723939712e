"""Campaigns' REST endpoints under /api/v1/: campaigns, indicators, work plans (and their tasks' status) and
evidence."""

from rest_framework.routers import DefaultRouter

from wangge.campaigns import api

router = DefaultRouter()
router.include_root_view = False
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("indicators", api.IndicatorViewSet, basename="indicator")
router.register("work-plans", api.WorkPlanViewSet, basename="work-plan")
router.register("evidence", api.EvidenceViewSet, basename="evidence")

urlpatterns = router.urls
