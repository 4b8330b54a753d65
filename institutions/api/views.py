from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin

from ..models import Institution
from .filtersets import InstitutionFilterSet
from .serializers import InstitutionSerializer


@extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                    retrieve=extend_schema(parameters=[ACTION_PARAMETER]))
class InstitutionViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Institutions the caller's department covers for `action` (by region and, for conditional duties, facts),
    or that were handed to it; an institution account sees its own institution only."""

    # One query for the page and one for the count: every field is a column of the row (`region` is its id).
    # The id closes the ordering, so that pages do not overlap when two institutions share a name.
    queryset = Institution.objects.order_by("region_code", "name", "id")
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilterSet
