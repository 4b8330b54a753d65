from agencies.api.routers import AppRouter

from .views import FindingViewSet

router = AppRouter()
router.register("findings", FindingViewSet)

urlpatterns = router.urls

from .draws import DrawViewSet, PlanViewSet, PublicDrawViewSet  # noqa: E402

router.register("plans", PlanViewSet, basename="plan")
router.register("draws", DrawViewSet, basename="draw")
urlpatterns = router.urls

# Mounted under /api/v1/public/ by portal.api_urls: published plans' draws, no login.
public_router = AppRouter()
public_router.register("draws", PublicDrawViewSet, basename="public-draw")
