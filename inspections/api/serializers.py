from rest_framework import serializers

from ..models import Finding


class FindingSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "institution", "domain", "region_code", "text", "found_by", "created_at"]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reference = serializers.CharField(allow_null=True)
    duty_id = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class ExplanationSerializer(serializers.Serializer):
    action = serializers.CharField()
    reasons = ReasonSerializer(many=True)
