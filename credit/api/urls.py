"""`/api/v1/` routes of the credit app; the published lists under `/api/v1/public/`."""

from agencies.api.routers import AppRouter

from .views import (
    CreditEvaluationViewSet,
    CreditEventViewSet,
    CreditRepairViewSet,
    ListEntryViewSet,
    PublicListEntryViewSet,
    RiskAssessmentViewSet,
)

router = AppRouter()
router.register("credit-events", CreditEventViewSet)
router.register("credit-evaluations", CreditEvaluationViewSet)
router.register("risk-assessments", RiskAssessmentViewSet)
router.register("list-entries", ListEntryViewSet)
router.register("credit-repairs", CreditRepairViewSet)

public_router = AppRouter()
public_router.register("credit-lists", PublicListEntryViewSet, basename="public-credit-list")

urlpatterns = router.urls
