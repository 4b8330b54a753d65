from agencies.api.routers import AppRouter

from .views import FindingViewSet

router = AppRouter()
router.register("findings", FindingViewSet)

urlpatterns = router.urls
