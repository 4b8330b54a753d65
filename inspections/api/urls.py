from rest_framework.routers import DefaultRouter

from .views import FindingViewSet

router = DefaultRouter()
router.register("findings", FindingViewSet)

urlpatterns = router.urls
