"""The credit API. Reads go through `restrict()` (RestrictedViewSetMixin); writes call the same services as the
pages; `institution` and `domain` (its code) on every record."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin
from agencies.models import Domain
from institutions.models import Institution

from ..models import CreditEvaluation, CreditEvent, CreditRepair, ListEntry, RiskAssessment
from ..selectors import public_list_entries
from ..services.events import credit_event_record
from ..services.lists import (
    credit_repair_apply,
    credit_repair_approve,
    credit_repair_reject,
    list_entry_decide,
    list_entry_notify,
    list_entry_object,
    list_entry_propose,
    list_entry_publish,
    list_entry_reject,
    list_entry_remove,
    list_entry_withdraw,
)

restricted = extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                                retrieve=extend_schema(parameters=[ACTION_PARAMETER]))


def _call(fn):
    try:
        return fn()
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from error


class RegulatedSerializer(serializers.ModelSerializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    domain = serializers.SlugRelatedField(slug_field="code", queryset=Domain.objects.all())


class CreditEventSerializer(RegulatedSerializer):
    department = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = CreditEvent
        fields = ["id", "institution", "domain", "kind", "state", "department", "occurred_on", "summary",
                  "legal_basis", "document_number", "is_public", "public_until", "created_at"]
        read_only_fields = ["state", "created_at"]


@restricted
class CreditEventViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CreditEvent.objects.select_related("domain", "department").order_by("-id")
    serializer_class = CreditEventSerializer
    permission_classes = [IsAuthenticated]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        institution = data.pop("institution")
        if not Institution.objects.restrict(self.request.user).filter(pk=institution.pk).exists():
            raise PermissionDenied
        serializer.instance = _call(lambda: credit_event_record(self.request.user, institution=institution, **data))


class CreditEvaluationSerializer(RegulatedSerializer):
    model_version = serializers.IntegerField(source="scoring_model.version", read_only=True)

    class Meta:
        model = CreditEvaluation
        fields = ["id", "institution", "domain", "as_of", "score", "grade", "model_version", "lines", "computed_at"]


@restricted
class CreditEvaluationViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CreditEvaluation.objects.select_related("domain", "scoring_model").order_by("-id")
    serializer_class = CreditEvaluationSerializer


class RiskAssessmentSerializer(RegulatedSerializer):
    class Meta:
        model = RiskAssessment
        fields = ["id", "institution", "domain", "level", "points", "reasons", "assessed_on", "computed_at"]


@restricted
class RiskAssessmentViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RiskAssessment.objects.select_related("domain").order_by("-id")
    serializer_class = RiskAssessmentSerializer


class ListEntrySerializer(RegulatedSerializer):
    department = serializers.CharField(source="department.name", read_only=True)
    ground_label = serializers.CharField(read_only=True)

    class Meta:
        model = ListEntry
        fields = ["id", "institution", "domain", "list_kind", "state", "ground", "ground_label", "legal_basis",
                  "facts", "department", "auto_proposed", "proposed_on", "notified_on", "objection_due",
                  "objection", "objected_on", "decided_on", "decision_note", "published_on", "listed_until",
                  "ended_on", "end_reason"]
        read_only_fields = [f for f in fields if f not in ("institution", "domain", "list_kind", "ground", "facts",
                                                           "legal_basis")]
        extra_kwargs = {"legal_basis": {"required": False, "allow_blank": True}}


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


STEPS = {
    "notify": lambda user, entry, note: list_entry_notify(user, entry),
    "decide": lambda user, entry, note: list_entry_decide(user, entry, note=note),
    "reject": lambda user, entry, note: list_entry_reject(user, entry, note),
    "publish": lambda user, entry, note: list_entry_publish(user, entry),
    "remove": lambda user, entry, note: list_entry_remove(user, entry, note),
    "withdraw": lambda user, entry, note: list_entry_withdraw(user, entry, note),
    "object": lambda user, entry, note: list_entry_object(user, entry, note),
}


@restricted
class ListEntryViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """List entries; `POST` proposes one; `POST …/<step>/` with `note` takes a step of the procedure."""

    queryset = ListEntry.objects.select_related("domain", "department").order_by("-id")
    serializer_class = ListEntrySerializer
    permission_classes = [IsAuthenticated]

    def perform_create(self, serializer):
        data = serializer.validated_data
        institution = data["institution"]
        if not Institution.objects.restrict(self.request.user).filter(pk=institution.pk).exists():
            raise PermissionDenied
        serializer.instance = _call(lambda: list_entry_propose(
            self.request.user, institution=institution, list_kind=data["list_kind"], ground=data["ground"],
            domain_obj=data["domain"], facts=data["facts"], legal_basis=data.get("legal_basis", "")))

    def _step(self, request, pk, step):
        entry = self.get_object()
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        entry = _call(lambda: STEPS[step](request.user, entry, note.validated_data["note"]))
        return Response(ListEntrySerializer(entry).data)

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def notify(self, request, pk=None):
        return self._step(request, pk, "notify")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def object(self, request, pk=None):
        return self._step(request, pk, "object")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        return self._step(request, pk, "decide")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._step(request, pk, "reject")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._step(request, pk, "publish")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        return self._step(request, pk, "remove")

    @extend_schema(request=NoteSerializer, responses=ListEntrySerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._step(request, pk, "withdraw")


class CreditRepairSerializer(RegulatedSerializer):
    institution = serializers.PrimaryKeyRelatedField(read_only=True)
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    list_entry = serializers.PrimaryKeyRelatedField(queryset=ListEntry.objects.all())

    class Meta:
        model = CreditRepair
        fields = ["id", "institution", "domain", "list_entry", "state", "statement", "applied_on", "reviewed_on",
                  "review_note"]
        read_only_fields = ["state", "applied_on", "reviewed_on", "review_note"]


@restricted
class CreditRepairViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CreditRepair.objects.select_related("domain").order_by("-id")
    serializer_class = CreditRepairSerializer
    permission_classes = [IsAuthenticated]

    def perform_create(self, serializer):
        entry = serializer.validated_data["list_entry"]
        if not ListEntry.objects.restrict(self.request.user).filter(pk=entry.pk).exists():
            raise PermissionDenied
        serializer.instance = _call(lambda: credit_repair_apply(
            self.request.user, entry, serializer.validated_data["statement"]))

    @extend_schema(request=NoteSerializer, responses=CreditRepairSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        repair = self.get_object()
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        repair = _call(lambda: credit_repair_approve(request.user, repair, note.validated_data["note"]))
        return Response(CreditRepairSerializer(repair).data)

    @extend_schema(request=NoteSerializer, responses=CreditRepairSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        repair = self.get_object()
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        repair = _call(lambda: credit_repair_reject(request.user, repair, note.validated_data["note"]))
        return Response(CreditRepairSerializer(repair).data, status=status.HTTP_200_OK)


class PublicListEntrySerializer(serializers.Serializer):
    """A published entry as the public page shows it: no persons, no facts beyond the grounds."""

    list_kind = serializers.CharField()
    list_kind_display = serializers.CharField(source="get_list_kind_display")
    institution = serializers.IntegerField(source="institution_id")
    institution_name = serializers.CharField(source="institution.name")
    uscc = serializers.CharField(source="institution.uscc")
    domain = serializers.CharField(source="domain.code")
    ground = serializers.CharField(source="ground_label")
    legal_basis = serializers.CharField()
    department = serializers.CharField(source="department.name")
    published_on = serializers.DateField()
    listed_until = serializers.DateField()


class PublicListEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The lists as published today (失信联合惩戒 / 重点关注 / 红名单), no login."""

    serializer_class = PublicListEntrySerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    queryset = ListEntry.objects.none()

    def get_queryset(self):
        return public_list_entries()

