"""Back office for credit: reads through `restrict()`; records change only through the services (read-only here),
except the reference data (pledge clauses, joint measures)."""

from django.contrib import admin

from agencies.admin_base import RestrictedReadOnlyAdmin

from .models import (
    CreditEvaluation,
    CreditEvent,
    CreditRepair,
    JointMeasure,
    ListEntry,
    PledgeItem,
    PledgeItemChecklistCode,
    RiskAssessment,
    ScoringModel,
)


@admin.register(CreditEvent)
class CreditEventAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "kind", "state", "domain", "department", "occurred_on"]
    list_filter = ["kind", "state"]
    list_select_related = ["institution", "domain", "department"]


@admin.register(ListEntry)
class ListEntryAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "list_kind", "state", "ground", "department", "proposed_on", "published_on"]
    list_filter = ["list_kind", "state"]
    list_select_related = ["institution", "department"]


@admin.register(CreditRepair)
class CreditRepairAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "list_entry", "state", "applied_on", "reviewed_on"]
    list_select_related = ["institution", "list_entry"]


@admin.register(CreditEvaluation)
class CreditEvaluationAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "grade", "score", "scoring_model", "as_of"]
    list_select_related = ["institution", "scoring_model"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "level", "points", "assessed_on"]
    list_select_related = ["institution"]


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["version", "published_at", "note"]

    def has_change_permission(self, request, obj=None):
        # A published version never changes: civil affairs publishes a new one (services.evaluation).
        return False


class PledgeItemChecklistCodeInline(admin.TabularInline):
    model = PledgeItemChecklistCode
    extra = 0


@admin.register(PledgeItem)
class PledgeItemAdmin(admin.ModelAdmin):
    list_display = ["code", "text"]
    inlines = [PledgeItemChecklistCodeInline]


@admin.register(JointMeasure)
class JointMeasureAdmin(admin.ModelAdmin):
    list_display = ["department_kind", "list_kind", "kind", "text"]
    list_filter = ["list_kind", "kind", "department_kind"]
