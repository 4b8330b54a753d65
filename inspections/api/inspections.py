"""API for inspections: list and detail through `restrict()`, actions that call the services (notify, start,
cancel, item results, findings, sign, publish), and the public results under /api/v1/public/.

Every record answers `institution` (id) and `domain` (code). An institution account sees its inspections from
the notice on, never a case inspection before it happens.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action as drf_action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from agencies.access import get_access_context
from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin
from agencies.choices import Action
from agencies.models import Department
from institutions.models import Institution

from ..choices import InspectionKind, ItemResultValue, Severity
from ..models import ChecklistItem, Finding, Inspection, ItemResult
from ..selectors import public_result_detail, public_results
from ..services import inspections as services
from .serializers import FindingSerializer

INSTITUTION_VISIBLE_STATES = ("notified", "in_progress", "completed", "published")


class ItemResultSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    domain = serializers.CharField(source="item.domain.code", read_only=True)

    class Meta:
        model = ItemResult
        fields = ["item", "code", "domain", "result", "note", "recorded_at"]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "institution", "domain", "region_code", "kind", "state", "plan", "lead_department",
                  "departments", "checklist_version", "origin", "scheduled_for", "notice_due", "notified_at",
                  "started_at", "completed_at", "publish_due", "published_at", "public_summary"]
        read_only_fields = fields


class TeamMemberSerializer(serializers.Serializer):
    inspector = serializers.IntegerField(source="inspector_id")
    name = serializers.CharField(source="inspector.display_name")
    department = serializers.IntegerField(source="inspector.department_id")
    signed_at = serializers.DateTimeField(allow_null=True)


class InspectionDetailSerializer(InspectionSerializer):
    items = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    team = TeamMemberSerializer(many=True, read_only=True)
    item_results = ItemResultSerializer(many=True, read_only=True)

    class Meta(InspectionSerializer.Meta):
        fields = InspectionSerializer.Meta.fields + ["items", "team", "item_results"]
        read_only_fields = fields


class ItemResultInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    result = serializers.ChoiceField(choices=ItemResultValue.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FindingInputSerializer(serializers.Serializer):
    domain = serializers.CharField(required=False, allow_blank=True, help_text="domain code; default: the item's")
    checklist_item = serializers.IntegerField(required=False, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    text = serializers.CharField()
    basis = serializers.CharField(required=False, allow_blank=True, default="")
    rectification_working_days = serializers.IntegerField(min_value=1, max_value=250)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class InspectionCreateSerializer(serializers.Serializer):
    """A special or case inspection (planned ones come from a draw); ids throughout."""

    institution = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    lead_department = serializers.IntegerField()
    departments = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    inspector_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    scheduled_for = serializers.DateField()
    items = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True, default=None)
    origin = serializers.CharField(required=False, allow_blank=True, default="")


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _service(call):
    """A service's ValidationError names the field: the API answers 400 with that field; PermissionDenied 403."""
    try:
        return call()
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) \
            from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc


@extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                    retrieve=extend_schema(parameters=[ACTION_PARAMETER]))
class InspectionViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections the caller's duty covers, or whose team the caller or its department sits on."""

    queryset = Inspection.objects.select_related("domain").prefetch_related("departments").order_by(
        "-scheduled_for", "-id")
    serializer_class = InspectionSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if not (user.is_superuser or get_access_context(user).is_staff_member):  # cached: no query
            queryset = queryset.filter(state__in=INSTITUTION_VISIBLE_STATES)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("items", "team__inspector__staff__user",
                                                 "item_results__item__domain")
        return queryset

    def get_serializer_class(self):
        return InspectionDetailSerializer if self.action == "retrieve" else InspectionSerializer

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer})
    def create(self, request):
        """Create an inspection with its team (`services.inspection_create`): the institution and departments must
        be ones the caller's duty covers."""
        data = InspectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        # Read through restrict(): an institution out of the caller's scope is "not found", as everywhere.
        institution = Institution.objects.restrict(request.user, Action.VIEW).filter(pk=values.pop("institution")) \
            .first()
        if institution is None:
            raise ValidationError({"institution": ["机构不存在。"]})
        departments = {d.pk: d for d in Department.objects.filter(
            pk__in=[values["lead_department"], *values["departments"]])}
        missing = [pk for pk in [values["lead_department"], *values["departments"]] if pk not in departments]
        if missing:
            raise ValidationError({"departments": [f"部门不存在：{missing}"]})
        items = values.pop("items")
        if items is not None:
            found = list(ChecklistItem.objects.filter(pk__in=items))
            if len(found) != len(set(items)):
                raise ValidationError({"items": ["检查事项不存在。"]})
            items = found
        inspection = _service(lambda: services.inspection_create(
            request.user, institution=institution, kind=values["kind"],
            lead_department=departments[values["lead_department"]],
            departments=[departments[pk] for pk in values["departments"]], inspector_ids=values["inspector_ids"],
            scheduled_for=values["scheduled_for"], items=items, origin=values["origin"]))
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)

    def _act(self, service, **kwargs):
        inspection = self.get_object()
        inspection = _service(lambda: service(self.request.user, inspection, **kwargs))
        inspection.refresh_from_db()
        return Response(InspectionSerializer(inspection).data)

    @extend_schema(request=None, responses=InspectionSerializer)
    @drf_action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        """Tell the institution of an announced inspection (3 working days ahead)."""
        return self._act(services.inspection_notify)

    @extend_schema(request=None, responses=InspectionSerializer)
    @drf_action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(services.inspection_start)

    @extend_schema(request=CancelInputSerializer, responses=InspectionSerializer)
    @drf_action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(services.inspection_cancel, reason=data.validated_data["reason"])

    @extend_schema(request=None, responses=InspectionSerializer)
    @drf_action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The caller, an inspector of the team, signs; two signatures complete the inspection."""
        return self._act(services.inspection_sign)

    @extend_schema(request=None, responses=InspectionSerializer)
    @drf_action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._act(services.inspection_publish)

    @extend_schema(request=ItemResultInputSerializer(many=True), responses=ItemResultSerializer(many=True))
    @drf_action(detail=True, methods=["get", "post"], url_path="item-results")
    def item_results(self, request, pk=None):
        """GET: the results so far. POST: a list of {item, result, note} (合格 pass / 不合格 fail / 不适用 na)."""
        inspection = self.get_object()
        if request.method == "POST":
            if not isinstance(request.data, list):
                raise ValidationError({"detail": "a list of {item, result, note}"})
            data = ItemResultInputSerializer(data=request.data, many=True)
            data.is_valid(raise_exception=True)
            results = {row["item"]: (row["result"], row["note"]) for row in data.validated_data}
            _service(lambda: services.item_results_record(request.user, inspection, results))
        rows = ItemResult.objects.filter(inspection=inspection).select_related("item__domain")
        return Response(ItemResultSerializer(rows, many=True).data,
                        status=status.HTTP_200_OK)

    @extend_schema(request=FindingInputSerializer, responses=FindingSerializer)
    @drf_action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        """Record a finding on this inspection (JSON, or multipart with `photos`)."""
        inspection = self.get_object()
        data = FindingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = None
        if values.get("checklist_item"):
            item = ChecklistItem.objects.filter(pk=values["checklist_item"]).first()
            if item is None:
                raise ValidationError({"checklist_item": ["检查事项不存在。"]})
        finding = _service(lambda: services.finding_record(
            request.user, inspection, domain=values.get("domain") or None, checklist_item=item,
            severity=values["severity"], text=values["text"], basis=values["basis"],
            rectification_working_days=values["rectification_working_days"],
            photos=request.FILES.getlist("photos") if hasattr(request, "FILES") else []))
        finding = Finding.objects.select_related("domain").get(pk=finding.pk)
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    def get_action_param(self) -> str:
        # The write actions need the matching permission on the inspection, not only `view`.
        needed = {"notify": Action.INSPECT, "start": Action.INSPECT, "cancel": Action.INSPECT,
                  "sign": Action.INSPECT, "publish": Action.INSPECT, "findings": Action.RECORD_FINDING}
        if self.action in needed:
            return needed[self.action]
        if self.action == "item_results" and self.request.method == "POST":
            return Action.INSPECT
        return super().get_action_param()


# ----------------------------------------------------------------------------------------------- public


class PublicInspectionResultSerializer(serializers.Serializer):
    """A published result: no inspector, no person, no finding text."""

    id = serializers.IntegerField()
    institution = serializers.IntegerField(source="institution_id")
    institution_name = serializers.CharField(source="institution.name")
    district = serializers.CharField(source="institution.region.name")
    domain = serializers.SerializerMethodField()
    kind = serializers.CharField()
    inspected_on = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    departments = serializers.SerializerMethodField()
    items_checked = serializers.IntegerField(source="item_count")
    findings = serializers.IntegerField(source="finding_count")
    major_hazards = serializers.IntegerField(source="major_count")
    summary = serializers.CharField(source="public_summary")

    def get_domain(self, obj) -> str:
        return services.INSPECTION_DOMAIN

    def get_inspected_on(self, obj) -> str | None:
        from django.utils import timezone

        return timezone.localdate(obj.completed_at).isoformat() if obj.completed_at else None

    def get_departments(self, obj) -> list[str]:
        return [d.name for d in obj.departments.all()]


class PublicInspectionResultDetailSerializer(PublicInspectionResultSerializer):
    items = serializers.SerializerMethodField()
    findings_by_domain = serializers.SerializerMethodField()
    rectification = serializers.SerializerMethodField()

    def get_items(self, obj) -> list[dict]:
        return [{"code": code, "text": text, "domain": domain, "result": label}
                for code, text, domain, label in self.context["result"].items]

    def get_findings_by_domain(self, obj) -> list[dict]:
        return [{"domain": name, "general": general, "major": major}
                for name, general, major in self.context["result"].by_domain]

    def get_rectification(self, obj) -> list[dict]:
        return [{"state": label, "count": n} for label, n in self.context["result"].by_state]


class PublicInspectionResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Published inspection results (一公开), no login. Filter with `institution` (id)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = PublicInspectionResultSerializer
    filter_backends = []

    def get_queryset(self):
        queryset = public_results()
        institution = self.request.query_params.get("institution")
        if institution and institution.isdigit():
            queryset = queryset.filter(institution_id=int(institution))
        return queryset

    def retrieve(self, request, pk=None):
        try:
            result = public_result_detail(int(pk))
        except (Inspection.DoesNotExist, ValueError):
            raise Http404 from None
        return Response(PublicInspectionResultDetailSerializer(result.inspection, context={"result": result}).data)
