"""API for what follows a finding: rectifications (the institution submits, the verifying department verifies),
referrals (send / accept / decline / answer), supervised cases, suspension orders, the three lists, and the public
list of open supervised cases.

Reads go through `restrict()` (a rectification through its finding's); actions call the same services as the
pages. Every record answers `institution` (id) and `domain` (code), DESIGN §6.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin
from agencies.choices import Action
from agencies.models import Department

from .. import lists
from ..choices import ReferralKind
from ..models import Finding, Rectification, Referral, SupervisedCase, SuspensionOrder
from ..services.findings import (
    rectification_submit,
    rectification_verify,
    supervised_case_lift,
    supervised_case_open,
    supervised_cases_public,
    suspension_order_issue,
    suspension_order_lift,
    suspension_order_withdraw,
)
from ..services.referrals import referral_accept, referral_answer, referral_decline, referral_send


def _call(service, *args, **kwargs):
    """Service errors in DRF's shape: ValidationError → 400 naming the fields, PermissionDenied → 403."""
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


def _visible_finding(user, pk) -> Finding:
    finding = Finding.objects.restrict(user, Action.VIEW).filter(pk=pk).first()
    if finding is None:
        raise ValidationError({"finding": ["问题不存在。"]})  # the same answer for out of scope
    return finding


_schema = extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                             retrieve=extend_schema(parameters=[ACTION_PARAMETER]))


# ----------------------------------------------------------------------------------------------- rectifications


