"""Back office for complaints: read-only, through `restrict()`. Changes go through the services (the staff pages
and the API); the complainant's name and phone are not shown here at all (personal data stays with the intake
bureau and the handling departments, on the pages that audit each read)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agencies.admin_base import ReadOnlyAdmin
from agencies.choices import Action

from .models import Complaint, ComplaintNotification

READ_ONLY = ["code", "institution", "operator_name", "operator_address", "region", "category", "priority", "state",
             "channel", "supervision_domain", "description", "occurred_on", "intake_department", "submitted_at",
             "acknowledge_due", "answer_due", "acknowledged_at", "answered_at", "closed_at", "outcome", "decided_on",
             "measures", "reply", "referral_note", "rating", "merged_into", "lead", "case_inspection_requested_at"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["code", "subject", "category", "state", "priority", "intake_department", "answer_due"]
    list_filter = ["state", "category", "priority", "outcome"]
    search_fields = ["=code", "institution__name", "operator_name"]
    list_select_related = ["institution", "intake_department"]
    fields = READ_ONLY
    readonly_fields = READ_ONLY

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, Action.VIEW)

    @admin.display(description=_("被投诉单位"))
    def subject(self, obj):
        return obj.subject_name


@admin.register(ComplaintNotification)
class ComplaintNotificationAdmin(ReadOnlyAdmin):
    """The outbox: what is still unsent (the sweep retries it) and why."""

    list_display = ["complaint", "kind", "department", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["complaint", "department"]
    fields = ["complaint", "kind", "department", "leaders_only", "subject", "body", "created_at", "sent_at",
              "attempts", "last_error"]
    readonly_fields = fields

    def get_queryset(self, request):
        visible = Complaint.objects.restrict(request.user, Action.VIEW).values("pk")
        return super().get_queryset(request).filter(complaint__in=visible)
