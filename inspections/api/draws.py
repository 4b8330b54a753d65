"""API for annual plans and their verifiable draws.

Staff (`/api/v1/plans/`, `/api/v1/draws/`): the plans a department has to do with (`selectors.plans_visible_to`,
the same read rule as the pages) and their draws; the actions `publish`, `commit` and `execute` call the same
services as the pages. Public (`/api/v1/public/draws/`): the draws of published plans — the commitment before
execution, the seed, input and result after it, and `verify/`, the server-side re-run. The secret seed is in no
response before execution.
"""

import json

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from institutions.api.filings import _call as call_service

from ..models import Draw, DrawAssignment, InspectionPlan
from ..selectors import draw_assignments, plans_visible_to, public_draws, verify_stored_draw
from ..services import draw_commit, draw_execute, plan_publish


class PlanSerializer(serializers.ModelSerializer):
    participating_departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    draws = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InspectionPlan
        fields = ["id", "year", "title", "lead_department", "participating_departments", "checklist_version",
                  "sampling_ratio", "risk_multipliers", "list_multipliers", "joint_preferred", "state",
                  "published_at", "created_at", "draws"]
        read_only_fields = fields


class DrawCommitSerializer(serializers.Serializer):
    count = serializers.IntegerField(required=False, min_value=1, help_text="Default: the plan's sampling ratio.")
    team_size_min = serializers.IntegerField(required=False, min_value=2, default=2)
    uninspected_first = serializers.BooleanField(required=False, default=False)


class AssignmentSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name")
    inspectors = serializers.SerializerMethodField()
    required_departments = serializers.SerializerMethodField()

    class Meta:
        model = DrawAssignment
        fields = ["position", "institution", "institution_name", "inspectors", "required_departments"]
        read_only_fields = fields

    def get_required_departments(self, obj) -> list[int]:
        # The draw's, the same for each of its teams (`draw_assignments` prefetches them once).
        return [d.pk for d in obj.draw.required_departments.all()]

    def get_inspectors(self, obj) -> list[dict]:
        # Ids and departments, as in the committed input; the staff API adds the names.
        with_names = self.context.get("with_names", False)
        return [{"id": i.pk, "department": i.department_id, "external": i.external,
                 **({"name": i.display_name} if with_names else {})} for i in obj.inspectors.all()]


class DrawSerializer(serializers.ModelSerializer):
    seed = serializers.CharField(source="revealed_seed", allow_null=True,
                                 help_text="The secret seed in hex, revealed at execution; null before.")
    result = serializers.SerializerMethodField()

    class Meta:
        model = Draw
        fields = ["id", "plan", "number", "state", "algorithm", "seed_hash", "input_hash", "commitment_hash",
                  "committed_at", "seed", "result_hash", "executed_at", "result"]
        read_only_fields = fields

    def get_result(self, obj) -> dict | None:
        return json.loads(obj.result_json) if obj.is_executed else None


class DrawDetailSerializer(DrawSerializer):
    input_json = serializers.CharField(help_text="The canonical input, exactly the UTF-8 text whose SHA-256 is "
                                                 "input_hash.")
    assignments = serializers.SerializerMethodField()

    class Meta(DrawSerializer.Meta):
        fields = [*DrawSerializer.Meta.fields, "input_json", "assignments"]
        read_only_fields = fields

    def get_assignments(self, obj) -> list[dict]:
        if not obj.is_executed:
            return []
        with_names = self.context.get("with_names", False)
        return AssignmentSerializer(draw_assignments(obj, with_names=with_names), many=True,
                                    context=self.context).data


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField(allow_null=True)
    message = serializers.CharField()
    input_hash = serializers.CharField()
    commitment_hash = serializers.CharField()
    result_hash = serializers.CharField()
    differences = serializers.ListField(child=serializers.CharField())


def _verification(draw) -> dict:
    report = verify_stored_draw(draw)
    return VerificationSerializer({**report.__dict__, "differences": list(report.differences)}).data


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Annual plans the caller's department leads, covers or takes part in."""

    serializer_class = PlanSerializer
    queryset = InspectionPlan.objects.none()  # for the schema; get_queryset() is the read rule
    filter_backends = []

    def get_queryset(self):
        return plans_visible_to(self.request.user).prefetch_related(
            "participating_departments", "draws").order_by("-year", "-id")

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        plan = call_service(plan_publish, request.user, self.get_object())
        return Response(PlanSerializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(request=DrawCommitSerializer, responses={201: DrawSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Step one: publish the commitment of the plan's next draw (civil-affairs staff over its region)."""
        plan = self.get_object()
        params = DrawCommitSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        draw = call_service(draw_commit, request.user, plan, **params.validated_data)
        return Response(DrawSerializer(draw).data, status=201)


class DrawViewSet(viewsets.ReadOnlyModelViewSet):
    """Draws of the plans the caller may read; `execute` is step two (reveal the seed, store the result)."""

    queryset = Draw.objects.none()
    filter_backends = []

    def get_queryset(self):
        return Draw.objects.filter(plan__in=plans_visible_to(self.request.user)).order_by("-committed_at", "-id")

    def get_serializer_class(self):
        return DrawDetailSerializer if self.action == "retrieve" else DrawSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_names": True}

    @extend_schema(request=None, responses=DrawDetailSerializer)
    @action(detail=True, methods=["post"])
    def execute(self, request, pk=None):
        draw = call_service(draw_execute, request.user, self.get_object())
        return Response(DrawDetailSerializer(draw, context=self.get_serializer_context()).data)


class PublicDrawViewSet(viewsets.ReadOnlyModelViewSet):
    """Draws of published plans: the commitment before execution; the seed, input and result after it."""

    permission_classes = [AllowAny]
    authentication_classes = []
    filter_backends = []
    queryset = Draw.objects.none()

    def get_queryset(self):
        return public_draws().order_by("-committed_at", "-id")

    def get_serializer_class(self):
        return DrawDetailSerializer if self.action in ("retrieve", "verify") else DrawSerializer

    @extend_schema(responses=VerificationSerializer)
    @action(detail=True, methods=["get"])
    def verify(self, request, pk=None):
        """在线核验: re-run the draw on the server from its published input and seed, compare byte for byte."""
        return Response(_verification(self.get_object()))
