from agencies.api.routers import AppRouter

from .draws import DrawViewSet, PlanViewSet, PublicDrawViewSet
from .followup import (
    FindingListViewSet,
    PublicSupervisedCaseViewSet,
    RectificationViewSet,
    ReferralViewSet,
    SupervisedCaseViewSet,
    SuspensionOrderViewSet,
)
from .inspections import InspectionViewSet, PublicInspectionResultViewSet
from .views import FindingViewSet

router = AppRouter()
router.register("findings", FindingViewSet)
router.register("inspections", InspectionViewSet)
router.register("plans", PlanViewSet, basename="plan")
router.register("draws", DrawViewSet, basename="draw")
router.register("rectifications", RectificationViewSet, basename="rectification")
router.register("referrals", ReferralViewSet)
router.register("supervised-cases", SupervisedCaseViewSet)
router.register("suspension-orders", SuspensionOrderViewSet)
router.register("finding-lists", FindingListViewSet, basename="finding-lists")

# Mounted under /api/v1/public/ by portal.api_urls: what 一公开 publishes, no login.
public_router = AppRouter()
public_router.register("inspection-results", PublicInspectionResultViewSet, basename="public-inspection-result")
public_router.register("draws", PublicDrawViewSet, basename="public-draw")
public_router.register("supervised-cases", PublicSupervisedCaseViewSet, basename="public-supervised-case")

urlpatterns = router.urls
