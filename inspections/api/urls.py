from agencies.api.routers import AppRouter

from .followup import (
    FindingListViewSet,
    PublicSupervisedCaseViewSet,
    RectificationViewSet,
    ReferralViewSet,
    SupervisedCaseViewSet,
    SuspensionOrderViewSet,
)
from .views import FindingViewSet

router = AppRouter()
router.register("findings", FindingViewSet)
router.register("rectifications", RectificationViewSet, basename="rectification")
router.register("referrals", ReferralViewSet)
router.register("supervised-cases", SupervisedCaseViewSet)
router.register("suspension-orders", SuspensionOrderViewSet)
router.register("finding-lists", FindingListViewSet, basename="finding-lists")

# Mounted under /api/v1/public/ by portal.api_urls: published without login.
public_router = AppRouter()
public_router.register("supervised-cases", PublicSupervisedCaseViewSet, basename="public-supervised-case")

urlpatterns = router.urls
