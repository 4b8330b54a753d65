"""Read endpoints for the agencies reference data, and the token endpoint.

Regions, departments, domains and the duty catalog are reference data, not regulated records: any signed-in
caller reads all of them. The duty catalog and the domains are also published without login (监管清单
向社会公开, seed 001 row 7) under `/api/v1/public/`.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from ..filtersets import DepartmentFilterSet, DutyFilterSet, RegionFilterSet
from ..models import Department, DepartmentKind, Domain, Duty, Region
from .serializers import (
    DepartmentSerializer,
    DomainSerializer,
    DutySerializer,
    RegionSerializer,
    TokenErrorSerializer,
    TokenSerializer,
)


class TokenView(ObtainAuthToken):
    """POST `username` and `password`; the answer is `{"token": "…"}`, sent back as `Authorization: Token …`.

    Bad credentials answer 400 with the reason under `non_field_errors` (a missing field under its name).
    Throttled per client address: the endpoint checks passwords, so it must not become a guessing oracle.
    """

    permission_classes = [AllowAny]  # the credentials are the request body
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenSerializer,
                   400: OpenApiResponse(TokenErrorSerializer, description="Missing field or wrong credentials."),
                   429: OpenApiResponse(description="Too many attempts from this address; retry later.")},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The administrative-division tree (city → district → street); `parent` is the id of the region above."""

    queryset = Region.objects.order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments: a kind (its code) at a level over a region (its id)."""

    # One query for the page (kind joined for its code and name), one for the count.
    queryset = Department.objects.select_related("kind").order_by("region__code", "kind_id")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    """Supervision domains (监管领域), addressed by their code — the `domain` every regulated record carries."""

    queryset = Domain.objects.order_by("id")
    serializer_class = DomainSerializer
    lookup_field = "code"


def duty_queryset():
    # The page, plus one query per many-to-many (department kinds, domains) whatever the page size;
    # the lead kind comes in the page's join.
    return (Duty.objects.select_related("lead_kind")
            .prefetch_related(Prefetch("department_kinds", queryset=DepartmentKind.objects.only("id", "code")),
                              Prefetch("domains", queryset=Domain.objects.only("id", "code")))
            .order_by("source_seed", "id"))


class DutyViewSet(viewsets.ReadOnlyModelViewSet):
    """The statutory duty catalog (责任清单), filterable by department kind, domain, seed, action and text.

    Staff see every row, including duties an administrator has set inactive (with `active: false`).
    """

    queryset = duty_queryset()
    serializer_class = DutySerializer
    filterset_class = DutyFilterSet


class PublicDutyViewSet(DutyViewSet):
    """The published duty catalog: the duties in force, without login."""

    queryset = duty_queryset().filter(active=True)
    permission_classes = [AllowAny]


class PublicDomainViewSet(DomainViewSet):
    """The supervision domains, without login."""

    permission_classes = [AllowAny]
