from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action as drf_action
from rest_framework.response import Response

from agencies.access import explain
from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin

from ..filtersets import FindingFilterSet
from ..models import Finding
from .serializers import ExplanationSerializer, FindingSerializer


@extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                    retrieve=extend_schema(parameters=[ACTION_PARAMETER]))
class FindingViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    # One query for the page and one for the count, whatever the page size.
    queryset = Finding.objects.select_related("domain").order_by("-id")
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet

    @extend_schema(parameters=[ACTION_PARAMETER], responses=ExplanationSerializer)
    @drf_action(detail=True, methods=["get"])
    def explain(self, request, pk=None):
        """Why the caller may take `action` on this finding: the duty (seed and task number) or the hand-off."""
        finding = self.get_object()  # 404 when out of scope for that action
        reasons = explain(request.user, finding, self.get_action_param())
        data = {"action": self.get_action_param(),
                "reasons": [{"kind": r.kind, "reference": r.reference, "duty_id": r.duty_id, "text": r.text}
                            for r in reasons]}
        return Response(ExplanationSerializer(data).data)