class EvidenceSerializer(serializers.Serializer):
    # No file path or URL in the API: the file is served by the permission-checked page view.
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class RectificationSerializer(serializers.ModelSerializer):
    institution = serializers.IntegerField(source="finding.institution_id", read_only=True)
    domain = serializers.CharField(source="finding.domain.code", read_only=True)
    finding_state = serializers.CharField(source="finding.state", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Rectification
        fields = ["id", "finding", "institution", "domain", "finding_state", "measures", "submitted_at", "decision",
                  "reviewed_at", "review_note", "evidence"]
        read_only_fields = fields


class RectificationSubmitSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    measures = serializers.CharField()
    evidence = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class VerifySerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    """Rectification reports of the findings the caller may see. POST (multipart: finding, measures, evidence…) by
    the institution's own account; `verify` by the verifying department (谁检查、谁验收)."""

    serializer_class = RectificationSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        findings = Finding.objects.restrict(self.request.user, Action.VIEW)
        return (Rectification.objects.filter(finding__in=findings)
                .select_related("finding__domain").prefetch_related("evidence").order_by("-submitted_at", "-id"))

    @extend_schema(request=RectificationSubmitSerializer, responses={201: RectificationSerializer})
    def create(self, request, *args, **kwargs):
        data = RectificationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = request.FILES.getlist("evidence") if hasattr(request.FILES, "getlist") else []
        finding = _visible_finding(request.user, data.validated_data["finding"])
        rectification = _call(rectification_submit, request.user, finding, data.validated_data["measures"], files)
        return Response(RectificationSerializer(self.get_queryset().get(pk=rectification.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=VerifySerializer, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rectification = self.get_object()
        _call(rectification_verify, request.user, rectification, data.validated_data["accepted"],
              data.validated_data["note"])
        return Response(RectificationSerializer(self.get_queryset().get(pk=rectification.pk)).data)


# ----------------------------------------------------------------------------------------------- referrals


class ReferralSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "finding", "institution", "domain", "kind", "state", "from_department", "to_department",
                  "reason", "refer_due", "sent_at", "answer_due", "accepted_at", "answered_at", "feedback"]
        read_only_fields = fields


class ReferralSendSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    to_department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    kind = serializers.ChoiceField(choices=ReferralKind.choices, default=ReferralKind.TRANSFER)
    reason = serializers.CharField()


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


@_schema
class ReferralViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals the caller's department sent or received (both ends hold a grant), with their clocks."""

    queryset = Referral.objects.select_related("domain").order_by("-sent_at", "-id")
    serializer_class = ReferralSerializer

    @extend_schema(request=ReferralSendSerializer, responses={201: ReferralSerializer})
    def create(self, request, *args, **kwargs):
        data = ReferralSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = _visible_finding(request.user, data.validated_data["finding"])
        referral = _call(referral_send, request.user, finding, data.validated_data["to_department"],
                         data.validated_data["kind"], data.validated_data["reason"])
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)

    def _act(self, request, service, with_text):
        referral = self.get_object()
        args = []
        if with_text:
            data = TextSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            args.append(data.validated_data["text"])
        _call(service, request.user, referral, *args)
        return Response(ReferralSerializer(Referral.objects.select_related("domain").get(pk=referral.pk)).data)

    @extend_schema(request=None, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(request, referral_accept, False)

    @extend_schema(request=TextSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(request, referral_decline, True)

    @extend_schema(request=TextSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._act(request, referral_answer, True)


# ----------------------------------------------------------------------------------------------- escalation records


class SupervisedCaseSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SupervisedCase
        fields = ["id", "finding", "institution", "domain", "supervising_department", "state", "requirements",
                  "deadline", "listed_on", "lifted_on", "lift_note"]
        read_only_fields = fields


class SupervisedCaseOpenSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    supervising_department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    requirements = serializers.CharField()
    deadline = serializers.DateField()


@_schema
class SupervisedCaseViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SupervisedCase.objects.select_related("domain").order_by("-listed_on", "-id")
    serializer_class = SupervisedCaseSerializer

    @extend_schema(request=SupervisedCaseOpenSerializer, responses={201: SupervisedCaseSerializer})
    def create(self, request, *args, **kwargs):
        data = SupervisedCaseOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = _visible_finding(request.user, data.validated_data["finding"])
        case = _call(supervised_case_open, request.user, finding, data.validated_data["supervising_department"],
                     data.validated_data["requirements"], data.validated_data["deadline"])
        return Response(SupervisedCaseSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TextSerializer, responses=SupervisedCaseSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = _call(supervised_case_lift, request.user, self.get_object(), data.validated_data["text"])
        return Response(SupervisedCaseSerializer(SupervisedCase.objects.get(pk=case.pk)).data)


class SuspensionOrderSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SuspensionOrder
        fields = ["id", "finding", "institution", "domain", "issued_by", "state", "reason", "basis", "issued_on",
                  "lifted_on"]
        read_only_fields = fields


@_schema
class SuspensionOrderViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Suspension orders (责令停业整顿): `issue` decides a proposal of the overdue scan, `withdraw` declines it,
    `lift` ends an order in force — each by the deciding department."""

    queryset = SuspensionOrder.objects.select_related("domain").order_by("-issued_on", "-id")
    serializer_class = SuspensionOrderSerializer

    def _act(self, request, call):
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = self.get_object()
        _call(call, order, data.validated_data["text"])
        return Response(SuspensionOrderSerializer(SuspensionOrder.objects.get(pk=order.pk)).data)

    @extend_schema(request=TextSerializer, responses=SuspensionOrderSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._act(request, lambda order, text: suspension_order_issue(
            request.user, order.finding_id, text, order.basis, order=order))

    @extend_schema(request=TextSerializer, responses=SuspensionOrderSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, lambda order, text: suspension_order_withdraw(request.user, order, text))

    @extend_schema(request=TextSerializer, responses=SuspensionOrderSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        return self._act(request, lambda order, text: suspension_order_lift(request.user, order, text))


# ----------------------------------------------------------------------------------------------- the three lists


class ListRowSerializer(serializers.Serializer):
    finding = serializers.IntegerField()
    institution = serializers.IntegerField()
    domain = serializers.CharField()
    cells = serializers.DictField(child=serializers.CharField(allow_blank=True))


LIST_FILTERS = [
    OpenApiParameter("district", str, description="district code, e.g. 120101"),
    OpenApiParameter("domain", str, description="domain code"),
    OpenApiParameter("department", int, description="finding or verifying department id"),
    OpenApiParameter("institution", int),
]


class ListKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()


class FindingListViewSet(viewsets.GenericViewSet):
    """The three lists: `/finding-lists/problems/`, `/rectification/`, `/responsibility/` — the same columns as
    the pages and the Excel sheets, as header → cell."""

    serializer_class = ListRowSerializer
    lookup_field = "kind"
    lookup_value_regex = "(?:{})".format("|".join(lists.TITLES))  # grouped: the schema anchors it as ^…$
    filter_backends = []

    @property
    def pagination_class(self):
        # The index of the three lists is three rows, unpaginated; the rows of a list are paginated.
        return None if self.action == "list" else api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(responses=ListKindSerializer(many=True))
    def list(self, request):
        return Response([{"kind": k, "title": str(v)} for k, v in lists.TITLES.items()])

    @extend_schema(parameters=[*LIST_FILTERS, OpenApiParameter("kind", str, OpenApiParameter.PATH,
                                                               enum=[*lists.TITLES])],
                   responses=ListRowSerializer(many=True), operation_id="finding_lists_rows")
    def retrieve(self, request, kind=None):
        from ..forms.findings import ListFilterForm

        if kind not in lists.TITLES:
            raise Http404
        form = ListFilterForm(request.query_params or None, departments=Department.objects.all())
        if request.query_params and not form.is_valid():
            raise ValidationError(form.errors)
        filters = {k: form.cleaned_data.get(k) for k in ("district", "domain", "department", "institution")} \
            if request.query_params else {}
        queryset = lists.list_queryset(request.user, kind, **filters)
        paginator = self.paginator
        page = paginator.paginate_queryset(queryset, request, view=self)
        cols = lists.columns(kind)
        data = [{"finding": f.pk, "institution": f.institution_id, "domain": f.domain.code,
                 "cells": {c.header: str(c.value(f)) for c in cols}} for f in page]
        return paginator.get_paginated_response(data)


# ----------------------------------------------------------------------------------------------- public


class PublicSupervisedCaseSerializer(serializers.Serializer):
    """What is published (seed 000 #3): institution, hazard summary, supervising unit, deadline. Nothing personal."""

    id = serializers.IntegerField()
    institution = serializers.IntegerField(source="institution_id")
    institution_name = serializers.CharField(source="institution.name")
    district = serializers.CharField(source="institution.region.name")
    domain = serializers.CharField(source="domain.code")
    hazard = serializers.SerializerMethodField()
    supervising_department = serializers.CharField(source="supervising_department.name")
    listed_on = serializers.DateField()
    deadline = serializers.DateField()

    def get_hazard(self, obj) -> str:
        return f"{obj.domain.name}{obj.finding.get_severity_display()}"


class PublicSupervisedCaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Open supervised cases (挂牌督办), gone the day they are lifted. No login."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = PublicSupervisedCaseSerializer
    filter_backends = []

    def get_queryset(self):
        return supervised_cases_public()
