from rest_framework.routers import DefaultRouter

from wangge.territory import api

router = DefaultRouter()
router.register("areas", api.AreaViewSet, basename="area")
router.register("compounds", api.CompoundViewSet, basename="compound")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("shops", api.ShopViewSet, basename="shop")
router.register("partner-units", api.PartnerUnitViewSet, basename="partner-unit")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("coverage", api.CoverageViewSet, basename="coverage")

urlpatterns = router.urls
