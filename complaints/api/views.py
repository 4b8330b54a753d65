"""Complaints API. Staff endpoints read through `restrict()`; public submit and track need no login.

Every complaint answers `institution` and `domain` (DESIGN §6); `complainant` is masked unless the caller's
department took the complaint in or handles it, and each unmasked read leaves an audit row.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from agencies.api.mixins import ACTION_PARAMETER, RestrictedViewSetMixin

from .. import antiabuse, services
from ..choices import Channel
from ..models import Complaint
from ..selectors import public_view_of
from .serializers import (
    AnswerSerializer,
    CaptchaSerializer,
    ComplaintSerializer,
    PublicComplaintSerializer,
    RouteSerializer,
    SubmitSerializer,
    SubmittedSerializer,
    TrackSerializer,
)


def _call(service, *args, **kwargs):
    try:
        return service(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


@extend_schema_view(list=extend_schema(parameters=[ACTION_PARAMETER]),
                    retrieve=extend_schema(parameters=[ACTION_PARAMETER]))
class ComplaintViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Complaint.objects.select_related("domain", "supervision_domain").order_by("answer_due", "id")
    serializer_class = ComplaintSerializer

    def get_action_param(self) -> str:
        if self.action in ("route", "answer", "acknowledge"):
            from agencies.choices import Action

            return Action.HANDLE_COMPLAINT
        return super().get_action_param()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["mask"] = services.masked_complainant
        return context

    def retrieve(self, request, *args, **kwargs):
        complaint = self.get_object()
        revealed = services.reveal_complainant(request.user, complaint)  # audited when revealed
        context = {**self.get_serializer_context(), "revealed": {complaint.pk: revealed} if revealed else {}}
        return Response(ComplaintSerializer(complaint, context=context).data)

    def _answer_with(self, complaint):
        return Response(ComplaintSerializer(Complaint.objects.select_related("domain", "supervision_domain")
                                            .get(pk=complaint.pk), context=self.get_serializer_context()).data)

    @extend_schema(request=RouteSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        data = RouteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer_with(_call(services.complaint_route, request.user, self.get_object(),
                                       **data.validated_data))

    @extend_schema(request=None, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._answer_with(_call(services.complaint_acknowledge, request.user, self.get_object()))

    @extend_schema(request=AnswerSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer_with(_call(services.complaint_answer, request.user, self.get_object(),
                                       **data.validated_data))


class PublicComplaintViewSet(viewsets.ViewSet):
    """Submit a complaint (GET `captcha/` first) and track it with code + secret. No login."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = SubmitSerializer

    @extend_schema(request=SubmitSerializer, responses={
        201: SubmittedSerializer, 200: OpenApiResponse(SubmittedSerializer, description="Already submitted."),
        429: OpenApiResponse(description="Too many submissions from this address; retry later.")})
    def create(self, request):
        if antiabuse.rate_limited("submit", antiabuse.client_key(request)):
            return Response({"detail": "提交过于频繁，请稍后再试。"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if not antiabuse.check_captcha(values.pop("captcha_token"), values.pop("captcha_answer")):
            raise ValidationError({"captcha_answer": ["验证答案不正确。"]})
        complaint, secret, created = _call(services.complaint_submit, channel=Channel.API, **values)
        return Response({"code": complaint.code, "secret": secret, "created": created,
                         "answer_due": complaint.answer_due},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=CaptchaSerializer)
    @action(detail=False, methods=["get"])
    def captcha(self, request):
        question, token = antiabuse.new_captcha()
        return Response({"question": question, "token": token})

    @extend_schema(request=TrackSerializer, responses={
        200: PublicComplaintSerializer,
        404: OpenApiResponse(description="No complaint with this code and secret."),
        429: OpenApiResponse(description="Too many look-ups from this address; retry later.")})
    @action(detail=False, methods=["post"])
    def track(self, request):
        if antiabuse.rate_limited("track", antiabuse.client_key(request)):
            return Response({"detail": "查询过于频繁，请稍后再试。"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = TrackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.complaint_track(data.validated_data["code"], data.validated_data["secret"])
        if complaint is None:
            return Response({"detail": "查询码或查询密码不正确。"}, status=status.HTTP_404_NOT_FOUND)
        view = public_view_of(complaint)
        return Response(PublicComplaintSerializer(view).data)
