from .routers import AppRouter
from .views import DepartmentViewSet, DomainViewSet, DutyViewSet, PublicDomainViewSet, PublicDutyViewSet, RegionViewSet

router = AppRouter()
router.register("regions", RegionViewSet)
router.register("departments", DepartmentViewSet)
router.register("domains", DomainViewSet)
router.register("duties", DutyViewSet)

# Mounted under v1/public/ by portal.api_urls; distinct basenames keep URL names apart from the staff ones.
public_router = AppRouter()
public_router.register("duties", PublicDutyViewSet, basename="public-duty")
public_router.register("domains", PublicDomainViewSet, basename="public-domain")

urlpatterns = router.urls
public_urlpatterns = public_router.urls
