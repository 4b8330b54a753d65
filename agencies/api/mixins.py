from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError

from ..choices import Action

ACTION_PARAMETER = OpenApiParameter(
    "action", OpenApiTypes.STR, enum=Action.values, required=False,
    description="The action the caller wants to take (default `view`): only records its duties allow it on.")


class RestrictedViewSetMixin:
    """Every regulated API view reads through `restrict(user, action)`; out-of-scope records answer 404."""

    def get_action_param(self) -> str:
        action = self.request.query_params.get("action") or Action.VIEW  # empty, like every filter: the default
        if action not in Action.values:
            raise ValidationError({"action": [_("未知操作“%(action)s”；可选：%(choices)s。") % {
                "action": action, "choices": ", ".join(Action.values)}]})
        return action

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.get_action_param())


restricted_schema = extend_schema(parameters=[ACTION_PARAMETER])
