"""Read-only API for leads, disclosure items, star ratings, incident reports and emergency drills.

Every viewset reads through `restrict(user, action)` (RestrictedViewSetMixin); each record answers its
`institution` id (where it has one) and its `domain` code (DESIGN §6). The public list of operators running
without filing (seed 003 二(一)) is served without login and carries nothing personal.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin

from ..models import DisclosureItem, EmergencyDrill, IncidentReport, Lead, StarRating
from ..services.records import leads_public


class DomainCodeMixin(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)


class LeadSerializer(DomainCodeMixin):
    class Meta:
        model = Lead
        fields = ["id", "operator_name", "address", "region", "region_code", "domain", "registered", "uscc",
                  "source", "description", "discovered_on", "due_date", "state", "checked_on", "check_notes",
                  "outcome", "outcome_note", "referred_to", "institution", "department", "publicly_listed",
                  "created_at"]
        read_only_fields = fields


class PublicLeadSerializer(serializers.ModelSerializer):
    """Only what seed 003 二(一) publishes: who, where, what stage. No description, source or notes."""

    district = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "operator_name", "district", "address", "state"]
        read_only_fields = fields


class DisclosureItemSerializer(DomainCodeMixin):
    class Meta:
        model = DisclosureItem
        fields = ["id", "institution", "domain", "kind", "content", "updated_at"]
        read_only_fields = fields


class StarRatingSerializer(DomainCodeMixin):
    class Meta:
        model = StarRating
        fields = ["id", "institution", "domain", "level", "rated_on", "valid_until", "rating_body",
                  "certificate_no"]
        read_only_fields = fields


class IncidentReportSerializer(DomainCodeMixin):
    class Meta:
        model = IncidentReport
        fields = ["id", "institution", "domain", "type", "occurred_at", "people_affected", "injuries", "deaths",
                  "description", "measures", "reported_at"]
        read_only_fields = fields


class EmergencyDrillSerializer(DomainCodeMixin):
    class Meta:
        model = EmergencyDrill
        fields = ["id", "institution", "domain", "held_on", "topic", "participants", "summary"]
        read_only_fields = fields


_schema = extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                             retrieve=extend_schema(parameters=[ACTION_PARAMETER]))


@_schema
class LeadViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Leads on unfiled or unregistered operators the caller's department covers (e.g. 000任务16–18)."""

    queryset = Lead.objects.select_related("domain").order_by("due_date", "id")
    serializer_class = LeadSerializer


@_schema
class DisclosureItemViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DisclosureItem.objects.select_related("domain").order_by("institution_id", "kind", "id")
    serializer_class = DisclosureItemSerializer


@_schema
class StarRatingViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = StarRating.objects.select_related("domain").order_by("-rated_on", "-id")
    serializer_class = StarRatingSerializer


@_schema
class IncidentReportViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = IncidentReport.objects.select_related("domain").order_by("-occurred_at", "-id")
    serializer_class = IncidentReportSerializer


@_schema
class EmergencyDrillViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = EmergencyDrill.objects.select_related("domain").order_by("-held_on", "-id")
    serializer_class = EmergencyDrillSerializer


class PublicUnfiledViewSet(viewsets.ReadOnlyModelViewSet):
    """Operators known to be running without filing, listed and not yet dealt with (seed 003 二(一))."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = PublicLeadSerializer

    def get_queryset(self):
        return leads_public()
