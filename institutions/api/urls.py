from agencies.api.routers import AppRouter

from .public import PublicInstitutionViewSet
from .views import InstitutionViewSet

router = AppRouter()
router.register("institutions", InstitutionViewSet)

# Mounted under /api/v1/public/ by portal.api_urls: the public directory, no login.
public_router = AppRouter()
public_router.register("institutions", PublicInstitutionViewSet, basename="public-institution")

urlpatterns = router.urls
