from agencies.api.routers import AppRouter

from .views import InstitutionViewSet

router = AppRouter()
router.register("institutions", InstitutionViewSet)

urlpatterns = router.urls
