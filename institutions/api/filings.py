"""API for filings (with their workflow actions) and the on-site checks that follow them.

Reads go through `restrict(user, action)` (RestrictedViewSetMixin); the actions call the same services as the
pages, so the transition table, the locks and the audit rows are the same whichever way a reviewer comes in.
Each record answers its `institution` id and its `domain` code (DESIGN §6).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin
from agencies.choices import Action

from ..models import Filing, FilingMaterial, OnSiteCheck
from ..services.filing import filing_approve, filing_return, filing_submit


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = FilingMaterial
        # No file path or URL: the file is served only by the permission-checked page view.
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class FilingSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)

    class Meta:
        model = Filing
        fields = ["id", "institution", "domain", "kind", "state", "number", "name", "address",
                  "legal_representative", "person_in_charge", "property_type", "beds", "building_area",
                  "contact_person", "contact_phone", "service_scope", "submitted_at", "reviewed_at",
                  "review_department", "missing_items", "review_note", "below_accessibility_standard",
                  "below_fire_standard", "materials", "created_at", "updated_at"]
        read_only_fields = fields


class ReturnSerializer(serializers.Serializer):
    missing_items = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(serializers.Serializer):
    below_accessibility_standard = serializers.BooleanField(required=False, default=False)
    below_fire_standard = serializers.BooleanField(required=False, default=False)


class OnSiteCheckSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OnSiteCheck
        fields = ["id", "institution", "domain", "filing", "department", "due_date", "status", "result", "notes",
                  "checked_on", "created_at"]
        read_only_fields = fields


def _call(service, *args, **kwargs):
    """Service errors in DRF's shape: ValidationError → 400 with the field names, PermissionDenied → 403."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


_schema = extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                             retrieve=extend_schema(parameters=[ACTION_PARAMETER]))


@_schema
class FilingViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Filings the caller may see; `submit` for the institution's account, `return`/`approve` for reviewers."""

    queryset = Filing.objects.select_related("domain").prefetch_related("materials").order_by("-id")
    serializer_class = FilingSerializer

    def get_action_param(self) -> str:
        # The review actions look the filing up among those the caller may review: others answer 404.
        if self.action in ("return_", "approve"):
            return Action.REVIEW_FILING
        return super().get_action_param()

    @extend_schema(request=None, responses=FilingSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        filing = _call(filing_submit, request.user, self.get_object())
        return Response(FilingSerializer(Filing.objects.get(pk=filing.pk)).data)

    @extend_schema(request=ReturnSerializer, responses=FilingSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing = _call(filing_return, request.user, self.get_object(), **data.validated_data)
        return Response(FilingSerializer(Filing.objects.get(pk=filing.pk)).data)

    @extend_schema(request=ApproveSerializer, responses=FilingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing = _call(filing_approve, request.user, self.get_object(), **data.validated_data)
        return Response(FilingSerializer(Filing.objects.get(pk=filing.pk)).data)


@_schema
class OnSiteCheckViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = OnSiteCheck.objects.select_related("domain").order_by("due_date", "id")
    serializer_class = OnSiteCheckSerializer
