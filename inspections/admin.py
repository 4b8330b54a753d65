"""Back office for findings and their hand-offs. Every read goes through `restrict()` (DESIGN §3): a department
admin lists only its scope, and an out-of-scope id answers exactly as a missing one does.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from agencies.access import can
from agencies.choices import Action
from institutions.models import Institution

from .models import (
    ChecklistItem,
    ChecklistVersion,
    Draw,
    DrawAssignment,
    Finding,
    FindingGroupObjectPermission,
    FindingUserObjectPermission,
    InspectionPlan,
    Inspector,
    InspectorConflict,
)


class FindingAdminForm(forms.ModelForm):
    user = None  # set per request by FindingAdmin.get_form

    class Meta:
        model = Finding
        fields = ["institution", "domain", "text", "found_by"]

    def clean(self):
        cleaned = super().clean()
        institution = cleaned.get("institution") or getattr(self.instance, "institution", None)
        domain = cleaned.get("domain")
        if institution is None or domain is None:
            return cleaned
        # The same engine that lists findings decides whether this department may record one here.
        probe = Finding(institution=institution, domain=domain)
        probe.copy_institution_columns()
        if not can(self.user, Action.RECORD_FINDING, probe):
            raise forms.ValidationError(_("本部门的法定职责不涵盖在该机构记录此领域的问题。"))
        return cleaned


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    form = FindingAdminForm
    list_display = ["id", "institution", "domain", "short_text", "found_by", "created_at"]
    list_display_links = ["id", "short_text"]
    list_filter = ["domain"]
    search_fields = ["text", "institution__name", "=institution__uscc"]
    list_select_related = ["institution", "domain", "found_by"]
    autocomplete_fields = ["institution", "found_by"]
    # COUNT(*) over a city's findings costs as much as the page (DESIGN §3): count only the filtered list.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, Action.VIEW)

    def get_readonly_fields(self, request, obj=None):
        fields = ["region_code", "created_by", "created_at"]
        # The copied region and facts are taken from the institution when the finding is created; a finding
        # does not move to another institution.
        return ["institution", *fields] if obj is not None else fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "institution":
            kwargs["queryset"] = Institution.objects.restrict(request.user, Action.VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can(request.user, Action.RECORD_FINDING, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can(request.user, Action.RECORD_FINDING, obj))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("问题描述"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 40 else obj.text[:40] + "…"


class _FindingGrantAdmin(admin.ModelAdmin):
    """Hand-offs of single findings; listed and granted only for findings within the reader's scope."""

    list_select_related = ["content_object__institution", "content_object__domain", "permission__content_type"]
    search_fields = ["content_object__text", "content_object__institution__name"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(content_object__in=Finding.objects.restrict(request.user, Action.VIEW))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            kwargs["queryset"] = Permission.objects.filter(
                content_type__app_label="inspections", content_type__model="finding")
        elif db_field.name == "content_object":
            kwargs["queryset"] = Finding.objects.restrict(request.user, Action.VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(FindingGroupObjectPermission)
class FindingGroupObjectPermissionAdmin(_FindingGrantAdmin):
    list_display = ["content_object", "group", "permission"]
    list_select_related = [*_FindingGrantAdmin.list_select_related, "group"]
    search_fields = [*_FindingGrantAdmin.search_fields, "group__name"]
    autocomplete_fields = ["content_object", "group"]


@admin.register(FindingUserObjectPermission)
class FindingUserObjectPermissionAdmin(_FindingGrantAdmin):
    list_display = ["content_object", "user", "permission"]
    list_select_related = [*_FindingGrantAdmin.list_select_related, "user"]
    search_fields = [*_FindingGrantAdmin.search_fields, "user__username"]
    autocomplete_fields = ["content_object", "user"]


# ------------------------------------------------------------------ checklist catalog, directory, annual plans
# Versions and plans change state only through their services (inspections.services), which write the audit
# rows: here their state fields are read-only, and items are editable only while their version is a draft.


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    fields = ["position", "code", "category", "domain", "text", "responsible_kind", "confidence"]
    extra = 0
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_draft)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_draft)


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "active", "published_at", "based_on", "created_at"]
    readonly_fields = ["number", "based_on", "active", "published_at", "created_at"]
    fields = ["number", "based_on", "note", "active", "published_at", "created_at"]
    inlines = [ChecklistItemInline]

    def has_add_permission(self, request):
        return False  # a new version is a copy made by checklist_new_version()

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_draft)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "category", "domain", "responsible_kind", "confidence"]
    list_filter = ["version", "category", "domain", "responsible_kind"]
    search_fields = ["code", "text", "basis"]
    list_select_related = ["version", "domain", "responsible_kind"]
    filter_horizontal = ["supporting_kinds"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.version.is_draft)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.version.is_draft)


class InspectorConflictInline(admin.TabularInline):
    model = InspectorConflict
    fields = ["institution", "reason", "declared_by", "declared_at"]
    readonly_fields = ["declared_by", "declared_at"]
    autocomplete_fields = ["institution"]
    extra = 0


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department", "certificate_number", "external", "active"]
    list_filter = ["active", "external", "department__kind"]
    search_fields = ["name", "organisation", "certificate_number", "staff__user__username",
                     "staff__user__first_name", "staff__user__last_name"]
    list_select_related = ["department", "staff__user"]
    autocomplete_fields = ["department"]
    raw_id_fields = ["staff"]
    filter_horizontal = ["domains"]
    readonly_fields = ["created_at", "deactivated_at"]
    inlines = [InspectorConflictInline]


@admin.register(InspectorConflict)
class InspectorConflictAdmin(admin.ModelAdmin):
    list_display = ["inspector", "institution", "declared_at", "declared_by"]
    search_fields = ["institution__name", "inspector__name", "reason"]
    list_select_related = ["inspector__department", "inspector__staff__user", "institution", "declared_by"]
    autocomplete_fields = ["institution"]
    raw_id_fields = ["inspector"]
    readonly_fields = ["declared_at", "declared_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.declared_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ["year", "title", "lead_department", "state", "checklist_version", "published_at"]
    list_filter = ["year", "state"]
    search_fields = ["title", "lead_department__name"]
    list_select_related = ["lead_department", "checklist_version"]
    autocomplete_fields = ["lead_department"]
    filter_horizontal = ["participating_departments"]
    readonly_fields = ["state", "published_at", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.state == "draft")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# ------------------------------------------------------------------------------------------------ draws


class DrawAssignmentInline(admin.TabularInline):
    model = DrawAssignment
    extra = 0
    fields = ["position", "institution", "inspectors"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    """Read-only: a draw changes only through draw_commit / draw_execute, and its seed shows only once revealed
    (`secret_seed` is not among the fields; `revealed_seed` is None before execution)."""

    list_display = ["plan", "number", "state", "commitment_hash", "committed_at", "executed_at"]
    list_filter = ["state"]
    list_select_related = ["plan"]
    fields = ["plan", "number", "state", "algorithm", "seed_hash", "input_hash", "commitment_hash", "input_json",
              "revealed_seed", "result_json", "result_hash", "required_departments", "committed_by", "committed_at",
              "executed_by", "executed_at"]
    readonly_fields = fields
    inlines = [DrawAssignmentInline]

    @admin.display(description=_("种子（抽取后公开）"))
    def revealed_seed(self, obj):
        return obj.revealed_seed or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
