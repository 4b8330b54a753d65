from agencies.api.routers import AppRouter

from .filings import FilingViewSet, OnSiteCheckViewSet
from .public import PublicInstitutionViewSet
from .records import (
    DisclosureItemViewSet,
    EmergencyDrillViewSet,
    IncidentReportViewSet,
    LeadViewSet,
    PublicUnfiledViewSet,
    StarRatingViewSet,
)
from .views import InstitutionViewSet

router = AppRouter()
router.register("institutions", InstitutionViewSet)
router.register("leads", LeadViewSet)
router.register("disclosure-items", DisclosureItemViewSet)
router.register("star-ratings", StarRatingViewSet)
router.register("incident-reports", IncidentReportViewSet)
router.register("emergency-drills", EmergencyDrillViewSet)
router.register("filings", FilingViewSet)
router.register("onsite-checks", OnSiteCheckViewSet)

# Mounted under /api/v1/public/ by portal.api_urls: the public directory, no login.
public_router = AppRouter()
public_router.register("institutions", PublicInstitutionViewSet, basename="public-institution")
public_router.register("unfiled-operators", PublicUnfiledViewSet, basename="public-unfiled-operator")

urlpatterns = router.urls
