"""Read-only representations of the agencies reference data (regions, departments, domains, the duty catalog).

Relations to reference rows are given by their stable codes (department kinds, domains) where the rest of
the API does the same (`domain` on every regulated record is a code), and by id where the record is
addressed by id (`region`, `parent`: resolvable through `/api/v1/regions/{id}/`).
"""

from rest_framework import serializers

from ..choices import Action, InstitutionFact
from ..models import Department, Domain, Duty, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "scope_code", "name", "name_en", "level", "parent"]
        read_only_fields = fields


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["code", "name", "name_en", "description"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "kind", "kind_name", "level", "region"]
        read_only_fields = fields


class DutySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="How the seeds cite it: 000任务4, 001-16.")
    department_kinds = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    lead_kind = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    domains = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    # Typed lists, so that the schema names the allowed values instead of an opaque JSON blob.
    actions = serializers.ListField(child=serializers.ChoiceField(choices=Action.choices), read_only=True)
    applies_if = serializers.ListField(
        child=serializers.ChoiceField(choices=InstitutionFact.choices), read_only=True,
        help_text="Institution facts the duty applies under (any one suffices); empty: every institution.")

    class Meta:
        model = Duty
        fields = ["id", "reference", "source_seed", "task_no", "requirement", "text", "text_clean",
                  "responsible_units", "department_kinds", "lead_kind", "domains", "actions", "applies_if",
                  "source_lines", "active"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`.")


class TokenErrorSerializer(serializers.Serializer):
    """What a refused token request says: the reason, under the field it concerns or `non_field_errors`."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    username = serializers.ListField(child=serializers.CharField(), required=False)
    password = serializers.ListField(child=serializers.CharField(), required=False)
