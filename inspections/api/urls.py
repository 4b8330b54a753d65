from agencies.api.routers import AppRouter

from .inspections import InspectionViewSet, PublicInspectionResultViewSet
from .views import FindingViewSet

router = AppRouter()
router.register("findings", FindingViewSet)
router.register("inspections", InspectionViewSet)

# Mounted under /api/v1/public/ by portal.api_urls: published inspection results, no login.
public_router = AppRouter()
public_router.register("inspection-results", PublicInspectionResultViewSet, basename="public-inspection-result")

urlpatterns = router.urls
