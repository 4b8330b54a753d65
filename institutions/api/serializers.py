from rest_framework import serializers

from agencies.choices import InstitutionFact

from ..models import Institution


class InstitutionSerializer(serializers.ModelSerializer):
    """An institution: `region` is the id of its district or street (see `/api/v1/regions/{id}/`)."""

    class Meta:
        model = Institution
        fields = ["id", "name", "uscc", "legal_form", "region", "region_code", "status", "beds",
                  *InstitutionFact.values]
        read_only_fields = fields
