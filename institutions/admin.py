"""Back office for institutions. Reads go through `restrict()` like every other list (DESIGN §3): a department
admin sees the institutions of its scope and an out-of-scope id is treated as a missing one.

Changes go through `institution_update()`, the one write path, so an admin edit is audited and, when the
region or a fact changes, the institution's records follow it (sync_institution_records after commit).
"""

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from agencies.admin_base import RestrictedReadOnlyAdmin
from agencies.choices import Action, InstitutionFact, RegionLevel
from agencies.models import Region

from .models import (
    DisclosureItem,
    EmergencyDrill,
    Filing,
    IncidentReport,
    Institution,
    InstitutionUserObjectPermission,
    Lead,
    OnSiteCheck,
    StarRating,
)
from .services import EDITABLE_FIELDS, institution_update

FACT_FIELDS = list(InstitutionFact.values)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "region", "legal_form", "status", "beds"]
    list_filter = ["status", "legal_form", "region", "medical_insurance_designated", "provides_meals",
                   "has_internal_medical_facility", "registered_not_filed", "unregistered"]
    search_fields = ["name", "=uscc", "address"]
    list_select_related = ["region"]
    readonly_fields = ["region_code", "facts", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "uscc", "legal_form", "region", "address", "status", "beds", "building_area"]}),
        (_("机构事实（决定哪些部门的条件性职责适用）"), {"fields": FACT_FIELDS}),
        (_("系统计算"), {"fields": ["region_code", "facts", "created_at", "updated_at"],
                     "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, Action.VIEW)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            # An institution lies in a district or street; at city level no district department would cover it.
            kwargs["queryset"] = Region.objects.exclude(level=RegionLevel.CITY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            # A new institution has no records yet: nothing to follow, a plain save computes its columns.
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        if changes:
            institution_update(actor=request.user, institution_id=obj.pk, **changes)


@admin.register(InstitutionUserObjectPermission)
class InstitutionUserObjectPermissionAdmin(admin.ModelAdmin):
    """An institution's own accounts. Listed only for institutions within the reader's scope."""

    list_display = ["content_object", "user", "permission"]
    search_fields = ["content_object__name", "content_object__uscc", "user__username"]
    list_select_related = ["content_object", "user", "permission__content_type"]
    autocomplete_fields = ["user", "content_object"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(content_object__in=Institution.objects.restrict(request.user, Action.VIEW))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            kwargs["queryset"] = Permission.objects.filter(
                content_type__app_label="institutions", content_type__model="institution")
        elif db_field.name == "content_object":
            # The autocomplete lists only what the reader sees; the submitted id is checked against the same set.
            kwargs["queryset"] = Institution.objects.restrict(request.user, Action.VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Leads, disclosure, ratings, incidents, drills (institutions.services.records) -----------------------------
# Read-only in the back office: every write goes through its service (transition table, audit row, notification).


@admin.register(Lead)
class LeadAdmin(RestrictedReadOnlyAdmin):
    list_display = ["operator_name", "region", "registered", "discovered_on", "due_date", "state", "outcome"]
    list_filter = ["state", "registered", "source", "outcome"]
    search_fields = ["operator_name", "address", "=uscc"]
    list_select_related = ["region"]


@admin.register(DisclosureItem)
class DisclosureItemAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "kind", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["institution__name"]
    list_select_related = ["institution"]


@admin.register(StarRating)
class StarRatingAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "level", "rated_on", "valid_until", "rating_body"]
    list_filter = ["level"]
    search_fields = ["institution__name", "certificate_no"]
    list_select_related = ["institution"]


@admin.register(IncidentReport)
class IncidentReportAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "type", "domain", "occurred_at", "injuries", "deaths"]
    list_filter = ["type", "domain"]
    search_fields = ["institution__name"]
    list_select_related = ["institution", "domain"]


@admin.register(EmergencyDrill)
class EmergencyDrillAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "held_on", "topic", "participants"]
    search_fields = ["institution__name", "topic"]
    list_select_related = ["institution"]


@admin.register(Filing)
class FilingAdmin(RestrictedReadOnlyAdmin):
    # Filings change only through the filing services (transition table, receipt numbers, audit rows).
    list_display = ["name", "kind", "state", "number", "submitted_at", "reviewed_at", "review_department"]
    list_filter = ["state", "kind"]
    search_fields = ["name", "=number", "institution__uscc"]
    list_select_related = ["review_department"]


@admin.register(OnSiteCheck)
class OnSiteCheckAdmin(RestrictedReadOnlyAdmin):
    list_display = ["institution", "department", "due_date", "status", "result", "checked_on"]
    list_filter = ["status", "result"]
    search_fields = ["institution__name"]
    list_select_related = ["institution", "department"]
