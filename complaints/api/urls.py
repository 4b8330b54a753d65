from agencies.api.routers import AppRouter

from .views import ComplaintViewSet, PublicComplaintViewSet

router = AppRouter()
router.register("complaints", ComplaintViewSet)

# Mounted under /api/v1/public/ by portal.api_urls: submit and track, no login.
public_router = AppRouter()
public_router.register("complaints", PublicComplaintViewSet, basename="public-complaint")

urlpatterns = router.urls
