"""Back office for complaints: read-only, through `restrict()`. Changes go through the services (the staff pages
and the API); the complainant's name and phone are not shown here at all (personal data stays with the intake
bureau and the handling departments, on the pages that audit each read)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agencies.admin_base import ReadOnlyAdmin
from agencies.choices import Action, OutboxState

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
    """What was notified, and its delivery through the shared outbox: pending (the sweep retries it with backoff),
    sent, or failed after the bound — with the last error."""

    list_display = ["complaint", "kind", "department", "created_at", "sent_at", "delivery_state", "attempts",
                    "last_error"]
    list_filter = ["kind", ("outbox__state", admin.ChoicesFieldListFilter), ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["complaint", "department", "outbox"]
    fields = ["complaint", "kind", "department", "leaders_only", "subject", "body", "created_at", "sent_at",
              "delivery_state", "attempts", "last_error", "next_attempt_at", "outbox"]
    readonly_fields = fields

    def get_queryset(self, request):
        visible = Complaint.objects.restrict(request.user, Action.VIEW).values("pk")
        return super().get_queryset(request).filter(complaint__in=visible)

    @admin.display(description=_("发送状态"), ordering="outbox__state")
    def delivery_state(self, obj):
        return obj.outbox.get_state_display() if obj.outbox_id else ""

    @admin.display(description=_("发送次数"), ordering="outbox__attempts")
    def attempts(self, obj):
        return obj.attempts

    @admin.display(description=_("最近错误"))
    def last_error(self, obj):
        return obj.last_error

    @admin.display(description=_("下次发送时间"))
    def next_attempt_at(self, obj):
        return obj.outbox.next_attempt_at if obj.outbox_id and obj.state == OutboxState.PENDING else None
