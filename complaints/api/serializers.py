from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import Department, Region

from ..choices import Category, Outcome
from ..models import Complaint


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint for staff. `complainant` is filled only for the intake bureau and the handling departments
    (and each such read is audited by the view); everyone else gets it masked."""

    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    supervision_domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    complainant = serializers.SerializerMethodField()
    # Empty until the complaint is answered. Declared: a read-only model field loses `allow_blank`, and the
    # schema would then promise one of the outcomes on every complaint.
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "code", "institution", "domain", "supervision_domain", "region", "region_code",
                  "operator_name", "operator_address", "category", "priority", "state", "channel", "description",
                  "occurred_on", "intake_department", "submitted_at", "acknowledge_due", "answer_due",
                  "acknowledged_at", "answered_at", "closed_at", "outcome", "decided_on", "measures", "reply",
                  "referral_note", "rating", "merged_into", "lead", "case_inspection_requested_at", "complainant"]
        read_only_fields = fields

    def get_complainant(self, obj) -> dict:
        revealed = self.context.get("revealed", {})
        return revealed.get(obj.pk) or self.context["mask"](obj)


class SubmitSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    institution = serializers.IntegerField(required=False, allow_null=True)
    operator_name = serializers.CharField(required=False, allow_blank=True, max_length=128, default="")
    operator_address = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    description = serializers.CharField(max_length=5000)
    occurred_on = serializers.DateField(required=False, allow_null=True)
    complainant_name = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    complainant_phone = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    consent = serializers.BooleanField(required=False, default=False)
    captcha_token = serializers.CharField(help_text=_("GET captcha/ 得到的 token"))
    captcha_answer = serializers.CharField(max_length=8)


class SubmittedSerializer(serializers.Serializer):
    code = serializers.CharField()
    secret = serializers.CharField(allow_null=True, help_text=_("只返回这一次；重复投诉时为空"))
    created = serializers.BooleanField()
    answer_due = serializers.DateField()


class CaptchaSerializer(serializers.Serializer):
    question = serializers.CharField()
    token = serializers.CharField()


class TrackSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)
    secret = serializers.CharField(max_length=32)


class PublicComplaintSerializer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    category = serializers.CharField()
    subject = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    answer_due = serializers.DateField()
    handling_department = serializers.CharField()
    outcome = serializers.CharField()
    reply = serializers.CharField()


class RouteSerializer(serializers.Serializer):
    lead_department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    assist_departments = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), many=True,
                                                            required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AnswerSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    measures = serializers.CharField(required=False, allow_blank=True, default="")
    reply = serializers.CharField()
    referral_note = serializers.CharField(required=False, allow_blank=True, default="")
